"""Where certificates are deployed: the bind-resource scan actions of the SSL API, on a clock that tests can advance.

CreateCertificateBindResourceSyncTask starts one scan task per certificate (or returns the running one, or with
IsCache=1 the newest completed one at most 30 minutes old), DescribeCertificateBindResourceTaskResult reports status
and counts per type and region, DescribeCertificateBindResourceTaskDetail lists the instances, paged per (type,
region) with string Limit/Offset. A scan is a snapshot: bindings changed later are not in it. Faults: the first
answer of a done task empty, a region error, a failed task, a role error on Detail.
"""

from __future__ import annotations

import copy
import datetime
import threading
import time
from collections import namedtuple

from .responses import ApiError

CREATE = "CreateCertificateBindResourceSyncTask"
RESULT = "DescribeCertificateBindResourceTaskResult"
DETAIL = "DescribeCertificateBindResourceTaskDetail"
ACTIONS = (CREATE, RESULT, DETAIL)
CACHE_SECONDS = 1800
MAX_IDS = 100
# The 11 types a task counts, and the 16 the detail lists; products without regions answer one block without Region.
SCANNED = ("clb", "cdn", "waf", "live", "vod", "ddos", "tke", "apigateway", "tcb", "teo", "cos")
DETAIL_KEYS = ("CLB", "CDN", "WAF", "LIVE", "VOD", "DDOS", "TKE", "APIGATEWAY", "TCB", "TEO", "COS", "GAAP", "MQTT", "SCF", "TDMQ", "TSE")
GLOBAL = ("cdn", "live", "vod", "ddos", "teo", "gaap")
BEIJING = datetime.timezone(datetime.timedelta(hours=8))

Binding = namedtuple("Binding", "type region instance")


def _clb(lb_id, name, listener_cert, rules=(), listener_id="lbl-https001"):
    return {
        "LoadBalancerId": lb_id,
        "LoadBalancerName": name,
        "Forward": 1,
        "Listeners": [
            {
                "ListenerId": listener_id,
                "ListenerName": "https-443",
                "SniSwitch": 1,
                "Protocol": "HTTPS",
                "Certificate": {"CertId": listener_cert, "DnsNames": ["*.example.com"], "CertCaId": None, "SSLMode": "UNIDIRECTIONAL"},
                "Rules": [
                    {"LocationId": loc, "Domain": domain, "Url": "/", "IsMatch": True, "Certificate": {"CertId": cert, "CertCaId": None}, "NoMatchDomains": []}
                    for loc, domain, cert in rules
                ],
                "NoMatchDomains": [],
            }
        ],
    }


def fixture_bindings() -> dict:
    """Bindings of the named fixtures: an old certificate still deployed after renewal (ExPd0003, renewed by
    NoRm0001), listeners and rules that hold other ids, several products, 130 instances in one region (KeYp0006)."""
    web = _clb("lb-8fk2ls0e", "web-prod", "ExPd0003", rules=[("loc-www00001", "www.example.com", "ExPd0003"), ("loc-api00001", "api.example.com", "NoRm0001")])
    return {
        "ExPd0003": [
            Binding("clb", "ap-guangzhou", web),
            Binding("cdn", None, {"Domain": "static.example.com", "CertId": "ExPd0003", "Status": "online", "HttpsBillingSwitch": "on"}),
            Binding(
                "tke",
                "ap-guangzhou",
                {
                    "ClusterId": "cls-prod0001",
                    "ClusterName": "prod",
                    "ClusterType": "MANAGED_CLUSTER",
                    "ClusterVersion": "1.30.0",
                    "NamespaceList": [
                        {
                            "Name": "default",
                            "SecretList": [
                                {"Name": "web-tls", "CertId": "ExPd0003", "IngressList": [], "NoMatchDomains": []},
                                {"Name": "api-tls", "CertId": "NoRm0001", "IngressList": [], "NoMatchDomains": []},
                            ],
                        }
                    ],
                },
            ),
        ],
        "NoRm0001": [
            Binding("clb", "ap-guangzhou", web),
            Binding("waf", "ap-guangzhou", {"Domain": "www.example.com", "CertId": "NoRm0001", "Keepalive": 1}),
        ],
        "WiLd0004": [
            Binding("teo", None, {"Host": "edge.example.com", "CertId": "WiLd0004", "ZoneId": "zone-2o0i7n1r", "Status": "deployed", "Algorithm": "RSA 2048"}),
            Binding(
                "cos",
                "ap-shanghai",
                {"Domain": "files.example.com", "CertId": "WiLd0004", "Status": "ENABLED", "Bucket": "files-1250000000", "Region": "ap-shanghai"},
            ),
            Binding(
                "apigateway",
                "ap-shanghai",
                {"ServiceId": "service-7n3kq0", "ServiceName": "public-api", "Domain": "gw.example.com", "CertId": "WiLd0004", "Protocol": "https"},
            ),
        ],
        "KeYp0006": [Binding("clb", "ap-singapore", _clb("lb-sg%04d" % n, "edge-%d" % n, "KeYp0006")) for n in range(130)],
    }


