# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""Credentials from STS: an assumed CAM role (wrapping a base provider) and a web identity (replacing one).

Both are ``CredentialProvider``s (``_credentials.py``): temporary keys in memory only, fetched on first use (a
lookup answered from its cache never calls STS), one STS call per process however many threads ask, refreshed
when less than max(300 s, 10 % of the lifetime granted) remains. The STS client comes from ``connect(credentials,
region)``, handed in by ``_options``, so this file never builds HTTP itself.
"""

from __future__ import annotations

import json
import threading
import time
from collections import namedtuple

from ansible_collections.cloudcert.tencent.plugins.module_utils._credentials import Credential
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import CredentialError, TencentCloudError
from ansible_collections.cloudcert.tencent.plugins.module_utils._sts import ASSUME_ROLE, WEB_IDENTITY, assume_role_params, temporary_keys, web_identity_params

REFRESH_FLOOR = 300.0  # seconds; and at least this share of the lifetime STS granted:
REFRESH_SHARE = 0.1
# A refusal from STS is the answer for every caller of the next seconds (a module's threads, the certificates of
# one run), instead of one more STS call each.
FAILURE_HOLD = 10.0

# What AssumeRole sends besides the ARN. policy: a dict (validated in _chain).
RoleSpec = namedtuple("RoleSpec", "arn session_name duration external_id policy")
# A web identity: the token inline or the file it is read from at every fetch; origin names where it came from.
WebIdentitySpec = namedtuple("WebIdentitySpec", "role_arn session_name duration provider_id token token_file region origin")


def needs_refresh(credential: Credential | None, now: float) -> bool:
    if credential is None or credential.expires_at is None:
        return True
    granted = credential.expires_at - (credential.issued_at if credential.issued_at is not None else now)
    return credential.expires_at - now <= max(REFRESH_FLOOR, REFRESH_SHARE * granted)


def read_token_file(path: str) -> str:
    """The token in PATH: the raw token (whitespace around it ignored) or Terraform's ``{"web_identity_token": ...}``."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read().strip()
    except OSError as exc:
        raise CredentialError("web_identity_token_file: cannot read %s (%s)" % (path, exc.strerror)) from None
    except UnicodeDecodeError:
        raise CredentialError("web_identity_token_file: %s is not text" % path) from None
    if text.startswith("{"):
        try:
            text = json.loads(text).get("web_identity_token") or ""
        except (ValueError, AttributeError):
            text = ""
        if not isinstance(text, str) or not text.strip():
            raise CredentialError("web_identity_token_file: %s is JSON without a web_identity_token string" % path)
        text = text.strip()
    if not text:
        raise CredentialError("web_identity_token_file: %s is empty" % path)
    return text


class Unsigned:
    """The credentials of an unsigned call (AssumeRoleWithWebIdentity): none. Every web identity of the machine
    shares one limiter state, as STS limits that action per caller it cannot know before the answer."""

    source = "none (unsigned)"
    identity = "unsigned"
    refreshable = False

    def get(self):
        return None

    def refresh(self):
        return None


class _StsProvider:
    """Temporary keys from one STS action, fetched once per lifetime for every thread of the process."""

    refreshable = True
    action = ""

    def __init__(self, *, connect, clock=time.time) -> None:
        self._connect = connect
        self._clock = clock
        self._lock = threading.Lock()
        self._client = None
        self._credential: Credential | None = None
        self._failure: TencentCloudError | None = None
        self._failed_at = 0.0

    def get(self) -> Credential:
        with self._lock:
            if self._failure is not None and self._clock() - self._failed_at < FAILURE_HOLD:
                # STS refused (its own retries spent): every thread of this run gets that answer, STS is asked once.
                raise self._failure
            if needs_refresh(self._credential, self._clock()):
                self._fetch_locked()
            return self._credential

    def refresh(self) -> Credential:
        with self._lock:
            self._fetch_locked()
            return self._credential

    def _fetch_locked(self) -> None:
        try:
            response = self._call()
            secret_id, secret_key, token, expires_at = temporary_keys(response, self.action)
        except TencentCloudError as error:
            error.subject = error.subject or "role %s" % self.role_arn
            self._failure, self._failed_at = error, self._clock()
            raise
        self._failure = None
        self._credential = Credential(secret_id, secret_key, token, source=self.source, expires_at=expires_at, issued_at=self._clock())

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


class AssumeRoleCredentials(_StsProvider):
    """A CAM role assumed with the base provider's keys (signed by them, with their token when temporary)."""

    action = ASSUME_ROLE

    def __init__(self, base, role: RoleSpec, *, connect, region: str, clock=time.time) -> None:
        super().__init__(connect=connect, clock=clock)
        self.base = base
        self.role = role
        self.role_arn = role.arn
        self._region = region
        # The role and whose keys assume it: stable across refreshes of either, never a secret.
        self.identity = "assume-role %s %s" % (role.arn, base.identity)

    @property
    def source(self) -> str:
        return "AssumeRole %s (base: %s)" % (self.role.arn, self.base.source)

    def _call(self) -> dict:
        if self._client is None:
            self._client = self._connect(self.base, self._region)
        role = self.role
        params = assume_role_params(role_arn=role.arn, session_name=role.session_name, duration=role.duration, external_id=role.external_id, policy=role.policy)
        return self._client.call(ASSUME_ROLE, params)


class WebIdentityCredentials(_StsProvider):
    """Keys for a web identity (an OIDC token: a TKE pod's, AAP's), from the unsigned AssumeRoleWithWebIdentity."""

    action = WEB_IDENTITY

    def __init__(self, spec: WebIdentitySpec, *, connect, clock=time.time) -> None:
        super().__init__(connect=connect, clock=clock)
        self.spec = spec
        self.role_arn = spec.role_arn
        self.source = "AssumeRoleWithWebIdentity (%s)" % spec.origin
        self.identity = "web-identity %s %s" % (spec.provider_id, spec.role_arn)

    def _call(self) -> dict:
        spec = self.spec
        # Projected tokens rotate: the file is read again at every fetch.
        token = spec.token if spec.token else read_token_file(spec.token_file)
        if self._client is None:
            self._client = self._connect(Unsigned(), spec.region)
        params = web_identity_params(role_arn=spec.role_arn, session_name=spec.session_name, duration=spec.duration, provider_id=spec.provider_id, token=token)
        return self._client.call(WEB_IDENTITY, params)
