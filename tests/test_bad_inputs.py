"""Bad files in one ingestion with good ones: each is reported with a
Chinese reason, every good file is ingested, the index stays consistent.

Real files made here with the real libraries (reportlab, pypdf), the real
embedding model and a real Chroma store; the generated test documents live
in a temporary copy of the corpus only.
"""
import os
import random
import shutil

import pytest
from conftest import CORPUS, SEED, chunk_ids, extractive_assistant, index_problems
from test_loaders import encrypt_pdf, make_pdf

from assistant.config import Settings
from assistant.ingestion import ingest
from assistant.library import add_documents, document_rows
from assistant.store import VectorStore

GOOD = [
    SEED,
    "02_cixi_kjj_2025-04-09_chuangxin_lianheti_buchong_shenbao.txt",
    "11_zhejiang_jxt_2024-12-31_2024_kejixing_zhongxiao_qiye_beian.txt",
]
COPY = "00 答复 副本（同一文件）.txt"  # the seed reply again, under a Chinese name with spaces
SPACED = "关于 海豚 科技券 的通知（测试）.txt"
GBK = "gbk 编码 通知（测试）.txt"
TEST_TEXT = "本文件为自动化测试生成，非政策文件。\n海豚科技券每家企业每年最多申领2万元。\n慈溪市测试单位\n2026年1月5日\n"
GBK_TEXT = "关于开展测试申报的通知（测试生成，非政策文件）\n一、申报条件\n在慈溪市登记注册的企业均可申报白鹭测试项目。\n慈溪市测试单位\n2024年3月1日\n"
TEXT_PDF = make_pdf("慈溪市测试单位关于企业研发补助的测试通知（测试生成）。")

