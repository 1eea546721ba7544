"""The agents' worklist: what state a question is in, and when it is due.

A question the documents did not answer (or an answer a user rated 踩)
becomes an item. Agents move it through these states:

    待处理 → 处理中 → 已答复 | 已转办 (to a named body) | 不予答复 (with a reason)
    已答复 → 待复核  when a document it cites changes or goes, or a user rates it 踩

Only 已答复 items are served in the chat. An open item (待处理, 处理中,
待复核) is due a number of working days after it opened (weekends skipped;
Zhejiang's enterprise platform gives departments 1–3 working days), and
overdue items come first.
"""
from __future__ import annotations

import datetime as dt

NEW, WORKING, ANSWERED, TRANSFERRED, DECLINED, REVIEW = "待处理", "处理中", "已答复", "已转办", "不予答复", "待复核"
STATUSES = (NEW, WORKING, ANSWERED, TRANSFERRED, DECLINED, REVIEW)
OPEN = (NEW, WORKING, REVIEW)
# The states an agent may choose; 待复核 is set by the system alone.
CHOOSABLE = (NEW, WORKING, ANSWERED, TRANSFERRED, DECLINED)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """``days`` working days (Monday to Friday) after ``start``."""
    day, left = start, max(0, days)
    while left:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


def due_date(opened: dt.date, days: int) -> str:
    """The ISO due date of an item opened on ``opened``."""
    return add_working_days(opened, days).isoformat()


def is_overdue(status: str, due: str, today: dt.date | None = None) -> bool:
    """An open item past its due date."""
    return status in OPEN and bool(due) and due < (today or dt.date.today()).isoformat()


def order_key(status: str, due: str, opened_ts: float, today: dt.date | None = None) -> tuple:
    """Sort key: overdue first, then open items, then closed ones; the
    newest first within each group."""
    group = 0 if is_overdue(status, due, today) else 1 if status in OPEN else 2
    return (group, -opened_ts)


def due_label(status: str, due: str, today: dt.date | None = None) -> str:
    """The due date as shown in the worklist, marked when overdue."""
    if status not in OPEN or not due:
        return ""
    return f"{due}（已逾期）" if is_overdue(status, due, today) else due
