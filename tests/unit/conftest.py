"""Make ``pytest tests/unit`` work from a laid-out ``ansible_collections/cloudcert/tencent`` directory.

ansible-test units provides the collection import path itself (its ``ansible_pytest_collections``
plugin); under it, ``ansible.plugins`` must not be imported by module tests, so nothing is done then.
Under plain pytest, the parent of ``ansible_collections/`` is put on ``sys.path`` (enough for modules and
module_utils) and the plugin loader is initialised with it (needed by ``lookup_loader.get()`` etc.).
"""

import os
import sys
import tempfile

# The machine-wide rate limit state of the tests' clients goes to a private directory of this run,
# not into the user's ~/.cache or runtime directory.
os.environ.setdefault("CLOUDCERT_TENCENT_RATELIMIT_DIR", tempfile.mkdtemp(prefix="cloudcert-ratelimit-"))

if "ansible_pytest_collections" not in os.environ.get("PYTEST_PLUGINS", ""):
    # abspath, not realpath: the layout may be reached through a symlink to ansible_collections.
    _COLLECTIONS_PARENT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", ".."))
    if os.path.isdir(os.path.join(_COLLECTIONS_PARENT, "ansible_collections")):
        if _COLLECTIONS_PARENT not in sys.path:
            sys.path.insert(0, _COLLECTIONS_PARENT)
        from ansible.plugins.loader import init_plugin_loader

        init_plugin_loader([_COLLECTIONS_PARENT])
