"""The document library agents manage: safe file names, upload checks, and
upload / list / delete end to end on a private copy of the corpus with a real
Chroma index, the real embedding model and the real assistant. Nothing here
writes into the repository's corpus/ or index/ folders."""
import random
import re
import shutil

import pytest
from conftest import CORPUS, ROOT, SEED, chunk_ids, extractive_assistant

from assistant.config import Settings
from assistant.corpus import corpus_files
from assistant.ingestion import ingest
from assistant.library import (
    DOCUMENT_COLUMNS,
    UploadError,
    add_documents,
    check_upload,
    delete_document,
    document_rows,
    safe_name,
)
from assistant.store import VectorStore

CHINESE = re.compile(r"[\u4e00-\u9fff]")
MB = 1_000_000

# A clearly synthetic document, kept tiny: new text costs a real embedding.
TEST_TITLE = "测试文件：海鸥创新券试点通知（测试用）"
TEST_DOC = f"""---
title: {TEST_TITLE}
issuer: 测试单位
date: 2026-01-05
---
{TEST_TITLE}

为支持小微企业购买科技服务，测试单位开展海鸥创新券试点。海鸥创新券每家企业每年最多申领5万元。本文件仅用于软件测试，不是真实政策。
"""
UPLOAD_NAME = "../上传/测试文件 海鸥创新券.TXT"  # as a browser might send it
SAVED_NAME = "测试文件 海鸥创新券.txt"
BAD_NAME = "扫描件.pdf"
QUESTION = "海鸥创新券每年最多申领多少？"


