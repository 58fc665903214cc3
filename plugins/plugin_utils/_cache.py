# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""The lookup's controller-side cache of certificate records, shared by tasks, hosts and forks.

A directory of owner-only JSON files, one per (certificate id, credential identity, endpoint,
language); forks are processes, so one fetches under an ``flock`` while the others wait and read.
No file ever holds a secret: keys are hashes, and records arrive with the key password masked.
The files follow the rate limiter's policy (``module_utils/_statefile.py``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time

from ansible.utils.display import Display
from ansible_collections.cloudcert.tencent.plugins.module_utils._fetch import MissingIds
from ansible_collections.cloudcert.tencent.plugins.module_utils._statefile import (
    StateFileError,
    lock,
    open_owned,
    prepare_directory,
    read_json,
    release,
    replace_json,
)

display = Display()

CACHE_VERSION = 1
# What an entry holds (the name of the fetch plan's step): the record (DescribeCertificate) or the material.
RECORD = "record"
# A clock difference this large between forks is impossible on one controller; beyond it an entry is distrusted.
CLOCK_SLACK = 5.0
# An entry is one record with its certificate material at most; anything larger is not ours.
_MAX_ENTRY_BYTES = 4 * 1024 * 1024


def default_cache_dir(env=None) -> str:
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "cloudcert.tencent", "lookup")


class RecordCache:
    """One JSON file per (certificate id, credential identity, endpoint, language), owner-only.

    ``<key>.json`` holds ``{"version", "certificate_id", "fetched_at", "record"}`` or ``"missing": true``
    for an id the API did not find. ``<key>.lock`` is the flock that lets one process fetch while
    the others wait and then read its answer. Any file that cannot be read or does not have that
    shape is a miss and is overwritten by the next fetch.
    """

    def __init__(self, directory: str, ttl: float, *, clock=time.time, lock_wait: float = 300.0) -> None:
        self.directory = directory
        self.ttl = ttl
        self._clock = clock
        self.lock_wait = lock_wait
        self.usable = self._prepare()

    def _prepare(self) -> bool:
        try:
            # Another user's directory could feed us forged records: it is refused like any untrusted one.
            prepare_directory(self.directory)
        except StateFileError as exc:
            display.warning("cache_dir %s cannot be used (%s); the lookup cache is off for this run" % (self.directory, exc))
            return False
        return True

    @staticmethod
    def key(identity: str, *, endpoint: str, language: str, cert_id: str, kind: str = RECORD) -> str:
        parts = [CACHE_VERSION, identity, endpoint, language, cert_id]
        if kind != RECORD:
            parts.append(kind)  # the certificate material is a separate entry, fetched only when asked for
        return hashlib.sha256(json.dumps(parts, separators=(",", ":")).encode("utf-8")).hexdigest()

    def _path(self, key: str, suffix: str) -> str:
        return os.path.join(self.directory, key + suffix)

    def read(self, key: str, cert_id: str):
        """("record", dict) or ("missing", None) for a fresh entry; None for a miss of any kind."""
        try:
            fd = open_owned(self._path(key, ".json"))
        except StateFileError:
            return None
        try:
            entry = read_json(fd, max_bytes=_MAX_ENTRY_BYTES)
        except OSError:
            return None
        finally:
            os.close(fd)
        return self._fresh(entry, cert_id)

    def _fresh(self, entry, cert_id: str):
        if not isinstance(entry, dict) or entry.get("version") != CACHE_VERSION or entry.get("certificate_id") != cert_id:
            return None
        fetched_at = entry.get("fetched_at")
        if not isinstance(fetched_at, (int, float)) or isinstance(fetched_at, bool):
            return None
        age = self._clock() - fetched_at
        if age >= self.ttl or age < -CLOCK_SLACK:
            return None
        if entry.get("missing") is True:
            return ("missing", None)
        record = entry.get("record")
        return ("record", record) if isinstance(record, dict) else None

    def write(self, key: str, cert_id: str, record: dict | None) -> None:
        """Store a record (None: the id was not found) atomically; a failure only costs the cache."""
        entry = {"version": CACHE_VERSION, "certificate_id": cert_id, "fetched_at": self._clock()}
        if record is None:
            entry["missing"] = True
        else:
            entry["record"] = record
        try:
            replace_json(self.directory, self._path(key, ".json"), entry)
        except (OSError, TypeError, ValueError) as exc:
            display.vvv("cloudcert.tencent: cannot write a lookup cache entry in %s (%s)" % (self.directory, exc))

    def drop(self, key: str) -> None:
        # Lock files stay: removing one that another fork holds would let a third fork lock a new file.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path(key, ".json"))

    @contextlib.contextmanager
    def locked(self, keys):
        """Hold the exclusive locks of ``keys``, taken in sorted order so two forks never deadlock."""
        fds = []
        try:
            for key in sorted(set(keys)):
                fd = self._lock_one(key)
                if fd is not None:
                    fds.append(fd)
            yield
        finally:
            for fd in reversed(fds):
                release(fd)

    def _lock_one(self, key: str) -> int | None:
        """An fd holding the key's lock, or None when locking is impossible (then we fetch unlocked)."""
        try:
            fd = open_owned(self._path(key, ".lock"), create=True)
        except StateFileError:
            return None
        try:
            lock(fd, wait=self.lock_wait)
        except StateFileError as exc:
            display.vvv("cloudcert.tencent: the lookup cache lock cannot be had (%s); fetching without it" % exc)
            os.close(fd)
            return None
        return fd


def _collect(cache: RecordCache, keys: dict, found: dict, missing: set) -> list[str]:
    """Fill ``found``/``missing`` from the cache; return the ids still to fetch."""
    pending = []
    for cert_id, key in keys.items():
        hit = cache.read(key, cert_id)
        if hit is None:
            pending.append(cert_id)
        elif hit[0] == "missing":
            missing.add(cert_id)
        else:
            found[cert_id] = hit[1]
    return pending


def cache_store(cache: RecordCache, client, *, kind: str, clear: bool = False):
    """The fetch plan's per-id store (``_fetch.Fetcher``) for entries of KIND (the step's name: "record" or
    "material"): ``store(ids, fetch)`` answers from the cache and calls ``fetch(pending ids)`` for the rest, one
    fork at a time per id. Entries are keyed on ``client.credentials.identity`` (never a secret, and stable when
    temporary keys rotate), the endpoint and the language.
    """
    identity = client.credentials.identity

    def store(ids: list[str], fetch) -> tuple[dict, MissingIds]:
        keys = {cert_id: cache.key(identity, endpoint=client.url, language=client.language, cert_id=cert_id, kind=kind) for cert_id in ids}
        if clear:
            for key in keys.values():
                cache.drop(key)
        found, missing = {}, set()
        pending = _collect(cache, keys, found, missing)
        if pending:
            with cache.locked(keys[cert_id] for cert_id in pending):
                # Another fork may have fetched while we waited for the lock: read again before asking.
                pending = _collect(cache, {cert_id: keys[cert_id] for cert_id in pending}, found, missing)
                if pending:
                    fetched, gone = fetch(pending)
                    for cert_id in pending:
                        cache.write(keys[cert_id], cert_id, fetched.get(cert_id))
                    found.update(fetched)
                    missing.update(gone)
        return found, MissingIds(cert_id for cert_id in ids if cert_id in missing)

    return store if cache.usable else None
