"""The app in a real browser: Debian's headless Chromium driven by
Playwright against `python app.py` started by the tests (fixture
``running_app``), plus the named API endpoint through gradio_client.

Each step writes a screenshot to test-artifacts/ui/. Each test creates the
state it needs (the delete test uploads its own document, the worklist test
rates its own answer), so any one of them runs alone and in any order.
"""
import json
import re
import sqlite3
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from conftest import INJECTION_SOURCE, ROOT, SEED, serve_app
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
RD_Q = "研发投入有什么奖励？"  # answered from documents of 2018, 2023 and 2026 depending on the filters


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


def send(page, question: str | None) -> None:
    """Type ``question`` (None: send what the box holds) and wait for the answer."""
    before = page.locator("#chat .message-content").count()
    if question is not None:
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
    """Open the agents' page, logging in unless this browser already is."""
    page.goto(app.url + "/admin/", wait_until="load")
    page.wait_for_selector("input[type=password], #docs", timeout=60_000)
    if page.locator("input[type=password]").count():
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


def pick(page, selector: str, option: str) -> None:
    """Choose ``option`` in a Gradio dropdown."""
    page.click(f"{selector} input")
    page.get_by_role("option", name=option, exact=True).click()


def test_filters_narrow_the_sources_in_the_chat(page, running_app):
    """Unfiltered, RD_Q is answered from a 2023 document; with 起始年份 2025 the
    same page answers from 2025–2026 documents only; with 发布单位 it cites
    that body only."""
    ask(page, running_app, RD_Q)
    assert "2023年" in page.locator("#chat .src").first.inner_text()
    page.click("#clear")
    page.wait_for_function("() => document.querySelectorAll('#chat .message-content').length == 0")
    pick(page, "#f-from", "2025")
    send(page, RD_Q)
    heads = page.locator("#chat .src-head").all_inner_texts()
    assert heads and all(re.search(r"202[56]年\d+月\d+日", h) for h in heads), heads
    assert not any("2023年" in h or "2018年" in h for h in heads)
    shot(page, "03b-filter-years.png")
    page.click("#clear")
    page.wait_for_function("() => document.querySelectorAll('#chat .message-content').length == 0")
    pick(page, "#f-from", "不限")
    pick(page, "#f-issuer", "慈溪市人民政府办公室")
    send(page, RD_Q)
    heads = page.locator("#chat .src-head").all_inner_texts()
    assert heads and all("慈溪市人民政府办公室" in h for h in heads), heads


def test_like_thanks_the_user_and_is_stored(page, running_app):
    question = "上林英才首批启动资金怎么拨付？"
    ask(page, running_app, question)
    page.locator("#chat button[aria-label='赞']").last.click()
    page.wait_for_selector(".toast-body", timeout=30_000)
    assert "感谢您的反馈！" in page.locator(".toast-body").first.inner_text()
    assert page.locator("#comment textarea").count() == 0 or not page.locator("#comment textarea").is_visible()
    row = _poll(lambda: _rating(running_app, question))
    useful, answer, citations = row
    assert useful == 1 and "30%" in answer and json.loads(citations)[0]["source"] == SEED
    shot(page, "03c-like.png")


def _rating(app, question: str):
    with sqlite3.connect(app.index / "feedback.sqlite") as db:
        return db.execute("SELECT useful, answer, citations FROM feedback WHERE question = ? ORDER BY id DESC",
                          (question,)).fetchone()


def test_example_buttons_fill_the_question_and_get_an_answer(page, running_app):
    page.goto(running_app.url + "/", wait_until="load")
    page.wait_for_selector("#question textarea", timeout=60_000)
    for example in EXAMPLES[:2]:
        page.get_by_text(example, exact=True).first.click()
        page.wait_for_function(
            "q => document.querySelector('#question textarea').value === q", arg=example, timeout=10_000)
        send(page, None)  # what the example put in the box
        answer = page.locator("#chat .message-content").nth(-2).inner_text()
        assert "没有找到" not in answer and "[1]" in answer, (example, answer)
        assert page.locator("#chat .message-content").nth(-1).locator(".src").count() >= 1
    shot(page, "03d-examples.png")


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


def notice_docx(path, title: str, sentence: str):
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_heading(title, level=1)
    document.add_paragraph(sentence)
    document.add_paragraph("测试单位\n2026年1月5日")
    document.save(path)
    return path


