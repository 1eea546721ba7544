"""Worklist states and due dates: working days skip weekends, overdue
items come first, closed items are never overdue."""
import datetime as dt

import pytest

from assistant.worklist import (
    ANSWERED,
    CHOOSABLE,
    DECLINED,
    NEW,
    OPEN,
    REVIEW,
    STATUSES,
    TRANSFERRED,
    WORKING,
    add_working_days,
    due_date,
    due_label,
    is_overdue,
    order_key,
)

FRIDAY = dt.date(2026, 11, 27)
MONDAY = dt.date(2026, 11, 30)


@pytest.mark.parametrize(
    "start, days, expected",
    [
        (MONDAY, 3, dt.date(2026, 12, 3)),  # Mon → Thu
        (FRIDAY, 1, MONDAY),  # the weekend is skipped
        (FRIDAY, 3, dt.date(2026, 12, 2)),  # Fri → Wed
        (dt.date(2026, 11, 28), 1, MONDAY),  # opened on a Saturday
        (MONDAY, 0, MONDAY),
        (MONDAY, 10, dt.date(2026, 12, 14)),  # two whole weeks
    ],
)
def test_working_days_skip_weekends(start, days, expected):
    assert add_working_days(start, days) == expected
    assert due_date(start, days) == expected.isoformat()


def test_the_states_are_the_ones_agents_use():
    assert STATUSES == ("待处理", "处理中", "已答复", "已转办", "不予答复", "待复核")
    assert set(OPEN) == {NEW, WORKING, REVIEW}
    assert REVIEW not in CHOOSABLE  # only the system sends an answer back for review
    assert {ANSWERED, TRANSFERRED, DECLINED} <= set(CHOOSABLE)


def test_only_open_items_past_their_date_are_overdue():
    today = dt.date(2026, 12, 4)
    assert is_overdue(NEW, "2026-12-03", today)
    assert is_overdue(REVIEW, "2026-12-03", today)
    assert not is_overdue(NEW, "2026-12-04", today)  # due today is not late yet
    assert not is_overdue(ANSWERED, "2026-12-01", today)
    assert not is_overdue(DECLINED, "2026-12-01", today)
    assert due_label(WORKING, "2026-12-03", today) == "2026-12-03（已逾期）"
    assert due_label(WORKING, "2026-12-05", today) == "2026-12-05"
    assert due_label(ANSWERED, "2026-12-03", today) == ""


def test_overdue_first_then_open_then_closed_newest_first_within():
    today = dt.date(2026, 12, 4)
    items = [
        ("closed new", ANSWERED, "2026-12-01", 50.0),
        ("open old", NEW, "2026-12-09", 10.0),
        ("overdue old", WORKING, "2026-12-01", 5.0),
        ("open new", REVIEW, "2026-12-09", 40.0),
        ("overdue new", NEW, "2026-12-02", 30.0),
        ("closed old", TRANSFERRED, "2026-12-01", 1.0),
    ]
    ordered = sorted(items, key=lambda i: order_key(i[1], i[2], i[3], today))
    assert [i[0] for i in ordered] == ["overdue new", "overdue old", "open new", "open old", "closed new", "closed old"]
