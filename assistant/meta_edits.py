"""Agents' corrections of document metadata, and issuer names normalised.

Agents correct a document's title, issuer, date, 文号, type and validity on
their page. A correction is stored beside the manifest, in
``<index>/metadata_edits.sqlite``, never in the source file, and every change
is logged with who made it and when. Issuer names are normalised: a variant
(``市科技局``) maps to its canonical name (``慈溪市科学技术局``), from
``DEFAULT_ALIASES`` and the agents' own table, which overrides it; a joint
issuer (``A、B``) is normalised name by name.

How corrections reach the index: ``apply_edits`` compares every stored
document's metadata in Chroma (read from its first chunk) with what it
should be: the file's own values with the issuer normalised and the agents'
corrections on top. A document that differs has its chunks' metadata
rewritten in place (vectors and text untouched, nothing re-embedded) and its
manifest entry updated. Once a value has been replaced, the file's own value
travels with the chunks (``DocMeta.original``), so a correction can be
undone and an alias changed later. Ingestion calls ``apply_edits`` at the
end of every run, so a new version of a file gets the same corrections and a
crash between saving a correction and rewriting the chunks is made good by
the next run.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import threading
import time
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path

from .config import Settings
from .documents import VALIDITY, DocMeta
from .errors import ReasonError
from .manifest import Manifest
from .store import VectorStore

EDITABLE = ("title", "issuer", "date", "doc_number", "doc_type", "validity")
FIELD_NAMES = {"title": "标题", "issuer": "发布单位", "date": "日期", "doc_number": "文号", "doc_type": "类型",
               "validity": "有效性"}
DOC_TYPES = ("政策文件", "通知公告", "建议答复", "工作报告", "工作计划", "其他")
ALIAS_FIELD = "issuer_alias"  # the log's field for a change to the issuer names table
LOG_COLUMNS = ["时间", "修改人", "文件", "项目", "原值", "新值"]

# Short forms met in Cixi's documents and web pages, by canonical name.
DEFAULT_ALIASES: dict[str, str] = {
    variant: canonical
    for canonical, variants in {
        "慈溪市科学技术局": ("市科技局", "慈溪市科技局", "慈溪市科学技术局（市科协）"),
        "慈溪市人民政府办公室": ("市政府办公室", "慈溪市政府办公室", "市府办", "慈溪市府办"),
        "慈溪市人民政府": ("市政府", "慈溪市政府"),
        "慈溪市财政局": ("市财政局",),
        "慈溪市经济和信息化局": ("市经信局", "慈溪市经信局"),
        "慈溪市发展和改革局": ("市发改局", "慈溪市发改局"),
        "慈溪市桥头镇人民政府": ("桥头镇人民政府", "桥头镇政府"),
        "慈溪市掌起镇人民政府": ("掌起镇人民政府", "掌起镇政府"),
        "宁波市人民政府办公厅": ("宁波市政府办公厅",),
        "浙江省科学技术厅": ("省科技厅", "浙江省科技厅"),
        "浙江省经济和信息化厅": ("省经信厅", "浙江省经信厅"),
    }.items()
    for variant in variants
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS corrections (
    source TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (source, field)
);
CREATE TABLE IF NOT EXISTS issuer_names (variant TEXT PRIMARY KEY, canonical TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS log (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, user TEXT NOT NULL, source TEXT NOT NULL,
    field TEXT NOT NULL, old TEXT NOT NULL, new TEXT NOT NULL
);
"""
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_LIMITS = {"title": 200, "issuer": 100, "date": 10, "doc_number": 60, "doc_type": 20, "validity": 10}


class MetaEditError(ReasonError):
    """A correction that cannot be saved as given."""


@dataclass
class LogItem:
    ts: float
    user: str
    source: str
    field: str
    old: str
    new: str

    def row(self) -> list[str]:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.ts))
        what = "发布单位名称对照" if self.field == ALIAS_FIELD else FIELD_NAMES.get(self.field, self.field)
        return [when, self.user, self.source or "—", what, self.old or "（空）", self.new or "（空）"]


