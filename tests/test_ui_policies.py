"""The 政策清单 and 政策匹配 tabs in a real browser (Debian's Chromium through
Playwright) against `python app.py` started by the tests, and the /items and
/match endpoints through gradio_client. Screenshots go to
test-artifacts/policies/."""
import json

import openpyxl
import pytest
from conftest import ROOT, serve_app

from assistant.ui_policies import ITEM_COLUMNS, MATCH_COLUMNS, write_exports

SHOTS = ROOT / "test-artifacts" / "policies"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
DESCRIPTION = "我们是规上数字经济制造业企业，营收2亿元，增长12%，上年增长8%"
ISSUE_ARITHMETIC = "增量 2143万元 → 21 × 500元 = 10,500元（上限30万元）"
DIGITAL_2025 = "每增100万元最高奖励500元"
DIGITAL_2024 = "每增100万元奖励1000元"
POLICY_2025 = "2025年慈溪市推进产业高质量发展的政策意见"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with serve_app(tmp_path_factory.mktemp("policies")) as running:
        yield running


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
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", accept_downloads=True)
    tab = context.new_page()
    yield tab
    context.close()


def open_tab(page, app, name: str) -> None:
    page.goto(app.url + "/", wait_until="load")
    page.get_by_role("tab", name=name).click()


def field(page, key: str):
    return page.locator(f"#m-{key} textarea, #m-{key} input").first


def run_match(page, expect: str = "符合（") -> None:
    """Click 开始匹配 and wait until the results show ``expect``."""
    page.click("#m-run")
    page.wait_for_function(
        "e => { const r = document.querySelector('#m-results'); const t = r ? r.innerText : '';"
        " return t.includes(e) && !t.includes('processing'); }",
        arg=expect, timeout=60_000,
    )


def download(page, selector: str, tmp_path, name: str):
    with page.expect_download() as got:
        page.click(selector)
    path = tmp_path / name
    got.value.save_as(path)
    return path


def test_a_profile_gives_grouped_results_with_amounts_evidence_source_and_excel(page, app, tmp_path):
    open_tab(page, app, "政策匹配")
    page.fill("#m-desc textarea", DESCRIPTION)
    page.click("#m-parse")
    page.wait_for_function("() => document.querySelector('#m-parse-note').innerText.includes('已从描述中识别')", timeout=30_000)
    assert field(page, "revenue_wan").input_value() == "20000"  # shown for the user to check
    assert field(page, "revenue_growth_pct").input_value() == "12"
    run_match(page)
    results = page.locator("#m-results").inner_text()
    assert "符合（" in results and "可能符合（" in results and "不符合（" in results
    first = page.locator("#group-match .match-card").first
    card = first.inner_text()
    assert "加大数字经济制造业培育力度" in card and ISSUE_ARITHMETIC in card
    assert "满足" in card and "当年度营收增速达到10%以上" in card and "您填写：12%" in card  # the condition and its evidence
    assert "可能符合（需补充：" in page.locator("#group-maybe").inner_text()
    shot_page = page
    shot_page.screenshot(path=str(SHOTS / "01-match-results.png"), full_page=True)

    with page.context.expect_page() as opened:
        first.locator("a.item-source").click()
    doc = opened.value
    doc.wait_for_load_state("load")
    marked = doc.locator("mark#hl").inner_text()
    assert DIGITAL_2025 in marked and marked in first.locator("blockquote").inner_text()
    assert "2025年慈溪市推进产业高质量发展的政策意见" in doc.locator("h1").inner_text()
    doc.screenshot(path=str(SHOTS / "02-match-source.png"), full_page=True)

    sheet = openpyxl.load_workbook(download(page, "#m-xlsx", tmp_path, "match.xlsx")).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == MATCH_COLUMNS
    fits = [r for r in rows[1:] if r[0] == "符合"]
    assert fits and fits[0][2] == "加大数字经济制造业培育力度" and fits[0][5] == 10500 and fits[0][6] == ISSUE_ARITHMETIC
    assert {r[0] for r in rows[1:]} == {"符合", "可能符合", "不符合"}

    exported = json.loads(download(page, "#m-profile", tmp_path, "profile.json").read_text("utf-8"))
    assert exported["revenue_wan"] == 20000 and exported["industry"] == "数字经济制造业"

    open_tab(page, app, "政策匹配")  # a fresh visit: the profile comes back from the browser's storage
    page.wait_for_function("() => { const e = document.querySelector('#m-revenue_wan textarea, #m-revenue_wan input');"
                           " return e && e.value === '20000'; }", timeout=30_000)
    assert field(page, "revenue_growth_pct").input_value() == "12"


@pytest.mark.parametrize("key, value, message", [
    ("revenue_wan", "-5", "不能为负数"),
    ("revenue_wan", "很多钱", "请填写数字"),
    ("revenue_wan", "99999999999", "超出合理范围"),
    ("revenue_growth_pct", "1000", "超出合理范围"),
])
def test_bad_input_gets_a_chinese_message_on_its_field(page, app, key, value, message):
    open_tab(page, app, "政策匹配")
    page.locator("#m-industry input").first.click()
    page.get_by_role("option", name="数字经济制造业").click()
    field(page, key).fill(value)
    run_match(page, "请先修改")
    error = page.locator(f"#m-{key}-err")
    error.wait_for(state="visible", timeout=30_000)
    assert message in error.inner_text()
    assert "请先修改标红的项目" in page.locator("#m-results").inner_text()
    page.screenshot(path=str(SHOTS / f"03-bad-{key}-{value[:4]}.png"), full_page=True)
    field(page, key).fill("20")  # corrected: matched, and the message goes
    run_match(page)
    assert "符合（" in page.locator("#m-results").inner_text()
    assert not page.locator(f"#m-{key}-err").is_visible()


