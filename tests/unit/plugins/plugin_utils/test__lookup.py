# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lookup's helpers: option sources, field resolution, errors, and the cache (with the real emulator)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from ansible.errors import AnsibleLookupError
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import lookup_loader
from ansible.template import Templar
from ansible_collections.cloudcert.tencent.plugins.module_utils._certificate import MASK, normalise
from ansible_collections.cloudcert.tencent.plugins.plugin_utils import _lookup
from ansible_collections.cloudcert.tencent.plugins.plugin_utils._lookup import RecordCache, lookup_error, resolve_field
from ansible_collections.cloudcert.tencent.tests.emulator import (
    DEMO_SECRET_ID,
    DEMO_SECRET_KEY,
    KEY_PASSWORD,
    ROLE_NOBODY,
    ROLE_POD,
    ROLE_READER,
    WEB_IDENTITY_TOKEN,
    Emulator,
)
from ansible_collections.cloudcert.tencent.tests.unit.compat import trust_as_template

NAME = "cloudcert.tencent.ssl_certificate"
COLLECTIONS_PARENT = os.path.abspath(os.path.join(os.path.dirname(__file__), *[".."] * 7))

RAW = {
    "CertificateId": "Juz8JAxn",
    "Domain": "www.example.com",
    "Alias": None,
    "Status": 1,
    "CertBeginTime": "2026-11-27 08:00:00",
    "CertEndTime": "2027-02-27 07:59:59",
    "SubjectAltName": ["www.example.com", "example.com"],
    "CertificateExtra": {"DomainNumber": "2", "OriginCertificateId": None, "SMCert": 0},
    "SubmittedData": {"CsrType": "online", "KeyPassword": "hunter2-password"},
    "DvAuthDetail": None,
    "Tags": [{"TagKey": "env", "TagValue": "prod"}],
    "CAEncryptAlgorithms": ["RSA 2048"],
    "RequestId": "6ef60bec-0242-43af-bb20-270359fb54a7",
}


@pytest.fixture
def record():
    return normalise(RAW)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No keys, profiles or cache settings leak in from the developer's environment."""
    for name in list(os.environ):
        if name.startswith(("TENCENTCLOUD_", "CLOUDCERT_TENCENT_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))


@pytest.fixture
def emulator():
    with Emulator(port=0, rate_limit=0) as emu:
        yield emu


@pytest.fixture
def run(emulator, tmp_path):
    """run(terms, **options) through the plugin loader against the emulator, cache in tmp_path/cache."""

    def call(terms, **options):
        options.setdefault("endpoint", emulator.url)
        options.setdefault("secret_id", DEMO_SECRET_ID)
        options.setdefault("secret_key", DEMO_SECRET_KEY)
        options.setdefault("cache_dir", str(tmp_path / "cache"))
        return lookup_loader.get(NAME).run(terms, variables={}, **options)

    return call


def describes(emulator) -> int:
    return emulator.count(action="DescribeCertificate")


# ---------------------------------------------------------------- option sources


def _options(variables=None, **direct):
    plugin = lookup_loader.get(NAME, loader=DataLoader(), templar=Templar(loader=DataLoader(), variables=variables or {}))
    return _lookup.LookupOptions(plugin, variables=variables or {}, direct=direct)


def _pair(creds):
    return {name: creds[name] for name in ("secret_id", "secret_key", "security_token")}


def test_keywords_outrank_variables_as_a_pair():
    options = _options({"tencentcloud_secret_id": "AKIDvar", "tencentcloud_secret_key": "k-var"}, secret_id="AKIDkw", secret_key="k-kw")
    creds, label = options.connection()
    assert (creds["secret_id"], creds["secret_key"], label) == ("AKIDkw", "k-kw", "task options")


def test_credentials_never_mix_levels():
    # half a pair as keywords: the other half is not taken from the variables (the chain reports the half pair)
    options = _options({"tencentcloud_secret_key": "k-var", "tencentcloud_security_token": "t-var"}, secret_id="AKIDkw", token="t-kw")
    creds, label = options.connection()
    assert label == "task options"
    assert _pair(creds) == {"secret_id": "AKIDkw", "secret_key": None, "security_token": "t-kw"}  # the alias counts as the option


def test_variables_outrank_the_environment(monkeypatch):
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "AKIDenv")
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "k-env")
    creds, label = _options({"tencentcloud_secret_id": "AKIDvar", "tencentcloud_secret_key": "k-var"}).connection()
    assert (creds["secret_id"], creds["secret_key"], label) == ("AKIDvar", "k-var", "Ansible variables")
    # nothing set by the task or Ansible: the chain reads the environment itself (late binding)
    creds, label = _options({}).connection()
    assert _pair(creds) == {"secret_id": None, "secret_key": None, "security_token": None} and label == "environment"


