"""Extractive answers: the sentences of the retrieved passages that answer
the question, quoted verbatim with inline [n] markers, no LLM.

The question is split into facets: its words (weighted by how rare they
are in the index), what kind of answer it asks for (a sum, a date, a
count, a share) and the years it names. The first sentence chosen is the
one that best covers them and is closest in meaning to the question; a
further sentence is quoted only when it covers a facet the chosen ones do
not (the other year of a comparison, the second half of a two-part
question), so nothing is quoted that answers nothing asked.

Each source is named with its issuer and date where it is quoted, so that
今年 in a 2022 reply is not read as this year; notes say when a source is
an excerpt, a one-off announcement, or a deadline has passed.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial

from cn2an import an2cn

from .decision import LinearModel
from .documents import Answer, Citation
from .normalize import normalize
from .reading import ASKED_KINDS, DOC_NUMBER, Reading, asks_cited, provides
from .retrieval import Passage
from .sentences import Sentence
from .versions import Supersession

IDF = Callable[[str], float]
_HEADING_LIKE = 25  # a sentence this short (一、…。) brings the sentence after it
_KIND_WEIGHT = 1.5  # an asked kind weighs as much as this many average words
_YEAR_WEIGHT = 3.0  # a named year this many: a comparison's other year must be quoted
# An amount a question states, not a bound it asks about (60万元, not 50万元以上), and
# the words saying it falls short of one (不到50万).
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*[来多余几]?\s*(万|亿)")  # 30来万: about 30万
_SHORT_OF = re.compile(r"(不到|不足|低于|少于|未满|未达到?|没到|没有到|没达到)\s*$")
# 50万元(含)以上 / 50万元以下 / 15%以上: a figure and the side of it a rule covers.
_BOUND = re.compile(r"(\d+(?:\.\d+)?)\s*(万|亿)?(?:元)?(%)?\s*(?:\(含\))?\s*及?(以上|以下|以内)")
# A threshold passed or neared, not the figure itself: 突破2000亿元, 超过“千亿”.
_PASSED = re.compile(r"(突破|超过|超|逾|接近|近)\s*[“\"]?\s*\d[\d.,]*\s*(万|亿)?\s*[”\"]?\s*(元)?")
_NAMED_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?=年)")
_CITED_TITLE = re.compile(r"《[^》]*》")
_MIN_GAIN = 0.12  # a further sentence must cover this share of the facets' weight
_MIN_FIT = 0.2  # … and be this likely to answer, by the sentence model
_OTHER_SOURCE = 0.7  # a sentence of another document counts this much of its gain
_PART_DONE = 0.6  # a sub-question is answered when one chosen sentence covers this share of it
_YEAR_CLOSE = 0.05  # a sentence for another year of a comparison: its similarity at most this below the best's
# A sentence for another thing compared (综合体和联合体由谁牵头): saying this share of what the best
# says, since the words asked are shared between the two (主导 is said of one, 引导 of the other).
_THING_SHARE = 0.75
_PART_ENOUGH = 0.5  # a sentence added for a sub-question must cover this share of it
_RELATIVE_TIME = re.compile(r"今年|去年|明年|本年度|当年|近年来|目前|下步|下一步|近两年")
_DEADLINE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日[^。；]{0,12}?(截止|前|之前|止)|截止(时间|日期)?(为|至|到)?\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
# Lines of a document's head that answer nothing: its addressees, its bare
# 文号, and the web page's information block (发布日期:… 信息来源:…), whose
# facts the metadata answers give.
_ADDRESSEES = re.compile(r"\s*(?:[^\n。]*\n\s*)?各[^。；;\n]{1,200}[:：]\s*$")  # 各有关单位:, maybe under the title line
_SALUTATION = re.compile(r"\s*[\u4e00-\u9fff]{2,4}(代表|委员|同志|先生|女士)\s*[:：]\s*$")
_CONTACT_LINE = re.compile(r"\s*(联系(人|电话|方式|地址|邮箱)|(通讯)?地址|邮编|邮政编码|传真|咨询电话)\s*[:：]")
_CONTACT_SPAN = 80  # characters between lines of one contact block
# The cover letter's sentence sending a text out: it names the document and says nothing of its content.
_TRANSMITTAL = re.compile(r"现印发给你们|现予印发|现将[^。]{0,30}印发给你们")
_PAGE_INFO = re.compile(r"(发文单位|发文日期|发布日期|信息来源|分享到)\s*[:：]")
# Words a question and a document use for the same thing (需要满足哪些条件 / 二、申报要求).
_ALIKE = {"条件": ("要求", "资格"), "要求": ("条件",), "资格": ("条件",)}
# A question asking for a cap (最多, 封顶, 总共最多) and what states one (不超过, 最高, 合计).
_ASKS_CAP = re.compile(r"最多|最高|封顶|上限|顶格|总共|合计|累计")
_CAP_SAID = re.compile(r"不超过|最高|上限|封顶|合计|为限|总额不")
# A numbered list item (1、 2. (3)), and questions asking for several things.
_LIST_ITEM = re.compile(r"\s*(?:\d{1,2}\s*[、.．](?!\d)|[(（]\d{1,2}[)）])")
_ASKS_MANY = re.compile(r"哪些|哪几|几类|几种|几个方面|几项|(什么|啥)[\u4e00-\u9fff]{0,2}?(条件|要求|资格)|条件是(什么|啥)|哪方面"
                        r"|(符合|满足|够)[\u4e00-\u9fff]{0,2}?(条件|要求|资格)(吗|么|不|没有|嘛)")
# What a question asking for a list lists (需要满足哪些条件: 条件), when it is one a section heading names.
# 什么硬性要求; 符合条件吗 (asked of a situation) wants the conditions too
_LISTED = re.compile(r"(?:哪些|哪几[个项类种]?|什么|啥)[\u4e00-\u9fff]{0,2}?(条件|要求|资格|材料)"
                     r"|(?:符合|满足|够)[\u4e00-\u9fff]{0,2}?(条件|要求|资格)(?=吗|么|不|没有|嘛)")
_REVIEW = re.compile(r"回顾|成就|主要工作")
_ONE_OFF = re.compile(r"公示|名单|拟认定|拟入选")


@dataclass(frozen=True)
class Facet:
    """Something the question asks that a quoted sentence can cover: a word
    (``w:``), an asked kind of figure (``k:``), a year (``y:``) or a cap
    (``c:cap``, for 最多/封顶: a sentence stating 不超过 or 最高)."""

    key: str
    weight: float


@dataclass
class Choice:
    """The sentences chosen to answer, and how well they cover the question."""

    sentences: list[Sentence]
    coverage: float = 0.0  # share of the facets' weight covered
    kinds_ok: bool = True  # every asked kind of figure is in a chosen sentence
    missing_top: float = 0.0  # weight of the heaviest uncovered word / heaviest word
    fit: float = 0.0  # the sentence model's probability for the first sentence
    uncovered: list[str] = field(default_factory=list)


def facets(reading: Reading, words: list[str], idf: IDF) -> list[Facet]:
    """The question's facets; a year that only names a work report (2023年
    政府工作报告里，2022年…) is not one of the years asked about."""
    year_words = {str(y) for y in reading.years}
    out = [Facet(f"w:{w}", idf(w)) for w in dict.fromkeys(words) if w not in year_words and idf(w) > 0]
    mean = sum(f.weight for f in out) / len(out) if out else 1.0
    out += [Facet(f"k:{kind}", _KIND_WEIGHT * mean) for kind in reading.kinds]
    asked = [y for y in reading.years if y not in reading.report_years] or reading.years
    out += [Facet(f"y:{year}", _YEAR_WEIGHT * mean) for year in asked]
    out += [Facet("c:cap", mean)] if _ASKS_CAP.search(reading.text) else []
    return out


def context_of(passage: Passage) -> str:
    """The normalised title, date and heading path of a passage's document;
    a government work report, delivered early in a year, reviews the year
    before, so that year is part of its context too."""
    meta = passage.chunk.meta
    reviewed = str(meta.year - 1) if meta.doc_type == "工作报告" and meta.year else ""
    return normalize(" ".join((meta.title, meta.date[:4], reviewed, meta.doc_number, passage.chunk.section)))


def years_reported(passage: Passage) -> str:
    """The context a comparison's year is read from: the passage's own
    context, except that a work report's review (一、2022年工作回顾) speaks
    of the reviewed year only, not of the year it was delivered in."""
    meta = passage.chunk.meta
    if meta.doc_type == "工作报告" and meta.year and _REVIEW.search(passage.chunk.section):
        return normalize(f"{meta.year - 1} {passage.chunk.section}")
    return context_of(passage)


def reported_years(reading: Reading, passages: list[Passage]) -> dict[int, str]:
    """Per passage rank, the context a year the question asks about is
    read from: ``years_reported``, or the whole context of a work report
    the question names by its year (2023年政府工作报告)."""
    return {i: context_of(p) if p.chunk.meta.year in reading.report_years else years_reported(p)
            for i, p in enumerate(passages)}


def reports_earlier_years(text: str, year: str) -> bool:
    """Does the (normalised) sentence name only years before ``year``
    (2021年全市实现… for a question about 2022)? It reports on those. One
    that also speaks of 今年 speaks of its own document's year as well; a
    year in the title of a document it cites (参照《关于…2024年度…的通知》)
    dates that document only."""
    named = _NAMED_YEAR.findall(_CITED_TITLE.sub("", text))
    return bool(named) and all(found < year for found in named) and "今年" not in text


def covers(facet: Facet, sentence: Sentence, context: str) -> float:
    """1 when the sentence holds the facet, 0.5 when only its document's
    title or heading does (words), 0 otherwise."""
    kind, _, value = facet.key.partition(":")
    if kind == "c":
        return 1.0 if _CAP_SAID.search(sentence.norm) else 0.0
    if kind == "k":
        return 1.0 if provides(sentence.norm, value) else 0.0
    if kind == "y":
        if reports_earlier_years(sentence.norm, value):
            return 0.0
        return 1.0 if value in sentence.norm or value in context else 0.0
    alike = (value, *_ALIKE.get(value, ()))
    if any(v in sentence.norm.lower() for v in alike):
        return 1.0
    return 0.5 if any(v in context.lower() for v in alike) else 0.0


@dataclass
class Candidates:
    """The question's facets and every candidate sentence with its features."""

    wanted: list[Facet]
    contexts: dict[int, str]
    sentences: list[Sentence]
    reported: dict[int, str] = field(default_factory=dict)  # passage rank → years_reported
    parts: list[list[Facet]] = field(default_factory=list)  # each sub-question's own facets
    bounds: dict[str, set[str]] = field(default_factory=dict)  # figures the question bounds (see ``bounds``)
    compared: list[str] = field(default_factory=list)  # the word naming each thing compared (see ``distinguishing``)
    many: bool = False  # the question asks for several things (哪些条件, 分哪几类): a list is quoted whole
    listed: Facet | None = None  # the word for what such a list is of (条件), see ``_LISTED``
    headed: dict[tuple[int, int], str] = field(default_factory=dict)  # (rank, start) → its numbered item's heading
    names: list[str] = field(default_factory=list)  # programme names the question uses (“3+3”): the answer names them
    reports: dict[int, int] = field(default_factory=dict)  # passage rank → year of the work report the question names

    @cached_property
    def closest(self) -> float:
        """The highest similarity of any candidate sentence."""
        return max((s.similarity for s in self.sentences), default=0.0)

    @property
    def total(self) -> float:
        return sum(f.weight for f in self.wanted) or 1.0

    def gain(self, sentence: Sentence, done: dict[str, float] | None = None, wanted: list[Facet] | None = None) -> float:
        done, wanted = done or {}, wanted if wanted is not None else self.wanted
        total = sum(f.weight for f in wanted) or 1.0
        return sum(f.weight * max(0.0, self.covers(f, sentence) - done.get(f.key, 0.0)) for f in wanted) / total

    def covers(self, facet: Facet, sentence: Sentence) -> float:
        """``covers`` in the sentence's context; a year in the years its
        passage reports (a work report's review: the year reviewed only)."""
        rank = sentence.passage_rank
        context = self.reported.get(rank, self.contexts[rank]) if facet.key.startswith("y:") else self.contexts[rank]
        return covers(facet, sentence, context)

    def features(self, sentence: Sentence, passage: Passage) -> list[float]:
        """SENTENCE_FEATURES of one sentence (see decision.py)."""
        context = self.contexts[sentence.passage_rank]
        words = [f for f in self.wanted if f.key.startswith("w:")]
        kinds = [f for f in self.wanted if f.key.startswith("k:")]
        years = [f for f in self.wanted if f.key.startswith("y:")]
        word_weight = sum(f.weight for f in words) or 1.0
        return [
            sentence.similarity,
            sentence.similarity - self.closest,
            self.gain(sentence),
            sum(f.weight for f in words if covers(f, sentence, "") == 1.0) / word_weight,
            sum(covers(f, sentence, context) for f in kinds) / len(kinds) if kinds else 1.0,
            1.0 if all(covers(f, sentence, context) for f in years) else 0.0,
            1.0 / (1 + sentence.passage_rank),
            passage.dense or 0.0,
            math.log(max(len(sentence.text), 1)),
            1.0 if len(sentence.text) < _HEADING_LIKE else 0.0,
        ]


