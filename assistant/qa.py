"""The assistant: question in, short cited answer out.

The question is read once (``reading``: matching form, what it asks, the
years, places and batches it pins down), embedded once, and searched in
both the vector index and the keyword index. The sentences of the best
passages are scored against it; the ones that answer are chosen
(``answer.choose``), a learned decision judges whether they really do
(``decision``), and the constraints the question names are checked
(``constraints``). Questions about a document itself are answered from its
metadata (``metadata_answer``).

With an OpenAI-compatible endpoint configured, an LLM writes the answer
from the same passages, and a number guard replaces any answer stating a
figure that no cited passage contains by the extractive one.

``history`` is always the earlier user questions of the conversation, as
strings, oldest first: callers convert whatever their UI keeps once.
"""
from __future__ import annotations

import datetime as dt
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from .answer import (
    IDF,
    Choice,
    candidates,
    choose,
    clauses_before_cut,
    compose,
    context_of,
    distinguishing,
    llm_citations,
    refusal,
)
from .config import LLMConfig, Settings
from .constraints import cut_off, near_miss, of_the_asked_time, unmet
from .corrections import Correction, correct
from .decision import Evidence, Models
from .documents import Answer, Chunk, SourcePassage
from .embedding_cache import EmbeddingCache
from .keyword import KeywordIndex, TokenCache, cut_words, dictionary_frequency, named_in, place_words, tokenize
from .metadata_answer import metadata_answer, named_sources, states
from .normalize import normalize
from .policy_chat import policy_answer
from .protocols import AnswerModel
from .question import QuestionError, clean_question
from .reading import (
    PLACES,
    Reading,
    asked_place_text,
    certified,
    jurisdiction,
    metadata_phrases,
    names_year,
    programme_names,
    provides,
    read_question,
)
from .retrieval import Filters, Passage, Retriever, resolve_follow_up, rrf
from .sentences import Sentence, SentenceVectors, sentences_of
from .served import ServedFirst
from .store import VectorStore
from .versions import Supersession, superseded_by

ANSWER_PASSAGES = 3  # sentences are chosen from this many of the best passages …
SEARCHED = 10  # … and from the best passage among this many for a year or place they lack
_CUT_OFF_FIT = 0.5  # below this, a better-fitting sentence cut off by an excerpt's end means "cannot tell"
_NAMES_DOCUMENT = 0.5  # a metadata question must name this share of its words' weight from the title
_CLAUSE = ("第几条", "哪一条", "哪条", "出自", "依据哪个", "条款原文", "原文怎么", "哪个部分", "哪一部分")


@dataclass
class Draft:
    """What the LLM needs to write an answer: the cleaned question, the
    retrieved passages and the extractive answer to fall back on."""

    question: str
    passages: list[Passage]
    extractive: Answer
    sentences: list[list[Sentence]]

    def numbered(self) -> list[SourcePassage]:
        return [SourcePassage(i + 1, _header(p), p.chunk.text) for i, p in enumerate(self.passages)]


@dataclass
class Gathered:
    """What one question found: how it was read, the passages, the scored
    sentences of the best ones, term corrections, and its words."""

    reading: Reading
    passages: list[Passage]  # the best five, as retrieved
    top: list[Passage]  # those whose sentences may answer (see answer_passages)
    sentence_lists: list[list[Sentence]]
    corrections: list[Correction]
    words: list[str]

    @property
    def sentences(self) -> list[Sentence]:
        return [s for group in self.sentence_lists for s in group]


@dataclass
class Considered:
    """Everything the pipeline worked out for one question: the answer, and
    the evidence the decision saw (for evaluation and fitting)."""

    answer: Answer | Draft
    evidence: Evidence | None = None