def test_settings_follow_ansible_order(monkeypatch):
    monkeypatch.setenv("TENCENTCLOUD_SSL_ENDPOINT", "http://127.0.0.1:1")
    assert _options({}).values["endpoint"] == "http://127.0.0.1:1"
    assert _options({"tencentcloud_endpoint": "http://127.0.0.1:2"}).values["endpoint"] == "http://127.0.0.1:2"
    assert _options({"tencentcloud_endpoint": "http://127.0.0.1:2"}, endpoint="http://127.0.0.1:3").values["endpoint"] == "http://127.0.0.1:3"
    monkeypatch.delenv("TENCENTCLOUD_SSL_ENDPOINT")
    assert _options({}).values["endpoint"] == "ssl.intl.tencentcloudapi.com"


def test_vars_are_templated_and_name_their_source(emulator, tmp_path):
    variables = {
        "vault_key": DEMO_SECRET_KEY,
        "tencentcloud_secret_id": DEMO_SECRET_ID,
        "tencentcloud_secret_key": trust_as_template("{{ vault_key }}"),
        "tencentcloud_endpoint": emulator.url,
        "cloudcert_tencent_cache_ttl": 0,
    }
    templar = Templar(loader=DataLoader(), variables=variables)
    plugin = lookup_loader.get(NAME, loader=DataLoader(), templar=templar)
    assert plugin.run(["NoRm0001"], variables=variables, field="CertificateId") == ["NoRm0001"]
    options = _lookup.LookupOptions(plugin, variables=variables, direct={})
    assert options.connection() == (dict(options.connection()[0], secret_key=DEMO_SECRET_KEY), "Ansible variables")


def test_lookup_function_returns_a_list_field_itself(emulator, tmp_path):
    variables = {"tencentcloud_secret_id": DEMO_SECRET_ID, "tencentcloud_secret_key": DEMO_SECRET_KEY, "tencentcloud_endpoint": emulator.url,
                 "cloudcert_tencent_cache_dir": str(tmp_path / "c")}  # fmt: skip
    templar = Templar(loader=DataLoader(), variables=variables)
    sans = templar.template(trust_as_template("{{ lookup('cloudcert.tencent.ssl_certificate', 'NoRm0001', field='SubjectAltName') }}"))
    assert isinstance(sans, list) and "www.example.com" in sans
    days = templar.template(trust_as_template("{{ query('cloudcert.tencent.ssl_certificate', 'NoRm0001', 'SoOn0002', field='days_to_expiry') }}"))
    assert isinstance(days, list) and days[1] == 12


# ---------------------------------------------------------------- fields


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("CertEndTime", "2027-02-27 07:59:59"),
        ("cert_end_time", "2027-02-27 07:59:59"),
        ("not_after", "2027-02-26T23:59:59Z"),
        ("not_before", "2026-11-27T00:00:00Z"),
        ("SubjectAltName", ["www.example.com", "example.com"]),
        ("CertificateExtra.DomainNumber", "2"),
        ("certificate_extra.domain_number", "2"),
        ("CertificateExtra.OriginCertificateId", None),
        ("CertificateExtra.SMCert", 0),
        ("SubmittedData.KeyPassword", MASK),
        ("submitted_data.key_password", MASK),
        ("Alias", None),
        ("DvAuthDetail.DvAuthKey", None),
        ("Tags.0.TagKey", "env"),
        ("CAEncryptAlgorithms", ["RSA 2048"]),
        ("IsWildcard", None),
        (" Domain ", "www.example.com"),
    ],
)
def test_resolve_field(record, field, expected):
    assert resolve_field(record, field, cert_id="Juz8JAxn") == expected


def test_resolve_derived_types(record):
    assert isinstance(resolve_field(record, "days_to_expiry", cert_id="x"), int)
    assert isinstance(resolve_field(record, "expired", cert_id="x"), bool)