def write(path, data: bytes | str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def random_bytes(n: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(n)


def limited(max_bytes: int = 20 * MB) -> Settings:
    return Settings().with_(max_file_bytes=max_bytes)


def upload_error(path, name: str, max_bytes: int = 20 * MB) -> str:
    with pytest.raises(UploadError) as info:
        check_upload(path, name, limited(max_bytes))
    reason = info.value.reason
    assert CHINESE.search(reason), reason
    assert str(info.value) == reason
    return reason


def repo_state():
    """The repository's own corpus (names and modification times), which must
    not change, and whether its index manifest mentions the test file."""
    corpus = {p.name: p.stat().st_mtime_ns for p in CORPUS.iterdir()}
    manifest = ROOT / "index" / "manifest.json"
    mentioned = manifest.exists() and SAVED_NAME in manifest.read_text("utf-8")
    return corpus, mentioned


# ------------------------------------------------------------------ safe_name


@pytest.mark.parametrize(
    "given, expected",
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\x.md", "x.md"),
        ("/etc/cron.d/job.txt", "job.txt"),
        ("C:\\Users\\张三\\Desktop\\报告.pdf", "报告.pdf"),
        ("关于 创新券 的通知.TXT", "关于 创新券 的通知.txt"),
        ("通知.Docx", "通知.docx"),
        ("a\x00b\nc\td\x7f.txt", "a_b_c_d_.txt"),
        ('a:b*c?"d<e>f|g.txt', "a_b_c__d_e_f_g.txt"),
        (".hidden.txt", "hidden.txt"),  # hidden files are skipped by ingestion
        ("  通知 .md  ", "通知 .md"),
        ("政策（2025）第1号.html", "政策（2025）第1号.html"),
    ],
)
def test_safe_name(given, expected):
    assert safe_name(given) == expected


def test_safe_name_composes_nfc():
    decomposed = "Cafe\u0301 通知.txt"
    assert safe_name(decomposed) == "Caf\u00e9 通知.txt"


def test_safe_name_cuts_long_stems_but_keeps_the_suffix():
    name = safe_name("创" * 300 + ".PDF")
    assert name == "创" * 100 + ".pdf"


@pytest.mark.parametrize("given", ["", "   ", ".", "..", "...", "/", "../", "..\\", "\\"])
def test_safe_name_rejects_names_with_nothing_left(given):
    with pytest.raises(UploadError) as info:
        safe_name(given)
    assert info.value.reason == "文件名无效"


# ------------------------------------------------------------------ check_upload


def test_check_upload_accepts_a_small_utf8_policy_file(tmp_path):
    path = write(tmp_path / "upload-1", TEST_DOC)
    assert check_upload(path, UPLOAD_NAME, limited()) == SAVED_NAME
    assert path.read_text("utf-8") == TEST_DOC  # the upload itself is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["upload-1"]  # the trial load left nothing here


def test_check_upload_accepts_a_plain_text_without_front_matter(tmp_path):
    path = write(tmp_path / "u", "关于开展测试工作的通知\n\n各单位：现将有关事项通知如下，请遵照执行。\n\n测试单位\n2026年1月5日\n")
    assert check_upload(path, "通知.txt", limited()) == "通知.txt"


@pytest.mark.parametrize("name, shown", [("setup.exe", ".exe"), ("政策汇编.zip", ".zip"), ("README", "无扩展名"), ("老文件.doc", ".doc")])
def test_check_upload_refuses_unsupported_types(tmp_path, name, shown):
    path = write(tmp_path / "u", TEST_DOC)  # readable content: the type alone decides
    reason = upload_error(path, name)
    assert reason.startswith(f"不支持的文件类型“{shown}”")
    assert "仅支持" in reason and ".txt" in reason and ".pdf" in reason and ".docx" in reason


def test_check_upload_refuses_an_empty_file(tmp_path):
    path = write(tmp_path / "u", b"")
    assert upload_error(path, "空文件.txt") == "文件为空"


def test_check_upload_refuses_a_file_over_the_limit(tmp_path):
    path = write(tmp_path / "u", ("海鸥创新券" * 100_000).encode("utf-8"))  # 1.5 MB
    assert path.stat().st_size == 1_500_000
    assert upload_error(path, "大文件.txt", max_bytes=1 * MB) == "文件过大（1.5 MB），上限为 1 MB"
    assert check_upload(path, "大文件.txt", limited(2 * MB)) == "大文件.txt"


def test_check_upload_refuses_random_bytes_named_pdf(tmp_path):
    path = write(tmp_path / "u", random_bytes(4000))
    assert upload_error(path, BAD_NAME) == "PDF 文件已损坏或不完整：文件头不是 PDF 格式"


@pytest.mark.parametrize(
    "name, expected",
    [
        ("乱码.txt", "文件内容不是可读文本（可能已损坏或类型不符）"),
        ("乱码.html", "文件内容不是可读文本（可能已损坏或类型不符）"),
        ("乱码.docx", "Word 文件已损坏或不是 .docx 格式"),
    ],
)
def test_check_upload_refuses_random_bytes_with_the_loaders_reason(tmp_path, name, expected):
    path = write(tmp_path / "u", random_bytes(4000, seed=11))
    assert upload_error(path, name) == expected


def test_check_upload_refuses_front_matter_without_a_body(tmp_path):
    path = write(tmp_path / "u", "---\ntitle: 只有标题\nissuer: 测试单位\n---\n\n")
    assert upload_error(path, "只有标题.md") == "文档中没有可用的正文内容"


def test_check_upload_refuses_a_bad_name_before_reading(tmp_path):
    path = write(tmp_path / "u", TEST_DOC)
    assert upload_error(path, "../") == "文件名无效"


# ------------------------------------------------------------------ upload, list, delete end to end


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """A private copy of the shipped corpus with its own real index."""
    root = tmp_path_factory.mktemp("library")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    settings = Settings().with_(corpus_dir=corpus, index_dir=root / "index")
    assert settings.corpus_dir != CORPUS and settings.index_dir != ROOT / "index"
    report = ingest(settings=settings)
    assert report.chunks_total > 0 and not report.failed, report.summary()
    return root, settings


@pytest.fixture(scope="module")
def assistant(library):
    return extractive_assistant(library[1])


@pytest.fixture(scope="module")
def uploaded(library, assistant):
    """Upload one good and one bad file in one call and record what every
    part of the system says right after (later fixtures change the state)."""
    root, settings = library
    corpus = settings.corpus_dir
    repo_before = repo_state()
    files_before = set(corpus_files(corpus))
    rows_before = document_rows(settings)

    good = write(root / "uploads" / "tmp-good", TEST_DOC)
    bad = write(root / "uploads" / "tmp-bad", random_bytes(3000))
    result = add_documents([(good, UPLOAD_NAME), (bad, BAD_NAME)], settings)

    store = VectorStore(settings)
    return dict(
        result=result,
        files_before=files_before,
        files_after=set(corpus_files(corpus)),
        all_entries=sorted(p.name for p in corpus.iterdir()),
        rows_before=rows_before,
        rows_after=document_rows(settings),
        ids=chunk_ids(store, SAVED_NAME),
        texts=[c.text for c in store.chunks(where={"source": SAVED_NAME})],
        saved_bytes=(corpus / SAVED_NAME).read_bytes(),
        outside=sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if "海鸥" in p.name),
        answer=assistant.ask(QUESTION),
        repo_before=repo_before,
        repo_after=repo_state(),
    )


