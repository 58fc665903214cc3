# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""One request rate per (API key, endpoint, action) for every process of the user on this machine.

Forks, concurrent ``ansible-playbook`` runs, the lookup and the module each are processes, so the
limit lives in a small owner-only state file per (key id hash, endpoint host, action), changed
under ``flock``. A caller reserves the earliest start allowed by the last reservations, writes it
back, lets go of the lock and sleeps until its slot: reservations are handed out in order, so no
caller starves, and a caller that dies only wastes its slot. The same file holds an adaptive rate
(multiplicative decrease on throttling, CUBIC-shaped recovery while answers succeed) so that every
process of the machine slows down together when other machines share the account.

Standard library only; the clock and sleep are injectable. Nothing here ever fails a request: a
state that cannot be used safely (another owner, a symlink, no write access, a lock held too long)
falls back to an in-process limiter with a note for high verbosity.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import math
import os
import stat
import threading
import time

STATE_VERSION = 1
# Where the state files live when set (tests, and people whose runtime directory is unusual).
ENV_STATE_DIR = "CLOUDCERT_TENCENT_RATELIMIT_DIR"

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
# While the rate is lowered, turns are reserved at most this far ahead (see SharedRateLimiter.acquire).
ADAPTIVE_HORIZON = 1.0
# The wall clock going back by more than this between two callers means a clock step: the log is reset.
CLOCK_SLACK = 1.0
# How long a caller waits for the state lock before pacing itself alone (the critical section is microseconds).
LOCK_WAIT = 10.0
# State files nobody wrote for this long hold nothing that still matters (starts expire within seconds,
# the adaptive rate recovers within a minute): they are removed, so per-endpoint files do not pile up.
STALE_AFTER = 3600.0
_MAX_STARTS = 1000
_MAX_STATE_BYTES = 64 * 1024


class StateFileError(Exception):
    """The shared state cannot be used safely; the caller falls back to its in-process state."""


def default_state_dir(env=None) -> str:
    """``$XDG_RUNTIME_DIR/cloudcert.tencent/ratelimit`` (tmpfs, per user), else ``~/.cache/cloudcert.tencent/ratelimit``."""
    env = os.environ if env is None else env
    if env.get(ENV_STATE_DIR):
        return env[ENV_STATE_DIR]
    runtime = env.get("XDG_RUNTIME_DIR")
    base = runtime if runtime and os.path.isabs(runtime) else os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "cloudcert.tencent", "ratelimit")


def state_file_name(*, scope: str, host: str, action: str) -> str:
    """A name that says nothing about the key: a hash of (version, key scope, endpoint host, action)."""
    material = json.dumps([STATE_VERSION, scope, host.lower(), action], separators=(",", ":"))
    return hashlib.sha256(material.encode("utf-8")).hexdigest() + ".json"


# ---------------------------------------------------------------------------------------------------------
# The algorithm, on a plain dict so that the file and the in-process state share it.


def new_state() -> dict:
    return {"v": STATE_VERSION, "starts": [], "rate": None, "w_max": None, "t_dec": None, "seen": None}


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
    return all(state[key] is None or _finite(state[key]) for key in ("t_dec", "seen"))


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


# ---------------------------------------------------------------------------------------------------------
# Where the state lives: one file per key (shared by the machine) or a dict (this process only).


class MemoryState:
    """The per-process fallback: the same algorithm on a dict under a thread lock."""

    def __init__(self) -> None:
        self._state = new_state()
        self._lock = threading.Lock()

    def transact(self, change):
        with self._lock:
            return change(self._state)


