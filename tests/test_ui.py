"""The app in a real browser: Debian's headless Chromium driven by
Playwright against `python app.py` started by the tests (fixture
``running_app``), plus the named API endpoint through gradio_client.

Each step writes a screenshot to test-artifacts/ui/. The tests run in file
order: the upload test adds a document that the delete test removes.
"""
import json
import re
import sqlite3
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from conftest import ROOT, SEED, serve_app
from openai_server import ScriptedOpenAIServer

from assistant.accounts import MAX_FAILURES
from assistant.ui import EXAMPLES

SHOTS = ROOT / "test-artifacts" / "ui"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
SEED_TITLE = "对市十八届人大一次会议第190号建议的答复"
TRANCHES_Q = "上林英才的项目资助资金怎么分批拨付？"
UPLOAD_NAME = "关于 海鸥创新券 试点的通知（测试）.docx"
UPLOAD_TITLE = "测试文件：海鸥创新券试点通知（测试用）"
UPLOAD_Q = "海鸥创新券每家企业每年最多能申领多少？"


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    tab = context.new_page()
    tab.dialogs, tab.accept_dialogs = [], False  # every dialog is recorded, then answered
    tab.on("dialog", lambda d: (tab.dialogs.append(d.message), d.accept() if tab.accept_dialogs else d.dismiss()))
    yield tab
    context.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / name), full_page=True)


def ask(page, app, question: str) -> None:
    """Open the chat page, ask, and wait until the answer has settled."""
    page.goto(app.url + "/", wait_until="load")
    page.wait_for_selector("#question textarea", timeout=60_000)
    send(page, question)


def send(page, question: str) -> None:
    before = page.locator("#chat .message-content").count()
    page.fill("#question textarea", question)
    page.click("#send")
    page.wait_for_function(
        "n => { const m = document.querySelectorAll('#chat .message-content');"
        " return m.length >= n + 2 && !m[m.length - 1].innerText.includes('正在查找'); }",
        arg=before, timeout=120_000,
    )
    page.wait_for_timeout(500)  # the sources message follows the answer in the same update


def chat_text(page) -> str:
    return page.locator("#chat").inner_text()


