# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""Owner-only state files that the processes of one user share: the rate limiter's and the lookup cache's.

One policy for both. The directory is created 0700 and used only when it is a plain directory (not a
symbolic link) owned by this user; a file is opened without following links and used only when it is a
regular file of this user (its mode is tightened to 0600); locks are ``flock`` polled with a deadline, so a
process stopped while holding one cannot stop everyone else. Callers decide what an unusable state costs:
the limiter paces its process alone, the cache is off. Standard library only.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import stat
import tempfile
import time

_FLAGS = os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class StateFileError(Exception):
    """The state cannot be used safely; str() says why, for a diagnostic."""


def why(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "it is a symbolic link"
    return exc.strerror or str(exc)


def prepare_directory(directory: str) -> None:
    """Create DIRECTORY owner-only, or raise StateFileError when it cannot be trusted."""
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        info = os.lstat(directory)
    except OSError as exc:
        raise StateFileError(why(exc)) from None
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise StateFileError("it is not a plain directory")
    if info.st_uid != os.getuid():
        # Another user's directory could be used to feed us state, or to learn ours.
        raise StateFileError("it belongs to another user")
    if info.st_mode & 0o077:
        try:
            os.chmod(directory, 0o700)
        except OSError as exc:
            raise StateFileError(why(exc)) from None


def open_owned(path: str, *, create: bool = False) -> int:
    """A descriptor of PATH (read-write when CREATE), or StateFileError when it is not a file of ours."""
    try:
        fd = os.open(path, (os.O_RDWR | os.O_CREAT if create else os.O_RDONLY) | _FLAGS, 0o600)
    except OSError as exc:
        raise StateFileError(why(exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise StateFileError("it is not a regular file")
        if info.st_uid != os.getuid():
            raise StateFileError("it belongs to another user")
        if info.st_mode & 0o077:
            os.fchmod(fd, 0o600)
    except (OSError, StateFileError) as exc:
        os.close(fd)
        raise exc if isinstance(exc, StateFileError) else StateFileError(why(exc)) from None
    return fd


def lock(fd: int, *, wait: float) -> None:
    """Take the exclusive lock of FD within WAIT seconds, or raise StateFileError."""
    deadline = time.monotonic() + wait
    pause = 0.0005
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise StateFileError("its lock was held for more than %.0fs" % wait) from None
            time.sleep(pause)
            pause = min(pause * 2, 0.01)
        except OSError as exc:
            raise StateFileError(why(exc)) from None


def release(fd: int) -> None:
    """Unlock explicitly (a child forked meanwhile would hold a copy of the descriptor), then close."""
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


@contextlib.contextmanager
def locked(path: str, *, wait: float):
    """PATH opened (created if need be) and exclusively locked: the descriptor, for a read-modify-write."""
    fd = open_owned(path, create=True)
    try:
        lock(fd, wait=wait)
    except StateFileError:
        os.close(fd)
        raise
    try:
        yield fd
    finally:
        release(fd)


def read_json(fd: int, *, max_bytes: int):
    """The JSON document in FD, or None when it is empty, too large or not JSON."""
    raw = os.pread(fd, max_bytes + 1, 0)
    if not raw or len(raw) > max_bytes:
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except ValueError:
        return None


def rewrite_json(fd: int, document) -> None:
    """Replace FD's content in place (never the file: the lock is on it)."""
    data = json.dumps(document, separators=(",", ":")).encode("utf-8")
    os.pwrite(fd, data, 0)
    os.ftruncate(fd, len(data))


def replace_json(directory: str, path: str, document) -> None:
    """Write DOCUMENT to PATH atomically (a reader sees the old file or the new one, never half of one)."""
    fd, temp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".json")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, separators=(",", ":"))
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def sweep_stale(directory: str, *, now: float, stale_after: float, suffix: str = ".json") -> None:
    """Remove our files ending in SUFFIX that nobody wrote for STALE_AFTER seconds (each under its lock)."""
    try:
        names = [name for name in os.listdir(directory) if name.endswith(suffix)]
    except OSError:
        return
    for name in names:
        path = os.path.join(directory, name)
        try:
            fd = os.open(path, os.O_RDONLY | _FLAGS)
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
