"""Make ``pytest tests/unit`` work from a laid-out ``ansible_collections/cloudcert/tencent`` directory.

ansible-test units provides the collection import path itself (its ``ansible_pytest_collections``
plugin); under it, ``ansible.plugins`` must not be imported by module tests, so nothing is done then.
Under plain pytest, the parent of ``ansible_collections/`` is put on ``sys.path`` (enough for modules and
module_utils) and the plugin loader is initialised with it (needed by ``lookup_loader.get()`` etc.).
"""

import atexit
import os
import shutil
import sys
import tempfile

# ansible-test runs the tests without the caller's TMPDIR, so temporary files (pytest's tmp_path, the emulators' and
# clients' files, subprocesses) go to tests/output/.tmp beside ansible-test's own instead of the machine's /tmp.
if not os.environ.get("TMPDIR"):
    os.environ["TMPDIR"] = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "output", ".tmp")
    os.makedirs(os.environ["TMPDIR"], exist_ok=True)
    tempfile.tempdir = None  # gettempdir() looks again

# The machine-wide rate limit state of the tests' clients goes to a private directory of this process,
# not into the user's ~/.cache or runtime directory, and goes away with it.
if "CLOUDCERT_TENCENT_RATELIMIT_DIR" not in os.environ:
    os.environ["CLOUDCERT_TENCENT_RATELIMIT_DIR"] = tempfile.mkdtemp(prefix="cloudcert-ratelimit-")
    atexit.register(shutil.rmtree, os.environ["CLOUDCERT_TENCENT_RATELIMIT_DIR"], True)

if "ansible_pytest_collections" not in os.environ.get("PYTEST_PLUGINS", ""):
    # abspath, not realpath: the layout may be reached through a symlink to ansible_collections.
    _COLLECTIONS_PARENT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", ".."))
    if os.path.isdir(os.path.join(_COLLECTIONS_PARENT, "ansible_collections")):
        if _COLLECTIONS_PARENT not in sys.path:
            sys.path.insert(0, _COLLECTIONS_PARENT)
        from ansible.plugins.loader import init_plugin_loader

        init_plugin_loader([_COLLECTIONS_PARENT])
