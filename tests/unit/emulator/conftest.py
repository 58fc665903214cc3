"""Shared fixtures for the emulator tests: a running Emulator and a small signed-request client."""

from __future__ import annotations

import json
import time

import pytest
import requests
from ansible_collections.cloudcert.tencent.tests.emulator import DEMO_SECRET_ID, DEMO_SECRET_KEY, Emulator
from ansible_collections.cloudcert.tencent.tests.emulator.signature import build_authorization


class ApiClient:
    """Signs and sends raw requests so tests can tamper with any part of them."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.session = requests.Session()
        self.verify: str | None = None  # per request: REQUESTS_CA_BUNDLE in the environment would override the session's

    def headers(
        self,
        action: str,
        body: bytes,
        secret_id: str = DEMO_SECRET_ID,
        secret_key: str = DEMO_SECRET_KEY,
        timestamp: int | None = None,
        token: str | None = None,
    ) -> dict[str, str]:
        """Correctly signed headers for ``body``."""
        timestamp = int(time.time()) if timestamp is None else timestamp
        host = self.emulator.endpoint
        headers = {
            "Content-Type": "application/json",
            "Host": host,
            "X-TC-Action": action,
            "X-TC-Version": "2019-12-05",
            "X-TC-Timestamp": str(timestamp),
            "Authorization": build_authorization(secret_id, secret_key, timestamp, {"content-type": "application/json", "host": host}, body),
        }
        if token is not None:
            headers["X-TC-Token"] = token
        return headers

    def post(self, headers: dict[str, str], body: bytes, timeout: float = 10) -> requests.Response:
        """Send exactly these headers and bytes."""
        return self.session.post(self.emulator.url + "/", data=body, headers=headers, timeout=timeout, verify=self.verify)

    def call(self, action: str, params: dict | None = None, **kwargs) -> dict:
        """Signed call; returns the parsed ``Response`` object."""
        body = json.dumps(params or {}).encode("utf-8")
        reply = self.post(self.headers(action, body, **kwargs), body)
        assert reply.status_code == 200
        assert reply.headers["Content-Type"] == "application/json"
        return reply.json()["Response"]

    def code(self, action: str, params: dict | None = None, **kwargs) -> str | None:
        """Signed call; returns the error code, or None on success."""
        return (self.call(action, params, **kwargs).get("Error") or {}).get("Code")


@pytest.fixture
def emulator():
    """A fresh emulator on an ephemeral loopback port."""
    with Emulator(port=0) as emu:
        yield emu


@pytest.fixture
def client(emulator):
    """Signed-request client bound to the ``emulator`` fixture."""
    api = ApiClient(emulator)
    yield api
    api.session.close()


@pytest.fixture
def make_client():
    """Factory of signed-request clients for emulators a test starts itself."""
    clients = []

    def factory(emu: Emulator) -> ApiClient:
        clients.append(ApiClient(emu))
        return clients[-1]

    yield factory
    for api in clients:
        api.session.close()