def _beijing(moment: float) -> str:
    return datetime.datetime.fromtimestamp(moment, BEIJING).strftime("%Y-%m-%d %H:%M:%S")


class Task:
    def __init__(self, task_id: str, cert_id: str, created: float, ready: float, bindings: list, fails: bool) -> None:
        self.task_id, self.cert_id, self.created, self.ready = task_id, cert_id, created, ready
        self.bindings = copy.deepcopy(bindings)  # a snapshot
        self.fails = fails
        self.polls = 0


class BindingStore:
    """Bindings per certificate, the scan tasks and the knobs tests turn."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.bindings = fixture_bindings()
        self.tasks: dict[str, Task] = {}
        self.offset = 0.0  # seconds the virtual clock is ahead of the real one
        self.delay = 1.0  # seconds a scan takes
        self.empty_first = False  # the first answer of a done task is Status 1 with an empty result
        self.region_errors: set = set()  # (type, region) that answer with an Error
        self.failing: set = set()  # certificate ids whose scans end in Status 2
        self.detail_error = False  # Detail answers FailedOperation.RoleNotFoundAuthorization
        self._next = 51403728

    def now(self) -> float:
        return time.time() + self.offset

    def bind_generated(self, ids) -> None:
        for cert_id in ids:
            self.bindings[cert_id] = [Binding("cdn", None, {"Domain": "%s.cdn.example.com" % cert_id.lower(), "CertId": cert_id, "Status": "online"})]

    def create(self, cert_id: str, use_cache: bool) -> Task:
        now = self.now()
        mine = sorted((t for t in self.tasks.values() if t.cert_id == cert_id), key=lambda t: t.created)
        running = [t for t in mine if now < t.ready]
        if running:
            return running[-1]
        done = [t for t in mine if now - t.ready <= CACHE_SECONDS]
        if use_cache and done:
            return done[-1]
        task = Task(str(self._next), cert_id, now, now + self.delay, self.bindings.get(cert_id, []), cert_id in self.failing)
        self._next += 7
        self.tasks[task.task_id] = task
        return task


def _ids(params: dict, name: str, code: str) -> list:
    value = params.get(name)
    if not isinstance(value, list) or not value or len(value) > MAX_IDS or not all(isinstance(v, str) and v for v in value):
        raise ApiError(code, "The parameter `%s` must be a list of 1 to %d ids." % (name, MAX_IDS))
    return value


def create(emu, params: dict) -> dict:
    ids = _ids(params, "CertificateIds", "FailedOperation.CertificateSyncTaskCertificateIdCountInvalid")
    is_cache = params.get("IsCache", 1)
    if isinstance(is_cache, bool) or is_cache not in (0, 1):
        raise ApiError("InvalidParameter", "IsCache must be 0 or 1.")
    unknown = [cert_id for cert_id in ids if cert_id not in emu.certificate_store]
    if unknown:
        raise ApiError("FailedOperation.CertificateNotFound", "certificate %s does not exist" % unknown[0])
    store = emu.binding_store
    with store.lock:
        tasks = [store.create(cert_id, is_cache == 1) for cert_id in ids]
    return {"CertTaskIds": [{"CertId": t.cert_id, "TaskId": t.task_id} for t in tasks]}


def _counts(task: Task, store: BindingStore) -> list:
    regions: dict = {}
    for binding in task.bindings:
        regions.setdefault(binding.type, {}).setdefault(binding.region, 0)
        regions[binding.type][binding.region] += 1
    result = []
    for rtype in SCANNED:
        found = regions.get(rtype) or {None if rtype in GLOBAL else "ap-guangzhou": 0}
        blocks = []
        for region, total in sorted(found.items(), key=lambda item: item[0] or ""):
            block = {"TotalCount": total, "Error": ""}
            if (rtype, region) in store.region_errors:
                block = {"TotalCount": 0, "Error": "InternalError: the region did not answer"}
            if region is not None:
                block["Region"] = region
            blocks.append(block)
        result.append({"ResourceType": rtype, "BindResourceRegionResult": blocks})
    return result


def result(emu, params: dict) -> dict:
    ids = _ids(params, "TaskIds", "FailedOperation.CertificateSyncTaskIdInvalid")
    store = emu.binding_store
    items = []
    with store.lock:
        for task_id in ids:
            task = store.tasks.get(task_id)
            if task is None:
                raise ApiError("FailedOperation.CertificateSyncTaskIdInvalid", "The task %s does not exist." % task_id)
            item = {"TaskId": task_id, "Status": 0, "Error": None, "CacheTime": _beijing(task.created), "BindResourceResult": []}
            if store.now() >= task.ready:
                task.polls += 1
                if task.fails:
                    item.update(Status=2, Error={"Code": "FailedOperation.CertificateHostResourceInnerInterrupt", "Message": "the scan was interrupted"})
                else:
                    item["Status"] = 1
                    if not (store.empty_first and task.polls == 1):
                        item["BindResourceResult"] = _counts(task, store)
            items.append(item)
    return {"SyncTaskBindResourceResult": items}


def _string_int(params: dict, name: str, default: int, maximum: int | None = None) -> int:
    value = params.get(name)
    if value is None:
        return default
    if not isinstance(value, str) or not value.isdigit():
        raise ApiError("InvalidParameter", "The parameter `%s` must be a string of digits (got %r)." % (name, value))
    number = int(value)
    if maximum is not None and number > maximum:
        raise ApiError("InvalidParameter", "The parameter `%s` must be at most %d." % (name, maximum))
    return number


def detail(emu, params: dict) -> dict:
    task_id = params.get("TaskId")
    if not isinstance(task_id, str) or not task_id:
        raise ApiError("MissingParameter", "The request is missing a required parameter `TaskId`.")
    limit = _string_int(params, "Limit", 10, 100)
    offset = _string_int(params, "Offset", 0)
    types = params.get("ResourceTypes")
    regions = params.get("Regions")
    store = emu.binding_store
    with store.lock:
        task = store.tasks.get(task_id)
        if task is None:
            raise ApiError("FailedOperation.CertificateSyncTaskIdInvalid", "The task %s does not exist." % task_id)
        if store.detail_error:
            raise ApiError("FailedOperation.RoleNotFoundAuthorization", "role not found, go and authorize")
        answer = {key: [] for key in DETAIL_KEYS}
        answer.update(Status=1 if store.now() >= task.ready and not task.fails else (2 if task.fails else 0), CacheTime=_beijing(task.created))
        if answer["Status"] != 1:
            return answer
        grouped: dict = {}
        for binding in task.bindings:
            if types and binding.type not in types:
                continue
            if regions and binding.region and binding.region not in regions:
                continue
            grouped.setdefault((binding.type, binding.region), []).append(binding.instance)
        for (rtype, region), instances in sorted(grouped.items(), key=lambda item: (item[0][0], item[0][1] or "")):
            block = {"TotalCount": len(instances), "Error": "", "InstanceList": copy.deepcopy(instances[offset : offset + limit])}
            if region is not None:
                block["Region"] = region
            answer[rtype.upper()].append(block)
    return answer


HANDLERS = {CREATE: create, RESULT: result, DETAIL: detail}