class Assistant:
    def __init__(self, settings: Settings | None = None, llm: AnswerModel | None = None,
                 models: Models | None = None):
        from .embeddings import get_embedder

        self.settings = settings or Settings()
        self.store = VectorStore(self.settings)
        self.embedder = get_embedder(self.settings)
        self.keywords = KeywordIndex(_token_cache(self.settings))
        self.retriever = Retriever(
            self.store, self.embedder, self.keywords, pool=self.settings.retrieval_pool, rrf_k=self.settings.rrf_k
        )
        self.sentence_vectors = SentenceVectors(self.embedder, _embedding_cache(self.settings))
        self.models = models or Models.load()
        self.llm = llm if llm is not None else _llm_from_env()
        self.served = ServedFirst(self.settings, self.embedder, self.keywords, self.store)  # verified answers first

    def warm_up(self) -> None:
        """Load the embedding model, the keyword index and the pinyin
        tables now, so that the first user does not wait for them."""
        self._refresh_keywords()
        self.embedder.embed_query("慈溪")
        correct("慈溪科技", ["慈溪科技"], cut_words, self._is_word)

    # --- retrieval ----------------------------------------------------------

    def _refresh_keywords(self) -> None:
        manifest = self.settings.manifest_path
        version = (self.store.count(), manifest.stat().st_mtime_ns if manifest.exists() else 0)
        self.keywords.refresh(version, self.store.chunks)

    def retrieve(
        self, question: str, history: Sequence[str] = (), filters: Filters | None = None, top: int = 5
    ) -> list[Passage]:
        query = resolve_follow_up(normalize(question), [normalize(h) for h in history])
        return _reviews_first(read_question(query), self._search(query, filters, top))

    def _search(self, query: str, filters: Filters | None, top: int = 5, vector=None) -> list[Passage]:
        self._refresh_keywords()
        return self.retriever.search(query, filters, top=top, vector=vector)

    # --- answers ------------------------------------------------------------

    def ask(self, question: str, history: Sequence[str] = (), filters: Filters | None = None) -> Answer:
        return self.consider(question, history, filters)[0]

    def consider(
        self, question: str, history: Sequence[str] = (), filters: Filters | None = None
    ) -> tuple[Answer, Evidence | None]:
        """The answer, and the evidence its decision rested on."""
        started = time.perf_counter()
        served = self.served.answer(question, history, filters, self.retrieve)
        considered = Considered(served) if served is not None else self._prepare(question, history, filters)
        prepared = considered.answer
        answer = prepared if isinstance(prepared, Answer) else self._generate(prepared)
        answer.latency_ms = (time.perf_counter() - started) * 1000
        return answer, considered.evidence

    def stream(self, question: str, history: Sequence[str] = (), filters: Filters | None = None) -> Iterator[str | Answer]:
        """Text deltas of an LLM answer as they arrive, then the final Answer.

        The final text can differ from what was streamed: the number guard
        may replace an LLM answer by the extractive one (with a notice).
        Without an LLM, only the Answer is yielded.
        """
        from .llm import LLMError

        started = time.perf_counter()
        served = self.served.answer(question, history, filters, self.retrieve)
        prepared = served if served is not None else self._prepare(question, history, filters).answer
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

    def _prepare(self, question: str, history: Sequence[str], filters: Filters | None) -> Considered:
        """The final Answer when no LLM is involved (refusal or extractive);
        otherwise the Draft the LLM writes from."""
        gathered = self.gather(question, history, filters)
        if isinstance(gathered, Answer):
            return Considered(gathered)
        answer, evidence = self.answer_from(gathered)
        if self.llm is None or answer.refused:
            return Considered(answer, evidence)
        return Considered(Draft(gathered.reading.question, gathered.passages, answer, gathered.sentence_lists), evidence)

    def gather(self, question: str, history: Sequence[str] = (), filters: Filters | None = None) -> Gathered | Answer:
        """Read, embed and search the question, and score the sentences of
        the best passages against it; an Answer when there is nothing to
        search (an unaskable question) or nothing found."""
        try:
            question = clean_question(question, self.settings.max_question_chars)
        except QuestionError as exc:  # not logged as a question the documents failed to answer
            return Answer(question="", text=exc.reason, refused=True)
        reading = read_question(question)
        # 政策匹配/清单/版本; a question naming a document by its 文号 or an
        # article by number asks about that text, not for a list of clauses.
        lookup = reading.documents or reading.articles
        answered = None if lookup else policy_answer(question, self.settings, self.store, history, filters)
        if answered is not None:
            return answered
        query = resolve_follow_up(reading.text, [normalize(h) for h in history])
        vector = self.embedder.encode_queries([query])[0]
        passages = self._search(query, filters, top=SEARCHED, vector=vector)
        if not passages:
            return refusal(question, self.settings.refusal_contact)
        # the best passages, a work report's review first; the evidence keeps the fused order (do dense and keyword agree)
        best = _reviews_first(reading, passages[:ANSWER_PASSAGES]) + passages[ANSWER_PASSAGES:]
        top = answer_passages(reading, best) + self._compared_passages(reading, passages, filters)
        sentence_lists = [sentences_of(p.chunk, rank) for rank, p in enumerate(top)]
        self.sentence_vectors.score([s for group in sentence_lists for s in group], vector)
        earlier = query[: len(query) - len(reading.text)] if query.endswith(reading.text) else ""
        reading, corrections = self._corrected(reading, top)
        reading = self._with_unknown_places(reading)
        words = _with_corrected([w for w in tokenize(earlier + reading.text) if len(w) > 1 or w.isascii()],
                                [c.meant for c in corrections], self._is_word)
        return Gathered(reading, passages[:5], top, sentence_lists, corrections, words)

    def _compared_passages(self, reading: Reading, passages: list[Passage], filters: Filters | None) -> list[Passage]:
        """For each of two things compared (综合体和联合体分别由谁牵头), the
        best passage by words for the question asked about it alone, when
        the passages found do not already hold it: a passage about one
        thing seldom ranks high for a question naming two. Likewise for
        each of two policy years compared (2018版和2021版的ABCT范围)."""
        extra = self._year_passages(reading, passages, filters)
        if not reading.compared:
            return extra
        known = [w for w in tokenize(reading.text) if self.keywords.known(w)]
        words = distinguishing(reading, known, self.keywords.idf)
        for other, word in zip(reading.compared[::-1], words):
            found = rrf({"keyword": self.retriever.keyword(reading.text.replace(other, " "), filters or Filters())}, 1)
            about = [p for p in found if word.lower() in normalize(p.chunk.text).lower()]
            extra += _best_new(about, reading.kinds, passages[:ANSWER_PASSAGES] + extra)
        return extra

    def _year_passages(self, reading: Reading, passages: list[Passage], filters: Filters | None) -> list[Passage]:
        """For each year of a comparison of documents by year, the best
        passage by words of a document of that year (its title or date),
        the question asked without the other years. Work reports named by
        their years (2022年和2023年的报告) are the documents compared."""
        years = reading.report_years or reading.years
        if len(years) < 2:
            return []
        allowed = filters or Filters()
        extra: list[Passage] = []
        for year in years:
            text = re.sub("|".join(f"{y}\\s*(年度|年|版)" for y in years if y != year), " ", reading.text)
            found = rrf({"keyword": self.keywords.search(
                text, SEARCHED, lambda c, y=year: allowed.allows(c) and _chunk_of_year(c, y))}, 1)
            extra += _best_new(found, reading.kinds, passages[:ANSWER_PASSAGES] + extra)
        return extra

    def answer_from(self, g: Gathered, models: Models | None = None) -> tuple[Answer, Evidence | None]:
        """The extractive answer (or refusal) for what ``gather`` found."""
        models = models or self.models
        reading, top = g.reading, g.top
        known = [w for w in g.words if self.keywords.known(w)]
        newer = self._newer_versions(top)
        if not reading.years:
            _prefer_current(top, g.sentences, newer)
        parts = [[w for w in tokenize(part) if self.keywords.known(w) and (len(w) > 1 or w.isascii())]
                 for part in reading.parts]
        named = [p for p in top if any(d.names(p.chunk.meta.doc_number) for d in reading.documents)]
        asking = metadata_phrases(reading.text)
        about = [w for w in known if not any(w in phrase for phrase in asking)]
        if reading.asks_metadata and not _asks_content(reading) \
                and (named or _names_document(reading, top[0], self.keywords.idf, about)):
            return self._metadata(reading, named + top), None
        # Which document says this: the quote answers, its document's metadata names it.
        source = reading.asks_source or (reading.asks_metadata and states(top[0].chunk, reading.meta_fields))
        named_kinds = {"doc_number"} | ({"who"} if {"issuer", "title"} & set(reading.meta_fields) else set())
        asked = replace(reading, kinds=[k for k in reading.kinds if k not in named_kinds]) if source else reading
        if source:  # a part only asking for the document (文号多少) is answered by naming it
            parts = [part for part in parts if any(w in about for w in part)]
        learnt = named_in(reading.text)
        # what it quotes is named too: the sentence under the heading “鼓励企业加大有效投入” comes first
        naming = learnt + [phrase for phrase in reading.quoted if phrase not in learnt]
        found = candidates(asked, top, g.sentences, self.keywords.idf, known, models.sentence, parts, naming)
        choice = choose(found, self.settings.max_answer_chars - 60)
        if choice is None:
            return refusal(reading.question, self.settings.refusal_contact), None
        evidence = self._evidence(g, choice)
        answer = self._decide(asked, top, g.sentences, choice, evidence, g.corrections, models, newer, learnt)
        if source and not answer.refused:
            answer.text += _sources_named(reading, top, answer)
        return answer, evidence

    def _with_unknown_places(self, reading: Reading) -> Reading:
        """A place no document names (苏州, 无锡市) is a place asked about
        that none holds: the answer is a refusal naming it, not Cixi's rule."""
        unknown = [w for w in place_words(asked_place_text(reading.text))
                   if dictionary_frequency(w) > 0  # a place jieba knows, not a tagging slip (评上省数商 → 上省)
                   and not any(self.keywords.known(name) for name in (w, w[:-1] if w[-1] in "市省区县镇" else w))
                   and w.rstrip("市省区县镇") not in reading.places]  # 北仑区 beside 北仑: one place
        return replace(reading, places=reading.places + unknown) if unknown else reading

    def _corrected(self, reading: Reading, top: list[Passage]) -> tuple[Reading, list[Correction]]:
        texts = [normalize(p.chunk.text) for p in top]
        text, corrections = correct(reading.text, texts, cut_words, self._is_word)
        # Read again: what the question quotes or names is corrected too (“单项冠君”).
        return (replace(read_question(text), question=reading.question), corrections) if corrections else (reading, [])

    def _newer_versions(self, top: list[Passage]) -> dict[str, Supersession]:
        """For each passage's document that a newer version replaces, that version."""
        found = {}
        for source in {p.chunk.source for p in top}:
            newer = superseded_by(source, self.settings)
            if newer is not None:
                found[source] = newer
        return found

    def _decide(self, reading: Reading, top: list[Passage], sentences: list[Sentence], choice: Choice,
                evidence: Evidence, corrections: list[Correction], models: Models,
                newer: dict[str, Supersession], learnt: list[str]) -> Answer:
        """``learnt``: the documents' quoted names the question uses (named_in)."""
        contact = self.settings.refusal_contact
        names = learnt + self._unknown_programmes(reading, learnt) + _found_programmes(reading, top, learnt)
        timely = [s for s in sentences if all(_doc_holds_year(top[s.passage_rank], y) for y in reading.years)]
        cut = _cut_off_answer(timely, choice, names + [w for w in cut_words(reading.text) if len(w) >= 3])
        if cut is not None:
            asked = [w for w in cut_words(reading.text) if len(w) > 1 and not _QUESTION_WORD.search(w)]
            head = clauses_before_cut(cut, asked, reading.kinds)
            if head is None:
                partial = compose(reading.question, top, [cut], dt.date.today())
                return cut_off(reading.question, cut, top[cut.passage_rank], partial)
            # the cut sentence answers what was asked; other parts keep their own answers
            kept = [s for s in choice.sentences
                    if (s.passage_rank, s.start) != (cut.passage_rank, cut.start)] if len(reading.parts) > 1 else []
            choice = replace(choice, sentences=[head, *kept])
        if not models.answers(evidence):
            return refusal(reading.question, contact)
        words = [w for w in tokenize(reading.text) if len(w) > 1 and self.keywords.known(w)]
        choice = replace(choice, sentences=of_the_asked_time(reading, top, choice.sentences, words))
        answer = compose(reading.question, top, choice.sentences, dt.date.today(),
                         general=not _asks_announcement(reading), clause=_asks_clause(reading), newer=newer)
        said = " ".join(s.norm + " " + context_of(top[s.passage_rank]) for s in choice.sentences)
        # A name of common words (“项目资助”) is said in other words: 对资助总额在50万元以下的项目.
        names = [n for n in names if not _said_in_other_words(n, said)]
        missing = unmet(reading, top, choice, names + self._uncertified(reading, said)) \
            + self._only_cited(reading, choice.sentences, words)
        if missing:
            return near_miss(reading.question, missing, answer)
        if corrections:
            shown = "、".join(f"“{c.meant}”" for c in corrections)
            answer.text = f"（已按{shown}理解）" + answer.text
        return answer

    def _only_cited(self, reading: Reading, sentences: list[Sentence], words: list[str]) -> list[str]:
        """The title of a document the quote only cites, when the question is
        about that document (nearly all the words the quote shares with it
        are the title's) and the rarest of them is inside the title alone:
        根据《关于公布2025年度…认定名单的通知》 does not list what that notice lists."""
        if reading.asks_source or reading.asks_cited or reading.asks_metadata:
            return []
        said = " ".join(s.norm for s in sentences)
        cues = [_CITING.search(s.norm) for s in sentences]
        titles = [t for s, cue in zip(sentences, cues) if cue for t in _CITED_TITLE.findall(s.norm[cue.start():])]
        shared = [w for w in words if w in said and not _QUESTION_WORD.search(w) and not w.isdigit()]
        if not titles or not shared:
            return []
        rarest = max(shared, key=self.keywords.idf)
        in_titles = [w for w in shared if any(w in t for t in titles)]
        if rarest in _CITED_TITLE.sub(" ", said) or rarest not in in_titles \
                or len(in_titles) < _ABOUT_CITED * len(shared):
            return []
        return [f"关于“{rarest}”的具体内容（原文仅提及《{next(t for t in titles if rarest in t)}》）"]

    def _unknown_programmes(self, reading: Reading, learnt: list[str]) -> list[str]:
        """Programme names (海燕创新券) whose own name, the word before 创新券 or
        计划, the documents never use: no quoted sentence can be about them,
        however close the rest. ``learnt``: the names the documents quote
        that the question uses (never unknown)."""
        found = []
        for name, words in programme_names(reading.text):
            last = cut_words(words)[-1]  # the word right before 创新券/计划: the programme's own name
            kind = name[len(words):]  # 创新券, 贷: a kind of programme the documents may not know at all
            if any(name in known or known in name for known in learnt) \
                    or any(self.keywords.known(name[i:].lower()) for i in range(len(words) - 1)):
                continue  # 客户问科创贷: the documents' 科创贷, asked about in a run of words
            if (len(last) > 1 and not _QUESTION_WORD.search(last) and not self.keywords.known(last.lower())) \
                    or not all(self.keywords.known(w) for w in tokenize(kind)):
                found.append(name)
        return found

    def _uncertified(self, reading: Reading, said: str) -> list[str]:
        """What the question says is certified (高新技术企业认定) when no word
        telling it apart is in ``said`` (the quoted sentences and their
        headings): a 研发机构认定 reward does not answer a question about 高新技术企业."""
        found = []
        for stretch in certified(reading.text):
            cut = cut_words(stretch)
            words = [w for w in cut if len(w) > 1 and w not in _GENERIC and self.keywords.known(w)
                     and not any(place in w for place in PLACES)]
            if words and (cut[-1] in words or cut[-1] in _GENERIC) and not any(w in said for w in words):  # 全省一共备案: no thing
                found.append(stretch)
        return found

    def _is_word(self, token: str) -> bool:
        """A word of the documents or of jieba's dictionary."""
        return self.keywords.known(token) or dictionary_frequency(token) > 0

    def _metadata(self, reading: Reading, top: list[Passage]) -> Answer:
        """From the metadata of the best passage's document, or of the
        document of each year a comparison names."""
        chosen = [next((p for p in top if _doc_holds_year(p, y)), None) for y in reading.years] if len(reading.years) > 1 else []
        passages = list({p.chunk.source: p for p in chosen if p}.values()) or [top[0]]
        documents = [sorted(self.store.chunks({"source": p.chunk.source}), key=lambda c: c.index) or [p.chunk]
                     for p in passages]
        return metadata_answer(reading, documents, [p.score for p in passages])

    def _evidence(self, g: Gathered, choice: Choice) -> Evidence:
        weights = {w: self.keywords.idf(w) for w in set(g.words)}
        total = sum(weights.values()) or 1.0
        quoted = " ".join(s.norm for s in choice.sentences).lower()
        around = " ".join(normalize(p.chunk.embed_text) for p in g.top).lower()
        absent = [w for t, w in weights.items() if t not in around]
        heaviest = max(weights.values(), default=0.0) or 1.0
        first = g.passages[0].ranks
        return Evidence(
            similarity=max(s.similarity for s in choice.sentences),
            dense=max((p.dense or 0.0) for p in g.passages),
            coverage=choice.coverage,
            coverage_all=sum(w for t, w in weights.items() if t in quoted) / total,
            passages_cover=1.0 - sum(absent) / total,
            absent_top=max(absent, default=0.0) / heaviest,
            kinds_ok=1.0 if choice.kinds_ok else 0.0,
            missing_top=choice.missing_top,
            unknown=sum(w for t, w in weights.items() if not self.keywords.known(t)) / total,
            agree=1.0 if first.get("dense") == 1 and first.get("keyword") == 1 else 0.0,
            fit=choice.fit,
            kind_words=_kind_words(g.reading, choice, g.top, weights),
        )

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
        lists = draft.sentences + [sentences_of(p.chunk, i) for i, p in enumerate(passages)][len(draft.sentences):]
        citations = llm_citations(draft.question + text, passages, cited, lists, self.keywords.idf, tokenize)
        return Answer(draft.question, text, citations, mode="llm")