def candidates(reading: Reading, passages: list[Passage], sentences: list[Sentence], idf: IDF,
               words: list[str], model: LinearModel, part_words: list[list[str]] | None = None,
               names: Sequence[str] = ()) -> Candidates:
    """The facets of the question (and of each of its parts, given by their
    words), and each sentence scored by ``model``."""
    parts = [_part_facets(text, words_, idf) for text, words_ in zip(reading.parts, part_words or [])]
    found = Candidates(facets(reading, words, idf), {i: context_of(p) for i, p in enumerate(passages)}, sentences,
                       reported_years(reading, passages), [p for p in parts if p], names=list(names),
                       reports={i: p.chunk.meta.year for i, p in enumerate(passages)
                                if p.chunk.meta.year in reading.report_years})
    if names:  # a name may be said by the heading of the numbered item a sentence belongs to
        found.headed = {(s.passage_rank, s.start): normalize(_item_heading(passages[s.passage_rank].chunk.text, s))
                        for s in sentences}
    for sentence in sentences:
        sentence.fit = model.probability(found.features(sentence, passages[sentence.passage_rank]))
    for sentence in _named_articles(reading, passages, sentences):
        sentence.fit = 1.0  # the article the question names by number is what it asks about
    about_document = reading.asks_metadata or reading.asks_source
    for sentence in sentences:
        if _ADDRESSEES.match(sentence.norm) or DOC_NUMBER.fullmatch(sentence.norm.strip()) \
                or _PAGE_INFO.search(sentence.norm) or (_TRANSMITTAL.search(sentence.norm) and not about_document):
            sentence.usable = False  # 各有关单位:, 浙政发〔2018〕43号, 发布日期:… or 现印发给你们 answer nothing asked
    found.bounds = bounds(reading.text)
    found.compared = distinguishing(reading, words, idf)
    found.many = bool(_ASKS_MANY.search(reading.text))
    listed = _LISTED.search(reading.text)
    found.listed = next((f for f in found.wanted if listed and f.key == f"w:{listed.group(1) or listed.group(2)}"), None)
    for sentence in sentences:
        if _other_side(found.bounds, bounds(sentence.norm)):
            sentence.usable = False  # 50万元以下 when the question asks about 50万元以上
    _drop_sides_not_met(reading.text, sentences)
    return found


