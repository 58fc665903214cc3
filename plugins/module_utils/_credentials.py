# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""Credentials and their sources: key pairs, profile files, the CVM instance role, and the provider protocol.

Each source yields a complete key pair or nothing; keys are never mixed across sources, so a secret_id from one
place is never signed with a secret_key from another. Sources are reported by name (``credential_source``);
secrets never leave these providers except to the signer. The order of the sources is ``_chain.CHAIN``; STS
providers (an assumed role, a web identity) are in ``_roles.py``. A ``CredentialProvider`` is the only thing the
client, the rate limiter and the lookup cache know of credentials.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import os
import threading
import time
from collections import namedtuple

try:
    from typing import Protocol
except ImportError:  # pragma: no cover - Python < 3.8 is not a supported target
    Protocol = object

from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import CredentialError

METADATA_URL = "http://metadata.tencentyun.com/latest/meta-data/cam/security-credentials/"
METADATA_URL_ENV = "CLOUDCERT_TENCENT_METADATA_URL"
METADATA_PATH = "/latest/meta-data/cam/security-credentials/"
# Refresh temporary keys this long before they expire: the API rejects signatures made with
# keys that expire in flight, and a queued request may wait a while.
REFRESH_MARGIN = 300
METADATA_TIMEOUT = (1.0, 2.0)


class Credential:
    """A key pair (and token for temporary keys). ``repr`` never shows the secret."""

    __slots__ = ("secret_id", "secret_key", "token", "source", "expires_at", "issued_at")

    def __init__(
        self, secret_id: str, secret_key: str, token: str | None = None, *, source: str, expires_at: float | None = None, issued_at: float | None = None
    ) -> None:
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.token = token or None
        self.source = source
        self.expires_at = expires_at
        self.issued_at = issued_at

    def __repr__(self) -> str:
        return "Credential(secret_id=%r, source=%r, token=%s)" % (self.secret_id, self.source, "set" if self.token else "none")


class CredentialProvider(Protocol):
    """What the client, the rate limiter and the lookup cache may use of a credential source.

    ``identity`` names whose keys these are without a secret, and stays the same for the provider's life even when
    its temporary keys rotate: the machine-wide rate limit and the lookup cache are keyed on it (on a temporary key
    id they would start afresh at every refresh). A provider that wraps another (an assumed role) builds its
    identity from the inner one's.
    """

    source: str
    identity: str
    refreshable: bool

    def get(self) -> Credential:
        """The keys to sign with now (a refreshable provider fetches new ones shortly before they expire)."""

    def refresh(self) -> Credential:
        """New keys at once, after the API called the current ones stale (static keys: the same ones)."""


class StaticCredentials:
    """Long-term keys (or temporary keys handed in with their token): nothing to refresh."""

    refreshable = False

    def __init__(self, credential: Credential) -> None:
        self._credential = credential
        self.source = credential.source
        # The key id, and a digest of the secret so that a corrected secret starts a new cache (never the secret).
        self.identity = "key %s %s" % (credential.secret_id, hashlib.sha256(credential.secret_key.encode("utf-8")).hexdigest())

    def get(self) -> Credential:
        return self._credential

    def refresh(self) -> Credential:
        return self._credential


