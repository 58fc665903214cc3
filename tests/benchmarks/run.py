# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of cloudcert.tencent against the bundled emulator (see tests/benchmarks/README.md).

    python tests/benchmarks/run.py [--quick] [--reps 3] [--out results.json]

Runs every scenario side by side in one run (repetitions interleaved), prints a table with medians and the
targets of the performance issue, and writes everything as JSON. It never fails on speed: the exit code is
non-zero only when a scenario could not run (a playbook failed, the emulator did not start, ...).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(HERE))  # the collection root this file belongs to
NAMESPACE, NAME = "cloudcert", "tencent"
PLAYBOOKS = os.path.join(HERE, "playbooks")
CALLBACKS = os.path.join(HERE, "callback")


# ---------------------------------------------------------------------------------------------------------
# Collection layout and emulator


def find_or_lay_out(work: str) -> str:
    """Return the directory that holds ansible_collections/cloudcert/tencent for this checkout.

    If this file already sits in such a layout (the test harness's copy), use it; otherwise copy the
    checkout (git's file list when available) to WORK/collections/ansible_collections/cloudcert/tencent.
    """
    parts = os.path.normpath(SOURCE_ROOT).split(os.sep)
    if parts[-3:] == ["ansible_collections", NAMESPACE, NAME]:
        return os.sep.join(parts[:-3]) or os.sep
    root = os.path.join(work, "collections")
    target = os.path.join(root, "ansible_collections", NAMESPACE, NAME)
    files = None
    if shutil.which("git") and os.path.isdir(os.path.join(SOURCE_ROOT, ".git")):
        listing = subprocess.run(["git", "-C", SOURCE_ROOT, "ls-files", "--cached", "--others", "--exclude-standard", "-z"], capture_output=True, check=False)
        if listing.returncode == 0:
            files = [name for name in listing.stdout.decode("utf-8", "surrogateescape").split("\0") if name]
    if files is None:
        ignore = shutil.ignore_patterns(".git", "output", "__pycache__", ".ansible", "*.tar.gz")
        shutil.copytree(SOURCE_ROOT, target, ignore=ignore)
        return root
    for name in files:
        source = os.path.join(SOURCE_ROOT, name)
        if not os.path.isfile(source):
            continue  # deleted but still in the index
        destination = os.path.join(target, name)
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        shutil.copy2(source, destination)
    return root