def _drop_sides_not_met(question: str, sentences: list[Sentence]) -> None:
    """A question stating an amount (申请资助60万元) is on one side of each
    bound the sentences state (50万元以上 / 50万元以下): a sentence for the
    other side is not its rule, when one for its side is there too."""
    amounts = [_amount(m) for m in _AMOUNT.finditer(question) if not _BOUND.match(question, m.start())]
    stated = {id(s): bounds(s.norm) for s in sentences if s.usable}
    for sentence in sentences:
        for figure, sides in stated.get(id(sentence), {}).items():
            value, unit = _figure(figure)
            held = {"above" if amount >= value else "below" for amount, u in amounts if u == unit}
            if len(held) == 1 and not sides & held and any(held & other.get(figure, set()) for other in stated.values()):
                sentence.usable = False


def _amount(match: re.Match[str]) -> tuple[float, str]:
    """An amount stated (60万 → 60), or just under one the question says
    it falls short of (不到50万 → 49.99)."""
    short = _SHORT_OF.search(match.string, 0, match.start()) is not None
    return float(match.group(1)) - (0.01 if short else 0.0), match.group(2)


def _figure(figure: str) -> tuple[float, str]:
    """50万 → (50.0, "万")."""
    unit = figure[-1] if figure[-1] in "万亿%" else ""
    return float(figure.rstrip("万亿%")), unit


