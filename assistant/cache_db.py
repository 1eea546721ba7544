"""The local SQLite caches (embeddings, keyword tokens): one file each
outside the repository, shared by processes (WAL) and threads."""
from __future__ import annotations

import sqlite3
from pathlib import Path


def open_cache(path: Path, create_table: str) -> sqlite3.Connection:
    """Open (creating folder, file and table as needed) a cache database."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(create_table)
    return db