def test_resolved_values_are_copies(record):
    resolve_field(record, "SubjectAltName", cert_id="x").append("evil.example.com")
    assert record["subject_alt_name"] == ["www.example.com", "example.com"]


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("CertEndTimes", r"unknown field 'CertEndTimes' in certificate Juz8JAxn; valid fields: .*CertEndTime \(cert_end_time\).*derived: not_before"),
        ("CertificateExtra.Bogus", r"in CertificateExtra of certificate Juz8JAxn; valid fields: domain_number"),
        ("Domain.Length", "is a str, it has no field 'Length'"),
        ("Tags.5", "has only 1 elements"),
        ("a..b", "is not a field name"),
        ("", "is not a field name"),
    ],
)
def test_resolve_field_errors(record, field, message):
    with pytest.raises(AnsibleLookupError, match=message):
        resolve_field(record, field, cert_id="Juz8JAxn")


# ---------------------------------------------------------------- results through the loader


def test_records_match_the_module_and_keep_order(run, emulator):
    results = run(["SoOn0002", "NoRm0001", "SoOn0002"])
    assert [r["certificate_id"] for r in results] == ["SoOn0002", "NoRm0001", "SoOn0002"]
    assert results[0]["days_to_expiry"] == 12 and results[0]["expired"] is False
    assert describes(emulator) == 2


def test_key_password_stays_masked_everywhere(run, tmp_path):
    assert run(["KeYp0006"], field="SubmittedData.KeyPassword") == [MASK]
    assert run(["KeYp0006"])[0]["submitted_data"]["key_password"] == MASK
    for path in (tmp_path / "cache").iterdir():
        assert KEY_PASSWORD not in path.read_text()


def test_null_fields_return_none(run):
    assert run(["NuLl0005"], field="CertEndTime") == [None]
    assert run(["NuLl0005"], field="not_after") == [None]


def test_terms_may_be_lists(run):
    assert run([["NoRm0001", "WiLd0004"]], field="certificate_id") == ["NoRm0001", "WiLd0004"]


@pytest.mark.parametrize(("terms", "message"), [([5], "terms \\(certificate ids\\): 5 is not a string"), (["a b"], "not a valid certificate id")])
def test_bad_terms(run, terms, message):
    with pytest.raises(AnsibleLookupError, match=message):
        run(terms)


def test_on_missing_error(run):
    with pytest.raises(AnsibleLookupError, match="certificates NoSuch01, NoSuch02"):
        run(["NoRm0001", "NoSuch01", "NoSuch02"])


def test_on_missing_warn_and_skip(run, emulator, monkeypatch):
    warnings = []
    monkeypatch.setattr(_lookup.display, "warning", lambda text, *a, **k: warnings.append(text))
    assert run(["NoSuch01", "NoRm0001"], on_missing="skip", field="certificate_id") == ["NoRm0001"]
    assert warnings == []
    # The "not found" answer is cached too: warn does not ask again.
    assert run(["NoSuch01", "NoRm0001"], on_missing="warn", field="certificate_id") == ["NoRm0001"]
    assert warnings == ["certificate not found: NoSuch01"]
    assert describes(emulator) == 2


def test_api_errors_are_actionable_and_secret_free(run):
    with pytest.raises(AnsibleLookupError) as info:
        run(["NoRm0001"], secret_key="wrong-secret-key-value-123")
    text = str(info.value)
    assert "AuthFailure.SignatureFailure" in text and "DescribeCertificate" in text
    assert "wrong-secret-key-value-123" not in text


def test_internal_errors_are_scrubbed():
    error = lookup_error(RuntimeError("boom with sekrit-key-1234 inside"), ["sekrit-key-1234"])
    assert "sekrit-key-1234" not in str(error) and "RuntimeError" in str(error)


def test_missing_credentials_say_where_they_looked(emulator, tmp_path):
    with pytest.raises(AnsibleLookupError, match="no Tencent Cloud credentials found"):
        lookup_loader.get(NAME).run(["NoRm0001"], variables={}, endpoint=emulator.url, cache_dir=str(tmp_path))


def test_missing_requests_is_ansibles_missing_required_lib(run, monkeypatch):
    from ansible.module_utils.basic import missing_required_lib
    from ansible_collections.cloudcert.tencent.plugins.module_utils import _options

    monkeypatch.setattr(_options, "HAS_REQUESTS", False)
    with pytest.raises(AnsibleLookupError) as caught:
        run(["NoRm0001"])
    assert str(caught.value) == missing_required_lib("requests")
    assert "internal error" not in str(caught.value)


