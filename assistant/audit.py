"""The audit log: who did what to the assistant's content, when, from where,
and how it ended. Every login (success, failure, refusal by a lock), upload,
deletion, metadata edit, verified-answer change and account change is one
row of ``<index>/audit.sqlite``.

Append-only: triggers refuse UPDATE and DELETE, and each row carries the
sha256 of the previous row's hash and its own fields, so a row changed or
removed behind the app's back (the file edited by hand) breaks the chain
that ``check`` (``python -m assistant audit --check``) walks.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import sqlite3
import time
import unicodedata
from collections.abc import Sequence
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .client_address import from_request
from .config import Settings
from .errors import ReasonError

ACTIONS = {"login": "登录", "upload": "上传", "delete": "删除", "metadata": "修改文档信息",
           "verified": "核实答复", "account": "账号管理"}
OUTCOMES = {"ok": "成功", "failed": "失败", "refused": "拒绝"}
COLUMNS = ["时间", "操作人", "来源地址", "操作", "对象", "结果", "说明"]
CLI_ADDRESS = "本机命令行"  # where changes made with python -m assistant … come from
FIELD_CHARS = 2000  # longer texts are cut (a name or reason is never that long)

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, agent TEXT NOT NULL, address TEXT NOT NULL,
    action TEXT NOT NULL, target TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT NOT NULL,
    size INTEGER NOT NULL DEFAULT 0, hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_agent ON events (agent, action, ts);
CREATE INDEX IF NOT EXISTS events_by_ts ON events (ts);
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""


class AuditError(ReasonError):
    """A filter the log cannot use (a date it cannot read)."""


@dataclass(frozen=True)
class Event:
    id: int
    ts: float
    agent: str
    address: str
    action: str
    target: str
    outcome: str
    detail: str
    size: int = 0

    @property
    def time(self) -> str:
        """Local time with its UTC offset, e.g. 2026-01-05T09:30:00+08:00."""
        return datetime.fromtimestamp(self.ts).astimezone().isoformat(timespec="seconds")

    def to_json(self) -> dict:
        return {**asdict(self), "time": self.time, "action_name": ACTIONS.get(self.action, self.action),
                "outcome_name": OUTCOMES.get(self.outcome, self.outcome)}

    def row(self) -> list[str]:
        """The row the agents' page and the CSV show (COLUMNS)."""
        shown = datetime.fromtimestamp(self.ts).strftime("%Y-%m-%d %H:%M:%S")
        return [shown, self.agent, self.address, ACTIONS.get(self.action, self.action), self.target,
                OUTCOMES.get(self.outcome, self.outcome), self.detail]


class AuditLog:
    def __init__(self, path: Path, clock=time.time):
        self.path, self._clock = Path(path), clock
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db:
            db.executescript(_SCHEMA)

    def record(self, agent: str, address: str, action: str, target: str = "", outcome: str = "ok",
               detail: str = "", size: int = 0) -> Event:
        fields = (_clean(agent), _clean(address), action, _clean(target), outcome, _clean(detail))
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                last = db.execute("SELECT hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
                ts = self._clock()
                digest = _chain(last[0] if last else "", ts, *fields, size)
                cursor = db.execute(
                    "INSERT INTO events (ts, agent, address, action, target, outcome, detail, size, hash)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (ts, *fields, size, digest))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return Event(int(cursor.lastrowid or 0), ts, *fields, size)

    def events(self, agent: str = "", action: str = "", since: float | None = None, until: float | None = None,
               outcomes: Sequence[str] = (), newest_first: bool = False, limit: int | None = None) -> list[Event]:
        where, args = ["1"], list[Any]()
        for column, value in (("agent", agent), ("action", action)):
            if value:
                where.append(f"{column} = ?")
                args.append(value)
        if since is not None:
            where.append("ts >= ?")
            args.append(since)
        if until is not None:
            where.append("ts < ?")
            args.append(until)
        if outcomes:
            where.append(f"outcome IN ({','.join('?' * len(outcomes))})")
            args += list(outcomes)
        order = "DESC" if newest_first else "ASC"
        sql = (f"SELECT id, ts, agent, address, action, target, outcome, detail, size FROM events"
               f" WHERE {' AND '.join(where)} ORDER BY id {order}" + (f" LIMIT {int(limit)}" if limit else ""))
        with closing(self._connect()) as db:
            return [Event(*row) for row in db.execute(sql, args)]

    def agents(self) -> list[str]:
        with closing(self._connect()) as db:
            return [r[0] for r in db.execute("SELECT DISTINCT agent FROM events WHERE agent != '' ORDER BY agent")]

    def check(self) -> tuple[int, list[int]]:
        """(rows, ids whose hash does not follow from the row before): an
        empty list means nothing was changed or removed in between."""
        broken, previous, rows = [], "", 0
        with closing(self._connect()) as db:
            for row in db.execute("SELECT id, ts, agent, address, action, target, outcome, detail, size, hash"
                                  " FROM events ORDER BY id"):
                rows += 1
                if _chain(previous, *row[1:9]) != row[9]:
                    broken.append(row[0])
                previous = row[9]
        return rows, broken

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA busy_timeout = 30000")
        return db


def _chain(previous: str, ts: float, *fields: Any) -> str:
    body = json.dumps([previous, repr(float(ts)), *fields], ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _clean(text: str) -> str:
    """Control and invisible characters shown as \\xNN (a name typed at the
    login form is anything), cut to FIELD_CHARS."""
    text = str(text or "")[:FIELD_CHARS]
    return "".join(f"\\x{ord(c):02x}" if unicodedata.category(c) in ("Cc", "Cf") and c not in "\n\t" else c
                   for c in text)


# --- for callers ---------------------------------------------------------------------


def open_log(settings: Settings) -> AuditLog:
    return AuditLog(settings.audit_db)


def record(settings: Settings, action: str, target: str = "", outcome: str = "ok", detail: str = "", *,
           request: Any = None, agent: str | None = None, address: str | None = None, size: int = 0) -> None:
    """Log one event. Who and where come from a Gradio request (its logged-in
    agent and client address) unless given. A log that cannot be written is
    reported in the server log and never undoes the action it describes."""
    who = agent if agent is not None else (getattr(request, "username", None) or "")
    where = address if address is not None else from_request(request, settings.trusted_proxies)
    try:
        open_log(settings).record(who, where, action, target, outcome, detail, size)
    except (OSError, sqlite3.Error):
        log.exception("操作记录写入失败：%s %s %s %s", who, action, target, outcome)


def day_start(text: str) -> float:
    """Local midnight of a YYYY-MM-DD date (or the moment of YYYY-MM-DD HH:MM)."""
    text = (text or "").strip()
    for form in ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(text, form).timestamp()
        except ValueError:
            continue
    raise AuditError(f"日期“{text}”无法识别，请写成 2026-01-31 或 2026-01-31 09:30 的形式。")


def csv_text(events: Sequence[Event]) -> str:
    """The events as CSV (COLUMNS), with a BOM so that Excel reads it as
    UTF-8; a cell starting with = + - @ is prefixed with ' so a spreadsheet
    never runs a name someone typed at the login form as a formula."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for event in events:
        writer.writerow(["'" + cell if cell[:1] in ("=", "+", "-", "@") else cell for cell in event.row()])
    return "\ufeff" + out.getvalue()
