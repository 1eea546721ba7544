"""The Chroma vector store: an embedded PersistentClient under the index
folder, or an HttpClient when a server host is configured.

The collection records the embedding model and dimension that built it;
opening it with another model is an error instead of silent garbage.
Embeddings are always passed in: Chroma's own default embedding function
would try to download a model.

HNSW parameters come from ``Settings`` and are set when the collection is
created: an existing index keeps the ones it was built with until
``--rebuild``. Measured figures are in the README (Performance and scale).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import Settings
from .documents import Chunk
from .errors import ReasonError


class IndexMismatchError(ReasonError):
    """The index was built with another embedding model or dimension."""


@dataclass
class Hit:
    chunk: Chunk
    score: float  # cosine similarity, higher is better


def open_client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    Path(settings.index_dir).mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(Path(settings.index_dir) / "chroma"), settings=chroma_settings)


class VectorStore:
    def __init__(self, settings: Settings, client=None):
        self.settings = settings
        self.client = client or open_client(settings)
        self.collection = self._open_collection()

    def _open_collection(self) -> Any:
        collection = self.client.get_or_create_collection(
            name=self.settings.collection,
            metadata={"embedding_model": self.settings.embedding_model, **self.settings.hnsw},
            embedding_function=None,
        )
        self._check_model(collection)
        return collection

    def _check_model(self, collection: Any) -> None:
        recorded = (collection.metadata or {}).get("embedding_model")
        if recorded and recorded != self.settings.embedding_model:
            raise IndexMismatchError(
                f"索引由嵌入模型「{recorded}」构建，当前配置为「{self.settings.embedding_model}」。"
                "请使用 --rebuild 重建索引，或改回原模型。"
            )

    @property
    def dimension(self) -> int | None:
        dim = (self.collection.metadata or {}).get("embedding_dim")
        return int(dim) if dim else None

    def check_dimension(self, dim: int) -> None:
        """Record the dimension on first write; refuse a different one later."""
        recorded = self.dimension
        if recorded is None:
            meta = dict(self.collection.metadata or {})
            meta.pop("hnsw:space", None)  # immutable after creation
            meta["embedding_dim"] = dim
            self.collection.modify(metadata=meta)
        elif recorded != dim:
            raise IndexMismatchError(
                f"索引向量维度为 {recorded}，当前模型输出 {dim} 维。请使用 --rebuild 重建索引。"
            )

    def count(self) -> int:
        return self.collection.count()

    def add(self, chunks: list[Chunk], embeddings) -> None:
        if not chunks:
            return
        self.check_dimension(len(embeddings[0]))
        step = self.client.get_max_batch_size()
        for i in range(0, len(chunks), step):
            batch = chunks[i : i + step]
            self.collection.upsert(
                ids=[c.id for c in batch],
                documents=[c.text for c in batch],
                metadatas=[c.to_metadata() for c in batch],
                embeddings=[list(map(float, e)) for e in embeddings[i : i + step]],
            )

    def delete_sources(self, sources: list[str]) -> None:
        """Delete the chunks of many documents in a few calls."""
        for i in range(0, len(sources), 500):
            self.collection.delete(where={"source": {"$in": sources[i : i + 500]}})

    def chunks(self, where: dict | None = None, text: bool = True) -> list[Chunk]:
        """All chunks (matching ``where``); with ``text=False`` their metadata
        only (text left empty)."""
        if not text:
            return [Chunk.from_metadata(i, "", m) for got in self._pages(where, ["metadatas"])
                    for i, m in zip(got["ids"], got["metadatas"])]
        return [
            Chunk.from_metadata(i, d, m)
            for got in self._pages(where, ["documents", "metadatas"])
            for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])
        ]

    def update_metadata(self, chunks: list[Chunk]) -> None:
        """Rewrite the chunks' metadata in place, in the given order; their
        text and vectors stay as they are (nothing is embedded)."""
        step = self.client.get_max_batch_size()
        for i in range(0, len(chunks), step):
            batch = chunks[i : i + step]
            self.collection.update(ids=[c.id for c in batch], metadatas=[c.to_metadata() for c in batch])

    def source_counts(self) -> Counter:
        """How many chunks each source has in the index."""
        return Counter(m["source"] for got in self._pages(None, ["metadatas"]) for m in got["metadatas"])

    def _pages(self, where: dict | None, include: list[str], page: int = 5000):
        """``get`` in pages: one unpaged get of 50k chunks fails in Chroma
        (too many SQL variables)."""
        offset = 0
        while True:
            got = self.collection.get(where=where, include=include, limit=page, offset=offset)
            yield got
            offset += len(got["ids"])
            if len(got["ids"]) < page:
                return

    def query(self, embedding, k: int, where: dict | None = None) -> list[Hit]:
        total = self.count()
        if total == 0:
            return []
        res = self.collection.query(
            query_embeddings=[list(map(float, embedding))],
            n_results=min(k, total),
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        return [
            Hit(Chunk.from_metadata(i, d, m), 1.0 - float(dist))
            for i, d, m, dist in zip(res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0])
        ]

    def reset(self) -> None:
        """Drop the collection (for --rebuild) and create it afresh."""
        self.client.delete_collection(self.settings.collection)
        self.collection = self._open_collection()