@pytest.mark.parametrize(("options", "message"), [({"cache_ttl": -1}, "cache_ttl: must be 0"), ({"timeout": 0}, "timeout: must be")])
def test_bad_options(run, options, message):
    with pytest.raises(AnsibleLookupError, match=message):
        run(["NoRm0001"], **options)


# ---------------------------------------------------------------- the cache through the lookup


def test_cache_hit_across_runs(run, emulator):
    first = run(["NoRm0001"])
    second = run(["NoRm0001"])
    assert first == second and describes(emulator) == 1


def test_cache_is_per_credential_and_endpoint(run, emulator, tmp_path):
    run(["NoRm0001"])
    run(["NoRm0001"], language="zh-CN")
    run(["NoRm0001"], endpoint=emulator.url + "/")  # the same endpoint spelled differently is the same URL
    assert describes(emulator) == 2


def test_cache_ttl_zero_is_off(run, emulator, tmp_path):
    run(["NoRm0001"], cache_ttl=0)
    run(["NoRm0001"], cache_ttl=0)
    assert describes(emulator) == 2
    assert not (tmp_path / "cache").exists()


def test_cache_clear(run, emulator):
    run(["NoRm0001", "WiLd0004"])
    run(["NoRm0001"], cache_clear=True)
    run(["NoRm0001", "WiLd0004"])
    assert describes(emulator) == 3


def test_cache_permissions_and_no_secrets(run, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o755)
    os.chmod(cache, 0o755)
    run(["NoRm0001", "NoSuch01"], on_missing="skip")
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    files = list(cache.iterdir())
    assert files and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
    for path in files:
        text = path.read_text()
        assert DEMO_SECRET_KEY not in text and DEMO_SECRET_ID not in text and DEMO_SECRET_KEY not in path.name


def test_cache_from_env(run, emulator, tmp_path, monkeypatch):
    monkeypatch.setenv("CLOUDCERT_TENCENT_CACHE_DIR", str(tmp_path / "envcache"))
    lookup_loader.get(NAME).run(["NoRm0001"], variables={}, endpoint=emulator.url, secret_id=DEMO_SECRET_ID, secret_key=DEMO_SECRET_KEY)
    assert any((tmp_path / "envcache").iterdir())


# ---------------------------------------------------------------- roles and web identity through the lookup


def test_a_role_is_assumed_once_and_a_cache_hit_calls_no_sts(run, emulator):
    first = run(["NoRm0001"], role_arn=ROLE_READER, sts_endpoint=emulator.url, field="CertificateId")
    second = run(["NoRm0001"], role_arn=ROLE_READER, sts_endpoint=emulator.url, field="CertificateId")
    assert first == second == ["NoRm0001"]
    assert len(emulator.sts_calls("AssumeRole")) == 1 and describes(emulator) == 1
    # The role's keys, not the base's, read the certificate; a different role is a different cache.
    assert [e["secret_id"] for e in emulator.requests if e["action"] == "DescribeCertificate"] == [emulator.sts_calls()[0]["secret_id"]]
    run(["NoRm0001"], sts_endpoint=emulator.url)
    assert describes(emulator) == 2


