"""Reading what allure-pytest wrote: result files, attachments, globals."""
from __future__ import annotations

import json
from pathlib import Path


def results(directory: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(directory.glob("*-result.json"))]


def labels(result: dict, name: str) -> list[str]:
    return [label["value"] for label in result["labels"] if label["name"] == name]


def attachment(directory: Path, result: dict, name: str) -> str:
    (found,) = [a for a in result["attachments"] if a["name"] == name]
    return (directory / found["source"]).read_bytes().decode("utf-8")


def by_name(directory: Path) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for result in results(directory):
        assert result["name"] not in out, f"two Allure results named {result['name']}"
        out[result["name"]] = result
    return out
