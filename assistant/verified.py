"""Verified answers and the worklist they come from, in SQLite beside the index.

One table holds every worklist item: a question, its state (worklist.py),
who handles it and by when, and, once answered, the answer with its
citations: file, quote, offsets in the document text and the document's
sha256 when the agent verified it. Items in state 已答复 are what the chat
serves first. Items generated from official replies (origin ``document``)
live here too, keyed by ``ref``, and are rebuilt when their document changes.

Every change is one transaction that bumps the item's ``version``, writes a
history row (who, when, what changed) and bumps a store-wide
``generation`` that readers compare to notice changes from any process.
Saves are optimistic: a save names the version it edited, and a save over a
newer version is refused with ``ConflictError`` (carrying the newer item),
so two agents editing the same item never overwrite each other unseen.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from .errors import ReasonError
from .worklist import ANSWERED, CHOOSABLE, DECLINED, NEW, OPEN, REVIEW, TRANSFERRED, due_date

NO_BASIS = "无文件依据（人工答复）"
SYSTEM = "系统"
MAX_ANSWER_CHARS = 3000
MAX_QUESTION_CHARS = 500
MIN_QUOTE_CHARS = 4
# Where an item came from.
CHAT, AGENT, IMPORT, DOCUMENT = "chat", "agent", "import", "document"
ORIGIN_NAMES = {CHAT: "问答页", AGENT: "服务联盟录入", IMPORT: "导入", DOCUMENT: "答复文件"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    question TEXT NOT NULL,
    status TEXT NOT NULL,
    origin TEXT NOT NULL,
    ref TEXT NOT NULL DEFAULT '',
    assignee TEXT NOT NULL DEFAULT '',
    due TEXT NOT NULL DEFAULT '',
    opened REAL NOT NULL,
    updated REAL NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    asked INTEGER NOT NULL DEFAULT 0,
    answer TEXT NOT NULL DEFAULT '',
    paraphrases TEXT NOT NULL DEFAULT '[]',
    citations TEXT NOT NULL DEFAULT '[]',
    no_basis INTEGER NOT NULL DEFAULT 0,
    contact TEXT NOT NULL DEFAULT '',
    transfer_to TEXT NOT NULL DEFAULT '',
    decline_reason TEXT NOT NULL DEFAULT '',
    review_reason TEXT NOT NULL DEFAULT '',
    verified_by TEXT NOT NULL DEFAULT '',
    verified_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS items_ref ON items (ref);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id INTEGER NOT NULL,
    ts REAL NOT NULL,
    who TEXT NOT NULL,
    action TEXT NOT NULL,
    changes TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS history_item ON history (item_id);
CREATE TABLE IF NOT EXISTS reports (
    kind TEXT NOT NULL,
    ref INTEGER NOT NULL,
    item_id INTEGER NOT NULL,
    ts REAL NOT NULL,
    reason TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (kind, ref)
);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO state VALUES ('generation', '0');
"""


class VerifiedError(ReasonError):
    """An answer or worklist change that cannot be saved as given."""


class ConflictError(VerifiedError):
    """The item changed since the agent opened it; ``current`` is the newer version."""

    def __init__(self, reason: str, current: Item):
        super().__init__(reason)
        self.current = current


@dataclass(frozen=True)
class Quote:
    """A citation of a verified answer: a verbatim span of a document's text
    (``text[start:end] == quote``) and the document's sha256 when checked."""

    source: str
    title: str
    quote: str
    start: int
    end: int
    sha256: str

    @classmethod
    def from_json(cls, data: dict) -> Quote:
        return cls(**{f.name: data[f.name] for f in fields(cls)})


@dataclass
class Edit:
    """What an agent submits for an item."""

    status: str
    assignee: str = ""
    answer: str = ""
    paraphrases: list[str] = field(default_factory=list)
    citations: list[Quote] = field(default_factory=list)
    no_basis: bool = False
    contact: str = ""
    transfer_to: str = ""
    decline_reason: str = ""


@dataclass(frozen=True)
class Generated:
    """A question an official reply answers by itself (see replies.py)."""

    key: str  # unique within the document
    question: str
    paraphrases: list[str]
    answer: str
    citations: list[Quote]
    by: str  # the replying body
    at: str  # the reply's date


@dataclass(frozen=True)
class Imported:
    """A verified answer from another office, its citations checked here."""

    question: str
    answer: str
    paraphrases: list[str]
    citations: list[Quote]
    no_basis: bool
    contact: str
    by: str
    at: str
    review_reason: str  # why it waits for review here ("" when every citation held)


