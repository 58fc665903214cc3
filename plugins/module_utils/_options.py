# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""The shared connection options: argument spec, validation, and building a client from values.

Options arrive as a plain dict (``module.params`` or the lookup's ``get_option`` values), so this
code serves both front ends without knowing either (the hashi_vault "option adapter" idea).
The documentation of these options lives once, in ``plugins/doc_fragments/_connection.py``; a unit
test keeps the two in step.
"""

from __future__ import annotations

import math

from ansible_collections.cloudcert.tencent.plugins.module_utils._chain import resolve_credentials
from ansible_collections.cloudcert.tencent.plugins.module_utils._client import HAS_REQUESTS, ApiClient, connect, parse_endpoint
from ansible_collections.cloudcert.tencent.plugins.module_utils._environment import ENV_VARS
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import ConfigurationError, MissingLibraryError
from ansible_collections.cloudcert.tencent.plugins.module_utils._retry import DEFAULT_THROTTLE_TIMEOUT
from ansible_collections.cloudcert.tencent.plugins.module_utils._ssl import DEFAULT_ENDPOINT, LANGUAGES, SSL
from ansible_collections.cloudcert.tencent.plugins.module_utils._sts import STS, default_endpoint

try:
    from ansible.module_utils.basic import env_fallback, missing_required_lib
except ImportError:  # pragma: no cover - ansible-core always ships it
    env_fallback = missing_required_lib = None

# The environment table is ENV_VARS (``_environment.py``). Credential options carry no env fallback
# here on purpose: the credential chain reads the environment itself (LATE_BOUND), so it can report
# which source it used and never mixes key halves.
OPTION_NAMES = (
    "secret_id", "secret_key", "security_token", "profile", "cvm_role", "region", "endpoint",
    "language", "timeout", "validate_certs", "ca_path", "retries", "rate_limit", "throttle_timeout",
    "role_arn", "role_session_name", "role_duration", "role_external_id", "role_policy",
    "web_identity_token", "web_identity_token_file", "web_identity_provider_id", "sts_endpoint", "sts_region",
)  # fmt: skip


def connection_argument_spec() -> dict:
    """The module argspec for the shared options (mirrors doc_fragments/_connection.py)."""
    return {
        "secret_id": {"type": "str", "no_log": False},
        "secret_key": {"type": "str", "no_log": True},
        "security_token": {"type": "str", "no_log": True, "aliases": ["token"]},
        "profile": {"type": "str"},
        "cvm_role": {"type": "str"},
        "region": {"type": "str", "fallback": (env_fallback, list(ENV_VARS["region"]))},
        "endpoint": {"type": "str", "default": DEFAULT_ENDPOINT, "fallback": (env_fallback, list(ENV_VARS["endpoint"]))},
        "language": {"type": "str", "default": "en-US", "choices": list(LANGUAGES)},
        "timeout": {"type": "float", "default": 15.0},
        "validate_certs": {"type": "bool", "default": True},
        "ca_path": {"type": "path"},
        "retries": {"type": "int", "default": 5},
        "rate_limit": {"type": "float", "default": 10.0},
        "throttle_timeout": {"type": "float", "default": DEFAULT_THROTTLE_TIMEOUT},
        "role_arn": {"type": "str"},
        "role_session_name": {"type": "str"},
        "role_duration": {"type": "int"},
        "role_external_id": {"type": "str", "no_log": False},
        "role_policy": {"type": "raw"},
        "web_identity_token": {"type": "str", "no_log": True},
        "web_identity_token_file": {"type": "path", "no_log": False},
        "web_identity_provider_id": {"type": "str"},
        "sts_endpoint": {"type": "str", "fallback": (env_fallback, list(ENV_VARS["sts_endpoint"]))},
        "sts_region": {"type": "str"},
    }


def validate(options: dict) -> None:
    """Range checks the argspec cannot express; each message names the option."""
    timeout = options.get("timeout")
    if timeout is None or not timeout > 0:
        raise ConfigurationError("timeout: must be a number of seconds greater than 0, got %r" % (timeout,))
    rate = options.get("rate_limit")
    if rate is None or not rate > 0:
        raise ConfigurationError("rate_limit: must be greater than 0 requests per second (the API allows 10), got %r" % (rate,))
    throttle_timeout = _throttle_timeout(options)
    if math.isnan(throttle_timeout) or throttle_timeout < 0:
        raise ConfigurationError("throttle_timeout: must be 0 or more seconds, got %r" % (throttle_timeout,))
    retries = options.get("retries")
    if retries is None or retries < 0:
        raise ConfigurationError("retries: must be 0 or more, got %r" % (retries,))
    if options.get("language") not in LANGUAGES:
        raise ConfigurationError("language: must be one of %s, got %r" % (", ".join(LANGUAGES), options.get("language")))
    if options.get("sts_endpoint"):
        parse_endpoint(options["sts_endpoint"], name="sts_endpoint")
    ca_path = options.get("ca_path")
    if ca_path:
        try:
            with open(ca_path, "rb"):
                pass
        except OSError as exc:
            raise ConfigurationError("ca_path: cannot read %s (%s)" % (ca_path, exc.strerror)) from None


def _throttle_timeout(options: dict):
    # Unset (a front end or caller that predates the option) means the default, not an error.
    value = options.get("throttle_timeout")
    return DEFAULT_THROTTLE_TIMEOUT if value is None else value


def _client_options(options: dict, *, warn, note) -> dict:
    """What every client of a run shares, SSL's and STS's: language, transport, retries and diagnostics."""
    return {
        "language": options.get("language") or "en-US",
        "timeout": float(options["timeout"]),
        "validate_certs": bool(options.get("validate_certs", True)),
        "ca_path": options.get("ca_path"),
        "retries": int(options["retries"]),
        "throttle_timeout": float(_throttle_timeout(options)),
        "warn": warn,
        "note": note,
    }


def _sts_connector(options: dict, *, warn, note):
    """connect_sts(credentials, region) for the credential chain: an STS client with this run's client options."""
    endpoint = options.get("sts_endpoint") or default_endpoint(options.get("endpoint") or DEFAULT_ENDPOINT)
    shared = _client_options(options, warn=warn, note=note)
    return lambda credentials, region: connect(STS, credentials=credentials, endpoint=endpoint, region=region, **shared)


def build_client(options: dict, *, warn=None, note=None, option_source: str = "task options", env=None) -> ApiClient:
    """A ready client for these option values: validated, credentials resolved, session pooled.

    ``note(text)`` receives diagnostics for high verbosity only (the lookup: ``display.vvv``).
    """
    if not HAS_REQUESTS:
        # Ansible's own wording: which library, which Python (the controller's for the lookup), what to do.
        raise MissingLibraryError(missing_required_lib("requests"))
    validate(options)
    credentials = resolve_credentials(options, env=env, option_source=option_source, connect_sts=_sts_connector(options, warn=warn, note=note))
    client = connect(
        SSL,
        credentials=credentials,
        endpoint=options.get("endpoint") or DEFAULT_ENDPOINT,
        region=options.get("region"),
        rate_limit=float(options["rate_limit"]),
        **_client_options(options, warn=warn, note=note),
    )
    if not options.get("validate_certs", True) and warn is not None:
        warn("validate_certs is false: the TLS certificate of %s is not verified; use this only for a local emulator or a trusted gateway" % client.host)
    return client
