"""The app as people use it, in a real browser (Debian's Chromium through
Playwright, zh-CN unless said otherwise) against `python app.py` started
here: everything a user sees is Chinese, every action is confirmed where it
happened, agents correct metadata and it shows in the chat after a restart,
and an uploaded Word file's sections name the sentences under them.

Screenshots go to test-artifacts/ui-chinese/.
"""
from __future__ import annotations

import re
import sqlite3

import pytest
from conftest import CORPUS, ROOT, SEED, policy_docx, sections, serve_app

from assistant.accounts import LOCK_S, MAX_FAILURES

SHOTS = ROOT / "test-artifacts" / "ui-chinese"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
TRANCHES_Q = "上林英才的项目资助资金怎么分批拨付？"
DEADLINE_Q = "企业创新联合体补充申报什么时候截止？"
SEED_TITLE = "对市十八届人大一次会议第190号建议的答复"

# What may be Latin letters on a Chinese page: file names, the API link,
# file format names, size units, and the test accounts' names (user data).
ALLOWED_WORDS = {"API", "PDF", "Word", "docx", "HTML", "TXT", "Markdown", "CSV", "TSV", "KB", "MB", "agent", "lockprobe"}
FILE_NAME = re.compile(r"[\w.\-（）() ]+\.(?:txt|md|docx|pdf|html?|csv)\b", re.IGNORECASE)
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")

# Every visible text, and the title, aria-label, placeholder and alt of every
# visible element (tooltips and what a screen reader says), as (where, text).
SEEN_JS = r"""() => {
  const seen = [], visible = (el) => el && el.checkVisibility({opacityProperty: true, visibilityProperty: true});
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n; (n = walker.nextNode());) {
    const el = n.parentElement, text = n.textContent.trim();
    if (text && visible(el) && !el.closest("svg, script, style")) seen.push(["text", text]);
  }
  for (const el of document.querySelectorAll("[title],[aria-label],[placeholder],[alt]")) {
    if (!visible(el)) continue;
    for (const attr of ["title", "aria-label", "placeholder", "alt"]) {
      if (el.getAttribute(attr)) seen.push([attr, el.getAttribute(attr)]);
    }
  }
  seen.push(["title", document.title]);
  return seen;
}"""


def english_on(page) -> list[str]:
    """Everything on the page that holds an English word not allowed."""
    found = []
    for where, text in page.evaluate(SEEN_JS):
        words = set(ENGLISH_WORD.findall(FILE_NAME.sub(" ", text))) - ALLOWED_WORDS
        if words:
            found.append(f"{where}: {text[:120]!r} {sorted(words)}")
    return found


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with serve_app(tmp_path_factory.mktemp("app-zh")) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def new_page(browser, locale: str = "zh-CN"):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale=locale)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    return context.new_page()


@pytest.fixture
def page(browser):
    tab = new_page(browser)
    yield tab
    tab.context.close()


def shot(page, name: str, full_page: bool = False) -> None:
    page.screenshot(path=str(SHOTS / name), full_page=full_page)


def open_chat(page, app) -> None:
    page.goto(app.url + "/", wait_until="load")
    page.wait_for_selector("#question textarea", timeout=60_000)


def send(page, question: str) -> None:
    before = page.locator("#chat .message-content").count()
    page.fill("#question textarea", question)
    page.click("#send")
    page.wait_for_function(
        "n => { const m = document.querySelectorAll('#chat .message-content');"
        " return m.length >= n + 2 && !m[m.length - 1].innerText.includes('正在查找'); }",
        arg=before, timeout=120_000,
    )
    page.wait_for_timeout(500)


def login(page, app, user: str | None = None, password: str | None = None) -> None:
    page.goto(app.url + "/admin/", wait_until="load")
    page.fill("input[type=text]", user or app.user)
    page.fill("input[type=password]", password or app.password)
    page.get_by_role("button", name="登录").click()
    if password is None:
        page.wait_for_selector("#docs", timeout=60_000)


