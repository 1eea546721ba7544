"""Keyword search: BM25 over jieba tokens.

Policy questions hinge on exact names (上林英才, 甬易办, 8718, 文号) that
dense embeddings blur; BM25 over Chinese word tokens catches them.

The index is an inverted list of precomputed BM25 weights in numpy arrays,
so a query costs a few array slices even at 50k chunks, where rank_bm25
scans every chunk in Python. Refreshing is incremental: only chunks not
seen before are tokenized (jieba is the slow part); the weights are then
recomputed in bulk. Tokens
are also kept in a SQLite cache beside the embedding cache, keyed by the
text and the names jieba was taught, so a restarted app does not tokenize
50k chunks again.
"""
from __future__ import annotations

import hashlib
import logging
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .cache_db import open_cache
from .documents import Chunk

# Words that say what kind of question it is, not what it is about.
_STOPWORDS = set(
    "的 了 是 在 和 与 及 或 对 把 被 给 为 吗 呢 吧 啊 呀 么 哪 哪个 哪些 哪里 什么 怎么 怎样 如何 多少 几 "
    "是否 有没有 有 没有 能 能不能 可以 可不可以 要 需要 我 我们 你 你们 他 她 它 这 那 这个 那个 "
    "一下 请问 请 问 一个 就 都 也 还 又 啥 咋 些 个 之 其 中 上 下 时候 现在 目前 具体 "
    "情况 相关 有关 关于 一共 多少钱 钱 涨 涨了 大概 到底 啥 咋 拿 能拿 哪位 哪天 哪年 意思 是不是 叫 提 提的 "
    "多长时间 多长 长时间 这边 那边 市里 里 说 搞 算不算 算 分别 各 各是 各有 指 由 一般 按 来 作 找 跟 几类 分 会 才 最 多 进 "
    "谁 为什么 为何 还要 还是 到底 才能 下来 拿到 啥意思 打算 最多 最少 至少 是否 能否 可否 哪家 几家 几个 几项 几名 几天 "
    "多久 多大 想 想问 问下 咨询 了解 知道 告诉 帮忙 麻烦 方面 主要 通常 这些 那些 这样 那样 里面 嘛 哦 第几条 第几 哪一条 "
    "哪条 原文 怎么写 写 出自 依据 一样 不同 区别 变化 是不是 能不能 给出 哪一句 断掉 停在 是什么 什么样 怎么办 "
    "？ ? ， , 。 ！ ! 、 ： : ； ; “ ” ‘ ’ （ ） ( ) 《 》 〔 〕 【 】 — - … · / ".split()
)
_PUNCT_ONLY = re.compile(r"^[\W_]+$")
# Terms of the documents whose parts are stopwords (一般 as in 一般多久): one word each.
_TERMS = ("一般类",)


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    for term in _TERMS:
        jieba.add_word(term, freq=2000)
    return jieba


_NAMED = re.compile(r"[“\"]([^”\"\s]{2,10})[”\"]")
_LEARNT: set[str] = set()
_LONGEST_FIRST: list[str] = []  # _LEARNT, longest first, sorted again only when a name is learnt


def learn_names(texts) -> int:
    """Teach jieba the quoted names the documents use (“甬易办”, “上林英才”),
    so a programme name stays one token instead of falling apart. Returns
    how many names were new."""
    jieba = _jieba()
    new = 0
    for text in texts:
        for name in _NAMED.findall(text):
            if name not in _LEARNT:
                _LEARNT.add(name)
                jieba.add_word(name, freq=2000)
                new += 1
    return new


def named_in(text: str) -> list[str]:
    """The names the documents quote (“甬江人才工程”, “上林英才”) that ``text`` uses."""
    if len(_LONGEST_FIRST) != len(_LEARNT):
        _LONGEST_FIRST[:] = sorted(_LEARNT, key=len, reverse=True)
    return [name for name in _LONGEST_FIRST if name in text]


def cut_words(text: str) -> list[str]:
    """jieba's words of ``text`` (precise mode), as written."""
    return _jieba().lcut(text)