_TARGETS = re.compile(r"目标|预期|计划|打算|力争")


def _reviews_first(reading: Reading, passages: list[Passage]) -> list[Passage]:
    """A work report reviews the year before it was delivered: for a figure
    of 2022 (2022年慈溪GDP), the 2023 report's passages come before the 2022
    report's, which names 2022 for its targets (asked as 目标, 预期). Other
    passages keep their places; so do all when the year names a report
    (2022年政府工作报告) or two years are compared, whose years each get a
    passage of their own (``_year_passages``)."""
    years = set(reading.years) - set(reading.report_years)
    if len(years) != 1 or _TARGETS.search(reading.text):
        return passages
    slots = [i for i, p in enumerate(passages) if p.chunk.meta.doc_type == "工作报告"]
    reports = sorted((passages[i] for i in slots), key=lambda p: (p.chunk.meta.year or 0) - 1 not in years)
    ordered = list(passages)
    for i, report in zip(slots, reports):
        ordered[i] = report
    return ordered


def answer_passages(reading: Reading, passages: list[Passage]) -> list[Passage]:
    """The best passages, plus, for each year or place the question names
    that none of their documents holds, the best passage whose document
    does (the other year of a comparison often ranks lower)."""
    asked = set(_SUGGESTION.findall(reading.text))
    replies = [p for p in passages if not _replies_to_another(p, asked)] if asked else []  # most name no suggestion
    top = replies[:ANSWER_PASSAGES] or passages[:ANSWER_PASSAGES]
    for held in [lambda p, y=y: _doc_holds_year(p, y) for y in reading.years] + [
        lambda p, place=place: _doc_holds_place(p, place) for place in reading.places
    ]:
        if not any(held(p) for p in top):
            top += [p for p in passages[ANSWER_PASSAGES:] if held(p) and p not in top][:1]
    return top


