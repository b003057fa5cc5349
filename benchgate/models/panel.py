"""`--model panel:FILE`: a jury of judges answering as one model.

FILE (YAML or JSON) lists the members, each with its own model, URL and args:

    members:
      - {name: gpt, model: gpt-4o, api_url: https://api.example/v1, api_key_env: GPT_KEY,
         model_args: {concurrency: 32}}
      - {name: local, model: /models/judge-7b}

Every request goes to every member, the members concurrently (API judges all started at once
on the process's one event loop thread, other members one thread each), each member batching
as it always does. The reply is one JSON text, ``{"panel": [{"name", "text",
"usage"}, ...]}`` (`panel_reply` / `split_panel_reply`), so it is cached, written to
samples.jsonl and replayed like any reply; a benchmark that knows panels (pandalm, llmbar;
`benchgate.judge_eval.panel`) parses each member's text and takes the majority vote. A panel
only generates (no log-likelihoods).
"""
from __future__ import annotations

import contextlib
import inspect
import json
import os
import re
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import yaml

from benchgate.models.base import BackendError, BatchError, Generation, GenerateRequest

PREFIX = '{"panel": '
MEMBER_KEYS = ("name", "model", "api_url", "api_key_env", "model_args")


class PanelSpecError(ValueError):
    """A panel file that cannot work; the message names the file and the member."""


def read_panel_spec(path: str | Path, check_env: bool = True) -> list[dict[str, Any]]:
    """The members of a panel file, checked (`check_members`)."""
    path = Path(path)
    if not path.is_file():
        raise PanelSpecError(f"panel file {path} not found")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise PanelSpecError(f"{path}: not valid YAML/JSON: {e}") from None
    members = doc.get("members") if isinstance(doc, dict) else None
    if not isinstance(members, list):
        raise PanelSpecError(f"{path}: expected 'members', a list of at least two judges")
    return check_members(members, str(path), check_env)


def check_members(members: Any, where: str, check_env: bool = True) -> list[dict[str, Any]]:
    """Panel members (from a panel file, or the arena config's `reviewer.args.panel`, named by
    `where` in errors), checked: at least two, a unique name and a model each, known keys;
    with `check_env`, the variables named by api_key_env set."""
    if not isinstance(members, list) or len(members) < 2:
        raise PanelSpecError(f"{where}: expected a list of at least two judges")
    names = []
    for n, m in enumerate(members):
        at = f"{where}: members[{n}]"
        if not isinstance(m, dict):
            raise PanelSpecError(f"{at}: expected an object with 'name' and 'model'")
        unknown = sorted(set(m) - set(MEMBER_KEYS))
        if unknown:
            raise PanelSpecError(f"{at}: unknown key(s) {unknown} (accepted: {', '.join(MEMBER_KEYS)})")
        for key in ("name", "model"):
            if not isinstance(m.get(key), str) or not m[key]:
                raise PanelSpecError(f"{at}: needs a non-empty string {key!r}")
        if m["model"].startswith(("panel:", "replay:")):
            raise PanelSpecError(f"{at}: a member cannot be {m['model'].split(':')[0]}:")
        if not isinstance(m.get("model_args", {}), dict):
            raise PanelSpecError(f"{at}: 'model_args' must be an object")
        if check_env and m.get("api_key_env") and m["api_key_env"] not in os.environ:
            raise PanelSpecError(f"{at}: the variable {m['api_key_env']!r} named by api_key_env is not set")
        names.append(m["name"])
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise PanelSpecError(f"{where}: member name(s) {dupes} appear more than once")
    return members


def member_key(name: str) -> str:
    """A member's name as it appears in metric names (letters, digits, underscores)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def panel_reply(members: Sequence[tuple[str, Generation]]) -> str:
    """The one text a panel answers with: each member's name, text and usage."""
    return json.dumps({"panel": [{"name": n, "text": g.text, "usage": g.usage} for n, g in members]},
                      ensure_ascii=False)


def split_panel_reply(text: str) -> list[dict[str, Any]] | None:
    """The members' entries of a panel reply; None for any other text."""
    if not text.startswith(PREFIX):
        return None
    try:
        members = json.loads(text)["panel"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(members, list) or not all(isinstance(m, dict) and isinstance(m.get("text"), str)
                                                for m in members):
        return None
    return members


def with_reask(text: str, name: str, reask: str, usage: dict | None) -> str:
    """The panel reply `text` after member `name` was asked once more (its reply held no
    verdict): that member's text is its first and second reply joined by a newline (read
    together, as one judge's re-ask), its usage the sum of both calls, its `attempts` 2."""
    members = split_panel_reply(text)
    if members is None:
        raise ValueError("not a panel reply")
    out = []
    for m in members:
        if m.get("name") == name:
            summed = dict(m.get("usage") or {})
            for k, v in (usage or {}).items():
                summed[k] = summed.get(k, 0) + v
            m = {**m, "text": m["text"] + "\n" + reask, "usage": summed or None,
                 "attempts": int(m.get("attempts", 1)) + 1}
        out.append(m)
    return json.dumps({"panel": out}, ensure_ascii=False)


def member_tokens(usage: dict | None) -> tuple[int, int]:
    """(prompt, completion) tokens of one member's reply, as its API reported them (0 where not)."""
    usage = usage or {}
    return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)


