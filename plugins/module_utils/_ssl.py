# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""The SSL Certificate service (``ssl``, API 3.0 version 2019-12-05): every fact the core needs about it, in one table.

A new action joins ``ACTIONS`` here; the generic client (``_api.py``) and the error advice read it, nothing else
needs to know the action's CAM permission or whether its answers carry secrets. Standard library only.
"""

from __future__ import annotations

from collections import namedtuple

from ansible_collections.cloudcert.tencent.plugins.module_utils._material import strip_private_keys

# One API 3.0 service: its signing name, version, default endpoint, actions, and what every decoded answer passes
# through first (response_filter(data) -> data, or None).
Service = namedtuple("Service", "name version default_endpoint actions response_filter")
# paged: the answer is one page of a listing (Offset/Limit, TotalCount). secret_bearing: the answer may hold secrets
# (private keys, temporary keys), so no byte of an unusable answer is ever quoted. rate: the action's documented
# requests per second when it is not the ``rate_limit`` option's (10). signed: False for an action that is sent with
# ``Authorization: SKIP`` and no token (STS's AssumeRoleWithWebIdentity).
Action = namedtuple("Action", "permission paged secret_bearing rate signed", defaults=(None, True))

DESCRIBE = "DescribeCertificate"
LIST = "DescribeCertificates"
DETAIL = "DescribeCertificateDetail"

# Where certificates are deployed: an asynchronous scan (a task per certificate), its counts, its instances.
BIND_CREATE = "CreateCertificateBindResourceSyncTask"
BIND_RESULT = "DescribeCertificateBindResourceTaskResult"
BIND_DETAIL = "DescribeCertificateBindResourceTaskDetail"

ACTIONS = {
    DESCRIBE: Action(permission="ssl:DescribeCertificate", paged=False, secret_bearing=False),
    LIST: Action(permission="ssl:DescribeCertificates", paged=True, secret_bearing=False),
    DETAIL: Action(permission="ssl:DescribeCertificateDetail", paged=False, secret_bearing=True),
    BIND_CREATE: Action(permission="ssl:CreateCertificateBindResourceSyncTask", paged=False, secret_bearing=False),
    BIND_RESULT: Action(permission="ssl:DescribeCertificateBindResourceTaskResult", paged=False, secret_bearing=False),
    BIND_DETAIL: Action(permission="ssl:DescribeCertificateBindResourceTaskDetail", paged=True, secret_bearing=False),
}

# Private keys (DescribeCertificateDetail) are dropped on arrival, before errors, normalising, caches or warnings see them.
SSL = Service(name="ssl", version="2019-12-05", default_endpoint="ssl.intl.tencentcloudapi.com", actions=ACTIONS, response_filter=strip_private_keys)
DEFAULT_ENDPOINT = SSL.default_endpoint
LANGUAGES = ("en-US", "zh-CN")
