"""The verified-answer loop in a real browser: Debian's Chromium driven by
Playwright against `python app.py` (conftest.serve_app), two agents.

A refused question reaches the worklist; an agent answers it with a
citation (a wrong quote is refused); a paraphrase in the chat gets the
verified answer with its mark; the export imported into a fresh app serves
the same answer; an upload of a changed version of the cited document
withdraws it (待复核); two agents saving at once; bad input; a user's 踩
withdraws an answer another process added. The loop from a refusal to a
withdrawn answer is one test (its steps build on each other); the other
tests create their own state, so the file runs in any order. Screenshots go
to test-artifacts/ui/.
"""
import json
import os
import re
import secrets
import sqlite3
import subprocess
import sys
import time

import pytest
from conftest import LLM_ENV, ROOT, SEED, serve_app

from assistant.config import Settings
from assistant.documents import Answer
from assistant.feedback import FeedbackLog
from assistant.ui_worklist import WorklistHandlers

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
SEED_TITLE = "对市十八届人大一次会议第190号建议的答复"
REFUSED = "企业在8718平台提的诉求多久能办结？"  # no document gives a time limit
PARAPHRASE = "八七一八平台上企业诉求要多久才能办结？"
ANSWER = "现有文件未规定办结时限；企业诉求经“8718”公共服务慈溪平台由市企服办牵头协调办理，确保合法合理诉求件件有着落、事事有回音。"
QUOTE = "确保企业合法合理诉求“件件有着落、事事有回音”"
WRONG_QUOTE = "确保企业诉求三日内办结"
PASSWORDS = {"agent": secrets.token_urlsafe(12), "agent2": secrets.token_urlsafe(12)}
USERS = ",".join(f"{name}:{password}" for name, password in PASSWORDS.items())


@pytest.fixture(scope="module")
def shots():
    folder = ROOT / "test-artifacts" / "ui"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    # A 1 MB file limit, so that an oversized import is quick to make.
    with serve_app(tmp_path_factory.mktemp("worklist"), {"ASSISTANT_AGENT_USERS": USERS, "ASSISTANT_MAX_FILE_MB": "1"}) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def new_page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 1000}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.on("dialog", lambda d: d.accept())
    return page


@pytest.fixture
def page(browser):
    tab = new_page(browser)
    yield tab
    tab.context.close()


# ---------------------------------------------------------------- helpers


def ask(page, url: str, question: str) -> str:
    page.goto(url + "/", wait_until="load")
    page.wait_for_selector("#question textarea", timeout=60_000)
    page.fill("#question textarea", question)
    page.click("#send")
    page.wait_for_function(
        "() => { const m = document.querySelectorAll('#chat .message-content');"
        " return m.length >= 2 && !m[m.length - 1].innerText.includes('正在查找'); }",
        timeout=120_000,
    )
    page.wait_for_timeout(800)  # the sources messages follow the answer in the same update
    return page.locator("#chat").inner_text()


def is_refusal(chat: str) -> bool:
    """The chat's last answer is one of the assistant's two refusals: nothing
    found, or the nearest passage shown as not what was asked."""
    last = chat.rsplit(REFUSED, 1)[-1]
    return "没有找到能回答这个问题的内容" in last or "无法按您的问题回答" in last


def login(page, url: str, user: str = "agent") -> None:
    """Open the agents' page, logging in unless this browser already is."""
    page.goto(url + "/admin/", wait_until="load")
    page.wait_for_selector("input[type=password], #docs", timeout=60_000)
    if page.locator("input[type=password]").count():
        page.fill("input[type=text]", user)
        page.fill("input[type=password]", PASSWORDS[user])
        page.get_by_role("button", name="登录").click()
    page.wait_for_selector("#docs", timeout=60_000)


def open_worklist(page) -> None:
    page.get_by_role("tab", name="待解决问题").click()
    page.click("#worklist-refresh")


def wait_text(page, selector: str, text: str, timeout: float = 60_000) -> None:
    page.wait_for_function(
        "([s, t]) => { const e = document.querySelector(s); return e && (e.value ?? e.innerText).includes(t); }",
        arg=[selector, text], timeout=timeout,
    )


