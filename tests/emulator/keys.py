"""Well-known demo keys of the emulator and the thread-safe store of accepted keys."""

from __future__ import annotations

import secrets
import threading
import time
from collections import namedtuple

DEMO_SECRET_ID = "AKIDcloudcertDemo000000000000000001"
DEMO_SECRET_KEY = "cloudcert-demo-secret-key-00000001"

DENIED_SECRET_ID = "AKIDcloudcertDenied0000000000000001"
DENIED_SECRET_KEY = "cloudcert-denied-secret-key-0000001"

# A key whose CAM policy is the read-only preset (QcloudSSLReadOnlyAccess: ssl:Describe* only).
READONLY_SECRET_ID = "AKIDcloudcertReadOnly0000000000001"
READONLY_SECRET_KEY = "cloudcert-readonly-secret-key-00001"

TEMP_SECRET_ID = "AKIDcloudcertTemp00000000000000001"
TEMP_SECRET_KEY = "cloudcert-temp-secret-key-0000001"
TEMP_TOKEN = "cloudcert-temp-token-000000000001"

# secret: the SecretKey; token: None for permanent keys; expires: epoch seconds or None;
# denied: signature accepted but CAM denies every action; readonly: CAM allows Describe* actions only.
KeyEntry = namedtuple("KeyEntry", "secret token expires denied readonly", defaults=(False,))


class KeyStore:
    """Accepted SecretIds; the metadata endpoint adds temporary ones while requests are served."""

    def __init__(self, keys: dict[str, str] | None = None, temp_keys: dict[str, tuple[str, str]] | None = None) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, KeyEntry] = {}
        self.add_key(DEMO_SECRET_ID, DEMO_SECRET_KEY)
        self.add_key(DENIED_SECRET_ID, DENIED_SECRET_KEY, denied=True)
        with self._lock:
            self._keys[READONLY_SECRET_ID] = KeyEntry(READONLY_SECRET_KEY, None, None, False, True)
        self.add_temp_key(TEMP_SECRET_ID, TEMP_SECRET_KEY, TEMP_TOKEN)
        for secret_id, secret in (keys or {}).items():
            self.add_key(secret_id, secret)
        for secret_id, (secret, token) in (temp_keys or {}).items():
            self.add_temp_key(secret_id, secret, token)

    def add_key(self, secret_id: str, secret: str, denied: bool = False) -> None:
        """Register a permanent key."""
        with self._lock:
            self._keys[secret_id] = KeyEntry(secret, None, None, denied)

    def add_temp_key(self, secret_id: str, secret: str, token: str, expires: float | None = None) -> None:
        """Register a temporary key that must be used with ``token`` (until ``expires``, epoch seconds, if given)."""
        with self._lock:
            self._keys[secret_id] = KeyEntry(secret, token, expires, False)

    def lookup(self, secret_id: str) -> KeyEntry | None:
        """The entry of a SecretId, or None when unknown."""
        with self._lock:
            return self._keys.get(secret_id)

    def issue_temporary(self, ttl: float) -> tuple[str, str, str, int]:
        """Create and register fresh temporary credentials; returns (id, key, token, expiry epoch)."""
        expires = int(time.time() + ttl)
        secret_id = "AKIDcloudcertTmp" + secrets.token_hex(10)
        secret = secrets.token_urlsafe(24)
        token = secrets.token_urlsafe(48)
        self.add_temp_key(secret_id, secret, token, expires)
        return secret_id, secret, token, expires