class MetaEdits:
    """The corrections, the issuer names table and the log, in SQLite."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with closing(self._connect()) as db, db:
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    # --- reading -----------------------------------------------------------

    def corrections(self) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        with closing(self._connect()) as db:
            for source, name, value in db.execute("SELECT source, field, value FROM corrections"):
                out.setdefault(source, {})[name] = value
        return out

    def issuer_names(self) -> dict[str, str]:
        """Variant → canonical name: the defaults, overridden by the agents'
        table (where a variant mapped to itself means "keep as written")."""
        with closing(self._connect()) as db:
            table = dict(db.execute("SELECT variant, canonical FROM issuer_names"))
        return {v: c for v, c in {**DEFAULT_ALIASES, **table}.items() if c and c != v}

    def log(self, limit: int = 500) -> list[LogItem]:
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT ts, user, source, field, old, new FROM log ORDER BY id DESC LIMIT ?", (limit,)
            )
            return [LogItem(*row) for row in rows]

    def rules(self) -> Rules:
        return Rules(self.corrections(), self.issuer_names())

    # --- writing -----------------------------------------------------------

    def correct(self, source: str, values: dict[str, str], original: dict[str, str], user: str) -> list[str]:
        """Store an agent's values for a document whose own (file) values are
        ``original``; returns the fields that changed. A value equal to what
        the document would show without a correction drops the correction."""
        values = clean_values(values)
        rules = self.rules()
        before = rules.effective(original, source)
        plain = Rules({}, rules.names).effective(original, source)  # without any correction
        changed = [f for f in EDITABLE if f in values and rules.canonical_value(f, values[f]) != before[f]]
        if not changed:
            return []
        now = time.time()
        with self._lock, closing(self._connect()) as db, db:
            for name in changed:
                value = rules.canonical_value(name, values[name])
                if value == plain[name]:
                    db.execute("DELETE FROM corrections WHERE source = ? AND field = ?", (source, name))
                else:
                    db.execute("INSERT OR REPLACE INTO corrections VALUES (?, ?, ?)", (source, name, value))
                db.execute("INSERT INTO log (ts, user, source, field, old, new) VALUES (?, ?, ?, ?, ?, ?)",
                           (now, user, source, name, before[name], value))
        return changed

    def revert(self, source: str, original: dict[str, str], user: str) -> list[str]:
        """Drop every correction of a document (logged like any change)."""
        return self.correct(source, Rules({}, self.issuer_names()).effective(original, source), original, user)

    def set_issuer_names(self, table: dict[str, str], user: str) -> list[tuple[str, str, str]]:
        """Set variant → canonical for the given variants (an empty canonical
        name, or the variant itself, keeps the variant as written). Returns
        (variant, old, new) for each change."""
        current = self.issuer_names()
        changes = []
        for variant, canonical in table.items():
            variant, canonical = _clean(variant), _clean(canonical)
            if not variant:
                continue
            if max(len(variant), len(canonical)) > _LIMITS["issuer"]:
                raise MetaEditError(f"发布单位名称过长（最多 {_LIMITS['issuer']} 字）：{variant[:20]}…")
            old, new = current.get(variant, variant), canonical or variant
            if old != new:
                changes.append((variant, old, new))
        if changes:
            now = time.time()
            with self._lock, closing(self._connect()) as db, db:
                for variant, old, new in changes:
                    db.execute("INSERT OR REPLACE INTO issuer_names VALUES (?, ?)", (variant, new))
                    db.execute("INSERT INTO log (ts, user, source, field, old, new) VALUES (?, ?, ?, ?, ?, ?)",
                               (now, user, "", ALIAS_FIELD, f"{variant} → {old}", f"{variant} → {new}"))
        return changes


@dataclass(frozen=True)
class Rules:
    """What a document's metadata should be, given its file's values."""

    corrections: dict[str, dict[str, str]]
    names: dict[str, str]

    def canonical(self, issuer: str) -> str:
        """The canonical issuer name; a joint issuer (A、B) name by name."""
        parts = [p.strip() for p in re.split(r"[、，,]", issuer)] if issuer else []
        return "、".join(self.names.get(p, p) for p in parts if p)

    def canonical_value(self, name: str, value: str) -> str:
        return self.canonical(value) if name == "issuer" else value

    def effective(self, original: dict[str, str], source: str) -> dict[str, str]:
        values = {**original, "issuer": self.canonical(original.get("issuer", ""))}
        values.update(self.corrections.get(source, {}))
        return values


def canonical_issuer(settings: Settings, name: str) -> str:
    """The name an issuer filter should use: a variant becomes its canonical name."""
    if not name:
        return name
    names = MetaEdits(settings.metadata_db).issuer_names() if settings.metadata_db.exists() else DEFAULT_ALIASES
    return Rules({}, names).canonical(name)


def file_values(meta: DocMeta) -> dict[str, str]:
    """The file's own values of the editable fields, read back from metadata
    that edits may have replaced."""
    values = {name: str(getattr(meta, name)) for name in EDITABLE}
    values.update(json.loads(meta.original) if meta.original else {})
    return values


def with_values(meta: DocMeta, values: dict[str, str], original: dict[str, str]) -> DocMeta:
    """``meta`` showing ``values``, remembering the file's values it replaced."""
    replaced = {name: original[name] for name in EDITABLE if values[name] != original[name]}
    shown = replace(meta, original=json.dumps(replaced, ensure_ascii=False, sort_keys=True) if replaced else "")
    for name in EDITABLE:
        setattr(shown, name, values[name])
    return shown