def pick(page, selector: str, option: str) -> None:
    """Choose ``option`` in a Gradio dropdown."""
    page.click(f"{selector} input")
    page.get_by_role("option", name=option, exact=True).click()


# ---------------------------------------------------------------- Chinese everywhere


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_no_english_on_the_chat_page_during_a_session(browser, app, locale):
    """A question, its sources, copying, a 踩 with its comment box open: no
    English anywhere, even in a browser set to English."""
    page = new_page(browser, locale)
    open_chat(page, app)
    assert english_on(page) == []
    send(page, TRANCHES_Q)
    page.click("#copy")
    page.wait_for_selector("#copy-note p")
    page.locator("#chat button[aria-label='踩']").last.click()
    page.wait_for_selector("#comment textarea")
    assert english_on(page) == []
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    page.context.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_no_english_on_the_login_page(browser, app, locale):
    page = new_page(browser, locale)
    page.goto(app.url + "/admin/", wait_until="load")
    page.wait_for_selector("input[type=password]", timeout=60_000)
    assert english_on(page) == []
    login(page, app, "nobody-" + locale, "wrong")
    page.wait_for_selector("#login-reason", timeout=30_000)
    assert english_on(page) == []
    assert "账号或密码不正确" in page.inner_text("#login-reason")
    page.context.close()


def test_a_locked_account_is_told_so_on_the_login_page_with_the_minutes_left(page, app):
    for attempt in range(1, MAX_FAILURES + 1):
        login(page, app, "lockprobe", f"guess-{attempt}")
        page.wait_for_function(
            f"() => (document.querySelector('#login-reason') || {{}}).textContent?.includes('{'锁定：' if attempt == MAX_FAILURES else f'再输错 {MAX_FAILURES - attempt} 次'}')",
            timeout=30_000,
        )
    reason = page.inner_text("#login-reason")
    assert f"该账号已被锁定：连续输错密码 {MAX_FAILURES} 次。请 {int(LOCK_S // 60)} 分钟后再试" in reason
    shot(page, "01-login-locked.png")
    login(page, app, "lockprobe", app.probe_password)  # the right password: still locked
    page.wait_for_function("() => document.querySelector('#login-reason')?.textContent.includes('分钟后再试')")
    assert page.locator("#docs").count() == 0


def test_no_english_on_the_agents_page_during_a_session(page, app, tmp_path):
    login(page, app)
    assert english_on(page) == []
    path = policy_docx(tmp_path / "海鸥创新券申领通知（测试）.docx", "typed", "海鸥创新券", issuer="市科技局")
    page.set_input_files("#upload input[type=file]", [str(path)])
    page.click("#upload-btn")
    page.wait_for_function("() => document.querySelector('#upload-result textarea').value.includes('已导入')",
                           timeout=180_000)
    pick(page, "#meta-doc", path.name)
    page.wait_for_function("() => document.querySelector('#meta-title textarea').value.includes('海鸥创新券')")
    page.click("#issuer-names")
    page.click("#meta-log-box")
    page.wait_for_selector("#issuer-table")
    assert english_on(page) == []
    shot(page, "02-agents-page.png", full_page=True)
    page.get_by_role("tab", name="待解决问题").click()
    page.wait_for_selector("#worklist")
    assert english_on(page) == []


# ---------------------------------------------------------------- every action confirmed


def test_copy_says_copied_beside_the_button(page, app):
    open_chat(page, app)
    page.click("#copy")
    page.wait_for_selector("#copy-note p")
    assert page.inner_text("#copy-note") == "还没有可复制的回答。"
    send(page, TRANCHES_Q)
    assert page.inner_text("#copy-note").strip() == ""  # a new answer: nothing copied yet
    page.click("#copy")
    page.wait_for_function("() => document.querySelector('#copy-note').innerText.includes('已复制')")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "分三期拨付" in copied and SEED_TITLE in copied
    note, button = page.locator("#copy-note p").bounding_box(), page.locator("#copy").bounding_box()
    assert abs(note["y"] - button["y"]) < button["height"] and note["x"] >= button["x"] + button["width"] - 2


