# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""Controller side of the ``ssl_certificate`` lookup: options, errors, field resolution and the cache.

The lookup front end only declares documentation and calls :func:`run_lookup`. Everything that
talks to the API goes through the shared module_utils core, so the lookup hands out exactly the
records the module returns.

The cache (see :class:`RecordCache`) is a directory of JSON files on the controller, shared by
every task, host and fork of a run (forks are processes, so coordination uses ``flock``).
"""

from __future__ import annotations

import configparser
import contextlib
import copy
import fcntl
import hashlib
import json
import os
import tempfile
import time
from datetime import datetime, timezone

from ansible.errors import AnsibleLookupError
from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible.utils.display import Display
from ansible_collections.cloudcert.tencent.plugins.module_utils._certificate import DERIVED_KEYS, DETAIL_FIELDS, expiry_facts
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import ConfigurationError, TencentCloudError, describe_failure
from ansible_collections.cloudcert.tencent.plugins.module_utils._gather import ON_MISSING, clean_ids, describe_by_ids, handle_missing
from ansible_collections.cloudcert.tencent.plugins.module_utils._options import OPTION_NAMES, build_client

display = Display()

CREDENTIAL_OPTIONS = ("secret_id", "secret_key", "security_token")
INI_SECTION = "cloudcert_tencent"
CACHE_VERSION = 1
CACHE_ENV_DIR = "CLOUDCERT_TENCENT_CACHE_DIR"
# A clock difference this large between forks is impossible on one controller; beyond it an entry is distrusted.
CLOCK_SLACK = 5.0
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
# The cache


def default_cache_dir(env=None) -> str:
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "cloudcert.tencent", "lookup")


def credential_identity(client) -> list:
    """What the cache key says about who asks, without the secret and without network calls.

    Static keys: the key id and a SHA-256 of the secret key (a rotated secret starts a new cache).
    CVM role: the role option and metadata URL, not the temporary key id, because that id rotates
    every few hours and reading it would cost a metadata call on every cache hit. The role's
    permissions, not its current temporary key, decide what the API answers.
    """
    provider = client.credentials
    if getattr(provider, "refreshable", False):
        return ["cvm-role", str(getattr(provider, "role", "")), str(getattr(provider, "base_url", ""))]
    credential = provider.get()
    return ["key", credential.secret_id, hashlib.sha256(credential.secret_key.encode("utf-8")).hexdigest()]


class RecordCache:
    """One JSON file per (certificate id, credential identity, endpoint, language), owner-only.

    ``<key>.json`` holds ``{"version", "certificate_id", "fetched_at", "record"}`` or ``"missing": true``
    for an id the API did not find. ``<key>.lock`` is the flock that lets one process fetch while
    the others wait and then read its answer. Any file that cannot be read or does not have that
    shape is a miss and is overwritten by the next fetch.
    """

    def __init__(self, directory: str, ttl: float, *, clock=time.time, lock_wait: float = 300.0) -> None:
        self.directory = directory
        self.ttl = ttl
        self._clock = clock
        self.lock_wait = lock_wait
        self.usable = self._prepare()

    def _prepare(self) -> bool:
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            info = os.stat(self.directory)
            if info.st_uid != os.getuid():
                # Another user's directory could feed us forged records: do not use it.
                display.warning("cache_dir %s belongs to another user; the lookup cache is off for this run" % self.directory)
                return False
            if info.st_mode & 0o077:
                os.chmod(self.directory, 0o700)
        except OSError as exc:
            display.warning("cache_dir %s cannot be used (%s); the lookup cache is off for this run" % (self.directory, exc.strerror))
            return False
        return True

    @staticmethod
    def key(identity: list, *, endpoint: str, language: str, cert_id: str) -> str:
        material = json.dumps([CACHE_VERSION, identity, endpoint, language, cert_id], separators=(",", ":"))
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def _path(self, key: str, suffix: str) -> str:
        return os.path.join(self.directory, key + suffix)

    def read(self, key: str, cert_id: str):
        """("record", dict) or ("missing", None) for a fresh entry; None for a miss of any kind."""
        try:
            fd = os.open(self._path(key, ".json"), os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            return None
        try:
            info = os.fstat(fd)
            if info.st_uid != os.getuid():
                return None
            if info.st_mode & 0o077:
                os.fchmod(fd, 0o600)
            with os.fdopen(fd, "rb", closefd=False) as handle:
                entry = json.loads(handle.read().decode("utf-8"))
        except (OSError, ValueError):
            return None
        finally:
            os.close(fd)
        return self._fresh(entry, cert_id)

    def _fresh(self, entry, cert_id: str):
        if not isinstance(entry, dict) or entry.get("version") != CACHE_VERSION or entry.get("certificate_id") != cert_id:
            return None
        fetched_at = entry.get("fetched_at")
        if not isinstance(fetched_at, (int, float)) or isinstance(fetched_at, bool):
            return None
        age = self._clock() - fetched_at
        if age >= self.ttl or age < -CLOCK_SLACK:
            return None
        if entry.get("missing") is True:
            return ("missing", None)
        record = entry.get("record")
        return ("record", record) if isinstance(record, dict) else None

    def write(self, key: str, cert_id: str, record: dict | None) -> None:
        """Store a record (None: the id was not found) atomically; a failure only costs the cache."""
        entry = {"version": CACHE_VERSION, "certificate_id": cert_id, "fetched_at": self._clock()}
        if record is None:
            entry["missing"] = True
        else:
            entry["record"] = record
        try:
            fd, temp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")  # mode 0600
        except OSError as exc:
            display.vvv("cloudcert.tencent: cannot write to the lookup cache %s (%s)" % (self.directory, exc.strerror))
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(entry, handle, separators=(",", ":"))
            os.replace(temp, self._path(key, ".json"))
        except (OSError, TypeError, ValueError) as exc:
            display.vvv("cloudcert.tencent: cannot write a lookup cache entry (%s)" % (exc,))
            with contextlib.suppress(OSError):
                os.unlink(temp)

    def drop(self, key: str) -> None:
        # Lock files stay: removing one that another fork holds would let a third fork lock a new file.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path(key, ".json"))

    @contextlib.contextmanager
    def locked(self, keys):
        """Hold the exclusive locks of ``keys``, taken in sorted order so two forks never deadlock."""
        fds = []
        try:
            for key in sorted(set(keys)):
                fd = self._lock_one(key)
                if fd is not None:
                    fds.append(fd)
            yield
        finally:
            for fd in reversed(fds):
                with contextlib.suppress(OSError):
                    fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def _lock_one(self, key: str) -> int | None:
        """An fd holding the key's lock, or None when locking is impossible (then we fetch unlocked)."""
        try:
            fd = os.open(self._path(key, ".lock"), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        except OSError:
            return None
        deadline = time.monotonic() + self.lock_wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    display.vvv("cloudcert.tencent: gave up waiting for a lookup cache lock; fetching without it")
                    os.close(fd)
                    return None
                time.sleep(0.02)
            except OSError:
                os.close(fd)
                return None


# --------------------------------------------------------------------------------------------
# One run()


def _collect(cache: RecordCache, keys: dict, found: dict, missing: set) -> list[str]:
    """Fill ``found``/``missing`` from the cache; return the ids still to fetch."""
    pending = []
    for cert_id, key in keys.items():
        hit = cache.read(key, cert_id)
        if hit is None:
            pending.append(cert_id)
        elif hit[0] == "missing":
            missing.add(cert_id)
        else:
            found[cert_id] = hit[1]
    return pending


def fetch_records(client, ids: list[str], *, cache: RecordCache | None, clear: bool = False, warn=None) -> tuple[dict, list[str]]:
    """({id: record}, missing ids) for the distinct ``ids``, through the cache when there is one."""
    unique = list(dict.fromkeys(ids))
    if cache is None or not cache.usable:
        return describe_by_ids(client, unique, warn=warn)
    identity = credential_identity(client)
    keys = {cert_id: cache.key(identity, endpoint=client.url, language=client.language, cert_id=cert_id) for cert_id in unique}
    if clear:
        for key in keys.values():
            cache.drop(key)
    found, missing = {}, set()
    pending = _collect(cache, keys, found, missing)
    if pending:
        with cache.locked(keys[cert_id] for cert_id in pending):
            # Another fork may have fetched while we waited for the lock: read again before asking.
            pending = _collect(cache, {cert_id: keys[cert_id] for cert_id in pending}, found, missing)
            if pending:
                fetched, gone = describe_by_ids(client, pending, warn=warn)
                for cert_id in pending:
                    cache.write(keys[cert_id], cert_id, fetched.get(cert_id))
                found.update(fetched)
                missing.update(gone)
    return found, [cert_id for cert_id in unique if cert_id in missing]


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
