# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""Which failures heal by waiting, full-jitter exponential backoff, and a sliding-window rate limiter.

Standard library only; clock, sleep and randomness are injectable so tests need no real waiting.
"""

from __future__ import annotations

import collections
import random
import threading
import time

from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import ApiError, TencentCloudError, TransportError

# Codes retried with backoff: each is documented as transient for read-only calls.
RETRYABLE_CODES = {
    "RequestLimitExceeded": "account/API throttling, heals by waiting",
    "RequestLimitExceeded.UinLimitExceeded": "per-account throttling",
    "RequestLimitExceeded.GlobalRegionUinLimitExceeded": "per-account global throttling",
    "RequestLimitExceeded.IPLimitExceeded": "per-IP throttling",
    "LimitExceeded.RateLimitExceeded": "the SSL service's own 10 requests/s throttle",
    "InternalError": "server-side fault, transient by definition",
    "InternalError.BackendResponseEmpty": "backend hiccup",
    "InternalError.BackendResponseError": "backend hiccup",
    "ServiceUnavailable": "service temporarily unavailable",
    "ResourceUnavailable": "resource temporarily unavailable",
    "FailedOperation.NetworkError": "the CA is busy; the API asks to retry later",
    "FailedOperation.SystemError": "system error, transient",
}

# Never retried whatever the family: they cannot heal by waiting.
_FATAL_PREFIXES = ("AuthFailure", "InvalidParameter", "FailedOperation.CertificateNotFound", "UnauthorizedOperation", "MissingParameter")

DEFAULT_BACKOFF_BASE = 0.5
DEFAULT_BACKOFF_CAP = 8.0
# Server-side limits are judged on arrival times; 100 ms absorbs thread and network jitter
# at a cost of under 10 % of the theoretical rate.
DEFAULT_RATE_MARGIN = 0.1


def is_retryable(error: Exception) -> bool:
    """True for transport failures and for API codes that heal by waiting."""
    if isinstance(error, TransportError):
        return error.retryable
    if not isinstance(error, ApiError) or not error.code:
        return False
    if error.code.startswith(_FATAL_PREFIXES):
        return False
    return error.code in RETRYABLE_CODES or error.code.startswith("InternalError.")


def backoff_delay(attempt: int, *, base: float = DEFAULT_BACKOFF_BASE, cap: float = DEFAULT_BACKOFF_CAP, rand=random.random) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**attempt)) for the retry after ``attempt`` failures (0-based)."""
    return rand() * min(cap, base * (2 ** max(0, attempt)))


def call_with_retries(func, *, retries: int, warn=None, sleep=time.sleep, rand=random.random, cap: float = DEFAULT_BACKOFF_CAP, describe: str = "request"):
    """Call ``func()``; retry retryable failures up to ``retries`` extra times.

    ``warn(text)`` is told about each retry. The final error carries the attempt count.
    """
    attempt = 0
    while True:
        try:
            return func()
        except TencentCloudError as error:
            attempt += 1
            if not is_retryable(error) or attempt > retries:
                error.attempts = attempt
                raise
            delay = backoff_delay(attempt - 1, cap=cap, rand=rand)
            if warn is not None:
                reason = error.code or (error.message[:120] + ("..." if len(error.message) > 120 else ""))
                warn("%s failed (%s); retry %d of %d in %.2fs" % (describe, reason, attempt, retries, delay))
            sleep(delay)


class RateLimiter:
    """At most ``rate`` request starts in any sliding window of one second.

    Thread-safe. A start is recorded when a permit is granted, so retries count too. Up to
    ``int(rate)`` requests may start at once (a burst), which is what lets N calls finish in about
    N/rate seconds even with a high round-trip time. The window is widened by a small margin because
    the server measures arrival times, which jitter relative to our start times.
    """

    def __init__(self, rate: float, *, margin: float = DEFAULT_RATE_MARGIN, clock=time.monotonic, sleep=time.sleep) -> None:
        if rate <= 0:
            raise ValueError("rate must be > 0")
        self.capacity = max(1, int(rate))
        # rate 10 -> 10 starts per window; rate 0.5 -> 1 start per 2 s; rate 15.5 -> 15 per second.
        self.window = max(1.0, self.capacity / float(rate)) + margin
        self._starts: collections.deque = collections.deque()
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep

    def _reserve(self) -> float:
        """Reserve the earliest allowed start time for the caller; return how long to wait for it."""
        with self._lock:
            now = self._clock()
            start = now
            if len(self._starts) >= self.capacity:
                # The start ``capacity`` places back must be a full window older than ours.
                start = max(start, self._starts.popleft() + self.window)
            if self._starts:
                # Hand out reservations in time order so the deque stays sorted (FIFO fairness).
                start = max(start, self._starts[-1])
            self._starts.append(start)
            return start - now

    def acquire(self) -> None:
        wait = self._reserve()
        if wait > 0:
            self._sleep(wait)