def test_dislike_opens_the_comment_box_under_the_rated_answer_in_view(page, app):
    open_chat(page, app)
    send(page, TRANCHES_Q)
    send(page, DEADLINE_Q)
    page.evaluate("() => document.querySelector('#chat .bubble-wrap').scrollTop = 0")  # back to the first answer
    bars = page.locator("#chat .message-buttons")
    assert bars.count() == 2
    bars.first.locator("button[aria-label='踩']").click()
    page.wait_for_selector("#comment textarea")
    page.wait_for_timeout(300)
    box, bar = page.locator("#comment-row").bounding_box(), bars.first.bounding_box()
    answer = page.locator("#chat .bot-row").first.bounding_box()
    height = page.evaluate("innerHeight")
    assert 0 <= box["y"] and box["y"] + box["height"] <= height  # wholly in view
    assert 0 <= box["y"] - (bar["y"] + bar["height"]) <= 30  # right under that answer's 赞/踩
    assert abs(box["x"] - bar["x"]) <= 8 and box["x"] < answer["x"] + answer["width"]  # aligned with the answer
    assert page.locator(".toast-body").count() == 0  # no thanks before the comment
    page.fill("#comment textarea", "希望写明每期的拨付条件")
    shot(page, "03-dislike-comment-in-place.png")
    page.click("#comment-send")
    page.wait_for_function("() => document.querySelector('#comment-row').innerText.includes('已记录您的意见')")
    page.wait_for_selector("#comment-row", state="detached", timeout=10_000)
    with sqlite3.connect(app.index / "feedback.sqlite") as db:
        row = db.execute("SELECT question, useful FROM feedback WHERE comment = ?", ("希望写明每期的拨付条件",)).fetchone()
    assert row == (TRANCHES_Q, 0)  # the first answer's rating, not the last one's


def test_the_chat_label_never_covers_the_messages(page, app):
    open_chat(page, app)
    send(page, TRANCHES_Q)
    send(page, DEADLINE_Q)
    page.evaluate("() => document.querySelector('#chat .bubble-wrap').scrollTop = 120")
    label = page.locator("#chat label[data-testid='block-label']").bounding_box()
    messages = page.locator("#chat .bubble-wrap").bounding_box()
    assert label["y"] + label["height"] <= messages["y"] + 1


def test_export_csv_says_what_it_exported(page, app, tmp_path):
    open_chat(page, app)
    send(page, "慈溪市住房公积金贷款最高能贷多少？")  # refused: on the worklist
    login(page, app)
    page.get_by_role("tab", name="待解决问题").click()
    page.click("#worklist-refresh")
    page.wait_for_function("() => document.querySelector('#worklist').innerText.includes('住房公积金')", timeout=30_000)
    with page.expect_download() as download:
        page.click("#worklist-export")
    rows = len(download.value.path().read_text("utf-8-sig").strip().splitlines()) - 1
    page.wait_for_function("() => document.querySelector('#export-note').innerText.includes('已导出')")
    assert f"已导出 {rows} 条待解决问题" in page.inner_text("#export-note") and rows >= 1


# ---------------------------------------------------------------- headings of an uploaded Word file


