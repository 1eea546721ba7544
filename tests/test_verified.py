"""The verified-answer store on a real SQLite file: states and what each
needs, optimistic versions (two agents at once), history, withdrawal,
chat reports, generated entries, and all-or-nothing imports."""
import datetime as dt
import json
import sqlite3
import threading

import pytest

from assistant.verified import (
    AGENT,
    CHAT,
    DOCUMENT,
    IMPORT,
    NO_BASIS,
    ConflictError,
    Edit,
    Generated,
    Imported,
    Quote,
    VerifiedBook,
    VerifiedError,
)
from assistant.worklist import ANSWERED, DECLINED, NEW, REVIEW, TRANSFERRED, WORKING, due_date

QUOTE = Quote("a.txt", "测试文件", "每家企业最高给予3万元", 10, 21, "sha-a")


@pytest.fixture
def book(tmp_path):
    return VerifiedBook(tmp_path / "idx" / "verified.sqlite", due_days=3)


def answered(answer="最高3万元。", **changes) -> Edit:
    return Edit(ANSWERED, "王芳", answer, citations=[QUOTE], **changes)


def rows(book, sql, args=()):
    with sqlite3.connect(book.path) as db:
        return db.execute(sql, args).fetchall()


def test_a_new_item_is_open_with_a_due_date_three_working_days_on(book):
    item = book.add("蓝鲸补贴最高多少？", CHAT, "系统")
    assert item.status == NEW and item.version == 1 and item.origin == CHAT
    assert item.due == due_date(dt.date.today(), 3)
    assert not item.servable
    assert [h.action for h in book.history(item.id)] == ["新建"]


def test_answering_needs_text_and_a_citation_or_a_named_contact(book):
    item = book.add("蓝鲸补贴最高多少？", CHAT, "系统")
    cases = [
        (Edit(ANSWERED, "王芳", "   ", citations=[QUOTE]), "答复内容为空"),
        (Edit(ANSWERED, "王芳", "最高3万元。"), "请至少添加一条引文"),
        (Edit(ANSWERED, "王芳", "请致电咨询。", no_basis=True), "须填写联系人"),
        (Edit(TRANSFERRED, "王芳"), "转办须填写承办单位"),
        (Edit(DECLINED, "王芳"), "不予答复须填写理由"),
        (Edit(REVIEW, "王芳"), "状态只能是"),
        (Edit(ANSWERED, "王芳", "长" * 3001, citations=[QUOTE]), "答复过长"),
    ]
    for edit, message in cases:
        with pytest.raises(VerifiedError) as err:
            book.save(item.id, edit, "王芳", item.version)
        assert message in err.value.reason
    unchanged = book.get(item.id)
    assert unchanged.version == 1 and unchanged.status == NEW and unchanged.answer == ""
    assert len(book.history(item.id)) == 1  # nothing half-saved


def test_an_answer_records_who_verified_it_and_when_and_is_served(book):
    item = book.add("蓝鲸补贴最高多少？", CHAT, "系统")
    saved = book.save(item.id, answered(paraphrases=[" 蓝鲸补贴上限？ ", "", "蓝鲸补贴上限？"]), "王芳", 1)
    assert saved.status == ANSWERED and saved.version == 2
    assert saved.verified_by == "王芳" and saved.verified_at == dt.date.today().isoformat()
    assert saved.assignee == "王芳"
    assert saved.paraphrases == ["蓝鲸补贴上限？"]
    assert saved.citations == [QUOTE]
    assert [i.id for i in book.servable()] == [item.id]
    assert saved.phrasings == ["蓝鲸补贴最高多少？", "蓝鲸补贴上限？"]


def test_an_answer_without_documents_is_marked_and_names_a_contact(book):
    item = book.add("公积金贷款怎么办？", CHAT, "系统")
    edit = Edit(ANSWERED, "王芳", "请向住房公积金中心咨询。", no_basis=True, contact="市公积金中心 0574-00000000")
    saved = book.save(item.id, edit, "王芳", 1)
    assert saved.servable and saved.no_basis and saved.contact.startswith("市公积金中心")
    assert NO_BASIS in book.history(item.id)[-1].line()


