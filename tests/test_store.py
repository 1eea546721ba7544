"""VectorStore on a real embedded Chroma: round trips, deletion, counts,
paging, the model and dimension guards, and HNSW parameters that an index
keeps until it is rebuilt."""
from __future__ import annotations

import numpy as np
import pytest

from assistant.config import Settings
from assistant.documents import Chunk, DocMeta
from assistant.store import IndexMismatchError, VectorStore


def settings_for(tmp_path, **changes) -> Settings:
    return Settings().with_(index_dir=tmp_path / "index", **changes)


def chunk(source: str, index: int, text: str, **meta) -> Chunk:
    doc = DocMeta(title=f"《{source}》", issuer="慈溪市科学技术局", date="2024-05-06", **meta)
    return Chunk(f"{source}#{index}", source, index, text, index * 100, index * 100 + len(text), "一、总则", doc, page=2)


def unit(rng: np.random.Generator, dim: int = 8) -> np.ndarray:
    v = rng.normal(size=dim)
    return v / np.linalg.norm(v)


def test_round_trip_keeps_text_metadata_and_finds_the_nearest(tmp_path):
    store = VectorStore(settings_for(tmp_path))
    rng = np.random.default_rng(1)
    chunks = [chunk("a.txt", 0, "上林英才首批30%的启动资金"), chunk("a.txt", 1, "后续资金分三期拨付"),
              chunk("b.txt", 0, "创新联合体补充申报截止时间", doc_type="通知公告")]
    vectors = [unit(rng) for _ in chunks]
    store.add(chunks, vectors)
    assert store.count() == 3 and store.dimension == 8
    hits = store.query(vectors[1], k=2)
    assert hits[0].chunk == chunks[1] and hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert hits[1].score < hits[0].score
    only_b = store.query(vectors[1], k=3, where={"doc_type": "通知公告"})
    assert [h.chunk.id for h in only_b] == ["b.txt#0"]
    assert sorted(c.id for c in store.chunks()) == ["a.txt#0", "a.txt#1", "b.txt#0"]
    assert store.source_counts() == {"a.txt": 2, "b.txt": 1}


def test_delete_sources_removes_only_those_documents(tmp_path):
    store = VectorStore(settings_for(tmp_path))
    rng = np.random.default_rng(2)
    chunks = [chunk(f"{n}.txt", i, f"第{n}篇第{i}段") for n in range(4) for i in range(3)]
    store.add(chunks, [unit(rng) for _ in chunks])
    store.delete_sources(["1.txt", "3.txt", "never-there.txt"])
    assert store.source_counts() == {"0.txt": 3, "2.txt": 3}


def test_an_empty_store_answers_queries_with_nothing(tmp_path):
    store = VectorStore(settings_for(tmp_path))
    assert store.count() == 0 and store.query(np.ones(8) / np.sqrt(8), k=5) == [] and store.chunks() == []


def test_chunks_are_read_in_pages_past_the_page_size(tmp_path):
    store = VectorStore(settings_for(tmp_path))
    rng = np.random.default_rng(3)
    chunks = [chunk("big.txt", i, f"段落{i}") for i in range(23)]
    store.add(chunks, [unit(rng) for _ in chunks])
    pages = list(store._pages(None, ["metadatas"], page=5))
    assert [len(p["ids"]) for p in pages] == [5, 5, 5, 5, 3]
    assert store.source_counts() == {"big.txt": 23}


def test_another_model_or_dimension_is_refused_in_chinese(tmp_path):
    settings = settings_for(tmp_path)
    store = VectorStore(settings)
    store.add([chunk("a.txt", 0, "文本")], [np.ones(8) / np.sqrt(8)])
    with pytest.raises(IndexMismatchError) as info:
        VectorStore(settings.with_(embedding_model="another/model"))
    assert "请使用 --rebuild 重建索引" in info.value.reason and "another/model" in info.value.reason
    with pytest.raises(IndexMismatchError) as dim:
        store.add([chunk("a.txt", 1, "文本")], [np.ones(4) / 2])
    assert dim.value.reason == "索引向量维度为 8，当前模型输出 4 维。请使用 --rebuild 重建索引。"
    assert store.count() == 1


def hnsw_in_use(index_dir) -> dict:
    """The HNSW configuration Chroma itself holds for the collection, read
    through a fresh client (not our metadata, which Chroma does not act on
    after creation)."""
    import chromadb
    from chromadb.api.client import SharedSystemClient
    from chromadb.config import Settings as ChromaSettings

    SharedSystemClient.clear_system_cache()
    try:
        client = chromadb.PersistentClient(str(index_dir / "chroma"), ChromaSettings(anonymized_telemetry=False))
        hnsw = client.get_collection("policy_chunks").configuration["hnsw"]
        return {"M": hnsw["max_neighbors"], "construction_ef": hnsw["ef_construction"], "search_ef": hnsw["ef_search"]}
    finally:
        SharedSystemClient.clear_system_cache()


def test_hnsw_parameters_come_from_settings_and_stay_until_rebuild(tmp_path):
    store = VectorStore(settings_for(tmp_path, hnsw_m=24, hnsw_construction_ef=100, hnsw_search_ef=120))
    store.add([chunk("a.txt", 0, "文本")], [np.ones(8) / np.sqrt(8)])  # writing the dimension keeps them too
    assert hnsw_in_use(tmp_path / "index") == {"M": 24, "construction_ef": 100, "search_ef": 120}
    reopened = VectorStore(settings_for(tmp_path, hnsw_m=48, hnsw_construction_ef=200, hnsw_search_ef=300))
    assert hnsw_in_use(tmp_path / "index") == {"M": 24, "construction_ef": 100, "search_ef": 120}
    reopened.reset()
    assert hnsw_in_use(tmp_path / "index") == {"M": 48, "construction_ef": 200, "search_ef": 300}
    assert reopened.count() == 0


def test_ingestion_keeps_the_hnsw_parameters_of_an_index_until_rebuild(tmp_path):
    """Through ingestion as people run it: changed settings do not touch an
    existing index (the documents are unchanged, or changed); --rebuild
    builds it with the new ones."""
    from conftest import CORPUS

    from assistant.ingestion import ingest

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    small = next(CORPUS.glob("11_*"))
    (corpus / small.name).write_bytes(small.read_bytes())
    built = settings_for(tmp_path, corpus_dir=corpus, hnsw_m=24, hnsw_construction_ef=100, hnsw_search_ef=120)
    assert ingest(settings=built).chunks_total > 0
    assert hnsw_in_use(built.index_dir) == {"M": 24, "construction_ef": 100, "search_ef": 120}
    changed = built.with_(hnsw_m=48, hnsw_construction_ef=200, hnsw_search_ef=300)
    ingest(settings=changed)
    (corpus / "02.txt").write_bytes(next(CORPUS.glob("02_*")).read_bytes())  # a new document, same index
    assert ingest(settings=changed).added == ["02.txt"]
    assert hnsw_in_use(built.index_dir) == {"M": 24, "construction_ef": 100, "search_ef": 120}
    rebuilt = ingest(settings=changed, rebuild=True)
    assert rebuilt.chunks_total > 0 and rebuilt.chunks_embedded == 0  # from the embedding cache
    assert hnsw_in_use(built.index_dir) == {"M": 48, "construction_ef": 200, "search_ef": 300}
