"""The audit log: rows in a real SQLite file, filters, append-only (the
database refuses changes; a change made behind its back breaks the hash
chain), CSV that a spreadsheet cannot run, and ``python -m assistant audit``."""
import csv
import io
import json
import sqlite3
import subprocess
import sys
from datetime import datetime

import pytest
from conftest import ROOT

from assistant.audit import AuditError, AuditLog, csv_text, day_start


def at(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").timestamp()


@pytest.fixture
def log(tmp_path):
    times = iter([at("2026-01-05 09:00"), at("2026-01-05 10:00"), at("2026-01-06 09:30"), at("2026-01-07 08:00")])
    log = AuditLog(tmp_path / "audit.sqlite", clock=lambda: next(times))
    log.record("agent", "127.0.0.2", "login", "agent", "failed", "账号或密码不正确")
    log.record("agent", "127.0.0.2", "upload", "a.txt", "ok", "已导入", size=1234)
    log.record("王小明", "127.0.0.3", "delete", "b.txt", "ok")
    log.record("=cmd|' /C calc'!A0", "127.0.0.4", "login", "=cmd", "failed")
    return log


def test_events_filter_by_agent_action_and_dates(log):
    assert [e.target for e in log.events()] == ["agent", "a.txt", "b.txt", "=cmd"]
    assert [e.target for e in log.events(agent="agent")] == ["agent", "a.txt"]
    assert [e.target for e in log.events(action="login", newest_first=True)] == ["=cmd", "agent"]
    assert [e.target for e in log.events(since=day_start("2026-01-06"), until=day_start("2026-01-07"))] == ["b.txt"]
    upload = log.events(action="upload")[0]
    assert (upload.size, upload.address, upload.outcome) == (1234, "127.0.0.2", "ok")
    assert upload.to_json()["time"].startswith("2026-01-05T10:00:00") and upload.to_json()["action_name"] == "上传"
    assert log.agents() == ["=cmd|' /C calc'!A0", "agent", "王小明"]


def test_rows_cannot_be_changed_or_deleted(log):
    with sqlite3.connect(log.path) as db:
        for sql in ("UPDATE events SET outcome = 'ok' WHERE id = 1", "DELETE FROM events WHERE id = 1"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                db.execute(sql)
    assert log.check() == (4, [])


def test_a_row_changed_behind_the_log_breaks_the_chain(log):
    with sqlite3.connect(log.path) as db:
        db.execute("DROP TRIGGER events_no_update")
        db.execute("UPDATE events SET outcome = 'ok' WHERE id = 1")
        db.execute("DROP TRIGGER events_no_delete")
        db.execute("DELETE FROM events WHERE id = 3")
    assert log.check() == (3, [1, 4])


def test_csv_has_chinese_columns_and_no_formulas(log):
    text = csv_text(log.events())
    assert text.startswith("\ufeff时间,操作人,来源地址,操作,对象,结果,说明")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1][3:6] == ["登录", "agent", "失败"]
    assert rows[4][1] == "'=cmd|' /C calc'!A0" and rows[4][4] == "'=cmd"


def test_control_characters_are_shown_not_stored(tmp_path):
    event = AuditLog(tmp_path / "a.sqlite").record("x\x1b[2J\u202e", "127.0.0.2", "login", "x", "failed")
    assert event.agent == "x\\x1b[2J\\x202e"


def test_a_bad_date_is_said_in_chinese():
    with pytest.raises(AuditError, match="日期“昨天”无法识别"):
        day_start("昨天")


def test_the_command_line(log, tmp_path):
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "assistant", "audit", "--index", str(tmp_path), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    events = json.loads(run("--json", "--since", "2026-01-06").stdout)
    assert [(e["agent"], e["address"], e["action"], e["target"]) for e in events] == [
        ("王小明", "127.0.0.3", "delete", "b.txt"), ("=cmd|' /C calc'!A0", "127.0.0.4", "login", "=cmd")]
    plain = run("--agent", "agent").stdout
    assert "2026-01-05 10:00:00\tagent\t127.0.0.2\t上传\ta.txt\t成功\t已导入" in plain and "共 2 条。" in plain
    assert "链式校验通过" in run("--check").stdout
    bad = run("--since", "2026/13/01")
    assert bad.returncode == 2 and "日期“2026/13/01”无法识别" in bad.stderr
    empty = subprocess.run([sys.executable, "-m", "assistant", "audit", "--index", str(tmp_path / "none"), "--json"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert empty.returncode == 0 and json.loads(empty.stdout) == []
