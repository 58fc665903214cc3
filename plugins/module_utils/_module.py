# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""The only file that knows AnsibleModule: shared options in, errors out as fail_json."""

from __future__ import annotations

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.cloudcert.tencent.plugins.module_utils._client import HAS_REQUESTS, REQUESTS_IMPORT_ERROR
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import TencentCloudError, describe_failure
from ansible_collections.cloudcert.tencent.plugins.module_utils._options import OPTION_NAMES, build_client, connection_argument_spec


class CloudcertModule:
    """An AnsibleModule with the shared connection options and the collection's error handling."""

    def __init__(self, *, argument_spec: dict, **kwargs) -> None:
        spec = connection_argument_spec()
        spec.update(argument_spec)
        self.module = AnsibleModule(argument_spec=spec, **kwargs)
        self._client = None
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)

    @property
    def params(self) -> dict:
        return self.module.params

    def warn(self, text: str) -> None:
        self.module.warn(text)

    def client(self):
        options = {name: self.module.params.get(name) for name in OPTION_NAMES}
        # Diagnostics such as "the machine-wide rate limit state is unusable, pacing alone" are for -vvv only.
        note = self.module.warn if getattr(self.module, "_verbosity", 0) >= 3 else None
        self._client = build_client(options, warn=self.module.warn, note=note)
        return self._client

    @property
    def credential_source(self) -> str | None:
        """Where the keys came from (read late: a CVM role names itself once fetched)."""
        return self._client.credentials.source if self._client is not None else None

    def run(self, body) -> None:
        """Call ``body()`` and exit with its result (``changed: false``) or a clean failure."""
        try:
            result = body()
        except TencentCloudError as error:
            self.module.fail_json(msg=describe_failure(error), credential_source=self.credential_source, **error.result_fields())
        except Exception as error:  # noqa: BLE001 - a bug must still fail with a sentence, not a bare traceback
            self.module.fail_json(
                msg="cloudcert.tencent internal error (%s: %s); please report it with the output of -vvv" % (type(error).__name__, error),
                exception=traceback.format_exc(),
            )
        self.module.exit_json(changed=False, credential_source=self.credential_source, **result)
