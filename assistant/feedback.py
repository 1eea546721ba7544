"""What users asked and what they thought of the answers, in SQLite beside
the index. Agents read it back as a worklist: questions the documents did
not answer, and answers marked 没用, newest first.
"""
from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from .documents import Answer

_SCHEMA = """
CREATE TABLE IF NOT EXISTS asks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    refused INTEGER NOT NULL,
    mode TEXT NOT NULL,
    verified_id INTEGER
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ask_id INTEGER NOT NULL REFERENCES asks(id),
    ts REAL NOT NULL,
    useful INTEGER NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL
);
"""

WORKLIST_COLUMNS = ["时间", "问题", "原因", "用户意见", "回答"]


@dataclass(frozen=True)
class ChatRecord:
    """A refused question (kind ``ask``) or a 踩 (kind ``feedback``), as the
    verified-answer worklist takes them in."""

    kind: str
    ref: int  # the row's id in its table
    ts: float
    question: str
    comment: str = ""
    verified_id: int | None = None  # the verified answer a 踩 was about


@dataclass
class WorkItem:
    ts: float
    question: str
    reason: str  # 未找到答案 | 用户标记没用
    comment: str
    answer: str

    def row(self) -> list[str]:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.ts))
        return [when, self.question, self.reason, self.comment, self.answer]


class FeedbackLog:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with closing(self._connect()) as db, db:
            db.executescript(_SCHEMA)
            if "verified_id" not in {row[1] for row in db.execute("PRAGMA table_info(asks)")}:
                db.execute("ALTER TABLE asks ADD COLUMN verified_id INTEGER")  # a log from before verified answers

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def _write(self, sql: str, args: tuple) -> int:
        with self._lock, closing(self._connect()) as db, db:
            return _row_id(db.execute(sql, args))

    def record_answer(self, answer: Answer) -> int:
        citations = json.dumps([c.to_json() for c in answer.citations], ensure_ascii=False)
        return self._write(
            "INSERT INTO asks (ts, question, answer, citations, refused, mode, verified_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (time.time(), answer.question, answer.text, citations, int(answer.refused), answer.mode,
             (answer.verified or {}).get("id")),
        )

    def rate(self, ask_id: int, useful: bool, comment: str = "") -> int:
        """Store a rating with a copy of the question, answer and citations."""
        with self._lock, closing(self._connect()) as db, db:
            row = db.execute("SELECT question, answer, citations FROM asks WHERE id = ?", (ask_id,)).fetchone()
            if row is None:
                raise KeyError(f"找不到编号为 {ask_id} 的回答")
            return _row_id(db.execute(
                "INSERT INTO feedback (ask_id, ts, useful, comment, question, answer, citations)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (ask_id, time.time(), int(useful), comment.strip()[:2000], *row),
            ))

    def add_comment(self, feedback_id: int, comment: str) -> None:
        with self._lock, closing(self._connect()) as db, db:
            cursor = db.execute("UPDATE feedback SET comment = ? WHERE id = ?", (comment.strip()[:2000], feedback_id))
            if cursor.rowcount == 0:
                raise KeyError(f"找不到编号为 {feedback_id} 的反馈")

    def worklist(self, limit: int = 1000) -> list[WorkItem]:
        sql = """
            SELECT ts, question, '未找到答案', '', answer FROM asks WHERE refused = 1 AND question != ''
            UNION ALL
            SELECT ts, question, '用户标记没用', comment, answer FROM feedback WHERE useful = 0 AND question != ''
            ORDER BY 1 DESC LIMIT ?
        """
        with closing(self._connect()) as db:
            return [WorkItem(*row) for row in db.execute(sql, (limit,))]

    def refused_since(self, ask_id: int) -> list[ChatRecord]:
        """Refused questions logged after ``ask_id``, oldest first."""
        sql = "SELECT id, ts, question FROM asks WHERE refused = 1 AND question != '' AND id > ? ORDER BY id"
        with closing(self._connect()) as db:
            return [ChatRecord("ask", *row) for row in db.execute(sql, (ask_id,))]

    def dislikes_since(self, feedback_id: int) -> list[ChatRecord]:
        """踩 ratings after ``feedback_id``, oldest first, with the verified
        answer each was about (if any)."""
        sql = """
            SELECT f.id, f.ts, f.question, f.comment, a.verified_id FROM feedback f JOIN asks a ON a.id = f.ask_id
            WHERE f.useful = 0 AND f.question != '' AND f.id > ? ORDER BY f.id
        """
        with closing(self._connect()) as db:
            return [ChatRecord("feedback", *row) for row in db.execute(sql, (feedback_id,))]

    def comments(self, feedback_ids: list[int]) -> dict[int, str]:
        """The current comment of each rating."""
        with closing(self._connect()) as db:
            marks = ",".join("?" * len(feedback_ids))
            return dict(db.execute(f"SELECT id, comment FROM feedback WHERE id IN ({marks})", feedback_ids).fetchall())

    def worklist_csv(self) -> str:
        """The worklist as CSV text (with a BOM, so Excel reads the Chinese)."""
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow(WORKLIST_COLUMNS)
        writer.writerows(item.row() for item in self.worklist())
        return out.getvalue()


def _row_id(cursor: sqlite3.Cursor) -> int:
    """The id of the row an INSERT just wrote (always set after an INSERT)."""
    assert cursor.lastrowid is not None
    return cursor.lastrowid