def distinguishing(reading: Reading, words: list[str], idf: IDF) -> list[str]:
    """For each of two things compared (综合体, 联合体), its rarest word
    that the other's name lacks: what a sentence about it names."""
    things = reading.compared
    found = []
    for thing, other in zip(things, things[::-1]):
        own = [w for w in words if w in thing and w not in other and idf(w) > 0]
        found.append(max(own, key=idf) if own else thing)
    return found


def _mentions(word: str, sentence: Sentence) -> bool:
    return word.lower() in sentence.norm.lower()


def _mentions_only(word: str, others: list[str], sentence: Sentence) -> bool:
    return _mentions(word, sentence) and not any(_mentions(other, sentence) for other in others)


def bounds(text: str) -> dict[str, set[str]]:
    """The figures a (normalised) text bounds, each with the sides it
    takes: 资助总额在50万元(含)以上 → {"50万": {"above"}}."""
    found: dict[str, set[str]] = {}
    for number, multiplier, percent, side in _BOUND.findall(text):
        found.setdefault(number + multiplier + percent, set()).add("above" if side == "以上" else "below")
    return found


def _other_side(asked: dict[str, set[str]], stated: dict[str, set[str]]) -> bool:
    """Does the sentence bound a figure the question bounds, only on the other side?"""
    return any(figure in asked and not sides & asked[figure] for figure, sides in stated.items())


def _named_articles(reading: Reading, passages: list[Passage], sentences: list[Sentence]) -> list[Sentence]:
    """The sentences of the best passage's document that open an article the
    question names (第三条 or 三、 for 第三条)."""
    if not reading.articles or not passages:
        return []
    source = passages[0].chunk.source
    openings = tuple(o for n in reading.articles for o in (f"第{n}条", f"{an2cn(n)}、"))
    return [s for s in sentences if s.usable and passages[s.passage_rank].chunk.source == source
            and s.norm.lstrip().startswith(openings)]


def _part_facets(text: str, words: list[str], idf: IDF) -> list[Facet]:
    kinds = [kind for kind, (asks, _) in ASKED_KINDS.items() if asks.search(text)]
    if asks_cited(text) and "doc_number" not in kinds:
        kinds.append("doc_number")  # 补充的是哪个文件: the sentence naming it with its 文号
    heaviest = max((idf(w) for w in words), default=1.0)
    return [Facet(f"w:{w}", idf(w)) for w in dict.fromkeys(words) if idf(w) > 0] + [
        Facet(f"k:{k}", heaviest) for k in kinds
    ] + ([Facet("c:cap", heaviest)] if _ASKS_CAP.search(text) else [])


def choose(found: Candidates, budget: int) -> Choice | None:
    """The sentences that answer, best first; None when no sentence is usable.

    The best sentence by the sentence model comes first; a further sentence
    is added only when it covers facets the chosen ones do not, preferring
    the first sentence's own document."""
    usable = [s for s in found.sentences if s.usable]
    if not usable:
        return None
    best = max(_naming_what_is_asked(found, _of_what_is_listed(found, usable)), key=lambda s: (s.fit, -s.passage_rank))
    chosen = [_trim(best, budget)]
    for _ in range(3):
        done = _covered(found, chosen)
        rest = [s for s in usable if s not in chosen and _fits(found, chosen, s, budget, done)
                and (s.fit >= _MIN_FIT or _brings_kind(found, s, done))]
        scored = [(found.gain(s, done) * _source_factor(found, s, best, done), s) for s in rest]
        if not scored:
            break
        gain, follow = max(scored, key=lambda pair: (pair[0], pair[1].fit))
        if gain < _MIN_GAIN:
            break
        chosen.append(follow)
    chosen += _answer_each_part(found, chosen, usable, budget)
    chosen += _answer_each_aspect(found, chosen, usable, budget)
    chosen += _headings_bring_next(found, chosen, budget)
    chosen += _contact_block(found, chosen, budget)
    chosen = _salutation(found, chosen, usable) + chosen
    if found.many:
        chosen += _whole_lists(chosen, usable, budget)
    return _choice(found, chosen, best.fit)


