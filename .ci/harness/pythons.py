"""Real interpreters for every Python that ansible-test or nox may ask for by name (pythonX.Y).

pyenv's shims on PATH fail ("pyenv: python3.12: command not found") unless that version is the active one, and
ansible-test drops PYENV_VERSION from its children, so a directory of pythonX.Y links to the real binaries goes
first on PATH. The links point at resolved paths (never at other links that may go away), and the directory is
rebuilt on every run, so a removed or upgraded interpreter never leaves a dangling link behind.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess

VERSIONS = ("3.9", "3.10", "3.11", "3.12", "3.13", "3.14")


def pyenv_root() -> str:
    return os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")


def _version_key(path: str) -> list[int]:
    version = path.split(os.sep + "versions" + os.sep, 1)[-1].split(os.sep, 1)[0]
    return [int(part) if part.isdigit() else -1 for part in version.split(".")]


def find_python(version: str) -> str | None:
    """The resolved path of a working pythonVERSION, newest pyenv patch release first, or None."""
    candidates = sorted(glob.glob(os.path.join(pyenv_root(), "versions", version + ".*", "bin", "python" + version)), key=_version_key, reverse=True)
    candidates += [shutil.which("python" + version) or "", "/usr/local/bin/python" + version, "/usr/bin/python" + version]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            real = os.path.realpath(candidate)
            if subprocess.run([real, "-c", "import sys"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False).returncode == 0:
                return real
    return None


def make_pybin(directory: str) -> str:
    """Fill DIRECTORY with pythonX.Y links for every installed version, and return it."""
    os.makedirs(directory, exist_ok=True)
    for version in VERSIONS:
        link = os.path.join(directory, "python" + version)
        if os.path.lexists(link):
            os.unlink(link)
        real = find_python(version)
        if real:
            os.symlink(real, link)
    return directory