def choose(page, elem_id: str, pattern: str) -> None:
    page.click(f"#{elem_id} input")
    page.get_by_role("option", name=re.compile(pattern)).first.click()


def open_item(page, question: str) -> None:
    wait_text(page, "#worklist", question)
    choose(page, "item-choice", re.escape(question))
    wait_text(page, "#item-info", question)


def result(page) -> str:
    return page.locator("#item-result textarea").input_value()


def click_and_wait(page, button: str, text: str) -> str:
    """Click, then wait for the result box to say ``text`` (it is cleared first)."""
    page.evaluate("() => { const e = document.querySelector('#item-result textarea'); e.value = ''; }")
    page.click(button)
    wait_text(page, "#item-result textarea", text)
    return result(page)


def db_item(app, question: str) -> dict:
    with sqlite3.connect(app.index / "verified.sqlite") as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM items WHERE question = ?", (question,)).fetchone()
        return dict(row) if row else {}


def db_history(app, item_id: int) -> list[tuple]:
    with sqlite3.connect(app.index / "verified.sqlite") as db:
        return db.execute("SELECT who, action, changes FROM history WHERE item_id = ? ORDER BY id", (item_id,)).fetchall()


def api(url: str, question: str) -> dict:
    from gradio_client import Client

    return Client(url + "/", verbose=False).predict(question, api_name="/ask")


# ---------------------------------------------------------------- the loop


def test_the_verified_answer_loop_from_a_refusal_to_a_withdrawn_answer(browser, page, app, tmp_path, shots):
    """One agent answers a refused question with a checked citation; a
    paraphrase gets that answer in the chat; its export serves the same in a
    fresh app; a changed version of the cited document withdraws it; two
    agents then save the withdrawn item at once. Each step needs the one
    before, so they are one test."""
    a_refused_question_is_answered_with_a_checked_citation(page, app, shots)
    a_paraphrase_in_the_chat_gets_the_verified_answer_with_its_mark(page, app, shots)
    (tmp_path / "export").mkdir()
    the_export_imported_into_a_fresh_app_serves_the_same_answer(page, app, tmp_path / "export", shots)
    (tmp_path / "changed").mkdir()
    a_changed_version_of_the_cited_document_withdraws_the_answer(page, app, tmp_path / "changed", shots)
    two_agents_saving_at_once_the_second_is_told_and_nothing_is_lost(browser, app, shots)


def a_refused_question_is_answered_with_a_checked_citation(page, app, shots):
    assert is_refusal(ask(page, app.url, REFUSED))
    login(page, app.url)
    open_worklist(page)
    open_item(page, REFUSED)
    assert "未找到答案" in page.locator("#worklist").inner_text()
    choose(page, "item-status", "^已答复$")
    page.fill("#item-answer textarea", ANSWER)
    page.fill("#item-paraphrases textarea", "企业诉求在8718平台上办结要多久？")
    choose(page, "cite-source", re.escape(SEED_TITLE))
    page.fill("#cite-quote textarea", WRONG_QUOTE)
    refused = click_and_wait(page, "#cite-add", "引文未在")
    assert f"引文未在《{SEED_TITLE}》中找到" in refused
    assert page.locator("#item-citations").inner_text().count(SEED_TITLE) == 0
    page.screenshot(path=str(shots / "20-worklist-wrong-quote.png"), full_page=True)
    page.fill("#cite-quote textarea", QUOTE)
    assert "已添加引文 1" in click_and_wait(page, "#cite-add", "已添加引文")
    assert QUOTE in page.locator("#item-citations").inner_text()
    assert "已保存" in click_and_wait(page, "#item-save", "已保存")
    stored = db_item(app, REFUSED)
    assert stored["status"] == "已答复" and stored["answer"] == ANSWER and stored["verified_by"] == "agent"
    assert json.loads(stored["citations"])[0]["quote"] == QUOTE
    history = page.locator("#item-history").inner_text()
    assert "agent" in history and "状态：待处理 → 已答复" in history
    wait_text(page, "#worklist", "已答复")
    page.screenshot(path=str(shots / "21-worklist-answered.png"), full_page=True)