def _of_what_is_listed(found: Candidates, usable: list[Sentence]) -> list[Sentence]:
    """For 需要满足哪些条件, the sentences about conditions, in their own
    words or their section's (二、申报要求), when any are: a heading of
    another section (三、依托单位主要职责) that shares the topic answers
    nothing asked."""
    listed = found.listed
    if listed is None:
        return usable
    return [s for s in usable if found.covers(listed, s) > 0] or usable


def _naming_what_is_asked(found: Candidates, usable: list[Sentence]) -> list[Sentence]:
    """The sentences naming, or under a heading or numbered item naming, every programme the
    question names (“3+3”产业项目, not the 一般类 clause beside it), when
    any do: an answer not naming them is refused."""
    naming = [s for s in usable if all(n in s.norm or n in found.contexts[s.passage_rank]
                                       or n in found.headed.get((s.passage_rank, s.start), "") for n in found.names)]
    return naming or usable


def _answer_each_part(found: Candidates, chosen: list[Sentence], usable: list[Sentence], budget: int) -> list[Sentence]:
    """For each sub-question the chosen sentences leave mostly unanswered,
    the sentence that answers most of it, if one answers at least half; for
    one whose figure or cap (合计不超过10万元) the sentences answering it
    lack, the sentence of their passage that states it."""
    extra: list[Sentence] = []
    for part in found.parts:
        have = chosen + extra
        needed = [f for f in part if f.key.startswith(("k:", "c:"))]  # the figure or cap it asks for
        plain = [f for f in part if not f.key.startswith("c:")]  # a cap said of another part answers nothing here
        answered = [s for s in have if found.gain(s, wanted=plain) >= _PART_ENOUGH]
        lacking = [f for f in needed if not any(found.covers(f, s) for s in answered or have)]
        own = _own_words(found, part)
        if max(found.gain(s, wanted=plain) for s in have) >= _PART_DONE and not lacking \
                and (not own or max(found.gain(s, wanted=own) for s in have) >= _PART_ENOUGH):
            continue
        covered = _covered(found, have)  # a sub-question left unanswered is worth half the budget again
        rest = [s for s in usable if s not in have and _fits(found, have, s, _stretched(budget), covered)
                and (not lacking or any(found.covers(f, s) for f in lacking))]
        if lacking and answered:  # the cap of the clause answering it: in that clause's passage
            rest = [s for s in rest if s.passage_rank in {a.passage_rank for a in answered}]
        best = max(rest, key=lambda s: (found.gain(s, wanted=part), s.fit), default=None)
        words = [f for f in part if f.key.startswith("w:")]
        if best is not None and (found.gain(best, wanted=part) >= _PART_ENOUGH
                                 or (lacking and found.gain(best, wanted=words) > 0)):
            extra.append(best)
    return extra


def _own_words(found: Candidates, part: list[Facet]) -> list[Facet]:
    """The words of a sub-question no other sub-question has (省数商 in
    …列入省数商的企业又奖多少): a sentence answering another part may share
    the rest (列入, 企业, 奖励) without answering this one."""
    if len(found.parts) < 2:
        return []
    others = {f.key for other in found.parts if other is not part for f in other}
    return [f for f in part if f.key.startswith("w:") and f.key not in others]


def _answer_each_aspect(found: Candidates, chosen: list[Sentence], usable: list[Sentence], budget: int) -> list[Sentence]:
    """For a comparison of years (2018年版和2021年版), of both sides of a
    figure (50万元以上和50万元以下) or of two things (综合体和联合体), the
    likeliest sentence about each year, side or thing the chosen ones
    leave out. A comparison without one of its sides answers nothing, so
    the sides together may use twice the budget."""
    years = [f for f in found.wanted if f.key.startswith("y:")]
    kinds = [f for f in found.wanted if f.key.startswith("k:")]

    def says(s: Sentence) -> bool:
        return all(covers(f, s, "") for f in kinds)

    # Each aspect: what makes a sentence about it, and what makes it state the figure asked of it.
    aspects: list[tuple[Callable[[Sentence], bool], Callable[[Sentence], bool]]] = []
    reports = sorted(set(found.reports.values()))
    if len(reports) > 1:  # work reports named by their years (2022年、2023年两份报告): a sentence of each
        aspects += [(partial(_in_report, found, year), says) for year in reports]
    if len(years) > 1:
        aspects += [(partial(_about_year, found, year), partial(_says_of_year, year.key[2:], kinds))
                    for year in years if int(year.key[2:]) not in found.reports.values()]
    aspects += [(partial(_on_side, figure, side), says)
                for figure, sides in found.bounds.items() if len(sides) > 1 for side in sorted(sides)]
    def says_of_asked_time(s: Sentence) -> bool:  # a thing compared in 2022 is not answered from 2015
        return says(s) and (not years or any(_about_year(found, year, s) for year in years))

    # a thing compared: a sentence about it alone (one naming both is a lead, 第一条 listing them)
    things = [(partial(_mentions_only, word, [w for w in found.compared if w != word]), says_of_asked_time)
              for word in found.compared]
    extra: list[Sentence] = []
    close = chosen[0].similarity - _YEAR_CLOSE  # as near the question as the best: the same clause in the other year
    asked = [f for f in found.wanted if not f.key.startswith("y:")]
    as_full = found.gain(chosen[0], wanted=asked)  # …or saying as much of what is asked: the same figure in the other year
    least = min(_MIN_FIT, chosen[0].fit / 2) if kinds else _MIN_FIT  # …or, stating the figure asked, half as likely
    for (holds, stated), share in [(a, 1.0) for a in aspects] + [(t, _THING_SHARE) for t in things]:
        have = chosen + extra
        if any(holds(s) and stated(s) for s in have):
            continue  # a sentence about it that holds the figure asked (not a lead naming it)
        rest = [s for s in usable if s not in have and _used(have) + len(s.text) <= 2 * budget
                and len(s.text) >= _HEADING_LIKE and holds(s) and stated(s)
                and (s.fit >= least or s.similarity >= close or found.gain(s, wanted=asked) >= share * as_full)]
        if rest:
            extra.append(max(rest, key=lambda s: found.gain(s) * s.fit))
    return extra


