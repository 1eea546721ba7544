"""The systems an evaluation runs, behind one interface: each turns a
question into an ``Outcome`` (answer, ranked source files of its top
passages, which citations quote their chunk verbatim, latency), so every
metric is computed the same way for every system."""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from assistant.documents import Answer, Citation

TOP_K = 5


@dataclass
class Outcome:
    """What one system did with one question."""

    answer: Answer
    sources: list[str]  # source files of the top passages, in rank order
    citations_valid: list[bool]  # one per answer.citations
    latency_ms: float


class System(Protocol):
    def run(self, question: str) -> Outcome: ...


def check_citations(citations: Sequence[Citation], fetch: Callable[[list[str]], dict[str, str]]) -> list[bool]:
    """For each citation: is its quote a non-empty verbatim substring of the
    stored text of its chunk? ``fetch`` maps chunk ids to stored texts."""
    ids = list(dict.fromkeys(c.chunk_id for c in citations))
    texts = fetch(ids) if ids else {}
    return [bool(c.quote) and c.quote in texts.get(c.chunk_id, "") for c in citations]


def stored_texts(collection: Any, ids: list[str]) -> dict[str, str]:
    """Chunk texts by id from a Chroma collection (or LangChain Chroma)."""
    got = collection.get(ids=ids, include=["documents"])
    return dict(zip(got["ids"], got["documents"]))


class OurSystem:
    """The assistant: ``ask`` is timed; ranks come from ``retrieve(top=5)``."""

    def __init__(self, assistant: Any):
        self.assistant = assistant

    def warm_up(self) -> None:
        """Load the model and keyword index before anything is timed."""
        self.assistant.warm_up()

    def run(self, question: str) -> Outcome:
        started = time.perf_counter()
        answer = self.assistant.ask(question)
        latency = (time.perf_counter() - started) * 1000
        passages = self.assistant.retrieve(question, top=TOP_K)
        valid = check_citations(answer.citations, lambda ids: stored_texts(self.assistant.store.collection, ids))
        return Outcome(answer, [p.chunk.source for p in passages], valid, latency)


class NaiveBaseline:
    """The naive pipeline (see baseline.py): the answer is the top chunk's
    text, never a refusal; its one citation is that chunk, quoted whole."""

    def __init__(self, store: Any):
        self.store = store

    def warm_up(self) -> None:
        self.store.similarity_search_with_relevance_scores("预热", k=1)

    def run(self, question: str) -> Outcome:
        started = time.perf_counter()
        hits = self.store.similarity_search_with_relevance_scores(question, k=TOP_K)
        answer = self.answer(question, hits)
        latency = (time.perf_counter() - started) * 1000
        valid = check_citations(answer.citations, lambda ids: stored_texts(self.store, ids))
        return Outcome(answer, [doc.metadata["source"] for doc, _ in hits], valid, latency)

    @staticmethod
    def answer(question: str, hits: list) -> Answer:
        if not hits:
            return Answer(question=question, text="", mode="baseline")
        doc, score = hits[0]
        source = doc.metadata["source"]
        citation = Citation(
            n=1, chunk_id=doc.id or "", source=source, title=source, issuer="", date="", section="",
            quote=doc.page_content, score=float(score),
        )
        return Answer(question=question, text=doc.page_content, citations=[citation], mode="baseline")
