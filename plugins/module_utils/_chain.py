# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""The credential chain: which source's credentials sign, as data (``CHAIN``), then the role on top.

1. The base: task options (the lookup: its variables or ansible.cfg) > environment key pair > environment web
   identity (our variables, or the four TKE_* variables of a pod) > profile files > CVM role. A web identity is a
   base that needs no key pair; one source wins whole, and a key pair and a web identity in the same options is an
   error naming both.
2. With a ``role_arn`` and a key pair or CVM role base, that base assumes the role once (AssumeRole); with a web
   identity base the role is the web identity's own (one hop only).
Every value is checked here, before any call. The "no credentials found" message is generated from ``CHAIN``.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import namedtuple

from ansible_collections.cloudcert.tencent.plugins.module_utils._credentials import (
    CvmRoleCredentials,
    StaticCredentials,
    from_profiles,
    key_pair,
    metadata_base_url,
    profile_paths,
)
from ansible_collections.cloudcert.tencent.plugins.module_utils._environment import ENV_VARS, KEY_OPTIONS, TKE_VARS, WEB_IDENTITY_OPTIONS, env_name, env_value
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import ConfigurationError, CredentialError
from ansible_collections.cloudcert.tencent.plugins.module_utils._roles import AssumeRoleCredentials, RoleSpec, WebIdentityCredentials, WebIdentitySpec
from ansible_collections.cloudcert.tencent.plugins.module_utils._sts import DEFAULT_REGION

MAX_DURATION = 43200
DEFAULT_DURATION = 7200
DEFAULT_PROVIDER_ID = "OIDC"
_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,128}", re.ASCII)
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,128}", re.ASCII)
_ROLE_ARN = re.compile(r"qcs::cam::\S+")
# Our own variables for a web identity in the environment (the TKE_* quartet is TKE_VARS).
_ENV_WEB_IDENTITY = (ENV_VARS["web_identity_token"][0], ENV_VARS["web_identity_token_file"][0])

# What one run of the chain looks at. connect_sts(credentials, region) gives an STS client (from _options).
ChainContext = namedtuple("ChainContext", "options option_source env home profile profile_option session connect_sts")
# One source: ``find(context)`` gives a Base or None; ``looked_at(context)`` says where it looked.
Step = namedtuple("Step", "name find looked_at")
# A source's provider; a profile also names the role it assumes (role_arn, role_session_name), others give None.
Base = namedtuple("Base", "provider role_arn role_session_name", defaults=(None, None))


# --------------------------------------------------------------------------------------------
# Values, checked before any call; an error names the option or the variable it came from.


def _setting(ctx: ChainContext, option: str, table=None):
    """(value, name for messages) of an option: the option itself, else its environment variable."""
    value = ctx.options.get(option)
    if value not in (None, ""):
        return value, option
    name = env_name(option, ctx.env, table)
    return (ctx.env[name], "%s (environment variable %s)" % (option, name)) if name else (None, option)


def _role_arn(value, name: str) -> str:
    text = str(value).strip()
    if not _ROLE_ARN.fullmatch(text):
        raise ConfigurationError("%s: %r is not a CAM role ARN (they look like qcs::cam::uin/100000000001:roleName/reader)" % (name, value))
    return text


def _session_name(ctx: ChainContext, profile_value=None) -> str:
    value, name = _setting(ctx, "role_session_name")
    if value is None and profile_value:
        value, name = profile_value, "role_session_name (profile file)"
    if value is None:
        return "cloudcert-tencent-%d" % int(time.time())
    if not isinstance(value, str) or not _SESSION_NAME.fullmatch(value):
        raise ConfigurationError("%s: %r must be 2 to 128 characters of letters, digits and _+=,.@-" % (name, value))
    return value


def _duration(ctx: ChainContext) -> int:
    value, name = _setting(ctx, "role_duration")
    if value is None:
        return DEFAULT_DURATION
    try:
        seconds = int(str(value).strip())
    except ValueError:
        seconds = None
    if seconds is None or isinstance(value, bool) or not 1 <= seconds <= MAX_DURATION:
        raise ConfigurationError("%s: must be a number of seconds from 1 to %d, got %r" % (name, MAX_DURATION, value))
    return seconds


