"""Accounts and abuse against the running app (`python app.py`), over HTTP
from loopback: each distinct loopback address (127.0.0.2, 127.0.0.3 …) is a
different client, the client socket bound to it.

* The lockout: five wrong passwords lock that (name, address) pair, the same
  name still logs in from another address, another name from the same
  address too; twenty failures across names block the address; after a
  restart both are still there, and the login page says which and how long.
* X-Forwarded-For is believed only from ASSISTANT_TRUSTED_PROXIES.
* The question limit: 40 questions from one address, the 31st on get the
  limit message (no search), while another address is still answered.
* The audit log: an upload, a deletion (in Chromium, as an agent does them)
  and a failed login are in ``python -m assistant audit --json``.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx
import pytest
from conftest import ROOT, policy_docx, serve_app

from assistant.credentials import UsersFile
from assistant.login_guard import ADDRESS_FAILURES, MAX_FAILURES

QUESTION = "上林英才的项目资助资金怎么分批拨付？"
FILER, FILER_PASSWORD = "filer", "filer-密码-1234"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"]


def client(source: str) -> httpx.Client:
    """An HTTP client whose connections come from ``source``."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=120)


def login(app, source: str, name: str, password: str, forwarded: str = "") -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    with client(source) as http:
        return http.post(app.url + "/admin/login", data={"username": name, "password": password}, headers=headers).status_code


def reason(app, source: str, name: str) -> str:
    with client(source) as http:
        return http.get(app.url + "/admin/login_status", params={"username": name}).json()["message"]


def ask(http: httpx.Client, app, question: str) -> dict:
    """One question through the named /ask endpoint (Gradio's HTTP call API)."""
    event = http.post(app.url + "/gradio_api/call/ask", json={"data": [question, "", "", 0, 0]}).json()["event_id"]
    stream = http.get(f"{app.url}/gradio_api/call/ask/{event}").text
    data = [line[5:].strip() for line in stream.splitlines() if line.startswith("data:")]
    return json.loads(data[-1])[0]


def audit(app, *args: str) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "assistant", "audit", "--index", str(app.index), "--json", *args],
                         cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("abuse")
    UsersFile(root / "index" / "users.json").add(FILER, FILER_PASSWORD)
    return root


@pytest.fixture(scope="module")
def app(root):
    with serve_app(root, {"ASSISTANT_QUESTIONS_PER_MINUTE": "30"}) as running:
        yield running


def test_start_up_warns_that_plain_text_accounts_are_for_trials(app):
    text = app.log.read_text("utf-8")
    assert "账号文件：" in text and "（1 个账号）" in text
    assert "警告：正在使用环境变量 ASSISTANT_AGENT_USERS 中的明文账号（agent、lockprobe），仅供试用" in text


def test_six_wrong_passwords_lock_the_pair_and_only_the_pair(app):
    assert login(app, "127.0.0.2", FILER, FILER_PASSWORD) == 200
    for _ in range(MAX_FAILURES + 1):
        assert login(app, "127.0.0.2", FILER, "wrong-password") == 400
    assert login(app, "127.0.0.2", FILER, FILER_PASSWORD) == 400  # locked from here
    assert reason(app, "127.0.0.2", FILER).startswith(f"该账号已被锁定：连续输错密码 {MAX_FAILURES} 次。请 10 分钟后再试")
    assert login(app, "127.0.0.3", FILER, FILER_PASSWORD) == 200  # the same name from elsewhere
    assert login(app, "127.0.0.2", app.user, app.password) == 200  # another name from here


def test_twenty_failures_across_names_block_the_address(app):
    names = [f"guess-{i}" for i in range(MAX_FAILURES)]
    for i in range(ADDRESS_FAILURES):  # four per name: no pair reaches its own limit
        assert login(app, "127.0.0.4", names[i % len(names)], "wrong-password") == 400
    assert login(app, "127.0.0.4", app.user, app.password) == 400
    assert reason(app, "127.0.0.4", app.user).startswith("您所在的网络地址登录失败次数过多（10 分钟内输错 20 次），已暂停该地址的登录。请 10 分钟后再试")
    assert login(app, "127.0.0.5", app.user, app.password) == 200


def test_a_forwarded_for_header_is_not_believed_from_an_untrusted_peer(app):
    for i in range(MAX_FAILURES):
        assert login(app, "127.0.0.6", FILER, "wrong-password", forwarded=f"127.0.1.{i}") == 400
    assert login(app, "127.0.0.6", FILER, FILER_PASSWORD, forwarded="127.0.1.99") == 400
    assert audit(app, "--action", "login")[-1]["address"] == "127.0.0.6"


