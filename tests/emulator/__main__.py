"""Run the emulator: ``python -m tests.emulator --help`` from the collection root."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
