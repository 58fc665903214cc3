"""The 10 requests per second limit, per action and per SecretId, on a sliding one-second window."""

from __future__ import annotations

import time

from ansible_collections.cloudcert.tencent.tests.emulator import TEMP_SECRET_ID, TEMP_SECRET_KEY, TEMP_TOKEN, Emulator
from ansible_collections.cloudcert.tencent.tests.emulator.ratelimit import SlidingWindowLimiter

KEY = ("DescribeCertificate", "AKID")
PARAMS = {"CertificateId": "NoRm0001"}


def test_limiter_window_is_exactly_one_second():
    limiter = SlidingWindowLimiter(10)
    assert all(limiter.try_acquire(KEY, 100.0 + n * 0.1) for n in range(10))
    assert not limiter.try_acquire(KEY, 100.95)
    assert not limiter.try_acquire(KEY, 100.999)
    assert limiter.try_acquire(KEY, 101.0)  # the arrival at 100.0 is a full second old now
    assert not limiter.try_acquire(KEY, 101.05)
    assert limiter.try_acquire(KEY, 101.1)


def test_limiter_throttled_requests_do_not_count():
    limiter = SlidingWindowLimiter(2)
    assert limiter.try_acquire(KEY, 0.0) and limiter.try_acquire(KEY, 0.5)
    assert not any(limiter.try_acquire(KEY, 0.6 + n * 0.01) for n in range(30))
    assert limiter.try_acquire(KEY, 1.0)


def test_limiter_handles_late_reported_arrivals():
    limiter = SlidingWindowLimiter(2)
    assert limiter.try_acquire(KEY, 10.5) and limiter.try_acquire(KEY, 10.9)
    assert not limiter.try_acquire(KEY, 10.2)  # arrived earlier but reached the limiter last
    assert limiter.try_acquire(KEY, 9.0)


def test_limiter_keys_and_zero_limit():
    limiter = SlidingWindowLimiter(1)
    assert limiter.try_acquire(("A", "x"), 0.0)
    assert limiter.try_acquire(("B", "x"), 0.0)
    assert limiter.try_acquire(("A", "y"), 0.0)
    assert not limiter.try_acquire(("A", "x"), 0.1)
    unlimited = SlidingWindowLimiter(0)
    assert all(unlimited.try_acquire(KEY, 0.0) for _n in range(100))


def test_eleventh_request_within_a_second_is_throttled(client, emulator):
    codes = [client.code("DescribeCertificate", PARAMS) for _n in range(11)]
    assert codes == [None] * 10 + ["LimitExceeded.RateLimitExceeded"]
    # other action, other key: separate windows
    assert client.code("DescribeCertificates", {}) is None
    assert client.code("DescribeCertificate", PARAMS, secret_id=TEMP_SECRET_ID, secret_key=TEMP_SECRET_KEY, token=TEMP_TOKEN) is None
    assert emulator.count("DescribeCertificate", "LimitExceeded.RateLimitExceeded") == 1


def test_ten_per_second_are_accepted(client):
    assert [client.code("DescribeCertificate", PARAMS) for _n in range(10)] == [None] * 10
    # Counted from the last answer, not from before the first request: on a loaded machine the emulator may log the
    # first arrivals well after the client sent them, and a window counted from the client's start would still hold them.
    time.sleep(1.05)
    assert [client.code("DescribeCertificate", PARAMS) for _n in range(10)] == [None] * 10


def test_authentication_failures_do_not_count(client):
    for _n in range(15):
        assert client.code("DescribeCertificate", PARAMS, secret_key="wrong") == "AuthFailure.SignatureFailure"
    assert client.code("DescribeCertificate", PARAMS) is None


def test_rate_limit_off_and_reconfigured(make_client):
    with Emulator(rate_limit=0) as emu:
        client = make_client(emu)
        assert all(client.code("DescribeCertificate", PARAMS) is None for _n in range(15))
        emu.configure(rate_limit=2)
        emu.reset()
        assert [client.code("DescribeCertificate", PARAMS) for _n in range(3)] == [None, None, "LimitExceeded.RateLimitExceeded"]
        emu.reset()
        assert client.code("DescribeCertificate", PARAMS) is None
