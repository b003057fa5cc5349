"""Retry policy for HTTP model backends: exponential backoff with full jitter.

Which failures are worth another attempt, and how long to wait before it:

- retryable: HTTP 408, 409, 425, 429 and 5xx (but 501, 505); timeouts; connection refused/reset/closed;
  truncated or malformed response bodies (see `RetryableError`);
- everything else (400, 401, 403, 404, 422, ...) fails at once (`FatalRequestError`).

The wait before retry k (0-based) is ``uniform(0, min(backoff_max, backoff_base * 2**k))``
("full jitter", AWS architecture blog), unless the server sent ``Retry-After``: then it is that
many seconds (capped at ``max_retry_after``), since the server knows better than we do.
"""
from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass

from benchgate.models.base import BackendError

RETRYABLE_STATUS = frozenset({408, 409, 425, 429}) | (frozenset(range(500, 600)) - {501, 505})


class RequestError(BackendError):
    """One request failed for good. `status` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None, attempts: int = 1):
        super().__init__(message)
        self.status = status
        self.attempts = attempts


class FatalRequestError(RequestError):
    """A failure that another attempt will not fix (a 4xx other than 408/409/425/429, bad input)."""


class RetryableError(RequestError):
    """A transient failure; `retry_after` is the server's requested wait in seconds, if any."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(message, status)
        self.retry_after = retry_after


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to retry and how long to wait between attempts."""

    max_retries: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    max_retry_after: float = 120.0

    def delay(self, retry_index: int, retry_after: float | None = None,
              rng: random.Random | None = None) -> float:
        """Seconds to sleep before retry number `retry_index` (0-based)."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** retry_index))
        return (rng or random).uniform(0.0, ceiling)
