"""The command line: port file, options, HTTPS, clean exit on SIGTERM and SIGINT."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time

import pytest
import requests
from ansible_collections.cloudcert.tencent.tests.emulator import Emulator

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def start_cli(tmp_path, *options):
    port_file = tmp_path / "port"
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.emulator", "--port-file", str(port_file)] + list(options), cwd=COLLECTION_ROOT, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 10
    while not port_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError("emulator did not start: %s" % process.communicate()[1])
        time.sleep(0.05)
    return process, int(port_file.read_text())


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cli_serves_and_stops_cleanly(tmp_path, stop_signal):
    log = tmp_path / "log.jsonl"
    process, port = start_cli(
        tmp_path, "--fault", "internal_error:1:DescribeCertificate", "--key", "AKIDcli:cli-secret", "--log", str(log), "--generate", "3", "--rate-limit", "5"
    )
    try:
        assert requests.get("http://127.0.0.1:%d/_emulator/health" % port, timeout=5).json() == {"ok": True}
        faults = requests.get("http://127.0.0.1:%d/_emulator/faults" % port, timeout=5).json()
        assert faults[0]["kind"] == "internal_error" and faults[0]["action"] == "DescribeCertificate"
    finally:
        process.send_signal(stop_signal)
        _out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "cloudcert emulator listening on http://127.0.0.1:%d" % port in err
    assert "Traceback" not in err


def test_exit_with_parent_leaves_no_orphan(tmp_path):
    """A test script killed before its cleanup must not leave the emulator holding its port (and its pipes)."""
    port_file = tmp_path / "port"
    # The parent starts the emulator, waits until it listens, and exits without stopping it.
    parent = (
        "import os, subprocess, sys, time\n"
        "subprocess.Popen([sys.executable, '-m', 'tests.emulator', '--exit-with-parent', '--port-file', sys.argv[1]],"
        " stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "deadline = time.monotonic() + 10\n"
        "while not os.path.exists(sys.argv[1]) and time.monotonic() < deadline:\n"
        "    time.sleep(0.05)\n"
    )
    subprocess.run([sys.executable, "-c", parent, str(port_file)], cwd=COLLECTION_ROOT, timeout=30, check=True)
    port = int(port_file.read_text())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            requests.get("http://127.0.0.1:%d/_emulator/health" % port, timeout=1)
        except requests.ConnectionError:
            return
        time.sleep(0.1)
    raise AssertionError("the emulator still serves on port %d after its parent exited" % port)


def test_cli_rejects_bad_options(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "tests.emulator", "--fault", "meteor"], cwd=COLLECTION_ROOT, capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 2
    result = subprocess.run(
        [sys.executable, "-m", "tests.emulator", "--host", "0.0.0.0"], cwd=COLLECTION_ROOT, capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 2 and "loopback" in result.stderr


def test_https(tmp_path, make_client):
    import trustme  # a test requirement (tests/unit/requirements.txt): missing means a broken setup, not a skip

    authority = trustme.CA()
    server_cert = authority.issue_cert("127.0.0.1")
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_cert.configure_cert(context)
    with Emulator(ssl_context=context) as emu:
        assert emu.url.startswith("https://127.0.0.1:")
        client = make_client(emu)
        client.verify = str(ca_file)
        assert client.code("DescribeCertificate", {"CertificateId": "NoRm0001"}) is None
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(emu.url + "/_emulator/health", timeout=5)
