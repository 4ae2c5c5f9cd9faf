"""How resource JSON is kept in the ``body`` column of ``resources`` [changed in 0.3].

A base (a cohort's search index, built once and then only read) stores each body as a zstd frame
compressed with a dictionary trained on the first resources of its data. FHIR JSON repeats the
same keys, systems, codes and reference prefixes in every resource, so a shared dictionary makes a
~1 KB body about 10x smaller, where compressing each body on its own gains about 2x (measured on a
generated cohort; docs/benchmarks.md, issue 19). Decompressing with a prepared dictionary takes a
few microseconds, less than the JSON parse every read does anyway. The dictionary is
kept in the base's ``meta`` table (key :data:`DICTIONARY_KEY`), so a base file is self-contained.

An episode layer stores plain JSON text: its writes are few, short-lived and must stay cheap.
:meth:`Bodies.decode` reads both forms (``bytes`` from a base, ``str`` from a layer); every body
read goes through it.
"""

from __future__ import annotations

import base64
import sqlite3
from typing import Any

import zstandard

from medsim.jsontext import loads, loads_utf8

Json = dict[str, Any]
DICTIONARY_KEY = "body_dictionary"
#: Bodies the dictionary is trained on (the first ones written to a new base).
TRAIN_SAMPLES = 2000
DICTIONARY_BYTES = 32 * 1024
LEVEL = 3  # zstd level: 3 compresses ~1 KB bodies in a few µs; higher levels gain ~1-2 %


class Bodies:
    """Encoder/decoder of one base's bodies. Not thread-safe: one per episode (or per build)."""

    def __init__(self, dictionary: bytes = b"") -> None:
        #: The zstd dictionary (empty: plain zstd, when there were too few bodies to train on).
        self.dictionary = dictionary
        data = zstandard.ZstdCompressionDict(dictionary) if dictionary else None
        self._compressor = zstandard.ZstdCompressor(
            level=LEVEL, dict_data=data, write_checksum=False, write_dict_id=False
        )
        self._decompressor = zstandard.ZstdDecompressor(dict_data=data)

    def encode(self, text: str) -> bytes:
        """The stored form of a resource's JSON text in a base."""
        return self._compressor.compress(text.encode("utf-8"))

    def decode(self, stored: str | bytes) -> Json:
        """The resource of a stored body: compressed ``bytes`` (base) or JSON text (layer),
        parsed by orjson where it gives json's values (:mod:`medsim.jsontext`)."""
        if isinstance(stored, str):
            resource: Json = loads(stored)
        else:
            resource = loads_utf8(self._decompressor.decompress(stored))
        return resource

    def text(self, stored: str | bytes) -> str:
        """The JSON text of a stored body (for tools that read a base file with SQL)."""
        if isinstance(stored, str):
            return stored
        return str(self._decompressor.decompress(stored).decode("utf-8"))

    @classmethod
    def train(cls, texts: list[str]) -> Bodies:
        """A codec whose dictionary is trained on ``texts`` (plain zstd if they are too few)."""
        samples: list[bytes | bytearray | memoryview] = [
            t.encode("utf-8") for t in texts[:TRAIN_SAMPLES]
        ]
        if len(samples) < 100 or sum(len(s) for s in samples) < 4 * DICTIONARY_BYTES:
            return cls()
        try:
            trained = zstandard.train_dictionary(
                DICTIONARY_BYTES, samples, k=1024, d=8, level=LEVEL
            )  # fixed k, d: what the default parameter search picks here, ~4x faster
        except zstandard.ZstdError:  # degenerate samples (e.g. all identical)
            return cls()
        return cls(trained.as_bytes())

    @classmethod
    def stored(cls, conn: sqlite3.Connection, schema: str) -> Bodies | None:
        """The codec recorded in ``schema``'s meta table, or None if it has none yet."""
        row = conn.execute(
            f"SELECT value FROM {schema}.meta WHERE key = ?", (DICTIONARY_KEY,)
        ).fetchone()
        return None if row is None else cls(base64.b64decode(row[0]))

    def store(self, conn: sqlite3.Connection, schema: str) -> None:
        """Record this codec's dictionary in ``schema``'s meta table."""
        conn.execute(
            f"INSERT OR REPLACE INTO {schema}.meta (key, value) VALUES (?, ?)",
            (DICTIONARY_KEY, base64.b64encode(self.dictionary).decode("ascii")),
        )
