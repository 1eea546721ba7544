"""Ingestion: corpus folder → verified, incremental Chroma index.

Per file: hash the bytes; a file whose hash the manifest already records
is left alone (the embedding model is not even loaded when nothing
changed). New or changed files are loaded, chunked and embedded in one
length-sorted batch run, then each document's old chunks are replaced by
its new ones, all documents' chunks written in a few large batches. Files
gone from the corpus lose their chunks. A file that
cannot be read is reported with a Chinese reason and skipped; a changed
file that fails keeps its previous version in the index.
"""
from __future__ import annotations

import fcntl
import hashlib
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .chunking import chunk_document
from .config import Settings
from .documents import Chunk, Document, LoadError
from .loaders import load_text
from .manifest import Entry, Manifest
from .metadata import build_meta, split_front_matter
from .store import VectorStore


class IngestBusyError(Exception):
    """Another ingestion holds the index lock."""


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (source, Chinese reason)
    chunks_embedded: int = 0  # computed by the model in this run
    chunks_stored: int = 0  # written to the index (embedded or from the cache)
    chunks_total: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        lines = [
            f"新增 {len(self.added)} 篇，更新 {len(self.updated)} 篇，未变 {len(self.unchanged)} 篇，"
            f"移除 {len(self.removed)} 篇，失败 {len(self.failed)} 篇；"
            f"写入 {self.chunks_stored} 个片段（其中新计算嵌入 {self.chunks_embedded} 个），索引共 {self.chunks_total} 个片段；用时 {self.seconds:.1f} 秒。"
        ]
        lines += [f"  失败：{source}：{reason}" for source, reason in self.failed]
        return "\n".join(lines)


def read_document(path: Path, source: str, data: bytes | None = None) -> Document:
    """Load one file into a Document with metadata (raises LoadError)."""
    data = path.read_bytes() if data is None else data
    loaded = load_text(path)
    front, body = split_front_matter(loaded.text)
    cut = len(loaded.text) - len(body)
    pages = [(max(0, start - cut), number) for start, number in loaded.pages]
    return Document(source, hashlib.sha256(data).hexdigest(), body, build_meta(front, body), pages)


def corpus_files(corpus_dir: Path) -> dict[str, Path]:
    """Files under the corpus folder by relative name (hidden ones skipped)."""
    corpus_dir = Path(corpus_dir)
    files = {}
    for path in sorted(corpus_dir.rglob("*")):
        rel = path.relative_to(corpus_dir)
        if path.is_file() and not any(part.startswith(".") for part in rel.parts):
            files[rel.as_posix()] = path
    return files


@contextmanager
def index_lock(index_dir: Path):
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".ingest.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IngestBusyError("另一个导入任务正在更新该索引，请稍后再试。") from None
        yield


def ingest(
    corpus_dir: Path | None = None,
    index_dir: Path | None = None,
    rebuild: bool = False,
    settings: Settings | None = None,
    progress: bool = False,
) -> IngestReport:
    settings = settings or Settings()
    if index_dir is not None:
        settings = settings.with_(index_dir=Path(index_dir))
    corpus_dir = Path(corpus_dir or settings.corpus_dir)
    with index_lock(Path(settings.index_dir)):
        return _Ingestion(settings, corpus_dir, rebuild, progress).run()


