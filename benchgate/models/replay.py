"""`--model replay:FILE`: re-score saved responses without any model.

FILE is a samples.jsonl of an earlier run (responses or loglikelihoods), or JSONL lines
`{"id": "<benchmark>/<subset>/<index>", "response": "..."}`. Use it to re-score after an
extractor fix, or to score outputs produced elsewhere.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Sequence

from benchgate.errors import DataError
from benchgate.data.files import read_jsonl
from benchgate.models.base import Generation, Loglikelihood, Request
from benchgate.models.replay_formats import ReleasedFileError, released_entries


class ReplayError(ValueError):
    """A replay file that cannot serve a sample; the message names the file, line or id."""


class ReplaySource:
    """The saved outputs of a replay file, by sample id."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise ReplayError(f"replay file {self.path} not found")
        self.entries: dict[str, dict[str, Any]] = {}
        try:  # the authors' released judgments of judge benchmarks (replay_formats)
            released = released_entries(self.path)
        except ReleasedFileError as e:
            raise ReplayError(str(e)) from None
        if released is not None:
            self.entries = released
            return
        for _, entry, where in read_jsonl(self.path):
            if isinstance(entry, DataError):
                raise ReplayError(str(entry))
            if not isinstance(entry.get("id"), str):
                raise ReplayError(f"{where}: expected an object with an \"id\"")
            if "response" not in entry and "loglikelihoods" not in entry:
                raise ReplayError(f"{where}: {entry['id']} has neither "
                                  f"\"response\" nor \"loglikelihoods\"")
            self.entries[entry["id"]] = entry

    def fingerprint(self) -> dict:
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest()
        return {"name": "replay", "file": str(self.path), "sha256": digest}

    def outputs(self, sample_id: str, requests: Sequence[Request], offset: int = 0,
                stepwise: bool = False) -> list[Any]:
        """The saved outputs for a sample's requests, or a ReplayError saying what is missing.
        A stepwise sample (an agent loop: its next requests depend on its answers) is served
        from its saved answers in order: `offset` earlier requests were answered already."""
        entry = self.entries.get(sample_id)
        if entry is None:
            raise ReplayError(f"no saved response for {sample_id} in {self.path}")
        kinds = {r.kind for r in requests}
        if kinds == {"generate"}:
            response = entry.get("response")
            responses = response if isinstance(response, list) else [response]
            if stepwise and response is not None:
                responses = responses[offset:offset + len(requests)]
            if response is None or len(responses) != len(requests):
                raise ReplayError(f"{sample_id}: {self.path} holds {0 if response is None else len(responses)} "
                                  f"response(s), the benchmark needs {len(requests)}")
            return [Generation(str(text)) for text in responses]
        saved = entry.get("loglikelihoods")
        if saved is None or len(saved) != len(requests):
            raise ReplayError(f"{sample_id}: {self.path} holds no matching loglikelihoods "
                              f"(the benchmark needs {len(requests)} {'/'.join(sorted(kinds))} results)")
        if kinds == {"loglikelihood"}:
            return [Loglikelihood(float(v[0]), bool(v[1])) for v in saved]
        return [float(v) for v in saved]
