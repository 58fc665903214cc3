# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""The rate limiter's algorithm, on a plain dict, so that a shared state file and an in-process state share it.

A sliding window of request starts (a burst of ``rate`` at once, then one more each time the oldest of them is a
full window plus ``margin`` old, handed out in time order; ``late`` marks a saturated machine, for which the
facade widens the margin), and an adaptive rate: multiplicative decrease on
throttling, CUBIC-shaped recovery (RFC 8312) while answers succeed. Pure: time is an argument, nothing is read or
written here (``_ratelimit.py`` keeps the state, ``_statefile.py`` the files).
"""

from __future__ import annotations

import math

STATE_VERSION = 2
# Server-side limits are judged on arrival times; 100 ms absorbs scheduling and network jitter
# at a cost of under 10 % of the theoretical rate.
DEFAULT_MARGIN = 0.1
# The adaptive rate never goes below this: throttled callers still make progress.
MIN_RATE = 0.5
# Multiplicative decrease and the cubic's scale (RFC 8312's constants, time in seconds, rate in requests/s).
BETA = 0.7
CUBIC_C = 0.4
# Throttled answers within this long of a decrease belong to the same burst: one decrease for all.
DECREASE_GAP = 1.0
# The wall clock going back by more than this between two callers means a clock step: the log is reset.
CLOCK_SLACK = 1.0
_MAX_STARTS = 1000
# A process that woke late for its turn marks the state; for this long afterwards every caller uses the wider margin.
LATE_MEMORY = 10.0


def new_state() -> dict:
    return {"v": STATE_VERSION, "starts": [], "rate": None, "w_max": None, "t_dec": None, "seen": None, "late": None}


def _finite(value, *, positive: bool = False) -> bool:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return ok and (value > 0 if positive else True)


def valid_state(state) -> bool:
    """True when ``state`` has exactly the shape ``new_state`` starts with (anything else is corrupt)."""
    if not isinstance(state, dict) or state.get("v") != STATE_VERSION or set(state) != set(new_state()):
        return False
    starts = state["starts"]
    if not isinstance(starts, list) or len(starts) > _MAX_STARTS or not all(_finite(s) for s in starts):
        return False
    if any(later < earlier for earlier, later in zip(starts, starts[1:])):
        return False
    for key in ("rate", "w_max"):
        if state[key] is not None and not _finite(state[key], positive=True):
            return False
    return all(state[key] is None or _finite(state[key]) for key in ("t_dec", "seen", "late"))


def current_rate(state: dict, limit: float) -> float:
    """The rate in force: the configured limit, or lower while the API has been throttling."""
    rate = state.get("rate")
    return limit if rate is None else min(limit, rate)


def _capacity_window(rate: float) -> tuple[int, float]:
    # rate 10 -> 10 starts per 1 s; rate 0.5 -> 1 start per 2 s; rate 15.5 -> 15 starts per 1 s.
    capacity = max(1, int(rate))
    return capacity, max(1.0, capacity / float(rate))


def reserve(state: dict, *, now: float, limit: float, margin: float = DEFAULT_MARGIN, horizon: float | None = None) -> float | None:
    """Record and return the earliest start allowed for one more request (``>= now``).

    Up to ``capacity`` requests may start at once (a burst, which is what lets N requests with a long
    round trip finish in about N / rate seconds); the one ``capacity`` places back must be a full
    window (plus ``margin``) older. Reservations are handed out in time order (FIFO).
    With ``horizon``, a start further than that from ``now`` is not recorded and None is returned.
    """
    start = next_start(state, now=now, limit=limit, margin=margin)
    if horizon is not None and start - now > horizon:
        return None
    starts = state["starts"]
    starts.append(start)
    keep = max(_capacity_window(current_rate(state, limit))[0], _capacity_window(limit)[0])
    del starts[:-keep]
    return start


def next_start(state: dict, *, now: float, limit: float, margin: float = DEFAULT_MARGIN) -> float:
    """The earliest start ``reserve`` would hand out now (nothing recorded)."""
    _forget_clock_step(state, now)
    capacity, window = _capacity_window(current_rate(state, limit))
    starts = state["starts"]
    start = now
    if len(starts) >= capacity:
        start = max(start, starts[-capacity] + window + margin)
    if starts:
        start = max(start, starts[-1])
    return start


def _forget_clock_step(state: dict, now: float) -> None:
    """Processes share the wall clock (a monotonic clock's origin is per boot and per time namespace).

    If it stepped back, the recorded starts lie in another timeline: forget them rather than make
    every caller wait for the old one. A step forward only frees the window early, once.
    """
    seen = state.get("seen")
    if seen is not None and now < seen - CLOCK_SLACK:
        state["starts"] = []
        if state.get("t_dec") is not None:
            state["t_dec"] = now
        seen = None
    state["seen"] = now if seen is None else max(seen, now)


def record_late(state: dict, *, now: float) -> None:
    """A caller woke too late to use its turn: the machine is saturated."""
    state["late"] = now


def recently_late(state: dict, *, now: float) -> bool:
    late = state.get("late")
    return late is not None and 0 <= now - late < LATE_MEMORY


def record_throttled(state: dict, *, now: float, limit: float) -> bool:
    """Lower the rate after a throttled answer (once per burst); True when it was lowered."""
    t_dec = state.get("t_dec")
    if t_dec is not None and 0 <= now - t_dec < DECREASE_GAP:
        return False
    rate = current_rate(state, limit)
    state["w_max"] = rate
    state["rate"] = max(MIN_RATE, rate * BETA)
    state["t_dec"] = now
    return True


def record_answered(state: dict, *, now: float, limit: float) -> None:
    """Raise the rate again after an answer that was not throttled.

    CUBIC's curve: quick at first, flat near the rate that was throttled last (``w_max``), then
    probing beyond it; back to the configured limit the curve is dropped.
    """
    if state.get("rate") is None:
        return
    w_max = state.get("w_max") or limit
    t_dec = state.get("t_dec")
    elapsed = 0.0 if t_dec is None else max(0.0, now - t_dec)
    k = (w_max * (1 - BETA) / CUBIC_C) ** (1.0 / 3.0)
    target = CUBIC_C * (elapsed - k) ** 3 + w_max
    rate = max(state["rate"], target)
    state["rate"] = None if rate >= limit else rate
