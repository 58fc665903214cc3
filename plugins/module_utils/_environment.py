# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""The environment variables of the shared options: the one table every front end and test reads.

Standard library only, so the module (argspec fallbacks), the credential chain, the lookup, the event
source and the documentation tests all import the same names instead of keeping copies in step.
"""

from __future__ import annotations

# option -> environment variables, read in this order (the first one set wins).
ENV_VARS = {
    "secret_id": ("TENCENTCLOUD_SECRET_ID",),
    "secret_key": ("TENCENTCLOUD_SECRET_KEY",),
    "security_token": ("TENCENTCLOUD_SECURITY_TOKEN", "TENCENTCLOUD_TOKEN"),
    "profile": ("TENCENTCLOUD_PROFILE",),
    "cvm_role": ("TENCENTCLOUD_CVM_ROLE",),
    "region": ("TENCENTCLOUD_REGION",),
    "endpoint": ("TENCENTCLOUD_SSL_ENDPOINT",),
    # Roles and web identity (STS). Terraform's names first, then tccli's / the TKE pod's.
    "role_arn": ("TENCENTCLOUD_ASSUME_ROLE_ARN", "TENCENTCLOUD_ROLE_ARN"),
    "role_session_name": ("TENCENTCLOUD_ASSUME_ROLE_SESSION_NAME", "TENCENTCLOUD_ROLE_SESSION_NAME"),
    "role_duration": ("TENCENTCLOUD_ASSUME_ROLE_SESSION_DURATION",),
    "role_external_id": ("TENCENTCLOUD_ASSUME_ROLE_EXTERNAL_ID",),
    "web_identity_token": ("TENCENTCLOUD_ASSUME_ROLE_WEB_IDENTITY_TOKEN",),
    "web_identity_token_file": ("TENCENTCLOUD_ASSUME_ROLE_WEB_IDENTITY_TOKEN_FILE", "TKE_WEB_IDENTITY_TOKEN_FILE", "TKE_IDENTITY_TOKEN_FILE"),
    "web_identity_provider_id": ("TENCENTCLOUD_ASSUME_ROLE_PROVIDER_ID", "TKE_PROVIDER_ID"),
    "sts_endpoint": ("TENCENTCLOUD_STS_ENDPOINT",),
}

# A TKE pod's identity, as Tencent's SDK reads it: a source of its own when all four are set (the token file also
# under its name before 2023, TKE_IDENTITY_TOKEN_FILE).
TKE_VARS = {
    "sts_region": ("TKE_REGION",),
    "web_identity_provider_id": ("TKE_PROVIDER_ID",),
    "web_identity_token_file": ("TKE_WEB_IDENTITY_TOKEN_FILE", "TKE_IDENTITY_TOKEN_FILE"),
    "role_arn": ("TKE_ROLE_ARN",),
}

# option -> Ansible variables that set it for the lookup (``vars:`` of the PLUGINS fragment). The lookup decides
# which options came from variables by their presence, as Ansible's own precedence does.
VAR_NAMES = {
    option: ("tencentcloud_%s" % option,)
    for option in (
        "secret_id", "secret_key", "security_token", "profile", "cvm_role", "region", "endpoint",
        "language", "timeout", "validate_certs", "ca_path", "retries", "rate_limit", "throttle_timeout",
        "role_arn", "role_session_name", "role_duration", "role_external_id", "role_policy",
        "web_identity_token", "web_identity_token_file", "web_identity_provider_id", "sts_endpoint", "sts_region",
    )
}  # fmt: skip

# The credential chain reads these itself, last but for the profile files and the CVM role, so that
# everything a task or Ansible's configuration sets outranks them and a key pair never mixes sources
# (community.hashi_vault's "late binding" of low-precedence environment variables). The lookup's
# documentation therefore gives them no ``env:`` entry; the other options' variables are ordinary
# ``env:`` sources (lookup) and ``env_fallback`` (module).
LATE_BOUND = (
    "secret_id", "secret_key", "security_token", "profile", "cvm_role",
    "role_arn", "role_session_name", "role_duration", "role_external_id",
    "web_identity_token", "web_identity_token_file", "web_identity_provider_id",
)  # fmt: skip

SECRET_OPTIONS = ("secret_key", "security_token", "web_identity_token")
# The options that make a source of the credential chain on their own: a key pair, or a web identity.
KEY_OPTIONS = ("secret_id", "secret_key", "security_token")
WEB_IDENTITY_OPTIONS = ("web_identity_token", "web_identity_token_file")


def env_value(option: str, env, table=None) -> str | None:
    """The value of the first environment variable of ``option`` (in ``table``, default ENV_VARS) that is set."""
    return next((env[name] for name in (table or ENV_VARS)[option] if env.get(name)), None)


def env_name(option: str, env, table=None) -> str | None:
    """The name of the environment variable ``env_value`` reads for ``option``."""
    return next((name for name in (table or ENV_VARS)[option] if env.get(name)), None)
