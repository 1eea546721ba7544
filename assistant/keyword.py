"""Keyword search: BM25 over jieba tokens.

Policy questions hinge on exact names (上林英才, 甬易办, 8718, 文号) that
dense embeddings blur; BM25 over Chinese word tokens catches them.
"""
from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache

from .documents import Chunk

# Words that say what kind of question it is, not what it is about.
_STOPWORDS = set(
    "的 了 是 在 和 与 及 或 对 把 被 给 为 吗 呢 吧 啊 呀 么 哪 哪个 哪些 哪里 什么 怎么 怎样 如何 多少 几 "
    "是否 有没有 有 没有 能 能不能 可以 可不可以 要 需要 我 我们 你 你们 他 她 它 这 那 这个 那个 "
    "一下 请问 请 问 一个 就 都 也 还 又 啥 咋 些 个 之 其 中 上 下 时候 现在 目前 具体 "
    "情况 相关 有关 关于 一共 多少钱 钱 涨 涨了 大概 到底 啥 咋 拿 能拿 哪位 哪天 哪年 意思 是不是 叫 提 提的 "
    "多长时间 多长 长时间 这边 那边 市里 里 说 搞 算不算 算 分别 各 各是 各有 指 由 一般 按 来 作 找 跟 几类 分 会 才 最 多 进 "
    "？ ? ， , 。 ！ ! 、 ： : ； ; “ ” ‘ ’ （ ） ( ) 《 》 〔 〕 【 】 — - … · / ".split()
)
_PUNCT_ONLY = re.compile(r"^[\W_]+$")


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


_NAMED = re.compile(r"[“\"]([^”\"\s]{2,10})[”\"]")


def learn_names(texts) -> None:
    """Teach jieba the quoted names the documents use (“甬易办”, “上林英才”),
    so a programme name stays one token instead of falling apart."""
    jieba = _jieba()
    for text in texts:
        for name in _NAMED.findall(text):
            jieba.add_word(name, freq=2000)


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens, lower-cased, without stopwords or punctuation."""
    tokens = _jieba().lcut_for_search(text.lower())
    return [t for t in (x.strip() for x in tokens) if t and t not in _STOPWORDS and not _PUNCT_ONLY.match(t)]


def coverage(tokens: set[str], text: str, idf) -> float:
    """Share of the question's word weight (IDF) that ``text`` contains.

    Tokens are matched as substrings, not as tokens of ``text``: jieba cuts
    a colloquial question differently from the official text (掌起镇 →
    掌/起镇), and a substring match forgives that.
    """
    total = sum(idf(t) for t in tokens)
    if total <= 0:
        return 0.0
    lowered = text.lower()
    return sum(idf(t) for t in tokens if t in lowered) / total


class KeywordIndex:
    """BM25 over chunks' embed_text (title, issuer, date, heading path, text).

    Rebuilt only when the set of chunks changes (``refresh``), never per query.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: object = None
        self._chunks: list[Chunk] = []
        self._bm25 = None

    def refresh(self, version: object, load_chunks) -> None:
        with self._lock:
            if version == self._version and self._bm25 is not None:
                return
            from rank_bm25 import BM25Okapi

            chunks = load_chunks()
            learn_names(c.text for c in chunks)
            corpus = [tokenize(c.embed_text) for c in chunks]
            self._bm25 = BM25Okapi(corpus) if chunks else None
            self._chunks = chunks
            self._version = version

    @property
    def chunks(self) -> list[Chunk]:
        return self._chunks

    def search(self, query: str, k: int, allow=None) -> list[tuple[Chunk, float]]:
        tokens = tokenize(query)
        if self._bm25 is None or not tokens:
            return []
        scores = self._bm25.get_scores(tokens)
        order = sorted(range(len(scores)), key=lambda i: -scores[i])
        hits = []
        for i in order:
            if scores[i] <= 0 or len(hits) == k:
                break
            if allow is None or allow(self._chunks[i]):
                hits.append((self._chunks[i], float(scores[i])))
        return hits

    def idf(self, token: str) -> float:
        if self._bm25 is None:
            return 0.0
        return float(self._bm25.idf.get(token, max(self._bm25.idf.values(), default=0.0)))