def a_paraphrase_in_the_chat_gets_the_verified_answer_with_its_mark(page, app, shots):
    text = ask(page, app.url, PARAPHRASE)
    mark = page.locator("#chat .verified-mark").first.inner_text()
    assert mark.startswith("服务联盟核实答复 · agent · ")
    assert ANSWER in text and SEED_TITLE in text
    assert page.locator("#chat .src-quote").first.inner_text() == QUOTE  # its source shows as usual
    assert "检索到的相关原文" in text  # the retrieved passages, offered below …
    quotes = page.locator("#chat .src-quote")
    assert quotes.count() == 1  # … collapsed: only the answer's own source is shown
    page.get_by_text(re.compile("检索到的相关原文")).last.click()
    page.wait_for_function("() => document.querySelectorAll('#chat .src-quote').length > 1")
    assert quotes.count() == 1 + int(re.search(r"检索到的相关原文（(\d+)）", text).group(1))
    page.screenshot(path=str(shots / "22-chat-verified-answer.png"), full_page=True)
    served = api(app.url, PARAPHRASE)
    assert served["verified"]["by"] == "agent" and served["verified"]["id"] == db_item(app, REFUSED)["id"]
    assert served["verified"]["at"] and served["answer"] == ANSWER
    assert api(app.url, "上林英才的项目资助资金怎么分批拨付？")["verified"] is None


def the_export_imported_into_a_fresh_app_serves_the_same_answer(page, app, tmp_path, shots):
    login(page, app.url)
    page.get_by_role("tab", name="待解决问题").click()
    with page.expect_download() as download:
        page.click("#verified-export")
    exported = tmp_path / "核实答复.jsonl"
    download.value.save_as(exported)
    lines = [json.loads(line) for line in exported.read_text("utf-8").splitlines()]
    assert REFUSED in [line["question"] for line in lines]  # (another test may have added its own answer)
    exported.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines
                                if line["question"] == REFUSED), "utf-8")
    here = api(app.url, PARAPHRASE)
    with serve_app(tmp_path / "fresh", {"ASSISTANT_AGENT_USERS": USERS}) as fresh:
        assert api(fresh.url, PARAPHRASE)["verified"] is None  # nothing verified there yet
        login(page, fresh.url)
        page.get_by_role("tab", name="待解决问题").click()
        page.set_input_files("#verified-import-file input[type=file]", str(exported))
        page.click("#verified-import")
        wait_text(page, "#verified-import-result textarea", "导入 1 条")
        assert "1 条已核实可直接答复" in page.locator("#verified-import-result textarea").input_value()
        page.screenshot(path=str(shots / "23-import-into-fresh-app.png"), full_page=True)
        there = api(fresh.url, PARAPHRASE)
    assert there["answer"] == here["answer"] and there["citations"] == here["citations"]
    assert (there["verified"]["by"], there["verified"]["at"]) == (here["verified"]["by"], here["verified"]["at"])


def a_changed_version_of_the_cited_document_withdraws_the_answer(page, app, tmp_path, shots):
    changed = tmp_path / SEED
    text = (app.corpus / SEED).read_text("utf-8")
    changed.write_text(text.replace("确保企业合法合理诉求“件件有着落、事事有回音”", "确保企业诉求及时办理"), "utf-8")
    login(page, app.url)
    page.set_input_files("#upload input[type=file]", str(changed))
    page.click("#upload-btn")
    wait_text(page, "#upload-result textarea", "已更新（替换同名文件）", timeout=180_000)
    open_worklist(page)
    wait_text(page, "#worklist", "待复核")
    open_item(page, REFUSED)
    info = page.locator("#item-info").inner_text()
    assert "状态：待复核" in info and "复核原因" in info and "所引原文已不在新版本中" in info
    page.screenshot(path=str(shots / "24-withdrawn-for-review.png"), full_page=True)
    assert db_item(app, REFUSED)["status"] == "待复核"
    chat = new_page(page.context.browser)
    ask(chat, app.url, PARAPHRASE)
    assert chat.locator("#chat .verified-mark").count() == 0 and ANSWER not in chat.locator("#chat").inner_text()
    chat.context.close()