# 第332号建议: the suggestion (or proposal) a reply answers, named by its number.
_SUGGESTION = re.compile(r"(?<!\d)(\d+)\s*号(?:建议|提案)")


def _replies_to_another(passage: Passage, asked: set[str]) -> bool:
    """Is the passage's document a reply to a suggestion other than the ones asked about?"""
    answered = set(_SUGGESTION.findall(passage.chunk.meta.title))
    return bool(answered and not asked & answered)


def _asks_content(reading: Reading) -> bool:
    """Does the question ask something of the text besides its metadata
    (一共备案了多少家？这个通知是哪个部门发的？), or a part asking no field
    (是谁作的？里面讲的人均GDP有多少？): then the sentence answering is
    quoted and the document named with the fields asked."""
    return reading.asks_cited or any(kind not in _METADATA_KINDS for kind in reading.kinds) \
        or any(not metadata_phrases(part) for part in reading.parts)


def _found_programmes(reading: Reading, top: list[Passage], learnt: list[str]) -> list[str]:
    """Programme names the question uses (科创贷) that the passages found
    hold: the quoted sentences must be about them too, as for ``learnt``."""
    texts = [normalize(p.chunk.text) for p in top]
    return [name for name, _ in programme_names(reading.text)
            if name not in learnt and any(name in text for text in texts)]


