# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: covers
short_description: Test whether a certificate covers host names (RFC 6125)
version_added: 0.1.0
author:
  - cloudcert maintainers (@cloudcert)
description:
  - The test form of the P(cloudcert.tencent.covers#filter) filter, with the same rules, for the C(select) and
    C(reject) filters and the C(is) operator.
  - See the filter for the matching rules (exact or one-label left-most wildcard, case-insensitive,
    trailing dot ignored, IDNs compared as A-labels; every host of a list must be covered).
positional: hosts
options:
  _input:
    description: A certificate record, a list of certificate names, or a single name.
    type: raw
    required: true
  hosts:
    description: The host name, or a non-empty list of host names that must all be covered.
    type: raw
    required: true
seealso:
  - plugin: cloudcert.tencent.covers
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Pick the certificates that cover this host
  ansible.builtin.set_fact:
    usable: "{{ certs.certificates | select('cloudcert.tencent.covers', inventory_hostname) | list }}"

- name: Assert with the test syntax
  ansible.builtin.assert:
    that: cert is cloudcert.tencent.covers(['example.com', 'www.example.com'])
"""

RETURN = r"""
_value:
  description: V(true) when every host is covered by at least one name of the certificate.
  type: bool
"""

from ansible_collections.cloudcert.tencent.plugins.plugin_utils._names import covers_in_template


class TestModule:
    def tests(self) -> dict:
        return {"covers": covers_in_template}