def test_removing_an_account_ends_its_open_sessions(app):
    UsersFile(app.index / "users.json").add("leaver", "leaver-password")
    with client("127.0.0.14") as http:
        assert http.post(app.url + "/admin/login", data={"username": "leaver", "password": "leaver-password"}).status_code == 200
        assert http.get(app.url + "/admin/config").status_code == 200
        done = subprocess.run([sys.executable, "-m", "assistant", "users", "remove", "leaver", "--index", str(app.index)],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and "已登录的网页会话随即失效" in done.stdout
        assert http.get(app.url + "/admin/config").status_code == 401


def test_forty_questions_in_a_minute_from_one_address_get_the_limit_message_after_thirty(app):
    started, replies = time.monotonic(), []
    with client("127.0.0.7") as http:
        for _ in range(40):
            replies.append(ask(http, app, QUESTION))
    elapsed = time.monotonic() - started
    print(f"\n40 questions from one address in {elapsed:.1f} s")
    limited = [i for i, r in enumerate(replies) if r["answer"].startswith("提问过于频繁")]
    assert limited == list(range(30, 40)), [r["answer"][:30] for r in replies]
    assert all(r["refused"] and r["citations"] == [] and 0 < r["retry_after_s"] <= 60 for r in replies[30:])
    assert "每个网络地址每分钟最多提问 30 次。请" in replies[-1]["answer"] and "秒后再试" in replies[-1]["answer"]
    assert all("分三期拨付" in r["answer"] and r["citations"] for r in replies[:30])
    with client("127.0.0.8") as http:
        other = ask(http, app, QUESTION)
    assert "分三期拨付" in other["answer"] and other["citations"]


def test_an_upload_a_deletion_and_a_failed_login_are_in_the_audit_log(app, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    path = policy_docx(tmp_path / "审计测试通知.docx", "typed", "白鹭创新券")
    assert login(app, "127.0.0.9", app.user, "not-the-password") == 400
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(locale="zh-CN")
        page.goto(app.url + "/admin/", wait_until="load")
        page.fill("input[type=text]", app.user)
        page.fill("input[type=password]", app.password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_selector("#docs", timeout=60_000)
        page.set_input_files("#upload input[type=file]", [str(path)])
        page.click("#upload-btn")
        page.wait_for_function("() => document.querySelector('#upload-result textarea').value.includes('已导入')",
                               timeout=180_000)
        page.on("dialog", lambda dialog: dialog.accept())
        page.click("#delete-choice input")
        page.get_by_role("option", name=path.name, exact=True).click()
        page.click("#delete-btn")
        page.wait_for_function("() => document.querySelector('#upload-result textarea').value.includes('已删除')",
                               timeout=180_000)
        page.get_by_role("tab", name="操作记录").click()
        page.click("#audit-query")
        page.wait_for_function(f"() => document.querySelector('#audit-table').innerText.includes('{path.name}')",
                               timeout=30_000)
        shown = page.inner_text("#audit-table")
        browser.close()
    assert "上传" in shown and "删除" in shown and "127.0.0.1" in shown
    events = audit(app)
    upload = [e for e in events if e["action"] == "upload" and e["target"] == path.name]
    delete = [e for e in events if e["action"] == "delete" and e["target"] == path.name]
    failed = [e for e in events if e["action"] == "login" and e["address"] == "127.0.0.9"]
    assert [(e["agent"], e["address"], e["outcome"]) for e in upload] == [(app.user, "127.0.0.1", "ok")]
    assert upload[0]["size"] == path.stat().st_size
    assert [(e["agent"], e["address"], e["outcome"]) for e in delete] == [(app.user, "127.0.0.1", "ok")]
    assert [(e["agent"], e["outcome"]) for e in failed] == [(app.user, "failed")]
    for event in (upload[0], delete[0], failed[0]):
        assert event["time"][:4].isdigit() and event["time"][10] == "T" and event["ts"] > 0
    assert audit(app, "--since", "2000-01-01", "--action", "delete") == delete
    assert audit(app, "--since", "2999-01-01") == []


def test_locks_survive_a_restart_and_forwarded_addresses_count_behind_a_trusted_proxy(tmp_path):
    root = tmp_path / "restart"
    UsersFile(root / "index" / "users.json").add(FILER, FILER_PASSWORD)
    with serve_app(root) as first:
        for _ in range(MAX_FAILURES):
            login(first, "127.0.0.11", FILER, "wrong-password")
        for i in range(ADDRESS_FAILURES):
            login(first, "127.0.0.12", f"guess-{i}", "wrong-password")
    with serve_app(root, {"ASSISTANT_TRUSTED_PROXIES": "127.0.0.10"}) as again:  # the same index, a new process
        assert login(again, "127.0.0.11", FILER, FILER_PASSWORD) == 400
        assert "该账号已被锁定" in reason(again, "127.0.0.11", FILER)
        assert login(again, "127.0.0.12", again.user, again.password) == 400
        assert "网络地址登录失败次数过多" in reason(again, "127.0.0.12", again.user)
        assert login(again, "127.0.0.13", FILER, FILER_PASSWORD) == 200
        # Behind the proxy 127.0.0.10, each forwarded client is counted on its own.
        for _ in range(MAX_FAILURES):
            assert login(again, "127.0.0.10", FILER, "wrong-password", forwarded="127.0.2.1") == 400
        assert login(again, "127.0.0.10", FILER, FILER_PASSWORD, forwarded="127.0.2.1") == 400
        assert login(again, "127.0.0.10", FILER, FILER_PASSWORD, forwarded="127.0.2.2") == 200
        # A client cannot pick its address: what it wrote is left of what the proxy appended.
        assert login(again, "127.0.0.10", FILER, FILER_PASSWORD, forwarded="127.0.2.2, 127.0.2.1") == 400
        addresses = [e["address"] for e in audit(again, "--action", "login")[-4:]]
        assert addresses == ["127.0.2.1", "127.0.2.1", "127.0.2.2", "127.0.2.1"]