def two_agents_saving_at_once_the_second_is_told_and_nothing_is_lost(browser, app, shots):
    first, second = new_page(browser), new_page(browser)
    for tab, user in ((first, "agent"), (second, "agent2")):
        login(tab, app.url, user)
        open_worklist(tab)
        open_item(tab, REFUSED)
        choose(tab, "item-status", "^处理中$")
    version = db_item(app, REFUSED)["version"]
    first.fill("#item-answer textarea", "甲：正在向市企服办核实新的办理方式。")
    second.fill("#item-answer textarea", "乙：新版本改为“及时办理”，待确认后答复。")
    for tab in (first, second):
        tab.evaluate("() => { document.querySelector('#item-result textarea').value = ''; }")
    first.click("#item-save")
    second.click("#item-save")  # at once: neither waits for the other
    for tab in (first, second):
        tab.wait_for_function("() => document.querySelector('#item-result textarea').value !== ''", timeout=60_000)
    outcomes = {tab: tab.locator("#item-result textarea").input_value() for tab in (first, second)}
    winner = next(tab for tab, text in outcomes.items() if text.startswith("已保存"))
    loser = second if winner is first else first
    told = outcomes[loser]
    assert "保存未生效" in told and "已为您载入最新版本" in told
    winning = winner.locator("#item-answer textarea").input_value()
    losing = "乙：新版本改为“及时办理”，待确认后答复。" if winner is first else "甲：正在向市企服办核实新的办理方式。"
    assert loser.locator("#item-answer textarea").input_value() == winning  # the newer version is shown
    assert losing in loser.locator("#item-draft textarea").input_value()  # and what they typed is kept
    loser.screenshot(path=str(shots / "25-conflict-told.png"), full_page=True)
    stored = db_item(app, REFUSED)
    assert stored["answer"] == winning and stored["version"] == version + 1
    # The second agent merges and saves on the version they were shown: both edits are kept.
    loser.fill("#item-answer textarea", winning + losing)
    assert "已保存" in click_and_wait(loser, "#item-save", "已保存")
    answers = [json.loads(changes).get("answer", [None, None])[1] for _, _, changes in db_history(app, stored["id"])]
    assert winning in answers and winning + losing in answers
    first.context.close()
    second.context.close()


def test_bad_input_gets_a_chinese_message_and_saves_nothing(page, app, tmp_path, shots):
    question = "慈溪市住房公积金贷款最高能贷多少？"
    doc = tmp_path / "公积金测试说明.txt"
    doc.write_text("---\ntitle: 测试文件：公积金贷款测试说明（测试用）\nissuer: 测试单位\ndate: 2026-01-05\n---\n"
                   "测试用住房公积金贷款每户最高60万元，由测试中心受理。\n", "utf-8")
    assert "没有找到" in ask(page, app.url, question)
    login(page, app.url)
    page.set_input_files("#upload input[type=file]", str(doc))
    page.click("#upload-btn")
    wait_text(page, "#upload-result textarea", "已导入", timeout=180_000)
    open_worklist(page)
    open_item(page, question)
    before = db_item(app, question)
    choose(page, "item-status", "^已答复$")
    choose(page, "cite-source", "公积金贷款测试说明")
    page.fill("#cite-quote textarea", "测试用住房公积金贷款每户最高60万元")
    click_and_wait(page, "#cite-add", "已添加引文 1")
    # An empty answer.
    assert "答复内容为空" in click_and_wait(page, "#item-save", "未保存")
    # A citation to a document deleted since it was added.
    page.fill("#item-answer textarea", "每户最高60万元。")
    page.get_by_role("tab", name="文档管理").click()
    choose(page, "delete-choice", "公积金测试说明")
    page.click("#delete-btn")
    wait_text(page, "#upload-result textarea", "已删除", timeout=180_000)
    page.get_by_role("tab", name="待解决问题").click()
    told = click_and_wait(page, "#item-save", "未保存")
    assert "公积金测试说明.txt" in told and "不在文档库中" in told
    page.screenshot(path=str(shots / "26-deleted-document-refused.png"), full_page=True)
    after = db_item(app, question)
    assert (after["version"], after["status"], after["answer"]) == (before["version"], before["status"], before["answer"])
    # An oversized import file (the app's limit is 1 MB).
    count = len(db_history(app, before["id"]))
    big = tmp_path / "太大的导入文件.jsonl"
    line = json.dumps({"question": "白鹭补贴？", "answer": "3万元。", "citations": [{"source": SEED, "quote": QUOTE}]},
                      ensure_ascii=False)
    big.write_text((line + "\n") * 12_000, "utf-8")
    page.set_input_files("#verified-import-file input[type=file]", str(big))
    page.click("#verified-import")
    wait_text(page, "#verified-import-result textarea", "导入文件过大")
    assert "未导入任何内容" in page.locator("#verified-import-result textarea").input_value()
    assert db_item(app, "白鹭补贴？") == {} and len(db_history(app, before["id"])) == count


