"""Hybrid retrieval: dense search in Chroma plus BM25 over jieba tokens,
fused by reciprocal rank fusion, then narrowed to the best passages.

Each stage is a plain callable so a reranker can be slotted in later:
``Retriever(..., rerank=my_reranker)`` where ``my_reranker(query, hits)``
returns the hits re-ordered.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .documents import Chunk
from .keyword import KeywordIndex
from .protocols import TextEmbedder
from .store import VectorStore


@dataclass
class Filters:
    issuer: str = ""
    doc_type: str = ""
    year_from: int | None = None
    year_to: int | None = None

    def where(self) -> dict | None:
        """The same filter as a Chroma ``where`` clause."""
        clauses: list[dict[str, Any]] = []
        if self.issuer:
            clauses.append({"issuer": self.issuer})
        if self.doc_type:
            clauses.append({"doc_type": self.doc_type})
        if self.year_from:
            clauses.append({"year": {"$gte": int(self.year_from)}})
        if self.year_to:
            clauses.append({"year": {"$lte": int(self.year_to)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def allows(self, chunk: Chunk) -> bool:
        meta = chunk.meta
        year = meta.year or 0
        return (
            (not self.issuer or meta.issuer == self.issuer)
            and (not self.doc_type or meta.doc_type == self.doc_type)
            and (not self.year_from or year >= int(self.year_from))
            and (not self.year_to or year <= int(self.year_to))
        )


@dataclass
class Passage:
    """A retrieved chunk with what each stage thought of it."""

    chunk: Chunk
    score: float = 0.0  # fused score
    dense: float | None = None  # cosine similarity, if found by dense search
    keyword: float | None = None  # BM25 score, if found by keyword search
    ranks: dict[str, int] = field(default_factory=dict)


def rrf(rankings: dict[str, list[tuple[Chunk, float]]], k: int) -> list[Passage]:
    """Reciprocal rank fusion of several ranked lists of (chunk, score)."""
    fused: dict[str, Passage] = {}
    for stage, hits in rankings.items():
        for rank, (chunk, score) in enumerate(hits, start=1):
            passage = fused.setdefault(chunk.id, Passage(chunk))
            passage.score += 1.0 / (k + rank)
            passage.ranks[stage] = rank
            if stage == "dense":
                passage.dense = score
            elif stage == "keyword":
                passage.keyword = score
    return sorted(fused.values(), key=lambda p: -p.score)


_FOLLOW_UP = re.compile(r"^(那|那么|这|这个|该|它|其|此|还有|另外|后续|然后|那个)|呢[？?]?$")


def resolve_follow_up(question: str, history: Sequence[str]) -> str:
    """Make a follow-up question self-contained for retrieval.

    Only the latest earlier question is added, and only when this one reads
    like a follow-up (short, or opening with 那/这个/该…): concatenating many
    turns is known to lower recall.
    """
    if not history:
        return question
    previous = history[-1].strip()
    if previous and (len(question) <= 12 or _FOLLOW_UP.search(question.strip())):
        return f"{previous} {question}"
    return question


class Retriever:
    def __init__(
        self,
        store: VectorStore,
        embedder: TextEmbedder,
        keywords: KeywordIndex,
        pool: int = 20,
        rrf_k: int = 60,
        top: int = 5,
        rerank: Callable[[str, list[Passage]], list[Passage]] | None = None,
    ):
        self.store = store
        self.embedder = embedder
        self.keywords = keywords
        self.pool = pool
        self.rrf_k = rrf_k
        self.top = top
        self.rerank = rerank

    def dense(self, query: str, filters: Filters, vector: Sequence[float] | None = None) -> list[tuple[Chunk, float]]:
        vector = self.embedder.embed_query(query) if vector is None else vector
        return [(h.chunk, h.score) for h in self.store.query(vector, self.pool, filters.where())]

    def keyword(self, query: str, filters: Filters) -> list[tuple[Chunk, float]]:
        return self.keywords.search(query, self.pool, filters.allows)

    def search(
        self, query: str, filters: Filters | None = None, top: int | None = None, vector: Sequence[float] | None = None
    ) -> list[Passage]:
        """The best passages for ``query``; ``vector`` is its embedding when
        the caller already has it (a query is embedded once)."""
        filters = filters or Filters()
        passages = rrf({"dense": self.dense(query, filters, vector), "keyword": self.keyword(query, filters)}, self.rrf_k)
        if self.rerank:
            passages = self.rerank(query, passages)
        return passages[: top or self.top]