def clean_values(values: dict[str, str]) -> dict[str, str]:
    """Trimmed values without invisible characters; MetaEditError (Chinese)
    for a value the field cannot take."""
    out = {name: _clean(values[name]) for name in EDITABLE if name in values}
    for name, value in out.items():
        if len(value) > _LIMITS[name]:
            raise MetaEditError(f"{FIELD_NAMES[name]}过长（最多 {_LIMITS[name]} 字）")
    if "title" in out and not out["title"]:
        raise MetaEditError("标题不能为空")
    if out.get("date") and not valid_date(out["date"]):
        raise MetaEditError(f"日期“{out['date']}”无效：请写成 2025-04-09、2025-04 或 2025")
    if out.get("validity") and out["validity"] not in VALIDITY:
        raise MetaEditError(f"有效性只能是：{'、'.join(VALIDITY)}（或不填）")
    return out


def valid_date(text: str) -> bool:
    match = _DATE.match(text)
    if not match:
        return False
    year, month, day = (int(g) if g else 1 for g in match.groups())
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return 1900 <= year <= 2100


def _clean(value) -> str:
    return _CONTROL.sub("", str(value or "")).strip()


def apply_edits(settings: Settings, store: VectorStore, manifest: Manifest) -> list[str]:
    """Bring every stored document's chunk metadata and manifest entry in
    line with its file's values, the issuer names and the corrections;
    returns the documents whose chunks were rewritten. The caller holds the
    index lock (see ingestion.index_lock)."""
    rules = MetaEdits(settings.metadata_db).rules()
    wanted: dict[str, DocMeta] = {}
    changed = []
    for first in store.chunks(where={"index": 0}, text=False):
        original = file_values(first.meta)
        meta = with_values(first.meta, rules.effective(original, first.source), original)
        wanted[first.source] = meta
        if meta != first.meta:
            chunks = store.chunks(where={"source": first.source}, text=False)
            for chunk in chunks:
                chunk.meta = meta
            store.update_metadata(sorted(chunks, key=lambda c: -c.index))  # the first chunk, read above, last
            changed.append(first.source)
    if _update_entries(manifest, wanted):
        manifest.save()
    return changed


def _update_entries(manifest: Manifest, wanted: dict[str, DocMeta]) -> bool:
    """Manifest entries show the documents' metadata (a duplicate, its
    original's); True if any changed."""
    dirty = False
    for entry in manifest.entries.values():
        meta = wanted.get(entry.same_as or entry.source)
        if meta is None:
            continue
        for name in EDITABLE:
            if getattr(entry, name) != getattr(meta, name):
                setattr(entry, name, getattr(meta, name))
                dirty = True
    return dirty
