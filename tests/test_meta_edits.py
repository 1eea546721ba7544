"""Agents' corrections of document metadata and the issuer names table,
against a real Chroma index built with the real model: stored beside the
manifest (never in the file), applied to every chunk without re-embedding,
logged, kept across re-ingestion and --rebuild, and made good after a crash
between saving and applying."""
from __future__ import annotations

import shutil
import sqlite3

import pytest
from conftest import CORPUS, SEED, index_problems

from assistant.config import Settings
from assistant.ingestion import ingest
from assistant.manifest import Manifest
from assistant.meta_admin import (
    correct_document,
    document_meta,
    edit_log,
    issuer_table,
    revert_document,
    save_issuer_table,
    shown_meta,
)
from assistant.meta_edits import MetaEditError, MetaEdits, file_values
from assistant.retrieval import Filters
from assistant.store import VectorStore

KJJ = SEED  # 慈溪市科学技术局, several chunks
KJJ_TITLE = "对市十八届人大一次会议第190号建议的答复"
OTHER = "11_zhejiang_jxt_2024-12-31_2024_kejixing_zhongxiao_qiye_beian.txt"
VARIANT = "zz_variant_issuer.txt"
VARIANT_TEXT = """---
title: 测试文件：关于海鸥创新券的补充说明（测试用）
issuer: 市科技局
date: 2026-01-05
doc_type: 通知公告
---
海鸥创新券的补充说明：每家企业每年最多申领5万元，用于购买检验检测服务。
"""
NEW = {"title": "关于市十八届人大一次会议第190号建议的答复（更正标题）", "issuer": "慈溪市经济和信息化局",
       "date": "2022-06-23", "doc_number": "慈科建〔2022〕190号", "doc_type": "政策文件", "validity": "已被替代"}


