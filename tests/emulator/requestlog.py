"""In-memory (and optional JSONL file) log of API requests; it never holds keys, tokens or signatures."""

from __future__ import annotations

import json
import threading


class RequestLog:
    """Thread-safe list of request records, mirrored line by line to ``path`` when given."""

    def __init__(self, path: str | None = None) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict] = []
        self._path = path

    def append(self, entry: dict) -> None:
        """Add one record; the file is appended and flushed under the lock so lines never interleave."""
        with self._lock:
            self._entries.append(entry)
            if self._path:
                with open(self._path, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
                    handle.flush()

    def entries(self) -> list[dict]:
        """A copy of the records so far."""
        with self._lock:
            return [dict(entry) for entry in self._entries]

    def count(self, action: str | None = None, outcome: str | None = None) -> int:
        """Number of records matching the optional action and outcome."""
        with self._lock:
            return sum(
                1 for entry in self._entries if (action is None or entry.get("action") == action) and (outcome is None or entry.get("outcome") == outcome)
            )

    def clear(self) -> None:
        """Forget the in-memory records (the file, an audit trail, is kept)."""
        with self._lock:
            self._entries.clear()
