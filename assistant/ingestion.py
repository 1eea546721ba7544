"""Ingestion: corpus folder → verified, incremental Chroma index.

Per file: check the size and hash the bytes; a file whose hash the manifest
already records is left alone (the embedding model is not even loaded when
nothing changed). Files with identical bytes are stored once, under the
name already indexed (else the first name); the others are recorded as
duplicates of it. New or changed files are loaded, chunked and embedded in
one length-sorted batch run, then each document's old chunks are replaced
by its new ones, all documents' chunks written in a few large batches.
Files gone from the corpus lose their chunks. A file that cannot be read is
reported with a Chinese reason and skipped; a changed file that fails keeps
its previous version in the index.

Crash safety: entries are saved as ``pending`` before their chunks are
touched and ``ok`` after. A run that finds a pending entry, or an index
whose chunk count differs from the manifest's, was preceded by an
interrupted one (or a damaged index): it counts the chunks of every source,
deletes those the manifest does not vouch for, and redoes those documents.
"""
from __future__ import annotations

import fcntl
import hashlib
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from .chunking import chunk_document
from .config import Settings
from .corpus import corpus_files, read_document
from .documents import Chunk, Document
from .errors import CorpusNotFoundError, ReasonError
from .items import sync_items
from .loaders import LoadError
from .manifest import Entry, Manifest
from .meta_edits import apply_edits
from .sentences import sentence_texts
from .store import VectorStore


class IngestBusyError(ReasonError):
    """Another ingestion holds the index lock."""


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (source, Chinese reason)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (source, the stored file it equals)
    recovered: list[str] = field(default_factory=list)  # documents redone after an interrupted run
    chunks_embedded: int = 0  # computed by the model in this run
    sentences_embedded: int = 0  # sentences of new chunks computed by the model (for answers)
    chunks_stored: int = 0  # written to the index (embedded or from the cache)
    chunks_total: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        lines = [
            f"新增 {len(self.added)} 篇，更新 {len(self.updated)} 篇，未变 {len(self.unchanged)} 篇，"
            f"移除 {len(self.removed)} 篇，失败 {len(self.failed)} 篇；"
            f"写入 {self.chunks_stored} 个片段（其中新计算嵌入 {self.chunks_embedded} 个），索引共 {self.chunks_total} 个片段；用时 {self.seconds:.1f} 秒。"
        ]
        if self.recovered:
            lines.append(f"  上次导入中断（或索引不完整）：已核对索引，重做 {len(self.recovered)} 篇未完成的文档。")
        lines += [f"  重复：{source} 与 {kept} 内容完全相同，只保存一份" for source, kept in self.duplicates]
        lines += [f"  失败：{source}：{reason}" for source, reason in self.failed]
        return "\n".join(lines)


@contextmanager
def index_lock(index_dir: Path, wait: float = 0.0):
    """Hold the index's ingestion lock; IngestBusyError if another process
    still holds it after ``wait`` seconds. The kernel drops the lock when
    its holder dies, so a killed ingestion never blocks the next one."""
    index_dir.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    with open(index_dir / ".ingest.lock", "w") as fh:
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IngestBusyError("另一个导入任务正在更新该索引，请稍后再试。") from None
                time.sleep(0.2)
        yield


def ingest(
    corpus_dir: Path | None = None,
    index_dir: Path | None = None,
    rebuild: bool = False,
    settings: Settings | None = None,
    progress: bool = False,
    wait: float = 0.0,
) -> IngestReport:
    """Bring the index up to date with the corpus folder. ``wait``: seconds
    to wait for another ingestion to finish before giving up."""
    settings = settings or Settings()
    if index_dir is not None:
        settings = settings.with_(index_dir=Path(index_dir))
    corpus_dir = Path(corpus_dir or settings.corpus_dir)
    started = time.perf_counter()
    with index_lock(Path(settings.index_dir), wait):
        report = _Ingestion(settings, corpus_dir, rebuild, progress).run()
    report.seconds = time.perf_counter() - started  # waiting for the lock and opening the index included
    return report


