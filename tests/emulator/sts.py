"""The emulated Security Token Service (sts 2018-08-13): AssumeRole and AssumeRoleWithWebIdentity.

Roles live in the emulator with their trust rules; the temporary keys STS issues are added to the key store, so
the SSL actions accept them (with their token, until they expire). Request and answer shapes, limits and error
codes follow Tencent Cloud's STS documentation; the emulator never imports ``plugins/``.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections import namedtuple
from urllib.parse import unquote

from .responses import ApiError

VERSION = "2018-08-13"
SERVICE = "sts"
ASSUME_ROLE = "AssumeRole"
WEB_IDENTITY = "AssumeRoleWithWebIdentity"
ACTIONS = (ASSUME_ROLE, WEB_IDENTITY)
# Documented per-caller limits (requests per second); enforced whatever the SSL limit is set to.
LIMITS = {ASSUME_ROLE: 600, WEB_IDENTITY: 20}
MAX_DURATION = 43200

ACCOUNT = "100000000001"
ROLE_READER = "qcs::cam::uin/%s:roleName/cloudcert-reader" % ACCOUNT  # trusts the account's keys and its CVM role
ROLE_PARTNER = "qcs::cam::uin/%s:roleName/cloudcert-partner" % ACCOUNT  # trusts the keys only with the external id
PARTNER_EXTERNAL_ID = "cloudcert-partner-7f3a9c"
ROLE_POD = "qcs::cam::uin/%s:roleName/cloudcert-pod" % ACCOUNT  # trusts web identities of PROVIDER_ID only
ROLE_NOBODY = "qcs::cam::uin/%s:roleName/cloudcert-nobody" % ACCOUNT  # trusts nobody
PROVIDER_ID = "OIDC"
# A token the emulator accepts for ROLE_POD (shaped like a JWT, signed by nobody).
WEB_IDENTITY_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YXd4OmNsb3VkY2VydCJ9.cloudcert-demo-signature-0001"

_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,128}", re.ASCII)
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,128}", re.ASCII)

# keys: may a key pair (or a CVM role's keys) assume it; external_id: what it requires; web_identity: the provider
# id whose tokens it trusts (None: none).
Role = namedtuple("Role", "arn keys external_id web_identity")

ROLES = {
    ROLE_READER: Role(ROLE_READER, True, None, None),
    ROLE_PARTNER: Role(ROLE_PARTNER, True, PARTNER_EXTERNAL_ID, None),
    ROLE_POD: Role(ROLE_POD, False, None, PROVIDER_ID),
    ROLE_NOBODY: Role(ROLE_NOBODY, False, None, None),
}


def fingerprint(token: str) -> str:
    """What the log and the control API show of a web identity token."""
    return "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()[:16]


def _param(params: dict, name: str, *, required: bool = True):
    value = params.get(name)
    if value is None:
        if required:
            raise ApiError("InvalidParameter.ParamError", "The parameter `%s` is required." % name)
        return None
    if not isinstance(value, str) or not value:
        raise ApiError("InvalidParameter.ParamError", "The parameter `%s` must be a non-empty string." % name)
    return value


def _duration(params: dict) -> int:
    value = params.get("DurationSeconds", 7200)
    # The SDKs send an int; tccli's example sends a string of digits.
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ApiError("InvalidParameter.ParamError", "DurationSeconds must be an integer number of seconds.")
    if value > MAX_DURATION:
        raise ApiError("InvalidParameter.OverTimeError", "DurationSeconds %d is longer than the maximum of %d." % (value, MAX_DURATION))
    return value or 7200


def _session_name(params: dict) -> str:
    name = _param(params, "RoleSessionName")
    if not _SESSION_NAME.fullmatch(name):
        raise ApiError("InvalidParameter.ParamError", "RoleSessionName must be 2-128 characters of [\\w+=,.@-].")
    return name


def _role(emu, params: dict) -> Role:
    arn = _param(params, "RoleArn")
    role = emu.sts_roles.get(arn)
    if role is None:
        raise ApiError("ResourceNotFound.RoleNotFound", "The role %s does not exist." % arn)
    return role


def _issue(emu, action: str, role: Role, duration: int, record: dict) -> dict:
    lifetime = min(duration, emu.sts_ttl) if emu.sts_ttl else duration
    secret_id, secret_key, token, expires = emu.keys.issue_temporary(lifetime)
    emu.sts_sessions.append(dict(record, action=action, role=role.arn, secret_id=secret_id, secret_key=secret_key, session_token=token, expires=expires))
    expiration = datetime.datetime.fromtimestamp(expires, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"Credentials": {"Token": token, "TmpSecretId": secret_id, "TmpSecretKey": secret_key}, "ExpiredTime": expires, "Expiration": expiration}


def assume_role(emu, request, params: dict) -> dict:
    """AssumeRole, signed by a key pair (or temporary keys with their token)."""
    role = _role(emu, params)
    session_name = _session_name(params)
    duration = _duration(params)
    external_id = _param(params, "ExternalId", required=False)
    if external_id is not None and not _EXTERNAL_ID.fullmatch(external_id):
        raise ApiError("InvalidParameter.ParamError", "ExternalId must be 2-128 characters of [\\w+=,.@:/-].")
    policy = params.get("Policy")
    if policy is not None:
        try:
            document = json.loads(unquote(policy)) if isinstance(policy, str) else None
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise ApiError("InvalidParameter.StrategyFormatError", "Policy must be a URL-encoded JSON policy document.")
        policy = document
    if not role.keys:
        raise ApiError("UnauthorizedOperation", "The trust policy of role %s does not allow %s to assume it (sts:AssumeRole)." % (role.arn, request.secret_id))
    if role.external_id is not None and external_id != role.external_id:
        raise ApiError("UnauthorizedOperation", "The trust policy of role %s requires a matching ExternalId (sts:AssumeRole)." % role.arn)
    record = {"session_name": session_name, "duration": duration, "external_id": external_id, "policy": policy, "base": request.secret_id}
    record["region"] = request.headers.get("X-TC-Region")
    return _issue(emu, ASSUME_ROLE, role, duration, record)


def assume_role_with_web_identity(emu, request, params: dict) -> dict:
    """AssumeRoleWithWebIdentity, unsigned (``Authorization: SKIP``)."""
    provider_id = _param(params, "ProviderId")
    token = _param(params, "WebIdentityToken")
    role = _role(emu, params)
    session_name = _session_name(params)
    duration = _duration(params)
    if not request.headers.get("X-TC-Region"):
        raise ApiError("MissingParameter", "The request is missing the required header X-TC-Region.")
    if token not in emu.sts_tokens:
        raise ApiError("InvalidParameter.WebIdentityTokenError", "The web identity token is invalid or has expired.")
    if role.web_identity is None:
        raise ApiError("UnauthorizedOperation", "The trust policy of role %s does not allow web identities (sts:AssumeRoleWithWebIdentity)." % role.arn)
    if provider_id != role.web_identity:
        raise ApiError("InvalidParameter.WebIdentityTokenError", "The identity provider %s is not trusted by role %s." % (provider_id, role.arn))
    record = {"session_name": session_name, "duration": duration, "provider_id": provider_id, "token": fingerprint(token)}
    record["region"] = request.headers.get("X-TC-Region")
    return _issue(emu, WEB_IDENTITY, role, duration, record)


HANDLERS = {ASSUME_ROLE: assume_role, WEB_IDENTITY: assume_role_with_web_identity}
