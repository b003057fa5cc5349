"""`--model panel:FILE`: a jury of judges answering as one model.

FILE (YAML or JSON) lists the members, each with its own model, URL and args:

    members:
      - {name: gpt, model: gpt-4o, api_url: https://api.example/v1, api_key_env: GPT_KEY,
         model_args: {concurrency: 32}}
      - {name: local, model: /models/judge-7b}

Every request goes to every member, the members concurrently (one thread each, each member
batching as it always does). The reply is one JSON text, ``{"panel": [{"name", "text",
"usage"}, ...]}`` (`panel_reply` / `split_panel_reply`), so it is cached, written to
samples.jsonl and replayed like any reply; a benchmark that knows panels (pandalm, llmbar;
`benchgate.judge_eval.panel`) parses each member's text and takes the majority vote. A panel
only generates (no log-likelihoods).
"""
from __future__ import annotations

import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import yaml

from benchgate.models.base import BackendError, Generation, GenerateRequest

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


def member_tokens(usage: dict | None) -> tuple[int, int]:
    """(prompt, completion) tokens of one member's reply, as its API reported them (0 where not)."""
    usage = usage or {}
    return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)


def usage_by_member(texts: Iterable[str | None]) -> dict[str, dict[str, int]] | None:
    """Per member of the panel replies among `texts`: `calls` (replies it gave), `prompt_tokens`,
    `completion_tokens` and `tokens` (their sum), as each member's API reported them; None when
    no text is a panel reply."""
    out: dict[str, dict[str, int]] = {}
    for text in texts:
        for i, m in enumerate(split_panel_reply(text or "") or ()):
            row = out.setdefault(str(m.get("name", i)),
                                 {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "tokens": 0})
            prompt, completion = member_tokens(m.get("usage"))
            row["calls"] += 1
            row["prompt_tokens"] += prompt
            row["completion_tokens"] += completion
            row["tokens"] += prompt + completion
    return out or None


class PanelBackend:
    """Several backends asked the same generations; see the module doc."""

    name = "panel"

    def __init__(self, members: Sequence[tuple[str, Any]]):
        self.members = list(members)

    def fingerprint(self) -> dict:
        return {"name": "panel", "members": [{"name": n, **b.fingerprint()} for n, b in self.members]}

    def generate(self, requests: Sequence[GenerateRequest],
                 progress: Callable[[int], None] | None = None) -> list[Generation]:
        with ThreadPoolExecutor(max_workers=len(self.members)) as pool:
            futures = [pool.submit(b.generate, requests) for _, b in self.members]
            results = [f.result() for f in futures]
        if progress:
            progress(len(requests))
        out = []
        for i in range(len(requests)):
            answers = [(name, results[m][i]) for m, (name, _) in enumerate(self.members)]
            usage = {}
            for _, g in answers:
                for k, v in (g.usage or {}).items():
                    usage[k] = usage.get(k, 0) + v
            out.append(Generation(panel_reply(answers), usage or None))
        return out

    def loglikelihood(self, requests, progress=None):
        raise BackendError("a panel of judges only generates; this benchmark needs log-likelihoods")

    def loglikelihood_rolling(self, requests, progress=None):
        raise BackendError("a panel of judges only generates; this benchmark needs log-likelihoods")

    def close(self) -> None:
        for _, b in self.members:
            b.close()