@pytest.fixture(scope="module")
def deleted(library, assistant, uploaded):
    root, settings = library
    rows_before = document_rows(settings)
    report = delete_document(SAVED_NAME, settings)
    return dict(
        report=report,
        rows_before=rows_before,
        rows_after=document_rows(settings),
        ids=chunk_ids(VectorStore(settings), SAVED_NAME),
        exists=(settings.corpus_dir / SAVED_NAME).exists(),
        files=set(corpus_files(settings.corpus_dir)),
        answer=assistant.ask(QUESTION),  # the same assistant instance, as in the running app
        repo_after=repo_state(),
    )


def test_upload_saves_the_good_file_under_its_safe_name(uploaded):
    result = uploaded["result"]
    assert result.saved == [SAVED_NAME]
    assert uploaded["saved_bytes"] == TEST_DOC.encode("utf-8")
    assert uploaded["files_after"] == uploaded["files_before"] | {SAVED_NAME}
    # Nothing was written where the "../上传/" part of the name pointed, and no temp file is left.
    assert uploaded["outside"] == [f"corpus/{SAVED_NAME}"]
    assert not [n for n in uploaded["all_entries"] if n.startswith(".upload-")]


def test_upload_refuses_the_bad_file_with_a_chinese_reason(uploaded):
    result = uploaded["result"]
    assert result.refused == [(BAD_NAME, "PDF 文件已损坏或不完整：文件头不是 PDF 格式")]
    assert BAD_NAME not in uploaded["all_entries"] and safe_name(BAD_NAME) not in uploaded["all_entries"]
    assert not [n for n in uploaded["all_entries"] if n.endswith(".pdf")]


def test_upload_ingests_only_the_new_file(uploaded):
    report = uploaded["result"].report
    assert report is not None
    assert report.added == [SAVED_NAME] and not report.updated and not report.removed and not report.failed
    assert sorted(report.unchanged) == sorted(uploaded["files_before"])
    assert report.chunks_stored == len(uploaded["ids"]) > 0
    summary = uploaded["result"].summary().split("\n")
    assert summary[0] == f"已导入：{SAVED_NAME}"
    assert summary[1] == f"未导入：{BAD_NAME}：PDF 文件已损坏或不完整：文件头不是 PDF 格式"
    assert summary[2].startswith(f"新增 1 篇，更新 0 篇，未变 {len(uploaded['files_before'])} 篇，移除 0 篇，失败 0 篇")


def test_upload_stores_the_chunks_of_the_new_file(uploaded):
    assert uploaded["ids"]
    assert any("海鸥创新券每家企业每年最多申领5万元。" in t for t in uploaded["texts"])


def test_document_rows_list_the_new_file_first_and_leave_the_others_alone(uploaded):
    rows = uploaded["rows_after"]
    assert all(len(r) == len(DOCUMENT_COLUMNS) for r in rows)
    assert DOCUMENT_COLUMNS == ["文件", "标题", "发布单位", "日期", "类型", "完整性", "片段数", "状态"]
    first = rows[0]
    assert first[0] == SAVED_NAME  # newest first
    assert first[1:4] == [TEST_TITLE, "测试单位", "2026-01-05"]
    assert first[5] == "全文"
    assert first[6] == len(uploaded["ids"]) > 0
    assert first[7] == "已入库"
    before = {r[0]: r for r in uploaded["rows_before"]}
    after = {r[0]: r for r in rows if r[0] != SAVED_NAME}
    assert after == before
    assert len(before) == len(list(CORPUS.glob("*.txt"))) and all(r[7] == "已入库" for r in before.values())
    assert {r[0]: r[5] for r in rows}["01_cixi_kjj_2023-06-25_rd18-2_jianyi332_dafu.txt"] == "节选"