@pytest.fixture
def library(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in (KJJ, OTHER):
        shutil.copy(CORPUS / name, corpus / name)
    (corpus / VARIANT).write_text(VARIANT_TEXT, "utf-8")
    settings = Settings().with_(index_dir=tmp_path / "index", corpus_dir=corpus)
    report = ingest(corpus, settings=settings)
    assert not report.failed
    return corpus, settings


def _chunks(settings, source, embeddings=False):
    store = VectorStore(settings)
    include = ["metadatas", "embeddings"] if embeddings else ["metadatas"]
    return store.collection.get(where={"source": source}, include=include)


def test_a_correction_reaches_every_chunk_without_reembedding_and_is_logged(library):
    corpus, settings = library
    file_bytes = (corpus / KJJ).read_bytes()
    before = _chunks(settings, KJJ, embeddings=True)
    message = correct_document(settings, KJJ, NEW, "agent")
    assert message.startswith("已保存修改：" + KJJ) and "未重新计算向量" in message
    after = _chunks(settings, KJJ, embeddings=True)
    assert after["ids"] == before["ids"] and len(after["ids"]) > 1
    for meta in after["metadatas"]:
        assert {k: meta[k] for k in NEW} == NEW and meta["year"] == 2022
    assert (after["embeddings"] == before["embeddings"]).all()  # vectors untouched
    assert (corpus / KJJ).read_bytes() == file_bytes  # the source file is never written
    entry = Manifest.load(settings.manifest_path).entries[KJJ]
    assert (entry.title, entry.issuer, entry.doc_number, entry.validity) == (
        NEW["title"], NEW["issuer"], NEW["doc_number"], NEW["validity"])
    log = edit_log(settings)
    assert len(log) == 6 and all(row[1] == "agent" and row[2] == KJJ for row in log)
    assert ["标题", KJJ_TITLE, NEW["title"]] in [row[3:] for row in log]
    assert index_problems(settings.index_dir, corpus) == []
    shown = document_meta(settings, KJJ)
    assert shown.values == NEW and shown.original["title"] == KJJ_TITLE


def test_corrections_survive_reingestion_of_a_new_version_and_rebuild(library):
    corpus, settings = library
    correct_document(settings, KJJ, {"title": "更正后的标题", "validity": "已废止"}, "agent")
    path = corpus / KJJ
    path.write_text(path.read_text("utf-8") + "\n补充说明：联系人变更为王明。\n", "utf-8")
    report = ingest(corpus, settings=settings)
    assert report.updated == [KJJ]
    for meta in _chunks(settings, KJJ)["metadatas"]:
        assert meta["title"] == "更正后的标题" and meta["validity"] == "已废止"
    ingest(corpus, settings=settings, rebuild=True)
    metas = _chunks(settings, KJJ)["metadatas"]
    assert metas and all(m["title"] == "更正后的标题" for m in metas)
    assert Manifest.load(settings.manifest_path).entries[KJJ].title == "更正后的标题"


def test_undo_restores_the_file_values(library):
    _, settings = library
    original = _chunks(settings, KJJ)["metadatas"][0]
    correct_document(settings, KJJ, NEW, "agent")
    message = revert_document(settings, KJJ, "agent2")
    assert message.startswith("已恢复文件原值")
    for meta in _chunks(settings, KJJ)["metadatas"]:
        assert {k: meta[k] for k in NEW} == {k: original[k] for k in NEW} and meta["original"] == ""
    assert edit_log(settings)[0][1] == "agent2"


def test_issuer_variants_are_normalised_and_the_filter_finds_every_document(library):
    _, settings = library
    store = VectorStore(settings)
    variant = _chunks(settings, VARIANT)["metadatas"][0]
    assert variant["issuer"] == "慈溪市科学技术局"  # 市科技局, normalised by default
    assert file_values(store.chunks(where={"source": VARIANT}, text=False)[0].meta)["issuer"] == "市科技局"
    where = Filters(issuer="慈溪市科学技术局").where()
    assert {c.source for c in store.chunks(where=where, text=False)} == {KJJ, VARIANT}
    rows = {row[0]: row for row in issuer_table(settings)}
    assert rows["市科技局"] == ["市科技局", "慈溪市科学技术局", 1]
    assert rows["慈溪市科学技术局"][2] == 1

    message = save_issuer_table(settings, [["市科技局", "宁波市科学技术局", 1]], "agent")
    assert "市科技局 → 宁波市科学技术局" in message and "1 篇文档" in message
    assert _chunks(settings, VARIANT)["metadatas"][0]["issuer"] == "宁波市科学技术局"
    save_issuer_table(settings, [["市科技局", "", 1]], "agent")  # blank: keep as written
    assert _chunks(settings, VARIANT)["metadatas"][0]["issuer"] == "市科技局"
    assert [row[3] for row in edit_log(settings)[:2]] == ["发布单位名称对照"] * 2


def test_bad_values_get_a_chinese_reason_and_nothing_is_saved(library):
    _, settings = library
    before = _chunks(settings, KJJ)["metadatas"]
    for values, reason in [({"date": "2025-13-01"}, "日期“2025-13-01”无效"), ({"title": "  "}, "标题不能为空"),
                           ({"validity": "作废"}, "有效性只能是"), ({"doc_number": "号" * 61}, "文号过长")]:
        with pytest.raises(MetaEditError) as err:
            correct_document(settings, KJJ, values, "agent")
        assert reason in err.value.reason
    with pytest.raises(MetaEditError, match="文档库中没有可修改的"):
        correct_document(settings, "nope.txt", NEW, "agent")
    assert _chunks(settings, KJJ)["metadatas"] == before and edit_log(settings) == []
    assert "没有改动" in correct_document(settings, KJJ, {"title": before[0]["title"]}, "agent")


def test_a_correction_saved_but_not_applied_is_applied_by_the_next_run(library):
    """A crash between saving a correction and rewriting the chunks."""
    corpus, settings = library
    original = file_values(VectorStore(settings).chunks(where={"source": OTHER}, text=False)[0].meta)
    MetaEdits(settings.metadata_db).correct(OTHER, {"title": "崩溃前保存的标题"}, original, "agent")
    assert _chunks(settings, OTHER)["metadatas"][0]["title"] != "崩溃前保存的标题"
    report = ingest(corpus, settings=settings)
    assert report.chunks_embedded == 0 and report.unchanged
    assert all(m["title"] == "崩溃前保存的标题" for m in _chunks(settings, OTHER)["metadatas"])
    assert Manifest.load(settings.manifest_path).entries[OTHER].title == "崩溃前保存的标题"


def test_corrections_live_beside_the_manifest(library):
    _, settings = library
    correct_document(settings, KJJ, {"doc_number": "慈科〔2025〕9号"}, "agent")
    assert settings.metadata_db.parent == settings.manifest_path.parent
    with sqlite3.connect(settings.metadata_db) as db:
        assert db.execute("SELECT source, field, value FROM corrections").fetchall() == [
            (KJJ, "doc_number", "慈科〔2025〕9号")]
    entry = Manifest.load(settings.manifest_path).entries[KJJ]
    from assistant.corpus import read_document

    page_meta = shown_meta(read_document(settings.corpus_dir / KJJ, KJJ).meta, entry)
    assert page_meta.doc_number == "慈科〔2025〕9号"


def test_a_filter_by_a_variant_uses_the_canonical_name(library):
    from assistant.meta_edits import canonical_issuer

    _, settings = library
    assert canonical_issuer(settings, "市科技局") == "慈溪市科学技术局"
    assert canonical_issuer(settings, "市科技局、市财政局") == "慈溪市科学技术局、慈溪市财政局"
    assert canonical_issuer(settings, "浙江省人民政府") == "浙江省人民政府" and canonical_issuer(settings, "") == ""
    save_issuer_table(settings, [["市科技局", "宁波市科学技术局", 1]], "agent")
    assert canonical_issuer(settings, "市科技局") == "宁波市科学技术局"