def _with_corrected(words: list[str], meant: list[str], is_word: Callable[[str], bool]) -> list[str]:
    """The question's words after correction: each corrected term whole,
    without the non-words the tokenizer cut across it (科创贷有 → 科创, 贷有)."""
    if not meant:
        return words
    broken = [w for w in words if not is_word(w) and any(ch in term for term in meant for ch in w)]
    return [w for w in words if w not in broken] + [m for m in meant if m not in words]


def _said_in_other_words(name: str, said: str) -> bool:
    """Is each word of a name made of words (项目资助: 项目, 资助) in ``said``?"""
    words = [w for w in tokenize(name) if w != name.lower() and len(w) > 1]
    return bool(words) and all(w in said for w in words)


def _sources_named(reading: Reading, top: list[Passage], answer: Answer) -> str:
    """以上原文出自[1]《…》，文号为…: each quoted document, first citation first."""
    chunks = {p.chunk.id: p.chunk for p in top}
    cited = {c.source: (c.n, chunks[c.chunk_id]) for c in reversed(answer.citations)}
    return named_sources(reading, sorted(cited.values(), key=lambda nc: nc[0]))


def _best_new(found: list[Passage], kinds: list[str], held: list[Passage]) -> list[Passage]:
    """The first passage found that holds what is asked (牵头 for 由谁牵头),
    else the first found, unless it is already held."""
    best = next((p for p in found if all(provides(normalize(p.chunk.text), k) for k in kinds)),
                found[0] if found else None)
    return [best] if best is not None and best.chunk.id not in {p.chunk.id for p in held} else []