def test_the_assistant_answers_from_the_uploaded_file(uploaded):
    answer = uploaded["answer"]
    assert not answer.refused, answer.text
    assert answer.citations[0].source == SAVED_NAME
    assert answer.citations[0].title == TEST_TITLE and answer.citations[0].issuer == "测试单位"
    assert "5万元" in answer.text and "[1]" in answer.text
    assert answer.text.endswith("（测试单位，2026年1月5日）")  # the source named where it is quoted


def test_upload_never_touches_the_repository(uploaded, deleted):
    assert uploaded["repo_after"] == uploaded["repo_before"]
    assert deleted["repo_after"] == uploaded["repo_before"]
    assert uploaded["repo_after"][1] is False
    assert not (CORPUS / SAVED_NAME).exists() and not (CORPUS / BAD_NAME).exists()


def test_delete_document_removes_the_file_and_its_chunks(uploaded, deleted):
    report = deleted["report"]
    assert report.removed == [SAVED_NAME] and not report.added and not report.failed
    assert report.chunks_total == uploaded["result"].report.chunks_total - len(uploaded["ids"])
    assert not deleted["exists"]
    assert deleted["ids"] == []
    assert deleted["files"] == uploaded["files_before"]
    assert SAVED_NAME not in [r[0] for r in deleted["rows_after"]]
    assert deleted["rows_after"] == [r for r in deleted["rows_before"] if r[0] != SAVED_NAME]


def test_after_deletion_the_assistant_no_longer_cites_the_file(deleted):
    answer = deleted["answer"]
    assert all(c.source != SAVED_NAME for c in answer.citations)
    assert "海鸥" not in answer.text
    assert answer.refused and "没有找到" in answer.text


def test_delete_document_refuses_unknown_and_outside_names(library, deleted):
    root, settings = library
    seed_path = settings.corpus_dir / SEED
    outside = write(root / "outside.txt", "不在文档库里的文件")
    for name in ["不存在的文件.txt", "../x", "../outside.txt", f"../{settings.corpus_dir.name}/{SEED}", str(seed_path), ""]:
        with pytest.raises(UploadError) as info:
            delete_document(name, settings)
        assert info.value.reason == f"文档库中没有“{name}”"
    assert seed_path.exists() and outside.exists()
    # Deleting the same file twice: the second time it is unknown.
    with pytest.raises(UploadError):
        delete_document(SAVED_NAME, settings)


