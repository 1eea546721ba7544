"""The inverted BM25 index: Okapi scores as defined (k1 1.5, b 0.75, idf
floor), incremental refresh equal to a fresh build, and the token cache."""
import math

import pytest

from assistant.documents import Chunk, DocMeta
from assistant.keyword import KeywordIndex, TokenCache, tokenize

TEXTS = {
    "a": "上林英才项目资助资金分三次拨付，分别为20%、20%、30%。",
    "b": "企业研发费用加计扣除政策，按照税务部门规定执行。",
    "c": "上林英才计划面向高层次人才创业创新项目。",
    "d": "科技型中小企业评价工作通知，请各企业按时申报。",
}


def chunk(cid: str, text: str) -> Chunk:
    return Chunk(id=cid, source=f"{cid}.txt", index=0, text=text, start=0, end=len(text), section="", meta=DocMeta())


def okapi_scores(chunks: list[Chunk], query: list[str]) -> dict[str, float]:
    """BM25Okapi written out from its definition, for comparison."""
    docs = {c.id: tokenize(c.embed_text) for c in chunks}
    n, avgdl = len(docs), sum(map(len, docs.values())) / len(docs)
    df = {}
    for tokens in docs.values():
        for t in set(tokens):
            df[t] = df.get(t, 0) + 1
    idf = {t: math.log(n - f + 0.5) - math.log(f + 0.5) for t, f in df.items()}
    floor = 0.25 * sum(idf.values()) / len(idf)
    idf = {t: (floor if v < 0 else v) for t, v in idf.items()}
    scores = {}
    for cid, tokens in docs.items():
        s = 0.0
        for q in query:
            tf = tokens.count(q)
            s += idf.get(q, 0.0) * tf * 2.5 / (tf + 1.5 * (0.25 + 0.75 * len(tokens) / avgdl))
        scores[cid] = s
    return scores


@pytest.fixture
def cache(tmp_path):
    return TokenCache(tmp_path / "tokens.sqlite")


def test_scores_follow_the_okapi_definition(cache):
    chunks = [chunk(cid, text) for cid, text in TEXTS.items()]
    index = KeywordIndex(cache)
    index.refresh(1, lambda: chunks)
    query = "上林英才资助资金怎么拨付"
    expected = okapi_scores(chunks, tokenize(query))
    hits = index.search(query, 4)
    assert hits and hits[0][0].id == "a"
    for found, score in hits:
        assert score == pytest.approx(expected[found.id])
    assert [c.id for c, _ in hits] == [cid for cid, s in sorted(expected.items(), key=lambda x: -x[1]) if s > 0]


def test_incremental_refresh_equals_a_fresh_build(cache):
    chunks = [chunk(cid, text) for cid, text in TEXTS.items()]
    grown = KeywordIndex(cache)
    grown.refresh(1, lambda: chunks[:2])
    grown.refresh(2, lambda: chunks)
    changed = chunks[:3] + [chunk("d", "上林英才项目的后续资金按绩效评估结果拨付。")]
    grown.refresh(3, lambda: changed)
    fresh = KeywordIndex(cache)
    fresh.refresh(1, lambda: changed)
    for query in ("上林英才拨付", "研发费用加计扣除", "绩效评估"):
        assert [(c.id, pytest.approx(s)) for c, s in grown.search(query, 4)] == [
            (c.id, s) for c, s in fresh.search(query, 4)
        ]
    assert [c.id for c in grown.chunks] == ["a", "b", "c", "d"]


def test_idf_of_an_unknown_word_is_the_largest_idf(cache):
    index = KeywordIndex(cache)
    assert index.idf("上林英才") == 0.0  # empty index
    index.refresh(1, lambda: [chunk(cid, text) for cid, text in TEXTS.items()])
    assert index.idf("不存在的词语") == max(index.idf(t) for t in tokenize(" ".join(TEXTS.values())))
    assert index.idf("企业") < index.idf("不存在的词语")  # in two of four chunks


def test_token_cache_returns_what_jieba_returns(cache, tmp_path):
    texts = list(TEXTS.values())
    first = cache.tokens(texts)
    assert first == [tokenize(t) for t in texts]
    again = TokenCache(tmp_path / "tokens.sqlite").tokens(texts)  # a new process would read these
    assert again == first
