# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: ssl_certificate
short_description: Tencent Cloud SSL certificate records and fields, inline in templates
version_added: 0.1.0
author:
  - cloudcert maintainers (@cloudcert)
description:
  - Describes Tencent Cloud SSL certificates by id (API action C(DescribeCertificate)) and returns, for each term,
    the same record M(cloudcert.tencent.ssl_certificate_info) returns, or one field of it.
  - Results are cached on the controller for O(cache_ttl) seconds and shared by every task, host and fork of a run,
    so templating the same certificate on many hosts asks the API once.
  - Certificates of one call are fetched concurrently, never faster than O(rate_limit) requests per second.
  - A keyword that is not one of the options below (for example a misspelt C(fiel=)) fails, naming it and the valid
    keywords, before any API call.
options:
  _terms:
    description:
      - Certificate ids. One result per id, in order; a repeated id gives its record again (and is fetched once).
      - A term may also be a list of ids.
    type: list
    elements: str
    required: true
  field:
    description:
      - Return this field of each record instead of the whole record.
      - The API's name (V(CertEndTime), V(SubjectAltName)), the snake_case name of the module's record
        (V(cert_end_time), V(subject_alt_name)), or a derived key (V(not_before), V(not_after), V(days_to_expiry),
        V(expired)).
      - Dots reach nested fields (V(CertificateExtra.DomainNumber), V(certificate_extra.domain_number)); a number
        selects a list element (V(Tags.0.TagKey)).
      - API-named fields return the API's own value; V(CertEndTime) is the Beijing-time string as the API sent it.
        A field the API left empty returns V(null); V(SubmittedData.KeyPassword) returns the mask
        C(VALUE_SPECIFIED_IN_NO_LOG_PARAMETER), never the password.
      - An unknown field fails with a list of the valid names.
    type: str
  on_missing:
    description:
      - What to do about ids the API reports as not found (C(FailedOperation.CertificateNotFound)).
      - V(error) fails naming every missing id; V(warn) leaves them out of the result and shows a warning;
        V(skip) leaves them out quietly.
    type: str
    choices: [error, warn, skip]
    default: error
  cache_ttl:
    description:
      - Seconds a fetched record (or a "not found" answer) is reused for the same certificate id, credentials,
        endpoint and language. V(0) turns the cache off (nothing is read or written).
      - Derived C(days_to_expiry) and C(expired) are recomputed at every use, so a cached record never reports stale expiry.
    type: int
    default: 300
    env:
      - name: CLOUDCERT_TENCENT_CACHE_TTL
    ini:
      - section: cloudcert_tencent
        key: cache_ttl
    vars:
      - name: cloudcert_tencent_cache_ttl
  cache_dir:
    description:
      - Directory of the cache on the controller. Defaults to C($XDG_CACHE_HOME/cloudcert.tencent/lookup),
        or C(~/.cache/cloudcert.tencent/lookup) when E(XDG_CACHE_HOME) is not set.
      - It is created with mode C(0700), its files with C(0600); looser modes are tightened. A directory owned by another
        user, or that is a symbolic link, is not used (the lookup then works without cache and warns).
    type: path
    env:
      - name: CLOUDCERT_TENCENT_CACHE_DIR
    ini:
      - section: cloudcert_tencent
        key: cache_dir
    vars:
      - name: cloudcert_tencent_cache_dir
  cache_clear:
    description:
      - Drop the cached entries of these terms before fetching, so they are asked again.
      - "Every host that runs the task clears and asks again; use it in a task with C(run_once: true)."
    type: bool
    default: false
extends_documentation_fragment:
  - cloudcert.tencent._connection
  - cloudcert.tencent._connection.PLUGINS