# Words jieba's dictionary tags as places that name no place a rule is for.
_NOT_PLACES = {"东西", "东方", "西方", "南方", "北方", "大陆", "内地", "海外", "本地", "当地", "外地", "各地", "异地",
               "中华", "华夏", "浙大", "北大", "清华", "复旦", "镇里", "村里", "市里", "区里", "县里", "省里", "城里", "乡里"}


def place_words(text: str) -> list[str]:
    """The place names jieba's tagger reads in ``text`` (苏州, 无锡市)."""
    import jieba.posseg

    _jieba()
    return [word for word, flag in jieba.posseg.lcut(text)
            if flag == "ns" and len(word) > 1 and word not in _NOT_PLACES]


def dictionary_frequency(word: str) -> int:
    """How often jieba's dictionary has seen ``word`` (0: not a word)."""
    return int(_jieba().dt.FREQ.get(word) or 0)


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


K1, B, EPSILON = 1.5, 0.75, 0.25  # rank_bm25's BM25Okapi defaults


def _okapi_idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    """BM25Okapi's idf: log((N - n + .5) / (n + .5)); a negative idf (a word
    in more than half the chunks) becomes EPSILON times the average idf."""
    with np.errstate(divide="ignore", invalid="ignore"):
        idf = np.log(n_docs - df + 0.5) - np.log(df + 0.5)
    present = df > 0
    if present.any():
        floor = EPSILON * idf[present].mean()
        idf[present & (idf < 0)] = floor
    idf[~present] = 0.0
    return idf


class TokenCache:
    """Tokens of a text under a given set of taught names, in SQLite."""

    def __init__(self, path: Path):
        self._db = open_cache(path, "CREATE TABLE IF NOT EXISTS tokens (key TEXT PRIMARY KEY, tokens TEXT)")

    def tokens(self, texts: list[str]) -> list[list[str]]:
        names = hashlib.sha256("\n".join([*sorted(_LEARNT), *_TERMS]).encode()).hexdigest()
        keys = [hashlib.sha256(f"{names}\0{t}".encode()).hexdigest() for t in texts]
        found: dict[str, list[str]] = {}
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            rows = self._db.execute(f"SELECT key, tokens FROM tokens WHERE key IN ({','.join('?' * len(part))})", part)
            found.update((key, joined.split(_SEP) if joined else []) for key, joined in rows)
        fresh = {k: tokenize(t) for k, t in zip(keys, texts) if k not in found}
        if fresh:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO tokens VALUES (?, ?)",
                                     [(k, _SEP.join(v)) for k, v in fresh.items()])
            found.update(fresh)
        return [found[k] for k in keys]


_SEP = "\x1f"


@dataclass
class _Terms:
    """One chunk's distinct term ids and their counts."""

    digest: int  # hash() of the text they came from
    ids: np.ndarray
    counts: np.ndarray


class _Postings:
    """BM25 weights per (term, chunk), grouped by term. Immutable: ``refresh``
    swaps in a new one, so searches never see a half-built index."""

    def __init__(self, terms: list[_Terms], vocab_size: int):
        self.size = len(terms)
        lengths = np.array([t.counts.sum() for t in terms], dtype=np.float64)
        ids = np.concatenate([t.ids for t in terms]) if terms else np.zeros(0, np.int64)
        counts = np.concatenate([t.counts for t in terms]).astype(np.float64) if terms else np.zeros(0)
        owner = np.repeat(np.arange(self.size, dtype=np.int32), [len(t.ids) for t in terms])
        df = np.bincount(ids, minlength=vocab_size)
        self.idf = _okapi_idf(df, self.size)
        self.max_idf = float(self.idf[df > 0].max()) if (df > 0).any() else 0.0
        avgdl = lengths.sum() / self.size if self.size else 1.0
        norm = K1 * (1 - B + B * lengths[owner] / avgdl)
        weights = self.idf[ids] * counts * (K1 + 1) / (counts + norm)
        order = np.argsort(ids, kind="stable")
        self.docs = owner[order]
        self.weights = weights[order]
        self.starts = np.concatenate(([0], np.cumsum(df)))

    def scores(self, term_ids: list[int]) -> np.ndarray:
        """BM25 score of every chunk; a repeated query word counts twice, as in rank_bm25."""
        scores = np.zeros(self.size)
        for t in term_ids:
            if t < len(self.starts) - 1:
                lo, hi = self.starts[t], self.starts[t + 1]
                scores[self.docs[lo:hi]] += self.weights[lo:hi]
        return scores