@dataclass
class Item:
    id: int
    question: str
    status: str
    origin: str
    ref: str = ""
    assignee: str = ""
    due: str = ""
    opened: float = 0.0
    updated: float = 0.0
    version: int = 1
    asked: int = 0
    answer: str = ""
    paraphrases: list[str] = field(default_factory=list)
    citations: list[Quote] = field(default_factory=list)
    no_basis: bool = False
    contact: str = ""
    transfer_to: str = ""
    decline_reason: str = ""
    review_reason: str = ""
    verified_by: str = ""
    verified_at: str = ""

    @property
    def servable(self) -> bool:
        return self.status == ANSWERED and bool(self.answer) and (bool(self.citations) or self.no_basis)

    @property
    def phrasings(self) -> list[str]:
        return [self.question, *self.paraphrases]

    def edit(self) -> Edit:
        return Edit(
            self.status, self.assignee, self.answer, list(self.paraphrases), list(self.citations), self.no_basis,
            self.contact, self.transfer_to, self.decline_reason,
        )


@dataclass(frozen=True)
class HistoryRow:
    ts: float
    who: str
    action: str
    changes: dict

    def line(self) -> str:
        """What changed, as one line of text for the item's history table."""
        parts = []
        for name, (old, new) in self.changes.items():
            label = FIELD_NAMES.get(name, name)
            parts.append(f"{label}：{_short(old)} → {_short(new)}")
        return "；".join(parts)


@dataclass(frozen=True)
class Report:
    """A chat event that put an item on the worklist."""

    kind: str  # ask | feedback
    ts: float
    reason: str  # 未找到答案 | 用户标记没用 | 核实答复被点踩
    comment: str


FIELD_NAMES = {
    "question": "问题", "status": "状态", "assignee": "承办人", "due": "办理期限", "answer": "答复",
    "paraphrases": "同义问法", "citations": "引文", "no_basis": NO_BASIS, "contact": "联系人",
    "transfer_to": "转办单位", "decline_reason": "不予答复理由", "review_reason": "复核原因",
    "verified_by": "核实人", "verified_at": "核实日期",
}
_JSON_FIELDS = ("paraphrases", "citations")


def _short(value, limit: int = 60) -> str:
    if isinstance(value, list):
        value = "、".join(v["quote"][:20] + "…" if isinstance(v, dict) else str(v) for v in value) or "（无）"
    text = "是" if value is True else "否" if value is False else str(value or "（空）")
    return text if len(text) <= limit else text[:limit] + "…"


def check_edit(edit: Edit) -> Edit:
    """The edit with its text fields tidied; VerifiedError (in Chinese) when
    the state it asks for lacks what that state needs."""
    if edit.status not in CHOOSABLE:
        raise VerifiedError(f"状态只能是：{'、'.join(CHOOSABLE)}")
    tidy = replace(
        edit,
        assignee=edit.assignee.strip(),
        answer=edit.answer.strip(),
        paraphrases=list(dict.fromkeys(p.strip() for p in edit.paraphrases if p.strip())),
        contact=edit.contact.strip(),
        transfer_to=edit.transfer_to.strip(),
        decline_reason=edit.decline_reason.strip(),
    )
    if any(len(p) > MAX_QUESTION_CHARS for p in tidy.paraphrases):
        raise VerifiedError(f"同义问法每条不超过 {MAX_QUESTION_CHARS} 字。")
    if tidy.status == ANSWERED:
        check_answer(tidy.answer, bool(tidy.citations), tidy.no_basis, tidy.contact)
    if tidy.status == TRANSFERRED and not tidy.transfer_to:
        raise VerifiedError("转办须填写承办单位。")
    if tidy.status == DECLINED and not tidy.decline_reason:
        raise VerifiedError("不予答复须填写理由。")
    return tidy


def check_answer(answer: str, cited: bool, no_basis: bool, contact: str) -> None:
    """What an answer needs before the chat may serve it."""
    if not answer.strip():
        raise VerifiedError("答复内容为空：请填写答复内容后再保存。")
    if len(answer.strip()) > MAX_ANSWER_CHARS:
        raise VerifiedError(f"答复过长（{len(answer.strip())} 字），请控制在 {MAX_ANSWER_CHARS} 字以内。")
    if no_basis and not contact.strip():
        raise VerifiedError(f"标记为“{NO_BASIS}”的答复须填写联系人（姓名或部门及电话）。")
    if not cited and not no_basis:
        raise VerifiedError(f"请至少添加一条引文（选择文件并粘贴原文），或勾选“{NO_BASIS}”并填写联系人。")


