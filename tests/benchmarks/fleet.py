# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fleet scenarios of the benchmark (used by run.py): many hosts, many forks, one or two "nodes".

Every host (``ansible_connection=local``) looks up its own certificate with the lookup and then
describes it with the module, so each host costs two API requests. A "node" is one
``ansible-playbook`` process with its own HOME, lookup cache and rate-limit state, as two AWX
execution nodes would be; two nodes run at the same time against the same account.
Reported per scenario: failed hosts, API calls, throttled answers and the most requests in any
1 s (the emulator's log), wall time against the floor (requests / 10 s) and the machine's CPU use.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time

PLAYBOOK = "fleet.yml"
TASKS = ("Look up this host's certificate", "Describe this host's certificate")
# The cost scenario: one task per host, the module against ansible.builtin.ping (requests per host, playbook).
COST_PLAYBOOKS = {"ping": (0, "fleet_ping.yml"), "module": (1, "fleet_module.yml")}


def cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine from /proc/stat (Linux); zeros elsewhere."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = [float(value) for value in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    return sum(fields) - idle, sum(fields)


def _inventory(path: str, hosts: int, first: int) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("[fleet]\n")
        for index in range(hosts):
            handle.write("fleet-%04d fleet_cert_id=G%07d\n" % (index + 1, first + index))
        handle.write("\n[fleet:vars]\nansible_connection=local\nansible_python_interpreter=%s\n" % sys.executable)


def _node(bench, name: str, *, hosts: int, first: int, forks: int, playbook: str = PLAYBOOK, requests: int = len(TASKS)) -> dict:
    """Files, command and environment of one node (its own HOME, cache and rate-limit state)."""
    root = os.path.join(bench.work, "%s-%d" % (name, bench.counter))
    bench.counter += 1
    home = os.path.join(root, "home")
    os.makedirs(home)
    inventory = os.path.join(root, "inventory.ini")
    _inventory(inventory, hosts, first)
    playbook_bin = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    if not os.path.exists(playbook_bin):
        playbook_bin = shutil.which("ansible-playbook") or playbook_bin
    env = dict(bench.base_env)
    env.pop("XDG_RUNTIME_DIR", None)  # the state then lives under this node's HOME (~/.cache/...)
    env.pop("CLOUDCERT_TENCENT_RATELIMIT_DIR", None)
    env.update(
        {
            "HOME": home,
            "ANSIBLE_HOME": os.path.join(root, "ansible-home"),
            "ANSIBLE_LOCAL_TEMP": os.path.join(root, "ansible-tmp"),
            "CLOUDCERT_TENCENT_CACHE_DIR": os.path.join(root, "lookup-cache"),
            "CLOUDCERT_BENCH_TIMINGS": os.path.join(root, "timings.json"),
        }
    )
    command = [playbook_bin, os.path.join(bench.playbooks, playbook), "-i", inventory, "--forks", str(forks)]
    return {"name": name, "hosts": hosts, "requests": requests, "command": command, "env": env, "root": root, "log": os.path.join(root, "ansible.log")}


def _collect(node: dict, rc: int) -> dict:
    """Failed hosts, task span and throttling warnings of one finished node."""
    timings = node["env"]["CLOUDCERT_BENCH_TIMINGS"]
    if not os.path.exists(timings):
        with open(node["log"], encoding="utf-8") as handle:
            tail = "\n  ".join(handle.read().strip().splitlines()[-15:])
        raise RuntimeError("%s did not finish its playbook (rc=%d); last lines of %s:\n  %s" % (node["name"], rc, node["log"], tail))
    with open(timings, encoding="utf-8") as handle:
        tasks = json.load(handle)["tasks"]
    ours = [task for task in tasks if task["name"] in TASKS]
    with open(node["log"], encoding="utf-8") as handle:
        output = handle.read()
    return {
        "rc": rc,
        "failed_hosts": sum(task["failed"] for task in tasks),
        "api_phase_seconds": (max(task["end"] or task["start"] for task in ours) - min(task["start"] for task in ours)) if ours else None,
        "throttle_warnings": output.count("was throttled"),
    }


def run_nodes(bench, nodes: list) -> dict:
    """Start every node at once, wait for all; the emulator's and the machine's view of the run."""
    offset = bench.emulator.mark()
    busy0, total0 = cpu_times()
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    running = []
    for node in nodes:
        handle = open(node["log"], "w", encoding="utf-8")  # noqa: SIM115 - closed below
        running.append((node, handle, subprocess.Popen(node["command"], cwd=bench.work, env=node["env"], stdout=handle, stderr=subprocess.STDOUT)))
    per_node = []
    for node, handle, process in running:
        rc = process.wait()
        handle.close()
        per_node.append(dict(_collect(node, rc), name=node["name"], hosts=node["hosts"]))
    wall = time.perf_counter() - started
    busy1, total1 = cpu_times()
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    own_cpu = (children1.ru_utime + children1.ru_stime) - (children0.ru_utime + children0.ru_stime)
    api = bench.log_summary(bench.emulator.entries_since(offset))
    hosts = sum(node["hosts"] for node in nodes)
    floor = sum(node["hosts"] * node["requests"] for node in nodes) / 10.0
    return {
        "hosts": hosts,
        "nodes": len(nodes),
        "failed_hosts": sum(node["failed_hosts"] for node in per_node),
        "throttle_warnings": sum(node["throttle_warnings"] for node in per_node),
        "seconds": wall,
        "api_phase_seconds": max(node["api_phase_seconds"] or 0.0 for node in per_node),
        "floor_seconds": floor,
        "cpu_busy_pct": 100.0 * (busy1 - busy0) / (total1 - total0) if total1 > total0 else None,
        # CPU seconds of the ansible-playbook processes and everything they started (forks, modules).
        "ansible_cpu_seconds": own_cpu,
        "loadavg_1m": os.getloadavg()[0],
        "per_node": per_node,
        **api,
    }


def scenario_fleet(bench, hosts: int, forks: int) -> dict:
    return run_nodes(bench, [_node(bench, "node", hosts=hosts, first=1, forks=forks)])


def scenario_two_nodes(bench, hosts: int, forks: int) -> dict:
    nodes = [_node(bench, "node-a", hosts=hosts, first=1, forks=forks), _node(bench, "node-b", hosts=hosts, first=hosts + 1, forks=forks)]
    return run_nodes(bench, nodes)


def scenario_cost(bench, hosts: int, forks: int) -> dict:
    """CPU seconds and wall time per host of the module against ``ansible.builtin.ping``, same inventory and forks."""
    runs = {}
    for kind, (requests, playbook) in COST_PLAYBOOKS.items():
        runs[kind] = run_nodes(bench, [_node(bench, "cost-" + kind, hosts=hosts, first=1, forks=forks, playbook=playbook, requests=requests)])
    module, ping = runs["module"], runs["ping"]
    return dict(
        module,
        ping_seconds=ping["seconds"],
        ping_cpu_seconds=ping["ansible_cpu_seconds"],
        ping_failed_hosts=ping["failed_hosts"],
        cpu_per_host=module["ansible_cpu_seconds"] / hosts,
        ping_cpu_per_host=ping["ansible_cpu_seconds"] / hosts,
        cpu_ratio=module["ansible_cpu_seconds"] / ping["ansible_cpu_seconds"] if ping["ansible_cpu_seconds"] else None,
    )


# Two "nodes" without Ansible around them: the client alone, so the API, not the CPU, is the ceiling and the
# adaptive rate really has to share the account. Each node describes its ids concurrently (as the module does).
_CLIENT_NODE = r"""
import json, os, sys, time
from ansible_collections.cloudcert.tencent.plugins.module_utils._options import build_client
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import TencentCloudError
from ansible_collections.cloudcert.tencent.plugins.module_utils._fetch import MAX_CONNECTIONS, map_concurrent
ids = json.loads(sys.argv[1])
warnings = []
client = build_client({"endpoint": os.environ["TENCENTCLOUD_SSL_ENDPOINT"], "language": "en-US", "timeout": 15.0,
                       "retries": 5, "rate_limit": 10.0, "throttle_timeout": 300.0, "validate_certs": True},
                      warn=warnings.append, env=os.environ)
started = time.perf_counter()
results = map_concurrent(lambda cert_id: client.call("DescribeCertificate", {"CertificateId": cert_id}), ids, workers=min(MAX_CONNECTIONS, 20))
failed = [type(r).__name__ for r in results if isinstance(r, TencentCloudError)]
print(json.dumps({"seconds": time.perf_counter() - started, "failed": len(failed), "warnings": len(warnings)}))
"""


def scenario_two_clients(bench, per_node: int) -> dict:
    """Two processes with separate rate-limit state describe ``per_node`` certificates each, at once."""
    offset = bench.emulator.mark()
    started = time.perf_counter()
    running = []
    for index in range(2):
        state = os.path.join(bench.work, "client-node-%d-%d" % (index, bench.counter))
        bench.counter += 1
        env = dict(bench.base_env, CLOUDCERT_TENCENT_RATELIMIT_DIR=state)
        ids = json.dumps(["G%07d" % (index * per_node + n) for n in range(1, per_node + 1)])
        running.append(subprocess.Popen([sys.executable, "-c", _CLIENT_NODE, ids], cwd=bench.work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    nodes = []
    for process in running:
        out, err = process.communicate()
        if process.returncode != 0:
            raise RuntimeError("a client node failed (rc=%d): %s" % (process.returncode, err.decode("utf-8", "replace")[-1500:]))
        nodes.append(json.loads(out.decode("utf-8").strip().splitlines()[-1]))
    wall = time.perf_counter() - started
    api = bench.log_summary(bench.emulator.entries_since(offset))
    return {
        "hosts": 2 * per_node,
        "nodes": 2,
        "failed_hosts": sum(node["failed"] for node in nodes),
        "throttle_warnings": sum(node["warnings"] for node in nodes),
        "seconds": wall,
        "floor_seconds": 2 * per_node / 10.0,
        "ansible_cpu_seconds": 0.0,
        "cpu_busy_pct": None,
        "loadavg_1m": os.getloadavg()[0],
        "per_node": nodes,
        **api,
    }


# ---------------------------------------------------------------------------------------------------------


def keys(settings: dict) -> list:
    """(result key, description, callable(bench)) of the fleet scenarios these settings ask for."""
    forks = settings["fleet_forks"]
    steps = [("fleet_%d" % n, "%d hosts, forks %d, one node" % (n, forks), lambda b, n=n: scenario_fleet(b, n, forks)) for n in settings["fleet_sizes"]]
    if settings.get("cost_hosts"):
        n = settings["cost_hosts"]
        steps.append(("cost_%d" % n, "%d hosts, forks %d: the module alone vs ansible.builtin.ping" % (n, forks), lambda b, n=n: scenario_cost(b, n, forks)))
    if settings.get("two_nodes_hosts"):
        n = settings["two_nodes_hosts"]
        steps.append(("two_nodes_%d" % n, "2 nodes x %d hosts, forks %d each" % (n, forks), lambda b, n=n: scenario_two_nodes(b, n, forks)))
    if settings.get("two_clients"):
        n = settings["two_clients"]
        steps.append(("two_clients_%d" % n, "2 client processes x %d describes, no Ansible (API-bound)" % n, lambda b, n=n: scenario_two_clients(b, n)))
    return steps


def render(results: dict, settings: dict) -> str:
    header = (
        "scenario",
        "hosts",
        "failed hosts",
        "API calls",
        "throttled",
        "max/1s",
        "wall s",
        "floor s",
        "wall / floor",
        "Ansible CPU s",
        "CPU busy",
        "load 1m",
    )
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    for key, label, _run in keys(settings):
        s = results.get(key)
        if not s or key.startswith("cost_"):
            continue
        share = 100.0 * s["throttled"] / s["api_calls"] if s["api_calls"] else 0.0
        cells = [
            label,
            str(s["hosts"]),
            str(s["failed_hosts"]),
            str(s["api_calls"]),
            "%d (%.1f %%)" % (s["throttled"], share),
            str(s["max_per_1s"]),
            "%.1f" % s["seconds"],
            "%.1f" % s["floor_seconds"],
            "%.2f" % (s["seconds"] / s["floor_seconds"]),
            "%.0f" % s["ansible_cpu_seconds"],
            "-" if s.get("cpu_busy_pct") is None else "%.0f %%" % s["cpu_busy_pct"],
            "%.1f" % s["loadavg_1m"],
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + render_cost(results, settings)


def render_cost(results: dict, settings: dict) -> str:
    header = ("scenario", "failed hosts", "module wall s", "ping wall s", "module CPU s/host", "ping CPU s/host", "CPU ratio", "max/1s")
    lines = ["", "", "| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    for key, label, _run in keys(settings):
        s = results.get(key)
        if not s or not key.startswith("cost_"):
            continue
        ratio = "-" if s.get("cpu_ratio") is None else "%.2f" % s["cpu_ratio"]
        cells = [label, str(s["failed_hosts"] + s["ping_failed_hosts"]), "%.1f" % s["seconds"], "%.1f" % s["ping_seconds"]]
        cells += ["%.3f" % s["cpu_per_host"], "%.3f" % s["ping_cpu_per_host"], ratio, str(s["max_per_1s"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) if len(lines) > 4 else ""


def targets(results: dict, settings: dict, add) -> None:
    """The fleet targets of issue 11: 0 failed hosts; one node <= 1 % throttled and <= limit per 1 s."""
    limit = settings["rate_limit"] or 10
    for key, label, _run in keys(settings):
        s = results.get(key)
        if not s:
            continue
        share = 100.0 * s["throttled"] / s["api_calls"] if s["api_calls"] else 0.0
        measured = "%d failed, %d/%d throttled (%.1f %%), max %d in 1 s" % (s["failed_hosts"], s["throttled"], s["api_calls"], share, s["max_per_1s"])
        if key.startswith("cost_"):
            ratio = s.get("cpu_ratio")
            add(
                "cost: " + label,
                "%s x ping's CPU per host, %d failed, max %d in 1 s"
                % ("-" if ratio is None else "%.2f" % ratio, s["failed_hosts"] + s["ping_failed_hosts"], s["max_per_1s"]),
                "0 failed, <= %d in any 1 s (CPU ratio: toward 1.3, reported)" % limit,
                s["failed_hosts"] + s["ping_failed_hosts"] == 0 and s["max_per_1s"] <= limit,
            )
        elif key.startswith(("two_nodes", "two_clients")):
            add("fleet: " + label, measured, "0 failed hosts", s["failed_hosts"] == 0)
        else:
            add(
                "fleet: " + label,
                measured,
                "0 failed, <= 1 %% throttled, <= %d in any 1 s" % limit,
                s["failed_hosts"] == 0 and share <= 1.0 and s["max_per_1s"] <= limit,
            )