def login(page, app) -> None:
    page.goto(app.url + "/admin/", wait_until="load")
    page.fill("input[type=text]", app.user)
    page.fill("input[type=password]", app.password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector("#docs", timeout=60_000)


# ---------------------------------------------------------------- enterprise staff


def test_answer_about_the_seed_reply_shows_its_citation(page, running_app):
    ask(page, running_app, TRANCHES_Q)
    text = chat_text(page)
    assert "20%、20%、30%分三期拨付" in text and "[1]" in text
    assert SEED_TITLE in text and "慈溪市科学技术局" in text and "2022年6月22日" in text
    assert page.locator("#chat .src mark").count() > 0  # the question's words highlighted
    assert "请核实是否仍在执行" in text  # a 2022 document is marked as old
    shot(page, "01-answer-with-citation.png")


def test_follow_up_copy_and_clear(page, running_app):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    ask(page, running_app, "上林英才的启动资金怎么拨付？")
    send(page, "那后续资金呢？")  # only makes sense after the first question
    last = page.locator("#chat .message-content").nth(-2).inner_text()  # the answer before its sources
    assert "20%、20%、30%分三期拨付" in last
    page.click("#copy")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "分三期拨付" in copied and "来源：" in copied and SEED_TITLE in copied and "<" not in copied
    shot(page, "01b-follow-up.png")
    page.click("#clear")
    page.wait_for_function("() => document.querySelectorAll('#chat .message-content').length == 0")
    send(page, "首批启动资金比例是多少？")  # a fresh conversation: no earlier turns shown
    assert "那后续资金呢" not in chat_text(page)


def test_view_source_opens_the_document_with_the_passage_highlighted(page, running_app):
    ask(page, running_app, TRANCHES_Q)
    quote = page.locator("#chat .src-quote").first.inner_text()
    with page.context.expect_page() as opened:
        page.locator("#chat a.src-open").first.click()
    doc = opened.value
    doc.wait_for_load_state("load")
    mark = doc.locator("mark#hl")
    assert mark.inner_text() == quote
    assert SEED_TITLE in doc.locator("h1").inner_text()
    in_view = mark.evaluate("e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight; }")
    assert in_view and doc.evaluate("scrollY") > 0  # scrolled down to the passage
    shot(doc, "02-source-highlighted.png")


def test_feedback_is_stored_with_question_answer_and_citations(page, running_app):
    ask(page, running_app, TRANCHES_Q)
    page.locator("#chat button[aria-label='踩']").last.click()
    page.wait_for_selector("#comment textarea", timeout=30_000)
    page.fill("#comment textarea", "希望写明每期的拨付条件")
    page.click("#comment-send")
    row = _poll(lambda: _feedback_row(running_app, "希望写明每期的拨付条件"))
    question, answer, citations, useful = row
    assert question == TRANCHES_Q and useful == 0
    assert "分三期拨付" in answer
    assert json.loads(citations)[0]["source"] == SEED
    shot(page, "03-feedback.png")


def _feedback_row(app, comment):
    with sqlite3.connect(app.index / "feedback.sqlite") as db:
        return db.execute(
            "SELECT question, answer, citations, useful FROM feedback WHERE comment = ?", (comment,)
        ).fetchone()


def _poll(fn, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("condition not met in time")


def test_document_markup_stays_inert(page, running_app):
    ask(page, running_app, "蓝鲸测试补贴每家企业最高给多少？")
    text = chat_text(page)
    assert "3万元" in text
    assert "<script>" in text or "<img" in text  # shown as characters
    with page.context.expect_page() as opened:
        page.locator("#chat a.src-open").first.click()
    doc = opened.value
    doc.wait_for_load_state("load")
    assert "<script>" in doc.locator(".body").inner_text()
    for tab in (page, doc):
        assert tab.evaluate("window.__xss") is None
        assert tab.title() != "pwned"
        assert tab.locator("img[src=x]").count() == 0
    assert page.dialogs == []
    shot(page, "04-markup-inert.png")
    shot(doc, "04b-markup-inert-source.png")


HOSTILE_QUESTIONS = [
    '<img src=x onerror="window.__xss = 3">上林英才的启动资金怎么拨付？<script>window.__xss = 4</script>',
    "上林英才\u202e的启动\u200b资金怎么拨付？🙏",
    "🎉🎉🎉",
    "上" * 10_000,
]


def test_hostile_questions_get_an_answer_or_a_clear_message_and_stay_inert(page, running_app):
    page.goto(running_app.url + "/", wait_until="load")
    page.wait_for_selector("#question textarea", timeout=60_000)
    replies = []
    for question in HOSTILE_QUESTIONS:
        send(page, question)
        replies.append(page.locator("#chat .message-content").nth(-2 if "拨付" in question else -1).inner_text())
    assert "30%的启动资金" in replies[0] and "30%的启动资金" in replies[1]
    assert "请用文字描述" in replies[2]
    assert "问题过长（10000 字）" in replies[3]
    text = chat_text(page)
    assert '<img src=x onerror="window.__xss = 3">' in text  # the question is shown as typed, as characters
    assert page.evaluate("window.__xss") is None and page.locator("#chat img[src=x]").count() == 0
    assert page.dialogs == []
    shot(page, "04c-hostile-questions.png")


# ---------------------------------------------------------------- service agents


def _login_status(app, name: str, password: str) -> int:
    data = urllib.parse.urlencode({"username": name, "password": password}).encode()
    try:
        with urllib.request.urlopen(app.url + "/admin/login", data=data, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_repeated_wrong_passwords_lock_the_account_but_not_the_others(running_app):
    assert _login_status(running_app, "lockprobe", running_app.probe_password) == 200
    for _ in range(MAX_FAILURES):
        assert _login_status(running_app, "lockprobe", "guess") == 400
    assert _login_status(running_app, "lockprobe", running_app.probe_password) == 400  # locked
    assert _login_status(running_app, running_app.user, running_app.password) == 200


def test_agent_login_is_required(page, running_app):
    page.goto(running_app.url + "/admin/", wait_until="load")
    page.fill("input[type=text]", running_app.user)
    page.fill("input[type=password]", "wrong-" + running_app.password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_timeout(1500)
    assert page.locator("#docs").count() == 0
    assert f"连续输错密码 {MAX_FAILURES} 次，该账号将被锁定" in page.inner_text("body")
    shot(page, "05-login-refused.png")


def test_agent_uploads_a_document_and_it_answers_at_once(page, running_app, tmp_path):
    docx = pytest.importorskip("docx")
    path = tmp_path / UPLOAD_NAME
    document = docx.Document()
    document.add_heading(UPLOAD_TITLE, level=1)
    document.add_paragraph("为检验文档上传功能，开展海鸥创新券试点。海鸥创新券每家企业每年最多申领5万元，用于购买检验检测服务。")
    document.add_paragraph("测试单位\n2026年1月5日")
    document.save(path)

    broken = tmp_path / "扫描件.pdf"
    broken.write_bytes(bytes(range(256)) * 40)  # not a PDF at all

    login(page, running_app)
    page.set_input_files("#upload input[type=file]", [str(path), str(broken)])
    page.click("#upload-btn")
    page.wait_for_function(
        "() => document.querySelector('#upload-result textarea').value.includes('已导入')", timeout=180_000
    )
    result = page.locator("#upload-result textarea").input_value()
    assert "未导入：扫描件.pdf：PDF 文件已损坏" in result and "失败 0 篇" in result
    table = page.locator("#docs").inner_text()
    assert "关于 海鸥创新券 试点的通知（测试）.docx" in table and "扫描件" not in table
    assert not (running_app.corpus / "扫描件.pdf").exists()
    shot(page, "06-agent-upload.png")

    ask(page, running_app, UPLOAD_Q)
    text = chat_text(page)
    assert "5万元" in text and UPLOAD_TITLE in text
    shot(page, "07-answer-from-upload.png")


def test_agent_deletes_the_document_and_answers_forget_it(page, running_app):
    login(page, running_app)
    page.click("#delete-choice input")
    page.get_by_role("option", name=re.compile("海鸥创新券")).first.click()
    # First the agent changes their mind at the confirmation, then confirms.
    page.click("#delete-btn")
    page.wait_for_function(
        "() => document.querySelector('#upload-result textarea').value.includes('未删除')", timeout=30_000
    )
    assert "海鸥创新券" in page.locator("#docs").inner_text()
    page.click("#delete-choice input")
    page.get_by_role("option", name=re.compile("海鸥创新券")).first.click()
    page.accept_dialogs = True
    page.click("#delete-btn")
    page.wait_for_function(
        "() => document.querySelector('#upload-result textarea').value.includes('已删除')", timeout=120_000
    )
    assert "海鸥创新券" not in page.locator("#docs").inner_text()
    assert len(page.dialogs) == 2 and "确定删除" in page.dialogs[0]
    shot(page, "08-agent-delete.png")

    ask(page, running_app, UPLOAD_Q)
    text = chat_text(page)
    assert UPLOAD_TITLE not in text and "5万元" not in text
    shot(page, "09-deleted-document-gone.png")


def test_worklist_shows_refused_and_disliked_questions_and_exports_csv(page, running_app, tmp_path):
    refused = "慈溪市住房公积金贷款最高能贷多少？"
    ask(page, running_app, refused)
    assert "没有找到" in chat_text(page)
    login(page, running_app)
    page.get_by_role("tab", name="待解决问题").click()
    page.click("#worklist-refresh")
    page.wait_for_function(f"() => document.querySelector('#worklist').innerText.includes('{refused}')", timeout=30_000)
    worklist = page.locator("#worklist").inner_text()
    assert "未找到答案" in worklist and "用户标记没用" in worklist and TRANCHES_Q in worklist
    assert worklist.index(refused) < worklist.index(TRANCHES_Q)  # newest first
    with page.expect_download() as download:
        page.click("#worklist-export")
    saved = tmp_path / "worklist.csv"
    download.value.save_as(saved)
    content = saved.read_text("utf-8-sig")
    assert content.startswith("时间,问题,原因") and refused in content
    shot(page, "10-worklist.png")


def test_llm_mode_streams_into_the_chat(page, tmp_path):
    reply = "对入选“上林英才”计划的人才项目，后续资金按指标完成情况按20%、20%、30%分三期拨付[1]。"
    with ScriptedOpenAIServer([reply], chunk_chars=3) as llm:
        env = {"ASSISTANT_LLM_BASE_URL": llm.base_url, "ASSISTANT_LLM_MODEL": "scripted", "ASSISTANT_LLM_TIMEOUT": "20"}
        with serve_app(tmp_path, env) as app:
            ask(page, app, TRANCHES_Q)
            text = chat_text(page)
    assert llm.requests and llm.requests[0].get("stream") is True
    assert reply in text and SEED_TITLE in text  # the streamed answer, checked, with its source
    shot(page, "11-llm-streamed.png")


# ---------------------------------------------------------------- API


def test_source_view_serves_only_indexed_documents(running_app):
    import urllib.error
    import urllib.parse
    import urllib.request

    def get(doc: str):
        url = f"{running_app.url}/source?doc={urllib.parse.quote(doc)}&start=0&end=5"
        try:
            with urllib.request.urlopen(url) as resp:
                return resp.status, resp.read().decode("utf-8")
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode("utf-8")

    status, body = get(SEED)
    assert status == 200 and SEED_TITLE in body and '<mark id="hl">' in body
    for doc in ("../README.md", "../../etc/passwd", "/etc/passwd", str(running_app.corpus / SEED), "nope.txt"):
        status, body = get(doc)
        assert status == 404 and "该文件已不在文档库中" in body, doc


def test_named_api_endpoint_through_gradio_client(running_app):
    from gradio_client import Client

    client = Client(running_app.url + "/", verbose=False)
    result = client.predict(TRANCHES_Q, api_name="/ask")
    assert not result["refused"]
    assert "分三期拨付" in result["answer"]
    assert result["citations"][0]["source"] == SEED
    filtered = client.predict(TRANCHES_Q, "", "", 2025, 2026, api_name="/ask")
    assert all(c["source"] != SEED for c in filtered["citations"])  # 2022 filtered out


def test_example_questions_are_answered_from_the_corpus(running_app):
    from gradio_client import Client

    client = Client(running_app.url + "/", verbose=False)
    for question in EXAMPLES:
        result = client.predict(question, api_name="/ask")
        assert not result["refused"] and result["citations"], question
