#!/usr/bin/python
# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ssl_certificate_info
short_description: Gather facts about Tencent Cloud SSL certificates
version_added: 0.1.0
description:
  - Describes Tencent Cloud SSL certificates by id (API action C(DescribeCertificate)) or lists them with filters
    (C(DescribeCertificates)), and returns normalised records with snake_case keys, UTC validity times and days to expiry.
  - Read-only. Many certificates are fetched concurrently, never faster than O(rate_limit) requests per second.
author:
  - cloudcert maintainers (@cloudcert)
options:
  certificate_ids:
    description:
      - Describe exactly these certificates, returned in this order.
      - A repeated id is asked once and its record returned at each place it was asked.
      - Without ids the module lists certificates, filtered by O(search), O(statuses) and O(certificate_type).
    type: list
    elements: str
    aliases: [certificate_id, id]
  search:
    description:
      - Without O(certificate_ids), list only certificates whose id, alias or domain contains this text (API C(SearchKey)).
    type: str
  statuses:
    description:
      - Without O(certificate_ids), list only certificates with these status codes (API C(CertificateStatus)),
        for example V(1) issued, V(3) expired, V(0) under review, V(10) revoked.
    type: list
    elements: int
  certificate_type:
    description:
      - Without O(certificate_ids), list only server (V(SVR)) or CA/client (V(CA)) certificates.
    type: str
    choices: [SVR, CA]
  details:
    description:
      - V(true) returns full C(DescribeCertificate) records (one request per certificate).
      - V(false) returns the lighter C(DescribeCertificates) records, normalised the same way; with O(certificate_ids)
        up to 50 ids are fetched per request, so 60 ids cost 2 requests instead of 60. They lack C(submitted_data),
        C(dv_auth_detail) and a few other fields.
    type: bool
    default: true
  expiring_within_days:
    description:
      - Keep only certificates whose RV(certificates[].days_to_expiry) is at most this number.
        Expired certificates are kept; certificates without a known expiry are left out.
    type: int
  on_missing:
    description:
      - What to do about certificate ids the API reports as not found (C(FailedOperation.CertificateNotFound)).
      - V(error) fails the task naming every missing id; V(warn) returns the others and warns; V(skip) returns the others quietly.
      - Missing ids are returned in RV(missing) with V(warn) and V(skip).
    type: str
    choices: [error, warn, skip]
    default: error
  include_certificate:
    description:
      - Also return each certificate itself (RV(certificates[].certificate_pem)), the rest of the chain the API holds
        (RV(certificates[].certificate_chain)) and the leaf's RV(certificates[].fingerprints), from one
        C(DescribeCertificateDetail) request per certificate, made concurrently at the shared O(rate_limit).
      - With O(details=true) the detail request joins C(DescribeCertificate) instead of replacing it, because its answer lacks
        C(package_type_name) and the C(ca_*) lists; the two actions have separate rate limits, so the wall time grows little.
        With O(details=false) it follows the batch or listing, and only for certificates that O(expiring_within_days) keeps.
      - The record stays what it is without this option plus the three keys; the other fields only the detail answer has
        (C(RootCert), C(CertFingerprint), C(CertChainInfo), C(EncryptCert), ...) are not returned. The chain is taken from
        the certificate field only; the root (C(RootCert)) is left out, as servers do not send it.
      - The private keys the API returns with it (C(CertificatePrivateKey), C(EncryptPrivateKey), anything named like a
        private key) are dropped as soon as the answer arrives; they never reach the result, a warning, an error or the log.
      - The PEM is checked (base64 DER with the structure of an X.509 certificate) and rewritten in the standard form
        (64-column lines, LF). When the certificate does not parse or is empty, RV(certificates[].certificate_pem) and
        RV(certificates[].fingerprints) are null and one warning names the certificate; broken chain blocks are left out.
      - A certificate the detail request does not find is treated as missing (see O(on_missing)).
    type: bool
    default: false
  deployments:
    description:
      - Where each certificate is still deployed (CLB listeners and rules, CDN domains, WAF, TKE secrets, API gateways,
        COS, TEO, and the other products the API scans), for renewal and clean-up gates.
      - V(none) makes no extra call. V(summary) adds RV(certificates[].in_use) and RV(certificates[].deployments) from
        the API's asynchronous scan (C(CreateCertificateBindResourceSyncTask), then
        C(DescribeCertificateBindResourceTaskResult) until done). V(full) also adds RV(certificates[].in_use_by) from
        C(DescribeCertificateBindResourceTaskDetail), asked only for certificates in use and only for the types and
        regions whose count is not zero.
      - Works the same for certificate ids and for listings, for the certificates O(expiring_within_days) keeps. One
        C(Create) and one polled C(Result) call serve 100 certificates; all scans of a run are polled together, with
        backoff from 1 s to 5 s.
      - Never fails open. RV(certificates[].in_use) is V(false) only when the scan is complete (done, no region error,
        within O(deployments_timeout)). An incomplete scan fails the task with C(DeploymentsIncomplete) (or the API's
        own code for a failed scan) naming what is missing, unless what it found already makes the certificate in use;
        then RV(certificates[].deployments.complete) is V(false) and the counts are a lower bound.
      - The scan changes no resource, so the task reports C(changed=false), and check mode makes the same calls. It
        needs the CAM permissions C(ssl:CreateCertificateBindResourceSyncTask) (not in the read-only preset
        C(QcloudSSLReadOnlyAccess)), C(ssl:DescribeCertificateBindResourceTaskResult) and, for V(full),
        C(ssl:DescribeCertificateBindResourceTaskDetail); a denial names the permission.
      - A limit of the API itself, not of this module, is that a CLB listener that holds the certificate only as an SNI
        extension certificate is not reported.
    type: str
    choices: [none, summary, full]
    default: none
  deployments_fresh:
    description:
      - V(false) lets the API answer from a scan up to 30 minutes old (C(IsCache=1)); RV(certificates[].deployments.checked_at)
        says when it ran. V(true) asks for a new scan (C(IsCache=0)), for example right after moving resources to a renewed
        certificate.
    type: bool
    default: false
  deployments_timeout:
    description:
      - Seconds to wait for the scans of one module run, all certificates together. A fresh scan of a large account can
        take minutes.
    type: int
    default: 180