def test_document_rows_show_files_that_could_not_be_ingested(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copyfile(CORPUS / SEED, corpus / SEED)
    (corpus / "坏文件.pdf").write_bytes(random_bytes(2000))
    settings = Settings().with_(corpus_dir=corpus, index_dir=tmp_path / "index")
    ingest(settings=settings)
    rows = {r[0]: r for r in document_rows(settings)}
    assert list(rows) == ["坏文件.pdf", SEED]  # failures first
    assert rows["坏文件.pdf"][6] == 0 and rows["坏文件.pdf"][7].startswith("导入失败：PDF 文件已损坏")
    assert rows[SEED][7] == "已入库"

    (corpus / SEED).write_bytes(b"")  # a broken new version of an indexed document
    ingest(settings=settings)
    status = {r[0]: r[7] for r in document_rows(settings)}[SEED]
    assert status.startswith("已入库（新版本导入失败：") and "仍使用旧版本" in status
    assert chunk_ids(VectorStore(settings), SEED)  # the old version still answers

    (corpus / "坏文件.pdf").unlink()
    shutil.copyfile(CORPUS / SEED, corpus / SEED)
    ingest(settings=settings)
    assert [r[0] for r in document_rows(settings)] == [SEED]
    assert {r[0]: r[7] for r in document_rows(settings)}[SEED] == "已入库"


def test_uploading_a_file_of_the_same_name_replaces_it_and_says_so(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copyfile(CORPUS / SEED, corpus / SEED)
    settings = Settings().with_(corpus_dir=corpus, index_dir=tmp_path / "index")
    ingest(settings=settings)
    before = chunk_ids(VectorStore(settings), SEED)
    shorter = (CORPUS / SEED).read_text("utf-8").replace("最后，衷心感谢您对我市科技创新工作的关心和支持！", "")
    result = add_documents([(write(tmp_path / "new", shorter), SEED)], settings)
    assert result.summary().startswith(f"已更新（替换同名文件）：{SEED}\n")
    assert result.report.updated == [SEED] and not result.report.added
    assert (corpus / SEED).read_text("utf-8") == shorter
    texts = [c.text for c in VectorStore(settings).chunks(where={"source": SEED})]
    assert texts and not any("衷心感谢您对我市科技创新工作" in t for t in texts)  # the new version is indexed
    assert before  # and the old one was there


# ------------------------------------------------------------------ size before reading, waiting for the lock


def bytes_read() -> int:
    """Bytes this process has read through read() calls so far (the kernel's count)."""
    for line in open("/proc/self/io").read().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


def sparse(path, size: int):
    """A file of ``size`` bytes that takes no disk space (a hole): reading
    it would still return every byte."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.truncate(size)
    return path


def test_oversize_files_are_refused_before_they_are_read(tmp_path):
    """A 3 GB file is refused by its size alone, in the corpus folder and as
    an upload: the kernel's count of bytes this process read grows by far
    less than the file. Positive control: a 15 MB file under the limit is
    read (hashed) by the same ingestion and shows in the count."""
    corpus = tmp_path / "corpus"
    big = sparse(corpus / "超大文件.txt", 3_000_000_000)
    settings = Settings().with_(corpus_dir=corpus, index_dir=tmp_path / "index")
    before = bytes_read()
    report = ingest(settings=settings)
    assert bytes_read() - before < 300 * MB
    assert dict(report.failed)["超大文件.txt"] == "文件过大（3000.0 MB），超过 20 MB 的上限，未导入"

    before = bytes_read()
    assert upload_error(big, "超大文件.txt") == "文件过大（3000.0 MB），上限为 20 MB"
    result = add_documents([(big, "另一个超大文件.txt")], settings)
    assert bytes_read() - before < 300 * MB
    assert result.saved == [] and result.report is None and "文件过大" in dict(result.refused)["另一个超大文件.txt"]
    assert sorted(p.name for p in corpus.iterdir()) == ["超大文件.txt"]

    sparse(corpus / "不超限.txt", 15 * MB)  # all NUL bytes: read, hashed, then refused as not text
    before = bytes_read()
    report = ingest(settings=settings)
    assert bytes_read() - before >= 15 * MB
    assert "不是可读文本" in dict(report.failed)["不超限.txt"]


def test_an_upload_waits_for_another_ingestion_and_then_goes_in(tmp_path):
    """While another process holds the index's ingestion lock, an upload is
    checked and saved but its ingestion waits (nothing reaches the index);
    once the lock is free it is ingested. With a short wait it gives up
    with a Chinese message, and the waiting ingestion picks that file up too.
    (Uploads of shipped texts under new names: their embeddings are cached.)"""
    import subprocess
    import sys
    import threading

    from assistant.ingestion import IngestBusyError

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(next(CORPUS.glob("11_*")), corpus)
    settings = Settings().with_(corpus_dir=corpus, index_dir=tmp_path / "index")
    ingest(settings=settings)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys; sys.path.insert(0, '.'); from pathlib import Path; from assistant.ingestion import index_lock\n"
        f"with index_lock(Path({str(settings.index_dir)!r})):\n"
        " print('held', flush=True); sys.stdin.readline()"
    )], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    first, second = "等待导入锁 测试.txt", "第二个 测试.txt"
    try:
        assert holder.stdout.readline().strip() == "held"
        upload = write(tmp_path / "up" / "a", next(CORPUS.glob("13_*")).read_bytes())
        done: dict = {}
        waiting = threading.Thread(target=lambda: done.update(result=add_documents([(upload, first)], settings)))
        waiting.start()
        waiting.join(3)
        assert waiting.is_alive(), "the upload did not wait for the other ingestion"
        assert (corpus / first).exists() and not chunk_ids(VectorStore(settings), first)

        other = write(tmp_path / "up" / "b", next(CORPUS.glob("03_*")).read_bytes())
        with pytest.raises(IngestBusyError) as busy:
            add_documents([(other, second)], settings.with_(ingest_wait_s=0.5))
        assert busy.value.reason == "另一个导入任务正在更新该索引，请稍后再试。"

        holder.stdin.write("\n")
        holder.stdin.flush()
        waiting.join(300)
        assert not waiting.is_alive()
    finally:
        holder.kill()
        holder.wait()
    result = done["result"]
    assert result.saved == [first] and sorted(result.report.added) == sorted([first, second])
    store = VectorStore(settings)
    assert chunk_ids(store, first) and chunk_ids(store, second)