def _chunk_of_year(chunk: Chunk, year: int) -> bool:
    """A chunk of a document of ``year``: its title names it or it was written then."""
    return names_year(normalize(chunk.meta.title), year) or chunk.meta.date.startswith(str(year))


def _doc_holds_year(passage: Passage, year: int) -> bool:
    return _chunk_of_year(passage.chunk, year) or names_year(normalize(passage.chunk.text), year)


def _doc_holds_place(passage: Passage, place: str) -> bool:
    meta = passage.chunk.meta
    return jurisdiction(meta.issuer) == place or place in meta.title


def _asks_announcement(reading: Reading) -> bool:
    return any(word in reading.text for word in ("公示", "名单", "第"))


# An older version's sentence this much closer to the question than any of the current one's is quoted.
_DROPPED_CLAUSE = 0.05


def _prefer_current(top: list[Passage], sentences: list[Sentence], newer: dict[str, Supersession]) -> None:
    """A question naming no year is answered from the current version of a
    policy when both it and an older one were found: the older one's
    sentences are not quoted, unless one is clearly closer to the question
    than any of the current version's (a clause the current version
    dropped: 新纳入数字经济核心产业企业库的企业 in 2023 only)."""
    closest: dict[str, float] = {}
    for sentence in sentences:
        source = top[sentence.passage_rank].chunk.source
        closest[source] = max(closest.get(source, 0.0), sentence.similarity)
    for sentence in sentences:
        successor = newer.get(top[sentence.passage_rank].chunk.source)
        if successor is not None and successor.source in closest \
                and sentence.similarity < closest[successor.source] + _DROPPED_CLAUSE:
            sentence.usable = False


