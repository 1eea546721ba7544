"""Hybrid retrieval on a real Chroma index of the shipped corpus: rank
fusion, metadata filters, follow-up questions and BM25 over exact names."""
import pytest
from conftest import SEED

from assistant.documents import Chunk, DocMeta
from assistant.keyword import KeywordIndex
from assistant.retrieval import Filters, Passage, resolve_follow_up, rrf

RRF_K = 60

SEED_TRANCHES = "20%、20%、30%"


def make_chunk(chunk_id: str, issuer: str = "慈溪市科学技术局", date: str = "2022-06-22", doc_type: str = "建议答复"):
    meta = DocMeta(title=f"标题{chunk_id}", issuer=issuer, date=date, doc_type=doc_type)
    return Chunk(id=chunk_id, source=f"{chunk_id}.txt", index=0, text=f"正文{chunk_id}", start=0, end=4,
                 section="", meta=meta)


# --------------------------------------------------------------------------- rrf


def test_rrf_puts_a_chunk_ranked_in_both_lists_above_chunks_found_by_one():
    a, b, c, d, e = (make_chunk(x) for x in "abcde")
    dense = [(b, 0.9), (a, 0.8), (c, 0.7)]
    keyword = [(d, 12.0), (a, 9.0), (e, 3.0)]

    fused = rrf({"dense": dense, "keyword": keyword}, RRF_K)

    assert all(isinstance(p, Passage) for p in fused)
    assert [p.chunk.id for p in fused][0] == "a"
    assert sorted(p.chunk.id for p in fused) == list("abcde")  # each chunk once
    top = fused[0]
    assert top.ranks == {"dense": 2, "keyword": 2}
    assert top.dense == pytest.approx(0.8) and top.keyword == pytest.approx(9.0)
    assert top.score == pytest.approx(2 / (RRF_K + 2))
    # Chunks found by one stage only keep only that stage's rank and score.
    by_id = {p.chunk.id: p for p in fused}
    assert by_id["b"].ranks == {"dense": 1} and by_id["b"].keyword is None
    assert by_id["d"].ranks == {"keyword": 1} and by_id["d"].dense is None
    assert by_id["e"].ranks == {"keyword": 3}
    # Sorted by fused score, best first; rank 1 in one list beats rank 3.
    scores = [p.score for p in fused]
    assert scores == sorted(scores, reverse=True)
    assert by_id["b"].score > by_id["c"].score


def test_rrf_of_nothing_is_empty():
    assert rrf({"dense": [], "keyword": []}, RRF_K) == []


# ----------------------------------------------------------------------- filters


def test_filters_where_builds_chroma_clauses():
    assert Filters().where() is None
    assert Filters(issuer="慈溪市人民政府").where() == {"issuer": "慈溪市人民政府"}
    assert Filters(doc_type="政策文件").where() == {"doc_type": "政策文件"}
    assert Filters(year_from=2023).where() == {"year": {"$gte": 2023}}
    assert Filters(year_to=2024).where() == {"year": {"$lte": 2024}}

    where = Filters(issuer="慈溪市科学技术局", doc_type="通知公告", year_from=2023, year_to=2025).where()
    assert set(where) == {"$and"}
    expected = [
        {"issuer": "慈溪市科学技术局"},
        {"doc_type": "通知公告"},
        {"year": {"$gte": 2023}},
        {"year": {"$lte": 2025}},
    ]
    assert len(where["$and"]) == len(expected)
    for clause in expected:
        assert clause in where["$and"]

    two = Filters(issuer="慈溪市人民政府", year_from=2022).where()
    assert set(two) == {"$and"} and len(two["$and"]) == 2


def test_filters_allows_checks_every_field():
    chunk = make_chunk("x", issuer="慈溪市人民政府", date="2023-02-04", doc_type="工作报告")
    assert Filters().allows(chunk)
    assert Filters(issuer="慈溪市人民政府", doc_type="工作报告", year_from=2023, year_to=2023).allows(chunk)
    assert not Filters(issuer="慈溪市科学技术局").allows(chunk)
    assert not Filters(doc_type="政策文件").allows(chunk)
    assert not Filters(year_from=2024).allows(chunk)
    assert not Filters(year_to=2022).allows(chunk)
    # A bare year is a date too.
    assert Filters(year_from=2021, year_to=2021).allows(make_chunk("y", date="2021"))


