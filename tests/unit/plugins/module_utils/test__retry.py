# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Retry policy, full-jitter backoff, call_with_retries and the sliding-window RateLimiter (fake clocks only)."""

from __future__ import annotations

import bisect

import pytest
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import ApiError, CredentialError, ResponseError, TransportError
from ansible_collections.cloudcert.tencent.plugins.module_utils._retry import (
    DEFAULT_BACKOFF_BASE,
    DEFAULT_BACKOFF_CAP,
    RETRYABLE_CODES,
    RateLimiter,
    backoff_delay,
    call_with_retries,
    is_retryable,
)
from hypothesis import given, settings
from hypothesis import strategies as st


@pytest.mark.parametrize(
    "code",
    [
        "RequestLimitExceeded",
        "RequestLimitExceeded.UinLimitExceeded",
        "RequestLimitExceeded.GlobalRegionUinLimitExceeded",
        "RequestLimitExceeded.IPLimitExceeded",
        "LimitExceeded.RateLimitExceeded",
        "InternalError",
        "InternalError.BackendResponseEmpty",
        "InternalError.BackendResponseError",
        "InternalError.SomethingNew",
        "ServiceUnavailable",
        "ResourceUnavailable",
        "FailedOperation.NetworkError",
        "FailedOperation.SystemError",
    ],
)
def test_retryable_codes(code):
    assert is_retryable(ApiError(code, "m", "rid"))


@pytest.mark.parametrize(
    "code",
    [
        "AuthFailure.SignatureFailure",
        "AuthFailure.SecretIdNotFound",
        "AuthFailure.InvalidSecretId",
        "AuthFailure.SignatureExpire",
        "AuthFailure.TokenFailure",
        "AuthFailure.InvalidAuthorization",
        "AuthFailure.MFAFailure",
        "AuthFailure.UnauthorizedOperation",
        "UnauthorizedOperation",
        "FailedOperation.CertificateNotFound",
        "FailedOperation.AuthError",
        "FailedOperation.NoProjectPermission",
        "FailedOperation",
        "InvalidParameter",
        "InvalidParameter.CertificateIdNumberLimit",
        "InvalidParameter.ContainsInvalidCertificateId",
        "InvalidParameterValue",
        "MissingParameter",
        "UnknownParameter",
        "LimitExceeded",
        "InvalidAction",
        "NoSuchVersion",
        "UnsupportedProtocol",
        "ResourceNotFound",
        "UnknownError",
        "",
    ],
)
def test_never_retried_codes(code):
    assert not is_retryable(ApiError(code, "m", "rid"))


def test_documented_codes_have_a_reason_and_no_fatal_family():
    for code, reason in RETRYABLE_CODES.items():
        assert reason.strip(), code
        assert not code.startswith(("AuthFailure", "InvalidParameter", "FailedOperation.CertificateNotFound"))


def test_transport_and_other_errors():
    assert is_retryable(TransportError("reset"))
    assert not is_retryable(TransportError("TLS failed", retryable=False))
    assert not is_retryable(CredentialError("no keys"))
    assert not is_retryable(ResponseError("bad record"))
    assert not is_retryable(ValueError("bug"))


@pytest.mark.parametrize("attempt", range(0, 12))
def test_full_jitter_bounds(attempt):
    ceiling = min(DEFAULT_BACKOFF_CAP, DEFAULT_BACKOFF_BASE * 2**attempt)
    assert backoff_delay(attempt, rand=lambda: 0.0) == 0.0
    assert backoff_delay(attempt, rand=lambda: 0.5) == pytest.approx(ceiling / 2)
    top = backoff_delay(attempt, rand=lambda: 0.999999)
    assert top < ceiling <= DEFAULT_BACKOFF_CAP
    assert top == pytest.approx(ceiling, rel=1e-5)
    for _index in range(50):
        assert 0.0 <= backoff_delay(attempt) < ceiling


def test_backoff_grows_then_caps():
    ceilings = [backoff_delay(n, rand=lambda: 1.0) for n in range(8)]
    assert ceilings == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0]
    assert backoff_delay(3, base=1.0, cap=3.0, rand=lambda: 1.0) == 3.0
    assert backoff_delay(-2, rand=lambda: 1.0) == 0.5


class Flaky:
    """Fails with the queued errors, then returns "ok"."""

    def __init__(self, *errors):
        self.errors = list(errors)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def test_retries_until_success_with_warnings():
    sleeps, warnings = [], []
    func = Flaky(ApiError("InternalError", "m", "r1"), TransportError("reset"), ApiError("RequestLimitExceeded", "m", "r2"))
    result = call_with_retries(func, retries=3, warn=warnings.append, sleep=sleeps.append, rand=lambda: 1.0, describe="DescribeCertificate")
    assert result == "ok"
    assert func.calls == 4
    assert sleeps == [0.5, 1.0, 2.0]
    assert len(warnings) == 3
    assert warnings[0].startswith("DescribeCertificate failed (InternalError); retry 1 of 3")
    assert "(reset)" in warnings[1] and "retry 2 of 3" in warnings[1]  # the transport failure, in words
    assert "RequestLimitExceeded" in warnings[2] and "retry 3 of 3" in warnings[2]


