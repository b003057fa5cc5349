"""Write-through prediction cache: SQLite in WAL mode, safe for concurrent xdist workers."""
from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path
from typing import Any, Iterable, Mapping

from benchgate.models.base import GenerationConfig, LoglikelihoodRequest, Request

# json.dumps(..., ensure_ascii=False)'s own string encoder (the C one where built)
_encode_str = json.encoder.c_encode_basestring or json.encoder.py_encode_basestring


def cache_key(fingerprint: Mapping[str, Any], request: Request, generation: GenerationConfig) -> str:
    """sha256 of model fingerprint + request + generation config (generation requests only;
    the config holds the seed and the request its repeat index, so sampled generations are
    keyed by both)."""
    return CacheKeys(fingerprint, generation)(request)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


class CacheKeys:
    """`cache_key` for many requests of one model: the fingerprint and the generation config
    are serialised once. The blob hashed is the sorted-key JSON of {"generation", "model",
    "request"}, written part by part (json.dumps of the whole gives the same text)."""

    def __init__(self, fingerprint: Mapping[str, Any], generation: GenerationConfig):
        self._model = '"model": ' + _json(fingerprint) + ', "request": '
        self._generation = '{"generation": ' + _json(generation.key()) + ", "
        self._context: tuple[str, str] = ("", '""')  # the last context and its JSON

    def __call__(self, request: Request) -> str:
        if type(request) is LoglikelihoodRequest:
            # the choices of a sample share one long context: encode it once
            ctx, enc = self._context
            if request.context is not ctx and request.context != ctx:
                ctx, enc = request.context, _encode_str(request.context)
                self._context = (ctx, enc)
            blob = ("{" + self._model + '{"context": ' + enc + ', "continuation": '
                    + _encode_str(request.continuation) + ', "kind": "loglikelihood"}}')
        else:
            head = self._generation if request.kind == "generate" else "{"
            blob = head + self._model + _json(request.key()) + "}"
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _switch_to_wal(db: sqlite3.Connection, timeout: float) -> None:
    """`PRAGMA journal_mode=WAL`, retried for up to `timeout` seconds: when several processes
    open the same new cache at once (xdist workers of one run), SQLite answers "database is
    locked" at once here instead of waiting on its busy handler, and that worker would go on
    without the cache."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            busy = getattr(e, "sqlite_errorname", "").startswith("SQLITE_BUSY") or "locked" in str(e)
            if not busy or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(2 * delay, 0.1)


class PredictionCache:
    """Maps cache keys to JSON-encoded model outputs. `timeout`: seconds to wait for a lock
    held by another process. Failures raise sqlite3.Error or OSError (the predictor then goes
    on without the cache)."""

    def __init__(self, path: Path, timeout: float = 60.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None,
                                   check_same_thread=False)
        try:
            self._db.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
            _switch_to_wal(self._db, timeout)
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS predictions ("
                             "key TEXT PRIMARY KEY, value TEXT NOT NULL, created REAL NOT NULL)")
        except BaseException:
            self._db.close()
            raise

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The cached values among `keys` (decoded)."""
        keys = list(dict.fromkeys(keys))
        found: dict[str, Any] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(f"SELECT key, value FROM predictions WHERE key IN ({marks})", chunk)
            found.update((k, json.loads(v)) for k, v in rows)
        return found

    def put_many(self, items: Mapping[str, Any]) -> None:
        """Store values (JSON-encodable) in one transaction."""
        if not items:
            return
        now = time.time()
        rows = [(k, json.dumps(v, ensure_ascii=False), now) for k, v in items.items()]
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT OR REPLACE INTO predictions VALUES (?, ?, ?)", rows)

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM predictions").fetchone()[0]

    def close(self) -> None:
        self._db.close()