@pytest.mark.parametrize(
    "filters",
    [
        Filters(issuer="慈溪市人民政府"),
        Filters(issuer="慈溪市科学技术局"),
        Filters(doc_type="政策文件"),
        Filters(year_from=2025),
        Filters(year_to=2020),
        Filters(year_from=2022, year_to=2023),
        Filters(issuer="慈溪市科学技术局", year_from=2023),
        Filters(issuer="慈溪市人民政府", doc_type="工作报告", year_from=2021, year_to=2022),
    ],
    ids=lambda f: repr(f),
)
def test_filters_allows_agrees_with_the_chroma_where_clause(policy_assistant, filters):
    """The keyword side filters with ``allows``, the dense side with
    ``where()`` in Chroma: both must select the same chunks."""
    store = policy_assistant.store
    everything = store.chunks()
    by_chroma = {c.id for c in store.chunks(filters.where())}
    by_allows = {c.id for c in everything if filters.allows(c)}
    assert by_chroma == by_allows
    assert 0 < len(by_chroma) < len(everything)  # the filter really narrows


# -------------------------------------------------------------------- follow-ups


def test_follow_up_gets_only_the_previous_question():
    history = ["创新联合体补充申报什么时候截止？", "上林英才启动资金怎么拨付？"]
    query = resolve_follow_up("那后续资金呢？", history)
    assert "上林英才" in query and "那后续资金呢？" in query
    assert "创新联合体" not in query  # older turns are not concatenated
    assert query.startswith("上林英才启动资金怎么拨付？")


def test_self_contained_question_is_left_alone():
    question = "慈溪市企业创新联合体补充申报的截止时间和申报材料要求分别是什么"
    assert resolve_follow_up(question, ["上林英才启动资金怎么拨付？"]) == question
    assert resolve_follow_up("那后续资金呢？", []) == "那后续资金呢？"
    assert resolve_follow_up("那后续资金呢？", None) == "那后续资金呢？"


# --------------------------------------------------------------------- keywords


@pytest.fixture(scope="module")
def keyword_index(policy_assistant):
    store = policy_assistant.store
    index = KeywordIndex()
    index.refresh(("test", store.count()), store.chunks)
    assert len(index.chunks) == store.count() > 0
    return index


@pytest.mark.parametrize("query, exact", [("“8718”公共服务慈溪平台", "8718"), ("甬易办上线兑付", "甬易办")])
def test_keyword_search_finds_exact_names_at_rank_one(keyword_index, query, exact):
    hits = keyword_index.search(query, 5)
    assert hits, query
    best, score = hits[0]
    assert best.source == SEED
    assert exact in best.text
    assert score > 0
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


def test_keyword_search_respects_allow(keyword_index):
    everything = keyword_index.search("上林英才 人才 资金", 10)
    assert SEED in {c.source for c, _ in everything}  # without the filter the seed reply is found
    allowed = lambda c: c.source != SEED  # noqa: E731
    hits = keyword_index.search("上林英才 人才 资金", 10, allow=allowed)
    assert hits, "the other documents that speak of 人才 and 资金 are still found"
    assert [c.source for c, _ in hits if c.source == SEED] == []
    # the filter takes away the seed reply's hits and keeps the order of the rest
    assert [c.id for c, _ in hits] == [c.id for c, _ in keyword_index.search("上林英才 人才 资金", 200) if allowed(c)][:10]


def test_keyword_search_of_stopwords_only_is_empty(keyword_index):
    assert keyword_index.search("什么？", 5) == []


# ------------------------------------------------------------- Assistant.retrieve


def test_retrieve_finds_the_seed_reply_first(policy_assistant):
    passages = policy_assistant.retrieve("上林英才项目资助资金怎么分期拨付")
    assert passages
    assert passages[0].chunk.source == SEED
    assert SEED_TRANCHES in passages[0].chunk.text
    assert passages[0].dense is not None and passages[0].keyword is not None
    assert len(passages) <= 5
    scores = [p.score for p in passages]
    assert scores == sorted(scores, reverse=True)


def test_retrieve_with_issuer_filter_keeps_only_that_issuer(policy_assistant):
    passages = policy_assistant.retrieve("上林英才项目资助资金怎么分期拨付", filters=Filters(issuer="慈溪市人民政府"))
    assert passages
    assert all(p.chunk.meta.issuer == "慈溪市人民政府" for p in passages)


def test_retrieve_with_year_filter_keeps_only_recent_documents(policy_assistant):
    passages = policy_assistant.retrieve("上林英才项目资助资金怎么分期拨付", filters=Filters(year_from=2025))
    assert passages
    assert all((p.chunk.meta.year or 0) >= 2025 for p in passages)
    assert all(p.chunk.source != SEED for p in passages)


def test_retrieve_resolves_a_follow_up_from_history(policy_assistant):
    passages = policy_assistant.retrieve("那后续资金呢？", history=["上林英才的启动资金怎么拨付？"])
    assert SEED in [p.chunk.source for p in passages[:3]]


def test_retrieve_follow_up_uses_only_the_latest_earlier_question(policy_assistant):
    history = ["创新联合体补充申报什么时候截止？", "上林英才的启动资金怎么拨付？"]
    passages = policy_assistant.retrieve("那后续资金呢？", history=history)
    assert SEED in [p.chunk.source for p in passages[:3]]
