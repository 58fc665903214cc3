# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""The places that hold a certificate, from one DescribeCertificateBindResourceTaskDetail answer.

The answer has one array per product (``CLB``, ``CDN``, ``TKE``, ...) of per-region lists of instances, each in the
product's own shape. Every instance, listener, rule, secret or domain that holds THE certificate id becomes one flat
place with the same keys (``PLACE_KEYS``; null where the product has no such thing). Places that hold another
certificate id are dropped: a CLB listener may hold one id and its rules others. Standard library only.
"""

from __future__ import annotations

PLACE_KEYS = ("resource_type", "region", "resource_id", "resource_name", "domain", "listener_id", "location_id", "namespace", "secret_name", "status")


def _text(value):
    return None if value in (None, "") else str(value) if not isinstance(value, str) else value


def place(resource_type: str, region, **fields) -> dict:
    found = dict.fromkeys(PLACE_KEYS)
    found.update({key: _text(value) for key, value in fields.items()})
    found["resource_type"], found["region"] = resource_type, _text(region)
    return found


def _holds(cert_id: str, *values) -> bool:
    for value in values:
        if value == cert_id or (isinstance(value, list) and cert_id in value):
            return True
    return False


def _cert_of(holder) -> dict:
    certificate = holder.get("Certificate") if isinstance(holder, dict) else None
    return certificate if isinstance(certificate, dict) else {}


def _clb(cert_id, region, lb):
    for listener in lb.get("Listeners") or []:
        if not isinstance(listener, dict):
            continue
        common = {"resource_id": lb.get("LoadBalancerId"), "resource_name": lb.get("LoadBalancerName"), "listener_id": listener.get("ListenerId")}
        cert = _cert_of(listener)
        if _holds(cert_id, cert.get("CertId"), cert.get("CertCaId")):
            yield place("clb", region, **common)
        for rule in listener.get("Rules") or []:
            rule_cert = _cert_of(rule)
            if isinstance(rule, dict) and _holds(cert_id, rule_cert.get("CertId"), rule_cert.get("CertCaId")):
                yield place("clb", region, domain=rule.get("Domain"), location_id=rule.get("LocationId"), **common)


def _tke(cert_id, region, cluster):
    for namespace in cluster.get("NamespaceList") or []:
        for secret in (namespace.get("SecretList") if isinstance(namespace, dict) else None) or []:
            if isinstance(secret, dict) and _holds(cert_id, secret.get("CertId")):
                yield place(
                    "tke",
                    region,
                    resource_id=cluster.get("ClusterId"),
                    resource_name=cluster.get("ClusterName"),
                    namespace=namespace.get("Name"),
                    secret_name=secret.get("Name"),
                )


def _tcb(cert_id, region, env):
    environment = env.get("Environment") if isinstance(env.get("Environment"), dict) else {}
    for service in ("AccessService", "HostService"):
        block = env.get(service) if isinstance(env.get(service), dict) else {}
        for item in block.get("InstanceList") or []:
            if isinstance(item, dict) and _holds(cert_id, item.get("OldCertificateId")):
                yield place(
                    "tcb",
                    region,
                    resource_id=environment.get("ID"),
                    resource_name=environment.get("Name"),
                    domain=item.get("Domain"),
                    status=item.get("Status"),
                )


def _tse(cert_id, region, gateway):
    for cert in gateway.get("CertificateList") or []:
        if isinstance(cert, dict) and _holds(cert_id, cert.get("CertId")):
            domains = cert.get("BindDomains")
            domain = ",".join(str(d) for d in domains) if isinstance(domains, list) else domains
            yield place("tse", region, resource_id=gateway.get("GatewayId"), resource_name=gateway.get("GatewayName"), domain=domain)


def _gaap(cert_id, region, instance):
    for listener in instance.get("ListenerList") or []:
        if isinstance(listener, dict) and _holds(cert_id, listener.get("CertIdList")):
            yield place(
                "gaap",
                region,
                resource_id=instance.get("InstanceId"),
                resource_name=instance.get("InstanceName"),
                listener_id=listener.get("ListenerId"),
                status=listener.get("ListenerStatus"),
            )


def _simple(resource_type, id_key=None, name_key=None, cert_keys=("CertId",), status_key="Status", domain_key="Domain"):
    """A product whose instances hold the id directly (one place per instance)."""

    def places(cert_id, region, item):
        if _holds(cert_id, *(item.get(key) for key in cert_keys)):
            yield place(
                resource_type,
                region,
                resource_id=item.get(id_key) if id_key else item.get(domain_key),
                resource_name=item.get(name_key) if name_key else None,
                domain=item.get(domain_key) if domain_key else None,
                status=item.get(status_key) if status_key else None,
            )

    return places


# The answer's key of each product -> how its instances name places.
PRODUCTS = {
    "CLB": _clb,
    "CDN": _simple("cdn"),
    "WAF": _simple("waf", status_key=None),
    "DDOS": _simple("ddos", id_key="InstanceId", status_key=None),
    "LIVE": _simple("live"),
    "VOD": _simple("vod", status_key=None),
    "TKE": _tke,
    "APIGATEWAY": _simple("apigateway", id_key="ServiceId", name_key="ServiceName", status_key=None),
    "TCB": _tcb,
    "TEO": _simple("teo", id_key="ZoneId", domain_key="Host"),
    "TSE": _tse,
    "COS": _simple("cos", id_key="Bucket"),
    "TDMQ": _simple("tdmq", id_key="InstanceId", name_key="InstanceName", cert_keys=("CertId", "CaCertId"), status_key="InstanceStatus", domain_key=None),
    "MQTT": _simple(
        "mqtt", id_key="InstanceId", name_key="InstanceName", cert_keys=("ServerCertIdList", "CaCertIdList"), status_key="InstanceStatus", domain_key=None
    ),
    "GAAP": _gaap,
    "SCF": _simple("scf", cert_keys=("CertificateId",), status_key=None),
}


def _region_blocks(detail: dict):
    """(product key, per-region block) of one Detail page, for every product this file knows."""
    for key in PRODUCTS:
        for block in detail.get(key) or []:
            if isinstance(block, dict):
                yield key, block


def places_in(detail: dict, cert_id: str) -> list[dict]:
    """Every place of one Detail page that holds ``cert_id``, in the answer's order."""
    found = []
    for key, block in _region_blocks(detail):
        for instance in block.get("InstanceList") or []:
            if isinstance(instance, dict):
                found.extend(PRODUCTS[key](cert_id, block.get("Region"), instance))
    return found


def page_totals(detail: dict) -> dict:
    """{(product key, region): (TotalCount, instances on this page)} of one Detail page, for paging."""
    totals = {}
    for key, block in _region_blocks(detail):
        instances = block.get("InstanceList") or []
        total = block.get("TotalCount")
        totals[(key, block.get("Region"))] = (total if isinstance(total, int) else len(instances), len(instances))
    return totals


def region_errors(detail: dict) -> list:
    """The regions of one Detail page that answered with an error, as ``deployments.failed`` entries."""
    return [
        {"resource_type": key.lower(), "region": block.get("Region"), "error": str(block["Error"])}
        for key, block in _region_blocks(detail)
        if block.get("Error")
    ]