class FileState:
    """One owner-only JSON file, read, changed and written back under an exclusive ``flock``.

    Each transaction opens its own descriptor, so threads of one process exclude each other the
    same way processes do. The file is rewritten in place (never replaced) so the lock stays on it.
    """

    def __init__(self, path: str, *, note=None, lock_wait: float = LOCK_WAIT) -> None:
        self.path = path
        self._note = note
        self._lock_wait = lock_wait

    def transact(self, change):
        for _attempt in range(3):
            fd = self._open_locked()
            try:
                if os.fstat(fd).st_nlink == 0:
                    continue  # swept as stale between our open and our lock: take the file that is there now
                state = self._read(fd)
                result = change(state)
                data = json.dumps(state, separators=(",", ":")).encode("ascii")
                os.pwrite(fd, data, 0)
                os.ftruncate(fd, len(data))
                return result
            except OSError as exc:
                raise StateFileError(_why(exc)) from None
            finally:
                # Unlock explicitly: a child forked meanwhile would hold a copy of the descriptor.
                with contextlib.suppress(OSError):
                    fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
        raise StateFileError("it keeps being removed")

    def _open_locked(self) -> int:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o600)
        except OSError as exc:
            raise StateFileError(_why(exc)) from None
        try:
            _check_owned_file(fd)
            self._lock(fd)
        except (OSError, StateFileError) as exc:
            os.close(fd)
            raise exc if isinstance(exc, StateFileError) else StateFileError(_why(exc)) from None
        return fd

    def _lock(self, fd: int) -> None:
        """Poll a non-blocking lock: a process stopped while holding it must not stop everyone else."""
        deadline = time.monotonic() + self._lock_wait
        pause = 0.0005
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StateFileError("its lock was held for more than %.0fs" % self._lock_wait) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.01)

    def _read(self, fd: int) -> dict:
        raw = os.pread(fd, _MAX_STATE_BYTES + 1, 0)
        if not raw:
            return new_state()
        try:
            state = json.loads(raw.decode("ascii"))
        except ValueError:
            state = None
        if len(raw) > _MAX_STATE_BYTES or not valid_state(state):
            # Our own file under our lock: starting afresh is safe; the next writer repairs it.
            if self._note is not None:
                self._note("cloudcert.tencent: the rate-limit state %s was unreadable and has been reset" % self.path)
            return new_state()
        return state


def _check_owned_file(fd: int) -> None:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise StateFileError("it is not a regular file")
    if info.st_uid != os.getuid():
        # Another user's file could be used to slow us down or to learn our request times.
        raise StateFileError("it belongs to another user")
    if info.st_mode & 0o077:
        os.fchmod(fd, 0o600)


