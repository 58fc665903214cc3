# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where certificates are deployed, through the fetch plan against the emulator's bind-resource scan: the keys,
the exact places of each certificate, freshness, never failing open, call counts and the CAM denial."""

from __future__ import annotations

import pytest
from ansible_collections.cloudcert.tencent.plugins.module_utils._deployments import DeploymentsIncompleteError
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import ApiError, describe_failure
from ansible_collections.cloudcert.tencent.plugins.module_utils._gather import Request, gather
from ansible_collections.cloudcert.tencent.plugins.module_utils._places import PLACE_KEYS
from ansible_collections.cloudcert.tencent.tests.emulator import READONLY_SECRET_ID, READONLY_SECRET_KEY, Emulator
from ansible_collections.cloudcert.tencent.tests.unit.plugins.module_utils.helpers import static

CREATE, RESULT, DETAIL = "CreateCertificateBindResourceSyncTask", "DescribeCertificateBindResourceTaskResult", "DescribeCertificateBindResourceTaskDetail"


@pytest.fixture
def emu():
    with Emulator(port=0, rate_limit=0, generate=250) as emulator:
        emulator.configure_bindings(delay=0.0)  # scans done at once; the tests that need a running scan set a delay
        yield emulator


def _run(make_client, emu, ids=None, **options):
    params = dict(options)
    if ids is not None:
        params["certificate_ids"] = ids
    return {r["certificate_id"]: r for r in gather(make_client(emu.url), Request.of(params))["certificates"]}


def _calls(emu):
    return {action: emu.count(action) for action in (CREATE, RESULT, DETAIL)}


def test_none_makes_no_extra_call_and_adds_no_key(emu, make_client):
    found = _run(make_client, emu, ["ExPd0003"])
    assert _calls(emu) == {CREATE: 0, RESULT: 0, DETAIL: 0}
    assert not {"in_use", "deployments", "in_use_by"} & set(found["ExPd0003"])


def test_summary_counts_without_places(emu, make_client):
    found = _run(make_client, emu, ["ExPd0003", "SoOn0002"], deployments="summary")
    old, unused = found["ExPd0003"], found["SoOn0002"]
    assert old["in_use"] is True and unused["in_use"] is False
    assert old["deployments"]["counts"]["clb"] == 1 and old["deployments"]["counts"]["cdn"] == 1 and old["deployments"]["counts"]["tke"] == 1
    assert unused["deployments"]["complete"] is True and sum(unused["deployments"]["counts"].values()) == 0
    assert set(old["deployments"]) == {"complete", "checked_at", "task_id", "counts", "failed"} and "in_use_by" not in old
    assert old["deployments"]["checked_at"].endswith("Z") and isinstance(old["deployments"]["task_id"], str)
    assert _calls(emu)[CREATE] == 1 and _calls(emu)[DETAIL] == 0


def test_full_lists_exactly_the_places_that_hold_each_id(emu, make_client):
    found = _run(make_client, emu, ["ExPd0003", "NoRm0001", "WiLd0004", "SoOn0002"], deployments="full")
    old = found["ExPd0003"]["in_use_by"]
    assert all(set(place) == set(PLACE_KEYS) for place in old)
    assert {(p["resource_type"], p["resource_id"], p["listener_id"], p["location_id"]) for p in old if p["resource_type"] == "clb"} == {
        ("clb", "lb-8fk2ls0e", "lbl-https001", None),
        ("clb", "lb-8fk2ls0e", "lbl-https001", "loc-www00001"),
    }
    assert {(p["resource_type"], p["namespace"], p["secret_name"]) for p in old if p["resource_type"] == "tke"} == {("tke", "default", "web-tls")}
    assert [p["domain"] for p in old if p["resource_type"] == "cdn"] == ["static.example.com"] and old[2]["region"] is None
    # The same listener's other rule and the same namespace's other secret hold NoRm0001: they are its places only.
    new = found["NoRm0001"]["in_use_by"]
    assert {(p["resource_type"], p["location_id"]) for p in new} == {("clb", "loc-api00001"), ("waf", None)}
    assert {p["resource_type"] for p in found["WiLd0004"]["in_use_by"]} == {"teo", "cos", "apigateway"}
    assert found["SoOn0002"]["in_use_by"] == [] and found["SoOn0002"]["in_use"] is False
    # One Create and polled Results for all four; Detail only for the three in use, narrowed to their types.
    assert _calls(emu)[CREATE] == 1 and _calls(emu)[DETAIL] == 3
    detail = {e["params"]["TaskId"]: e["params"] for e in emu.requests if e["action"] == DETAIL}
    types = {task: sorted(params["ResourceTypes"]) for task, params in detail.items()}
    assert sorted(types.values()) == [["apigateway", "cos", "teo"], ["cdn", "clb", "tke"], ["clb", "waf"]]
    detail = list(detail.values())
    assert all(isinstance(p["Limit"], str) and isinstance(p["Offset"], str) for p in detail)


def test_more_than_a_page_of_instances_in_one_region(emu, make_client):
    found = _run(make_client, emu, ["KeYp0006"], deployments="full")
    assert len(found["KeYp0006"]["in_use_by"]) == 130 and found["KeYp0006"]["deployments"]["counts"]["clb"] == 130
    offsets = [e["params"]["Offset"] for e in emu.requests if e["action"] == DETAIL]
    assert offsets == ["0", "100"]


def test_a_hundred_and_fifty_certificates_one_create_per_hundred(emu, make_client):
    emu.configure_bindings(bind_generated=["G%07d" % n for n in range(1, 21)])
    ids = ["G%07d" % n for n in range(1, 151)]
    found = _run(make_client, emu, ids, deployments="full")
    assert sum(r["in_use"] for r in found.values()) == 20
    calls = _calls(emu)
    assert calls[CREATE] == 2 and calls[DETAIL] == 20
    results = [e["params"]["TaskIds"] for e in emu.requests if e["action"] == RESULT]
    assert max(len(batch) for batch in results) == 100 and len(results) % 2 == 0  # every round asks for all tasks


def test_listings_get_deployments_too(emu, make_client):
    found = _run(make_client, emu, None, search="example.com", details=False, deployments="summary")
    assert found and all("in_use" in record for record in found.values())


def test_cache_and_fresh(emu, make_client):
    first = _run(make_client, emu, ["NoRm0001"], deployments="summary")["NoRm0001"]["deployments"]
    again = _run(make_client, emu, ["NoRm0001"], deployments="summary")["NoRm0001"]["deployments"]
    assert again["task_id"] == first["task_id"] and again["checked_at"] == first["checked_at"]  # the API's 30-minute cache
    fresh = _run(make_client, emu, ["NoRm0001"], deployments="summary", deployments_fresh=True)["NoRm0001"]["deployments"]
    assert fresh["task_id"] != first["task_id"]
    assert [e["params"]["IsCache"] for e in emu.requests if e["action"] == CREATE] == [1, 1, 0]
    emu.configure_bindings(advance=31 * 60)
    later = _run(make_client, emu, ["NoRm0001"], deployments="summary")["NoRm0001"]["deployments"]
    assert later["task_id"] not in (first["task_id"], fresh["task_id"])


def test_an_empty_done_answer_is_polled_again(emu, make_client):
    emu.configure_bindings(empty_first=True)
    found = _run(make_client, emu, ["SoOn0002"], deployments="summary")
    assert found["SoOn0002"]["in_use"] is False and found["SoOn0002"]["deployments"]["complete"] is True
    assert _calls(emu)[RESULT] >= 2


def test_a_region_error_never_gives_false(emu, make_client):
    emu.configure_bindings(region_errors=[["clb", "ap-guangzhou"]])
    with pytest.raises(DeploymentsIncompleteError) as caught:
        _run(make_client, emu, ["SoOn0002"], deployments="summary")
    assert caught.value.code == "DeploymentsIncomplete" and "clb in ap-guangzhou" in str(caught.value) and "SoOn0002" in str(caught.value)
    found = _run(make_client, emu, ["ExPd0003"], deployments="summary", deployments_fresh=True)
    assert found["ExPd0003"]["in_use"] is True and found["ExPd0003"]["deployments"]["complete"] is False
    assert found["ExPd0003"]["deployments"]["failed"][0]["resource_type"] == "clb"


def test_a_failed_scan_fails_with_the_apis_code(emu, make_client):
    emu.configure_bindings(failing=["SoOn0002"])
    with pytest.raises(DeploymentsIncompleteError) as caught:
        _run(make_client, emu, ["SoOn0002"], deployments="summary")
    assert caught.value.code == "FailedOperation.CertificateHostResourceInnerInterrupt"
    assert "DeploymentsIncomplete" not in describe_failure(caught.value)


def test_a_scan_that_does_not_finish_in_time(emu, make_client):
    emu.configure_bindings(delay=60)
    with pytest.raises(DeploymentsIncompleteError, match="deployments_timeout=1") as first:
        _run(make_client, emu, ["SoOn0002"], deployments="summary", deployments_timeout=1)
    # A scan still running is the answer to the next Create too, even a fresh one: one running task per certificate.
    with pytest.raises(DeploymentsIncompleteError) as again:
        _run(make_client, emu, ["SoOn0002"], deployments="summary", deployments_fresh=True, deployments_timeout=1)
    task = str(first.value).split("(task ")[1].split(")")[0]
    assert "(task %s)" % task in str(again.value)


def test_a_read_only_key_is_told_the_permission(emu, make_client):
    client = make_client(emu.url, credentials=static(READONLY_SECRET_ID, READONLY_SECRET_KEY))
    assert gather(client, Request.of({"certificate_ids": ["NoRm0001"]}))["certificates"]
    with pytest.raises(ApiError) as caught:
        gather(client, Request.of({"certificate_ids": ["NoRm0001"], "deployments": "summary"}))
    assert "grant ssl:CreateCertificateBindResourceSyncTask" in describe_failure(caught.value)


def test_a_role_error_on_the_instance_list(emu, make_client):
    emu.configure_bindings(detail_error=True)
    with pytest.raises(ApiError) as caught:
        _run(make_client, emu, ["NoRm0001"], deployments="full")
    assert caught.value.code == "FailedOperation.RoleNotFoundAuthorization" and caught.value.action == DETAIL
