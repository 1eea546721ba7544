"""What a question pins down, checked against what would be quoted.

A question about 2023 must not get a 2024 figure, one about 宁波 must not
get Cixi's, one about 第二批 must not get 第一批's, however close the words.
Each year, place and batch the question names must hold for a quoted
sentence: in its text, or in its document's title, date or issuing body.
When one does not, the answer is a refusal that says what is missing and
shows the nearest passage, marked as such, with its citation.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from .answer import Choice, attribution, context_of, reports_earlier_years, years_reported
from .documents import Answer
from .normalize import normalize
from .reading import CIXI_TOWNS, DOC_NUMBER, LEVEL, Reading, asked_years, jurisdiction, provides
from .retrieval import Passage
from .sentences import Sentence
from .similar import written_form

_KIND_NAMES = {
    "money": "具体金额", "reward": "具体的奖补标准", "date": "具体日期", "count": "具体数量", "percent": "具体比例",
    "who": "具体的单位或人员", "phone": "联系电话", "address": "地址", "figure": "具体数字",
    "doc_number": "文号", "duration": "具体期限", "payment": "拨付方式", "contact": "联系人", "threshold": "具体门槛", "plan": "下一步的安排",
}

_LEAD_IN_CHARS = 40  # how far before a sentence its lead-in is read
_NOW = {"今年", "去年", "明年", "当年", "近年", "目前", "现在", "今后"}  # the asked year, in words
_QUOTE_MARKS = re.compile(r"[‘’“”\"'「」『』]")
_ASKED_NUMBER = re.compile(r"几|多少")  # inside a quoted phrase (“产业几条”): any number
# "What document is 慈政办发〔2024〕57号": a sentence citing it by number answers that.
_ASKS_WHICH_DOCUMENT = re.compile(r"(什么|哪个|哪份|哪一个)文件|全称|全名|名称|标题|叫什么")


_PIECE, _GAP = 4, 40  # the shortest half of a quoted phrase said in two pieces, and the most left out between


def unmet(reading: Reading, passages: list[Passage], choice: Choice, names: Sequence[str] = ()) -> list[str]:
    """Descriptions (Chinese) of the question's constraints no chosen
    sentence meets, e.g. ["关于2023年的这项内容", "具体金额"]. ``names``:
    programme names the question uses, which the quoted sentences or their
    headings must name too (else the answer is about another programme)."""
    missing = [_KIND_NAMES[k] for k in reading.kinds if not any(provides(s.norm, k) for s in choice.sentences)]
    missing += [f"关于{what}的这项内容" for what in _unmet_scope(reading, passages, choice)]
    missing += [f"关于“{name}”的这项内容" for name in names
                if not any(name in s.norm or name in context_of(passages[s.passage_rank])
                           or name in _lead_in(s, passages[s.passage_rank]) for s in choice.sentences)]
    missing += [f"关于“{phrase}”的这项内容" for phrase in reading.quoted if phrase not in names
                and not any(says_phrase(phrase, normalize(passages[s.passage_rank].chunk.text))
                            or says_phrase(phrase, context_of(passages[s.passage_rank])) for s in choice.sentences)]
    missing += [f"{document}文件中的这项内容" for document in reading.documents
                if not any(document.names(passages[s.passage_rank].chunk.meta.doc_number)
                           or (_ASKS_WHICH_DOCUMENT.search(reading.text) and document.quoted_in(s.norm))
                           for s in choice.sentences)]
    return missing


def says_phrase(phrase: str, text: str) -> bool:
    """Does the (normalised) text hold a phrase the question quotes,
    whatever quote marks either uses (健全‘企业认定、政府认账’机制 for
    健全“企业认定、政府认账”机制), a number it asks for (“产业几条”)
    standing for any number (产业18条)?"""
    plain, body = _QUOTE_MARKS.sub("", phrase), _QUOTE_MARKS.sub("", text)
    parts = [re.escape(part) for part in _ASKED_NUMBER.split(plain)]
    return bool(re.search(r"\d+".join(parts), body)) or (len(parts) == 1 and _said_in_two_pieces(plain, body))


def _said_in_two_pieces(phrase: str, text: str) -> bool:
    """A long phrase quoted with words left out (“资助总额在50万元以下的项目
    直接发布申报通知” for …的项目,由市科技局…,直接发布申报通知): its two
    halves, four characters or more each, in order and close together."""
    for cut in range(_PIECE, len(phrase) - _PIECE + 1):
        head, tail = phrase[:cut], phrase[cut:]
        if any(tail in text[m.end(): m.end() + _GAP + len(tail)] for m in re.finditer(re.escape(head), text)):
            return True
    return False


def of_the_asked_time(reading: Reading, passages: list[Passage], sentences: list[Sentence],
                      words: Sequence[str]) -> list[Sentence]:
    """The sentences to quote when the likeliest is about the asked year and
    others come from a document of another time (a 2021 heading beside the
    2023 clause asked about): those about the asked year, unless the others
    hold a word of the question (``words``) they lack: then the asked year's
    text does not say it, all stay, and the refusal says so. An abbreviation
    the kept ones spell out (高企: 高新技术企业) is said; 今年 is the asked year."""
    if not reading.years or not sentences:
        return sentences
    best = max(sentences, key=lambda s: s.fit)
    if _other_year(reading, best, passages[best.passage_rank]):
        return sentences
    kept = [s for s in sentences if not _other_year(reading, s, passages[s.passage_rank])]
    dropped = " ".join(s.norm for s in sentences if s not in kept)
    # …that the kept ones' documents do not say of themselves (浙江省人民政府…意见 is the 省政府 one)
    said = " ".join(f"{s.norm} {context_of(passages[s.passage_rank])} {_short_issuer(passages[s.passage_rank])}"
                    for s in kept)
    lacking = [w for w in words if w in dropped and w not in said and written_form(w) not in said and w not in _NOW]
    return sentences if lacking else kept


def _lead_in(sentence: Sentence, passage: Passage) -> str:
    """The text just before a sentence in its passage (二是明确项目资助经费申请要求。
    before 对于入选“上林英才”计划的人才项目…): the point it makes is named there."""
    return normalize(passage.chunk.text[max(0, sentence.start - _LEAD_IN_CHARS):sentence.start])


def _short_issuer(passage: Passage) -> str:
    """The issuer as people shorten it: 浙江省人民政府 → 浙江省政府 (省政府),
    慈溪市科学技术局 → 慈溪市科技局."""
    return passage.chunk.meta.issuer.replace("人民政府", "政府").replace("科学技术", "科技")


def _unmet_scope(reading: Reading, passages: list[Passage], choice: Choice) -> list[str]:
    missing = []
    # The year asked must hold where the figure asked is (not a 今年 lead beside a 2022 count).
    figures = [s for s in choice.sentences if any(provides(s.norm, k) for k in reading.kinds)] or choice.sentences
    for year in reading.years:
        if not any(_year_holds(year, s, passages[s.passage_rank], reading) for s in figures):
            missing.append(f"{year}年")
    for place in reading.places:
        if not any(_place_holds(place, s, passages[s.passage_rank]) for s in choice.sentences):
            missing.append(place)
    # A sentence beside, from a document of another time (a sentence of the
    # same document as one about the asked year is of its time).
    timely = {passages[s.passage_rank].chunk.source for s in choice.sentences
              if any(_year_holds(y, s, passages[s.passage_rank], reading) for y in reading.years)}
    beside = [s for s in choice.sentences if _other_year(reading, s, passages[s.passage_rank])
              and passages[s.passage_rank].chunk.source not in timely]
    if reading.years and not missing and any(not _answers_a_yearless_part(reading, s, choice.sentences)
                                             for s in beside):
        missing.append("、".join(f"{y}年" for y in reading.years))
    for level in reading.levels:
        levels = {found for s in choice.sentences for found in LEVEL.findall(s.norm)}
        if levels and level not in levels:
            missing.append(f"{level}级")
    for batch in reading.batches:
        if not any(f"第{batch}批" in s.norm or f"第{batch}批" in context_of(passages[s.passage_rank])
                   for s in choice.sentences):
            missing.append(f"第{batch}批")
    return missing


def _answers_a_yearless_part(reading: Reading, sentence: Sentence, chosen: list[Sentence]) -> bool:
    """Does the sentence answer a part of the question naming no year (宁波
    意见…最高资助多少？ beside 鄞州方案到2027年…多少？): it holds more of
    that part's own words (pairs of characters no other part has) than any
    other chosen sentence, and at least three?"""
    if len(reading.parts) < 2:
        return False
    pairs = [{p[i:i + 2] for i in range(len(p) - 1)} for p in reading.parts]
    for i, part in enumerate(reading.parts):
        own = pairs[i] - set().union(*(other for j, other in enumerate(pairs) if j != i))
        if asked_years(part) or not own:
            continue
        held = {id(s): sum(pair in s.norm for pair in own) for s in chosen}
        if held[id(sentence)] >= 3 and all(held[id(sentence)] > n for key, n in held.items() if key != id(sentence)):
            return True
    return False


def _year_holds(year: int, sentence: Sentence, passage: Passage, reading: Reading) -> bool:
    """In the sentence, or its document's title, date or heading path, or
    its passage outside a 文号 (〔2023〕 dates another document), unless the
    sentence names only earlier years. A work report's review speaks of the
    year it reviews, not of the year it was delivered in, unless the
    question names the report by that year (2023年政府工作报告)."""
    if year in reading.report_years:  # 2017年政府工作报告说2016年…: the report of that year holds it
        return str(year) in context_of(passage)
    if reports_earlier_years(sentence.norm, str(year)):
        return False
    context = years_reported(passage)
    text = DOC_NUMBER.sub("", normalize(passage.chunk.text))
    return str(year) in sentence.norm or str(year) in context or str(year) in text


def _other_year(reading: Reading, sentence: Sentence, passage: Passage) -> bool:
    """A sentence quoted beside one about the asked year, from a document
    of another time (a 2018 clause beside a 2021 one); a document written
    the year after the asked one may report on it, but when the question
    names the work report (2023年政府工作报告里), another report is not it."""
    meta = passage.chunk.meta
    if reading.report_years and meta.doc_type == "工作报告":
        return meta.year not in reading.report_years
    written = meta.year
    return not any(_year_holds(y, sentence, passage, reading) or written in (y, y + 1) for y in reading.years)


def _place_holds(place: str, sentence: Sentence, passage: Passage) -> bool:
    """Named in the sentence, or its document is of that place; every
    document is of Zhejiang, so the province their sentences call 省
    (列入省数商的) is 浙江; a town of Cixi (周巷镇) lives under the rules of
    Cixi's city bodies, not under another town's."""
    meta = passage.chunk.meta
    city_rule = place in CIXI_TOWNS and jurisdiction(meta.issuer) == "慈溪" \
        and not any(town in meta.issuer for town in CIXI_TOWNS)
    return place in sentence.norm or place in meta.title or jurisdiction(meta.issuer) == place \
        or place in meta.issuer or (place == "浙江" and "省" in sentence.norm) or city_rule


def near_miss(question: str, missing: list[str], nearest: Answer) -> Answer:
    """A refusal naming what the documents lack, then the nearest passage
    (``nearest``, an extractive answer) marked as not what was asked. It
    keeps the nearest answer's citations."""
    what = "、".join(missing)
    text = f"现有文件中没有{what}，无法按您的问题回答。以下是最接近的原文，仅供参考，并非您问的内容：\n{nearest.text}"
    return Answer(question=question, text=text, citations=nearest.citations, refused=True)


def cut_off(question: str, sentence: Sentence, passage: Passage, citation_answer: Answer) -> Answer:
    """A refusal for a question whose answer would be where an excerpt stops."""
    text = (
        f"现有文件（{attribution(passage)}）是节选，相关条款在此处被截断，无法确认完整内容，为避免误导不作推测。"
        f"截断处原文：{sentence.text}[1]"
    )
    return Answer(question=question, text=text, citations=citation_answer.citations, refused=True)