def test_a_save_over_a_newer_version_is_refused_with_that_version(book):
    item = book.add("蓝鲸补贴最高多少？", CHAT, "系统")
    book.save(item.id, Edit(WORKING, "王芳", "草稿"), "王芳", 1)
    with pytest.raises(ConflictError) as err:
        book.save(item.id, Edit(WORKING, "李明", "另一份草稿"), "李明", 1)
    assert "保存未生效" in err.value.reason and "王芳" in err.value.reason and "第 2 版" in err.value.reason
    assert err.value.current.answer == "草稿" and err.value.current.version == 2
    assert book.get(item.id).answer == "草稿"


def test_two_agents_saving_at_once_one_wins_the_other_is_told_nothing_is_lost(book):
    item = book.add("蓝鲸补贴最高多少？", CHAT, "系统")
    barrier = threading.Barrier(2)
    outcome: dict[str, object] = {}

    def save(who: str) -> None:
        barrier.wait()
        try:
            outcome[who] = book.save(item.id, answered(f"{who}的答复"), who, 1)
        except ConflictError as exc:
            outcome[who] = exc

    threads = [threading.Thread(target=save, args=(who,)) for who in ("王芳", "李明")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    conflicts = [v for v in outcome.values() if isinstance(v, ConflictError)]
    winners = [v for v in outcome.values() if not isinstance(v, ConflictError)]
    assert len(conflicts) == 1 and len(winners) == 1
    assert conflicts[0].current.answer == winners[0].answer  # the loser sees the winner's version
    stored = book.get(item.id)
    assert stored.version == 2 and stored.answer == winners[0].answer
    # The loser saves again on the version they were shown: both edits are in the history.
    loser = "李明" if winners[0].verified_by == "王芳" else "王芳"
    again = book.save(item.id, answered(f"{loser}的答复（合并后）"), loser, conflicts[0].current.version)
    assert again.version == 3
    answers = [h.changes["answer"][1] for h in book.history(item.id) if "answer" in h.changes]
    assert answers == [winners[0].answer, f"{loser}的答复（合并后）"]


def test_history_keeps_who_when_and_what_changed(book):
    item = book.add("蓝鲸补贴最高多少？", CHAT, "系统")
    book.save(item.id, Edit(WORKING, "王芳", "草稿"), "王芳", 1)
    book.save(item.id, answered("最高3万元。"), "李明", 2)
    history = book.history(item.id)
    assert [(h.who, h.action) for h in history] == [("系统", "新建"), ("王芳", "编辑"), ("李明", "编辑")]
    last = history[-1]
    assert last.changes["answer"] == ["草稿", "最高3万元。"]
    assert last.changes["status"] == [WORKING, ANSWERED]
    assert "答复：草稿 → 最高3万元。" in last.line() and "状态：处理中 → 已答复" in last.line()
    assert all(h.ts > 0 for h in history)


def test_withdrawal_sends_an_answer_back_for_review_with_a_fresh_due_date(book):
    item = book.add("蓝鲸补贴最高多少？", CHAT, "系统")
    book.save(item.id, answered(), "王芳", 1)
    assert book.withdraw({item.id: "所引文件“a.txt”已更新"}) == [item.id]
    back = book.get(item.id)
    assert back.status == REVIEW and back.review_reason == "所引文件“a.txt”已更新"
    assert back.due == due_date(dt.date.today(), 3) and not back.servable
    assert book.withdraw({item.id: "again"}) == []  # only answered items are withdrawn
    assert book.history(item.id)[-1].who == "系统"
    # Re-answering clears the reason and serves it again.
    again = book.save(item.id, answered(), "王芳", back.version)
    assert again.status == ANSWERED and again.review_reason == "" and again.servable


def test_chat_reports_join_the_open_item_with_the_same_question(book):
    first = book.report("ask", 1, 100.0, "蓝鲸补贴最高多少？", "未找到答案")
    second = book.report("feedback", 1, 101.0, "蓝鲸补贴最高多少？", "用户标记没用", "没说清楚")
    other = book.report("ask", 2, 102.0, "海鸥券怎么领？", "未找到答案")
    assert first == second != other
    assert book.report("ask", 1, 100.0, "蓝鲸补贴最高多少？", "未找到答案") == -1  # the same record twice
    item = book.get(first)
    assert item.asked == 2 and item.origin == CHAT
    assert [(r.reason, r.comment) for r in book.reports(first)] == [("未找到答案", ""), ("用户标记没用", "没说清楚")]
    assert book.reported("ask") == 2 and book.reported("feedback") == 1


def test_a_dislike_of_a_served_answer_withdraws_it_with_the_comment(book):
    item = book.add("蓝鲸补贴最高多少？", CHAT, "系统")
    book.save(item.id, answered(), "王芳", 1)
    assert book.report("feedback", 7, 200.0, "蓝鲸补贴上限？", "核实答复被点踩", "", served=item.id) == item.id
    back = book.get(item.id)
    assert back.status == REVIEW and back.review_reason == "用户点踩"
    book.update_comment("feedback", 7, "金额已调整为5万元")
    assert book.get(item.id).review_reason == "用户点踩：金额已调整为5万元"
    assert book.recent_reports("feedback", 10) == {7: "金额已调整为5万元"}


def test_generated_entries_keep_their_ids_follow_their_document_and_go_with_it(book):
    def entries(sha: str, answer: str) -> list[Generated]:
        quote = Quote("reply.txt", "答复", "原文", 0, 2, sha)
        return [Generated("head", "第9号建议", ["第9号建议的答复"], answer, [quote], "某局", "2024-01-02"),
                Generated("title", "关于某事的建议", [], answer, [quote], "某局", "2024-01-02")]

    book.replace_document_entries("reply.txt", entries("v1", "旧答复"))
    first = {i.ref: i for i in book.items(documents=True)}
    assert set(first) == {"reply.txt#head", "reply.txt#title"}
    assert all(i.origin == DOCUMENT and i.servable and i.verified_by == "某局" for i in first.values())
    assert book.items() == []  # not on the agents' list
    assert book.document_sources() == {"reply.txt": {"v1"}}
    book.replace_document_entries("reply.txt", entries("v2", "新答复")[:1])
    second = {i.ref: i for i in book.items(documents=True)}
    assert list(second) == ["reply.txt#head"] and second["reply.txt#head"].id == first["reply.txt#head"].id
    assert second["reply.txt#head"].answer == "新答复"
    book.replace_document_entries("reply.txt", [])
    assert book.items(documents=True) == [] and book.document_sources() == {}


def test_an_import_is_saved_whole_or_not_at_all(book):
    good = Imported("蓝鲸补贴最高多少？", "最高3万元。", [], [QUOTE], False, "", "王芳", "2026-01-05", "")
    review = Imported("海鸥券怎么领？", "在线申领。", [], [], False, "", "", "", "导入时引文未通过本地文件核对")
    book.import_items([good, review], "李明")
    items = {i.question: i for i in book.items()}
    assert items["蓝鲸补贴最高多少？"].status == ANSWERED and items["蓝鲸补贴最高多少？"].verified_by == "王芳"
    assert items["蓝鲸补贴最高多少？"].verified_at == "2026-01-05" and items["蓝鲸补贴最高多少？"].origin == IMPORT
    assert items["海鸥券怎么领？"].status == REVIEW and items["海鸥券怎么领？"].verified_by == "李明"
    before = rows(book, "SELECT COUNT(*) FROM items")[0][0]
    broken = Imported("", "x", [], [QUOTE], False, "", "", "", "")  # an empty question fails mid-way
    with pytest.raises(VerifiedError):
        book.import_items([good, broken], "李明")
    assert rows(book, "SELECT COUNT(*) FROM items")[0][0] == before


def test_every_write_changes_the_generation_other_processes_watch(book):
    seen = book.generation()
    item = book.add("蓝鲸补贴最高多少？", AGENT, "王芳")
    assert book.generation() > seen
    seen = book.generation()
    book.save(item.id, answered(), "王芳", 1)
    assert book.generation() > seen


def test_the_stored_rows_are_plain_json(book):
    item = book.add("蓝鲸补贴最高多少？", CHAT, "系统")
    book.save(item.id, answered(), "王芳", 1)
    citations, = rows(book, "SELECT citations FROM items WHERE id = ?", (item.id,))[0]
    assert json.loads(citations) == [QUOTE.__dict__]