def test_web_identity_from_variables_with_its_role(emulator, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(WEB_IDENTITY_TOKEN)
    variables = {
        "tencentcloud_web_identity_token_file": str(token_file),
        "tencentcloud_role_arn": ROLE_POD,
        "tencentcloud_endpoint": emulator.url,
        "tencentcloud_sts_endpoint": emulator.url,
        "cloudcert_tencent_cache_dir": str(tmp_path / "c"),
    }
    plugin = lookup_loader.get(NAME, loader=DataLoader(), templar=Templar(loader=DataLoader(), variables=variables))
    assert plugin.run(["NoRm0001"], variables=variables, field="CertificateId") == ["NoRm0001"]
    assert emulator.sts_calls()[0]["action"] == "AssumeRoleWithWebIdentity"
    options = _lookup.LookupOptions(plugin, variables=variables, direct={})
    assert options.connection()[1] == "Ansible variables"


def test_sts_refusals_reach_the_lookup_as_one_sentence(run, emulator):
    with pytest.raises(AnsibleLookupError) as caught:
        run(["NoRm0001"], role_arn=ROLE_NOBODY, sts_endpoint=emulator.url)
    message = str(caught.value)
    assert message.startswith("AssumeRole for role %s failed" % ROLE_NOBODY) and "UnauthorizedOperation" in message
    assert DEMO_SECRET_KEY not in message and describes(emulator) == 0
    with pytest.raises(AnsibleLookupError, match="^role_duration: must be a number of seconds from 1 to 43200"):
        run(["NoRm0001"], role_arn=ROLE_READER, role_duration=0)


# ---------------------------------------------------------------- RecordCache directly


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def cache(tmp_path):
    return RecordCache(str(tmp_path / "c"), 300, clock=Clock())


KEY = RecordCache.key("key AKID " + "f" * 64, endpoint="https://ssl.example", language="en-US", cert_id="Juz8JAxn")


def test_record_cache_hit_miss_and_ttl(cache, record):
    assert cache.read(KEY, "Juz8JAxn") is None
    cache.write(KEY, "Juz8JAxn", record)
    assert cache.read(KEY, "Juz8JAxn") == ("record", record)
    assert cache.read(KEY, "Other001") is None  # an entry for another id under this name is not trusted
    cache._clock.now += 299
    assert cache.read(KEY, "Juz8JAxn") is not None
    cache._clock.now += 1
    assert cache.read(KEY, "Juz8JAxn") is None


def test_record_cache_missing_marker(cache):
    cache.write(KEY, "Juz8JAxn", None)
    assert cache.read(KEY, "Juz8JAxn") == ("missing", None)


@pytest.mark.parametrize(
    "content",
    [b"", b"{", b"\xff\xfe", b"[]", b'{"version": 1}', b'{"version":1,"certificate_id":"Juz8JAxn","fetched_at":"now","record":{}}',
     b'{"version":1,"certificate_id":"Juz8JAxn","fetched_at":1000000,"record":[1]}',
     b'{"version":99,"certificate_id":"Juz8JAxn","fetched_at":1000000,"record":{}}'],
)  # fmt: skip
def test_record_cache_ignores_bad_files_and_replaces_them(cache, record, content):
    path = os.path.join(cache.directory, KEY + ".json")
    with open(path, "wb") as handle:
        handle.write(content)
    assert cache.read(KEY, "Juz8JAxn") is None
    cache.write(KEY, "Juz8JAxn", record)
    assert cache.read(KEY, "Juz8JAxn") == ("record", record)


def test_record_cache_unreadable_entries(cache, record, tmp_path):
    path = os.path.join(cache.directory, KEY + ".json")
    os.symlink(str(tmp_path / "elsewhere.json"), path)  # never followed
    assert cache.read(KEY, "Juz8JAxn") is None
    cache.write(KEY, "Juz8JAxn", record)
    assert not os.path.islink(path) and cache.read(KEY, "Juz8JAxn") is not None
    os.unlink(path)
    os.mkdir(path)  # a directory in the way: read and write fail quietly
    assert cache.read(KEY, "Juz8JAxn") is None
    cache.write(KEY, "Juz8JAxn", record)


def test_record_cache_unreadable_file(cache, record, monkeypatch):
    """EACCES on the entry (mode 000 for a normal user; root ignores modes, so the error is injected)."""
    cache.write(KEY, "Juz8JAxn", record)
    path = os.path.join(cache.directory, KEY + ".json")
    real_open = os.open

    def refusing_open(name, flags, *args, **kwargs):
        if os.fspath(name) == path and not flags & os.O_CREAT:
            raise PermissionError(13, "Permission denied", name)
        return real_open(name, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    assert cache.read(KEY, "Juz8JAxn") is None
    monkeypatch.setattr(os, "open", real_open)
    cache.write(KEY, "Juz8JAxn", record)
    assert cache.read(KEY, "Juz8JAxn") is not None


def test_record_cache_tightens_file_modes(cache, record):
    cache.write(KEY, "Juz8JAxn", record)
    path = os.path.join(cache.directory, KEY + ".json")
    os.chmod(path, 0o644)
    assert cache.read(KEY, "Juz8JAxn") is not None
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_record_cache_unusable_directory(tmp_path, monkeypatch):
    warnings = []
    monkeypatch.setattr(_lookup.display, "warning", lambda text, *a, **k: warnings.append(text))
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert RecordCache(str(blocker / "sub"), 300).usable is False
    assert warnings and "cache is off" in warnings[0]


def test_stale_expiry_is_recomputed(cache, record):
    stale = dict(record, days_to_expiry=9999, expired=True)
    assert _lookup.refresh_expiry(stale)["days_to_expiry"] == record["days_to_expiry"]


# ---------------------------------------------------------------- no stampede


def test_ten_threads_fetch_once(tmp_path):
    """Ten lookups at once, each with its own lock fd (as forks have): one asks, nine read its answer."""
    with Emulator(port=0, rate_limit=10, latency=0.5) as emu:
        barrier = threading.Barrier(10)
        results, errors = [], []

        # Loaded here: Ansible's plugin loader is not thread-safe on a first load (forks are processes, not threads).
        plugins = [lookup_loader.get(NAME) for _index in range(10)]

        def worker(plugin):
            barrier.wait()
            try:
                results.append(plugin.run(["WiLd0004"], variables={}, endpoint=emu.url, secret_id=DEMO_SECRET_ID, secret_key=DEMO_SECRET_KEY,
                                          cache_dir=str(tmp_path / "cache"), field="Domain"))  # fmt: skip
            except Exception as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(plugin,)) for plugin in plugins]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert errors == []
        assert results == [["*.example.com"]] * 10
        assert emu.count(action="DescribeCertificate") == 1


