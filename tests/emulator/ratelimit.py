"""Sliding one-second window rate limiter, keyed by (action, SecretId), like the real API's 10 req/s."""

from __future__ import annotations

import bisect
import threading

WINDOW = 1.0
# Arrival times older than this are dropped; generous so that a request that arrived a little
# earlier but reaches the limiter late still sees every neighbour it must be compared with.
_RETENTION = 5.0


class SlidingWindowLimiter:
    """Accept at most ``limit`` (or the key's action's entry in ``limits``) requests per key within any 1.0 s."""

    def __init__(self, limit: int, limits: dict | None = None) -> None:
        self.limit = limit
        # Per-action limits (by the key's first element) that replace ``limit`` for those actions.
        self.limits = dict(limits or {})
        self._lock = threading.Lock()
        self._arrivals: dict[tuple[str, str], list[float]] = {}

    def try_acquire(self, key: tuple[str, str], arrival: float) -> bool:
        """Record ``arrival`` (time.monotonic) and return True, or return False when the window is full.

        Only accepted requests are recorded, so a throttled client is not punished twice.
        """
        limit = self.limits.get(key[0], self.limit)
        if limit <= 0:
            return True
        with self._lock:
            times = self._arrivals.setdefault(key, [])
            del times[: bisect.bisect_left(times, arrival - _RETENTION)]
            # Count accepted arrivals in (arrival - 1 s, arrival + 1 s): requests are handled
            # concurrently, so a neighbour that arrived just after us may already be recorded.
            low = bisect.bisect_right(times, arrival - WINDOW)
            high = bisect.bisect_left(times, arrival + WINDOW)
            if self._window_full(times[low:high], arrival, limit):
                return False
            bisect.insort(times, arrival)
            return True

    def _window_full(self, neighbours: list[float], arrival: float, limit: int) -> bool:
        """True when adding ``arrival`` would put more than ``limit`` arrivals into some 1 s window."""
        candidate = sorted(neighbours + [arrival])
        start = 0
        for end, value in enumerate(candidate):
            while value - candidate[start] >= WINDOW:
                start += 1
            if end - start + 1 > limit and candidate[start] <= arrival <= value:
                return True
        return False

    def reset(self) -> None:
        """Forget every recorded arrival."""
        with self._lock:
            self._arrivals.clear()
