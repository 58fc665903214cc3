# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The machine-wide rate limiter: the window algorithm and the adaptive rate with fake clocks, and the
shared state file with real processes hammering it."""

from __future__ import annotations

import bisect
import json
import multiprocessing
import os
import stat
import threading
import time

import pytest
from ansible_collections.cloudcert.tencent.plugins.module_utils import _ratelimit, _statefile
from ansible_collections.cloudcert.tencent.plugins.module_utils._ratelimit import ENV_STATE_DIR, SharedRateLimiter, default_state_dir, state_file_name
from ansible_collections.cloudcert.tencent.plugins.module_utils._throttle import (
    BETA,
    CUBIC_C,
    DECREASE_GAP,
    MIN_RATE,
    current_rate,
    new_state,
    record_answered,
    record_throttled,
    reserve,
    valid_state,
)
from hypothesis import given, settings
from hypothesis import strategies as st

KEY_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"


class FakeClock:
    def __init__(self, start=1000.0):
        self.now = start

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        self.now += seconds


def _starts_for(rate, arrivals, margin=0.0, state=None):
    """Callers arriving at ``arrivals`` reserve in arrival order; returns the starts they were given."""
    state = new_state() if state is None else state
    starts = []
    for arrival in sorted(arrivals):
        start = reserve(state, now=arrival, limit=rate, margin=margin)
        assert start >= arrival
        starts.append(start)
    return starts


def _max_in_window(starts, window=1.0):
    starts = sorted(starts)
    return max(bisect.bisect_left(starts, s + window - 1e-9) - i for i, s in enumerate(starts)) if starts else 0


# ---------------------------------------------------------------------------------------------------------------
# The window


def test_burst_is_allowed_then_waits():
    assert _starts_for(10, [0.0] * 11) == [0.0] * 10 + [1.0]


def test_fractional_rate_half_per_second():
    assert _starts_for(0.5, [0.0] * 4) == pytest.approx([0.0, 2.0, 4.0, 6.0])


def test_fractional_rate_above_one():
    starts = _starts_for(2.5, [0.0] * 6)
    assert _max_in_window(starts) <= 2.5  # capacity 2 per window of 0.8 s
    assert starts[:2] == [0.0, 0.0]


def test_margin_widens_window():
    assert _starts_for(10, [0.0] * 11, margin=0.1)[10] == pytest.approx(1.1)


def test_the_log_keeps_only_what_the_window_needs():
    state = new_state()
    _starts_for(10, [n * 0.01 for n in range(500)], state=state)
    assert len(state["starts"]) == 10
    assert valid_state(state)


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
    assert all(later >= earlier for earlier, later in zip(starts, starts[1:]))  # FIFO
    assert _max_in_window(starts) <= max(1, int(rate))
    assert _max_in_window(starts) <= max(rate, 1)


def test_threads_of_one_process_share_the_limit(tmp_path):
    clock = FakeClock(0.0)
    granted, lock = [], threading.Lock()
    limiter = SharedRateLimiter(5, host="h", scope=lambda: "key x", directory=str(tmp_path), margin=0.0, clock=clock, sleep=lambda s: None)
    original = limiter._transact

    def record(action, change):
        result = original(action, change)
        if isinstance(result, tuple):
            with lock:
                granted.append(result[0])
        return result

    limiter._transact = record
    threads = [threading.Thread(target=limiter.acquire, args=("A",)) for _index in range(23)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(granted) == pytest.approx([float(n // 5) for n in range(23)])


def test_a_turn_woken_late_is_given_up_so_arrivals_stay_within_the_rate():
    """A saturated CPU wakes a caller after its turn: it must not arrive within one second of the turns reserved a
    window after its own (the "11 arrivals in one second" of a 2-core controller at forks 50)."""
    clock = FakeClock(0.0)
    arrivals = []
    limiter = SharedRateLimiter(10, host="h", scope=lambda: "key x", shared=False, margin=0.1, clock=clock, sleep=lambda s: None)

    def others_then_wake_late(seconds):
        # While A sleeps, nineteen other callers reserve and arrive on time; A wakes 0.35 s after its turn.
        woke = clock.now + seconds + 0.35
        clock.now += seconds
        for _other in range(19):
            turn = {}
            limiter._sleep = lambda wait, turn=turn: turn.setdefault("at", clock.now + wait)
            limiter.acquire("A")
            arrivals.append(turn.get("at", clock.now))
        clock.now = woke
        limiter._sleep = lambda wait: setattr(clock, "now", clock.now + wait)

    for _burst in range(10):
        limiter.acquire("A")
        arrivals.append(clock.now)
    limiter._sleep = others_then_wake_late
    limiter.acquire("A")
    arrivals.append(clock.now)
    assert limiter.late_turns == 1
    assert _max_in_window(arrivals) <= 10, sorted(arrivals)


def test_a_late_wake_widens_the_window_for_the_machine_for_a_while():
    clock = FakeClock(0.0)
    limiter = SharedRateLimiter(10, host="h", scope=lambda: "key x", shared=False, loaded_margin=0.35, clock=clock, sleep=clock.sleep)
    for _turn in range(11):
        limiter.acquire("A")
    assert clock.now == pytest.approx(1.1)  # idle: the narrow margin
    overslept = iter([0.2])
    limiter._sleep = lambda seconds: setattr(clock, "now", clock.now + seconds + next(overslept, 0.0))
    for _turn in range(10):
        limiter.acquire("A")
    assert limiter.late_turns == 1
    # From the late wake on, a second burst is 1.35 s after the previous one.
    before = clock.now
    for _turn in range(10):
        limiter.acquire("A")
    assert clock.now - before == pytest.approx(1.35, abs=0.01)
    clock.now += 11.0  # the mark fades
    before = clock.now
    for _turn in range(11):
        limiter.acquire("A")
    assert clock.now - before == pytest.approx(1.1, abs=0.01)


def test_rate_must_be_positive():
    for rate in (0, -1, -0.5):
        with pytest.raises(ValueError):
            SharedRateLimiter(rate, host="h", scope=lambda: "k")


def test_a_clock_step_back_forgets_the_old_timeline():
    state = new_state()
    _starts_for(10, [1000.0] * 25, state=state)  # reservations up to ~1002 s
    assert reserve(state, now=1000.0, limit=10) > 1001.0
    assert reserve(state, now=500.0, limit=10) == 500.0  # the wall clock went back 500 s: no 500 s wait
    assert valid_state(state)


# ---------------------------------------------------------------------------------------------------------------
# The adaptive rate


def test_throttling_lowers_the_rate_once_per_burst():
    state = new_state()
    assert record_throttled(state, now=10.0, limit=10)
    assert current_rate(state, 10) == pytest.approx(10 * BETA)
    for offset in (0.0, 0.3, DECREASE_GAP - 0.01):
        assert not record_throttled(state, now=10.0 + offset, limit=10)  # the same burst's other answers
    assert record_throttled(state, now=10.0 + DECREASE_GAP, limit=10)
    assert current_rate(state, 10) == pytest.approx(10 * BETA * BETA)


def test_the_rate_never_drops_below_the_floor():
    state = new_state()
    for index in range(50):
        record_throttled(state, now=index * 2.0, limit=10)
    assert current_rate(state, 10) == MIN_RATE
    starts = _starts_for(10, [200.0] * 4, state=state)
    assert starts == pytest.approx([200.0, 202.0, 204.0, 206.0])  # 0.5/s: one start per 2 s


def test_a_lowered_rate_narrows_the_burst():
    state = new_state()
    record_throttled(state, now=0.0, limit=10)  # 7/s
    starts = _starts_for(10, [0.5] * 8, state=state)
    assert starts[:7] == [0.5] * 7 and starts[7] == pytest.approx(1.5)


def test_answers_raise_the_rate_along_the_cubic_back_to_the_limit():
    state = new_state()
    record_throttled(state, now=0.0, limit=10)
    k = (10 * (1 - BETA) / CUBIC_C) ** (1 / 3)
    record_answered(state, now=k / 2, limit=10)
    middle = current_rate(state, 10)
    assert 7.0 < middle < 10.0
    record_answered(state, now=k / 4, limit=10)  # an answer reported late never lowers the rate
    assert current_rate(state, 10) == middle
    record_answered(state, now=k - 0.01, limit=10)
    assert 9.9 < current_rate(state, 10) < 10.0
    record_answered(state, now=k + 3.0, limit=10)
    assert state["rate"] is None and current_rate(state, 10) == 10  # back to the configured limit


def test_while_adapting_turns_are_reserved_only_a_short_way_ahead():
    state = new_state()
    for index in range(20):
        record_throttled(state, now=index * 2.0, limit=10)  # down to 0.5/s: one start per 2 s
    assert reserve(state, now=100.0, limit=10, horizon=1.0) == 100.0
    assert reserve(state, now=100.0, limit=10, horizon=1.0) is None  # 102.1 s is beyond the horizon: ask again later
    assert reserve(state, now=101.5, limit=10, horizon=1.0) == pytest.approx(102.1)  # 2 s + the margin
    assert len(state["starts"]) == 2


def test_waiters_get_the_recovered_rate_at_once(tmp_path):
    clock = FakeClock()
    limiter = _limiter(tmp_path, clock=clock, sleep=clock.sleep, margin=0.0)
    for _index in range(20):
        limiter.throttled("A")
        clock.now += 1.0
    assert limiter.rate_for("A") == MIN_RATE
    limiter.acquire("A")
    limiter.acquire("A")  # 0.5/s: waits 2 s, asking again within the horizon instead of queueing far ahead
    assert clock.now == pytest.approx(1022.0)
    clock.now += 10.0
    limiter.answered("A")  # calm for 10 s: back to 10/s
    assert limiter.rate_for("A") == 10.0
    before = clock.now
    for _index in range(9):
        limiter.acquire("A")
    assert clock.now == before  # a burst again: no turn reserved at the low rate lingers


def test_answers_without_throttling_change_nothing():
    state = new_state()
    record_answered(state, now=5.0, limit=10)
    assert state == dict(new_state(), seen=None)


def test_the_configured_limit_caps_the_shared_rate():
    state = new_state()
    record_throttled(state, now=0.0, limit=10)  # another process with rate_limit 10 lowered it to 7
    assert current_rate(state, 5) == 5  # ours is 5: never above our own option


@pytest.mark.parametrize(
    "state",
    [
        None,
        [],
        {"v": 99},
        dict(new_state(), starts=[3.0, 1.0]),
        dict(new_state(), starts=["x"]),
        dict(new_state(), rate=-1.0),
        dict(new_state(), rate=float("nan")),
        dict(new_state(), t_dec=True),
        dict(new_state(), extra=1),
        dict(new_state(), starts=[0.0] * 5000),
    ],
)
def test_invalid_states_are_recognised(state):
    assert not valid_state(state)


# ---------------------------------------------------------------------------------------------------------------
# The state files


def test_state_file_names_hide_the_key_and_separate_what_the_api_separates():
    name = state_file_name(scope="key " + KEY_ID, host="SSL.tencentcloudapi.com", action="DescribeCertificate")
    assert KEY_ID not in name and "ssl" not in name.lower().replace(".json", "")
    assert name == state_file_name(scope="key " + KEY_ID, host="ssl.tencentcloudapi.com", action="DescribeCertificate")
    others = {
        state_file_name(scope="key AKIDother", host="ssl.tencentcloudapi.com", action="DescribeCertificate"),
        state_file_name(scope="key " + KEY_ID, host="ssl.intl.tencentcloudapi.com", action="DescribeCertificate"),
        state_file_name(scope="key " + KEY_ID, host="ssl.tencentcloudapi.com", action="DescribeCertificates"),
    }
    assert name not in others and len(others) == 3


def test_default_directory(monkeypatch, tmp_path):
    assert default_state_dir({ENV_STATE_DIR: "/x/y"}) == "/x/y"
    assert default_state_dir({"XDG_RUNTIME_DIR": "/run/user/1000"}) == "/run/user/1000/cloudcert.tencent/ratelimit"
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_state_dir({"XDG_RUNTIME_DIR": "relative"}) == str(tmp_path / ".cache" / "cloudcert.tencent" / "ratelimit")
    assert default_state_dir({}) == str(tmp_path / ".cache" / "cloudcert.tencent" / "ratelimit")


def _limiter(directory, notes=None, **kwargs):
    kwargs.setdefault("scope", lambda: "key " + KEY_ID)
    return SharedRateLimiter(10, host="ssl.tencentcloudapi.com", directory=str(directory), note=None if notes is None else notes.append, **kwargs)


def test_files_are_owner_only_and_hold_no_key(tmp_path):
    directory = tmp_path / "state"
    limiter = _limiter(directory)
    limiter.acquire("DescribeCertificate")
    limiter.throttled("DescribeCertificate")
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    (path,) = list(directory.iterdir())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert KEY_ID not in text and KEY_ID[:8] not in text and "DescribeCertificate" not in text
    assert valid_state(json.loads(text))
    assert json.loads(text)["rate"] == pytest.approx(7.0)


def test_loose_permissions_of_our_own_files_are_tightened(tmp_path):
    directory = tmp_path / "state"
    _limiter(directory).acquire("A")
    (path,) = list(directory.iterdir())
    directory.chmod(0o755)
    path.chmod(0o644)
    _limiter(directory).acquire("A")
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_second_limiter_of_the_machine_sees_the_first_ones_starts(tmp_path):
    clock = FakeClock()
    first = _limiter(tmp_path, clock=clock, sleep=clock.sleep, margin=0.0)
    second = _limiter(tmp_path, clock=clock, sleep=clock.sleep, margin=0.0)
    for _index in range(10):
        first.acquire("DescribeCertificate")
    assert clock.now == 1000.0
    second.acquire("DescribeCertificate")  # another process of the same key: it waits for the window
    assert clock.now == pytest.approx(1001.0)
    other_key = _limiter(tmp_path, clock=clock, sleep=clock.sleep, scope=lambda: "key AKIDother")
    other_key.acquire("DescribeCertificate")
    other_action = _limiter(tmp_path, clock=clock, sleep=clock.sleep)
    other_action.acquire("DescribeCertificates")
    assert clock.now == pytest.approx(1001.0)  # neither waited


def test_the_adaptive_rate_is_shared_by_the_machine(tmp_path):
    clock = FakeClock()
    first = _limiter(tmp_path, clock=clock, sleep=clock.sleep)
    second = _limiter(tmp_path, clock=clock, sleep=clock.sleep)
    first.throttled("DescribeCertificate")
    assert second.rate_for("DescribeCertificate") == pytest.approx(7.0)
    second.acquire("DescribeCertificate")  # learns that the rate is lowered, so answers now raise it
    clock.now += 10.0
    second.answered("DescribeCertificate")
    assert first.rate_for("DescribeCertificate") == 10.0


def test_a_corrupt_state_is_reset_with_a_note(tmp_path):
    notes = []
    limiter = _limiter(tmp_path, notes)
    limiter.acquire("A")
    (path,) = list(tmp_path.iterdir())
    for garbage in (b"{not json", b"\xff\xfe", b'{"v": 1}', b"[]" * 40000):
        path.write_bytes(garbage)
        limiter.acquire("A")
        assert valid_state(json.loads(path.read_text()))
    assert len(notes) == 4 and all("unreadable and has been reset" in note for note in notes)


def test_a_foreign_state_file_falls_back_to_this_process(tmp_path, monkeypatch):
    notes = []
    _limiter(tmp_path).acquire("A")
    (path,) = list(tmp_path.iterdir())
    before = path.read_bytes()
    real_uid = os.getuid()
    limiter = _limiter(tmp_path, notes)
    limiter._open("A")  # the directory is checked while we still own it
    limiter._directory_ok = True
    monkeypatch.setattr(_ratelimit.os, "getuid", lambda: real_uid + 1)  # now every file "belongs to another user"
    for _index in range(3):
        limiter.acquire("A")
    monkeypatch.undo()
    assert path.read_bytes() == before  # never written
    assert len(notes) == 1 and "belongs to another user" in notes[0] and "pacing this process alone" in notes[0]


def test_a_foreign_directory_falls_back(tmp_path, monkeypatch):
    notes = []
    real_uid = os.getuid()
    monkeypatch.setattr(_ratelimit.os, "getuid", lambda: real_uid + 1)
    limiter = _limiter(tmp_path / "d", notes)
    limiter.acquire("A")
    limiter.acquire("B")
    monkeypatch.undo()
    assert list((tmp_path / "d").iterdir()) == []
    assert len(notes) == 1 and "belongs to another user" in notes[0]


def test_a_symlinked_state_falls_back_and_is_not_followed(tmp_path):
    notes = []
    target = tmp_path / "elsewhere.json"
    target.write_text("precious")
    directory = tmp_path / "state"
    directory.mkdir(mode=0o700)
    name = state_file_name(scope="key " + KEY_ID, host="ssl.tencentcloudapi.com", action="A")
    (directory / name).symlink_to(target)
    _limiter(directory, notes).acquire("A")
    assert target.read_text() == "precious"
    assert len(notes) == 1 and "symbolic link" in notes[0]
    linked = tmp_path / "linked"
    linked.symlink_to(directory)
    _limiter(linked, notes).acquire("A")
    assert "not a plain directory" in notes[1]


def test_an_unwritable_directory_falls_back(tmp_path):
    notes = []
    blocker = tmp_path / "file"
    blocker.write_text("")
    limiter = _limiter(blocker / "ratelimit", notes)  # a path below a plain file can never be created
    clock = FakeClock()
    limiter._clock, limiter._sleep = clock, clock.sleep
    for _index in range(11):
        limiter.acquire("A")
    assert clock.now > 1000.0  # still paced, by this process alone
    assert len(notes) == 1 and "cannot be used" in notes[0]


def test_a_lock_held_too_long_falls_back(tmp_path):
    import fcntl

    notes = []
    limiter = _limiter(tmp_path, notes)
    limiter.acquire("A")
    (path,) = list(tmp_path.iterdir())
    with open(path, "rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        limiter._states["A"]._lock_wait = 0.05
        limiter.acquire("A")
    assert len(notes) == 1 and "lock was held" in notes[0]


def test_stale_state_files_are_swept(tmp_path):
    import fcntl

    stale, fresh, busy, foreign = (tmp_path / (name + ".json") for name in ("stale", "fresh", "busy", "other"))
    for path in (stale, fresh, busy):
        path.write_text("{}")
    foreign.symlink_to(fresh)
    old = time.time() - _ratelimit.STALE_AFTER - 10
    for path in (stale, busy):
        os.utime(path, (old, old))
    with open(busy, "rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # someone is using it right now
        _statefile.sweep_stale(str(tmp_path), now=time.time(), stale_after=_ratelimit.STALE_AFTER)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy.json", "fresh.json", "other.json"]


def test_a_file_swept_while_we_wait_for_its_lock_is_not_used(tmp_path):
    import fcntl

    limiter = _limiter(tmp_path)
    limiter.acquire("A")
    (path,) = list(tmp_path.iterdir())
    with open(path, "rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        waiter = threading.Thread(target=limiter.acquire, args=("A",))
        waiter.start()
        time.sleep(0.2)  # the waiter has opened the file and polls for the lock
        path.unlink()
    waiter.join(timeout=10)
    assert path.exists() and len(json.loads(path.read_text())["starts"]) == 1  # the new file got the reservation


# ---------------------------------------------------------------------------------------------------------------
# Real processes on one state file


def _hammer(directory, rate, count, go, results):
    limiter = SharedRateLimiter(rate, host="127.0.0.1:1", scope=lambda: "key " + KEY_ID, directory=directory)
    go.wait()
    starts = []
    for _index in range(count):
        limiter.acquire("DescribeCertificate")
        starts.append(time.time())
    results.put((os.getpid(), starts))


def _run_processes(directory, *, processes, rate, count):
    context = multiprocessing.get_context("fork")
    go, results = context.Event(), context.Queue()
    workers = [context.Process(target=_hammer, args=(directory, rate, count, go, results)) for _index in range(processes)]
    for worker in workers:
        worker.start()
    time.sleep(0.3)  # every process is ready: they all ask at once
    go.set()
    collected = [results.get(timeout=120) for _index in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    return collected


def test_processes_never_exceed_the_rate_together_and_none_starves(tmp_path):
    rate, processes, count = 10, 8, 6
    collected = _run_processes(str(tmp_path), processes=processes, rate=rate, count=count)
    starts = sorted(t for _pid, times in collected for t in times)
    assert len(starts) == processes * count
    assert _max_in_window(starts) <= rate  # 48 starts by 8 processes, never more than 10 in any second
    span = starts[-1] - starts[0]
    assert span >= (processes * count / rate - 1) * 0.99  # they really were held back
    assert span <= processes * count / rate * 1.1 + 1.5  # ... and not much more than the rate demands
    # Fairness: reservations are FIFO, so each process waits about one round (processes / rate) per permit.
    round_trip = processes / rate * 1.1
    for _pid, times in collected:
        gaps = [later - earlier for earlier, later in zip(times, times[1:])]
        assert max(gaps) <= 2 * round_trip + 0.3, gaps


def test_processes_with_a_throttled_neighbour_slow_down_together(tmp_path):
    limiter = SharedRateLimiter(10, host="127.0.0.1:1", scope=lambda: "key " + KEY_ID, directory=str(tmp_path))
    limiter.acquire("DescribeCertificate")
    limiter.throttled("DescribeCertificate")  # 7/s for everyone, recovering only as answers come (none here)
    collected = _run_processes(str(tmp_path), processes=4, rate=10, count=7)
    starts = sorted(t for _pid, times in collected for t in times)
    assert _max_in_window(starts) <= 7