def check_question(question: str) -> str:
    question = " ".join((question or "").split())
    if not question:
        raise VerifiedError("问题为空：请填写问题。")
    if len(question) > MAX_QUESTION_CHARS:
        raise VerifiedError(f"问题过长（{len(question)} 字），请控制在 {MAX_QUESTION_CHARS} 字以内。")
    return question


class VerifiedBook:
    """The worklist and its verified answers in one SQLite file."""

    def __init__(self, path: Path, due_days: int = 3):
        self.path = Path(path)
        self.due_days = due_days
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db:
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        return db

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE) so that a
        version check and the update after it cannot interleave with another
        writer; the store's generation is bumped with it."""
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("UPDATE state SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    # --- reading ---------------------------------------------------------------

    def generation(self) -> int:
        """Changes with every write, from any process."""
        with closing(self._connect()) as db:
            return int(db.execute("SELECT value FROM state WHERE key = 'generation'").fetchone()[0])

    def get(self, item_id: int) -> Item:
        with closing(self._connect()) as db:
            return self._get(db, item_id)

    def _get(self, db: sqlite3.Connection, item_id: int) -> Item:
        row = db.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            raise VerifiedError(f"找不到编号为 {item_id} 的问题。")
        return _item(row)

    def items(self, documents: bool = False) -> list[Item]:
        """Every item, in id order; items generated from official replies
        only with ``documents`` (or when a user's 踩 sent one back)."""
        sql = "SELECT * FROM items" + ("" if documents else " WHERE origin != ? OR status != ?") + " ORDER BY id"
        with closing(self._connect()) as db:
            rows = db.execute(sql, () if documents else (DOCUMENT, ANSWERED)).fetchall()
        return [_item(r) for r in rows]

    def servable(self) -> list[Item]:
        with closing(self._connect()) as db:
            rows = db.execute("SELECT * FROM items WHERE status = ? ORDER BY id", (ANSWERED,)).fetchall()
        return [item for item in map(_item, rows) if item.servable]

    def history(self, item_id: int) -> list[HistoryRow]:
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT ts, who, action, changes FROM history WHERE item_id = ? ORDER BY id", (item_id,)
            ).fetchall()
        return [HistoryRow(r["ts"], r["who"], r["action"], json.loads(r["changes"])) for r in rows]

    def reports(self, item_id: int) -> list[Report]:
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT kind, ts, reason, comment FROM reports WHERE item_id = ? ORDER BY ts", (item_id,)
            ).fetchall()
        return [Report(r["kind"], r["ts"], r["reason"], r["comment"]) for r in rows]

    def reported(self, kind: str) -> int:
        """The highest chat record of ``kind`` already on the worklist."""
        with closing(self._connect()) as db:
            return int(db.execute("SELECT COALESCE(MAX(ref), 0) FROM reports WHERE kind = ?", (kind,)).fetchone()[0])

    def recent_reports(self, kind: str, limit: int) -> dict[int, str]:
        """The latest chat records of ``kind`` on the worklist, with their stored comment."""
        with closing(self._connect()) as db:
            rows = db.execute("SELECT ref, comment FROM reports WHERE kind = ? ORDER BY ref DESC LIMIT ?", (kind, limit))
            return dict(rows.fetchall())

    # --- writing ---------------------------------------------------------------

    def add(self, question: str, origin: str, who: str, edit: Edit | None = None,
            verified_by: str = "", verified_at: str = "") -> Item:
        """A new item; with ``edit`` (checked here) already in that state,
        as when an agent adds an answer from the command line or a file is
        imported."""
        question = check_question(question)
        edit = check_edit(edit) if edit else Edit(NEW)
        with self._writing() as db:
            item_id = self._insert(db, question, origin, time.time())
            self._log(db, item_id, who, "新建", {"question": ["", question]})
            if edit != Edit(NEW):
                self._apply(db, self._get(db, item_id), edit, who, "编辑", verified_by, verified_at)
            return self._get(db, item_id)

    def _insert(self, db: sqlite3.Connection, question: str, origin: str, now: float, ref: str = "") -> int:
        cursor = db.execute(
            "INSERT INTO items (question, status, origin, ref, due, opened, updated) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (question, NEW, origin, ref, due_date(dt.date.fromtimestamp(now), self.due_days), now, now),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def save(self, item_id: int, edit: Edit, who: str, version: int) -> Item:
        """Apply an agent's edit to the version they saw; ConflictError if
        someone saved since, VerifiedError if the edit is incomplete."""
        edit = check_edit(edit)
        with self._writing() as db:
            current = self._get(db, item_id)
            if current.version != version:
                last = db.execute(
                    "SELECT who, ts FROM history WHERE item_id = ? ORDER BY id DESC LIMIT 1", (item_id,)
                ).fetchone()
                who_last, when = (last["who"], _clock(last["ts"])) if last else ("他人", "")
                raise ConflictError(
                    f"保存未生效：该问题已被 {who_last} 于 {when} 修改（当前为第 {current.version} 版，您编辑的是第 {version} 版）。"
                    "已为您载入最新版本，您填写的内容保留在下方，请核对后重新保存。",
                    current,
                )
            self._apply(db, current, edit, who, "编辑")
            return self._get(db, item_id)

    def _apply(self, db: sqlite3.Connection, current: Item, edit: Edit, who: str, action: str,
               verified_by: str = "", verified_at: str = "") -> None:
        new = replace(
            current, status=edit.status, assignee=edit.assignee or current.assignee or who, answer=edit.answer,
            paraphrases=edit.paraphrases, citations=edit.citations, no_basis=edit.no_basis, contact=edit.contact,
            transfer_to=edit.transfer_to, decline_reason=edit.decline_reason,
        )
        if edit.status == ANSWERED:
            new.review_reason = ""
            content_changed = (new.answer, new.citations, new.no_basis, new.contact) != (
                current.answer, current.citations, current.no_basis, current.contact)
            if verified_by or current.status != ANSWERED or content_changed:
                new.verified_by = verified_by or who
                new.verified_at = verified_at or dt.date.today().isoformat()
        self._update(db, current, new, who, action)

    def _update(self, db: sqlite3.Connection, current: Item, new: Item, who: str, action: str) -> None:
        changes = _changes(current, new)
        if not changes:
            return
        new.version, new.updated = current.version + 1, time.time()
        row = _row(new)
        names = [k for k in row if k != "id"]
        db.execute(f"UPDATE items SET {', '.join(f'{k} = ?' for k in names)} WHERE id = ?",
                   [row[k] for k in names] + [current.id])
        self._log(db, current.id, who, action, changes)

    def _log(self, db: sqlite3.Connection, item_id: int, who: str, action: str, changes: dict) -> None:
        db.execute(
            "INSERT INTO history (item_id, ts, who, action, changes) VALUES (?, ?, ?, ?, ?)",
            (item_id, time.time(), who, action, json.dumps(changes, ensure_ascii=False)),
        )

    def withdraw(self, item_ids: dict[int, str], who: str = SYSTEM) -> list[int]:
        """Send answered items back to the worklist as 待复核, each with its
        reason, and a fresh due date. Returns the ids that were withdrawn."""
        done = []
        with self._writing() as db:
            for item_id, reason in item_ids.items():
                current = self._get(db, item_id)
                if current.status != ANSWERED:
                    continue
                due = due_date(dt.date.today(), self.due_days)
                self._update(db, current, replace(current, status=REVIEW, review_reason=reason, due=due), who, "撤回待复核")
                done.append(item_id)
        return done

    def report(self, kind: str, ref: int, ts: float, question: str, reason: str, comment: str = "",
               served: int | None = None) -> int:
        """Put a chat event on the worklist: a 踩 on a served answer sends
        that item back for review; anything else joins the open item with
        the same question, or opens one. Returns the item id."""
        with self._writing() as db:
            if db.execute("SELECT 1 FROM reports WHERE kind = ? AND ref = ?", (kind, ref)).fetchone():
                return -1
            item_id = served if served is not None and _exists(db, served) else None
            if item_id is not None:
                current = self._get(db, item_id)
                if current.status == ANSWERED:
                    why = f"用户点踩：{comment}" if comment else "用户点踩"
                    due = due_date(dt.date.today(), self.due_days)
                    self._update(db, current, replace(current, status=REVIEW, review_reason=why, due=due),
                                 SYSTEM, "撤回待复核")
            else:
                item_id = self._open_item(db, question, ts)
            db.execute("INSERT INTO reports VALUES (?, ?, ?, ?, ?, ?)", (kind, ref, item_id, ts, reason, comment))
            db.execute("UPDATE items SET asked = asked + 1 WHERE id = ?", (item_id,))
            return item_id

    def _open_item(self, db: sqlite3.Connection, question: str, ts: float) -> int:
        same = db.execute(
            f"SELECT id FROM items WHERE question = ? AND status IN ({','.join('?' * len(OPEN))}) ORDER BY id LIMIT 1",
            (question, *OPEN),
        ).fetchone()
        if same:
            return int(same["id"])
        item_id = self._insert(db, check_question(question), CHAT, ts)
        self._log(db, item_id, SYSTEM, "新建", {"question": ["", question]})
        return item_id

    def update_comment(self, kind: str, ref: int, comment: str) -> None:
        """A user's comment that arrived after their rating."""
        with self._writing() as db:
            row = db.execute("SELECT item_id FROM reports WHERE kind = ? AND ref = ?", (kind, ref)).fetchone()
            if row is None:
                return
            db.execute("UPDATE reports SET comment = ? WHERE kind = ? AND ref = ?", (comment, kind, ref))
            current = self._get(db, row["item_id"])
            if current.status == REVIEW and current.review_reason == "用户点踩":
                self._update(db, current, replace(current, review_reason=f"用户点踩：{comment}"), SYSTEM, "补充用户意见")

    def import_items(self, entries: list[Imported], who: str) -> None:
        """Add imported answers in one transaction: all of them or none."""
        with self._writing() as db:
            for entry in entries:
                item_id = self._insert(db, check_question(entry.question), IMPORT, time.time())
                self._log(db, item_id, who, "导入", {"question": ["", entry.question]})
                current = self._get(db, item_id)
                new = replace(
                    current, status=REVIEW if entry.review_reason else ANSWERED, assignee=who, answer=entry.answer,
                    paraphrases=entry.paraphrases, citations=entry.citations, no_basis=entry.no_basis,
                    contact=entry.contact, verified_by=entry.by or who,
                    verified_at=entry.at or dt.date.today().isoformat(), review_reason=entry.review_reason,
                )
                self._update(db, current, new, who, "导入")

    def replace_document_entries(self, source: str, entries: list[Generated]) -> None:
        """Make the items generated from one official reply exactly
        ``entries``; an entry keeps its id while its key stays, others
        generated from the document go."""
        with self._writing() as db:
            old = {r["ref"]: _item(r) for r in db.execute(
                "SELECT * FROM items WHERE origin = ? AND substr(ref, 1, length(?)) = ?", (DOCUMENT, f"{source}#", f"{source}#")
            )}
            now = time.time()
            for entry in entries:
                ref = f"{source}#{entry.key}"
                current = old.pop(ref, None)
                if current is None:
                    current = self._get(db, self._insert(db, entry.question, DOCUMENT, now, ref))
                new = replace(current, question=entry.question, status=ANSWERED, answer=entry.answer,
                              paraphrases=entry.paraphrases, citations=entry.citations, verified_by=entry.by,
                              verified_at=entry.at, review_reason="", due="")
                self._update(db, current, new, SYSTEM, "依答复文件生成")
            for gone in old.values():
                db.execute("DELETE FROM items WHERE id = ?", (gone.id,))
                self._log(db, gone.id, SYSTEM, "删除（答复文件已变更或移除）", {})

    def document_sources(self) -> dict[str, set[str]]:
        """Sources of generated items, with the document hashes they cite."""
        found: dict[str, set[str]] = {}
        with closing(self._connect()) as db:
            for ref, cites in db.execute("SELECT ref, citations FROM items WHERE origin = ?", (DOCUMENT,)):
                source = ref.rsplit("#", 1)[0]
                found.setdefault(source, set()).update(c["sha256"] for c in json.loads(cites))
        return found


def _exists(db: sqlite3.Connection, item_id: int) -> bool:
    return db.execute("SELECT 1 FROM items WHERE id = ?", (item_id,)).fetchone() is not None


def _item(row: sqlite3.Row) -> Item:
    data = dict(row)
    data["paraphrases"] = json.loads(data["paraphrases"])
    data["citations"] = [Quote.from_json(c) for c in json.loads(data["citations"])]
    data["no_basis"] = bool(data["no_basis"])
    return Item(**data)


def _row(item: Item) -> dict:
    row = asdict(item)
    for name in _JSON_FIELDS:
        row[name] = json.dumps(row[name], ensure_ascii=False)
    row["no_basis"] = int(item.no_basis)
    return row


def _changes(old: Item, new: Item) -> dict:
    """Field → [old, new] for every field an agent can see change."""
    a, b = asdict(old), asdict(new)
    return {k: [a[k], b[k]] for k in FIELD_NAMES if a[k] != b[k]}


def _clock(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))