def upload(page, app, *paths) -> str:
    """Log in, upload ``paths`` through the page, wait for the result; its text."""
    login(page, app)
    page.set_input_files("#upload input[type=file]", [str(p) for p in paths])
    page.click("#upload-btn")
    page.wait_for_function(
        "() => document.querySelector('#upload-result textarea').value.includes('已导入')", timeout=180_000
    )
    return page.locator("#upload-result textarea").input_value()


def test_agent_uploads_a_document_and_it_answers_at_once(page, running_app, tmp_path):
    path = notice_docx(tmp_path / UPLOAD_NAME, UPLOAD_TITLE,
                       "为检验文档上传功能，开展海鸥创新券试点。海鸥创新券每家企业每年最多申领5万元，用于购买检验检测服务。")
    broken = tmp_path / "扫描件.pdf"
    broken.write_bytes(bytes(range(256)) * 40)  # not a PDF at all

    result = upload(page, running_app, path, broken)
    assert "未导入：扫描件.pdf：PDF 文件已损坏" in result and "失败 0 篇" in result
    table = page.locator("#docs").inner_text()
    assert "关于 海鸥创新券 试点的通知（测试）.docx" in table and "扫描件" not in table
    assert not (running_app.corpus / "扫描件.pdf").exists()
    shot(page, "06-agent-upload.png")

    ask(page, running_app, UPLOAD_Q)
    text = chat_text(page)
    assert "5万元" in text and UPLOAD_TITLE in text
    shot(page, "07-answer-from-upload.png")


DELETE_NAME = "关于 海燕创新券 试点的通知（测试，待删除）.docx"
DELETE_TITLE = "测试文件：海燕创新券试点通知（测试用，待删除）"
DELETE_Q = "海燕创新券每家企业每年最多能申领多少？"


def test_agent_deletes_the_document_and_answers_forget_it(page, running_app, tmp_path):
    path = notice_docx(tmp_path / DELETE_NAME, DELETE_TITLE,
                       "为检验文档删除功能，开展海燕创新券试点。海燕创新券每家企业每年最多申领7万元，用于购买研发设计服务。")
    upload(page, running_app, path)
    ask(page, running_app, DELETE_Q)
    assert "7万元" in chat_text(page) and DELETE_TITLE in chat_text(page)  # answered before the deletion

    login(page, running_app)
    page.click("#delete-choice input")
    page.get_by_role("option", name=re.compile("海燕创新券")).first.click()
    # First the agent changes their mind at the confirmation, then confirms.
    page.click("#delete-btn")
    page.wait_for_function(
        "() => document.querySelector('#upload-result textarea').value.includes('未删除')", timeout=30_000
    )
    assert "海燕创新券" in page.locator("#docs").inner_text()
    page.click("#delete-choice input")
    page.get_by_role("option", name=re.compile("海燕创新券")).first.click()
    page.accept_dialogs = True
    page.click("#delete-btn")
    page.wait_for_function(
        "() => document.querySelector('#upload-result textarea').value.includes('已删除')", timeout=120_000
    )
    # What the agent sees: the deletion named, the other documents all still listed.
    result = page.locator("#upload-result textarea").input_value()
    assert result == f"已删除：{DELETE_NAME}（其片段已从索引中移除）"
    # The table renders only the rows in view, so the whole list is read
    # from the delete menu, which offers every stored document.
    page.click("#delete-choice input")
    offered = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    stored = json.loads((running_app.index / "manifest.json").read_text("utf-8"))["documents"]
    assert DELETE_NAME not in stored and SEED in stored and INJECTION_SOURCE in stored
    assert len(offered) == len(stored) and not any("海燕创新券" in o for o in offered)
    assert len(page.dialogs) == 2 and "确定删除" in page.dialogs[0]
    assert not (running_app.corpus / DELETE_NAME).exists()
    shot(page, "08-agent-delete.png")

    ask(page, running_app, DELETE_Q)
    # Only this turn: what the assistant says now that the document is gone:
    # a refusal, which may show another test's 海鸥创新券 notice as the
    # nearest passage, but never as the answer.
    turn = chat_text(page).rsplit(DELETE_Q, 1)[1]
    assert turn.strip() and DELETE_TITLE not in turn and DELETE_NAME not in turn and "7万元" not in turn
    assert "5万元" not in turn.split("以下是最接近的原文")[0]
    shot(page, "09-deleted-document-gone.png")


