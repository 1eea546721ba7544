"""The document library that service agents manage: uploads into the
corpus folder, the table of documents, deletion.

An upload is checked before it touches the corpus: allowed type, size
limit, a file name with no path in it, and a trial load that must yield
text. Only then is it moved into place (atomically) and ingested, so a bad
file is refused with a Chinese reason and the index never sees it.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .chunking import chunk_document
from .config import Settings
from .corpus import corpus_files, read_document
from .errors import ReasonError
from .ingestion import IngestReport, ingest
from .loaders import SUPPORTED_SUFFIXES, LoadError
from .manifest import Manifest

DOCUMENT_COLUMNS = ["文件", "标题", "发布单位", "日期", "类型", "完整性", "片段数", "状态"]
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


class UploadError(ReasonError):
    """An upload refused before it reaches the corpus folder."""


@dataclass
class UploadResult:
    saved: list[str]
    refused: list[tuple[str, str]]  # (file name as given, Chinese reason)
    report: IngestReport | None

    def summary(self) -> str:
        replaced = set(self.report.updated) if self.report else set()
        lines = [f"已更新（替换同名文件）：{n}" if n in replaced else f"已导入：{n}" for n in self.saved]
        lines += [f"未导入：{name}：{reason}" for name, reason in self.refused]
        if self.report is not None:
            lines.append(self.report.summary())
        return "\n".join(lines) or "没有选择文件。"


def safe_name(name: str) -> str:
    """The last path component of ``name``, without control or reserved
    characters; Chinese characters and spaces are kept."""
    base = PurePosixPath(unicodedata.normalize("NFC", name or "").replace("\\", "/")).name
    base = _UNSAFE.sub("_", base).strip().lstrip(".")
    stem, suffix = os.path.splitext(base)
    if not stem:
        raise UploadError("文件名无效")
    return stem[:100] + suffix.lower()


def check_upload(path: Path, name: str, settings: Settings) -> str:
    """The safe corpus name for an uploaded file, or UploadError. The trial
    load chunks the way ingestion will, with the configured sizes."""
    max_bytes = settings.max_file_bytes
    clean = safe_name(name)
    suffix = Path(clean).suffix
    if suffix not in SUPPORTED_SUFFIXES:
        allowed = "、".join(sorted(SUPPORTED_SUFFIXES))
        raise UploadError(f"不支持的文件类型“{suffix or '无扩展名'}”，仅支持 {allowed}")
    size = path.stat().st_size
    if size == 0:
        raise UploadError("文件为空")
    if size > max_bytes:
        raise UploadError(f"文件过大（{size / 1e6:.1f} MB），上限为 {max_bytes / 1e6:g} MB")
    probe = Path(tempfile.mkdtemp()) / clean  # loaders look at the suffix
    try:
        shutil.copyfile(path, probe)
        doc = read_document(probe, clean)
    except LoadError as exc:
        raise UploadError(exc.reason) from None
    finally:
        shutil.rmtree(probe.parent, ignore_errors=True)
    if not chunk_document(doc, settings.chunk_max_chars, settings.chunk_min_chars):
        raise UploadError("文档中没有可用的正文内容")
    return clean


def add_documents(uploads: list[tuple[Path, str]], settings: Settings, progress: bool = False) -> UploadResult:
    """Check each (temp path, original name), move the good ones into the
    corpus folder and ingest. A file with an existing name replaces it."""
    corpus = Path(settings.corpus_dir)
    corpus.mkdir(parents=True, exist_ok=True)
    saved, refused = [], []
    for path, name in uploads:
        try:
            clean = check_upload(Path(path), name, settings)
        except UploadError as exc:
            refused.append((name, exc.reason))
            continue
        tmp = corpus / f".upload-{os.getpid()}-{clean}"
        shutil.copyfile(path, tmp)
        os.replace(tmp, corpus / clean)
        saved.append(clean)
    report = ingest(corpus, settings=settings, progress=progress, wait=settings.ingest_wait_s) if saved else None
    return UploadResult(saved, refused, report)


def delete_document(source: str, settings: Settings) -> IngestReport:
    """Remove a corpus file and, by re-ingesting, its chunks."""
    files = corpus_files(Path(settings.corpus_dir))
    if source not in files:
        raise UploadError(f"文档库中没有“{source}”")
    files[source].unlink()
    return ingest(Path(settings.corpus_dir), settings=settings, wait=settings.ingest_wait_s)


def document_rows(settings: Settings) -> list[list]:
    """One row per document (DOCUMENT_COLUMNS): files the last ingestion
    could not read first, then indexed documents, newest first."""
    manifest = Manifest.load(settings.manifest_path)
    rows = [[source, "", "", "", "", "", 0, f"导入失败：{reason}"]
            for source, reason in sorted(manifest.failed.items()) if source not in manifest.entries]
    for e in sorted(manifest.entries.values(), key=lambda e: (-e.ingested_at, e.source)):
        status = "已入库" if e.status == "ok" else "处理中断，待重新导入"
        if e.same_as:
            status += f"（与 {e.same_as} 内容相同，只保存一份）"
        if e.source in manifest.failed:
            status += f"（新版本导入失败：{manifest.failed[e.source]}，仍使用旧版本）"
        rows.append([e.source, e.title, e.issuer, e.date, e.doc_type, e.completeness or "全文", e.chunks, status])
    return rows