def _in_report(found: Candidates, year: int, sentence: Sentence) -> bool:
    return found.reports.get(sentence.passage_rank) == year


def _about_year(found: Candidates, year: Facet, sentence: Sentence) -> bool:
    return covers(year, sentence, found.reported[sentence.passage_rank]) == 1.0


def _says_of_year(year: str, kinds: list[Facet], sentence: Sentence) -> bool:
    """Does the sentence state the figure asked for this year? In a sentence
    naming several years, only its stretch from this year to the next one
    counts, and a threshold passed (突破2000亿元) is not the figure."""
    text = sentence.norm
    named = list(_NAMED_YEAR.finditer(text))
    at = next((i for i, m in enumerate(named) if m.group(1) == year), None)
    if len(named) > 1 and at is not None:
        end = named[at + 1].start() if at + 1 < len(named) else len(text)
        text = text[named[at].start():end]
    text = _PASSED.sub("", text)
    return all(provides(text, f.key[2:]) for f in kinds)


def _on_side(figure: str, side: str, sentence: Sentence) -> bool:
    return side in bounds(sentence.norm).get(figure, set())


def _brings_kind(found: Candidates, sentence: Sentence, done: dict[str, float]) -> bool:
    """Does the sentence hold an asked kind of figure the chosen ones lack
    (the phone number, the 责任单位)?"""
    context = found.contexts[sentence.passage_rank]
    return any(f.key.startswith("k:") and not done.get(f.key) and covers(f, sentence, context) for f in found.wanted)


def _source_factor(found: Candidates, sentence: Sentence, best: Sentence, done: dict[str, float]) -> float:
    """Another document's sentence counts less, unless it brings a named
    year the chosen ones lack (then another document is the point)."""
    if sentence.passage_rank == best.passage_rank:
        return 1.0
    new_year = any(f.key.startswith("y:") and not done.get(f.key) and found.covers(f, sentence) for f in found.wanted)
    return 1.0 if new_year else _OTHER_SOURCE


def _covered(found: Candidates, chosen: list[Sentence]) -> dict[str, float]:
    return {f.key: max(found.covers(f, s) for s in chosen) for f in found.wanted}


def _choice(found: Candidates, chosen: list[Sentence], fit: float) -> Choice:
    done = _covered(found, chosen)
    words = [f for f in found.wanted if f.key.startswith("w:")]
    heaviest = max((f.weight for f in words), default=0.0) or 1.0
    missing = [f for f in words if done.get(f.key, 0.0) == 0.0]
    ordered = sorted(chosen, key=lambda s: (s.passage_rank, s.start))
    return Choice(
        sentences=ordered,
        coverage=sum(f.weight * done.get(f.key, 0.0) for f in found.wanted) / found.total,
        kinds_ok=all(done.get(f.key, 0.0) > 0 for f in found.wanted if f.key.startswith("k:")),
        missing_top=max((f.weight for f in missing), default=0.0) / heaviest,
        fit=fit,
        uncovered=[f.key for f in found.wanted if done.get(f.key, 0.0) == 0.0],
    )


def _headings_bring_next(found: Candidates, chosen: list[Sentence], budget: int) -> list[Sentence]:
    """A short heading-like sentence (2.加大数字经济服务业培育力度。) brings
    the sentence after it, which holds the rule; when an excerpt cuts that
    one off, its whole clauses before the cut, unless a word asked is only
    in the clause the cut runs through."""
    extra: list[Sentence] = []
    for sentence in chosen:
        if len(sentence.text) >= _HEADING_LIKE:
            continue
        after = [s for s in found.sentences if s.passage_rank == sentence.passage_rank and s.start >= sentence.end]
        follow = min(after, key=lambda s: s.start) if after else None
        if follow is not None and follow.truncated:
            follow = clauses_before_cut(follow, [f.key[2:] for f in found.wanted if f.key.startswith("w:")])
        elif follow is not None and not follow.usable:
            follow = None
        if follow and follow not in chosen and follow not in extra and _used(chosen + extra) + len(follow.text) <= budget:
            extra.append(follow)
    return extra