def _cut_off_answer(sentences: list[Sentence], choice: Choice, names: list[str]) -> Sentence | None:
    """The sentence cut off where an excerpt ends, when the answer would be
    there: it fits the question clearly better than what was chosen, or it
    is the only sentence naming a programme the question asks about (chosen
    or not: what it says of it is cut off)."""
    truncated = [s for s in sentences if s.truncated]
    if not truncated:
        return None
    best = max(truncated, key=lambda s: s.fit)
    if best.fit >= _CUT_OFF_FIT and choice.fit < _CUT_OFF_FIT - 0.2:
        return best
    for name in names:
        holding = [s for s in sentences if name in s.norm]
        if holding and all(s.truncated for s in holding):
            return holding[0]
    return None


def _asks_clause(reading: Reading) -> bool:
    """Which clause of which document: the answer names the heading path."""
    return any(normalize(word) in reading.text for word in _CLAUSE)  # 哪一条 reads 哪1条


def _names_document(reading: Reading, passage: Passage, idf: IDF, words: list[str]) -> bool:
    """Does the question name this passage's document (its title, 文号 or
    date), so that a question about its metadata is about this one? A
    single year it names must be the document's (the 2023 policy is not
    the 2022 one a question asks the 文号 of)."""
    context = context_of(passage)
    if len(reading.years) == 1 and str(reading.years[0]) not in context:
        return False
    total = sum(idf(w) for w in words) or 1.0
    return sum(idf(w) for w in words if w in context) / total >= _NAMES_DOCUMENT