class _Ingestion:
    def __init__(self, settings: Settings, corpus_dir: Path, rebuild: bool, progress: bool):
        self.settings = settings
        self.corpus_dir = corpus_dir
        self.progress = progress
        self.report = IngestReport()
        self.manifest = Manifest.load(settings.manifest_path)
        self.store = VectorStore(settings)  # refuses an index of another model before anything changes
        if rebuild:
            self._rebuild()
        elif self.manifest.embedding_model not in ("", settings.embedding_model):
            self.manifest.entries.clear()
        self.manifest.embedding_model = settings.embedding_model

    def _rebuild(self) -> None:
        """Mark every entry pending before dropping the collection, so that a
        crash in between is recovered from on the next run."""
        for entry in self.manifest.entries.values():
            entry.status = "pending"
        self.manifest.save()
        self.store.reset()
        self.manifest.entries.clear()
        self.manifest.save()

    def run(self) -> IngestReport:
        if not self.corpus_dir.is_dir():
            raise CorpusNotFoundError(f"找不到文档目录：{self.corpus_dir}")
        files = corpus_files(self.corpus_dir)
        self._recover_if_interrupted()
        self._remove_missing(files)
        hashes = self._hash(files)
        keep, same = self._dedupe(hashes)
        docs = self._read_changed(files, keep)
        self._embed_and_store(docs, self._duplicate_entries(same, hashes, docs))
        self._record_failures()
        apply_edits(self.settings, self.store, self.manifest)  # agents' corrections, issuer names
        if not self.manifest.path.exists():
            self.manifest.save()
        # Support items follow the manifest (also after a crash: they are reconciled every run).
        sync_items(self.settings, self.manifest, lambda source: read_document(files[source], source))
        self.report.chunks_total = self.store.count()
        return self.report

    def _recover_if_interrupted(self) -> None:
        """After a crash, trust only entries whose chunks are all in the
        index. Every other chunk is deleted and those entries stay pending,
        so they are redone (or removed, if their file is gone). Costs one
        count when the index is consistent."""
        entries = self.manifest.entries
        pending = any(e.status != "ok" for e in entries.values())
        if not pending and self.store.count() == self.manifest.stored_chunks():
            return
        counts = self.store.source_counts()
        good = {s for s, e in entries.items() if e.stored and counts.get(s, 0) == e.chunks}
        good |= {s for s, e in entries.items() if e.status == "ok" and e.same_as in good}
        self.store.delete_sources(sorted(set(counts) - good))
        redo = sorted(set(entries) - good)
        for source in redo:
            entries[source].status = "pending"
        self.manifest.save()
        self.report.recovered.extend(redo)

    def _record_failures(self) -> None:
        """Keep this run's unreadable files in the manifest, so the agents'
        document table can show them with their reasons. A pending entry
        whose file now fails has no chunks left (see recovery): it goes."""
        failed = dict(self.report.failed)
        stale = [s for s in failed if s in self.manifest.entries and self.manifest.entries[s].status != "ok"]
        for source in stale:
            self.manifest.remove(source)
        if stale or failed != self.manifest.failed:
            self.manifest.failed = failed
            self.manifest.save()

    def _remove_missing(self, files: dict[str, Path]) -> None:
        """Entries of files gone from the corpus, with their chunks. Marked
        pending first, so a crash midway is redone by the next run."""
        gone = sorted(set(self.manifest.entries) - set(files))
        if not gone:
            return
        for source in gone:
            self.manifest.entries[source].status = "pending"
        self.manifest.save()
        self.store.delete_sources(gone)
        for source in gone:
            self.manifest.remove(source)
        self.manifest.save()
        self.report.removed.extend(gone)

    def _hash(self, files: dict[str, Path]) -> dict[str, str]:
        """sha256 of every file within the size limit, oldest file first;
        the others fail."""
        limit = self.settings.max_file_bytes
        found = []
        for source, path in files.items():
            try:
                stat = path.stat()
                if stat.st_size > limit:
                    size = stat.st_size / 1e6
                    self._fail(source, f"文件过大（{size:.1f} MB），超过 {limit / 1e6:g} MB 的上限，未导入")
                    continue
                with open(path, "rb") as fh:
                    found.append((stat.st_mtime_ns, source, hashlib.file_digest(fh, "sha256").hexdigest()))
            except OSError as exc:
                self._fail(source, f"无法读取文件：{exc.strerror or exc}")
        return {source: sha for _, source, sha in sorted(found)}

    def _dedupe(self, hashes: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """(files to store → hash, duplicate → the file it equals). Of files
        with the same bytes, the one already stored is kept, else the oldest
        (the original, usually), so adding a copy never re-embeds anything."""
        names = defaultdict(list)
        for source, sha in hashes.items():
            names[sha].append(source)
        keep, same = {}, {}
        for sha, group in names.items():
            kept = next((s for s in group if self.manifest.is_current(s, sha)), group[0])
            keep[kept] = sha
            same.update({s: kept for s in group if s != kept})
        return keep, same

    def _read_changed(self, files: dict[str, Path], keep: dict[str, str]) -> list[tuple[Document, list[Chunk]]]:
        docs = []
        for source, sha in self._bar(keep.items(), "读取文档", "篇"):
            if self.manifest.is_current(source, sha):
                self.report.unchanged.append(source)
                continue
            try:
                doc = read_document(files[source], source)
            except LoadError as exc:
                self._fail(source, exc.reason)
                continue
            except OSError as exc:
                self._fail(source, f"无法读取文件：{exc.strerror or exc}")
                continue
            chunks = chunk_document(doc, self.settings.chunk_max_chars, self.settings.chunk_min_chars)
            if not chunks:
                self._fail(source, "文档中没有可用的正文内容")
                continue
            docs.append((doc, chunks))
        return docs

    def _fail(self, source: str, reason: str) -> None:
        self.report.failed.append((source, reason))

    def _duplicate_entries(
        self, same: dict[str, str], hashes: dict[str, str], docs: list[tuple[Document, list[Chunk]]]
    ) -> list[Entry]:
        """Entries for files identical to a stored (or now stored) one; a
        duplicate of a file that failed fails with it."""
        kept = {s: e for s, e in self.manifest.entries.items() if e.stored}
        kept.update({doc.source: self._entry(doc, len(chunks)) for doc, chunks in docs})
        reasons = dict(self.report.failed)
        entries = []
        for source, original in same.items():
            if original not in kept or kept[original].sha256 != hashes[source]:
                self._fail(source, f"与 {original} 内容相同，而该文件无法导入：{reasons.get(original, '')}")
                continue
            self.report.duplicates.append((source, original))
            entry = replace(kept[original], source=source, chunks=0, same_as=original, status="pending")
            old = self.manifest.entries.get(source)
            if old is None or (old.same_as, old.sha256, old.status) != (original, entry.sha256, "ok"):
                entries.append(entry)
        return entries

    def _embed_and_store(self, docs: list[tuple[Document, list[Chunk]]], duplicates: list[Entry]) -> None:
        all_chunks = [c for _, chunks in docs for c in chunks]
        vectors = self._embed(all_chunks) if all_chunks else []
        if docs or duplicates:
            self._store(docs, all_chunks, vectors, duplicates)
        self.report.chunks_stored = len(all_chunks)

    def _embed(self, chunks: list[Chunk]):
        # Imported here: torch loads only when a text must be embedded.
        from .embedding_cache import EmbeddingCache, embed_with_cache
        from .embeddings import get_embedder

        embedder = get_embedder(self.settings)
        cache = EmbeddingCache(self.settings.embedding_cache)
        vectors, computed = embed_with_cache(
            embedder, cache, [c.embed_text for c in chunks], lambda texts: self._encode(embedder, texts, "嵌入片段")
        )
        self.report.chunks_embedded = computed
        # Sentences go into the cache only: answers score them against the question.
        _, self.report.sentences_embedded = embed_with_cache(
            embedder, cache, sentence_texts(chunks), lambda texts: self._encode(embedder, texts, "嵌入句子")
        )
        return vectors

    def _encode(self, embedder, texts: list[str], desc: str):
        if not self.progress:
            return embedder.encode_documents(texts)
        import numpy as np
        from tqdm import tqdm

        step = max(1, self.settings.embed_batch_size * 4)
        parts = []
        with tqdm(total=len(texts), desc=desc, unit="段") as bar:
            for i in range(0, len(texts), step):
                parts.append(embedder.encode_documents(texts[i : i + step]))
                bar.update(len(texts[i : i + step]))
        return np.concatenate(parts)

    def _store(self, docs, chunks: list[Chunk], vectors, duplicates: list[Entry]) -> None:
        """Replace the documents' chunks (a duplicate has none). Their
        entries are saved as pending first, so a crash midway redoes them."""
        entries = [self._entry(doc, len(doc_chunks)) for doc, doc_chunks in docs] + duplicates
        existed = {e.source for e in entries if e.source in self.manifest.entries}
        for entry in entries:
            self.manifest.set(entry)
        self.manifest.save()
        self.store.delete_sources([entry.source for entry in entries])
        self.store.add(chunks, vectors)
        now = time.time()
        for entry in entries:
            entry.status, entry.ingested_at = "ok", now
            if not entry.same_as:
                (self.report.updated if entry.source in existed else self.report.added).append(entry.source)
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
