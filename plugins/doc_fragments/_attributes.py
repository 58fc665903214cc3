# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Attributes shared by the collection's read-only modules."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
attributes:
  check_mode:
    description: Can run in C(check_mode) and return the same facts as a normal run.
    support: full
  diff_mode:
    description: Nothing changes, so there is nothing to diff.
    support: none
  action_group:
    description: Use C(group/cloudcert.tencent.tencentcloud) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - cloudcert.tencent.tencentcloud
"""
