"""What agents do to document metadata: correct a document, undo its
corrections, edit the issuer names table, read the log.

Every change takes the index lock (waiting for a running ingestion, as
uploads do), is saved first (``meta_edits``) and then applied to the index:
chunk metadata and manifest entries only, nothing re-embedded. The messages
are the Chinese the agents' page shows.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from .config import Settings
from .documents import DocMeta
from .ingestion import index_lock
from .manifest import Entry, Manifest
from .meta_edits import (
    DEFAULT_ALIASES,
    EDITABLE,
    FIELD_NAMES,
    MetaEditError,
    MetaEdits,
    apply_edits,
    file_values,
)
from .store import VectorStore

ISSUER_COLUMNS = ["文中写法", "规范名称", "文件数"]


@dataclass
class DocumentMeta:
    """A document as the editor shows it."""

    source: str
    values: dict[str, str]  # what the index shows now
    original: dict[str, str]  # the file's own values
    chunks: int


def editable_sources(settings: Settings) -> list[str]:
    """Documents whose metadata can be corrected: those with their own chunks."""
    manifest = Manifest.load(settings.manifest_path)
    return sorted(s for s, e in manifest.entries.items() if e.stored)


def document_meta(settings: Settings, source: str) -> DocumentMeta:
    entry = _stored_entry(Manifest.load(settings.manifest_path), source)
    meta = _first_chunk(VectorStore(settings), source).meta
    return DocumentMeta(source, {name: str(getattr(meta, name)) for name in EDITABLE}, file_values(meta), entry.chunks)


def correct_document(settings: Settings, source: str, values: dict[str, str], user: str) -> str:
    return _change(settings, source, user, values)


def revert_document(settings: Settings, source: str, user: str) -> str:
    return _change(settings, source, user, None)


def _change(settings: Settings, source: str, user: str, values: dict[str, str] | None) -> str:
    with index_lock(Path(settings.index_dir), settings.ingest_wait_s):
        manifest = Manifest.load(settings.manifest_path)
        entry = _stored_entry(manifest, source)
        store = VectorStore(settings)
        original = file_values(_first_chunk(store, source).meta)
        edits = MetaEdits(settings.metadata_db)
        if values is None:
            changed = edits.revert(source, original, user)
        else:
            changed = edits.correct(source, values, original, user)
        if not changed:
            return f"“{source}”没有改动：所填内容与当前信息相同。"
        apply_edits(settings, store, manifest)
    what = "、".join(FIELD_NAMES[name] for name in changed)
    done = "已恢复文件原值" if values is None else "已保存修改"
    return (f"{done}：{source}（{what}）。{entry.chunks} 个片段的元数据已更新，未重新计算向量；"
            "问答的来源和筛选即刻生效（问答页刷新后可见新的筛选项）。")


def issuer_table(settings: Settings) -> list[list]:
    """[variant, canonical name, documents naming it] for every name seen in
    the documents (as the files write it) and every mapping, seen ones first."""
    seen: Counter[str] = Counter()
    for first in VectorStore(settings).chunks(where={"index": 0}, text=False):
        issuer = file_values(first.meta)["issuer"]
        seen.update({part.strip() for part in issuer.replace("，", "、").split("、") if part.strip()})
    names = MetaEdits(settings.metadata_db).issuer_names()
    variants = set(seen) | set(names) | set(DEFAULT_ALIASES)
    rows = [[v, names.get(v, v), seen[v]] for v in variants]
    return sorted(rows, key=lambda r: (-r[2], r[1], r[0]))


def save_issuer_table(settings: Settings, rows: list[list], user: str) -> str:
    """Save the table's variant → canonical pairs and apply them."""
    table = {str(r[0] or "").strip(): str(r[1] or "").strip() for r in rows if r and str(r[0] or "").strip()}
    with index_lock(Path(settings.index_dir), settings.ingest_wait_s):
        changes = MetaEdits(settings.metadata_db).set_issuer_names(table, user)
        if not changes:
            return "发布单位名称对照没有改动。"
        store = VectorStore(settings)
        rewritten = apply_edits(settings, store, Manifest.load(settings.manifest_path))
    shown = "；".join(f"{variant} → {new}" for variant, _, new in changes)
    return f"已保存发布单位名称对照：{shown}。{len(rewritten)} 篇文档的发布单位随之更新，未重新计算向量。"


def edit_log(settings: Settings, limit: int = 500) -> list[list[str]]:
    return [item.row() for item in MetaEdits(settings.metadata_db).log(limit)]


def validity_by_source(settings: Settings) -> dict[str, str]:
    """Documents marked 已废止 or 已被替代 (or 有效), for the chat's sources."""
    return {s: e.validity for s, e in Manifest.load(settings.manifest_path).entries.items() if e.validity}


def shown_meta(meta: DocMeta, entry: Entry | None) -> DocMeta:
    """A file's metadata as the index shows it (with agents' corrections)."""
    if entry is None:
        return meta
    return replace(meta, title=entry.title, issuer=entry.issuer, date=entry.date, doc_number=entry.doc_number,
                   doc_type=entry.doc_type, validity=entry.validity)


def _stored_entry(manifest: Manifest, source: str) -> Entry:
    entry = manifest.entries.get(source)
    if entry is None or not entry.stored:
        raise MetaEditError(f"文档库中没有可修改的“{source}”（请先选择一篇已入库的文档）")
    return entry


def _first_chunk(store: VectorStore, source: str):
    found = store.chunks(where={"$and": [{"source": source}, {"index": 0}]}, text=False)
    if not found:
        raise MetaEditError(f"索引中找不到“{source}”的内容，请重新导入该文档")
    return found[0]
