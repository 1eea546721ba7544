"""Ingestion end to end: real files, the real embedding model, a real Chroma store."""
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from contextlib import ExitStack

import pytest
from conftest import CORPUS, ROOT, SEED, chunk_ids, index_problems

from assistant.config import Settings
from assistant.ingestion import IngestBusyError, index_lock, ingest
from assistant.manifest import Manifest
from assistant.store import IndexMismatchError, VectorStore

SMALL = [
    "02_cixi_kjj_2025-04-09_chuangxin_lianheti_buchong_shenbao.txt",
    "03_cixi_kjj_2023-03-23_qiye_yanfa_jigou_2022_diyipi_gongshi.txt",
    "11_zhejiang_jxt_2024-12-31_2024_kejixing_zhongxiao_qiye_beian.txt",
]


@pytest.fixture
def small(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in SMALL:
        shutil.copy(CORPUS / name, corpus / name)
    # A private embedding cache, so that counts of embedded chunks are honest.
    settings = Settings().with_(index_dir=tmp_path / "index", embedding_cache=tmp_path / "emb.sqlite")
    return corpus, settings


def _sources(settings):
    store = VectorStore(settings)
    return {c.source for c in store.chunks()}, store


def test_incremental_ingestion_embeds_only_what_changed(small):
    corpus, settings = small
    first = ingest(corpus, settings=settings)
    assert sorted(first.added) == sorted(SMALL) and not first.failed
    assert first.chunks_embedded == first.chunks_total > 0

    second = ingest(corpus, settings=settings)
    assert second.chunks_embedded == 0 and second.chunks_stored == 0
    assert sorted(second.unchanged) == sorted(SMALL)
    assert second.chunks_total == first.chunks_total

    store = VectorStore(settings)
    before = {s: chunk_ids(store, s) for s in SMALL}
    changed = corpus / SMALL[0]
    changed.write_text(changed.read_text("utf-8") + "\n补充说明：联系人变更为王明，电话89591999。\n", "utf-8")
    third = ingest(corpus, settings=settings)
    assert third.updated == [SMALL[0]] and sorted(third.unchanged) == sorted(SMALL[1:])
    assert 0 < third.chunks_embedded <= len(chunk_ids(store, SMALL[0]))
    texts = [c.text for c in store.chunks(where={"source": SMALL[0]})]
    assert any("89591999" in t for t in texts)
    assert sum("联系人" in t for t in texts) >= 1
    for other in SMALL[1:]:
        assert chunk_ids(store, other) == before[other]
    assert store.count() == len(set(c.id for c in store.chunks()))  # no duplicates

    (corpus / SMALL[1]).unlink()
    fourth = ingest(corpus, settings=settings)
    assert fourth.removed == [SMALL[1]]
    sources, store = _sources(settings)
    assert SMALL[1] not in sources and chunk_ids(store, SMALL[1]) == []


def test_rebuild_starts_over_without_reembedding(small):
    corpus, settings = small
    first = ingest(corpus, settings=settings)
    rebuilt = ingest(corpus, settings=settings, rebuild=True)
    assert sorted(rebuilt.added) == sorted(SMALL)
    assert rebuilt.chunks_embedded == 0  # every vector came from the cache
    assert rebuilt.chunks_total == first.chunks_total


def test_bad_files_are_reported_and_the_rest_ingested(small):
    corpus, settings = small
    (corpus / "坏文件 副本.pdf").write_bytes(b"%PDF-1.4 garbage" + bytes(range(256)) * 4)
    (corpus / "表格.xlsx").write_bytes(b"PK\x03\x04junk")
    (corpus / "空.txt").write_bytes(b"")
    report = ingest(corpus, settings=settings)
    reasons = dict(report.failed)
    assert set(reasons) == {"坏文件 副本.pdf", "表格.xlsx", "空.txt"}
    assert "PDF" in reasons["坏文件 副本.pdf"] and "不支持" in reasons["表格.xlsx"] and "空" in reasons["空.txt"]
    assert sorted(report.added) == sorted(SMALL)
    sources, _ = _sources(settings)
    assert sources == set(SMALL)
    assert "失败：表格.xlsx" in report.summary()


def test_gbk_file_ingests_with_its_metadata(small):
    corpus, settings = small
    text = "关于开展科技特派员申报的通知\n各有关单位：\n一、申报条件\n在慈溪市登记注册的企业均可申报。\n慈溪市科学技术局\n2024年3月1日\n"
    (corpus / "gbk通知.txt").write_bytes(text.encode("gbk"))
    ingest(corpus, settings=settings)
    chunks = VectorStore(settings).chunks(where={"source": "gbk通知.txt"})
    assert chunks and chunks[0].meta.issuer == "慈溪市科学技术局" and chunks[0].meta.date == "2024-03-01"
    assert "在慈溪市登记注册的企业均可申报。" in "".join(c.text for c in chunks)


def test_index_records_its_model_and_refuses_another(small):
    corpus, settings = small
    ingest(corpus, settings=settings)
    store = VectorStore(settings)
    assert store.collection.metadata["embedding_model"] == settings.embedding_model
    assert store.dimension == 768
    with pytest.raises(IndexMismatchError, match="rebuild"):
        VectorStore(settings.with_(embedding_model="some/other-model"))


def test_second_ingestion_at_once_is_refused(small):
    corpus, settings = small
    with index_lock(settings.index_dir):
        with pytest.raises(IngestBusyError, match="另一个导入任务"):
            ingest(corpus, settings=settings)


def test_an_ingestion_told_to_wait_runs_once_the_lock_is_free(small):
    corpus, settings = small
    with ExitStack() as held:
        held.enter_context(index_lock(settings.index_dir))
        release = threading.Timer(1.5, held.close)
        release.start()
        started = time.monotonic()
        report = ingest(corpus, settings=settings, wait=60)
    assert time.monotonic() - started >= 1.4
    assert sorted(report.added) == sorted(SMALL)


def test_a_killed_holder_does_not_keep_the_lock(small):
    corpus, settings = small
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; sys.path.insert(0, '.');"
        "from assistant.ingestion import index_lock\n"
        f"with index_lock(Path({str(settings.index_dir)!r})):\n print('held', flush=True); time.sleep(600)"
    )], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(IngestBusyError):
        ingest(corpus, settings=settings)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert sorted(ingest(corpus, settings=settings).added) == sorted(SMALL)


