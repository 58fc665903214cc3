# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Retry policy, full-jitter backoff and call_with_retries with its throttling time budget (fake clocks only)."""

from __future__ import annotations

import pytest
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import ApiError, CredentialError, ResponseError, TransportError
from ansible_collections.cloudcert.tencent.plugins.module_utils._retry import (
    DEFAULT_BACKOFF_BASE,
    DEFAULT_BACKOFF_CAP,
    DEFAULT_THROTTLE_BACKOFF_CAP,
    RETRYABLE_CODES,
    backoff_delay,
    call_with_retries,
    is_retryable,
    is_throttling,
)


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
    assert sleeps == [0.5, 1.0, DEFAULT_THROTTLE_BACKOFF_CAP]  # throttling waits briefly: the limiter paces it
    assert len(warnings) == 3
    assert warnings[0].startswith("DescribeCertificate failed (InternalError); retry 1 of 3")
    assert "(reset)" in warnings[1] and "retry 2 of 3" in warnings[1]  # the transport failure, in words
    assert "throttled (RequestLimitExceeded); retry 3 in 1.00s" in warnings[2] and "throttle_timeout" in warnings[2]


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
# Throttling: bounded by a time budget, not by ``retries``


class FakeClock:
    """A monotonic clock that only the injected sleep advances."""

    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


def _throttled(n):
    return [ApiError("LimitExceeded.RateLimitExceeded", "slow down", "rid-%d" % index) for index in range(n)]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("RequestLimitExceeded", True),
        ("RequestLimitExceeded.UinLimitExceeded", True),
        ("RequestLimitExceeded.IPLimitExceeded", True),
        ("LimitExceeded.RateLimitExceeded", True),
        ("LimitExceeded", False),  # a quota, not a rate
        ("InternalError", False),
        ("AuthFailure.SignatureFailure", False),
    ],
)
def test_is_throttling(code, expected):
    assert is_throttling(ApiError(code, "m")) is expected
    assert not is_throttling(TransportError("reset"))


def test_throttling_outlasts_retries_within_the_budget():
    clock, warnings, notes = FakeClock(), [], []
    func = Flaky(*_throttled(20))
    result = call_with_retries(
        func, retries=2, throttle_timeout=300.0, warn=warnings.append, note=notes.append, sleep=clock.sleep, clock=clock, rand=lambda: 1.0, describe="X"
    )
    assert result == "ok"
    assert func.calls == 21  # 20 throttled answers, far more than retries=2
    assert clock.now - 100.0 <= 300.0
    assert len(warnings) == 1 and warnings[0].startswith("X was throttled (LimitExceeded.RateLimitExceeded); retry 1 in 0.50s")
    assert len(notes) == 19  # the repeats go to high verbosity only
    assert max(clock.sleeps) == DEFAULT_THROTTLE_BACKOFF_CAP  # not the 8 s of other failures


def test_throttling_gives_up_when_the_budget_is_spent():
    clock = FakeClock()
    func = Flaky(*_throttled(1000))
    with pytest.raises(ApiError) as caught:
        call_with_retries(func, retries=1, throttle_timeout=60.0, sleep=clock.sleep, clock=clock, rand=lambda: 1.0)
    # 0.5 s, then 1 s each: after 59.5 s of waiting the next attempt would start at 60.5 s > 60 s.
    assert sum(clock.sleeps) == pytest.approx(59.5)
    assert caught.value.attempts == func.calls == 61
    assert caught.value.request_id == "rid-60"


def test_throttle_timeout_zero_falls_back_to_retries():
    clock = FakeClock()
    func = Flaky(*_throttled(10))
    with pytest.raises(ApiError) as caught:
        call_with_retries(func, retries=3, throttle_timeout=0.0, sleep=clock.sleep, clock=clock, rand=lambda: 1.0)
    assert caught.value.attempts == 4


def test_throttling_does_not_use_up_the_retries_of_other_failures():
    clock = FakeClock()
    errors = _throttled(5) + [ApiError("InternalError", "m"), TransportError("reset")] + _throttled(5)
    func = Flaky(*errors)
    assert call_with_retries(func, retries=2, throttle_timeout=300.0, sleep=clock.sleep, clock=clock, rand=lambda: 0.0) == "ok"
    assert func.calls == 13
    func = Flaky(ApiError("InternalError", "m"), *_throttled(3), TransportError("reset"), TransportError("reset"))
    with pytest.raises(TransportError) as caught:
        call_with_retries(func, retries=2, throttle_timeout=300.0, sleep=clock.sleep, clock=clock, rand=lambda: 0.0)
    assert caught.value.attempts == 6  # the third non-throttling failure ends it


def test_the_budget_counts_the_time_spent_in_attempts():
    clock = FakeClock()

    def slow_throttled():
        clock.now += 25.0  # each attempt waits 25 s for its permit and answer
        raise ApiError("RequestLimitExceeded", "m")

    with pytest.raises(ApiError) as caught:
        call_with_retries(slow_throttled, retries=0, throttle_timeout=90.0, sleep=clock.sleep, clock=clock, rand=lambda: 0.0)
    assert caught.value.attempts == 4  # the fourth ends at 100 s, past the 90 s budget: no fifth