_EMPTY = _Postings([], 0)


class KeywordIndex:
    """BM25 over chunks' embed_text (title, issuer, date, heading path, text).

    Rebuilt only when the set of chunks changes (``refresh``), never per
    query, and then only new or changed chunks are tokenized, unless they
    teach jieba a new name (then every chunk is, through the token cache).
    """

    def __init__(self, cache: TokenCache | None = None) -> None:
        self._cache = cache
        self._lock = threading.Lock()
        self._version: object = None
        self._state: tuple[_Postings, list[Chunk]] = (_EMPTY, [])
        self._terms: dict[str, _Terms] = {}  # by chunk id
        self._vocab: dict[str, int] = {}

    def refresh(self, version: object, load_chunks) -> None:
        with self._lock:
            if version == self._version:
                return
            chunks = load_chunks()
            fresh = [c for c in chunks if c.id not in self._terms or self._terms[c.id].digest != hash(c.embed_text)]
            if learn_names(c.text for c in fresh):
                fresh = chunks  # a new name may cut any chunk's words differently
            known = {c.id: self._terms[c.id] for c in chunks if c.id in self._terms}
            texts = [c.embed_text for c in fresh]
            tokens = self._cache.tokens(texts) if self._cache else [tokenize(t) for t in texts]
            known.update((c.id, self._count(text, toks)) for c, text, toks in zip(fresh, texts, tokens))
            terms = [known[c.id] for c in chunks]
            self._terms = known
            self._state = (_Postings(terms, len(self._vocab)), chunks)
            self._version = version

    def _count(self, text: str, tokens: list[str]) -> _Terms:
        ids = [self._vocab.setdefault(t, len(self._vocab)) for t in tokens]
        unique, counts = np.unique(np.array(ids, dtype=np.int64), return_counts=True)
        return _Terms(hash(text), unique, counts)

    @property
    def chunks(self) -> list[Chunk]:
        return self._state[1]

    def search(self, query: str, k: int, allow=None) -> list[tuple[Chunk, float]]:
        postings, chunks = self._state
        ids = [self._vocab.get(t, -1) for t in tokenize(query)]
        if postings.size == 0 or not ids:
            return []
        scores = postings.scores([i for i in ids if i >= 0])
        hits = []
        for i in _best_first(scores, None if allow else k):
            if allow is None or allow(chunks[i]):
                hits.append((chunks[i], float(scores[i])))
                if len(hits) == k:
                    break
        return hits

    def known(self, token: str) -> bool:
        """Whether some chunk of the index holds ``token``."""
        postings = self._state[0]
        i = self._vocab.get(token, -1)
        return 0 <= i < len(postings.starts) - 1 and bool(postings.starts[i + 1] > postings.starts[i])

    def idf(self, token: str) -> float:
        postings = self._state[0]
        if postings.size == 0:
            return 0.0
        i = self._vocab.get(token, -1)
        present = 0 <= i < len(postings.idf) and postings.starts[i + 1] > postings.starts[i]
        return float(postings.idf[i]) if present else postings.max_idf


def _best_first(scores: np.ndarray, k: int | None) -> np.ndarray:
    """Indices of positive scores, best first, ties by position; with ``k``,
    only what can reach the top k (a partition, not a full sort)."""
    positive = np.flatnonzero(scores > 0)
    if k is not None and len(positive) > k:
        kth = np.partition(scores[positive], len(positive) - k)[len(positive) - k]
        positive = positive[scores[positive] >= kth]
    return positive[np.lexsort((positive, -scores[positive]))]