def usage_by_member(texts: Iterable[str | None]) -> dict[str, dict[str, int]] | None:
    """Per member of the panel replies among `texts`: `calls` (the calls it answered, a re-ask
    included: `with_reask`), `prompt_tokens`,
    `completion_tokens` and `tokens` (their sum), as each member's API reported them; None when
    no text is a panel reply."""
    out: dict[str, dict[str, int]] = {}
    for text in texts:
        for i, m in enumerate(split_panel_reply(text or "") or ()):
            row = out.setdefault(str(m.get("name", i)),
                                 {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "tokens": 0})
            prompt, completion = member_tokens(m.get("usage"))
            row["calls"] += int(m.get("attempts", 1))
            row["prompt_tokens"] += prompt
            row["completion_tokens"] += completion
            row["tokens"] += prompt + completion
    return out or None


def _streams(method: Callable) -> bool:
    """Whether a backend method reports each result as it completes (`on_result`)."""
    try:
        return "on_result" in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


class PanelBackend:
    """Several backends asked the same generations; see the module doc."""

    name = "panel"

    def __init__(self, members: Sequence[tuple[str, Any]]):
        self.members = list(members)

    def fingerprint(self) -> dict:
        return {"name": "panel", "members": [{"name": n, **b.fingerprint()} for n, b in self.members]}

    def generate(self, requests: Sequence[GenerateRequest], progress: Callable[[int], None] | None = None,
                 on_result: Callable[[int, Any], None] | None = None) -> list[Generation]:
        """Each request to every member (or to its `panel_member` only), the members
        concurrently: members that can start a batch without waiting for it (`submit_generate`,
        API judges: all on the one event loop thread) are started from this thread, the others
        run one thread each. Request i's panel reply is reported (`on_result`, `progress`) as
        soon as the last member asked answers it (members whose backend reports each answer,
        API judges; others at their end), so the predictor caches panel replies while the batch
        runs, as for one API judge. A member's failed request fails that request only
        (BatchError with the others' results)."""
        n = len(requests)
        names = [name for name, _ in self.members]
        asked = [[i for i, r in enumerate(requests) if r.panel_member in ("", name)] for name in names]
        answers: list[dict[int, Any]] = [{} for _ in names]
        missing = [0] * n  # members still to answer each request
        for mine in asked:
            for i in mine:
                missing[i] += 1
        out: list[Any] = [None if missing[i] else BackendError(
            f"no panel member {r.panel_member!r} (members: {', '.join(names)})") for i, r in enumerate(requests)]
        lock = threading.Lock()

        def answered(m: int, i: int, result: Any) -> None:
            with lock:
                if i in answers[m]:
                    return
                answers[m][i] = result
                missing[i] -= 1
                if missing[i]:
                    return
                out[i] = self._combine([(names[k], answers[k][i]) for k in range(len(names)) if i in answers[k]])
            if on_result is not None:
                with contextlib.suppress(Exception):  # the caller's bookkeeping must not lose the answer
                    on_result(i, out[i])
            if progress is not None:
                progress(1)

        def reporter(m: int) -> Callable[[int, Any], None]:
            mine = asked[m]
            return lambda j, r: answered(m, mine[j], r)

        def finish(m: int, results: Sequence[Any]) -> None:
            """Member m's results, each reported unless it already was."""
            for j, result in enumerate(results):
                answered(m, asked[m][j], result)

        def failure(m: int, e: Exception) -> list[BackendError]:
            return [BackendError(f"panel member {names[m]!r}: {type(e).__name__}: {e}")] * len(asked[m])

        def outcome(m: int, results: Callable[[], list]) -> list:
            try:
                return results()
            except BatchError as e:  # some requests failed for good: the others stand
                return e.results
            except Exception as e:  # noqa: BLE001 - the member's failure fails its requests
                return failure(m, e)

        def run(m: int, backend: Any) -> None:
            kwargs = {"on_result": reporter(m)} if _streams(backend.generate) else {}
            finish(m, outcome(m, lambda: backend.generate([requests[i] for i in asked[m]], **kwargs)))

        started: dict[int, Future] = {}
        threaded = []
        try:
            for m, (_, backend) in enumerate(self.members):
                if not asked[m]:
                    continue
                if not hasattr(backend, "submit_generate"):
                    threaded.append((m, backend))
                    continue
                try:
                    started[m] = backend.submit_generate([requests[i] for i in asked[m]], on_result=reporter(m))
                except Exception as e:  # noqa: BLE001 - the member's failure fails its requests
                    finish(m, failure(m, e))
            if threaded:
                with ThreadPoolExecutor(max_workers=len(threaded)) as pool:
                    for f in [pool.submit(run, m, b) for m, b in threaded]:
                        f.result()
            for m, future in started.items():
                finish(m, outcome(m, future.result))
        except BaseException:  # an interrupt while waiting: stop the requests still in flight
            for future in started.values():
                future.cancel()
            raise
        failed = [i for i, o in enumerate(out) if isinstance(o, BaseException)]
        if failed:
            raise BatchError(f"{len(failed)} of {n} panel requests failed; first (request {failed[0]}): "
                             f"{out[failed[0]]}", out)
        return out

    @staticmethod
    def _combine(answers: list[tuple[str, Any]]) -> Any:
        """One request's panel reply from the (name, answer) of the members asked; the first
        member's error, if any."""
        for name, a in answers:
            if isinstance(a, BaseException):
                return a if str(a).startswith("panel member ") else BackendError(f"panel member {name!r}: {a}")
        usage: dict[str, int] = {}
        for _, a in answers:
            for k, v in (a.usage or {}).items():
                usage[k] = usage.get(k, 0) + v
        return Generation(panel_reply(answers), usage or None)

    def loglikelihood(self, requests, progress=None):
        raise BackendError("a panel of judges only generates; this benchmark needs log-likelihoods")

    def loglikelihood_rolling(self, requests, progress=None):
        raise BackendError("a panel of judges only generates; this benchmark needs log-likelihoods")

    def close(self) -> None:
        for _, b in self.members:
            b.close()