def _salutation(found: Candidates, chosen: list[Sentence], usable: list[Sentence]) -> list[Sentence]:
    """For a question asking who, when a quoted sentence of a reply says
    您 (您与丁伯灿、陆桂芳代表…提出的): the reply's salutation (刘红星代表：)
    saying who 您 is."""
    if not any(f.key in ("k:who", "w:代表", "w:委员") for f in found.wanted):
        return []
    ranks = {s.passage_rank for s in chosen if s.norm.lstrip().startswith("您")}
    return [s for s in usable if s.passage_rank in ranks and s not in chosen and _SALUTATION.match(s.norm)][:1]


def _contact_block(found: Candidates, chosen: list[Sentence], budget: int) -> list[Sentence]:
    """The other lines of a contact block (联系人:… 联系电话:…) a chosen one
    belongs to: who to call and the number are read together."""
    extra: list[Sentence] = []
    for sentence in [s for s in chosen if _CONTACT_LINE.match(s.norm)]:
        block = [s for s in found.sentences if s.passage_rank == sentence.passage_rank and s.usable
                 and _CONTACT_LINE.match(s.norm) and abs(s.start - sentence.start) <= _CONTACT_SPAN]
        for line in sorted(block, key=lambda s: s.start):  # short lines read together
            if line not in chosen + extra and _used(chosen + extra) + len(line.text) <= _stretched(budget):
                extra.append(line)
    return extra


def _whole_lists(chosen: list[Sentence], pool: list[Sentence], budget: int) -> list[Sentence]:
    """The other items of a numbered list (1、… 2、… 3、…) one chosen
    sentence belongs to, in the same passage, as far as the budget allows:
    for a question asking for several things, one item is not the answer."""
    extra: list[Sentence] = []
    for sentence in [s for s in chosen if _LIST_ITEM.match(s.text)]:
        passage = sorted((s for s in pool if s.passage_rank == sentence.passage_rank), key=lambda s: s.start)
        at = next((i for i, s in enumerate(passage) if s.start == sentence.start), None)
        if at is None:
            continue
        run = _items_around(passage, at)
        for item in run:
            if item not in chosen and item not in extra and _used(chosen + extra) + len(item.text) <= budget:
                extra.append(item)
    return extra


def _items_around(passage: list[Sentence], at: int) -> list[Sentence]:
    """The contiguous list items before and after position ``at``."""
    start = at
    while start > 0 and _LIST_ITEM.match(passage[start - 1].text):
        start -= 1
    end = at
    while end + 1 < len(passage) and _LIST_ITEM.match(passage[end + 1].text):
        end += 1
    return passage[start:end + 1]


def _fits(found: Candidates, chosen: list[Sentence], sentence: Sentence, budget: int, done: dict[str, float]) -> bool:
    """Is there room for the sentence? One bringing a kind of figure asked
    that the chosen lack (the 5个工作日 after a long lead) may run over the
    budget by half: an answer missing it would be refused."""
    room = _stretched(budget) if _brings_kind(found, sentence, done) else budget
    return _used(chosen) + len(sentence.text) <= room


def _stretched(budget: int) -> int:
    """The budget for what an answer would be refused without: half again."""
    return budget + budget // 2


def _used(chosen: list[Sentence]) -> int:
    return sum(len(s.text) for s in chosen)


def _trim(sentence: Sentence, budget: int) -> Sentence:
    """Cut an over-long sentence to its first clauses (still verbatim)."""
    if len(sentence.text) <= budget:
        return sentence
    cut = sentence.text.rfind("，", 0, budget)
    cut = cut + 1 if cut > budget // 2 else budget
    text = sentence.text[:cut]
    return Sentence(sentence.passage_rank, sentence.start, sentence.start + cut, text, normalize(text),
                    similarity=sentence.similarity, fit=sentence.fit)


def clauses_before_cut(sentence: Sentence, words: Sequence[str], kinds: Sequence[str] = ()) -> Sentence | None:
    """The clauses of a sentence an excerpt cuts off that precede the clause
    the cut runs through (固定资产投资807.78亿元,年均增长22.2%, of …每年上一个
    百亿台), verbatim, when they hold what is asked: every asked kind, and
    every one of ``words`` the cut sentence holds (none is only past the
    last whole clause). None otherwise."""
    cut = max(sentence.text.rfind(","), sentence.text.rfind("，"))
    if cut <= 0:
        return None
    text = sentence.text[: cut + 1]
    head = Sentence(sentence.passage_rank, sentence.start, sentence.start + cut + 1, text, normalize(text),
                    truncated=True, similarity=sentence.similarity, fit=sentence.fit)
    if not all(provides(head.norm, k) for k in kinds) or any(w in sentence.norm and w not in head.norm for w in words):
        return None
    return head


# --- the answer text ----------------------------------------------------------------


