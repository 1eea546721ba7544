"""Served first: a chat question close enough to a verified one gets the
verified answer, before (and instead of) a composed one.

Before each question the store is brought in step with the index: when the
manifest changed since the last look, answers citing a changed or deleted
document are withdrawn (verification.keep_in_step); when the store changed
(any process), its answers are reloaded. A match (similar.py, threshold
``Settings.verified_threshold``) is then served only if each citation still
stands: the document's hash in the manifest is the one verified, and the
quote is, verbatim, in the index's current chunks. The served citations
are ``Citation`` objects quoting those chunks, so sources show as usual;
the passages retrieval finds for the question come along as ``related``.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .config import Settings
from .documents import Answer, Chunk, Citation
from .embedding_cache import EmbeddingCache
from .keyword import KeywordIndex
from .manifest import Manifest
from .protocols import TextEmbedder
from .question import QuestionError, clean_question
from .retrieval import Filters, Passage
from .similar import Matcher
from .store import VectorStore
from .verification import keep_in_step, open_book
from .verified import DOCUMENT, Item, Quote

Retrieve = Callable[[str, Sequence[str], "Filters | None"], list[Passage]]


class ServedFirst:
    def __init__(self, settings: Settings, embedder: TextEmbedder, keywords: KeywordIndex, store: VectorStore):
        self.settings, self.embedder, self.keywords, self.store = settings, embedder, keywords, store
        self.book = open_book(settings)
        self._cache = _embedding_cache(settings)
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._manifest_key: tuple | None = None
        self._manifest = Manifest(settings.manifest_path)
        self._generation = -1
        self._state: tuple[list[Item], Matcher] = ([], self._matcher([]))

    def answer(self, question: str, history: Sequence[str], filters: Filters | None, retrieve: Retrieve) -> Answer | None:
        """The verified answer for ``question``, or None (then the usual
        pipeline answers). ``retrieve`` is the assistant's retrieval."""
        try:
            question = clean_question(question, self.settings.max_question_chars)
        except QuestionError:
            return None
        items, matcher = self._fresh()
        if not items:
            return None
        passages = None if self.keywords.chunks else retrieve(question, history, filters)  # loads the keyword index
        match = matcher.best(question, self.settings.verified_threshold)
        if match is None:
            return None
        item = items[match.entry]
        citations = self._citations(item)
        if citations is None or not _allowed(citations, item, filters):
            return None
        if passages is None:
            passages = retrieve(question, history, filters)
        return Answer(
            question=question, text=item.answer, citations=[c for c, _ in citations], mode="verified",
            verified=_mark(item), related=[_related(i + 1, p) for i, p in enumerate(passages)],
        )

    # --- keeping up with the index and the store -------------------------------------

    def _fresh(self) -> tuple[list[Item], Matcher]:
        with self._lock:
            key = _stat(self.settings.manifest_path)
            if key != self._manifest_key:
                keep_in_step(self.settings, self.book)
                self._manifest = Manifest.load(self.settings.manifest_path)
                self._manifest_key = key
            generation = self.book.generation()
            if generation != self._generation:
                items = self.book.servable()
                self._state = (items, self._matcher(items))
                self._generation = generation
            return self._state

    def _matcher(self, items: list[Item]) -> Matcher:
        matcher = Matcher(self.embedder, self.keywords, self._cache, self._vectors)
        if items:
            matcher.set_entries([item.phrasings for item in items])
        return matcher

    # --- citations ---------------------------------------------------------------------

    def _citations(self, item: Item) -> list[tuple[Citation, Chunk]] | None:
        """Each quote as Citations of the current chunks (a quote across two
        chunks becomes two); None, and the answer withdrawn, if a quote no
        longer stands."""
        out: list[tuple[Citation, Chunk]] = []
        for quote in item.citations:
            entry = self._manifest.entries.get(quote.source)
            if entry is None or entry.status != "ok" or entry.sha256 != quote.sha256:
                self._withdraw(item, f"所引文件“{quote.source}”已更新或已删除")
                return None
            pieces = _pieces(quote, self.store.chunks({"source": entry.same_as or quote.source}))
            if pieces is None:
                self._withdraw(item, f"所引原文已不在“{quote.source}”的索引内容中")
                return None
            out += [(_citation(len(out) + i + 1, chunk, start, end), chunk) for i, (chunk, start, end) in enumerate(pieces)]
        return out

    def _withdraw(self, item: Item, reason: str) -> None:
        if item.origin != DOCUMENT:  # generated ones are rebuilt with their document instead
            self.book.withdraw({item.id: reason})


def _pieces(quote: Quote, chunks: list[Chunk]) -> list[tuple[Chunk, int, int]] | None:
    """The parts of the quote's span in each chunk it overlaps, as
    (chunk, start, end) in document offsets, whitespace at the edges left
    out; None unless they spell the quote (whitespace aside)."""
    pieces = []
    for chunk in sorted(chunks, key=lambda c: c.start):
        start, end = max(quote.start, chunk.start), min(quote.end, chunk.end)
        if start >= end:
            continue
        text = chunk.text[start - chunk.start : end - chunk.start]
        lead, trail = len(text) - len(text.lstrip()), len(text) - len(text.rstrip())
        if text.strip():
            pieces.append((chunk, start + lead, end - trail))
    spelt = "".join(c.text[s - c.start : e - c.start] for c, s, e in pieces)
    return pieces if pieces and "".join(spelt.split()) == "".join(quote.quote.split()) else None


def _citation(n: int, chunk: Chunk, start: int, end: int) -> Citation:
    return Citation(
        n=n, chunk_id=chunk.id, source=chunk.source, title=chunk.meta.title, issuer=chunk.meta.issuer,
        date=chunk.meta.date, section=chunk.section, quote=chunk.text[start - chunk.start : end - chunk.start],
        score=1.0, page=chunk.page, is_excerpt=chunk.meta.is_excerpt, chunk_start=chunk.start, quote_start=start,
    )


def _related(n: int, passage: Passage) -> Citation:
    chunk = passage.chunk
    citation = _citation(n, chunk, chunk.start, chunk.end)
    citation.score = round(passage.score, 4)
    return citation


def _allowed(citations: list[tuple[Citation, Chunk]], item: Item, filters: Filters | None) -> bool:
    """With filters set, only an answer whose every source passes them."""
    if filters is None or filters.where() is None:
        return True
    return bool(citations) and all(filters.allows(chunk) for _, chunk in citations)


def _mark(item: Item) -> dict:
    return {
        "id": item.id, "by": item.verified_by, "at": item.verified_at, "origin": item.origin,
        "no_basis": item.no_basis, "contact": item.contact,
    }


def _stat(path: Path) -> tuple | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _embedding_cache(settings: Settings) -> EmbeddingCache | None:
    try:
        return EmbeddingCache(settings.embedding_cache)
    except Exception:  # a damaged or unwritable cache must not stop answers
        return None