# Kinds a document's metadata itself provides (its 文号, issuer, date).
_METADATA_KINDS = {"doc_number", "who", "date", "figure"}  # 编号是多少: the number is the field
_QUESTION_WORD = re.compile(r"哪|什么|几|多少|怎|谁|吗")
_CITED_TITLE = re.compile(r"《([^》]{2,80})》")
_ABOUT_CITED = 0.8  # this share of the words a quote shares with the question in a title it cites: asked about that document
_CITING = re.compile(r"(根据|依据|按照|依照|参照|贯彻|落实)[^。;；]{0,3}《")  # 根据《…》等文件精神: cited as a basis
# Words of what is certified that say nothing about which certification it is.
_GENERIC = {"企业", "单位", "项目", "公司", "机构", "中心", "市级", "省级", "国家级", "年度", "第一批", "第二批", "一批",
            "全省", "全市", "全区", "全国", "一共", "累计", "当年", "今年", "去年"}


def _kind_words(reading: Reading, choice: Choice, top: list[Passage], weights: dict[str, float]) -> float:
    """Share of the question's word weight in the best chosen sentence that
    also holds every asked kind of figure (with its heading): a sum next to
    the words asked about, not a sum in one sentence and the words in another."""
    total = sum(weights.values()) or 1.0
    holding = [s for s in choice.sentences if all(provides(s.norm, k) for k in reading.kinds)]
    texts = [(s.norm + normalize(top[s.passage_rank].chunk.section)).lower() for s in holding]
    return max((sum(w for t, w in weights.items() if t in text) / total for text in texts), default=0.0)


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


def _embedding_cache(settings: Settings) -> EmbeddingCache | None:
    try:
        return EmbeddingCache(settings.embedding_cache)
    except (OSError, sqlite3.Error):
        return None


def _llm_from_env() -> AnswerModel | None:
    """An LLMClient when an endpoint is configured; the LLM stack (about a
    second to import) is loaded only then."""
    config = LLMConfig.from_env()
    if not config.enabled:
        return None
    from .llm import LLMClient

    return LLMClient(config)