def compose(question: str, passages: list[Passage], chosen: list[Sentence], today: dt.date,
            general: bool = True, clause: bool = False, newer: Mapping[str, Supersession] | None = None) -> Answer:
    """Answer text with [n] markers, each source named where it is quoted,
    and one citation per cited passage. ``general``: the question does not
    itself ask about an announcement (so using one is noted); ``clause``:
    it asks which clause of which document, so each source is named with
    its title, 文号 and heading path before its quote; ``newer``: the newer
    version of each source that has one, named in a note."""
    numbers: dict[int, int] = {}
    spans: dict[int, tuple[int, int]] = {}
    parts: list[str] = []
    for index, sentence in enumerate(chosen):
        rank = sentence.passage_rank
        first_of_source = rank not in numbers
        n = numbers.setdefault(rank, len(numbers) + 1)
        if clause and first_of_source:
            parts.append(where_from(passages[rank], sentence))
        start, end = spans.get(rank, (sentence.start, sentence.end))
        spans[rank] = (min(start, sentence.start), max(end, sentence.end))
        parts.append(f"{sentence.text}{_past_deadline(sentence.text, today)}[{n}]")
        last_of_source = index == len(chosen) - 1 or chosen[index + 1].passage_rank != rank
        if last_of_source:
            parts.append(f"（{attribution(passages[rank])}）")
    citations = [_citation(n, passages[rank], *spans[rank]) for rank, n in numbers.items()]
    notes = _notes(citations, chosen, numbers, passages, general, newer or {})
    text = "".join(parts) + ("\n" + notes if notes else "")
    return Answer(question=question, text=text, citations=citations)


def where_from(passage: Passage, sentence: Sentence | None = None) -> str:
    """《title》（文号）heading path：, for questions about which clause; with
    the numbered item the sentence's paragraph opens with (5.支持引育…人才。),
    when the sentence is not that item's heading itself."""
    chunk = passage.chunk
    number = f"（{chunk.meta.doc_number}）" if chunk.meta.doc_number else ""
    section = f"“{chunk.section}”" if chunk.section else ""
    item = _item_heading(chunk.text, sentence) if sentence is not None else ""
    item = f"“{item}”" if item and item not in chunk.section else ""
    return f"见《{chunk.meta.title}》{number}{section}{item}：" if chunk.meta.title else ""


_ITEM_HEADING = re.compile(r"\s*((?:\d{1,2}[.、．]|[(（][一二三四五六七八九十\d]{1,3}[)）])[^。;；,，:：\n]{2,24})。")


def _item_heading(text: str, sentence: Sentence) -> str:
    """The heading of the numbered item (5.支持引育高层次高技能人才) that opens
    the paragraph holding ``sentence``, when the sentence comes after it."""
    opening = text.rfind("\n", 0, sentence.start) + 1
    m = _ITEM_HEADING.match(text, opening)
    return m.group(1) if m and m.end() <= sentence.start else ""


def attribution(passage: Passage) -> str:
    meta = passage.chunk.meta
    who = meta.issuer.split("(")[0].split("（")[0]
    return "，".join(x for x in (who, cn_date(meta.date)) if x)


def _past_deadline(text: str, today: dt.date) -> str:
    for match in _DEADLINE.finditer(text):
        groups = [g for g in match.groups() if g and g.isdigit()]
        try:
            when = dt.date(int(groups[0]), int(groups[1]), int(groups[2]))
        except (ValueError, IndexError):
            continue
        if when < today:
            return "（已截止）"
    return ""


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


def _notes(citations: list[Citation], chosen: list[Sentence], numbers: dict[int, int], passages: list[Passage],
           general: bool, newer: Mapping[str, Supersession]) -> str:
    notes = []
    for citation in citations:
        rank = next(r for r, n in numbers.items() if n == citation.n)
        texts = "".join(s.text for s in chosen if s.passage_rank == rank)
        relative = _RELATIVE_TIME.search(texts)
        if relative and citation.date[:4].isdigit():
            notes.append(f"[{citation.n}]成文于{cn_date(citation.date)}，文中“{relative.group(0)}”以该日期为准")
        if any(s.truncated for s in chosen if s.passage_rank == rank):
            notes.append(f"[{citation.n}]所引句子在节选处中断，其后内容未收录")
        elif citation.is_excerpt:
            notes.append(f"[{citation.n}]为节选文本")
        if general and _ONE_OFF.search(citation.title) and passages[rank].chunk.meta.doc_type == "通知公告":
            notes.append(f"[{citation.n}]是一次性公示，只反映当批情况")
        if citation.source in newer:
            successor = newer[citation.source]
            notes.append(f"[{citation.n}]是较早版本，现行为{cn_date(successor.date)}的《{successor.title}》")
    return "（注：" + "；".join(notes) + "。）" if notes else ""


def llm_citations(text: str, passages: list[Passage], cited: list[int], sentence_lists: list[list[Sentence]],
                  idf: IDF, words: Callable[[str], list[str]]) -> list[Citation]:
    """For each passage number an LLM answer cites, quote the passage's
    sentence sharing most of the answer's words."""
    tokens = set(words(normalize(text)))
    citations = []
    for n in cited:
        passage, sentences = passages[n - 1], sentence_lists[n - 1]
        best = max(sentences, key=lambda s: sum(idf(t) for t in tokens if t in s.norm), default=None)
        start, end = (best.start, best.end) if best else (0, len(passage.chunk.text))
        citations.append(_citation(n, passage, start, end))
    return citations


def refusal(question: str, contact: str) -> Answer:
    text = "抱歉，现有政策文件中没有找到能回答这个问题的内容，为避免误导不作推测。"
    if contact:
        text += f"建议咨询{contact}。"
    return Answer(question=question, text=text, refused=True)
