"""Write ansible-test's offline get-pip stand-ins (run with the Python of a venv that holds ansible-core).

ansible-test bootstraps pip into every venv it creates with get-pip-X.Y.py downloaded from a host that is unreachable
here, and looks in ~/.ansible/test/cache/ first. The stand-in written there runs ensurepip and then lets pip install
the requested pip (and friends) from PyPI. Each ansible-core bootstraps its own pip version (2.16: 23.1.2, 2.21: 25.2),
so the ansible-test of this interpreter says which ones.
"""

from __future__ import annotations

import os
import tempfile
from types import SimpleNamespace

from ansible_test._internal.python_requirements import get_venv_packages
from ansible_test._util.target.common.constants import CONTROLLER_PYTHON_VERSIONS, REMOTE_ONLY_PYTHON_VERSIONS

STANDIN = """# Offline stand-in for get-pip.py, written by cloudcert.tencent's .ci/harness/getpip.py.
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet"] + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
sys.stderr.write("".join(line for line in proc.stdout.splitlines(True) if "is ignored" not in line))
sys.exit(proc.returncode)
"""


def main() -> None:
    cache = os.path.expanduser("~/.ansible/test/cache")
    os.makedirs(cache, exist_ok=True)
    versions = {get_venv_packages(SimpleNamespace(version=v))["pip"] for v in REMOTE_ONLY_PYTHON_VERSIONS + CONTROLLER_PYTHON_VERSIONS}
    for version in sorted(versions):
        path = os.path.join(cache, "get_pip_%s.py" % version.replace(".", "_"))
        # written whole and renamed into place: two sessions may write the same file at once
        handle, temporary = tempfile.mkstemp(dir=cache)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(STANDIN)
        os.replace(temporary, path)
        print("get-pip stand-in for pip %s: %s" % (version, path))


if __name__ == "__main__":
    main()