def _why(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "it is a symbolic link"
    return exc.strerror or str(exc)


def sweep_stale(directory: str, *, now: float, stale_after: float = STALE_AFTER) -> None:
    """Remove our state files that nobody wrote for ``stale_after`` seconds (each under its lock)."""
    try:
        names = [name for name in os.listdir(directory) if name.endswith(".json")]
    except OSError:
        return
    for name in names:
        path = os.path.join(directory, name)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            info = os.fstat(fd)
            if stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid() and now - info.st_mtime > stale_after:
                os.unlink(path)
        except OSError:
            pass  # in use or not ours: leave it
        finally:
            os.close(fd)


def prepare_directory(directory: str) -> None:
    """Create the state directory owner-only, or raise StateFileError when it cannot be trusted."""
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        info = os.lstat(directory)
    except OSError as exc:
        raise StateFileError(_why(exc)) from None
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise StateFileError("it is not a plain directory")
    if info.st_uid != os.getuid():
        raise StateFileError("it belongs to another user")
    if info.st_mode & 0o077:
        try:
            os.chmod(directory, 0o700)
        except OSError as exc:
            raise StateFileError(_why(exc)) from None


# ---------------------------------------------------------------------------------------------------------


class SharedRateLimiter:
    """At most ``rate`` request starts per sliding second per action, for the whole machine.

    ``scope()`` names the caller's account without secrets (a key id, or a CVM role); it is hashed into
    the file name, read on the first request only. ``shared=False`` keeps the state in this process
    (what every caller falls back to when the shared state is unusable). ``note(text)`` receives the
    fallback reasons; it is meant for high verbosity only.
    """

    def __init__(
        self,
        rate: float,
        *,
        host: str,
        scope,
        directory: str | None = None,
        shared: bool = True,
        note=None,
        margin: float = DEFAULT_MARGIN,
        clock=time.time,
        sleep=time.sleep,
    ) -> None:
        if not rate > 0:
            raise ValueError("rate must be > 0")
        self.rate = float(rate)
        self.host = host
        self.margin = margin
        self._scope = scope
        self._directory = directory
        self._shared = shared
        self._note = note
        self._clock = clock
        self._sleep = sleep
        self._states: dict = {}
        self._adapting: dict = {}
        self._lock = threading.Lock()
        self._directory_ok: bool | None = None

    # -- where the state of one action lives

    def _state_for(self, action: str):
        with self._lock:
            state = self._states.get(action)
            if state is None:
                state = self._states[action] = self._open(action)
            return state

    def _open(self, action: str):
        if not self._shared:
            return MemoryState()
        directory = self._directory or default_state_dir()
        if self._directory_ok is None:
            try:
                prepare_directory(directory)
                self._directory_ok = True
                sweep_stale(directory, now=time.time())
            except StateFileError as exc:
                self._directory_ok = False
                self._tell("the rate-limit directory %s cannot be used (%s)" % (directory, exc))
        if not self._directory_ok:
            return MemoryState()
        name = state_file_name(scope=str(self._scope()), host=self.host, action=action)
        return FileState(os.path.join(directory, name), note=self._note)

    def _transact(self, action: str, change):
        state = self._state_for(action)
        try:
            return state.transact(change)
        except StateFileError as exc:
            fallback = MemoryState()
            with self._lock:
                self._states[action] = fallback
            self._tell("the rate-limit state %s cannot be used (%s)" % (getattr(state, "path", "?"), exc))
            return fallback.transact(change)

    def _tell(self, text: str) -> None:
        if self._note is not None:
            self._note("cloudcert.tencent: %s; pacing this process alone" % text)

    # -- the interface the client uses

    def acquire(self, action: str | None = None) -> None:
        """Wait for this request's turn (called right before it is written to the connection).

        At the configured rate every caller reserves its turn at once, however far ahead (FIFO). While
        the rate is lowered, turns are reserved at most ``ADAPTIVE_HORIZON`` ahead and the others ask
        again then: turns reserved at a low rate must not outlive it once answers raise it again.
        """
        action = action or "-"

        def change(state):
            now = self._clock()
            adapting = state["rate"] is not None
            start = reserve(state, now=now, limit=self.rate, margin=self.margin, horizon=ADAPTIVE_HORIZON if adapting else None)
            return start, adapting, now if start is not None else next_start(state, now=now, limit=self.rate, margin=self.margin)

        while True:
            start, adapting, later = self._transact(action, change)
            self._adapting[action] = adapting
            if start is not None:
                break
            self._sleep(max(0.01, min(ADAPTIVE_HORIZON, later - ADAPTIVE_HORIZON - self._clock())))
        wait = start - self._clock()
        if wait > 0:
            self._sleep(wait)

    def throttled(self, action: str | None = None) -> None:
        """The API answered this action with throttling: lower the machine's rate."""
        action = action or "-"
        lowered = self._transact(action, lambda state: record_throttled(state, now=self._clock(), limit=self.rate))
        self._adapting[action] = True
        if lowered and self._note is not None:
            self._note("cloudcert.tencent: %s was throttled; this machine now sends it at a lower rate" % action)

    def answered(self, action: str | None = None) -> None:
        """An answer that was not throttling: raise the rate again if it was lowered."""
        action = action or "-"
        # No lock round trip while the rate is the configured one (the common case).
        if not self._adapting.get(action):
            return

        def change(state):
            record_answered(state, now=self._clock(), limit=self.rate)
            return state["rate"] is not None

        self._adapting[action] = self._transact(action, change)

    def rate_for(self, action: str | None = None) -> float:
        """The rate in force for ``action`` (for tests and diagnostics)."""
        return self._transact(action or "-", lambda state: current_rate(state, self.rate))