class _Ingestion:
    def __init__(self, settings: Settings, corpus_dir: Path, rebuild: bool, progress: bool):
        self.settings = settings
        self.corpus_dir = corpus_dir
        self.progress = progress
        self.report = IngestReport()
        self.manifest = Manifest.load(Path(settings.index_dir) / "manifest.json")
        if rebuild or self.manifest.embedding_model not in ("", settings.embedding_model):
            self._reset_manifest()
        self.store = VectorStore(settings)
        if rebuild:
            self.store.reset()

    def _reset_manifest(self) -> None:
        self.manifest.entries.clear()
        self.manifest.embedding_model = self.settings.embedding_model
        self.manifest.save()

    def run(self) -> IngestReport:
        started = time.perf_counter()
        if not self.corpus_dir.is_dir():
            raise FileNotFoundError(f"找不到文档目录：{self.corpus_dir}")
        files = corpus_files(self.corpus_dir)
        self._remove_missing(files)
        docs = self._read_changed(files)
        self._embed_and_store(docs)
        self._record_failures()
        self.report.chunks_total = self.store.count()
        self.report.seconds = time.perf_counter() - started
        return self.report

    def _record_failures(self) -> None:
        """Keep this run's unreadable files in the manifest, so the agents'
        document table can show them with their reasons."""
        failed = dict(self.report.failed)
        if failed != self.manifest.failed:
            self.manifest.failed = failed
            self.manifest.save()

    def _remove_missing(self, files: dict[str, Path]) -> None:
        gone = sorted(set(self.manifest.entries) - set(files))
        if not gone:
            return
        self.store.delete_sources(gone)
        for source in gone:
            self.manifest.remove(source)
        self.manifest.save()
        self.report.removed.extend(gone)

    def _read_changed(self, files: dict[str, Path]) -> list[tuple[Document, list[Chunk]]]:
        docs = []
        for source, path in self._bar(files.items(), "读取文档", "篇"):
            try:
                data = path.read_bytes()
                if self.manifest.is_current(source, hashlib.sha256(data).hexdigest()):
                    self.report.unchanged.append(source)
                    continue
                doc = read_document(path, source, data)
            except LoadError as exc:
                self.report.failed.append((source, exc.reason))
                continue
            except OSError as exc:
                self.report.failed.append((source, f"无法读取文件：{exc.strerror or exc}"))
                continue
            chunks = chunk_document(doc, self.settings.chunk_max_chars, self.settings.chunk_min_chars)
            if not chunks:
                self.report.failed.append((source, "文档中没有可用的正文内容"))
                continue
            docs.append((doc, chunks))
        return docs

    def _embed_and_store(self, docs: list[tuple[Document, list[Chunk]]]) -> None:
        if not docs:
            return
        from .embedding_cache import EmbeddingCache, embed_with_cache
        from .embeddings import get_embedder  # loads torch only when a text must be embedded

        embedder = get_embedder(self.settings)
        all_chunks = [c for _, chunks in docs for c in chunks]
        cache = EmbeddingCache(self.settings.embedding_cache)
        vectors, computed = embed_with_cache(
            embedder, cache, [c.embed_text for c in all_chunks], lambda texts: self._encode(embedder, texts)
        )
        self._store(docs, all_chunks, vectors)
        self.report.chunks_embedded = computed
        self.report.chunks_stored = len(all_chunks)

    def _encode(self, embedder, texts: list[str]):
        if not self.progress:
            return embedder.encode_documents(texts)
        import numpy as np
        from tqdm import tqdm

        step = max(1, self.settings.embed_batch_size * 4)
        parts = []
        with tqdm(total=len(texts), desc="嵌入片段", unit="段") as bar:
            for i in range(0, len(texts), step):
                parts.append(embedder.encode_documents(texts[i : i + step]))
                bar.update(len(texts[i : i + step]))
        return np.concatenate(parts)

    def _store(self, docs: list[tuple[Document, list[Chunk]]], chunks: list[Chunk], vectors) -> None:
        """Replace the documents' chunks. Their entries are saved as pending
        first, so a crash midway redoes them on the next run."""
        entries = [(self._entry(doc, len(doc_chunks)), doc.source in self.manifest.entries) for doc, doc_chunks in docs]
        for entry, _ in entries:
            self.manifest.set(entry)
        self.manifest.save()
        self.store.delete_sources([entry.source for entry, _ in entries])
        self.store.add(chunks, vectors)
        now = time.time()
        for entry, existed in entries:
            entry.status, entry.ingested_at = "ok", now
            (self.report.updated if existed else self.report.added).append(entry.source)
        self.manifest.save()

    @staticmethod
    def _entry(doc: Document, chunks: int) -> Entry:
        meta = doc.meta
        return Entry(
            source=doc.source,
            sha256=doc.sha256,
            chunks=chunks,
            title=meta.title,
            issuer=meta.issuer,
            date=meta.date,
            doc_type=meta.doc_type,
            completeness=meta.completeness,
        )

    def _bar(self, items, desc: str, unit: str):
        items = list(items)
        if not self.progress:
            return items
        from tqdm import tqdm

        return tqdm(items, desc=desc, unit=unit)
