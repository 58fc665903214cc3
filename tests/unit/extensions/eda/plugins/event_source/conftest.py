# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the event source tests: an isolated environment and a running emulator."""

from __future__ import annotations

import pytest
from ansible_collections.cloudcert.tencent.plugins.module_utils._environment import ENV_VARS
from ansible_collections.cloudcert.tencent.tests.emulator import Emulator


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch, tmp_path):
    """No credentials, endpoint or proxy of the test machine may leak in: each test sets what it means."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for names in ENV_VARS.values():
        for name in names:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no profile files of the machine


@pytest.fixture
def emulator():
    """A fresh emulator without the server-side rate limit."""
    with Emulator(port=0, rate_limit=0) as emu:
        yield emu