extends_documentation_fragment:
  - cloudcert.tencent._connection
  - cloudcert.tencent._attributes
seealso:
  - plugin: cloudcert.tencent.ssl_certificate
    plugin_type: lookup
  - name: DescribeCertificate API
    description: The API action this module calls.
    link: https://www.tencentcloud.com/document/api/1007/36588
"""

EXAMPLES = r"""
- name: Gather facts about two certificates (keys from the environment)
  cloudcert.tencent.ssl_certificate_info:
    certificate_ids:
      - Juz8JAxn
      - a90XEOtj
  register: certs

- name: Fail when a certificate expires within 30 days
  ansible.builtin.assert:
    that: item.days_to_expiry > 30
    fail_msg: "{{ item.certificate_id }} ({{ item.domain }}) expires on {{ item.not_after }}"
    quiet: true
  loop: "{{ certs.certificates }}"
  loop_control:
    label: "{{ item.certificate_id }}"

- name: List every certificate that expires within 30 days (expired ones included)
  cloudcert.tencent.ssl_certificate_info:
    expiring_within_days: 30
  register: expiring

- name: Pick the certificate whose names cover this host
  ansible.builtin.set_fact:
    host_cert: >-
      {{ expiring.certificates
         | selectattr('subject_alt_name')
         | select('cloudcert.tencent.covers', inventory_hostname)
         | first | default(none) }}

- name: Fast listing of issued server certificates (one request per 1000 certificates)
  cloudcert.tencent.ssl_certificate_info:
    statuses: [1]
    certificate_type: SVR
    details: false
  register: issued

