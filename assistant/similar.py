"""When a new question asks what a verified one asks.

Sentence embeddings alone cannot tell 科创贷怎么申请 from 科创贷利率是多少
(both about 科创贷, cosine 0.75) or 2024年 from 2025年 (cosine 0.90), so a
match needs four things: the same kind of question (how / when / how much
…), the same years, the same places and bounds (以上/以下), and then a
score, meaning (embedding cosine) plus keyword overlap, above a threshold
calibrated on evals/verified_paraphrases.jsonl (``python -m evals.verified``).

Both questions are first put in one written form: simplified characters,
half-width forms, Chinese numerals as digits (二〇二五 → 2025, 八七一八 →
8718), two-digit years as four (22年 → 2022年), and common abbreviations
spelt out (高企 → 高新技术企业, 省科小 → 浙江省科技型中小企业).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .embedding_cache import EmbeddingCache, embed_with_cache
from .keyword import KeywordIndex, coverage, tokenize
from .protocols import TextEmbedder

# --- one written form ------------------------------------------------------------

_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMERAL_RUN = re.compile(r"[〇零一二两三四五六七八九十百千]+")
# A single numeral is a number only after 第 or before a counting word;
# otherwise it is part of a word (统一, 一站式, 一是).
_COUNTED = re.compile(r"[批期号年月日万亿元家个项名类%届]")
_SHORT_YEAR = re.compile(r"(?<![\d.])([1-3]\d)(?=年)(?!年以|年内|年来)")
_SPELT_OUT = [  # (abbreviation or variant, written form), longest first where they overlap
    ("省科小", "浙江省科技型中小企业"),
    ("科小", "科技型中小企业"),
    ("高企", "高新技术企业"),
    ("技术改造", "技改"),
    ("补助", "补贴"),
    ("申报", "申请"),
    ("申领", "申请"),
]
# Cixi is where every question is asked: naming it changes nothing.
_HOME = re.compile(r"慈溪市?|我市|本市|市级|市里")


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def _numeral_value(run: str) -> int | None:
    if not any(ch in _UNITS for ch in run):  # digit by digit: 二〇二五, 八七一八
        return int("".join(str(_DIGITS[ch]) for ch in run))
    total, digit = 0, None
    for ch in run:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        else:
            total += (1 if digit is None else digit) * _UNITS[ch]
            digit = None
    return total + (digit or 0)


def _numerals(text: str) -> str:
    def convert(match: re.Match) -> str:
        run, start, end = match.group(0), match.start(), match.end()
        single = len(run) == 1
        counted = end < len(text) and _COUNTED.match(text, end)
        if single and not (counted or (start > 0 and text[start - 1] == "第")):
            return run
        value = _numeral_value(run)
        return run if value is None else str(value)

    return _NUMERAL_RUN.sub(convert, text)


def written_form(question: str) -> str:
    """The question in one written form (see the module docstring)."""
    text = unicodedata.normalize("NFKC", question)
    text = _t2s().convert(text).lower()
    text = _numerals(text)
    text = _SHORT_YEAR.sub(lambda m: "20" + m.group(1), text)
    for variant, form in _SPELT_OUT:
        text = text.replace(variant, form)
    return text


# --- what a question asks ------------------------------------------------------------

# (kind, pattern), first match wins: the specific kinds before the broad ones.
_KINDS: list[tuple[str, re.Pattern]] = [
    ("联系方式", re.compile(r"电话|联系方式|联系人|热线|邮箱|地址")),
    ("材料", re.compile(r"材料|资料|提交什么|准备什么|带什么|哪些文件")),
    ("条件", re.compile(r"条件|要求|资格|门槛|满足什么|符合什么")),
    ("好处", re.compile(r"有(什么|哪些|啥)(奖励|补贴|政策|支持|好处|优惠|扶持)|享受(什么|哪些)")),
    ("用途", re.compile(r"用在|用于|用途|哪些方面|什么方面|范围")),
    ("数目", re.compile(r"几[期个家类批次项名条所]|多少[个家类批次项名条所]")),
    ("时间", re.compile(r"什么时候|啥时候|何时|哪天|哪一天|几号|几月|哪个月|截止|最晚|日期|时间|多久|多长时间|期限")),
    ("金额", re.compile(r"多少|比例|利率|标准|上限|最高|最多|额度|金额|几成|多大")),
    ("部门", re.compile(r"哪个部门|哪个单位|哪家|谁|负责")),
    ("办法", re.compile(r"怎么|怎样|如何|咋|流程|步骤|方式|程序|途径|去哪|在哪|哪里|办理|操作")),
    ("有无", re.compile(r"有没有|有无|是否|吗|么$")),
    ("内容", re.compile(r"是什么|什么是|哪些|什么|内容|答复")),
]
_PLACES = re.compile(
    r"国家|全国|浙江|省|宁波|杭州|绍兴|上海|海曙|江北|北仑|镇海|鄞州|奉化|余姚|宁海|象山|"
    r"浒山|白沙路|古塘|坎墩|宗汉|观海卫|周巷|逍林|横河|龙山|掌起|附海|桥头|匡堰|长河|新浦|崇寿|胜山|庵东|前湾|杭州湾"
)
_BOUNDS = re.compile(r"以上|以下|以内|超过|不超过|不足|低于|高于|不低于|不高于")
_YEARS = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
# Words that carry no subject: who is asking and how politely.
_FILLER = re.compile(r"请问|我们公司|我们|我司|公司|这边|那边|大概|一下|要|想|能|可以|的")


@dataclass(frozen=True)
class QuestionForm:
    """What matching needs to know about one question."""

    text: str  # the written form
    kind: str  # what it asks (办法, 时间, 金额 …), "" when none is said
    years: frozenset[str]
    places: frozenset[str]
    bounds: frozenset[str]
    words: frozenset[str]  # subject words: keyword tokens without the asking words


def analyse(question: str) -> QuestionForm:
    text = written_form(question)
    kind = next((name for name, pattern in _KINDS if pattern.search(text)), "")
    topic = text
    for _, pattern in _KINDS:
        topic = pattern.sub(" ", topic)
    topic = _FILLER.sub(" ", _HOME.sub(" ", topic))
    return QuestionForm(
        text=text,
        kind=kind,
        years=frozenset(_YEARS.findall(text)),
        places=frozenset(_place(p) for p in _PLACES.findall(_HOME.sub(" ", text))),
        bounds=frozenset(_BOUNDS.findall(text)),
        words=frozenset(tokenize(topic)),
    )


def _place(name: str) -> str:
    return {"全国": "国家", "省": "浙江", "杭州湾": "前湾"}.get(name, name)


def difference(a: QuestionForm, b: QuestionForm) -> str:
    """Why two questions cannot ask the same thing ("" when they may):
    another kind of question, another year, place or bound."""
    if a.kind != b.kind:
        return "问法不同"
    if a.years != b.years:
        return "年份不同"
    if a.places != b.places:
        return "地区或层级不同"
    if a.bounds != b.bounds:
        return "范围不同"
    return ""


def word_weights(keywords: KeywordIndex) -> Callable[[str], float]:
    """A word's weight for ``overlap``: its IDF in the documents, or
    UNKNOWN_WEIGHT for a word the documents never use. Such words say how
    the user talks (打过来, 走什么流程), not which programme they mean; a
    verified question about something no document covers still matches
    itself, its words all weighing the same."""

    def weight(word: str) -> float:
        return keywords.idf(word) if keywords.known(word) else UNKNOWN_WEIGHT

    return weight


UNKNOWN_WEIGHT = 1.0
KEYWORD_SHARE = 0.4  # of the score; the rest is the embedding cosine


def overlap(a: QuestionForm, b: QuestionForm, weight: Callable[[str], float]) -> float:
    """Keyword overlap: the mean share of each question's subject-word
    weight found in the other (``keyword.coverage``), compared by sound as
    well as by characters, so that 科创代 still finds 科创贷."""
    if not a.words or not b.words:
        return 0.0
    return (_heard(a.words, b.text, weight) + _heard(b.words, a.text, weight)) / 2


def _heard(words: frozenset[str], text: str, weight: Callable[[str], float]) -> float:
    """``coverage`` of ``words`` in ``text``, in toneless pinyin."""
    sounds = {_pinyin(w): w for w in words}
    return coverage(set(sounds), _pinyin(text), lambda sound: weight(sounds[sound]))


@lru_cache(maxsize=4096)
def _pinyin(text: str) -> str:
    """Space-separated toneless syllables (with a space at each end, so that
    a word only matches whole syllables)."""
    from pypinyin import lazy_pinyin

    return " " + " ".join(lazy_pinyin(text)) + " "


def score(cosine: float, keyword_overlap: float) -> float:
    """The match score: meaning and keyword overlap, weighted."""
    return (1 - KEYWORD_SHARE) * cosine + KEYWORD_SHARE * keyword_overlap


# --- matching a question against many ------------------------------------------------


@dataclass(frozen=True)
class Match:
    entry: int  # index into the entries given to Matcher.set_entries
    score: float  # -1.0 when every wording differs (``reason``)
    reason: str = ""
    wording: str = ""  # the entry's wording that matched best


class Matcher:
    """Scores a question against entries, each with one or more wordings
    (a verified question and its paraphrases). Wordings' vectors are kept
    in memory, and in the embedding cache across restarts."""

    def __init__(self, embedder: TextEmbedder, keywords: KeywordIndex, cache: EmbeddingCache | None = None,
                 vectors: dict[str, np.ndarray] | None = None):
        self.embedder, self.keywords, self.cache = embedder, keywords, cache
        self._forms: list[list[QuestionForm]] = []
        self._vectors = {} if vectors is None else vectors  # may be shared with an earlier Matcher

    def set_entries(self, wordings: list[list[str]]) -> None:
        self._forms = [[analyse(w) for w in entry] for entry in wordings]
        self._embed([f.text for entry in self._forms for f in entry])

    def _embed(self, texts: list[str]) -> None:
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if not missing:
            return
        tagged = _Tagged(f"{getattr(self.embedder, 'cache_tag', self.embedder.model_name)}#query")
        vectors, _ = embed_with_cache(tagged, self.cache, missing, self.embedder.encode_queries)
        self._vectors.update(zip(missing, vectors))

    def scores(self, question: str, threshold: float | None = None) -> list[Match]:
        """Each entry's best match for ``question``. With ``threshold``, the
        question is embedded only if some entry could still reach it."""
        form = analyse(question)
        weight = word_weights(self.keywords)
        found: list[tuple[int, QuestionForm, float]] = []
        out: list[Match] = []
        for i, entry in enumerate(self._forms):
            reasons = []
            for other in entry:
                reason = difference(form, other)
                if reason:
                    reasons.append(reason)
                else:
                    found.append((i, other, overlap(form, other, weight)))
            out.append(Match(i, -1.0, reasons[0] if reasons else "无可比问法"))
        reachable = [f for f in found if threshold is None or score(1.0, f[2]) >= threshold]
        if not reachable:
            return out
        vector = self.embedder.encode_queries([form.text])[0]
        for i, other, keyword_overlap in reachable:
            value = score(float(vector @ self._vectors[other.text]), keyword_overlap)
            if value > out[i].score:
                out[i] = Match(i, value, "", other.text)
        return out

    def best(self, question: str, threshold: float) -> Match | None:
        """The best-scoring entry at or above ``threshold``, if any."""
        if not self._forms:
            return None
        top = max(self.scores(question, threshold), key=lambda m: m.score)
        return top if top.score >= threshold else None


@dataclass(frozen=True)
class _Tagged:
    """What the embedding cache keys vectors by: query-prompt vectors are
    kept apart from the document-prompt vectors of chunks."""

    cache_tag: str

    @property
    def model_name(self) -> str:
        return self.cache_tag
