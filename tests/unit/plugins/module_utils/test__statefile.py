# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The owner-only state files that the rate limiter and the lookup cache share: one policy for both."""

from __future__ import annotations

import fcntl
import os
import stat
import time

import pytest
from ansible_collections.cloudcert.tencent.plugins.module_utils import _statefile
from ansible_collections.cloudcert.tencent.plugins.module_utils._statefile import (
    StateFileError,
    lock,
    locked,
    open_owned,
    prepare_directory,
    read_json,
    replace_json,
    rewrite_json,
)


def test_a_new_directory_is_owner_only_and_a_loose_one_is_tightened(tmp_path):
    prepare_directory(str(tmp_path / "new"))
    assert stat.S_IMODE(os.stat(tmp_path / "new").st_mode) == 0o700
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    os.chmod(loose, 0o755)
    prepare_directory(str(loose))
    assert stat.S_IMODE(os.stat(loose).st_mode) == 0o700


def test_a_symlinked_a_foreign_and_a_file_directory_are_refused(tmp_path, monkeypatch):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    with pytest.raises(StateFileError, match="not a plain directory"):
        prepare_directory(str(tmp_path / "link"))
    (tmp_path / "file").write_text("")
    with pytest.raises(StateFileError):
        prepare_directory(str(tmp_path / "file"))
    real_uid = os.getuid()
    monkeypatch.setattr(_statefile.os, "getuid", lambda: real_uid + 1)
    with pytest.raises(StateFileError, match="belongs to another user"):
        prepare_directory(str(real))


def test_files_are_never_followed_and_must_be_ours(tmp_path, monkeypatch):
    target = tmp_path / "precious"
    target.write_text("keep")
    (tmp_path / "link.json").symlink_to(target)
    with pytest.raises(StateFileError, match="symbolic link"):
        open_owned(str(tmp_path / "link.json"), create=True)
    assert target.read_text() == "keep"
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(StateFileError, match="not a regular file"):
        open_owned(str(tmp_path / "fifo"), create=True)
    mine = tmp_path / "mine.json"
    mine.write_text("{}")
    os.chmod(mine, 0o644)
    os.close(open_owned(str(mine)))
    assert stat.S_IMODE(os.stat(mine).st_mode) == 0o600
    real_uid = os.getuid()
    monkeypatch.setattr(_statefile.os, "getuid", lambda: real_uid + 1)
    with pytest.raises(StateFileError, match="belongs to another user"):
        open_owned(str(mine))


def test_a_lock_held_elsewhere_gives_up_at_the_deadline(tmp_path):
    path = tmp_path / "state.json"
    with locked(str(path), wait=1.0) as fd:
        other = open_owned(str(path))
        try:
            started = time.monotonic()
            with pytest.raises(StateFileError, match="lock was held"):
                lock(other, wait=0.1)
            assert 0.1 <= time.monotonic() - started < 5.0  # gave up at its deadline instead of waiting on
        finally:
            os.close(other)
        rewrite_json(fd, {"a": 1})
    # released: anyone may take it now
    with open(path, "rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_json_rewritten_in_place_and_replaced_atomically(tmp_path):
    path = tmp_path / "state.json"
    with locked(str(path), wait=1.0) as fd:
        rewrite_json(fd, {"long": "x" * 100})
        rewrite_json(fd, {"short": 1})
        assert read_json(fd, max_bytes=1024) == {"short": 1}
        assert read_json(fd, max_bytes=5) is None  # larger than allowed: not ours
    replace_json(str(tmp_path), str(tmp_path / "entry.json"), {"b": 2})
    assert (tmp_path / "entry.json").read_text() == '{"b":2}'
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp-")] == []
    with pytest.raises(TypeError):
        replace_json(str(tmp_path), str(tmp_path / "entry.json"), {"bad": object()})
    assert (tmp_path / "entry.json").read_text() == '{"b":2}'  # the old entry survives a failed write
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp-")] == []
