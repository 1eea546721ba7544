"""A persistent cache of document embeddings keyed by (model, dtype, text).

Embedding is by far the slowest step on a CPU (about a second a chunk for a
300M model on two cores), so no unchanged chunk is embedded twice: not on
re-ingestion, not after --rebuild, not in another index of the same files.
SQLite keeps it to one file beside the model cache.
"""
from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import numpy as np

from .cache_db import open_cache


def cache_key(model: str, text: str) -> str:
    return hashlib.sha256(f"{model}\0{text}".encode()).hexdigest()


class EmbeddingCache:
    def __init__(self, path: Path):
        self._db = open_cache(path, "CREATE TABLE IF NOT EXISTS emb (key TEXT PRIMARY KEY, dim INTEGER, vec BLOB)")
        self._lock = threading.Lock()

    def get_many(self, keys: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                marks = ",".join("?" * len(part))
                for key, dim, blob in self._db.execute(f"SELECT key, dim, vec FROM emb WHERE key IN ({marks})", part):
                    found[key] = np.frombuffer(blob, dtype=np.float32, count=dim)
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        rows = [(k, int(v.shape[0]), np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()]
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO emb VALUES (?, ?, ?)", rows)


def embed_with_cache(embedder, cache: EmbeddingCache | None, texts: list[str], encode) -> tuple[np.ndarray, int]:
    """Vectors for ``texts`` (in order) and how many had to be computed.
    ``encode`` embeds a list of texts that missed the cache."""
    if cache is None:
        return np.asarray(encode(texts), dtype=np.float32), len(texts)
    tag = getattr(embedder, "cache_tag", embedder.model_name)
    keys = [cache_key(tag, t) for t in texts]
    found = cache.get_many(list(dict.fromkeys(keys)))
    missing = list(dict.fromkeys(k for k in keys if k not in found))
    if missing:
        first_text = {k: t for k, t in zip(keys, texts)}
        computed = np.asarray(encode([first_text[k] for k in missing]), dtype=np.float32)
        fresh = dict(zip(missing, computed))
        cache.put_many(fresh)
        found.update(fresh)
    return np.stack([found[k] for k in keys]), len(missing)