def test_the_item_list_shows_current_items_old_versions_on_request_and_exports(page, app, tmp_path):
    open_tab(page, app, "政策清单")
    page.wait_for_selector("#items-rows", timeout=60_000)
    table = page.locator("#items-table").inner_text()
    assert DIGITAL_2025 in table and DIGITAL_2024 not in table and "现行" in table
    current_rows = page.locator("#items-rows tbody tr").count()

    page.locator("#items-current input").uncheck()
    page.wait_for_function(f"() => document.querySelector('#items-table').innerText.includes('{DIGITAL_2024}')", timeout=30_000)
    table = page.locator("#items-table").inner_text()
    assert f"已被《{POLICY_2025}》替代" in table and "增速门槛 12% → 10%" in table
    assert page.locator("#items-rows tbody tr").count() > current_rows
    page.screenshot(path=str(SHOTS / "04-items-all-versions.png"), full_page=True)

    page.fill("#items-search textarea", "软件")
    page.click("#items-go")
    page.wait_for_function("() => document.querySelectorAll('#items-rows tbody tr').length < 10", timeout=30_000)
    rows = page.locator("#items-rows tbody tr")
    assert rows.count() >= 3 and all("软件" in rows.nth(i).inner_text() for i in range(rows.count()))

    sheet = openpyxl.load_workbook(download(page, "#items-xlsx", tmp_path, "items.xlsx")).active
    data = list(sheet.iter_rows(values_only=True))
    assert list(data[0]) == ITEM_COLUMNS and len(data) - 1 == rows.count()
    csv_text = download(page, "#items-csv", tmp_path, "items.csv").read_text("utf-8-sig")
    assert csv_text.startswith(",".join(ITEM_COLUMNS)) and "软件" in csv_text

    with page.context.expect_page() as opened:
        rows.first.locator("a.item-source").click()
    doc = opened.value
    doc.wait_for_load_state("load")
    assert doc.locator("mark#hl").inner_text() in rows.first.inner_text()
    page.screenshot(path=str(SHOTS / "05-items-search.png"), full_page=True)


def test_items_and_match_endpoints_through_gradio_client(app):
    from gradio_client import Client

    client = Client(app.url + "/", verbose=False)
    current = client.predict("", True, "", "", "", 0, api_name="/items")
    assert current and all(i["status"] == "current" and i["superseded_by"] is None for i in current)
    for item in current:
        assert {"id", "title", "source", "section", "quote", "conditions", "benefit", "responsible_unit", "doc_date",
                "incomplete", "status", "superseded_by"} <= set(item)
        assert {"kind", "text", "amount_yuan", "rate", "per_unit", "cap_yuan"} <= set(item["benefit"])
    everything = client.predict("数字经济制造业", False, "", "", "", 0, api_name="/items")
    old = next(i for i in everything if DIGITAL_2024 in i["quote"])
    new = next(i for i in everything if DIGITAL_2025 in i["quote"])
    assert old["status"] == "superseded" and old["superseded_by"]["title"] == POLICY_2025
    assert old["superseded_by"]["item_id"] == new["id"] and new["status"] == "current"
    assert {"field": "增速门槛", "old": "12%", "new": "10%"} in old["changes"]
    assert new["benefit"]["per_unit"] == {"step": 1000000.0, "step_unit": "元", "yuan": 500.0, "base": "营收增量"}
    assert new["benefit"]["cap_yuan"] == 300000 and new["responsible_unit"] == "市经信局"

    profile = {"industry": "数字经济制造业", "above_scale": True, "revenue_wan": 20000, "revenue_growth_pct": 12,
               "prev_growth_pct": 8}
    report = client.predict(profile, api_name="/match")
    fit = report["match"][0]
    assert fit["id"] == new["id"] and fit["estimate_yuan"] == 10500 and fit["arithmetic"] == ISSUE_ARITHMETIC
    assert {c["status"] for c in fit["conditions"]} == {"met"} and report["maybe"] and report["no"]
    refused = client.predict({"revenue_wan": -5, "revenue_growth_pct": 1000}, api_name="/match")
    assert set(refused["errors"]) == {"revenue_wan", "revenue_growth_pct"} and "不能为负数" in refused["error"]


def test_the_chat_answers_a_profile_question_with_its_sources(page, app):
    page.goto(app.url + "/", wait_until="load")
    page.wait_for_selector("#question textarea", timeout=60_000)
    page.fill("#question textarea", "营收2亿、增长12%的数字经济制造业企业能拿多少？")
    page.click("#send")
    page.wait_for_function(
        "() => { const m = document.querySelectorAll('#chat .message-content');"
        " return m.length >= 3 && !m[m.length - 1].innerText.includes('正在查找'); }", timeout=120_000,
    )
    text = page.locator("#chat").inner_text()
    assert "10,500元" in text and "查看原文" in text
    page.screenshot(path=str(SHOTS / "06-chat-profile-question.png"), full_page=True)


def test_exports_never_hand_a_spreadsheet_a_formula():
    """Document text such as =HYPERLINK(…) is written as text, in both files."""
    xlsx, csv_path = write_exports("测试", ["原文", "金额"], [["=HYPERLINK(\"http://x\")", 3], ["+1", None], ["正常", 5.5]])
    rows = list(openpyxl.load_workbook(xlsx).active.iter_rows(values_only=True))
    assert rows == [("原文", "金额"), ("'=HYPERLINK(\"http://x\")", 3), ("'+1", None), ("正常", 5.5)]
    text = open(csv_path, encoding="utf-8-sig").read()
    assert "'=HYPERLINK" in text and "\n'+1," in text
