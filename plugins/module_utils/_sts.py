# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""Security Token Service (``sts``, API 3.0 version 2018-08-13): its facts in one table, and its two calls.

``AssumeRole`` is signed by the base credentials (TC3, scope ``sts``, with ``X-TC-Token`` when they are temporary);
``AssumeRoleWithWebIdentity`` is not signed (``Authorization: SKIP``, no token). Both answer ``Credentials``
(``TmpSecretId``, ``TmpSecretKey``, ``Token``) and ``ExpiredTime``. Standard library only.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import ResponseError
from ansible_collections.cloudcert.tencent.plugins.module_utils._ssl import Action, Service

ASSUME_ROLE = "AssumeRole"
WEB_IDENTITY = "AssumeRoleWithWebIdentity"

ACTIONS = {
    # Documented limits: AssumeRole 600/s, AssumeRoleWithWebIdentity 20/s. Both answers carry temporary keys.
    ASSUME_ROLE: Action(permission="sts:AssumeRole", paged=False, secret_bearing=True, rate=600.0),
    WEB_IDENTITY: Action(permission="sts:AssumeRoleWithWebIdentity", paged=False, secret_bearing=True, rate=20.0, signed=False),
}

STS = Service(name="sts", version="2018-08-13", default_endpoint="sts.tencentcloudapi.com", actions=ACTIONS, response_filter=None)
DEFAULT_REGION = "ap-guangzhou"


def default_endpoint(ssl_endpoint: str | None) -> str:
    """``sts.<rest>`` for an SSL endpoint ``ssl.<rest>`` (host or URL, so the intl site stays intl); else STS's own."""
    text = (ssl_endpoint or "").strip()
    scheme, _sep, rest = text.rpartition("://")
    if rest.lower().startswith("ssl."):
        return (scheme + "://" if scheme else "") + "sts." + rest[4:]
    return STS.default_endpoint


def temporary_keys(response: dict, action: str) -> tuple[str, str, str, float]:
    """(TmpSecretId, TmpSecretKey, Token, ExpiredTime) of an STS answer; never quotes it (it holds secrets)."""
    creds = response.get("Credentials")
    expired = response.get("ExpiredTime")
    fields = [creds.get(name) if isinstance(creds, dict) else None for name in ("TmpSecretId", "TmpSecretKey", "Token")]
    if not all(isinstance(value, str) and value for value in fields) or not isinstance(expired, (int, float)) or isinstance(expired, bool):
        raise ResponseError(
            "%s answered without usable Credentials (TmpSecretId, TmpSecretKey, Token) and ExpiredTime" % action,
            action=action,
            request_id=response.get("RequestId"),
        )
    return fields[0], fields[1], fields[2], float(expired)


def assume_role_params(*, role_arn: str, session_name: str, duration: int, external_id: str | None = None, policy: dict | None = None) -> dict:
    params = {"RoleArn": role_arn, "RoleSessionName": session_name, "DurationSeconds": duration}
    if external_id:
        params["ExternalId"] = external_id
    if policy:
        # The API wants the policy document URL-encoded, as Tencent's own tools send it.
        params["Policy"] = quote(json.dumps(policy, separators=(",", ":"), sort_keys=True), safe="")
    return params


def web_identity_params(*, role_arn: str, session_name: str, duration: int, provider_id: str, token: str) -> dict:
    return {"ProviderId": provider_id, "WebIdentityToken": token, "RoleArn": role_arn, "RoleSessionName": session_name, "DurationSeconds": duration}