def _external_id(ctx: ChainContext) -> str | None:
    value, name = _setting(ctx, "role_external_id")
    if value is None:
        return None
    if not isinstance(value, str) or not _EXTERNAL_ID.fullmatch(value):
        raise ConfigurationError("%s: must be 2 to 128 characters of letters, digits and _+=,.@:/-" % name)
    return value


def _policy(ctx: ChainContext) -> dict | None:
    value = ctx.options.get("role_policy")
    if value in (None, "", {}):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    if not isinstance(value, dict):
        raise ConfigurationError("role_policy: must be a CAM policy document, as a dict or a JSON object string")
    return value


def _token_file(value, name: str) -> str:
    path = os.path.expanduser(str(value))
    if not os.path.isfile(path):
        raise ConfigurationError("%s: %s does not exist or is not a file" % (name, path))
    return path


def _sts_region(ctx: ChainContext, tke: bool = False) -> str:
    return ctx.options.get("sts_region") or (env_value("sts_region", ctx.env, TKE_VARS) if tke else None) or ctx.options.get("region") or DEFAULT_REGION


# --------------------------------------------------------------------------------------------
# The sources


def _web_identity(ctx: ChainContext, *, token, token_file, token_name: str, origin: str, tke: bool = False) -> Base:
    arn, arn_name = _setting(ctx, "role_arn")
    if arn is None and tke:
        arn, arn_name = _setting(ctx, "role_arn", TKE_VARS)
    if arn is None:
        raise ConfigurationError("a web identity (%s) needs role_arn: the role whose keys the token is traded for" % token_name)
    provider, _name = _setting(ctx, "web_identity_provider_id", TKE_VARS if tke else None)
    spec = WebIdentitySpec(
        role_arn=_role_arn(arn, arn_name),
        session_name=_session_name(ctx),
        duration=_duration(ctx),
        provider_id=(provider or DEFAULT_PROVIDER_ID).strip(),
        token=(token or "").strip() or None,
        token_file=_token_file(token_file, token_name) if not token else None,
        region=_sts_region(ctx, tke),
        origin=origin,
    )
    return Base(WebIdentityCredentials(spec, connect=ctx.connect_sts))


def _options(ctx: ChainContext):
    options = ctx.options
    keys = [name for name in ("secret_id", "secret_key") if options.get(name)]
    web = [name for name in WEB_IDENTITY_OPTIONS if options.get(name)]
    if keys and web:
        raise CredentialError("%s set both a key pair (%s) and a web identity (%s); keep one of them" % (ctx.option_source, ", ".join(keys), ", ".join(web)))
    if web:
        token, token_file = options.get("web_identity_token"), options.get("web_identity_token_file")
        return _web_identity(ctx, token=token, token_file=token_file, token_name=web[0], origin=ctx.option_source)
    found = key_pair(
        options.get("secret_id"), options.get("secret_key"), options.get("security_token"), source=ctx.option_source, hint="set both secret_id and secret_key"
    )
    return Base(StaticCredentials(found)) if found else None


def _environment_keys(ctx: ChainContext):
    env = ctx.env
    hint = "set both %s and %s" % (ENV_VARS["secret_id"][0], ENV_VARS["secret_key"][0])
    found = key_pair(*(env_value(name, env) for name in KEY_OPTIONS), source="environment", hint=hint)
    return Base(StaticCredentials(found)) if found else None


def _environment_web_identity(ctx: ChainContext):
    env = ctx.env
    token_name, file_name = _ENV_WEB_IDENTITY
    if env.get(token_name) or env.get(file_name):
        name = token_name if env.get(token_name) else file_name
        return _web_identity(ctx, token=env.get(token_name), token_file=env.get(file_name), token_name=name, origin="environment")
    if all(env_value(option, env, TKE_VARS) for option in TKE_VARS):
        name = env_name("web_identity_token_file", env, TKE_VARS)
        return _web_identity(ctx, token=None, token_file=env[name], token_name=name, origin="TKE environment", tke=True)
    return None


