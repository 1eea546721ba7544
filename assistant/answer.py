"""Extractive answers: the sentences of the retrieved passages that answer
the question, quoted verbatim with inline [n] markers, no LLM.

Sentences are scored by the question words they contain (weighted by how
rare the word is in the index), by whether they hold what the question
asks for (a figure for 多少, a date for 什么时候, a body for 哪个部门), and
by the rank of their passage. The answer names the issuing body and date of
its main source, so that 今年 in a 2022 reply is not read as this year.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .chunking import paragraphs
from .documents import Answer, Citation
from .keyword import coverage, tokenize
from .retrieval import Passage

_SENTENCE = re.compile(r"[^。！？；!?;]+(?:[。！？；!?;]+[”’」』）)]*)?")
_SENTENCE_END = tuple("。！？；!?;”’」』）)")
# Lines that never answer anything: a bare signature date, an attachment name.
_BOILERPLATE = re.compile(r"^(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|附件[:：].*)$")
_ASKS_NUMBER = re.compile(r"多少|几|比例|百分|金额|额度|多大|最高|上限|标准|增速|增长|资金|补助|补贴|奖励|资助|规模|总额|数量")
_ASKS_DATE = re.compile(r"什么时候|何时|哪天|哪一天|截止|日期|时间|哪年|几月|期限|多久")
_ASKS_WHO = re.compile(r"哪个部门|哪个单位|哪家|谁|由谁|哪位|什么部门|什么单位|哪里|联系")
_HAS_NUMBER = re.compile(r"\d|[一二三四五六七八九十百千万亿]+(?:万|亿)?元|%")
_HAS_DATE = re.compile(r"\d{4}\s*年|\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}-\d{2}-\d{2}")
_ASKS_PERSON = re.compile(r"谁|哪位|联系人|找谁")
_HAS_PERSON = re.compile(r"联系人|市长|代表[:：]|代表在|代表$|局长|主任")
_HAS_BODY = re.compile(r"(局|厅|政府|办公室|委员会|管委会|中心|平台|代表|市长|联系人|电话)")
# What a question asks for, and what a sentence must hold to answer it.
ASKED_KINDS = {
    "money": (
        re.compile(r"多少钱|多少资金|(奖励|奖|补助|补|资助|给|扶持|补贴|支持|拿)多少|多少(奖励|补助|资助|补贴|经费)|(奖励|补助|资助|补贴)标准|收费"),
        re.compile(r"\d[\d.,]*\s*(万|亿)?元"),
    ),
    "date": (
        re.compile(r"什么时候|何时|哪天|哪一天|截止|几号|几月|哪个月"),
        re.compile(r"\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}-\d{2}-\d{2}|\d{4}\s*年\s*\d{1,2}\s*月"),
    ),
    "count": (
        re.compile(r"多少家|几家|多少个|几个|多少户|多少项|多少名|几名"),
        re.compile(r"[\d一二两三四五六七八九十百千]+\s*(余|多)?\s*(家|个|户|项|名)"),
    ),
    "percent": (
        re.compile(r"比例|比重|百分之|多少%|增速|增长了多少|涨了多少|强度"),
        re.compile(r"%|％|百分点"),
    ),
}
_RELATIVE_TIME = re.compile(r"今年|去年|明年|本年度|当年|近年来|目前|下步|下一步|近两年")


@dataclass
class Sentence:
    passage_rank: int  # 0 = best passage
    start: int  # offset in the chunk text
    end: int
    text: str
    score: float = 0.0  # coverage plus bonuses for what the question asks and passage rank
    coverage: float = 0.0  # share of the question's word weight in this sentence
    truncated: bool = False  # cut off where an excerpt (节选) stops
    usable: bool = True  # False for truncated and boilerplate lines


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans in ``text``, within its logical paragraphs (so a PDF
    line break does not cut a sentence, and page furniture is skipped)."""
    spans = []
    for para in paragraphs(text):
        for match in _SENTENCE.finditer(text, para.start, para.end):
            piece = match.group(0)
            lead = len(piece) - len(piece.lstrip())
            body = piece.strip()
            if len(body) >= 4:
                spans.append((match.start() + lead, match.start() + lead + len(body)))
    return spans