# file name → (bytes, words its Chinese reason must contain)
BAD = {
    "截断 的文件.pdf": (TEXT_PDF[: len(TEXT_PDF) // 2], ["PDF", "损坏或不完整"]),
    "加密.pdf": (encrypt_pdf(TEXT_PDF, "secret"), ["PDF", "加密"]),
    "扫描件（无文字层）.pdf": (make_pdf("x", "y", rectangle_only=True), ["OCR", "扫描件"]),
    "空文件.txt": (b"", ["文件为空"]),
    "乱码.txt": (random.Random(1).randbytes(8192), ["不是可读文本"]),
    "乱码.pdf": (random.Random(2).randbytes(8192), ["PDF", "损坏"]),
    "申报表.xlsx": (b"PK\x03\x04" + random.Random(3).randbytes(512), ["不支持的文件类型", ".xlsx"]),
}
BIG = "超大文件 50MB.txt"


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    corpus = root / "corpus"
    corpus.mkdir()
    for name in GOOD:
        shutil.copy(CORPUS / name, corpus / name)
    shutil.copy(CORPUS / SEED, corpus / COPY)
    (corpus / SPACED).write_text(TEST_TEXT, "utf-8")
    (corpus / GBK).write_bytes(GBK_TEXT.encode("gbk"))
    for name, (data, _) in BAD.items():
        (corpus / name).write_bytes(data)
    line = "慈溪市科技创新政策测试文本。\n".encode()  # readable text, only too big: exactly 50 MB
    (corpus / BIG).write_bytes(line * (50_000_000 // len(line)) + b"\n" * (50_000_000 % len(line)))
    settings = Settings().with_(corpus_dir=corpus, index_dir=root / "index")
    return corpus, settings, ingest(corpus, settings=settings)


def test_every_good_file_is_ingested(ingested):
    corpus, settings, report = ingested
    assert sorted(report.added) == sorted(GOOD + [SPACED, GBK])
    stored = {c.source for c in VectorStore(settings).chunks()}
    assert stored == set(GOOD + [SPACED, GBK])


@pytest.mark.parametrize("name", sorted(BAD))
def test_each_bad_file_gets_its_own_chinese_reason(ingested, name):
    reason = dict(ingested[2].failed)[name]
    for word in BAD[name][1]:
        assert word in reason, reason
    assert f"失败：{name}：{reason}" in ingested[2].summary()


def test_a_50_mb_file_is_refused_for_its_size(ingested):
    reason = dict(ingested[2].failed)[BIG]
    assert "文件过大" in reason and "50.0 MB" in reason and "20 MB" in reason
    assert (ingested[0] / BIG).stat().st_size == 50_000_000


def test_only_the_bad_files_fail(ingested):
    assert set(dict(ingested[2].failed)) == set(BAD) | {BIG}


def test_the_same_document_under_two_names_is_stored_once_and_both_names_shown(ingested):
    corpus, settings, report = ingested
    assert report.duplicates == [(COPY, SEED)]
    assert f"重复：{COPY} 与 {SEED} 内容完全相同，只保存一份" in report.summary()
    store = VectorStore(settings)
    assert chunk_ids(store, SEED) and not chunk_ids(store, COPY)
    rows = {r[0]: r for r in document_rows(settings)}
    assert rows[COPY][1] == rows[SEED][1] == "对市十八届人大一次会议第190号建议的答复"
    assert rows[COPY][6] == 0 and f"与 {SEED} 内容相同，只保存一份" in rows[COPY][7]


def test_gbk_and_spaced_names_are_read_with_their_text(ingested):
    store = VectorStore(ingested[1])
    gbk = "".join(c.text for c in store.chunks(where={"source": GBK}))
    spaced = "".join(c.text for c in store.chunks(where={"source": SPACED}))
    assert "在慈溪市登记注册的企业均可申报白鹭测试项目。" in gbk
    assert "海豚科技券每家企业每年最多申领2万元。" in spaced


def test_the_index_agrees_with_the_manifest_and_the_corpus(ingested):
    corpus, settings, _ = ingested
    assert index_problems(settings.index_dir, corpus, settings.collection) == []


def test_failures_are_kept_for_the_agents_table(ingested):
    rows = {r[0]: r[7] for r in document_rows(ingested[1])}
    for name in list(BAD) + [BIG]:
        assert rows[name].startswith("导入失败：") and dict(ingested[2].failed)[name] in rows[name]


def test_a_second_run_embeds_nothing_and_reports_the_same(ingested):
    corpus, settings, first = ingested
    again = ingest(corpus, settings=settings)
    assert again.chunks_embedded == again.chunks_stored == 0 and not again.added
    assert sorted(again.failed) == sorted(first.failed) and again.duplicates == first.duplicates
    assert index_problems(settings.index_dir, corpus, settings.collection) == []


def test_oversize_and_unsupported_uploads_are_refused_and_never_reach_the_corpus(ingested, tmp_path):
    corpus, settings, _ = ingested
    before = sorted(p.name for p in corpus.iterdir())
    big, sheet = tmp_path / "big.pdf", tmp_path / "sheet.xlsx"
    with open(big, "wb") as fh:
        fh.write(TEXT_PDF + b"\n%" + b"0" * 21_000_000)
    sheet.write_bytes(BAD["申报表.xlsx"][0])
    result = add_documents([(big, "大文件.pdf"), (sheet, "申报表 2026.xlsx")], settings)
    reasons = dict(result.refused)
    assert "文件过大" in reasons["大文件.pdf"] and "不支持的文件类型" in reasons["申报表 2026.xlsx"]
    assert result.saved == [] and result.report is None
    assert sorted(p.name for p in corpus.iterdir()) == before


def test_when_the_original_goes_its_copy_takes_over_without_reembedding(tmp_path):
    """On its own corpus (the shared one must keep its original for the
    other tests): the seed reply and its copy, then the original goes."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / SEED, corpus / SEED)
    shutil.copy(CORPUS / SEED, corpus / COPY)
    original = (corpus / SEED).stat().st_mtime_ns
    os.utime(corpus / COPY, ns=(original + 10**9, original + 10**9))  # the copy is the newer file
    settings = Settings().with_(corpus_dir=corpus, index_dir=tmp_path / "index")
    assert ingest(corpus, settings=settings).duplicates == [(COPY, SEED)]
    (corpus / SEED).unlink()
    report = ingest(corpus, settings=settings)
    assert report.removed == [SEED] and report.updated == [COPY] and report.chunks_embedded == 0
    assert report.duplicates == []
    assert index_problems(settings.index_dir, corpus, settings.collection) == []
    answer = extractive_assistant(settings).ask("上林英才项目的启动资金怎么拨付？")
    assert not answer.refused and answer.citations[0].source == COPY
