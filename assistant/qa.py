"""The assistant: question in, short cited answer out.

Retrieval is hybrid (dense + BM25, fused); the answer is extractive by
default. With an OpenAI-compatible endpoint configured, an LLM writes the
answer from the same passages, and a number guard replaces any answer
stating a figure that no cited passage contains by the extractive one.

``history`` is always the earlier user questions of the conversation, as
strings, oldest first: callers convert whatever their UI keeps once.
"""
from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .answer import extract_answer, llm_citations, refusal
from .config import LLMConfig, Settings
from .documents import Answer, SourcePassage
from .keyword import KeywordIndex, TokenCache
from .protocols import AnswerModel
from .question import QuestionError, clean_question
from .retrieval import Filters, Passage, Retriever, resolve_follow_up
from .served import ServedFirst
from .store import VectorStore


@dataclass
class Draft:
    """What the LLM needs to write an answer: the cleaned question, the
    retrieved passages and the extractive answer to fall back on."""

    question: str
    passages: list[Passage]
    extractive: Answer

    def numbered(self) -> list[SourcePassage]:
        return [SourcePassage(i + 1, _header(p), p.chunk.text) for i, p in enumerate(self.passages)]


class Assistant:
    def __init__(self, settings: Settings | None = None, llm: AnswerModel | None = None):
        from .embeddings import get_embedder

        self.settings = settings or Settings()
        self.store = VectorStore(self.settings)
        self.embedder = get_embedder(self.settings)
        self.keywords = KeywordIndex(_token_cache(self.settings))
        self.retriever = Retriever(
            self.store, self.embedder, self.keywords, pool=self.settings.retrieval_pool, rrf_k=self.settings.rrf_k
        )
        self.llm = llm if llm is not None else _llm_from_env()
        self.served = ServedFirst(self.settings, self.embedder, self.keywords, self.store)  # verified answers first

    def warm_up(self) -> None:
        """Load the embedding model and the keyword index now, so that the
        first user does not wait for them (about ten seconds)."""
        self._refresh_keywords()
        self.embedder.embed_query("慈溪")

    # --- retrieval ----------------------------------------------------------

    def _refresh_keywords(self) -> None:
        manifest = self.settings.manifest_path
        version = (self.store.count(), manifest.stat().st_mtime_ns if manifest.exists() else 0)
        self.keywords.refresh(version, self.store.chunks)

    def retrieve(
        self, question: str, history: Sequence[str] = (), filters: Filters | None = None, top: int = 5
    ) -> list[Passage]:
        return self._search(resolve_follow_up(question, history), filters, top)

    def _search(self, query: str, filters: Filters | None, top: int = 5) -> list[Passage]:
        self._refresh_keywords()
        return self.retriever.search(query, filters, top=top)

    # --- answers ------------------------------------------------------------

    def ask(self, question: str, history: Sequence[str] = (), filters: Filters | None = None) -> Answer:
        started = time.perf_counter()
        prepared = self.served.answer(question, history, filters, self.retrieve) or self._prepare(question, history, filters)
        answer = prepared if isinstance(prepared, Answer) else self._generate(prepared)
        answer.latency_ms = (time.perf_counter() - started) * 1000
        return answer

    def stream(self, question: str, history: Sequence[str] = (), filters: Filters | None = None) -> Iterator[str | Answer]:
        """Text deltas of an LLM answer as they arrive, then the final Answer.

        The final text can differ from what was streamed: the number guard
        may replace an LLM answer by the extractive one (with a notice).
        Without an LLM, only the Answer is yielded.
        """
        from .llm import LLMError

        started = time.perf_counter()
        prepared = self.served.answer(question, history, filters, self.retrieve) or self._prepare(question, history, filters)
        if isinstance(prepared, Answer):
            answer = prepared
        else:
            assert self.llm is not None
            parts: list[str] = []
            try:
                for delta in self.llm.stream(prepared.question, prepared.numbered()):
                    parts.append(delta)
                    yield delta
            except LLMError as exc:
                answer = _fallback(prepared.extractive, f"{exc.reason}；以下为原文摘录。")
            else:
                answer = self._checked(prepared, "".join(parts))
        answer.latency_ms = (time.perf_counter() - started) * 1000
        yield answer

    def _prepare(self, question: str, history: Sequence[str], filters: Filters | None) -> Answer | Draft:
        """The final Answer when no LLM is involved (refusal or extractive);
        otherwise the Draft the LLM writes from."""
        try:
            question = clean_question(question, self.settings.max_question_chars)
        except QuestionError as exc:  # not logged as a question the documents failed to answer
            return Answer(question="", text=exc.reason, refused=True)
        query = resolve_follow_up(question, history)
        passages = self._search(query, filters)
        if not self.is_relevant(passages):
            return refusal(question, self.settings.refusal_contact)
        extractive = extract_answer(
            question, query, passages[:3], self.keywords.idf, self.settings.min_keyword_coverage,
            self.settings.max_answer_chars,
        )
        if extractive is None:
            return refusal(question, self.settings.refusal_contact)
        if self.llm is None:
            return extractive
        return Draft(question, passages, extractive)

    def is_relevant(self, passages: list[Passage]) -> bool:
        """A first gate before any answer is composed: some passage must be
        close enough in meaning (threshold calibrated on evals/)."""
        return bool(passages) and max((p.dense or 0.0) for p in passages) >= self.settings.min_dense_score

    # --- LLM mode -----------------------------------------------------------

    def _generate(self, draft: Draft) -> Answer:
        from .llm import LLMError

        assert self.llm is not None
        try:
            text = self.llm.generate(draft.question, draft.numbered())
        except LLMError as exc:
            return _fallback(draft.extractive, f"{exc.reason}；以下为原文摘录。")
        return self._checked(draft, text)

    def _checked(self, draft: Draft, text: str) -> Answer:
        """The LLM answer if it cites known passages and every number in it
        is in what it cites; otherwise the extractive answer with a notice."""
        from .llm import NO_ANSWER, cited_passages, guard_answer

        if NO_ANSWER in text:
            return refusal(draft.question, self.settings.refusal_contact)
        if not cited_passages(text):
            return _fallback(draft.extractive, "大模型回答未标注出处，已改为直接摘录原文。")
        ok, bad = guard_answer(text, {p.n: f"{p.header}\n{p.text}" for p in draft.numbered()})
        if not ok:
            shown = "、".join(bad) if bad else "引用编号"
            return _fallback(draft.extractive, f"大模型回答中的{shown}无法在所引原文中核对到，已改为直接摘录原文。")
        passages = draft.passages
        cited = [n for n in cited_passages(text) if 0 < n <= len(passages)]
        citations = llm_citations(draft.question + text, passages, cited, self.keywords.idf)
        return Answer(draft.question, text, citations, mode="llm")


def _fallback(extractive: Answer, notice: str) -> Answer:
    extractive.notice = notice
    return extractive


def _header(passage: Passage) -> str:
    meta = passage.chunk.meta
    return " · ".join(x for x in (meta.title, meta.issuer, meta.date, passage.chunk.section) if x)


def _token_cache(settings: Settings) -> TokenCache | None:
    """The keyword index's token cache beside the embedding cache; none
    (tokens computed each start) if that folder cannot be written."""
    try:
        return TokenCache(settings.token_cache)
    except (OSError, sqlite3.Error):  # a damaged cache must not stop answers
        return None


def _llm_from_env() -> AnswerModel | None:
    """An LLMClient when an endpoint is configured; the LLM stack (about a
    second to import) is loaded only then."""
    config = LLMConfig.from_env()
    if not config.enabled:
        return None
    from .llm import LLMClient

    return LLMClient(config)
