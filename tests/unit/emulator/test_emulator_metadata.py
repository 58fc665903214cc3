"""The fake CVM metadata service and the temporary keys it hands out."""

from __future__ import annotations

import time

import requests
from ansible_collections.cloudcert.tencent.tests.emulator import Emulator

PARAMS = {"CertificateId": "NoRm0001"}


def test_role_name_and_credentials(emulator, client):
    assert emulator.metadata_url == emulator.url + "/latest/meta-data/cam/security-credentials/"
    role = requests.get(emulator.metadata_url, timeout=5)
    assert role.status_code == 200 and role.headers["Content-Type"] == "text/plain"
    assert role.text == "cloudcert-demo-role"
    creds = requests.get(emulator.metadata_url + role.text, timeout=5).json()
    assert creds["Code"] == "Success"
    assert isinstance(creds["ExpiredTime"], int) and 7100 < creds["ExpiredTime"] - time.time() <= 7200
    assert creds["Expiration"].endswith("Z")
    keys = {"secret_id": creds["TmpSecretId"], "secret_key": creds["TmpSecretKey"]}
    assert client.code("DescribeCertificate", PARAMS, token=creds["Token"], **keys) is None
    assert client.code("DescribeCertificate", PARAMS, **keys) == "AuthFailure.TokenFailure"
    assert emulator.count() == 2  # metadata calls are not API requests


def test_metadata_keys_expire(make_client):
    with Emulator(metadata_ttl=0) as emu:
        creds = requests.get(emu.metadata_url + "cloudcert-demo-role", timeout=5).json()
        code = make_client(emu).code("DescribeCertificate", PARAMS, secret_id=creds["TmpSecretId"], secret_key=creds["TmpSecretKey"], token=creds["Token"])
        assert code == "AuthFailure.TokenFailure"


def test_unknown_role_and_no_role():
    with Emulator(metadata_role="my-role") as emu:
        assert requests.get(emu.metadata_url, timeout=5).text == "my-role"
        assert requests.get(emu.metadata_url + "other-role", timeout=5).status_code == 404
    with Emulator(metadata_role=None) as emu:
        assert requests.get(emu.metadata_url, timeout=5).status_code == 404
        assert requests.get(emu.metadata_url + "cloudcert-demo-role", timeout=5).status_code == 404


def test_garbage_metadata():
    with Emulator(metadata_garbage=True) as emu:
        reply = requests.get(emu.metadata_url + "cloudcert-demo-role", timeout=5)
        assert reply.status_code == 200
        try:
            reply.json()
        except ValueError:
            pass
        else:
            raise AssertionError("metadata garbage parsed as JSON")