- name: China-site account, keys from a vaulted variable, ids that may be gone
  cloudcert.tencent.ssl_certificate_info:
    endpoint: ssl.tencentcloudapi.com
    secret_id: "{{ vault_tencent_secret_id }}"
    secret_key: "{{ vault_tencent_secret_key }}"
    certificate_ids: "{{ wanted_cert_ids }}"
    on_missing: warn
  register: china

- name: Fingerprints and PEM of the certificate a host should serve
  cloudcert.tencent.ssl_certificate_info:
    certificate_ids: [Juz8JAxn]
    include_certificate: true
  register: material

- name: Compare with what the host serves (sha256 over the DER, as community.crypto writes it)
  ansible.builtin.assert:
    that: material.certificates[0].fingerprints.sha256 == served_sha256
  vars:
    served_sha256: "{{ served_fingerprint_from_openssl | lower }}"

- name: Set the connection once for every module of the collection
  module_defaults:
    group/cloudcert.tencent.tencentcloud:
      profile: production
      endpoint: ssl.tencentcloudapi.com
  block:
    - name: Describe by id with the production profile
      cloudcert.tencent.ssl_certificate_info:
        certificate_id: Juz8JAxn

- name: Read another account's certificates through a CAM role (AssumeRole with an external id)
  cloudcert.tencent.ssl_certificate_info:
    role_arn: qcs::cam::uin/200000000002:roleName/cert-reader
    role_external_id: "{{ customer_external_id }}"
    role_session_name: "awx-{{ awx_job_id | default('manual') }}"
    certificate_ids: [Juz8JAxn]

- name: In a TKE pod (an AWX container group with pod identity) the TKE_* variables are enough
  cloudcert.tencent.ssl_certificate_info:
    certificate_ids: [Juz8JAxn]
  register: from_pod  # from_pod.credential_source == 'AssumeRoleWithWebIdentity (TKE environment)'
