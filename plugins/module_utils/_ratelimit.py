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

The algorithm is ``_throttle.py``, the files ``_statefile.py``; this is where they meet. Standard library
only; the clock and sleep are injectable. Nothing here ever fails a request: a state that cannot be used
safely (another owner, a symlink, no write access, a lock held too long) falls back to an in-process
limiter with a note for high verbosity.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time

from ansible_collections.cloudcert.tencent.plugins.module_utils._statefile import (
    StateFileError,
    locked,
    prepare_directory,
    read_json,
    rewrite_json,
    sweep_stale,
    why,
)
from ansible_collections.cloudcert.tencent.plugins.module_utils._throttle import (
    DEFAULT_MARGIN,
    STATE_VERSION,
    current_rate,
    new_state,
    next_start,
    recently_late,
    record_answered,
    record_late,
    record_throttled,
    reserve,
    valid_state,
)

# Where the state files live when set (tests, and people whose runtime directory is unusual).
ENV_STATE_DIR = "CLOUDCERT_TENCENT_RATELIMIT_DIR"
# While the rate is lowered, turns are reserved at most this far ahead (see SharedRateLimiter.acquire).
ADAPTIVE_HORIZON = 1.0
# A turn is used only if its process wakes at most this long after it (later, it takes a new turn).
LATE_AFTER = 0.05
# The margin while this machine's processes wake late for their turns (its CPUs are saturated): arrivals are then
# judged by a server whose own reading of them may lag as well (a proxy, an emulator on the same machine), so the
# window widens for everyone sharing the state. Such a machine is slower than the API's floor anyway, so the wider
# window costs no time; an idle machine keeps the narrow one.
LOADED_MARGIN = 0.35
# How long a caller waits for the state lock before pacing itself alone (the critical section is microseconds).
LOCK_WAIT = 10.0
# State files nobody wrote for this long hold nothing that still matters (starts expire within seconds,
# the adaptive rate recovers within a minute): they are removed, so per-endpoint files do not pile up.
STALE_AFTER = 3600.0
_MAX_STATE_BYTES = 64 * 1024


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
            with locked(self.path, wait=self._lock_wait) as fd:
                try:
                    if os.fstat(fd).st_nlink == 0:
                        continue  # swept as stale between our open and our lock: take the file that is there now
                    state = self._read(fd)
                    result = change(state)
                    rewrite_json(fd, state)
                except OSError as exc:
                    raise StateFileError(why(exc)) from None
                return result
        raise StateFileError("it keeps being removed")

    def _read(self, fd: int) -> dict:
        if not os.fstat(fd).st_size:
            return new_state()
        state = read_json(fd, max_bytes=_MAX_STATE_BYTES)
        if not valid_state(state):
            # Our own file under our lock: starting afresh is safe; the next writer repairs it.
            if self._note is not None:
                self._note("cloudcert.tencent: the rate-limit state %s was unreadable and has been reset" % self.path)
            return new_state()
        return state


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
        loaded_margin: float | None = None,
        rates: dict | None = None,
        clock=time.time,
        sleep=time.sleep,
    ) -> None:
        if not rate > 0:
            raise ValueError("rate must be > 0")
        self.rate = float(rate)
        # Actions with a documented limit of their own (STS: 600/s, 20/s); every other action gets ``rate``.
        self.rates = {action: float(value) for action, value in (rates or {}).items()}
        self.host = host
        self.margin = margin
        self._loaded_margin = loaded_margin
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
        self.late_turns = 0  # turns given up because this process woke too late to use them (diagnostics)

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
                sweep_stale(directory, now=time.time(), stale_after=STALE_AFTER)
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
        limit = self.limit(action)
        late = False

        def change(state):
            now = self._clock()
            if late:
                record_late(state, now=now)
            margin = self.margin
            if self._loaded_margin is not None and recently_late(state, now=now):
                margin = max(margin, self._loaded_margin)
            adapting = state["rate"] is not None
            start = reserve(state, now=now, limit=limit, margin=margin, horizon=ADAPTIVE_HORIZON if adapting else None)
            return start, adapting, now if start is not None else next_start(state, now=now, limit=limit, margin=margin)

        while True:
            start, adapting, later = self._transact(action, change)
            self._adapting[action] = adapting
            if start is None:
                self._sleep(max(0.01, min(ADAPTIVE_HORIZON, later - ADAPTIVE_HORIZON - self._clock())))
                continue
            wait = start - self._clock()
            if wait > 0:
                self._sleep(wait)
            if self._clock() - start <= LATE_AFTER:
                return
            # Woken late (a saturated CPU): this request would arrive later than its recorded start, and the
            # starts reserved a window after it could then arrive within one second of it. The late turn stays
            # recorded (unused, it only slows others), this request takes a new one, and the machine's window widens.
            self.late_turns += 1
            late = True

    def throttled(self, action: str | None = None) -> None:
        """The API answered this action with throttling: lower the machine's rate."""
        action = action or "-"
        lowered = self._transact(action, lambda state: record_throttled(state, now=self._clock(), limit=self.limit(action)))
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
            record_answered(state, now=self._clock(), limit=self.limit(action))
            return state["rate"] is not None

        self._adapting[action] = self._transact(action, change)

    def rate_for(self, action: str | None = None) -> float:
        """The rate in force for ``action`` (for tests and diagnostics)."""
        return self._transact(action or "-", lambda state: current_rate(state, self.limit(action or "-")))

    def limit(self, action: str | None) -> float:
        """The configured requests per second of ``action``."""
        return self.rates.get(action or "-", self.rate)
