# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""describe_failure: one actionable sentence per failure."""

from __future__ import annotations

import pytest
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import ApiError, describe_failure


@pytest.mark.parametrize("code", ["AuthFailure.UnauthorizedOperation", "UnauthorizedOperation", "UnauthorizedOperation.NoPermission"])
@pytest.mark.parametrize("action", ["DescribeCertificate", "DescribeCertificates", "DescribeCertificateDetail"])
def test_cam_advice_names_the_denied_action(code, action):
    message = describe_failure(ApiError(code, "not authorized", "req-1", action=action))
    assert "grant ssl:%s to the key's user or role" % action in message
    assert message.count("ssl:") == 1  # no advice to grant what was not denied


def test_cam_advice_without_an_action_names_the_read_permissions():
    message = describe_failure(ApiError("UnauthorizedOperation", "not authorized", "req-1"))
    assert "grant ssl:DescribeCertificate and ssl:DescribeCertificates" in message