notes:
  - "The cache holds no secret: each file is named by a SHA-256 over the key id, a SHA-256 of the secret key, the
    endpoint, the language and the certificate id, and records carry the key password masked. With O(cvm_role) the
    name uses the role and the metadata URL instead of the temporary key id, which rotates every few hours."
  - "Concurrent forks asking for the same certificate take a file lock (C(flock)): one asks the API, the others wait and
    read its answer. A corrupt or unreadable cache file is ignored and replaced."
  - "To empty the cache, use O(cache_clear=true), or remove the directory (C(rm -rf ~/.cache/cloudcert.tencent/lookup))
    while no play is running."
  - "With C(lookup()) several string results are joined with commas, as for every lookup; use C(query()) to get a list.
    One term with O(field=SubjectAltName) returns the list itself."
  - "Types: O(field=days_to_expiry) is an integer and O(field=expired) a boolean inside any expression, for example
    in C(when) or C(assert). On ansible-core before 2.19, a whole value made of one Jinja expression is rendered to text
    unless it is a list, dict or boolean (ansible-core's templating does this to every number, C({{ 1 + 44 }}) included),
    so a C(set_fact) of the lookup alone stores V('45'): compare inside the expression, use C(query) (a list keeps its
    integers), or add C(| int)."
  - "Options from Ansible variables may be templates, such as C(tencentcloud_secret_key: \"{{ vault_secret_key }}\");
    they are templated. Lookup options cannot be hidden with C(no_log): pass secrets through variables or the environment,
    not inline. Error messages never contain O(secret_key) or O(security_token)."
seealso:
  - module: cloudcert.tencent.ssl_certificate_info
  - plugin: cloudcert.tencent.covers
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Expiry date of a certificate (the API's Beijing time) and the names it covers
  ansible.builtin.debug:
    msg:
      - "{{ lookup('cloudcert.tencent.ssl_certificate', 'Juz8JAxn', field='CertEndTime') }}"
      - "{{ lookup('cloudcert.tencent.ssl_certificate', 'Juz8JAxn', field='SubjectAltName') }}"  # a list

- name: Refuse to deploy a certificate that expires within 14 days
  ansible.builtin.assert:
    that:
      - lookup('cloudcert.tencent.ssl_certificate', cert_id, field='days_to_expiry') > 14
      - lookup('cloudcert.tencent.ssl_certificate', cert_id) | cloudcert.tencent.covers(inventory_hostname)
    fail_msg: "certificate {{ cert_id }} is not fit for {{ inventory_hostname }}"

- name: Days left for several certificates at once (query returns a list)
  ansible.builtin.debug:
    msg: "{{ query('cloudcert.tencent.ssl_certificate', 'Juz8JAxn', 'a90XEOtj', field='days_to_expiry') }}"

- name: Renew reminder only when needed
  ansible.builtin.debug:
    msg: "{{ cert_id }} expires on {{ lookup('cloudcert.tencent.ssl_certificate', cert_id, field='not_after') }}"
  when: lookup('cloudcert.tencent.ssl_certificate', cert_id, field='days_to_expiry') < 30

- name: Through a CAM role of the account that owns the certificate (one AssumeRole; cached answers need none)
  ansible.builtin.debug:
    msg: "{{ lookup('cloudcert.tencent.ssl_certificate', cert_id, field='not_after', role_arn='qcs::cam::uin/200000000002:roleName/cert-reader') }}"

# nginx.conf.j2:
#   # {{ lookup('cloudcert.tencent.ssl_certificate', cert_id, field='Domain') }},
#   # valid until {{ lookup('cloudcert.tencent.ssl_certificate', cert_id, field='not_after') }}
#   server_name {{ lookup('cloudcert.tencent.ssl_certificate', cert_id, field='SubjectAltName') | join(' ') }};
#
# haproxy.cfg.j2:
#   # certificate {{ cert_id }} expires in {{ lookup('cloudcert.tencent.ssl_certificate', cert_id, field='days_to_expiry') }} days
#   bind :443 ssl crt /etc/haproxy/certs/{{ lookup('cloudcert.tencent.ssl_certificate', cert_id, field='Domain') }}.pem

- name: Keys from vaulted variables (templated by the lookup), a China-site account, ids that may be gone
  ansible.builtin.debug:
    msg: "{{ query('cloudcert.tencent.ssl_certificate', *wanted_ids, on_missing='warn') | map(attribute='domain') }}"
  vars:
    tencentcloud_secret_id: "{{ vault_tencent_secret_id }}"
    tencentcloud_secret_key: "{{ vault_tencent_secret_key }}"
    tencentcloud_endpoint: ssl.tencentcloudapi.com

- name: Ask the API again, once for the whole play
  ansible.builtin.set_fact:
    fresh: "{{ lookup('cloudcert.tencent.ssl_certificate', cert_id, cache_clear=true) }}"
  run_once: true
"""

RETURN = r"""
_raw:
  description:
    - One element per term, in order; ids that were not found are left out with O(on_missing=warn) or O(on_missing=skip).
    - Without O(field), each element is the certificate record exactly as
      RV(cloudcert.tencent.ssl_certificate_info#module:certificates) describes it (snake_case keys, C(not_before),
      C(not_after), C(days_to_expiry), C(expired), the key password masked).
    - With O(field), each element is the value of that field (any type; V(null) when the API left it empty).
  type: list
  elements: raw
"""

from ansible.plugins.lookup import LookupBase
from ansible_collections.cloudcert.tencent.plugins.plugin_utils._lookup import run_lookup


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        # Options are set (set_options) and read (get_option) by plugin_utils/_lookup.py's LookupOptions.
        return run_lookup(self, terms, variables=variables, direct=kwargs)