@pytest.mark.parametrize("headings, programme", [("typed", "翠鸟创新券"), ("numbered", "白鹭创新券")])
def test_an_uploaded_docx_cites_each_sentence_under_its_own_heading(page, app, tmp_path, headings, programme):
    path = policy_docx(tmp_path / f"{programme}申领通知（测试）.docx", headings, programme)
    login(page, app)
    page.set_input_files("#upload input[type=file]", [str(path)])
    page.click("#upload-btn")
    page.wait_for_function("() => document.querySelector('#upload-result textarea').value.includes('已导入')",
                           timeout=180_000)
    from gradio_client import Client

    client = Client(app.url + "/", verbose=False)
    (_, _), (standard, amount), (process, timing) = sections(programme)
    for question, sentence, heading in [(f"{programme}每家企业每年最多申领多少钱？", amount, f"二、{standard}"),
                                        (f"{programme}申请后多久发放？", timing, f"三、{process}")]:
        result = client.predict(question, api_name="/ask")
        cited = [c for c in result["citations"] if c["source"] == path.name and sentence[-8:] in c["quote"]]
        assert cited, result
        assert cited[0]["section"] == heading, result


# ---------------------------------------------------------------- metadata corrected by an agent


def test_a_metadata_correction_shows_in_filters_and_citations_after_a_restart(browser, tmp_path):
    new_title, new_issuer = f"{SEED_TITLE}（测试更正）", "慈溪市人才工作领导小组办公室（测试）"
    with serve_app(tmp_path) as first:
        page = new_page(browser)
        login(page, first)
        pick(page, "#meta-doc", SEED)
        page.wait_for_function(f"() => document.querySelector('#meta-title textarea').value === '{SEED_TITLE}'")
        page.fill("#meta-title textarea", new_title)
        page.fill("#meta-issuer textarea", new_issuer)
        page.get_by_label("已被替代").check()
        page.click("#meta-save")
        page.wait_for_function("() => document.querySelector('#meta-result textarea').value.includes('已保存修改')",
                               timeout=60_000)
        assert "未重新计算向量" in page.locator("#meta-result textarea").input_value()
        page.click("#meta-log-box")
        log = page.locator("#meta-log").inner_text()
        assert new_title in log and first.user in log
        page.context.close()

    with serve_app(tmp_path) as again:  # the same corpus and index, a new process
        page = new_page(browser)
        open_chat(page, again)
        pick(page, "#f-issuer", new_issuer)
        send(page, TRANCHES_Q)
        sources = page.locator("#chat .src").first.inner_text()
        assert new_title in sources and new_issuer in sources and "已被替代" in sources
        shot(page, "04-corrected-metadata-after-restart.png")
        page.context.close()
    assert (tmp_path / "corpus" / SEED).read_bytes() == (CORPUS / SEED).read_bytes()  # the file is untouched


def test_issuer_variants_are_filtered_under_their_canonical_name(page, app, tmp_path):
    """A document signed 市科技局 is listed and found under 慈溪市科学技术局."""
    path = tmp_path / "白鹭计划试点通知（测试）.txt"
    path.write_text("关于白鹭计划试点的通知（测试用）\n\n白鹭计划试点企业每家最高补助8万元，用于购买研发设计服务。\n\n"
                    "市科技局\n2026年1月6日\n", "utf-8")
    login(page, app)
    page.set_input_files("#upload input[type=file]", [str(path)])
    page.click("#upload-btn")
    page.wait_for_function("() => document.querySelector('#upload-result textarea').value.includes('已导入')",
                           timeout=180_000)
    pick(page, "#meta-doc", path.name)  # the agents' editor shows the canonical name, the file's own beside it
    page.wait_for_function("() => document.querySelector('#meta-issuer textarea').value === '慈溪市科学技术局'")
    assert "发布单位：市科技局" in page.inner_text("#meta-original")
    open_chat(page, app)
    page.click("#f-issuer input")
    options = [o.strip() for o in page.get_by_role("option").all_inner_texts()]
    assert "慈溪市科学技术局" in options and "市科技局" not in options
    page.get_by_role("option", name="慈溪市科学技术局", exact=True).click()
    send(page, "白鹭计划试点企业每家最高补助多少？")
    text = page.locator("#chat").inner_text()
    assert "8万元" in text and "关于白鹭计划试点的通知（测试用）" in text
