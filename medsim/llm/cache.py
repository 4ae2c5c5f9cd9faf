"""Request hashing and an on-disk key-value cache (SQLite) for model replies and judge decisions.

Keys are SHA-256 hashes of a canonical JSON form of what determines the answer (model, messages,
tools, options), so the same request always finds the same entry and any change misses.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any


def canonical_json(value: Any) -> str:
    """Stable JSON: sorted keys, no whitespace, non-JSON values rendered with str()."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def hash_key(*parts: Any) -> str:
    """SHA-256 hex digest of the canonical JSON of `parts`."""
    return hashlib.sha256(canonical_json(list(parts)).encode("utf-8")).hexdigest()


def request_key(
    model: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, opts: dict
) -> str:
    """The cache / replay key of one chat request."""
    return hash_key("chat", model, messages, tools or [], opts)


class KVCache:
    """A small persistent JSON key-value store in one SQLite file (":memory:" for tests).

    Safe to share between threads of one process; several processes may share a file (SQLite
    locks it), the last writer of a key wins.
    """

    def __init__(self, path: str | Path = ":memory:", namespace: str = "default") -> None:
        self.path = str(path)
        self.namespace = namespace
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        with self._lock, self._db:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS kv (ns TEXT, key TEXT, value TEXT, PRIMARY KEY(ns, key))"
            )

    def get(self, key: str) -> Any | None:
        """The stored value, or None on a miss."""
        with self._lock:
            row = self._db.execute(
                "SELECT value FROM kv WHERE ns = ? AND key = ?", (self.namespace, key)
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def set(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable value under `key`."""
        text = json.dumps(value, ensure_ascii=False)
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO kv (ns, key, value) VALUES (?, ?, ?)",
                (self.namespace, key, text),
            )

    def __len__(self) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*) FROM kv WHERE ns = ?", (self.namespace,)
            ).fetchone()
        return int(row[0])

    def close(self) -> None:
        """Close the database file."""
        with self._lock:
            self._db.close()