def dislike_last_answer(page) -> None:
    page.locator("#chat button[aria-label='踩']").last.click()
    page.wait_for_selector("#comment textarea", timeout=30_000)
    page.click("#comment-skip")


def test_worklist_shows_refused_and_disliked_questions_and_exports_csv(page, running_app, tmp_path):
    disliked = "创新联合体补充申报什么时候截止？"
    ask(page, running_app, disliked)
    dislike_last_answer(page)
    refused = "慈溪市住房公积金贷款最高能贷多少？"
    ask(page, running_app, refused)
    assert "没有找到" in chat_text(page)
    login(page, running_app)
    page.get_by_role("tab", name="待解决问题").click()
    page.click("#worklist-refresh")
    page.wait_for_function(f"() => document.querySelector('#worklist').innerText.includes('{refused}')", timeout=30_000)
    worklist = page.locator("#worklist").inner_text()
    assert "未找到答案" in worklist and "用户标记没用" in worklist and disliked in worklist
    assert worklist.index(refused) < worklist.index(disliked)  # newest first
    with page.expect_download() as download:
        page.click("#worklist-export")
    saved = tmp_path / "worklist.csv"
    download.value.save_as(saved)
    content = saved.read_text("utf-8-sig")
    assert content.startswith("时间,问题,原因") and refused in content and disliked in content
    shot(page, "10-worklist.png")


def test_llm_mode_streams_into_the_chat(page, tmp_path):
    """A slow stream (a piece of 3 characters every 0.4 s): the chat shows the
    answer growing, piece by piece, before the whole checked answer and its
    source."""
    reply = "对入选“上林英才”计划的人才项目，后续资金按指标完成情况按20%、20%、30%分三期拨付[1]。"
    with ScriptedOpenAIServer([reply], chunk_chars=3, chunk_delay=0.4) as llm:
        env = {"ASSISTANT_LLM_BASE_URL": llm.base_url, "ASSISTANT_LLM_MODEL": "scripted", "ASSISTANT_LLM_TIMEOUT": "60"}
        with serve_app(tmp_path, env) as app:
            page.goto(app.url + "/", wait_until="load")
            page.wait_for_selector("#question textarea", timeout=60_000)
            page.fill("#question textarea", TRANCHES_Q)
            page.click("#send")
            seen = watch_last_message(page, until=lambda text: SEED_TITLE in chat_text(page), timeout=120)
            text = chat_text(page)
    assert llm.requests and llm.requests[0].get("stream") is True
    partial = [t for t in seen if t and t != reply and reply.startswith(t)]
    assert len(set(partial)) >= 3, seen  # several growing prefixes were on screen
    assert all(len(a) <= len(b) for a, b in zip(partial, partial[1:]))
    assert reply in text and SEED_TITLE in text  # the streamed answer, checked, with its source
    shot(page, "11-llm-streamed.png")


def watch_last_message(page, until, timeout: float) -> list[str]:
    """The text of the chat's last message, sampled every 100 ms until
    ``until(text)`` holds."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = page.locator("#chat .message-content")
        text = messages.last.inner_text().strip() if messages.count() else ""
        if not seen or seen[-1] != text:
            seen.append(text)
        if until(text):
            return seen
        page.wait_for_timeout(100)
    raise AssertionError(f"the answer did not finish in {timeout} s: {seen}")


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
    # Filters: a question the corpus answers from documents of several
    # years and bodies; unfiltered it cites a 2023 document, filtered to
    # 2025–2026 it still answers, from those years only.
    unfiltered = client.predict(RD_Q, api_name="/ask")
    assert not unfiltered["refused"] and any(c["date"][:4] == "2023" for c in unfiltered["citations"])
    filtered = client.predict(RD_Q, "", "", 2025, 2026, api_name="/ask")
    assert not filtered["refused"] and filtered["citations"], filtered
    assert {c["date"][:4] for c in filtered["citations"]} <= {"2025", "2026"}
    by_issuer = client.predict(RD_Q, "慈溪市人民政府办公室", "", 0, 0, api_name="/ask")
    assert not by_issuer["refused"] and by_issuer["citations"]
    assert {c["issuer"] for c in by_issuer["citations"]} == {"慈溪市人民政府办公室"}


def test_example_questions_are_answered_from_the_corpus(running_app):
    from gradio_client import Client

    client = Client(running_app.url + "/", verbose=False)
    for question in EXAMPLES:
        result = client.predict(question, api_name="/ask")
        assert not result["refused"] and result["citations"], question