"""

RETURN = r"""
certificates:
  description:
    - The certificates, in the order of O(certificate_ids), or in the API's listing order.
    - Each record is the API record with its keys converted to snake_case as C(camel_dict_to_snake_dict) does.
      Every documented field is present; fields the API leaves empty are null.
    - Times from the API (C(cert_begin_time), C(cert_end_time), C(insert_time), ...) are kept as sent, in Beijing time
      (UTC+08:00); C(not_before) and C(not_after) are the same instants in UTC.
  returned: always
  type: list
  elements: dict
  contains:
    certificate_id:
      description: Certificate id.
      type: str
      returned: always
      sample: Juz8JAxn
    domain:
      description: Primary domain.
      type: str
      returned: always
      sample: www.example.com
    alias:
      description: Remark name; may be empty or null.
      type: str
      returned: always
      sample: production web
    status:
      description: Status code; V(1) issued, V(3) expired, V(0) under review, V(10) revoked (see the API documentation).
      type: int
      returned: always
      sample: 1
    status_name:
      description: Localised status text (see O(language)).
      type: str
      returned: always
      sample: Issued
    status_msg:
      description: Sub-status such as C(PENDING-DCV), or a failure text.
      type: str
      returned: always
      sample: null
    certificate_type:
      description: V(SVR) for server certificates, V(CA) for CA/client certificates.
      type: str
      returned: always
      sample: SVR
    cert_begin_time:
      description: Start of validity as the API sent it (Beijing time, C(YYYY-MM-DD HH:MM:SS)).
      type: str
      returned: always
      sample: "2026-11-27 08:00:00"
    cert_end_time:
      description: Last valid second as the API sent it (Beijing time).
      type: str
      returned: always
      sample: "2027-02-27 07:59:59"
    not_before:
      description: Start of validity in UTC (ISO 8601); null when the API gave no usable time.
      type: str
      returned: always
      sample: "2026-11-27T00:00:00Z"
    not_after:
      description: Last valid second in UTC (ISO 8601); null when the API gave no usable time.
      type: str
      returned: always
      sample: "2027-02-26T23:59:59Z"
    days_to_expiry:
      description: Whole days from now until C(not_after), rounded down; negative once expired; null when unknown.
      type: int
      returned: always
      sample: 89
    expired:
      description: Whether C(not_after) is in the past; null when unknown.
      type: bool
      returned: always
      sample: false
    subject_alt_name:
      description: All names the certificate covers, the primary domain included.
      type: list
      elements: str
      returned: always
      sample: [www.example.com, example.com]
    is_wildcard:
      description: Whether it is a wildcard certificate.
      type: bool
      returned: always
      sample: false
    insert_time:
      description: When the certificate was applied for or uploaded (Beijing time).
      type: str
      returned: always
      sample: "2026-11-27 17:44:36"
    product_zh_name:
      description: Product or brand name.
      type: str
      returned: always
      sample: TrustAsia C1 DV Free
    package_type:
      description: Product code (a number as a string); null for uploaded certificates.
      type: str
      returned: always
      sample: "83"
    from:
      description: Source of the certificate (C(trustasia), C(upload), ...).
      type: str
      returned: always
      sample: trustasia
    owner_uin:
      description: Account UIN that owns the certificate.
      type: str
      returned: always
      sample: "100012345678"
    project_id:
      description: Project id (a number as a string).
      type: str
      returned: always
      sample: "0"
    validity_period:
      description: Validity in months (a number as a string).
      type: str
      returned: always
      sample: "3"
    certificate_extra:
      description: Extra facts (C(domain_number), C(origin_certificate_id), C(replaced_by), C(renew_order), C(sm_cert), ...).
      type: dict
      returned: always
      sample: {"domain_number": "1", "origin_certificate_id": null, "replaced_by": null, "sm_cert": 0, "company_type": 1}
    submitted_data:
      description:
        - Data submitted with the application; null for most certificates. Only with O(details=true).
        - C(key_password), the private key's password, is always replaced by C(VALUE_SPECIFIED_IN_NO_LOG_PARAMETER).
      type: dict
      returned: when O(details=true)
      sample: {"csr_type": "online", "certificate_domain": "www.example.com", "key_password": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"}
    dv_auth_detail:
      description: Domain validation values (only with O(details=true)).
      type: dict
      returned: when O(details=true)
      sample: {"dv_auth_key": null, "dv_auth_value": null, "dv_auths": null}
    tags:
      description: Tags as a list of C(tag_key)/C(tag_value) dicts.
      type: list
      elements: dict
      returned: always
      sample: [{"tag_key": "env", "tag_value": "prod"}]
    ca_encrypt_algorithms:
      description: Key algorithms, CA certificates only.
      type: list
      elements: str
      returned: always
      sample: []
    ca_common_names:
      description: Common names, CA certificates only.
      type: list
      elements: str
      returned: always
      sample: []
    ca_end_times:
      description: Expiry times (Beijing time), CA certificates only.
      type: list
      elements: str
      returned: always
      sample: []
    request_id:
      description: RequestId of the API answer that produced this record.
      type: str
      returned: always
      sample: 6ef60bec-0242-43af-bb20-270359fb54a7
    certificate_pem:
      description:
        - The certificate itself (the leaf), PEM with 64-column lines and a final newline; null when the API has no
          certificate yet or what it has does not parse (a warning says which).
        - Never a private key.
      type: str
      returned: when O(include_certificate=true)
      sample: "-----BEGIN CERTIFICATE-----\nMIIFJjCCBA6gAwIBAgIQC9G6KeuB1SBAvBPgPAm0SzANBgkqhkiG9w0BAQsFADBy\n...\n-----END CERTIFICATE-----\n"
    certificate_chain:
      description:
        - The other certificates the API holds with it (intermediates), in the API's order, each PEM as in C(certificate_pem).
        - Empty when there are none; blocks that do not parse are left out (with a warning).
      type: list
      elements: str
      returned: when O(include_certificate=true)
      sample: ["-----BEGIN CERTIFICATE-----\nMIIErjCCA5agAwIBAgIQBYAmfwbylVM0jhwYWl7uLjANBgkqhkiG9w0BAQsFADBh\n...\n-----END CERTIFICATE-----\n"]
    fingerprints:
      description:
        - Fingerprints of the leaf certificate (its DER), computed locally; lower-case hex pairs joined by colons, the format of
          community.crypto's C(x509_certificate_info) (C(openssl x509 -noout -fingerprint -sha256) prints the same in upper case).
        - Null when C(certificate_pem) is null.
      type: dict
      returned: when O(include_certificate=true)
      contains:
        sha1:
          description: SHA-1 fingerprint.
          type: str
          returned: success
          sample: "9a:3d:5c:6e:1f:04:27:b8:c3:de:71:0a:92:55:4e:8f:13:c6:a0:7b"
        sha256:
          description: SHA-256 fingerprint.
          type: str
          returned: success
          sample: "5e:c1:7a:0d:8b:36:2f:94:ee:51:c9:03:7a:b2:68:de:14:f0:55:3c:a9:87:21:6b:d0:3e:bf:42:98:11:7c:05"
    in_use:
      description:
        - Whether the certificate is deployed anywhere the API scans. V(false) only from a complete scan.
      type: bool
      returned: when O(deployments) is not V(none)
      sample: true
    deployments:
      description: The scan behind RV(certificates[].in_use).
      type: dict
      returned: when O(deployments) is not V(none)
      contains:
        complete:
          description:
            - Whether the scan finished with no region error. V(false) with RV(certificates[].in_use=true) means "in use,
              at least where counted".
          type: bool
          returned: success
          sample: true
        checked_at:
          description: When the API ran the scan (its C(CacheTime), Beijing time converted to UTC, ISO 8601).
          type: str
          returned: success
          sample: "2026-12-07T08:14:03Z"
        task_id:
          description: The API's scan task.
          type: str
          returned: success
          sample: "51403728"
        counts:
          description: Bound instances per resource type (lower case), summed over regions; types the API scanned and found none in are V(0).
          type: dict
          returned: success
          sample: {"clb": 2, "cdn": 1, "waf": 0, "tke": 1}
        failed:
          description: Parts of the scan that failed (a region that answered with an error, a scan that failed or did not finish).
          type: list
          elements: dict
          returned: success
          sample: [{"resource_type": "clb", "region": "ap-seoul", "error": "InternalError"}]
    in_use_by:
      description:
        - One entry per place that holds this certificate id (a CLB listener or rule, a CDN domain, a TKE secret, ...).
          Places that hold another certificate (the other rules of a listener) are left out. A key the product does not
          have is null.
      type: list
      elements: dict
      returned: when O(deployments=full)
      sample:
        - {"resource_type": "clb", "region": "ap-guangzhou", "resource_id": "lb-8fk2ls0e", "resource_name": "web-prod",
           "domain": "www.example.com", "listener_id": "lbl-3lqx9c2a", "location_id": "loc-6o1t0q8m", "namespace": null,
           "secret_name": null, "status": null}
        - {"resource_type": "cdn", "region": null, "resource_id": "static.example.com", "resource_name": null,
           "domain": "static.example.com", "listener_id": null, "location_id": null, "namespace": null, "secret_name": null,
           "status": "online"}
      contains:
        resource_type:
          description: The product, lower case (C(clb), C(cdn), C(waf), C(tke), C(apigateway), C(teo), C(cos), ...).
          type: str
          returned: success
          sample: clb
        region:
          description: The region, null for global products (CDN, Live, VOD, TEO, Anti-DDoS).
          type: str
          returned: success
          sample: ap-guangzhou
        resource_id:
          description: The instance (C(LoadBalancerId), C(ClusterId), C(ServiceId), C(ZoneId), C(Bucket), ...) or the domain for domain products.
          type: str
          returned: success
          sample: lb-8fk2ls0e
        resource_name:
          description: The instance's name, where the product has one.
          type: str
          returned: success
          sample: web-prod
        domain:
          description: The domain served with the certificate, where the product names one.
          type: str
          returned: success
          sample: www.example.com
        listener_id:
          description: The CLB or GAAP listener.
          type: str
          returned: success
          sample: lbl-3lqx9c2a
        location_id:
          description: The CLB rule (a domain and URL of an HTTPS listener).
          type: str
          returned: success
          sample: loc-6o1t0q8m
        namespace:
          description: The TKE namespace.
          type: str
          returned: success
          sample: default
        secret_name:
          description: The TKE secret.
          type: str
          returned: success
          sample: web-tls
        status:
          description: The product's status of the binding or domain, as the API words it.
          type: str
          returned: success
          sample: online
missing:
  description: Ids the API reported as not found (with O(on_missing=warn) or O(on_missing=skip)); empty when none.
  returned: always
  type: list
  elements: str
  sample: [NoSuch01]
credential_source:
  description:
    - "Where the keys came from (never the keys themselves), for example C(environment), C(task options),
      C(profile file /home/me/.tencentcloud/credentials [prod]), C(CVM role cert-reader),
      C(AssumeRole qcs::cam::uin/100000000001:roleName/reader (base: environment)) or
      C(AssumeRoleWithWebIdentity (TKE environment))."
  returned: always
  type: str
  sample: "AssumeRole qcs::cam::uin/100000000001:roleName/reader (base: environment)"
error_code:
  description: On failure, the API error code (or null for network failures).
  returned: failure
  type: str
  sample: AuthFailure.SignatureFailure
request_id:
  description: On failure, the RequestId of the failed API answer when there was one.
  returned: failure
  type: str
  sample: 6ef60bec-0242-43af-bb20-270359fb54a7
attempts:
  description: On failure, how many attempts were made for the failed request.
  returned: failure
  type: int
  sample: 6
"""

from ansible_collections.cloudcert.tencent.plugins.module_utils._deployments import DEFAULT_TIMEOUT as DEFAULT_DEPLOYMENTS_TIMEOUT
from ansible_collections.cloudcert.tencent.plugins.module_utils._deployments import MODES as DEPLOYMENT_MODES
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import ConfigurationError
from ansible_collections.cloudcert.tencent.plugins.module_utils._gather import (
    ON_MISSING,
    SELECTION_MUTUALLY_EXCLUSIVE,
    Request,
    gather,
    selection_argument_spec,
)
from ansible_collections.cloudcert.tencent.plugins.module_utils._module import CloudcertModule


def main() -> None:
    argument_spec = selection_argument_spec()
    argument_spec.update(
        {
            "details": {"type": "bool", "default": True},
            "expiring_within_days": {"type": "int"},
            "on_missing": {"type": "str", "default": "error", "choices": list(ON_MISSING)},
            "include_certificate": {"type": "bool", "default": False},
            "deployments": {"type": "str", "default": "none", "choices": list(DEPLOYMENT_MODES)},
            "deployments_fresh": {"type": "bool", "default": False},
            "deployments_timeout": {"type": "int", "default": DEFAULT_DEPLOYMENTS_TIMEOUT},
        }
    )
    module = CloudcertModule(argument_spec=argument_spec, mutually_exclusive=SELECTION_MUTUALLY_EXCLUSIVE, supports_check_mode=True)
    params = module.params

    def body() -> dict:
        if params["deployments_timeout"] <= 0:
            raise ConfigurationError("deployments_timeout: must be a number of seconds greater than 0, got %d" % params["deployments_timeout"])
        return gather(module.client(), Request.of(params), warn=module.warn)

    module.run(body)


if __name__ == "__main__":
    main()