def _profile(ctx: ChainContext):
    found = from_profiles(ctx.home, ctx.profile)
    return Base(StaticCredentials(found.credential), found.role_arn, found.role_session_name) if found else None


def _cvm_role(ctx: ChainContext):
    role = (ctx.options.get("cvm_role") or env_value("cvm_role", ctx.env) or "").strip()
    return Base(CvmRoleCredentials(role, base_url=metadata_base_url(ctx.env), session=ctx.session)) if role else None


CHAIN = (
    Step("options", _options, lambda ctx: "the secret_id/secret_key options (or web_identity_token/web_identity_token_file)"),
    Step("environment", _environment_keys, lambda ctx: "the environment variables %s/%s" % (ENV_VARS["secret_id"][0], ENV_VARS["secret_key"][0])),
    Step(
        "web identity",
        _environment_web_identity,
        lambda ctx: "a web identity in the environment (%s, or all of %s)" % (" or ".join(_ENV_WEB_IDENTITY), ", ".join(v[0] for v in TKE_VARS.values())),
    ),
    Step("profile", _profile, lambda ctx: "the profile %r in %s and %s" % ((ctx.profile,) + profile_paths(ctx.home, ctx.profile))),
    Step("cvm_role", _cvm_role, lambda ctx: "a CVM instance role (not configured: set cvm_role to a role name or 'auto')"),
)


# --------------------------------------------------------------------------------------------


def _with_role(ctx: ChainContext, base: Base):
    """The base, or the role it assumes (AssumeRole, one hop) when a role_arn is resolved for it."""
    if isinstance(base.provider, WebIdentityCredentials):
        return base.provider  # its role_arn is the web identity's own role
    arn, name = _setting(ctx, "role_arn")
    if arn is None and base.role_arn:
        arn, name = base.role_arn, "role_arn (profile file)"
    if arn is None:
        return base.provider
    role = RoleSpec(
        arn=_role_arn(arn, name),
        session_name=_session_name(ctx, base.role_session_name),
        duration=_duration(ctx),
        external_id=_external_id(ctx),
        policy=_policy(ctx),
    )
    return AssumeRoleCredentials(base.provider, role, connect=ctx.connect_sts, region=_sts_region(ctx))


def _check(ctx: ChainContext) -> None:
    """Every role value that is set, whether or not a role ends up assumed: a typo fails now, not in a later job."""
    arn, name = _setting(ctx, "role_arn")
    if arn is not None:
        _role_arn(arn, name)
    _session_name(ctx)
    _duration(ctx)
    _external_id(ctx)
    _policy(ctx)
    token_file = ctx.options.get("web_identity_token_file")
    if token_file:
        _token_file(token_file, "web_identity_token_file")


def resolve_credentials(options: dict, *, env=None, home: str | None = None, option_source: str = "task options", session=None, connect_sts=None):
    """Walk ``CHAIN`` and return the provider of the first source that has credentials, with its role on top.

    ``options`` holds the shared option values; ``option_source`` names where they came from for
    ``credential_source``; ``connect_sts(credentials, region)`` builds the STS client a role or web identity uses.
    """
    env = os.environ if env is None else env
    profile_option = options.get("profile") or env_value("profile", env)
    ctx = ChainContext(
        options=options,
        option_source=option_source,
        env=env,
        home=home or os.path.expanduser("~"),
        profile=(profile_option or "default").strip(),
        profile_option=profile_option,
        session=session,
        connect_sts=connect_sts,
    )
    _check(ctx)
    for step in CHAIN:
        base = step.find(ctx)
        if base is not None:
            return _with_role(ctx, base)
    if ctx.profile_option and ctx.profile != "default":
        raise CredentialError("profile %r was not found in %s or %s" % ((ctx.profile,) + profile_paths(ctx.home, ctx.profile)))
    raise CredentialError("no Tencent Cloud credentials found. Looked at: %s" % "; ".join(step.looked_at(ctx) for step in CHAIN))