CHILD = textwrap.dedent(
    """
    import os, sys, time
    sys.path.insert(0, {parent!r})
    from ansible.plugins.loader import init_plugin_loader, lookup_loader
    init_plugin_loader([{parent!r}])
    plugin = lookup_loader.get({name!r})
    while not os.path.exists({go!r}):
        time.sleep(0.005)
    print(plugin.run(["SoOn0002", "NoRm0001"], variables={{}}, endpoint={url!r}, secret_id={sid!r}, secret_key={key!r},
                     cache_dir={cache!r}, field="certificate_id"))
    """
)


def test_ten_processes_fetch_once(tmp_path):
    """Like ten forks of ansible-playbook: separate processes, one API call per certificate."""
    go = str(tmp_path / "go")
    with Emulator(port=0, rate_limit=10, latency=0.5) as emu:
        script = CHILD.format(parent=COLLECTIONS_PARENT, name=NAME, go=go, url=emu.url, sid=DEMO_SECRET_ID, key=DEMO_SECRET_KEY, cache=str(tmp_path / "cache"))
        # The children see what this process sees: under ansible-test, ansible itself is on sys.path, not installed.
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([COLLECTIONS_PARENT] + [p for p in sys.path if p and os.path.isdir(p)]))
        children = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _index in range(10)]
        time.sleep(1.0)  # let every child import Ansible and wait at the start line
        open(go, "w").close()
        outputs = [child.communicate(timeout=60) for child in children]
        assert all(child.returncode == 0 for child in children), [err.decode()[-500:] for _out, err in outputs]
        assert all(out.decode().strip() == "['SoOn0002', 'NoRm0001']" for out, _err in outputs)
        assert emu.count(action="DescribeCertificate") == 2
        assert {entry["params"]["CertificateId"] for entry in emu.requests} == {"SoOn0002", "NoRm0001"}
    for path in (tmp_path / "cache").iterdir():
        if path.suffix == ".json":
            assert json.loads(path.read_text())["record"]["certificate_id"] in ("SoOn0002", "NoRm0001")


# ---------------------------------------------------------------- certificate material