def test_a_dislike_in_the_chat_withdraws_a_verified_answer_added_from_the_command_line(page, app, shots):
    question, paraphrase = "科技服务联盟在横河镇有服务站吗？", "请问横河有科技服务联盟服务站吗"
    env = {k: v for k, v in os.environ.items() if k not in LLM_ENV}
    added = subprocess.run(
        [sys.executable, "-m", "assistant", "verified", "add", "--index", str(app.index), "--corpus", str(app.corpus),
         "--question", question, "--answer", "有。科技服务联盟在横河镇设有服务分站。", "--source", SEED,
         "--quote", "服务分站已在横河镇、周巷镇、龙山镇、观海卫镇、逍林镇、宗汉街道六个镇街道挂牌", "--by", "agent2"],
        cwd=ROOT, env=env, capture_output=True, text=True, encoding="utf-8", timeout=300,
    )
    assert added.returncode == 0, added.stderr[-2000:]
    ask(page, app.url, paraphrase)  # the running app picks up what another process saved
    assert page.locator("#chat .verified-mark").first.inner_text().startswith("服务联盟核实答复 · agent2 · ")
    page.locator("#chat button[aria-label='踩']").last.click()
    page.wait_for_selector("#comment textarea", timeout=30_000)
    page.fill("#comment textarea", "横河服务站已经搬迁")
    page.click("#comment-send")
    deadline = time.monotonic() + 30
    while db_item(app, question)["review_reason"] != "用户点踩：横河服务站已经搬迁" and time.monotonic() < deadline:
        time.sleep(0.3)
    stored = db_item(app, question)
    assert stored["status"] == "待复核" and stored["review_reason"] == "用户点踩：横河服务站已经搬迁"
    ask(page, app.url, paraphrase)
    assert page.locator("#chat .verified-mark").count() == 0
    page.screenshot(path=str(shots / "27-dislike-withdraws.png"), full_page=True)


def test_overdue_items_come_first_and_are_marked(tmp_path):
    """The tab's list on a real store and feedback log (no browser needed)."""
    settings = Settings().with_(index_dir=tmp_path / "index", corpus_dir=tmp_path / "corpus")
    log = FeedbackLog(settings.feedback_db)
    for question in ("旧问题？", "逾期的问题？", "新问题？"):
        log.record_answer(Answer(question, "抱歉……", refused=True))
        time.sleep(0.01)
    handlers = WorklistHandlers(settings, log)
    assert [r.item.question for r in handlers.rows()] == ["新问题？", "逾期的问题？", "旧问题？"]
    with sqlite3.connect(settings.verified_db) as db:
        db.execute("UPDATE items SET due = '2020-01-06' WHERE question = '逾期的问题？'")
    rows = handlers.rows()
    assert [r.item.question for r in rows] == ["逾期的问题？", "新问题？", "旧问题？"]
    cells = rows[0].cells()
    assert cells[5] == "待处理（已逾期）" and cells[7] == "2020-01-06（已逾期）"