def test_an_index_damaged_midway_is_checked_and_repaired_on_the_next_run(small):
    """What a crash can leave, made by hand: chunks of a document the
    manifest does not list, a listed document with chunks missing, and an
    entry left pending. The next run keeps only what is whole."""
    corpus, settings = small
    ingest(corpus, settings=settings)
    store = VectorStore(settings)
    orphan = store.chunks(where={"source": SMALL[0]})[:2]
    for i, chunk in enumerate(orphan):
        chunk.id, chunk.source = f"ghost-{i}", "ghost.txt"
    store.add(orphan, [[0.1] * 768 for _ in orphan])
    store.collection.delete(ids=chunk_ids(store, SMALL[1])[:1])
    manifest = Manifest.load(settings.index_dir / "manifest.json")
    manifest.entries[SMALL[2]].status = "pending"
    manifest.save()
    problems = "\n".join(index_problems(settings.index_dir, corpus, settings.collection))
    assert "orphan chunks: ghost.txt" in problems and f"entry left pending: {SMALL[2]}" in problems
    assert f"{SMALL[1]}: manifest says" in problems

    report = ingest(corpus, settings=settings)
    assert sorted(report.recovered) == sorted(SMALL[1:]) and sorted(report.updated) == sorted(SMALL[1:])
    assert report.chunks_embedded == 0 and "上次导入中断" in report.summary()
    assert index_problems(settings.index_dir, corpus, settings.collection) == []
    assert not ingest(corpus, settings=settings).recovered


def test_an_interrupted_document_that_now_fails_leaves_only_its_reason(small):
    corpus, settings = small
    ingest(corpus, settings=settings)
    manifest = Manifest.load(settings.index_dir / "manifest.json")
    manifest.entries[SMALL[0]].status = "pending"
    manifest.save()
    (corpus / SMALL[0]).write_bytes(b"")
    report = ingest(corpus, settings=settings)
    assert report.recovered == [SMALL[0]] and dict(report.failed) == {SMALL[0]: "文件为空"}
    assert SMALL[0] not in Manifest.load(settings.index_dir / "manifest.json").entries
    assert index_problems(settings.index_dir, corpus, settings.collection) == []


def test_a_deleted_chroma_folder_is_noticed_and_rebuilt(small):
    """In fresh processes, as in use: Chroma caches an open store per process."""
    corpus, settings = small
    cmd = [sys.executable, "ingest.py", "--corpus", str(corpus), "--index", str(settings.index_dir)]
    env = {**os.environ, "ASSISTANT_EMBEDDING_CACHE": str(settings.embedding_cache)}
    assert subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=600).returncode == 0
    shutil.rmtree(settings.index_dir / "chroma")
    again = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "上次导入中断（或索引不完整）：已核对索引，重做 3 篇未完成的文档。" in again.stdout
    assert index_problems(settings.index_dir, corpus, settings.collection) == []


def test_cli_on_shipped_corpus_then_nothing_to_embed(tmp_path):
    """python ingest.py on the shipped corpus; a second run embeds nothing and
    never loads the model."""
    index = tmp_path / "index"
    cmd = [sys.executable, "ingest.py", "--index", str(index)]
    first = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert first.returncode == 0, first.stderr
    shipped = len(list(CORPUS.glob("*.txt")))
    assert f"新增 {shipped} 篇" in first.stdout and "失败 0 篇" in first.stdout

    # Second run in-process, to see that the model (torch) is never loaded.
    probe = (
        "import sys, ingest; rc = ingest.main(['--index', sys.argv[1]]); "
        "print('TORCH_LOADED', 'torch' in sys.modules); sys.exit(rc)"
    )
    second = subprocess.run([sys.executable, "-c", probe, str(index)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    assert f"未变 {shipped} 篇" in second.stdout and "新计算嵌入 0 个" in second.stdout
    assert "TORCH_LOADED False" in second.stdout

    store = VectorStore(Settings().with_(index_dir=index))
    seed = sorted(store.chunks(where={"source": SEED}), key=lambda c: c.index)
    assert seed[0].meta.title == "对市十八届人大一次会议第190号建议的答复"
    assert seed[0].meta.issuer == "慈溪市科学技术局" and seed[0].meta.date == "2022-06-22"
    assert any(c.section.startswith("2、 引才用才政策") for c in seed)
