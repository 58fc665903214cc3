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

import configparser
import copy
import os
from datetime import datetime, timezone

from ansible.errors import AnsibleLookupError
from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible.utils.display import Display
from ansible_collections.cloudcert.tencent.plugins.module_utils._certificate import DERIVED_KEYS, DETAIL_FIELDS, expiry_facts
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import ConfigurationError, TencentCloudError, describe_failure
from ansible_collections.cloudcert.tencent.plugins.module_utils._gather import ON_MISSING, clean_ids, handle_missing
from ansible_collections.cloudcert.tencent.plugins.module_utils._options import OPTION_NAMES, build_client
from ansible_collections.cloudcert.tencent.plugins.plugin_utils._cache import RecordCache, default_cache_dir, fetch_records

display = Display()

CREDENTIAL_OPTIONS = ("secret_id", "secret_key", "security_token")
INI_SECTION = "cloudcert_tencent"
MASKED_TEXT = "********"
_RANK = {"task options": 0, "Ansible variables": 1, "ansible.cfg": 2, "environment": 3, "default": 4}


# --------------------------------------------------------------------------------------------
# Options


def origin_label(origin) -> str:
    """A person's name for an Ansible config origin ('Direct', 'var: x', 'env: X', '/etc/ansible/ansible.cfg')."""
    text = str(origin or "default")
    if text == "Direct":
        return "task options"
    if text.startswith("var:"):
        return "Ansible variables"
    if text.startswith("env:"):
        return "environment"
    if text == "default":
        return "default"
    return "ansible.cfg"


def read_ini_credentials(config_file: str | None) -> dict:
    """The credential keys of ``[cloudcert_tencent]`` in ansible.cfg, read directly.

    Ansible ranks the environment above ansible.cfg, but the collection's contract puts ansible.cfg
    first for credentials, so an ini key pair hidden behind environment keys must still be found.
    """
    if not config_file:
        return {}
    parser = configparser.ConfigParser(inline_comment_prefixes=(";",), interpolation=None)
    try:
        parser.read(config_file, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return {}  # Ansible itself reports an unreadable ansible.cfg
    if not parser.has_section(INI_SECTION):
        return {}
    return {name: parser.get(INI_SECTION, name, fallback=None) or None for name in CREDENTIAL_OPTIONS}


def credential_options(values: dict, origins: dict, ini: dict) -> tuple[dict, str]:
    """(secret_id/secret_key/security_token to hand to the chain, label of their source).

    Ansible resolves each option on its own, which could pair a secret_id from one place with a
    secret_key from another. The chain never mixes halves, so take the credential options only from
    the highest-ranked source that sets either half; environment keys are left to the chain itself.
    """
    labels = {name: origin_label(origins.get(name)) for name in CREDENTIAL_OPTIONS if values.get(name)}
    halves = [labels[name] for name in ("secret_id", "secret_key") if name in labels]
    best = min(halves, key=_RANK.__getitem__) if halves else "default"
    if best in ("task options", "Ansible variables"):
        return {name: values.get(name) if labels.get(name) == best else None for name in CREDENTIAL_OPTIONS}, best
    if ini.get("secret_id") or ini.get("secret_key"):
        return {name: ini.get(name) for name in CREDENTIAL_OPTIONS}, "ansible.cfg"
    return dict.fromkeys(CREDENTIAL_OPTIONS), "environment"


class LookupOptions:
    """The option values of one ``run()``, read through ``get_option_and_origin`` and templated."""

    def __init__(self, plugin) -> None:
        self._plugin = plugin
        self.values: dict = {}
        self.origins: dict = {}
        for name in OPTION_NAMES + ("field", "on_missing", "cache_ttl", "cache_dir", "cache_clear"):
            self.values[name], self.origins[name] = self._read(name)

    def _read(self, name: str):
        getter = getattr(self._plugin, "get_option_and_origin", None)
        if getter is not None:
            value, origin = getter(name)
        else:  # pragma: no cover - ansible-core < 2.17 had no origins
            value, origin = self._plugin.get_option(name), None
        return self._template(value, origin), origin

    def _template(self, value, origin):
        # Values from host/group vars may still be templates ("{{ vault_secret_key }}"); task
        # arguments were templated by Jinja before run() and must not be templated twice.
        templar = getattr(self._plugin, "_templar", None)
        if templar is None or not isinstance(value, str) or "{" not in value or not str(origin or "").startswith("var:"):
            return value
        return templar.template(value)

    def connection(self, *, config_file: str | None) -> tuple[dict, str]:
        """Options for ``build_client`` and the label of the credential source."""
        options = {name: self.values.get(name) for name in OPTION_NAMES}
        creds, label = credential_options(self.values, self.origins, read_ini_credentials(config_file))
        options.update(creds)
        return options, label

    def secrets(self) -> list[str]:
        """Every secret value this run may know of, to scrub from error text."""
        found = [self.values.get(name) for name in ("secret_key", "security_token")]
        found += [os.environ.get(name) for name in ("TENCENTCLOUD_SECRET_KEY", "TENCENTCLOUD_SECURITY_TOKEN", "TENCENTCLOUD_TOKEN")]
        return [value for value in found if isinstance(value, str) and len(value) >= 4]


# --------------------------------------------------------------------------------------------
# Errors


def scrub(text: str, secrets) -> str:
    """Lookup options cannot be no_log, so error text is cleaned of any secret value it might echo."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(secret, MASKED_TEXT)
    return text


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
        if key in DERIVED_KEYS:
            continue
        api = _API_NAMES.get(key)
        pairs.append("%s (%s)" % (api, key) if api else key)
    return "%s; derived: %s; nested fields with dots, e.g. CertificateExtra.DomainNumber" % (", ".join(pairs), ", ".join(DERIVED_KEYS))


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
    lock_wait = 60.0 + client.timeout * (client.retries + 1) * 2
    return RecordCache(os.path.expanduser(directory), ttl, lock_wait=lock_wait)


def run_lookup(plugin, terms, *, config_file: str | None = None) -> list:
    """The whole lookup: one result per term, in order (a missing id yields none with warn/skip)."""
    secrets: list[str] = []
    client = None
    try:
        options = LookupOptions(plugin)
        secrets += options.secrets()
        field, on_missing, ttl = _own_settings(options)
        ids = _ids_from_terms(terms)
        if not ids:
            return []
        connection, source = options.connection(config_file=config_file)
        secrets += [value for value in (connection.get("secret_key"), connection.get("security_token")) if value]
        client = build_client(connection, warn=display.warning, option_source=source)
        found, missing = fetch_records(client, ids, cache=_cache_for(options, ttl, client), clear=bool(options.values.get("cache_clear")), warn=display.warning)
        handle_missing(missing, on_missing, warn=display.warning)
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
