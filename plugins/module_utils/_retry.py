# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""Which failures heal by waiting, full-jitter exponential backoff, and the retry loop.

Throttled answers are retried until a time budget runs out (the request rate adapts meanwhile, see
``_ratelimit.py``); every other failure that heals by waiting is retried a fixed number of times.
Standard library only; clock, sleep and randomness are injectable so tests need no real waiting.
"""

from __future__ import annotations

import random
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

# Codes that mean "too many requests": they heal as soon as the caller slows down.
_THROTTLING_PREFIXES = ("RequestLimitExceeded", "LimitExceeded.RateLimitExceeded")

DEFAULT_BACKOFF_BASE = 0.5
DEFAULT_BACKOFF_CAP = 8.0
DEFAULT_THROTTLE_TIMEOUT = 300.0
# Throttled retries queue again at the machine-wide limiter, which already runs at the lowered rate:
# a short jitter desynchronises them; long sleeps on top would only leave the account's budget unused.
DEFAULT_THROTTLE_BACKOFF_CAP = 1.0


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


def is_throttling(error: Exception) -> bool:
    """True for the API's "too many requests" answers (not for quota codes such as plain ``LimitExceeded``)."""
    return isinstance(error, ApiError) and bool(error.code) and error.code.startswith(_THROTTLING_PREFIXES)


def call_with_retries(
    func,
    *,
    retries: int,
    throttle_timeout: float = 0.0,
    warn=None,
    note=None,
    sleep=time.sleep,
    clock=time.monotonic,
    rand=random.random,
    cap: float = DEFAULT_BACKOFF_CAP,
    throttle_cap: float = DEFAULT_THROTTLE_BACKOFF_CAP,
    describe: str = "request",
):
    """Call ``func()``; retry what heals by waiting. The final error carries the attempt count.

    Throttled answers are retried while the next attempt would start within ``throttle_timeout``
    seconds of the first one, and at least ``retries`` times, with a short jitter (``throttle_cap``);
    other retryable failures up to ``retries`` times, with backoff capped at ``cap``. ``warn(text)`` is told about each retry except repeated throttling of the
    same call, which goes to ``note(text)`` (high verbosity): the first warning already says it.
    """
    started = clock()
    attempts = failures = throttles = 0
    while True:
        try:
            return func()
        except TencentCloudError as error:
            attempts += 1
            throttled = is_retryable(error) and is_throttling(error)
            throttles += throttled
            failures += not throttled
            delay = backoff_delay(attempts - 1, cap=throttle_cap if throttled else cap, rand=rand)
            if throttled:
                allowed = clock() - started + delay <= throttle_timeout or attempts <= retries
            else:
                allowed = is_retryable(error) and failures <= retries
            if not allowed:
                error.attempts = attempts
                raise
            tell = note if throttled and throttles > 1 else warn
            if tell is not None:
                tell(_retry_text(error, describe=describe, attempts=attempts, retries=None if throttled else retries, delay=delay, budget=throttle_timeout))
            sleep(delay)


def _retry_text(error, *, describe: str, attempts: int, retries: int | None, delay: float, budget: float) -> str:
    """The retry notice; ``retries`` None for throttling, which is bounded by time, not a count."""
    reason = error.code or (error.message[:120] + ("..." if len(error.message) > 120 else ""))
    if retries is None:
        return "%s was throttled (%s); retry %d in %.2fs, for up to %gs in all (throttle_timeout)" % (describe, reason, attempts, delay, budget)
    return "%s failed (%s); retry %d of %d in %.2fs" % (describe, reason, attempts, retries, delay)