def score_sentences(question: str, passages: list[Passage], idf) -> list[Sentence]:
    q_tokens = set(tokenize(question))
    asks_number, asks_date, asks_who, asks_person = (
        bool(p.search(question)) for p in (_ASKS_NUMBER, _ASKS_DATE, _ASKS_WHO, _ASKS_PERSON)
    )
    scored = []
    for rank, passage in enumerate(passages):
        chunk = passage.chunk
        spans = split_sentences(chunk.text)
        for start, end in spans:
            sentence = chunk.text[start:end]
            share = coverage(q_tokens, sentence, idf)
            bonus = 0.0
            bonus += 0.3 if asks_number and _HAS_NUMBER.search(sentence) else 0.0
            bonus += 0.4 if asks_date and _HAS_DATE.search(sentence) else 0.0
            bonus += 0.3 if asks_who and _HAS_BODY.search(sentence) else 0.0
            bonus += 0.5 if asks_person and _HAS_PERSON.search(sentence) else 0.0
            prior = 0.3 / (1 + rank)
            truncated = (
                chunk.meta.is_excerpt and chunk.last and (start, end) == spans[-1]
                and not sentence.endswith(_SENTENCE_END)
            )
            usable = not truncated and not _BOILERPLATE.match(sentence)
            scored.append(Sentence(rank, start, end, sentence, share + bonus + prior, share, truncated, usable))
    return sorted(scored, key=lambda s: -s.score)


# "When was it issued / answered": the lead of every answer names the date.
_ASKS_DOC_DATE = re.compile(r"(印发|发布|答复|成文|落款|发文|出台)[^？?]{0,8}(哪天|什么时候|何时|日期|时间)|(哪天|什么时候|何时)[^？?]{0,8}(印发|发布|答复|成文|出台)")


_ASKS_ANY_FIGURE = re.compile(r"多少|几")
_YEAR = re.compile(r"\d{4}\s*年(度)?")
_ASKS_IDENTITY = re.compile(r"什么文件|哪个文件|全名|标题|叫什么|名称|文件名")


def asked_kinds(question: str) -> list[str]:
    """What the question asks for: money, date, count, percent, or failing
    those any figure (多少/几)."""
    kinds = [kind for kind, (asks, _) in ASKED_KINDS.items() if asks.search(question)]
    if "date" in kinds and _ASKS_DOC_DATE.search(question):
        kinds.remove("date")
    if not kinds and _ASKS_ANY_FIGURE.search(question) and not _ASKS_DOC_DATE.search(question):
        kinds.append("figure")
    return kinds


def provides(text: str, kind: str) -> bool:
    if kind == "figure":  # a figure other than a year
        return bool(re.search(r"\d|[两三四五六七八九十百千]+\s*[家个户项名期类条]", _YEAR.sub("", text)))
    return bool(ASKED_KINDS[kind][1].search(text))


def asks_identity(question: str) -> bool:
    """Questions about which document it is: the answer leads with its title."""
    return bool(_ASKS_IDENTITY.search(question))


def select_sentences(
    candidates: list[Sentence], pool: list[Sentence] | None = None, budget: int = 240
) -> list[Sentence]:
    """The best sentence, plus others nearly as good, within the budget; a
    short heading-like sentence brings the sentence after it from ``pool``."""
    if not candidates:
        return []
    best = candidates[0]
    chosen = [_trim(best, budget)]
    for sentence in candidates[1:6]:
        if sentence.score >= best.score * 0.75 and _used(chosen) + len(sentence.text) <= budget:
            chosen.append(sentence)
    for sentence in list(chosen):
        follow = _next_sentence(sentence, pool or candidates)
        if len(sentence.text) < 25 and follow and follow not in chosen and _used(chosen) + len(follow.text) <= budget:
            chosen.append(follow)
    return sorted(chosen, key=lambda s: (s.passage_rank, s.start))


def _used(chosen: list[Sentence]) -> int:
    return sum(len(s.text) for s in chosen)


def _next_sentence(sentence: Sentence, pool: list[Sentence]) -> Sentence | None:
    after = [s for s in pool if s.passage_rank == sentence.passage_rank and s.start >= sentence.end]
    return min(after, key=lambda s: s.start) if after else None


def _trim(sentence: Sentence, budget: int) -> Sentence:
    """Cut an over-long sentence to its first clauses (still verbatim)."""
    if len(sentence.text) <= budget:
        return sentence
    cut = sentence.text.rfind("，", 0, budget)
    cut = cut + 1 if cut > budget // 2 else budget
    return Sentence(
        sentence.passage_rank, sentence.start, sentence.start + cut, sentence.text[:cut], sentence.score, sentence.coverage
    )


def compose(question: str, passages: list[Passage], chosen: list[Sentence]) -> Answer:
    """Answer text with [n] markers, and one citation per cited passage."""
    numbers: dict[int, int] = {}
    spans: dict[int, tuple[int, int]] = {}
    parts = []
    for sentence in chosen:
        n = numbers.setdefault(sentence.passage_rank, len(numbers) + 1)
        start, end = spans.get(sentence.passage_rank, (sentence.start, sentence.end))
        spans[sentence.passage_rank] = (min(start, sentence.start), max(end, sentence.end))
        parts.append(f"{sentence.text}[{n}]")
    citations = [_citation(n, passages[rank], *spans[rank]) for rank, n in numbers.items()]
    lead = _lead(citations[0], with_title=asks_identity(question)) if citations else ""
    notes = _notes(citations, chosen, numbers)
    text = lead + "".join(parts) + ("\n" + notes if notes else "")
    return Answer(question=question, text=text, citations=citations)


