# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the unit tests need to run on every supported ansible-core (2.16 to the newest)."""

from __future__ import annotations

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core < 2.19 has no trust tags: every string in variables is a template

    def trust_as_template(value):
        return value


__all__ = ["trust_as_template"]
