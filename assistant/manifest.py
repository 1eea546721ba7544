"""The manifest: which documents the index holds, by content hash.

It lives beside the index as JSON and is rewritten atomically (temp file +
rename), so a crash leaves either the old or the new manifest. An entry is
marked ``pending`` before its chunks are touched and ``ok`` after, so an
interrupted document is redone on the next run instead of being trusted.
``set`` and ``remove`` only change memory; the caller saves once per batch
of documents (saving per document made ingesting n files O(n²)).

A file whose bytes equal an indexed file's is stored once: its entry has
``same_as`` (the indexed file's name) and no chunks of its own.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Entry:
    source: str
    sha256: str
    chunks: int = 0
    status: str = "pending"  # pending | ok
    title: str = ""
    issuer: str = ""
    date: str = ""
    doc_type: str = ""
    completeness: str = ""
    doc_number: str = ""  # filled in, with validity, by meta_edits.apply_edits
    validity: str = ""
    ingested_at: float = 0.0
    same_as: str = ""  # the file whose chunks serve this identical one

    @property
    def stored(self) -> bool:
        """Its own chunks are in the index."""
        return self.status == "ok" and not self.same_as


@dataclass
class Manifest:
    path: Path
    embedding_model: str = ""
    entries: dict[str, Entry] = field(default_factory=dict)
    # Files the last ingestion could not read, with the Chinese reason (shown to agents).
    failed: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Manifest:
        path = Path(path)
        if not path.exists():
            return cls(path)
        data = json.loads(path.read_text("utf-8"))
        entries = {s: Entry(**e) for s, e in data.get("documents", {}).items()}
        return cls(path, data.get("embedding_model", ""), entries, dict(data.get("failed", {})))

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        data = {
            "embedding_model": self.embedding_model,
            "documents": {s: asdict(e) for s, e in sorted(self.entries.items())},
            "failed": dict(sorted(self.failed.items())),
        }
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def is_current(self, source: str, sha256: str) -> bool:
        """The file's own chunks are in the index and up to date."""
        entry = self.entries.get(source)
        return entry is not None and entry.stored and entry.sha256 == sha256

    def stored_chunks(self) -> int:
        return sum(e.chunks for e in self.entries.values() if e.stored)

    def set(self, entry: Entry) -> None:
        self.entries[entry.source] = entry

    def remove(self, source: str) -> None:
        self.entries.pop(source, None)