def _citation(n: int, passage: Passage, start: int, end: int) -> Citation:
    chunk = passage.chunk
    return Citation(
        n=n,
        chunk_id=chunk.id,
        source=chunk.source,
        title=chunk.meta.title,
        issuer=chunk.meta.issuer,
        date=chunk.meta.date,
        section=chunk.section,
        quote=chunk.text[start:end],
        score=round(passage.score, 4),
        page=chunk.page,
        is_excerpt=chunk.meta.is_excerpt,
        chunk_start=chunk.start,
        quote_start=chunk.start + start,
    )


def cn_date(date: str) -> str:
    parts = date.split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return f"{int(parts[0])}年{int(parts[1])}月{int(parts[2])}日"
    return f"{date}年" if date.isdigit() else date


def _lead(citation: Citation, with_title: bool = False) -> str:
    who = citation.issuer.split("(")[0].split("（")[0]
    if with_title:
        return f"据{who}{cn_date(citation.date)}发布的《{citation.title}》："
    return f"据{who}{cn_date(citation.date)}发布的文件：" if who or citation.date else ""


def _notes(citations: list[Citation], chosen: list[Sentence], numbers: dict[int, int]) -> str:
    notes = []
    for citation in citations:
        rank = next(r for r, n in numbers.items() if n == citation.n)
        texts = "".join(s.text for s in chosen if s.passage_rank == rank)
        relative = _RELATIVE_TIME.search(texts)
        if relative and citation.date[:4].isdigit():
            notes.append(f"[{citation.n}]成文于{cn_date(citation.date)}，文中“{relative.group(0)}”以该日期为准")
        if citation.is_excerpt:
            notes.append(f"[{citation.n}]为节选文本")
    return "（注：" + "；".join(notes) + "。）" if notes else ""


def extract_answer(
    question: str, query: str, passages: list[Passage], idf, min_coverage: float, max_chars: int = 300
) -> Answer | None:
    """The quoted answer from ``passages``, or None when they do not hold it.

    None when: the best-matching sentence is cut off where an excerpt stops;
    the question asks for a sum, date, count or share and no sentence about
    the same thing holds one; the question names a year the sources do not;
    or the quoted passage lacks most of the question's distinctive words
    (``min_coverage`` of their IDF weight). ``query`` is the question made
    self-contained (follow-ups); ``question`` decides what kind of answer fits.
    """
    tokens = set(tokenize(query))

    def grounded(sentence: Sentence) -> bool:
        return coverage(tokens, passages[sentence.passage_rank].chunk.embed_text, idf) >= min_coverage

    scored = score_sentences(query, passages, idf)
    if not scored or scored[0].truncated:
        return None
    usable = [s for s in scored if s.usable]
    budget = max_chars - 60  # room for the lead and notes
    chosen = select_sentences(usable, usable, budget)
    best_coverage = max(s.coverage for s in scored)
    for kind in asked_kinds(question):
        if any(provides(s.text, kind) for s in chosen):
            continue
        fitting = [s for s in usable if provides(s.text, kind) and s.coverage >= 0.6 * best_coverage and grounded(s)]
        if not fitting:
            return None
        chosen = select_sentences(fitting, usable, budget)
    if not chosen or not grounded(chosen[0]) or not _years_match(question, passages, chosen):
        return None
    return compose(question, passages, chosen)


def _years_match(question: str, passages: list[Passage], chosen: list[Sentence]) -> bool:
    """A year named in the question must appear in the quoted passage or its
    document's date or title."""
    years = set(re.findall(r"(20\d\d)\s*年", question))
    context = "".join(passages[s.passage_rank].chunk.embed_text for s in chosen)
    return all(y in context for y in years)


def llm_citations(text: str, passages: list[Passage], cited: list[int], idf) -> list[Citation]:
    """For each passage number an LLM answer cites, quote the passage's
    sentence closest to the answer."""
    citations = []
    for n in cited:
        passage = passages[n - 1]
        best = score_sentences(text, [passage], idf)
        start, end = (best[0].start, best[0].end) if best else (0, len(passage.chunk.text))
        citations.append(_citation(n, passage, start, end))
    return citations


def refusal(question: str, contact: str) -> Answer:
    text = "抱歉，现有政策文件中没有找到能回答这个问题的内容，为避免误导不作推测。"
    if contact:
        text += f"建议咨询{contact}。"
    return Answer(question=question, text=text, refused=True)
