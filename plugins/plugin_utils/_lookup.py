# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""Controller side of the ``ssl_certificate`` lookup: options, errors, field resolution and the cache.

The lookup front end only declares documentation and calls :func:`run_lookup`. Everything that
talks to the API goes through the shared module_utils core, so the lookup hands out exactly the
records the module returns.

The cache lives in ``_cache.py``: a directory of JSON files on the controller, shared by every
task, host and fork of a run.
"""

from __future__ import annotations

import copy
import difflib
import os
from datetime import datetime, timezone

from ansible.errors import AnsibleLookupError
from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible.module_utils.common.parameters import remove_values
from ansible.utils.display import Display
from ansible_collections.cloudcert.tencent.plugins.module_utils._certificate import DERIVED_KEYS, DETAIL_FIELDS, expiry_facts
from ansible_collections.cloudcert.tencent.plugins.module_utils._environment import ENV_VARS, KEY_OPTIONS, SECRET_OPTIONS, VAR_NAMES, WEB_IDENTITY_OPTIONS
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import ConfigurationError, TencentCloudError, describe_failure
from ansible_collections.cloudcert.tencent.plugins.module_utils._fetch import MATERIAL, RECORD, Fetcher
from ansible_collections.cloudcert.tencent.plugins.module_utils._gather import ON_MISSING, clean_ids, handle_missing
from ansible_collections.cloudcert.tencent.plugins.module_utils._material import MATERIAL_KEYS
from ansible_collections.cloudcert.tencent.plugins.module_utils._options import OPTION_NAMES, build_client
from ansible_collections.cloudcert.tencent.plugins.plugin_utils._cache import RecordCache, cache_store, default_cache_dir

display = Display()

OWN_OPTIONS = ("field", "on_missing", "cache_ttl", "cache_dir", "cache_clear")
PATH_OPTIONS = ("ca_path", "web_identity_token_file", "cache_dir")
# A key pair or a web identity: the options of one tier of the credential chain, taken together from one level.
CREDENTIAL_OPTIONS = KEY_OPTIONS + WEB_IDENTITY_OPTIONS
ALIASES = {"token": "security_token"}
KEYWORDS = tuple(sorted(set(OPTION_NAMES + OWN_OPTIONS) | set(ALIASES)))
# The variables of every option: the shared table, and the lookup's own (its DOCUMENTATION's vars:).
_VARIABLES = dict(VAR_NAMES, cache_ttl=("cloudcert_tencent_cache_ttl",), cache_dir=("cloudcert_tencent_cache_dir",))


# --------------------------------------------------------------------------------------------
# Options


class LookupOptions:
    """The option values of one ``run()``, read through Ansible's documented plugin API only.

    ``set_options`` ranks keywords > variables > (environment of ``env:`` sources) > ansible.cfg >
    defaults on every ansible-core version. The credential options have no ``env:`` source: the
    credential chain reads their environment variables after everything Ansible resolves
    (``LATE_BOUND``), which gives the contract's precedence keywords > variables and ansible.cfg >
    environment > profile files > CVM role without ranking option origins by hand.
    An option came from the variables when one of its documented variables (``VAR_NAMES``) is set
    and no keyword set it: Ansible's own rule, so equal values at two levels cannot confuse it.
    """

    def __init__(self, plugin, *, variables, direct: dict) -> None:
        check_keywords(direct)
        names = OPTION_NAMES + OWN_OPTIONS
        plugin.set_options(var_options=variables or {}, direct=direct)
        values = {name: plugin.get_option(name) for name in names}
        self.direct = {ALIASES.get(key, key) for key in direct}
        present = set(variables or {})
        self.from_vars = {name for name in names if name not in self.direct and present.intersection(_VARIABLES.get(name, ()))}
        # The rest came from ansible.cfg, an env: source or the default (credentials: ansible.cfg or nothing).
        self.configured = {name: values[name] for name in names if name not in self.direct and name not in self.from_vars}
        templar = getattr(plugin, "_templar", None)
        # Values from host/group vars may still be templates ("{{ vault_secret_key }}"); keywords were
        # templated by Jinja before run() and must not be templated twice.
        self.values = {name: _template(templar, value) if name in self.from_vars else value for name, value in values.items()}
        for name in PATH_OPTIONS:
            # Ansible resolves a relative path against the play before we template it, which turns a template such
            # as "{{ token_dir }}/token" into "<play dir>/{{ token_dir }}/token": template the variable itself.
            raw = next((variables[var] for var in _VARIABLES.get(name, ()) if var in (variables or {})), None)
            if name in self.from_vars and isinstance(raw, str) and "{" in raw:
                self.values[name] = os.path.expanduser(str(_template(templar, raw)))

    def connection(self) -> tuple[dict, str]:
        """Options for ``build_client`` and the label of the source of the key pair."""
        options = {name: self.values.get(name) for name in OPTION_NAMES}
        creds, label = self._credentials()
        options.update(creds)
        return options, label

    def _credentials(self) -> tuple[dict, str]:
        # The chain never mixes halves of a key pair, so the credential options (a key pair, or a web identity) come
        # from the highest level that sets any of them; the environment is the chain's own next step.
        levels = (
            ("task options", {name: self.values[name] for name in CREDENTIAL_OPTIONS if name in self.direct}),
            ("Ansible variables", {name: self.values[name] for name in CREDENTIAL_OPTIONS if name in self.from_vars}),
            ("ansible.cfg", {name: self.configured.get(name) for name in CREDENTIAL_OPTIONS}),
        )
        for label, found in levels:
            if any(found.get(name) for name in ("secret_id", "secret_key") + WEB_IDENTITY_OPTIONS):
                return {name: found.get(name) for name in CREDENTIAL_OPTIONS}, label
        return dict.fromkeys(CREDENTIAL_OPTIONS), "environment"

    def secrets(self) -> list[str]:
        """Every secret value this run may know of, to scrub from error text."""
        found = [self.values.get(name) for name in SECRET_OPTIONS]
        found += [os.environ.get(env) for name in SECRET_OPTIONS for env in ENV_VARS[name]]
        return [value for value in found if isinstance(value, str) and len(value) >= 4]


def check_keywords(direct: dict) -> None:
    """Refuse keywords the lookup does not know: Ansible would drop them silently (a misspelt C(field) would return
    the whole record)."""
    unknown = sorted(set(direct) - set(KEYWORDS))
    if unknown:
        named = []
        for keyword in unknown:
            close = difflib.get_close_matches(str(keyword).lower(), KEYWORDS, n=1)
            named.append("unknown keyword %r%s" % (keyword, " (did you mean %r?)" % close[0] if close else ""))
        raise AnsibleLookupError("%s; valid keywords: %s" % ("; ".join(named), ", ".join(KEYWORDS)))


def _template(templar, value):
    if templar is None or not isinstance(value, str) or "{" not in value:
        return value
    return templar.template(value)


# --------------------------------------------------------------------------------------------
# Errors


def scrub(text: str, secrets) -> str:
    """Lookup options cannot be no_log, so error text is cleaned of any secret value it might echo (Ansible's own
    no_log masking, as the event source does)."""
    return remove_values(text, set(secrets))


def lookup_error(error: BaseException, secrets) -> AnsibleLookupError:
    if isinstance(error, TencentCloudError):
        return AnsibleLookupError(scrub(describe_failure(error), secrets))
    if isinstance(error, AnsibleLookupError):
        return AnsibleLookupError(scrub(str(error), secrets))
    # A bug: report it in one line; the original exception is dropped because its text is not ours.
    first = " ".join(str(error).split())[:200]
    return AnsibleLookupError(
        "cloudcert.tencent.ssl_certificate internal error (%s: %s); please report it with the output of -vvv" % (type(error).__name__, scrub(first, secrets))
    )


# --------------------------------------------------------------------------------------------
# Fields


def _snake(name: str) -> str:
    # The very conversion the record went through, so API names find their values.
    return next(iter(camel_dict_to_snake_dict({name: None})))


_API_NAMES = {_snake(name): name for name in DETAIL_FIELDS}


def field_catalogue(record: dict) -> str:
    """The valid top-level field names of a record, for an error message."""
    pairs = []
    for key in sorted(record):
        if key in DERIVED_KEYS or key in MATERIAL_KEYS:
            continue
        api = _API_NAMES.get(key)
        pairs.append("%s (%s)" % (api, key) if api else key)
    return "%s; derived: %s; material (DescribeCertificateDetail): %s; nested fields with dots, e.g. CertificateExtra.DomainNumber" % (
        ", ".join(pairs),
        ", ".join(DERIVED_KEYS),
        "certificate_pem, certificate_chain, fingerprints.sha1, fingerprints.sha256",
    )


def wants_material(field: str | None) -> bool:
    """Whether ``field`` names the certificate material, the only fields that need DescribeCertificateDetail."""
    if not isinstance(field, str) or not field.strip():
        return False
    return _snake(field.split(".", 1)[0].strip()) in MATERIAL_KEYS


def resolve_field(record: dict, field: str, *, cert_id: str):
    """The value of ``field`` (API name, snake_case name, derived key, dotted path) in a record."""
    parts = field.strip().split(".")
    if not field.strip() or any(not part.strip() for part in parts):
        raise AnsibleLookupError("field: %r is not a field name; valid fields: %s" % (field, field_catalogue(record)))
    value, walked = record, []
    for part in (p.strip() for p in parts):
        if value is None:
            return None  # a null parent: the nested value is null too
        value = _step(value, part, walked=walked, field=field, record=record, cert_id=cert_id)
        walked.append(part)
    return copy.deepcopy(value)


def _step(value, part: str, *, walked: list, field: str, record: dict, cert_id: str):
    if isinstance(value, dict):
        key = part if part in value else _snake(part)
        if key in value:
            return value[key]
        valid = field_catalogue(record) if not walked else ", ".join(sorted(value)) or "(none)"
        where = "certificate %s" % cert_id if not walked else "%s of certificate %s" % (".".join(walked), cert_id)
        raise AnsibleLookupError("field: unknown field %r in %s; valid fields: %s" % (field, where, valid))
    if isinstance(value, list) and part.isdigit():
        index = int(part)
        if index < len(value):
            return value[index]
        raise AnsibleLookupError("field: %r: %s of certificate %s has only %d elements" % (field, ".".join(walked), cert_id, len(value)))
    raise AnsibleLookupError("field: %r: %s of certificate %s is a %s, it has no field %r" % (field, ".".join(walked), cert_id, type(value).__name__, part))


def refresh_expiry(record: dict, now: datetime | None = None) -> dict:
    """Recompute days_to_expiry/expired: a cached record must not report the age it had when cached."""
    not_after = record.get("not_after")
    if isinstance(not_after, str):
        try:
            moment = datetime.strptime(not_after, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            return record
        record["days_to_expiry"], record["expired"] = expiry_facts(moment, now or datetime.now(timezone.utc))
    return record


# --------------------------------------------------------------------------------------------
# One run()


def _ids_from_terms(terms) -> list[str]:
    flat = []
    for term in terms or []:
        flat.extend(term if isinstance(term, (list, tuple)) else [term])
    try:
        return clean_ids(flat)
    except ConfigurationError as error:
        raise AnsibleLookupError("terms (certificate ids):" + str(error).split(":", 1)[1]) from None


def _own_settings(options: LookupOptions) -> tuple:
    values = options.values
    on_missing = values.get("on_missing") or "error"
    if on_missing not in ON_MISSING:
        raise AnsibleLookupError("on_missing: must be one of %s, got %r" % (", ".join(ON_MISSING), on_missing))
    ttl = values.get("cache_ttl")
    if ttl is None or ttl < 0:
        raise AnsibleLookupError("cache_ttl: must be 0 (cache off) or a number of seconds, got %r" % (ttl,))
    field = values.get("field")
    if field is not None and not isinstance(field, str):
        raise AnsibleLookupError("field: must be a field name such as CertEndTime, got %s" % type(field).__name__)
    return field, on_missing, ttl


def _cache_for(options: LookupOptions, ttl: int, client) -> RecordCache | None:
    if not ttl:
        return None
    directory = options.values.get("cache_dir") or default_cache_dir()
    # Wait for another fork's fetch at most as long as that fetch may legitimately take.
    lock_wait = 60.0 + client.timeout * (client.retries + 1) * 2 + client.throttle_timeout
    return RecordCache(os.path.expanduser(directory), ttl, lock_wait=lock_wait)


def run_lookup(plugin, terms, *, variables=None, direct: dict | None = None) -> list:
    """The whole lookup: one result per term, in order (a missing id yields none with warn/skip)."""
    secrets: list[str] = []
    client = None
    try:
        options = LookupOptions(plugin, variables=variables, direct=direct or {})
        secrets += options.secrets()
        field, on_missing, ttl = _own_settings(options)
        ids = _ids_from_terms(terms)
        if not ids:
            return []
        connection, source = options.connection()
        secrets += [connection.get(name) for name in SECRET_OPTIONS if connection.get(name)]
        client = build_client(connection, warn=display.warning, note=display.vvv, option_source=source)
        # The material needs DescribeCertificateDetail; every other field comes from the record.
        step = MATERIAL if wants_material(field) else RECORD
        cache = _cache_for(options, ttl, client)
        store = cache_store(cache, client, kind=step.name, clear=bool(options.values.get("cache_clear"))) if cache is not None else None
        found, missing = Fetcher(client, warn=display.warning, store=store).by_id(ids, (step,))
        handle_missing(missing, on_missing, warn=display.warning, action=step.action)
        results = []
        for cert_id in ids:
            if cert_id in found:
                record = refresh_expiry(copy.deepcopy(found[cert_id]))
                results.append(record if field is None else resolve_field(record, field, cert_id=cert_id))
        return results
    except Exception as error:  # noqa: BLE001 - every failure leaves as AnsibleLookupError without secrets
        raise lookup_error(error, secrets) from None
    finally:
        if client is not None:
            client.close()
