"""The assistant: question in, short cited answer out.

Retrieval is hybrid (dense + BM25, fused); the answer is extractive by
default. With an OpenAI-compatible endpoint configured, an LLM writes the
answer from the same passages, and a number guard replaces any answer
stating a figure that no cited passage contains by the extractive one.
"""
from __future__ import annotations

import re
import time
from pathlib import Path
from .answer import asked_kinds, compose, provides, refusal, score_sentences, select_sentences
from .config import Settings
from .documents import Answer, Citation
from .keyword import KeywordIndex, coverage, tokenize
from .retrieval import Filters, Passage, Retriever, resolve_follow_up
from .store import VectorStore

MAX_QUESTION_CHARS = 500


class Assistant:
    def __init__(self, settings: Settings | None = None, llm=None):
        from .embeddings import get_embedder

        self.settings = settings or Settings()
        self.store = VectorStore(self.settings)
        self.embedder = get_embedder(self.settings)
        self.keywords = KeywordIndex()
        self.retriever = Retriever(self.store, self.embedder, self.keywords)
        self.llm = llm if llm is not None else _llm_from_env()

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
        answer = self._answer(question, history, filters)
        answer.latency_ms = (time.perf_counter() - started) * 1000
        return answer

    def _answer(self, question: str, history, filters) -> Answer:
        question = " ".join((question or "").split())
        if not question:
            return Answer(question="", text="请输入您要咨询的问题。", refused=True)
        question = question[:MAX_QUESTION_CHARS]
        query = resolve_follow_up(question, _user_turns(history))
        passages = self._search(query, filters)
        if not self.is_relevant(query, passages):
            return refusal(question, self.settings.refusal_contact)
        extractive = self._extractive(question, query, passages)
        if extractive is None:
            return refusal(question, self.settings.refusal_contact)
        if self.llm is None:
            return extractive
        return self._generate(question, passages, extractive)

    def _extractive(self, question: str, query: str, passages: list[Passage]) -> Answer | None:
        """The quoted answer, or None when the documents do not hold it.

        None when: the best-matching sentence is cut off where an excerpt
        stops; the question asks for a sum, date, count or share and no
        sentence about the same thing holds one; the question names a year
        the sources do not; or the quoted passage lacks most of the
        question's distinctive words.
        """
        scored = score_sentences(query, passages[:3], self.keywords.idf)
        if not scored or scored[0].truncated:
            return None
        usable = [s for s in scored if s.usable]
        chosen = select_sentences(usable, usable)
        best_coverage = max(s.coverage for s in scored)
        for kind in asked_kinds(question):
            if any(provides(s.text, kind) for s in chosen):
                continue
            fitting = [
                s for s in usable
                if provides(s.text, kind) and s.coverage >= 0.6 * best_coverage and self._grounded(query, passages, s)
            ]
            if not fitting:
                return None
            chosen = select_sentences(fitting, usable)
        if not chosen or not self._grounded(query, passages, chosen[0]):
            return None
        if not self._years_match(question, passages, chosen):
            return None
        return compose(question, passages[:3], chosen)

    @staticmethod
    def _years_match(question: str, passages: list[Passage], chosen) -> bool:
        """A year named in the question must appear in the quoted passage or
        its document's date or title."""
        years = set(re.findall(r"(20\d\d)\s*年", question))
        if not years:
            return True
        context = "".join(passages[s.passage_rank].chunk.embed_text for s in chosen)
        return all(y in context for y in years)

    def _grounded(self, query: str, passages: list[Passage], sentence) -> bool:
        chunk = passages[sentence.passage_rank].chunk
        return self.coverage(query, chunk.embed_text) >= self.settings.min_keyword_coverage

    def is_relevant(self, query: str, passages: list[Passage]) -> bool:
        """A first gate before any answer is composed: some passage must be
        close enough in meaning (threshold calibrated on evals/)."""
        return bool(passages) and max((p.dense or 0.0) for p in passages) >= self.settings.min_dense_score

    def coverage(self, query: str, text: str) -> float:
        return coverage(set(tokenize(query)), text, self.keywords.idf)

    # --- LLM mode -----------------------------------------------------------

    def _generate(self, question: str, passages: list[Passage], extractive: Answer) -> Answer:
        from .llm import NO_ANSWER, LLMError, cited_passages, guard_answer

        numbered = [(i + 1, _header(p), p.chunk.text) for i, p in enumerate(passages)]
        try:
            text = self.llm.generate(question, numbered)
        except LLMError as exc:
            extractive.notice = f"{exc}；以下为原文摘录。"
            return extractive
        if NO_ANSWER in text:
            return refusal(question, self.settings.refusal_contact)
        if not cited_passages(text):
            extractive.notice = "大模型回答未标注出处，已改为直接摘录原文。"
            return extractive
        ok, bad = guard_answer(text, {n: f"{h}\n{t}" for n, h, t in numbered})
        if not ok:
            shown = "、".join(bad) if bad else "引用编号"
            extractive.notice = f"大模型回答中的{shown}无法在所引原文中核对到，已改为直接摘录原文。"
            return extractive
        return Answer(question, text, _llm_citations(text, question, passages, self.keywords.idf), mode="llm")


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


def _llm_citations(text: str, question: str, passages: list[Passage], idf) -> list[Citation]:
    """For each [n] the LLM used, quote the passage's best sentence."""
    import re

    from .answer import _citation

    cited = sorted({int(n) for n in re.findall(r"\[(\d+)\]", text) if 0 < int(n) <= len(passages)})
    citations = []
    for n in cited:
        passage = passages[n - 1]
        best = score_sentences(question + text, [passage], idf)
        start, end = (best[0].start, best[0].end) if best else (0, len(passage.chunk.text))
        citations.append(_citation(n, passage, start, end))
    return citations


def _llm_from_env():
    from .llm import LLMClient, LLMConfig

    config = LLMConfig.from_env()
    return LLMClient(config) if config.enabled else None
