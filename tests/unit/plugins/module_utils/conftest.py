# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared fixtures: a running emulator, clients bound to it, and a tiny capture server."""

from __future__ import annotations

import pytest
from ansible_collections.cloudcert.tencent.plugins.module_utils._client import connect
from ansible_collections.cloudcert.tencent.plugins.module_utils._ssl import SSL
from ansible_collections.cloudcert.tencent.tests.emulator import Emulator
from ansible_collections.cloudcert.tencent.tests.unit.plugins.module_utils.helpers import CaptureServer, static


@pytest.fixture(autouse=True)
def _no_proxy_environment(monkeypatch):
    """Loopback traffic must never go through a proxy configured on the test machine; proxy tests set their own."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def emulator():
    """A fresh emulator without the server-side rate limit (tests that need it start their own)."""
    with Emulator(port=0, rate_limit=0) as emu:
        yield emu


@pytest.fixture
def make_client():
    """Factory of SSL clients that never really sleep between retries and are closed afterwards."""
    clients = []

    def factory(endpoint, *, credentials=None, sleeps=None, **kwargs):
        kwargs.setdefault("rate_limit", 1000.0)
        kwargs.setdefault("timeout", 5.0)
        sleep = sleeps.append if sleeps is not None else (lambda seconds: None)
        client = connect(SSL, credentials=credentials or static(), endpoint=endpoint, sleep=sleep, **kwargs)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def client(emulator, make_client):
    return make_client(emulator.url, retries=3)


@pytest.fixture
def capture():
    server = CaptureServer()
    yield server
    server.close()
