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
}

# option -> Ansible variables that set it for the lookup (``vars:`` of the PLUGINS fragment). The lookup decides
# which options came from variables by their presence, as Ansible's own precedence does.
VAR_NAMES = {
    option: ("tencentcloud_%s" % option,)
    for option in (
        "secret_id", "secret_key", "security_token", "profile", "cvm_role", "region", "endpoint",
        "language", "timeout", "validate_certs", "ca_path", "retries", "rate_limit", "throttle_timeout",
    )
}  # fmt: skip

# The credential chain reads these itself, last but for the profile files and the CVM role, so that
# everything a task or Ansible's configuration sets outranks them and a key pair never mixes sources
# (community.hashi_vault's "late binding" of low-precedence environment variables). The lookup's
# documentation therefore gives them no ``env:`` entry; the other options' variables are ordinary
# ``env:`` sources (lookup) and ``env_fallback`` (module).
LATE_BOUND = ("secret_id", "secret_key", "security_token", "profile", "cvm_role")

SECRET_OPTIONS = ("secret_key", "security_token")


def env_value(option: str, env) -> str | None:
    """The value of the first environment variable of ``option`` that is set and not empty."""
    return next((env[name] for name in ENV_VARS[option] if env.get(name)), None)