class CvmRoleCredentials:
    """Temporary keys from the CVM metadata service, fetched lazily and refreshed before expiry."""

    refreshable = True

    def __init__(self, role: str, *, base_url: str, session=None, clock=time.time) -> None:
        self.role = role
        self.base_url = base_url
        self._session = session
        self._clock = clock
        self._lock = threading.Lock()
        self._credential: Credential | None = None
        self.source = "CVM role (metadata service %s)" % base_url
        # The role as configured, not its temporary key id: that rotates every few hours.
        self.identity = "cvm-role %s %s" % (role, base_url)

    def _http(self):
        if self._session is None:
            import requests  # guarded by the caller: the client needs requests anyway

            self._session = requests.Session()
            # The metadata service is link-local: a configured HTTP proxy must never see it.
            self._session.trust_env = False
        return self._session

    def _get_text(self, url: str) -> tuple[int, str]:
        try:
            reply = self._http().get(url, timeout=METADATA_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - any network failure means the same to the user
            raise CredentialError(
                "cvm_role: the CVM metadata service at %s did not answer (%s); is this a CVM instance? Set %s to use another URL"
                % (url, type(exc).__name__, METADATA_URL_ENV)
            ) from None
        return reply.status_code, reply.text

    def _role_name(self) -> str:
        if self.role != "auto":
            return self.role
        status, text = self._get_text(self.base_url)
        name = text.strip().splitlines()[0].strip() if status == 200 and text.strip() else ""
        if status == 404 or not name:
            raise CredentialError("cvm_role=auto: no CAM role is bound to this CVM instance (metadata service %s answered HTTP %d)" % (self.base_url, status))
        if status != 200 or "/" in name or " " in name or len(name) > 128:
            raise CredentialError("cvm_role=auto: the metadata service at %s answered HTTP %d with something that is not a role name" % (self.base_url, status))
        return name

    def _fetch(self) -> Credential:
        role = self._role_name()
        status, text = self._get_text(self.base_url + role)
        if status == 404:
            raise CredentialError("cvm_role: the role %r is not bound to this CVM instance (metadata service answered 404)" % role)
        try:
            data = json.loads(text)
            if status != 200 or not isinstance(data, dict) or data.get("Code", "Success") != "Success":
                raise ValueError("HTTP %d" % status)
            secret_id, secret_key, token = data["TmpSecretId"], data["TmpSecretKey"], data["Token"]
            expires_at = float(data["ExpiredTime"])
            if not all(isinstance(v, str) and v for v in (secret_id, secret_key, token)):
                raise ValueError("empty keys")
        except (ValueError, KeyError, TypeError):
            raise CredentialError(
                "cvm_role: the metadata service answered garbage for role %r at %s (expected JSON with TmpSecretId, TmpSecretKey, Token, ExpiredTime)"
                % (role, self.base_url)
            ) from None
        return Credential(secret_id, secret_key, token, source="CVM role %s" % role, expires_at=expires_at)

    def get(self) -> Credential:
        with self._lock:
            current = self._credential
            if current is None or current.expires_at is None or current.expires_at - self._clock() <= REFRESH_MARGIN:
                self._credential = current = self._fetch()
            self.source = current.source
            return current

    def refresh(self) -> Credential:
        with self._lock:
            self._credential = self._fetch()
            return self._credential


def metadata_base_url(env) -> str:
    """The metadata base URL; the override may name just a host, then the standard path is added."""
    url = (env.get(METADATA_URL_ENV) or METADATA_URL).strip()
    if url.rstrip("/").count("/") <= 2:
        url = url.rstrip("/") + METADATA_PATH
    return url.rstrip("/") + "/"


def key_pair(secret_id, secret_key, token, *, source: str, hint: str) -> Credential | None:
    """A credential when both halves are set, None when neither is, an error when only one is."""
    secret_id = (secret_id or "").strip()
    secret_key = (secret_key or "").strip()
    if not secret_id and not secret_key:
        return None
    if not secret_id or not secret_key:
        missing = "secret_key" if secret_id else "secret_id"
        raise CredentialError("%s sets only half of a key pair: %s is missing (%s)" % (source, missing, hint))
    return Credential(secret_id, secret_key, (token or "").strip() or None, source=source)


def _ini_problem(exc: Exception) -> str:
    """The kind of INI error and its line numbers, never the offending line: it may hold a secret."""
    numbers = {number for number, _line in getattr(exc, "errors", None) or []}
    if isinstance(getattr(exc, "lineno", None), int):
        numbers.add(exc.lineno)
    where = " at line %s" % ", ".join(str(number) for number in sorted(numbers)) if numbers else ""
    return "%s%s" % (type(exc).__name__, where)


# A profile's keys and the role it names (role_arn / role-arn, role_session_name / role-session-name), if any.
Profile = namedtuple("Profile", "credential role_arn role_session_name")


def _from_ini(path: str, profile: str) -> Profile | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except (OSError, UnicodeDecodeError) as exc:
        raise CredentialError("profile file %s cannot be read (%s)" % (path, exc.strerror if isinstance(exc, OSError) else "not UTF-8 text")) from None
    except configparser.Error as exc:
        raise CredentialError("profile file %s is not valid INI (%s)" % (path, _ini_problem(exc))) from None
    if not parser.has_section(profile):
        return None
    section = parser[profile]
    found = key_pair(
        section.get("secret_id"),
        section.get("secret_key"),
        section.get("token") or section.get("security_token"),
        source="profile file %s [%s]" % (path, profile),
        hint="keys secret_id and secret_key",
    )
    return Profile(found, section.get("role_arn"), section.get("role_session_name")) if found else None


def _from_tccli(path: str, profile: str) -> Profile | None:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise CredentialError("profile file %s cannot be read (%s)" % (path, exc.strerror)) from None
    except ValueError:
        raise CredentialError("profile file %s is not valid JSON (tccli credential files hold secretId and secretKey)" % path) from None
    if not isinstance(data, dict):
        raise CredentialError("profile file %s must hold a JSON object with secretId and secretKey" % path)
    found = key_pair(data.get("secretId"), data.get("secretKey"), data.get("token"), source="profile file %s" % path, hint="keys secretId and secretKey")
    return Profile(found, data.get("role-arn"), data.get("role-session-name")) if found else None


def profile_paths(home: str, profile: str) -> tuple[str, str]:
    return os.path.join(home, ".tencentcloud", "credentials"), os.path.join(home, ".tccli", "%s.credential" % profile)


def from_profiles(home: str, profile: str) -> Profile | None:
    ini_path, tccli_path = profile_paths(home, profile)
    for path, reader in ((ini_path, _from_ini), (tccli_path, _from_tccli)):
        if os.path.exists(path):
            found = reader(path, profile)
            if found is not None:
                return found
    return None