def _served_leaf_fingerprint(emulator, cert_id: str) -> str:
    """sha256 over the DER of the first PEM block the emulator serves, computed here independently."""
    import base64
    import hashlib

    from ansible_collections.cloudcert.tencent.tests.emulator.material import ensure_material

    pem = ensure_material(emulator.certificate_store[cert_id])["CertificatePublicKey"]
    body = pem.split("-----BEGIN CERTIFICATE-----", 1)[1].split("-----END CERTIFICATE-----", 1)[0]
    digest = hashlib.sha256(base64.b64decode("".join(body.split()))).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def test_material_fields_call_the_detail_action_only_when_asked(run, emulator):
    run(["NoRm0001"], field="not_after")
    run(["NoRm0001"])
    assert emulator.count(action="DescribeCertificateDetail") == 0
    assert run(["NoRm0001"], field="fingerprints.sha256") == [_served_leaf_fingerprint(emulator, "NoRm0001")]
    pem = run(["NoRm0001"], field="certificate_pem")[0]
    chain = run(["NoRm0001"], field="CertificateChain")[0]  # the API-style spelling of the snake_case name
    assert pem.startswith("-----BEGIN CERTIFICATE-----\n") and pem.rstrip().endswith("-----END CERTIFICATE-----")
    assert isinstance(chain, list) and all(block.startswith("-----BEGIN CERTIFICATE-----") for block in chain)
    fingerprints = run(["NoRm0001"], field="fingerprints")[0]
    assert set(fingerprints) == {"sha1", "sha256"} and fingerprints["sha1"].count(":") == 19
    # one detail call, cached for the other material fields; the record itself was asked once too
    assert emulator.count(action="DescribeCertificateDetail") == 1 and describes(emulator) == 1


def test_material_never_caches_the_private_key(run, emulator, tmp_path):
    from ansible_collections.cloudcert.tencent.tests.emulator.material import private_key_lines

    results = run(["NoRm0001", "KeYp0006"], field="certificate_pem")
    assert len(results) == 2
    secret_lines = private_key_lines(emulator.certificate_store["NoRm0001"]) + private_key_lines(emulator.certificate_store["KeYp0006"])
    assert secret_lines
    cached = "".join(path.read_text() for path in (tmp_path / "cache").glob("*.json"))
    assert "certificate_pem" in cached
    for line in secret_lines:
        assert line not in cached and line not in str(results)


def test_material_missing_and_unknown_subfield(run):
    assert run(["NoSuch01", "NoRm0001"], field="fingerprints.sha1", on_missing="skip")[0].count(":") == 19
    with pytest.raises(AnsibleLookupError, match="DescribeCertificateDetail for certificate NoSuch01"):
        run(["NoSuch01"], field="certificate_pem")
    with pytest.raises(AnsibleLookupError, match="unknown field 'fingerprints.md5'.*sha1, sha256"):
        run(["NoRm0001"], field="fingerprints.md5")


@pytest.mark.parametrize("keyword", ["fiel", "rolearn", "Field"])
def test_an_unknown_keyword_fails_naming_it_before_any_call(run, emulator, keyword):
    with pytest.raises(AnsibleLookupError) as caught:
        run(["NoRm0001"], **{keyword: "CertEndTime"})
    message = str(caught.value)
    assert "unknown keyword %r" % keyword in message
    valid = message.split("valid keywords: ", 1)[1].split(", ")
    assert {"field", "on_missing", "secret_id", "token"} <= set(valid)
    assert emulator.count() == 0


def test_a_misspelt_keyword_gets_a_suggestion(run):
    with pytest.raises(AnsibleLookupError, match=r"unknown keyword 'fiel' \(did you mean 'field'\?\)"):
        run(["NoRm0001"], fiel="CertEndTime")


def test_the_alias_token_is_a_known_keyword(run):
    record = run(["NoRm0001"], token=None)[0]
    assert record["certificate_id"] == "NoRm0001"


def test_record_cache_refuses_what_the_rate_limiter_refuses(tmp_path, monkeypatch):
    """One state-file policy (module_utils/_statefile.py): a symlinked or foreign directory is not used."""
    warnings = []
    monkeypatch.setattr(_lookup.display, "warning", lambda text, *a, **k: warnings.append(text))
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    assert RecordCache(str(tmp_path / "link"), 300).usable is False
    assert "not a plain directory" in warnings[-1] and "cache is off" in warnings[-1]
    real_uid = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: real_uid + 1)
    assert RecordCache(str(real), 300).usable is False
    assert "belongs to another user" in warnings[-1]


def test_the_variables_table_is_what_the_documentation_declares():
    """LookupOptions tells variables by these names: they must be the ones Ansible reads (DOCUMENTATION with fragments)."""
    from ansible import constants as C

    plugin = lookup_loader.get(NAME)
    definitions = C.config.get_configuration_definitions("lookup", plugin._load_name)
    declared = {name: tuple(entry["name"] for entry in spec.get("vars") or []) for name, spec in definitions.items() if spec.get("vars")}
    assert declared == _lookup._VARIABLES