def test_gives_up_after_retries_and_counts_attempts():
    sleeps = []
    func = Flaky(*[ApiError("InternalError", "m", "rid-%d" % n) for n in range(10)])
    with pytest.raises(ApiError) as caught:
        call_with_retries(func, retries=2, sleep=sleeps.append)
    assert func.calls == 3
    assert caught.value.attempts == 3
    assert caught.value.request_id == "rid-2"  # the last answer's request id
    assert len(sleeps) == 2


def test_retries_zero_means_one_attempt():
    func = Flaky(TransportError("reset"))
    with pytest.raises(TransportError) as caught:
        call_with_retries(func, retries=0, sleep=pytest.fail)
    assert func.calls == 1
    assert caught.value.attempts == 1


@pytest.mark.parametrize(
    "error",
    [ApiError("AuthFailure.SignatureFailure", "m"), ApiError("FailedOperation.CertificateNotFound", "m"), TransportError("TLS", retryable=False)],
)
def test_fatal_errors_are_not_retried(error):
    warnings = []
    func = Flaky(error)
    with pytest.raises(type(error)) as caught:
        call_with_retries(func, retries=5, warn=warnings.append, sleep=pytest.fail)
    assert func.calls == 1
    assert caught.value.attempts == 1
    assert warnings == []


def test_non_collection_exceptions_pass_through_untouched():
    func = Flaky(KeyError("bug"))
    with pytest.raises(KeyError):
        call_with_retries(func, retries=5, sleep=pytest.fail)
    assert func.calls == 1


# ---------------------------------------------------------------------------------------------------------------
# RateLimiter with a fake clock: ``sleep`` advances the clock of the thread that waits.


class FakeClock:
    def __init__(self, start=1000.0):
        self.now = start

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        self.now += seconds


def _starts_for(rate, arrivals, margin=0.0):
    """Sequential callers arriving at ``arrivals`` (offsets); returns the times they were let through.

    Each caller reserves at its arrival time and starts at arrival + wait; reservation happens in arrival order.
    """
    clock = FakeClock(0.0)
    limiter = RateLimiter(rate, margin=margin, clock=clock, sleep=lambda s: None)
    starts = []
    for arrival in sorted(arrivals):
        clock.now = max(clock.now, arrival)
        wait = limiter._reserve()
        assert wait >= 0
        starts.append(clock.now + wait)
    return starts


def _max_in_window(starts, window=1.0):
    starts = sorted(starts)
    return max(bisect.bisect_left(starts, s + window - 1e-9) - i for i, s in enumerate(starts)) if starts else 0


def test_burst_is_allowed_then_waits():
    clock = FakeClock(0.0)
    limiter = RateLimiter(10, margin=0.0, clock=clock, sleep=clock.sleep)
    for _index in range(10):
        limiter.acquire()
    assert clock.now == 0.0  # ten starts at once: a burst
    limiter.acquire()
    assert clock.now == pytest.approx(1.0)  # the 11th waits one full window behind the first


def test_fractional_rate_half_per_second():
    starts = _starts_for(0.5, [0.0] * 4)
    assert starts == pytest.approx([0.0, 2.0, 4.0, 6.0])


def test_fractional_rate_above_one():
    starts = _starts_for(2.5, [0.0] * 6)
    # capacity 2 per window of 0.8 s: never more than 2.5 starts in any second
    assert _max_in_window(starts) <= 2.5
    assert starts[:2] == [0.0, 0.0]


def test_margin_widens_window():
    starts = _starts_for(10, [0.0] * 11, margin=0.1)
    assert starts[10] == pytest.approx(1.1)


def test_rate_must_be_positive():
    for rate in (0, -1, -0.5):
        with pytest.raises(ValueError):
            RateLimiter(rate)


@settings(max_examples=200, deadline=None, database=None)
@given(
    rate=st.one_of(st.integers(1, 20).map(float), st.floats(0.2, 20.0, allow_nan=False)),
    gaps=st.lists(st.one_of(st.just(0.0), st.floats(0.0, 0.2), st.floats(0.0, 3.0)), min_size=1, max_size=80),
)
def test_never_more_than_rate_in_any_second(rate, gaps):
    arrivals, now = [], 0.0
    for gap in gaps:
        now += gap
        arrivals.append(now)
    starts = _starts_for(rate, arrivals)
    assert all(start >= arrival - 1e-9 for start, arrival in zip(starts, sorted(arrivals)))
    assert all(later >= earlier - 1e-9 for earlier, later in zip(starts, starts[1:]))  # FIFO (now + wait re-adds float rounding)
    assert _max_in_window(starts) <= max(1, int(rate))
    assert _max_in_window(starts) <= max(rate, 1)


def test_threads_share_the_limit():
    import threading

    lock = threading.Lock()
    clock = FakeClock(0.0)
    granted = []
    limiter = RateLimiter(5, margin=0.0, clock=clock, sleep=lambda s: None)

    def worker():
        wait = limiter._reserve()
        with lock:
            granted.append(clock.now + wait)

    threads = [threading.Thread(target=worker) for _index in range(23)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 23
    assert _max_in_window(granted) <= 5
    assert sorted(granted) == pytest.approx([float(n // 5) for n in range(23)])
