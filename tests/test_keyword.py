"""The inverted BM25 index: the same scores as rank_bm25 on the corpus,
incremental refresh equal to a fresh build, and the token cache."""

import pytest

from assistant.documents import Chunk, DocMeta
from assistant.keyword import KeywordIndex, TokenCache, place_words, tokenize

TEXTS = {
    "a": "上林英才项目资助资金分三次拨付，分别为20%、20%、30%。",
    "b": "企业研发费用加计扣除政策，按照税务部门规定执行。",
    "c": "上林英才计划面向高层次人才创业创新项目。",
    "d": "科技型中小企业评价工作通知，请各企业按时申报。",
}


def chunk(cid: str, text: str) -> Chunk:
    return Chunk(id=cid, source=f"{cid}.txt", index=0, text=text, start=0, end=len(text), section="", meta=DocMeta())


@pytest.fixture
def cache(tmp_path):
    return TokenCache(tmp_path / "tokens.sqlite")


def test_scores_equal_rank_bm25_on_the_corpus(policy_assistant, cache):
    """The inverted index must score exactly as rank_bm25's BM25Okapi (the
    well-kept reference, too slow to use at 50k chunks)."""
    from rank_bm25 import BM25Okapi

    chunks = policy_assistant.store.chunks()
    index = KeywordIndex(cache)
    index.refresh(1, lambda: chunks)
    reference = BM25Okapi([tokenize(c.embed_text) for c in chunks])
    for query in ("上林英才资助资金怎么拨付", "创新联合体补充申报截止时间", "甬易办 兑付 惠企资金", "研发机构 奖励"):
        expected = reference.get_scores(tokenize(query))
        hits = index.search(query, len(chunks))
        assert hits
        position = {c.id: i for i, c in enumerate(chunks)}
        for found, score in hits:
            assert score == pytest.approx(expected[position[found.id]])
        assert len(hits) == sum(1 for v in expected if v > 0)


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


def test_place_words_are_places_jieba_tags_but_not_generic_ones():
    assert "苏州" in place_words("苏州对新认定的高新技术企业奖励多少钱")
    assert place_words("镇里行业协会想去争取运营依托单位") == []


def test_a_documents_term_made_of_a_stopword_stays_one_word():
    assert "一般类" in tokenize("对一般类技改项目")  # 一般 alone (一般多久) is a stopword
    assert "一般" not in tokenize("一般多久")
