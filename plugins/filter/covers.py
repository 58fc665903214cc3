# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: covers
short_description: Whether a certificate covers host names (RFC 6125)
version_added: 0.1.0
author:
  - cloudcert maintainers (@cloudcert)
description:
  - Returns V(true) when the certificate covers every host name in O(hosts), following the matching rules of
    RFC 6125 section 6.4 that browsers apply.
  - The names of a certificate record are its C(subject_alt_name) (or C(SubjectAltName)), or its C(domain)
    (C(Domain)) when it has no SANs. A record whose names are all null covers nothing.
  - Comparison is case-insensitive and ignores one trailing dot. Internationalised names are compared in their
    A-label (punycode) form, so C(bücher.example) and C(xn--bcher-kva.example) are the same name.
    Labels are converted with Python's IDNA 2003 codec; a label it refuses is compared as lower-case text.
  - A wildcard counts only as the whole left-most label and stands for exactly one label;
    C(*.example.com) covers C(a.example.com) but neither C(example.com) nor C(a.b.example.com).
    Partial-label wildcards such as C(f*.example.com), wildcards in other labels, and wildcards directly above a
    single label such as C(*.com) match nothing.
positional: hosts
options:
  _input:
    description:
      - A certificate record as returned by M(cloudcert.tencent.ssl_certificate_info) or the
        P(cloudcert.tencent.ssl_certificate#lookup) lookup (snake_case or the API's CamelCase keys),
        a list of certificate names such as C(SubjectAltName), or a single name.
    type: raw
    required: true
  hosts:
    description:
      - The host name, or a list of host names that must all be covered.
      - An empty list is an error rather than V(true), so that an empty inventory group cannot pass an assertion unnoticed.
    type: raw
    required: true
seealso:
  - module: cloudcert.tencent.ssl_certificate_info
  - plugin: cloudcert.tencent.ssl_certificate
    plugin_type: lookup
  - name: RFC 6125, section 6.4
    description: Matching the DNS domain name portion of a reference identifier.
    link: https://www.rfc-editor.org/rfc/rfc6125#section-6.4
"""

EXAMPLES = r"""
- name: Check that a certificate covers the host before deploying it
  ansible.builtin.assert:
    that:
      - cert | cloudcert.tencent.covers(inventory_hostname)
    fail_msg: "{{ cert.certificate_id }} does not cover {{ inventory_hostname }}"
  vars:
    cert: "{{ lookup('cloudcert.tencent.ssl_certificate', 'Juz8JAxn') }}"

- name: Pick the first certificate that covers every name of a virtual host
  ansible.builtin.set_fact:
    vhost_cert: >-
      {{ certs.certificates
         | select('cloudcert.tencent.covers', ['shop.example.com', 'www.shop.example.com'])
         | first | default(none) }}

- name: A plain list of names works as well
  ansible.builtin.debug:
    msg: "{{ ['*.example.com', 'example.com'] | cloudcert.tencent.covers('API.Example.COM.') }}"  # true
"""

RETURN = r"""
_value:
  description: V(true) when every host is covered by at least one name of the certificate.
  type: bool
"""

from ansible_collections.cloudcert.tencent.plugins.plugin_utils._names import covers_in_template


class FilterModule:
    def filters(self) -> dict:
        return {"covers": covers_in_template}
