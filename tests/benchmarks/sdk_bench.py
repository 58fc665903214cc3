# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""In-process measurements for the benchmark, each run in a fresh Python process by run.py.

  python sdk_bench.py sequential --endpoint 127.0.0.1:PORT --ids-file IDS.json
      the official SDK (tencentcloud-sdk-python-common) describing the ids one after the other with one
      client, sleeping 1 s and retrying on a rate-limit error, as a user's script would.
  python sdk_bench.py cpu --impl sdk|client|gather --endpoint 127.0.0.1:PORT --ids-file IDS.json --calls 300
      CPU seconds (time.process_time, all threads) per DescribeCertificate call, emulator at zero latency
      and no limit: the SDK, the collection's ApiClient.call (sequential), or the module's gathering
      (concurrent describe + normalisation).
  python sdk_bench.py import --what module|ping
      seconds to import what the module (or ansible.builtin.ping) imports, in a fresh process.

Prints one JSON object on stdout. Credentials are the emulator's demo keys (TENCENTCLOUD_SECRET_ID/KEY).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def _ids(path: str) -> list:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _sdk_client(endpoint: str):
    from tencentcloud.common import credential
    from tencentcloud.common.common_client import CommonClient
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile

    cred = credential.Credential(os.environ["TENCENTCLOUD_SECRET_ID"], os.environ["TENCENTCLOUD_SECRET_KEY"])
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=endpoint, protocol="http"))
    return CommonClient("ssl", "2019-12-05", cred, "", profile=profile)


def _sdk_describe(client, cert_id: str, counters: dict) -> dict:
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

    while True:
        try:
            return client.call_json("DescribeCertificate", {"CertificateId": cert_id})
        except TencentCloudSDKException as error:
            if "LimitExceeded" not in str(error.get_code()):
                raise
            counters["throttled"] += 1
            time.sleep(1.0)


def sequential(args) -> dict:
    ids = _ids(args.ids_file)
    t0 = time.perf_counter()
    client = _sdk_client(args.endpoint)
    t1 = time.perf_counter()
    counters = {"throttled": 0}
    for cert_id in ids:
        answer = _sdk_describe(client, cert_id, counters)
        if answer["Response"].get("CertificateId") != cert_id:
            raise SystemExit("SDK: unexpected answer for %s" % cert_id)
    t2 = time.perf_counter()
    return {"n": len(ids), "seconds": t2 - t1, "client_setup_seconds": t1 - t0, "throttled_seen": counters["throttled"]}


def _collection_client(endpoint: str):
    from ansible_collections.cloudcert.tencent.plugins.module_utils._options import build_client

    options = {
        "secret_id": os.environ["TENCENTCLOUD_SECRET_ID"],
        "secret_key": os.environ["TENCENTCLOUD_SECRET_KEY"],
        "endpoint": "http://" + endpoint,
        "language": "en-US",
        "timeout": 15.0,
        "validate_certs": True,
        "retries": 5,
        # The emulator's limit is off for this measurement; the client's own limiter must not sleep either.
        "rate_limit": 100000.0,
    }
    return build_client(options)


def cpu(args) -> dict:
    ids = _ids(args.ids_file)
    calls = [ids[i % len(ids)] for i in range(args.calls)]
    warm = calls[:10]
    if args.impl == "sdk":
        client = _sdk_client(args.endpoint)
        counters = {"throttled": 0}

        def run(batch):
            for cert_id in batch:
                _sdk_describe(client, cert_id, counters)

    elif args.impl == "client":
        client = _collection_client(args.endpoint)

        def run(batch):
            for cert_id in batch:
                client.call("DescribeCertificate", {"CertificateId": cert_id})

    else:
        from ansible_collections.cloudcert.tencent.plugins.module_utils._gather import Request, gather

        client = _collection_client(args.endpoint)

        def run(batch):
            # Distinct ids per round: gather asks a repeated id once.
            for start in range(0, len(batch), 100):
                chunk = list(dict.fromkeys(batch[start : start + 100]))
                result = gather(client, Request.of({"certificate_ids": chunk}))
                if len(result["certificates"]) != len(chunk):
                    raise SystemExit("gather returned %d of %d" % (len(result["certificates"]), len(chunk)))

    run(warm)
    c0, w0 = time.process_time(), time.perf_counter()
    run(calls)
    c1, w1 = time.process_time(), time.perf_counter()
    return {"impl": args.impl, "calls": len(calls), "cpu_per_call_ms": (c1 - c0) * 1000.0 / len(calls), "wall_per_call_ms": (w1 - w0) * 1000.0 / len(calls)}


def imports(args) -> dict:
    t0 = time.perf_counter()
    if args.what == "module":
        import ansible_collections.cloudcert.tencent.plugins.modules.ssl_certificate_info  # noqa: F401
    else:
        import ansible.modules.ping  # noqa: F401
    return {"what": args.what, "seconds": time.perf_counter() - t0}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_seq = sub.add_parser("sequential")
    p_seq.add_argument("--endpoint", required=True)
    p_seq.add_argument("--ids-file", required=True)
    p_cpu = sub.add_parser("cpu")
    p_cpu.add_argument("--impl", choices=["sdk", "client", "gather"], required=True)
    p_cpu.add_argument("--endpoint", required=True)
    p_cpu.add_argument("--ids-file", required=True)
    p_cpu.add_argument("--calls", type=int, default=300)
    p_imp = sub.add_parser("import")
    p_imp.add_argument("--what", choices=["module", "ping"], required=True)
    args = parser.parse_args(argv)
    result = {"sequential": sequential, "cpu": cpu, "import": imports}[args.command](args)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
