"""The shell commands of the user documentation: every fenced `bash`/`sh`/`shell`/`console`
block of README.md, docs/*.md and docs/benchmarks/*.md (and unlabelled blocks whose lines
start with a command), continuation lines joined, comments dropped, `&&` chains split; each
command as its shell words and as one normalized string (shlex.join), the key of its decision
in tests/docs/test_docs_commands.py."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHELL = {"bash", "sh", "shell", "console"}
COMMANDS = ("pytest", "benchgate", "python", "python3", ".venv/bin/python", "npx", "vllm", ".ci/run")
FENCE = re.compile(r"^\s*```\s*([\w+-]*)\s*$")


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
            *sorted((ROOT / "docs" / "benchmarks").glob("*.md"))]


def _blocks(text: str):
    """(language, body) of each fenced block."""
    lang, body = None, []
    for line in text.splitlines():
        match = FENCE.match(line)
        if match and lang is None:
            lang, body = match.group(1).lower(), []
        elif line.strip().startswith("```") and lang is not None:
            yield lang, "\n".join(body)
            lang = None
        elif lang is not None:
            body.append(line)


def commands(text: str) -> list[list[str]]:
    """The commands of one Markdown text, in order, as shell words."""
    out = []
    for lang, body in _blocks(text):
        lines = [ln.strip() for ln in re.sub(r"\\\n", " ", body).splitlines()]
        lines = [ln for ln in lines if ln and not ln.startswith("#")]
        if lang not in SHELL and not (lang == "" and lines and all(ln.split()[0] in COMMANDS for ln in lines)):
            continue
        for line in lines:
            words = shlex.split(line, comments=True)
            part: list[str] = []
            for word in words + ["&&"]:
                if word == "&&":
                    if part:
                        out.append(part)
                    part = []
                else:
                    part.append(word)
    return out


def documented() -> dict[str, list[str]]:
    """normalized command -> the files (relative) that show it, in documentation order."""
    found: dict[str, list[str]] = {}
    for path in doc_files():
        for words in commands(path.read_text(encoding="utf-8")):
            found.setdefault(shlex.join(words), []).append(str(path.relative_to(ROOT)))
    return found
