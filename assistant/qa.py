"""The assistant: question in, short cited answer out.

Retrieval is hybrid (dense + BM25, fused); the answer is extractive by
default. With an OpenAI-compatible endpoint configured, an LLM writes the
answer from the same passages, and a number guard replaces any answer
stating a figure that no cited passage contains by the extractive one.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from .answer import extract_answer, llm_citations, refusal
from .config import LLMConfig, Settings
from .documents import Answer
from .keyword import KeywordIndex, coverage, tokenize
from .question import QuestionError, clean_question
from .retrieval import Filters, Passage, Retriever, resolve_follow_up
from .store import VectorStore


class Assistant:
    def __init__(self, settings: Settings | None = None, llm=None):
        from .embeddings import get_embedder

        self.settings = settings or Settings()
        self.store = VectorStore(self.settings)
        self.embedder = get_embedder(self.settings)
        self.keywords = KeywordIndex()
        self.retriever = Retriever(self.store, self.embedder, self.keywords)
        self.llm = llm if llm is not None else _llm_from_env()

    def warm_up(self) -> None:
        """Load the embedding model and the keyword index now, so that the
        first user does not wait for them (about ten seconds)."""
        self._refresh_keywords()
        self.embedder.embed_query("慈溪")

    # --- retrieval ----------------------------------------------------------

    def _refresh_keywords(self) -> None:
        manifest = Path(self.settings.index_dir) / "manifest.json"
        version = (self.store.count(), manifest.stat().st_mtime_ns if manifest.exists() else 0)
        self.keywords.refresh(version, self.store.chunks)

    def retrieve(self, question: str, history=None, filters: Filters | None = None, top: int = 5) -> list[Passage]:
        return self._search(resolve_follow_up(question, _user_turns(history)), filters, top)

    def _search(self, query: str, filters: Filters | None, top: int = 5) -> list[Passage]:
        self._refresh_keywords()
        return self.retriever.search(query, filters, top=top)

    # --- answers ------------------------------------------------------------

    def ask(self, question: str, history=None, filters: Filters | None = None) -> Answer:
        started = time.perf_counter()
        prepared = self._prepare(question, history, filters)
        answer = prepared if isinstance(prepared, Answer) else self._generate(*prepared)
        answer.latency_ms = (time.perf_counter() - started) * 1000
        return answer

    def stream(self, question: str, history=None, filters: Filters | None = None) -> Iterator[str | Answer]:
        """Text deltas of an LLM answer as they arrive, then the final Answer.

        The final text can differ from what was streamed: the number guard
        may replace an LLM answer by the extractive one (with a notice).
        Without an LLM, only the Answer is yielded.
        """
        from .llm import LLMError

        started = time.perf_counter()
        prepared = self._prepare(question, history, filters)
        if isinstance(prepared, Answer):
            answer = prepared
        else:
            question, passages, extractive = prepared
            parts: list[str] = []
            try:
                for delta in self.llm.stream(question, _numbered(passages)):
                    parts.append(delta)
                    yield delta
            except LLMError as exc:
                answer = _fallback(extractive, f"{exc}；以下为原文摘录。")
            else:
                answer = self._checked(question, passages, extractive, "".join(parts))
        answer.latency_ms = (time.perf_counter() - started) * 1000
        yield answer

    def _prepare(self, question: str, history, filters) -> Answer | tuple[str, list[Passage], Answer]:
        """The final Answer when no LLM is involved (refusal or extractive);
        otherwise what the LLM needs: (question, passages, extractive fallback)."""
        try:
            question = clean_question(question)
        except QuestionError as exc:  # not logged as a question the documents failed to answer
            return Answer(question="", text=exc.reason, refused=True)
        query = resolve_follow_up(question, _user_turns(history))
        passages = self._search(query, filters)
        if not self.is_relevant(query, passages):
            return refusal(question, self.settings.refusal_contact)
        extractive = extract_answer(
            question, query, passages[:3], self.keywords.idf, self.settings.min_keyword_coverage
        )
        if extractive is None:
            return refusal(question, self.settings.refusal_contact)
        if self.llm is None:
            return extractive
        return question, passages, extractive

    def is_relevant(self, query: str, passages: list[Passage]) -> bool:
        """A first gate before any answer is composed: some passage must be
        close enough in meaning (threshold calibrated on evals/)."""
        return bool(passages) and max((p.dense or 0.0) for p in passages) >= self.settings.min_dense_score

    def coverage(self, query: str, text: str) -> float:
        return coverage(set(tokenize(query)), text, self.keywords.idf)

    # --- LLM mode -----------------------------------------------------------

    def _generate(self, question: str, passages: list[Passage], extractive: Answer) -> Answer:
        from .llm import LLMError

        try:
            text = self.llm.generate(question, _numbered(passages))
        except LLMError as exc:
            return _fallback(extractive, f"{exc}；以下为原文摘录。")
        return self._checked(question, passages, extractive, text)

    def _checked(self, question: str, passages: list[Passage], extractive: Answer, text: str) -> Answer:
        """The LLM answer if it cites known passages and every number in it
        is in what it cites; otherwise the extractive answer with a notice."""
        from .llm import NO_ANSWER, cited_passages, guard_answer

        if NO_ANSWER in text:
            return refusal(question, self.settings.refusal_contact)
        if not cited_passages(text):
            return _fallback(extractive, "大模型回答未标注出处，已改为直接摘录原文。")
        ok, bad = guard_answer(text, {n: f"{h}\n{t}" for n, h, t in _numbered(passages)})
        if not ok:
            shown = "、".join(bad) if bad else "引用编号"
            return _fallback(extractive, f"大模型回答中的{shown}无法在所引原文中核对到，已改为直接摘录原文。")
        cited = [n for n in cited_passages(text) if 0 < n <= len(passages)]
        citations = llm_citations(question + text, passages, cited, self.keywords.idf)
        return Answer(question, text, citations, mode="llm")


def _fallback(extractive: Answer, notice: str) -> Answer:
    extractive.notice = notice
    return extractive


def _numbered(passages: list[Passage]) -> list[tuple[int, str, str]]:
    return [(i + 1, _header(p), p.chunk.text) for i, p in enumerate(passages)]


def _user_turns(history) -> list[str]:
    """Earlier user questions from a history of strings, (user, bot) pairs or
    {"role", "content"} messages."""
    turns = []
    for item in history or []:
        if isinstance(item, str):
            turns.append(item)
        elif isinstance(item, dict) and item.get("role") == "user":
            turns.append(str(item.get("content", "")))
        elif isinstance(item, (list, tuple)) and item:
            turns.append(str(item[0]))
    return [t for t in turns if t]


def _header(passage: Passage) -> str:
    meta = passage.chunk.meta
    return " · ".join(x for x in (meta.title, meta.issuer, meta.date, passage.chunk.section) if x)


def _llm_from_env():
    """An LLMClient when an endpoint is configured; the LLM stack (about a
    second to import) is loaded only then."""
    config = LLMConfig.from_env()
    if not config.enabled:
        return None
    from .llm import LLMClient

    return LLMClient(config)