class EmulatorProcess:
    """The bundled emulator as a separate process (so its CPU and GIL stay out of every measurement)."""

    def __init__(self, collection: str, work: str, *, latency: float, rate_limit: int, generate: int) -> None:
        self.log_path = os.path.join(work, "emulator.jsonl")
        port_file = os.path.join(work, "emulator.port")
        self.stderr = open(os.path.join(work, "emulator.stderr"), "w", encoding="utf-8")  # noqa: SIM115 - closed in stop()
        command = [sys.executable, "-m", "tests.emulator", "--port", "0", "--port-file", port_file, "--log", self.log_path]
        command += ["--latency", str(latency), "--rate-limit", str(rate_limit), "--generate", str(generate)]
        self.process = subprocess.Popen(command, cwd=collection, stdout=subprocess.DEVNULL, stderr=self.stderr)
        deadline = time.monotonic() + 30
        while not (os.path.exists(port_file) and open(port_file, encoding="utf-8").read().strip()):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the emulator did not start; see %s" % self.stderr.name)
            time.sleep(0.05)
        with open(port_file, encoding="utf-8") as handle:
            self.port = int(handle.read().strip())
        self.hostport = "127.0.0.1:%d" % self.port
        self.url = "http://" + self.hostport
        self.latency = latency
        self.rate_limit = rate_limit

    def control(self, name: str, document: dict | None = None) -> dict:
        data = json.dumps(document or {}).encode("utf-8")
        request = urllib.request.Request(self.url + "/_emulator/" + name, data=data, method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310 - loopback emulator
            return json.loads(reply.read().decode("utf-8"))

    def configure(self, *, latency: float, rate_limit: int) -> None:
        self.control("config", {"latency": latency, "rate_limit": rate_limit})
        self.latency, self.rate_limit = latency, rate_limit

    def mark(self) -> int:
        """Forget rate-limit windows and faults; return the current end of the JSONL log."""
        self.control("reset")
        return os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0

    def entries_since(self, offset: int) -> list:
        if not os.path.exists(self.log_path):
            return []
        with open(self.log_path, "rb") as handle:
            handle.seek(offset)
            return [json.loads(line) for line in handle.read().decode("utf-8").splitlines() if line.strip()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stderr.close()


def log_summary(entries: list) -> dict:
    """API calls, throttled answers and the most requests in any 1 s window, from the emulator's log."""
    times = sorted(entry["time"] for entry in entries)
    busiest, start = 0, 0
    for end, value in enumerate(times):
        while value - times[start] >= 1.0:
            start += 1
        busiest = max(busiest, end - start + 1)
    actions: dict = {}
    for entry in entries:
        actions[entry.get("action")] = actions.get(entry.get("action"), 0) + 1
    throttled = sum(1 for entry in entries if "LimitExceeded" in str(entry.get("outcome")))
    return {"api_calls": len(entries), "by_action": actions, "throttled": throttled, "max_per_1s": busiest}


# ---------------------------------------------------------------------------------------------------------
# Running things


class Bench:
    def __init__(self, args, collections_root: str, work: str, emulator: EmulatorProcess) -> None:
        self.args = args
        self.root = collections_root
        self.collection = os.path.join(collections_root, "ansible_collections", NAMESPACE, NAME)
        self.work = work
        self.emulator = emulator
        self.counter = 0
        self.playbooks = PLAYBOOKS
        self.log_summary = log_summary
        from ansible_collections.cloudcert.tencent.tests.emulator import DEMO_SECRET_ID, DEMO_SECRET_KEY

        self.secret_id, self.secret_key = DEMO_SECRET_ID, DEMO_SECRET_KEY
        config = os.path.join(work, "ansible.cfg")
        with open(config, "w", encoding="utf-8") as handle:
            handle.write("[defaults]\nretry_files_enabled = False\nlocalhost_warning = False\n[inventory]\ninventory_unparsed_warning = False\n")
        self.base_env = dict(os.environ)
        for name in list(self.base_env):
            if name.startswith(("ANSIBLE_", "TENCENTCLOUD_", "CLOUDCERT_TENCENT_")):
                del self.base_env[name]
        self.base_env.update(
            {
                "ANSIBLE_CONFIG": config,
                "ANSIBLE_COLLECTIONS_PATH": collections_root,
                "ANSIBLE_CALLBACK_PLUGINS": CALLBACKS,
                "ANSIBLE_CALLBACKS_ENABLED": "bench_timer",
                "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
                "ANSIBLE_LOCAL_TEMP": os.path.join(work, "ansible-tmp"),
                "ANSIBLE_HOME": os.path.join(work, "ansible-home"),
                # A local connection expands the default ~/.ansible/tmp through the passwd entry, not HOME.
                "ANSIBLE_REMOTE_TMP": os.path.join(work, "ansible-remote-tmp"),
                "ANSIBLE_NOCOLOR": "1",
                "TENCENTCLOUD_SECRET_ID": self.secret_id,
                "TENCENTCLOUD_SECRET_KEY": self.secret_key,
                "TENCENTCLOUD_SSL_ENDPOINT": emulator.url,
                "PYTHONPATH": os.pathsep.join(filter(None, [collections_root, os.environ.get("PYTHONPATH")])),
            }
        )

    def _file(self, suffix: str) -> str:
        self.counter += 1
        return os.path.join(self.work, "run%03d%s" % (self.counter, suffix))

    def playbook(self, name: str, extra_vars: dict | None = None, *, inventory: str | None = None, forks: int = 5, env: dict | None = None) -> dict:
        """Run one playbook; return task times, the emulator's view of it and the process wall time."""
        timings = self._file("-timings.json")
        output = self._file("-ansible.log")
        command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), os.path.join(PLAYBOOKS, name), "--forks", str(forks)]
        if not os.path.exists(command[0]):
            command[0] = shutil.which("ansible-playbook") or command[0]
        if inventory:
            command += ["-i", inventory]
        if extra_vars:
            vars_file = self._file("-vars.json")
            with open(vars_file, "w", encoding="utf-8") as handle:
                json.dump(extra_vars, handle)
            command += ["-e", "@" + vars_file]
        run_env = dict(self.base_env, CLOUDCERT_BENCH_TIMINGS=timings, **(env or {}))
        offset = self.emulator.mark()
        started = time.perf_counter()
        with open(output, "w", encoding="utf-8") as handle:
            rc = subprocess.run(command, cwd=self.work, env=run_env, stdout=handle, stderr=subprocess.STDOUT, check=False).returncode
        wall = time.perf_counter() - started
        api = log_summary(self.emulator.entries_since(offset))
        if rc != 0:
            with open(output, encoding="utf-8") as handle:
                tail = handle.read().strip().splitlines()[-15:]
            raise ScenarioError("%s failed (rc=%d); last lines of %s:\n  %s" % (name, rc, output, "\n  ".join(tail)))
        with open(timings, encoding="utf-8") as handle:
            tasks = {task["name"]: task["seconds"] for task in json.load(handle)["tasks"]}
        return {"tasks": tasks, "process_seconds": wall, **api}

    def helper(self, *argv: str) -> dict:
        """Run sdk_bench.py in a fresh process; return its JSON and the emulator's view of it."""
        offset = self.emulator.mark()
        command = [sys.executable, os.path.join(HERE, "sdk_bench.py"), *argv]
        done = subprocess.run(command, cwd=self.work, env=self.base_env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise ScenarioError("sdk_bench.py %s failed (rc=%d):\n%s" % (" ".join(argv), done.returncode, (done.stderr or done.stdout)[-2000:]))
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result.update(log_summary(self.emulator.entries_since(offset)))
        return result

    def ids_file(self, n: int) -> str:
        path = os.path.join(self.work, "ids-%d.json" % n)
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(generated_ids(n), handle)
        return path

    def lookup_inventory(self, hosts: int) -> str:
        path = os.path.join(self.work, "lookup-inventory.ini")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("[bench_hosts]\n")
            for index in range(1, hosts + 1):
                handle.write("bench-host-%02d\n" % index)
            handle.write("\n[bench_hosts:vars]\nansible_connection=local\nansible_python_interpreter=%s\n" % sys.executable)
        return path

    def lookup_available(self) -> str | None:
        """None when the lookup plugin imports, else why not."""
        path = os.path.join(self.collection, "plugins", "lookup", "ssl_certificate.py")
        if not os.path.exists(path):
            return "plugins/lookup/ssl_certificate.py does not exist"
        code = "import ansible_collections.cloudcert.tencent.plugins.lookup.ssl_certificate as m; m.LookupModule"
        done = subprocess.run([sys.executable, "-c", code], cwd=self.work, env=self.base_env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return "the plugin does not import: %s" % ((done.stderr.strip().splitlines() or ["?"])[-1])
        return None


class ScenarioError(Exception):
    pass


def generated_ids(n: int) -> list:
    return ["G%07d" % index for index in range(1, n + 1)]


# ---------------------------------------------------------------------------------------------------------
# Scenarios: each returns one measurement (a dict); run() collects them per repetition.

MODULE_TASK = "Describe all certificates in one task"
LOOP_TASK = "Describe certificates one task iteration each"
PING_TASK = "Reference ping"


def scenario_module(bench: Bench, n: int, details: bool = True) -> dict:
    result = bench.playbook("describe.yml", {"bench_ids": generated_ids(n), "bench_details": details})
    return {"seconds": result["tasks"][MODULE_TASK], "ping_seconds": result["tasks"][PING_TASK], **_api(result)}


def _sts_env(bench: Bench) -> dict:
    return {"TENCENTCLOUD_STS_ENDPOINT": bench.emulator.url}


def scenario_role(bench: Bench, n: int) -> dict:
    """The module task of module_N, its keys assuming a role first (one AssumeRole per module run)."""
    from ansible_collections.cloudcert.tencent.tests.emulator import ROLE_READER

    env = dict(_sts_env(bench), TENCENTCLOUD_ASSUME_ROLE_ARN=ROLE_READER)
    result = bench.playbook("describe.yml", {"bench_ids": generated_ids(n), "bench_details": True}, env=env)
    return {"seconds": result["tasks"][MODULE_TASK], "ping_seconds": result["tasks"][PING_TASK], **_api(result)}


def scenario_pods(bench: Bench, hosts: int, identity: bool) -> dict:
    """HOSTS module runs at once (forks = hosts), with an API key or with a TKE pod's identity each."""
    from ansible_collections.cloudcert.tencent.tests.emulator import ROLE_POD, WEB_IDENTITY_TOKEN

    env = {}
    if identity:
        token_file = os.path.join(bench.work, "pod.token")
        with open(token_file, "w", encoding="utf-8") as handle:
            handle.write(WEB_IDENTITY_TOKEN)
        # Empty keys are no keys: the pod's identity is the source.
        env = dict(_sts_env(bench), TENCENTCLOUD_SECRET_ID="", TENCENTCLOUD_SECRET_KEY="", TKE_REGION="ap-guangzhou", TKE_PROVIDER_ID="OIDC")
        env.update(TKE_WEB_IDENTITY_TOKEN_FILE=token_file, TKE_ROLE_ARN=ROLE_POD)
    result = bench.playbook("pods.yml", inventory=bench.lookup_inventory(hosts), forks=hosts, env=env)
    return {"seconds": result["tasks"]["Describe this pod's certificate"], "hosts": hosts, **_api(result)}


def scenario_deployments(bench: Bench, n: int, in_use: int, scan_seconds: float) -> dict:
    """N certificates, IN_USE of them deployed (a CDN domain each), deployments: full; a fresh scan, then a cached one."""
    ids = generated_ids(n)
    bench.emulator.control("bindings", {"bind_generated": ids[:in_use], "delay": scan_seconds})
    out = {"in_use": in_use, "scan_seconds": scan_seconds}
    for label, fresh in (("cold", True), ("warm", False)):
        result = bench.playbook("deployments.yml", {"bench_ids": ids, "bench_fresh": fresh})
        out[label + "_seconds"] = result["tasks"]["Scan where the certificates are deployed"]
        for action, short in (("CreateCertificateBindResourceSyncTask", "create"), ("DescribeCertificateBindResourceTaskResult", "result"),
                              ("DescribeCertificateBindResourceTaskDetail", "detail"), ("DescribeCertificates", "list")):  # fmt: skip
            out["%s_%s" % (label, short)] = result["by_action"].get(action, 0)
        out[label + "_throttled"] = result["throttled"]
    return out


def scenario_loop(bench: Bench, n: int) -> dict:
    result = bench.playbook("loop.yml", {"bench_ids": generated_ids(n)})
    return {"seconds": result["tasks"][LOOP_TASK], **_api(result)}


def scenario_sdk(bench: Bench, n: int) -> dict:
    result = bench.helper("sequential", "--endpoint", bench.emulator.hostport, "--ids-file", bench.ids_file(n))
    return {"seconds": result["seconds"], "client_setup_seconds": result["client_setup_seconds"], **_api(result)}


def scenario_listing(bench: Bench, minimum: int) -> dict:
    result = bench.playbook("listing.yml", {"bench_min_count": minimum})
    return {"seconds": result["tasks"]["List all certificates without details"], **_api(result)}


def scenario_lookup(bench: Bench, hosts: int) -> dict:
    cache = tempfile.mkdtemp(prefix="lookup-cache-", dir=bench.work)
    result = bench.playbook("lookup.yml", inventory=bench.lookup_inventory(hosts), forks=hosts, env={"CLOUDCERT_TENCENT_CACHE_DIR": cache})
    return {"seconds": result["tasks"]["Look up the same certificate on every host"], "hosts": hosts, **_api(result)}


def scenario_startup(bench: Bench) -> dict:
    tasks = bench.playbook("startup.yml")["tasks"]
    return {
        "ping_first": tasks["Ping 1"],
        "module_first": tasks["Module without work 1"],
        "ping_warm": statistics.median([tasks["Ping 2"], tasks["Ping 3"]]),
        "module_warm": statistics.median([tasks["Module without work 2"], tasks["Module without work 3"]]),
        "import_module": bench.helper("import", "--what", "module")["seconds"],
        "import_ping": bench.helper("import", "--what", "ping")["seconds"],
    }


def scenario_cpu(bench: Bench, calls: int) -> dict:
    ids = bench.ids_file(min(calls, 1000))
    out = {}
    for impl in ("sdk", "client", "gather"):
        result = bench.helper("cpu", "--impl", impl, "--endpoint", bench.emulator.hostport, "--ids-file", ids, "--calls", str(calls))
        out[impl] = result["cpu_per_call_ms"]
        out[impl + "_wall"] = result["wall_per_call_ms"]
    return out


def _api(result: dict) -> dict:
    return {key: result[key] for key in ("api_calls", "throttled", "max_per_1s", "by_action")}


# ---------------------------------------------------------------------------------------------------------
# Summary, targets, table


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarise(runs: list) -> dict:
    """Medians of every numeric field; throttled and max_per_1s as the worst repetition."""
    if not runs:
        return {}
    out = {"reps": len(runs)}
    for key in runs[0]:
        values = [run.get(key) for run in runs]
        if key in ("throttled", "max_per_1s"):
            out[key] = max(values)
        elif key == "by_action":
            out[key] = values[-1]
        elif all(isinstance(v, (int, float)) for v in values):
            out[key] = _median(values)
    return out


def machine() -> dict:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {}
    for package in ("ansible-core", "requests", "urllib3", "tencentcloud-sdk-python-common"):
        try:
            from importlib import metadata

            versions[package] = metadata.version(package)
        except Exception:  # noqa: BLE001 - informational only
            versions[package] = None
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def targets(results: dict, settings: dict) -> list:
    """One row per target of the performance issue: what was measured, the target, met or not."""
    rows = []
    sc = results
    latency = settings["latency"]

    def add(name, measured, target, met):
        rows.append({"target": name, "measured": measured, "goal": target, "met": met})

    for n in settings["sizes"]:
        module = sc.get("module_%d" % n)
        sdk = sc.get("sdk_%d" % n)
        if module and n >= 60:
            floor = n / 10.0
            ratio = module["seconds"] / floor
            add(
                "module N=%d vs floor %.1fs" % (n, floor),
                "%.2fs = %.3f x floor, %d throttled" % (module["seconds"], ratio, module["throttled"]),
                "<= 1.15 x floor, 0 throttled",
                ratio <= 1.15 and module["throttled"] == 0,
            )
        if module and sdk:
            speedup = sdk["seconds"] / module["seconds"]
            add("module vs SDK sequential N=%d" % n, "%.2fx faster" % speedup, ">= 2.5x", speedup >= 2.5)
    for n in settings["loop_sizes"]:
        module, loop = sc.get("module_%d" % n), sc.get("loop_%d" % n)
        if module and loop:
            speedup = loop["seconds"] / module["seconds"]
            add("module vs loop: N=%d" % n, "%.2fx faster" % speedup, ">= 5x", speedup >= 5)
    for n in settings["batch_sizes"]:
        batch = sc.get("batch_%d" % n)
        if not batch:
            continue
        want = math.ceil(n / 50.0)
        add("details=false N=%d API calls" % n, "%d calls" % batch["api_calls"], "%d (ceil(N/50))" % want, batch["api_calls"] == want)
        if n == 60 or len(settings["batch_sizes"]) == 1:
            reference = batch["ping_seconds"] + 2 * latency
            ratio = batch["seconds"] / reference
            add(
                "details=false N=%d vs ping+2 RTT" % n,
                "%.2fs vs %.2fs+%.2fs = %.3f x" % (batch["seconds"], batch["ping_seconds"], 2 * latency, ratio),
                "<= 1.1 x",
                ratio <= 1.1,
            )
    listing = sc.get("listing")
    if listing:
        add("listing %d, details=false" % settings["listing"], "%d calls" % listing["api_calls"], "<= 2 calls", listing["api_calls"] <= 2)
    lookup = sc.get("lookup")
    if lookup and "api_calls" in lookup:
        add("lookup, %d hosts x 1 certificate" % settings["lookup_hosts"], "%d calls" % lookup["api_calls"], "1 call", lookup["api_calls"] == 1)
    elif lookup:
        add("lookup, %d hosts x 1 certificate" % settings["lookup_hosts"], lookup.get("skipped", "not run"), "1 call", None)
    cpu = sc.get("cpu")
    if cpu:
        add(
            "client CPU per call",
            "client %.2f ms (module path %.2f ms) vs SDK %.2f ms" % (cpu["client"], cpu["gather"], cpu["sdk"]),
            "<= SDK",
            # The module path adds normalisation the SDK does not do; the target is about the client.
            cpu["client"] <= cpu["sdk"],
        )
    if "fleet" in settings["families"]:
        _fleet().targets(sc, settings, add)
    throttled = sum(
        sc[key].get("throttled", 0)
        for key in sc
        if key.startswith(("module_", "loop_", "batch_", "listing", "lookup", "role_", "pods_")) and "throttled" in sc[key]
    )
    busiest = max([sc[key].get("max_per_1s", 0) for key in sc if key.startswith(("module_", "batch_", "loop_"))] or [0])
    add(
        "module runs: throttling",
        "%d RateLimitExceeded, at most %d requests in any 1 s (emulator log)" % (throttled, busiest),
        "0, <= %d" % settings["rate_limit"],
        throttled == 0 and busiest <= max(settings["rate_limit"], 1) if settings["rate_limit"] else throttled == 0,
    )
    return rows


def _fmt(value, digits=2):
    return "-" if value is None else ("%.*f" % (digits, value) if isinstance(value, float) else str(value))


def table(results: dict, settings: dict) -> list:
    """Rows of (scenario, N, median seconds, floor, API calls, throttled, max/1s, note)."""
    rows = []
    for n in settings["sizes"]:
        floor = n / 10.0
        for key, label in (("module_%d" % n, "module, one task, details=true"), ("sdk_%d" % n, "SDK sequential, one client")):
            s = results.get(key)
            if s:
                rows.append((label, n, s["seconds"], floor, s["api_calls"], s["throttled"], s["max_per_1s"], "%.2f x floor" % (s["seconds"] / floor)))
        if n in settings["loop_sizes"] and results.get("loop_%d" % n):
            s = results["loop_%d" % n]
            rows.append(("module with loop:", n, s["seconds"], floor, s["api_calls"], s["throttled"], s["max_per_1s"], "%.2f x floor" % (s["seconds"] / floor)))
        rows.append(("floor N/10 s", n, floor, floor, n, 0, 10, ""))
    for n in settings["batch_sizes"]:
        s = results.get("batch_%d" % n)
        if s:
            note = "ping %.2fs + 2 RTT %.2fs" % (s["ping_seconds"], 2 * settings["latency"])
            rows.append(("module, ids, details=false", n, s["seconds"], None, s["api_calls"], s["throttled"], s["max_per_1s"], note))
    s = results.get("listing")
    if s:
        rows.append(("module, listing, details=false", settings["listing"], s["seconds"], None, s["api_calls"], s["throttled"], s["max_per_1s"], ""))
    n = settings["role_size"]
    for key, label, base in (("role_%d" % n, "module, one task, details=true, with role_arn", "module_%d" % n),):
        s = results.get(key)
        if s:
            plain = results.get(base)
            note = "AssumeRole: %d; %+.2fs vs without role" % (s["by_action"].get("AssumeRole", 0), s["seconds"] - plain["seconds"]) if plain else ""
            rows.append((label, n, s["seconds"], n / 10.0, s["api_calls"], s["throttled"], s["max_per_1s"], note))
    n, used, _scan = settings["deployment_sizes"]
    s = results.get("deployments_%d" % n)
    if s:
        for label in ("cold", "warm"):
            note = "%d in use; Create %d, Result %d, Detail %d, list %d" % (
                used, s[label + "_create"], s[label + "_result"], s[label + "_detail"], s[label + "_list"])  # fmt: skip
            calls = s[label + "_create"] + s[label + "_result"] + s[label + "_detail"] + s[label + "_list"]
            rows.append(("deployments: full, %s scan (emulator scan %.0fs)" % (label, s["scan_seconds"]), n, s[label + "_seconds"], None, calls,
                         s[label + "_throttled"], None, note))  # fmt: skip
    hosts = settings["pod_hosts"]
    for key, label in (("pods_keys_%d" % hosts, "module per pod, API key"), ("pods_identity_%d" % hosts, "module per pod, TKE pod identity")):
        s = results.get(key)
        if s:
            note = "%d hosts, forks %d; AssumeRoleWithWebIdentity: %d" % (hosts, hosts, s["by_action"].get("AssumeRoleWithWebIdentity", 0))
            rows.append((label, hosts, s["seconds"], hosts / 10.0, s["api_calls"], s["throttled"], s["max_per_1s"], note))
    s = results.get("lookup")
    if s and "api_calls" in s:
        note = "%d hosts, forks %d" % (settings["lookup_hosts"], settings["lookup_hosts"])
        rows.append(("lookup, same certificate", settings["lookup_hosts"], s["seconds"], None, s["api_calls"], s["throttled"], s["max_per_1s"], note))
    elif s:
        rows.append(("lookup, same certificate", settings["lookup_hosts"], None, None, None, None, None, "lookup not available: %s" % s.get("skipped")))
    s = results.get("startup")
    if s:
        for label, key in (("ping task (warm; first)", "ping"), ("module task, no API call (warm; first)", "module")):
            note = "first %.2fs, bare import %.3fs" % (s[key + "_first"], s["import_" + key])
            rows.append((label, 0, s[key + "_warm"], None, 0, 0, 0, note))
    s = results.get("cpu")
    if s:
        for label, key in (("CPU/call: SDK call_json", "sdk"), ("CPU/call: ApiClient.call", "client"), ("CPU/call: module gathering", "gather")):
            note = "%.3f ms CPU, %.2f ms wall" % (s[key], s[key + "_wall"])
            rows.append((label, settings["cpu_calls"], None, None, None, None, None, note))
    return rows


def render(rows: list) -> str:
    header = ("scenario", "N", "median s", "floor s", "API calls", "throttled", "max/1s", "note")
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    for row in rows:
        cells = [row[0], _fmt(row[1]), _fmt(row[2]), _fmt(row[3], 1), _fmt(row[4]), _fmt(row[5]), _fmt(row[6]), row[7]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_targets(rows: list) -> str:
    lines = ["| target | measured | goal | met |", "|---|---|---|---|"]
    for row in rows:
        met = "n/a" if row["met"] is None else ("yes" if row["met"] else "NO")
        lines.append("| %s | %s | %s | %s |" % (row["target"], row["measured"], row["goal"], met))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Benchmark cloudcert.tencent against the bundled emulator.")
    parser.add_argument("--quick", action="store_true", help="smoke run: N=10, zero latency, 1 repetition, listing 100, small CPU sample")
    parser.add_argument("--reps", type=int, help="repetitions (default 3, --quick 1)")
    parser.add_argument("--out", default="benchmark-results.json", help="JSON results file (default ./benchmark-results.json)")
    parser.add_argument("--latency", type=float, help="emulator latency in seconds (default 0.25, --quick 0)")
    parser.add_argument("--rate-limit", type=int, default=10, help="emulator requests/s limit (default 10)")
    parser.add_argument("--sizes", help="comma-separated N for the module and SDK (default 20,60,200)")
    parser.add_argument("--only", help="comma-separated scenario families: module,loop,sdk,batch,listing,lookup,sts,deployments,startup,cpu,fleet")
    parser.add_argument("--fleet-sizes", help="comma-separated host counts of the one-node fleet (default 100,300; --quick 10; 0 = none)")
    parser.add_argument("--two-nodes", type=int, help="hosts per node of the two-node fleet (default 100, 0 = off; --quick 3)")
    parser.add_argument("--two-clients", type=int, help="describes per process of the two-client (no Ansible) fleet (default 200, 0 = off; --quick 6)")
    parser.add_argument("--markdown", help="also write the tables as Markdown to this file")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs of every run)")
    args = parser.parse_args(argv)
    quick = args.quick
    settings = {
        "quick": quick,
        "reps": args.reps or (1 if quick else 3),
        "latency": args.latency if args.latency is not None else (0.0 if quick else 0.25),
        "rate_limit": args.rate_limit,
        "sizes": [int(v) for v in args.sizes.split(",")] if args.sizes else ([10] if quick else [20, 60, 200]),
        "loop_sizes": [10] if quick else [20],
        "batch_sizes": [10] if quick else [60, 200],
        "listing": 100 if quick else 1000,
        "lookup_hosts": 5 if quick else 20,
        "role_size": 10 if quick else 60,
        # certificates, how many are deployed, seconds the emulator's scan takes (the real API: 25 s cached to minutes)
        "deployment_sizes": (20, 3, 0.2) if quick else (300, 40, 5.0),
        "pod_hosts": 3 if quick else 20,
        "cost_hosts": 4 if quick else 100,
        "cpu_calls": 30 if quick else 300,
        "families": set((args.only or "module,loop,sdk,batch,listing,lookup,sts,deployments,startup,cpu,fleet").split(",")),
        "fleet_sizes": [int(v) for v in args.fleet_sizes.split(",") if v.strip() and int(v) > 0]
        if args.fleet_sizes is not None
        else ([10] if quick else [100, 300]),
        # --quick runs every scenario once, tiny, so that none of them can rot unnoticed.
        "two_nodes_hosts": args.two_nodes if args.two_nodes is not None else (3 if quick else 100),
        "two_clients": args.two_clients if args.two_clients is not None else (6 if quick else 200),
        "fleet_forks": 10 if quick else 50,
    }
    settings["loop_sizes"] = [n for n in settings["loop_sizes"] if n in settings["sizes"]] or settings["loop_sizes"]
    return args, settings


def plan(settings: dict) -> list:
    """(result key, family, callable(bench)) for one repetition, interleaved so drift hits all alike."""
    fam = settings["families"]
    steps = []
    if "startup" in fam:
        steps.append(("startup", scenario_startup))
    for n in settings["sizes"]:
        if "module" in fam:
            steps.append(("module_%d" % n, lambda b, n=n: scenario_module(b, n)))
        if "sdk" in fam:
            steps.append(("sdk_%d" % n, lambda b, n=n: scenario_sdk(b, n)))
    for n in settings["loop_sizes"]:
        if "loop" in fam:
            steps.append(("loop_%d" % n, lambda b, n=n: scenario_loop(b, n)))
    for n in settings["batch_sizes"]:
        if "batch" in fam:
            steps.append(("batch_%d" % n, lambda b, n=n: scenario_module(b, n, details=False)))
    if "listing" in fam:
        steps.append(("listing", lambda b: scenario_listing(b, settings["listing"])))
    if "lookup" in fam:
        steps.append(("lookup", lambda b: scenario_lookup(b, settings["lookup_hosts"])))
    if "deployments" in fam:
        n, used, scan = settings["deployment_sizes"]
        steps.append(("deployments_%d" % n, lambda b: scenario_deployments(b, n, used, scan)))
    if "sts" in fam:
        n = settings["role_size"]
        steps.append(("role_%d" % n, lambda b: scenario_role(b, n)))
        hosts = settings["pod_hosts"]
        steps.append(("pods_keys_%d" % hosts, lambda b: scenario_pods(b, hosts, identity=False)))
        steps.append(("pods_identity_%d" % hosts, lambda b: scenario_pods(b, hosts, identity=True)))
    return steps


def main(argv=None) -> int:
    args, settings = parse_args(argv)
    work = tempfile.mkdtemp(prefix="cloudcert-bench-")
    failures = {}
    raw: dict = {}
    started = time.perf_counter()
    emulator = None
    try:
        root = find_or_lay_out(work)
        sys.path.insert(0, root)
        generate = max(
            settings["sizes"]
            + settings["batch_sizes"]
            + settings["fleet_sizes"]
            + [settings["listing"], settings["cpu_calls"], 2 * settings["two_nodes_hosts"], 2 * settings["two_clients"]]
        )
        emulator = EmulatorProcess(
            os.path.join(root, "ansible_collections", NAMESPACE, NAME), work, latency=settings["latency"], rate_limit=settings["rate_limit"], generate=generate
        )
        bench = Bench(args, root, work, emulator)
        print("collection: %s\nemulator: %s (latency %.2fs, limit %s/s)" % (bench.collection, emulator.url, emulator.latency, emulator.rate_limit))
        print("work dir: %s" % work)
        steps = plan(settings)
        lookup_reason = bench.lookup_available() if "lookup" in settings["families"] else None
        for rep in range(1, settings["reps"] + 1):
            for key, run in steps:
                if key in failures:
                    continue
                if key == "lookup" and lookup_reason:
                    raw[key] = [{"skipped": lookup_reason}]
                    continue
                t0 = time.perf_counter()
                try:
                    measurement = run(bench)
                except ScenarioError as error:
                    failures[key] = str(error)
                    print("rep %d %-12s FAILED: %s" % (rep, key, error), flush=True)
                    continue
                raw.setdefault(key, []).append(measurement)
                print("rep %d %-12s %6.1fs  %s" % (rep, key, time.perf_counter() - t0, _brief(measurement)), flush=True)
        if "fleet" in settings["families"]:
            run_fleet(bench, settings, raw, failures)
        if "cpu" in settings["families"]:
            emulator.configure(latency=0.0, rate_limit=0)
            for rep in range(1, settings["reps"] + 1):
                try:
                    measurement = scenario_cpu(bench, settings["cpu_calls"])
                except ScenarioError as error:
                    failures["cpu"] = str(error)
                    print("cpu FAILED: %s" % error, flush=True)
                    break
                raw.setdefault("cpu", []).append(measurement)
                print("rep %d %-12s %s" % (rep, "cpu", _brief(measurement)), flush=True)
    finally:
        if emulator is not None:
            emulator.stop()
    results = {key: (runs[0] if "skipped" in runs[0] else summarise(runs)) for key, runs in raw.items()}
    settings_out = dict(settings, families=sorted(settings["families"]))
    target_rows = targets(results, settings_out)
    rows = table(results, settings_out)
    document = {
        "machine": machine(),
        "settings": settings_out,
        "seconds": time.perf_counter() - started,
        "results": results,
        "runs": raw,
        "targets": target_rows,
        "failures": failures,
    }
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=1, sort_keys=True)
    text = render(rows) + "\n\n" + render_targets(target_rows)
    if "fleet" in settings["families"]:
        text += "\n\n" + _fleet().render(results, settings_out)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    print("\n" + text)
    if settings["quick"]:
        print("\n(--quick: zero latency and tiny N, the ratios above mean nothing; this run only proves every scenario runs)")
    print("\nresults written to %s (%.0fs)" % (args.out, document["seconds"]))
    if args.keep or failures:
        print("work dir kept: %s" % work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("FAILED scenarios: %s" % ", ".join(sorted(failures)))
        return 1
    return 0


def _fleet():
    """fleet.py, imported from the laid-out collection (importable once main() has put it on sys.path)."""
    from ansible_collections.cloudcert.tencent.tests.benchmarks import fleet

    return fleet


def run_fleet(bench: Bench, settings: dict, raw: dict, failures: dict) -> None:
    """The fleet scenarios, once each (minutes per run): with the emulator's latency and limit as set."""
    for key, _label, run in _fleet().keys(settings):
        t0 = time.perf_counter()
        try:
            measurement = run(bench)
        except RuntimeError as error:
            failures[key] = str(error)
            print("fleet %-14s FAILED: %s" % (key, error), flush=True)
            continue
        raw.setdefault(key, []).append(measurement)
        print("fleet %-14s %6.1fs  %s" % (key, time.perf_counter() - t0, _brief(measurement)), flush=True)


def _brief(measurement: dict) -> str:
    return ", ".join("%s=%s" % (k, _fmt(v, 3)) for k, v in measurement.items() if k not in ("by_action", "per_node"))


if __name__ == "__main__":
    sys.exit(main())
