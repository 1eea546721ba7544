"""Offline and private by design: ingestion, the command line and the app each
run as a real process under strace and open no network connection except
loopback; the pages the app serves load nothing from another origin.

The children get none of the offline/telemetry/LLM variables (CI exports
some), so what is tested are the defaults the product sets itself
(assistant/config.py). Everything runs on temporary copies: a few corpus
files plus one generated test document, a private embedding cache (so the
model is really loaded and used) and a fresh index.
"""
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from conftest import CORPUS, LLM_ENV, ROOT, SEED, free_port, stop, wait_until_serving
from openai_server import ScriptedOpenAIServer
from test_ui import CHROMIUM_ARGS, ask, chat_text

STRACE = shutil.which("strace") or "/usr/bin/strace"
SYSCALLS = "connect,sendto,sendmsg,sendmmsg"  # sendmmsg: glibc's resolver sends with it
CHILD_ENV_DROPPED = (
    "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE",
    "GRADIO_ANALYTICS_ENABLED", "ANONYMIZED_TELEMETRY", *LLM_ENV,
    "ASSISTANT_CHROMA_HOST",  # the embedded index, not a server the shell may name
)
FEW_FILES = (SEED, "02_cixi_kjj_2025-04-09_chuangxin_lianheti_buchong_shenbao.txt")
QUESTION = "上林英才的启动资金怎么拨付？"
PROBE_SOURCE = "zz_test_offline_probe.txt"
PROBE_QUESTION = "白鹭测试补贴每家企业最高给多少？"
PROBE_TEXT = """---
title: 测试文件：离线检查（测试用，非政策文件）
issuer: 测试单位
date: 2026-01-06
doc_type: 其他
---
本文件仅供自动化测试使用。关于“白鹭测试补贴”的说明：白鹭测试补贴每家企业最高给予7万元，申请截止日期为2026年4月1日。
"""


# ---------------------------------------------------------------- the strace log


@dataclass(frozen=True)
class Connection:
    pid: int
    call: str
    family: str
    address: str
    port: int

    @property
    def allowed(self) -> bool:
        """Local IPC is fine; an IP address must be loopback, and not a DNS
        server either (a query to a loopback stub resolver still leaves)."""
        if self.family in ("AF_UNIX", "AF_NETLINK", "AF_UNSPEC"):
            return True
        return self.family in ("AF_INET", "AF_INET6") and is_loopback(self.address) and self.port != 53

    def __str__(self) -> str:
        return f"{self.family} {self.address}:{self.port}" if self.port >= 0 else f"{self.family} {self.address}"


SYSCALL_LINE = re.compile(r"^(\d+)\s+(connect|sendto|sendmsg|sendmmsg)\(")
SOCKADDR = re.compile(r"\{sa_family=(AF_\w+),?([^}]*)\}")
QUOTED = re.compile(r'"([^"]*)"')
PORT = re.compile(r"port=htons\((\d+)\)")


def parse_strace(text: str) -> list[Connection]:
    """Every socket address passed to connect/sendto/sendmsg/sendmmsg in an
    `strace -f` log (a call split by another thread keeps its address on
    the `<unfinished ...>` line)."""
    found = []
    for line in text.splitlines():
        call = SYSCALL_LINE.match(line)
        if call:
            found += [_connection(call, addr) for addr in SOCKADDR.finditer(line)]
    return found


def _connection(call: re.Match, addr: re.Match) -> Connection:
    quoted, port = QUOTED.search(addr[2]), PORT.search(addr[2])
    address = quoted[1] if quoted else addr[2].strip(" ,")
    return Connection(int(call[1]), call[2], addr[1], address, int(port[1]) if port else -1)


def is_loopback(address: str) -> bool:
    """127.0.0.0/8, ::1 and ::ffff:127.x.y.z."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return (getattr(ip, "ipv4_mapped", None) or ip).is_loopback


def checked_log(log: Path) -> list[Connection]:
    """The connections in one process tree's log, after asserting that strace
    followed it to its end and that all of them stay on this machine."""
    text = log.read_text("utf-8", errors="replace")
    assert re.search(r"^\d+\s+\+\+\+ (exited with|killed by) ", text, re.M), f"strace did not follow {log.name}"
    found = parse_strace(text)
    counts = Counter(str(c) for c in found)
    print(f"\n[{log.stem}] {len(found)} socket calls with an address: {dict(counts) or 'none'}")
    offending = [str(c) for c in found if not c.allowed]
    assert not offending, f"{log.name}: connections leaving the machine: {Counter(offending)}"
    return found


def test_parser_flags_what_leaves_the_machine():
    log = "\n".join([
        '7 connect(5, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("10.1.2.3")}, 16 <unfinished ...>',
        '7 sendto(6, "q", 1, 0, {sa_family=AF_INET6, sin6_port=htons(53), sin6_flowinfo=htonl(0),'
        ' inet_pton(AF_INET6, "2001:db8::1", &sin6_addr), sin6_scope_id=0}, 28) = 1',
        '8 connect(7, {sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0),'
        ' inet_pton(AF_INET6, "::ffff:10.1.2.3", &sin6_addr), sin6_scope_id=0}, 28) = 0',
        '8 sendto(9, "q", 1, 0, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("127.0.0.53")}, 16) = 1',
        '8 connect(3, {sa_family=AF_INET, sin_port=htons(7860), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
        '8 connect(4, {sa_family=AF_INET6, sin6_port=htons(7860), sin6_flowinfo=htonl(0),'
        ' inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0',
        '8 connect(4, {sa_family=AF_INET6, sin6_port=htons(9), sin6_flowinfo=htonl(0),'
        ' inet_pton(AF_INET6, "::ffff:127.0.0.1", &sin6_addr), sin6_scope_id=0}, 28) = 0',
        '8 connect(9, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT',
        '8 sendto(3, [{nlmsg_len=20, nlmsg_type=RTM_GETADDR}], 20, 0, {sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, 12) = 20',
        "8 +++ exited with 0 +++",
    ])
    found = parse_strace(log)
    assert [str(c) for c in found if not c.allowed] == [
        "AF_INET 10.1.2.3:443", "AF_INET6 2001:db8::1:53", "AF_INET6 ::ffff:10.1.2.3:80", "AF_INET 127.0.0.53:53",
    ]
    assert len(found) == 9 and found[0].pid == 7 and found[-1].family == "AF_NETLINK"


# ---------------------------------------------------------------- running under strace


def traced(log: Path, *command: str) -> list[str]:
    """strace's command line: every thread and child process (-f); only the
    traced calls stop the process (--seccomp-bpf), so it runs near full speed."""
    return [STRACE, "-f", "--seccomp-bpf", "-e", f"trace={SYSCALLS}", "-o", str(log), *command]


def child_env(work: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in CHILD_ENV_DROPPED}
    env.update(ASSISTANT_EMBEDDING_CACHE=str(work / "cache" / "embeddings.sqlite"), PYTHONIOENCODING="utf-8")
    return {**env, **extra}


def run_traced(work: Path, name: str, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        traced(work / f"{name}.strace", sys.executable, *args),
        cwd=ROOT, env=child_env(work), capture_output=True, text=True, encoding="utf-8", timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A few corpus files plus a generated one; the index and caches beside."""
    root = tmp_path_factory.mktemp("offline")
    (root / "corpus").mkdir()
    for name in FEW_FILES:
        shutil.copy2(CORPUS / name, root / "corpus" / name)
    (root / "corpus" / PROBE_SOURCE).write_text(PROBE_TEXT, "utf-8")
    return root


@pytest.fixture(scope="module")
def ingested(work):
    """Case a: `python ingest.py` under strace, into a fresh index."""
    return run_traced(work, "ingest", "ingest.py", "--corpus", str(work / "corpus"), "--index", str(work / "index"))


def test_ingestion_embeds_offline(work, ingested):
    summary = ingested.stdout
    assert f"新增 {len(FEW_FILES) + 1} 篇" in summary and "失败 0 篇" in summary, summary
    embedded = re.search(r"新计算嵌入 (\d+) 个", summary)
    assert embedded and int(embedded[1]) > 0, summary  # the model was loaded and used
    assert (work / "cache" / "embeddings.sqlite").stat().st_size > 0
    checked_log(work / "ingest.strace")


def test_command_line_answers_offline(work, ingested):
    """Case b: `python -m assistant ask --json` under strace."""
    result = run_traced(work, "ask", "-m", "assistant", "ask", QUESTION, "--index", str(work / "index"), "--json")
    answer = json.loads(result.stdout)
    assert not answer["refused"] and "启动资金" in answer["answer"] and "[1]" in answer["answer"]
    assert answer["citations"] and answer["citations"][0]["source"] == SEED
    checked_log(work / "ask.strace")


# ---------------------------------------------------------------- the app under strace


@dataclass
class TracedApp:
    """`python app.py` under strace, as conftest.stop sees a process: signals
    go to the app itself (strace blocks SIGTERM when it writes to a file),
    and waiting waits for strace, which ends once the app has."""

    url: str
    tracer: subprocess.Popen
    log: Path

    def _signal(self, sig: int) -> None:
        for pid in _app_pids(self.tracer.pid):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> int:
        return self.tracer.wait(timeout)

    def poll(self) -> int | None:
        return self.tracer.poll()


def _app_pids(tracer_pid: int) -> list[int]:
    """The app.py process(es) strace started."""
    try:
        children = Path(f"/proc/{tracer_pid}/task/{tracer_pid}/children").read_text().split()
    except OSError:
        return []
    return [int(pid) for pid in children if b"app.py" in _cmdline(pid)]


def _cmdline(pid: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@contextmanager
def traced_app(work: Path, name: str, **env: str):
    """conftest.serve_app's counterpart: the app on a free loopback port over
    `work`'s corpus and index, its process tree traced into NAME.strace."""
    port, out = free_port(), work / f"{name}.log"
    app_cmd = [sys.executable, str(ROOT / "app.py"), "--port", str(port), "--index", str(work / "index")]
    with open(out, "w") as sink:
        tracer = subprocess.Popen(
            traced(work / f"{name}.strace", *app_cmd), cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT,
            env=child_env(work, ASSISTANT_CORPUS=str(work / "corpus"), **env),
        )
    app = TracedApp(f"http://127.0.0.1:{port}", tracer, work / f"{name}.strace")
    try:
        wait_until_serving(app.url + "/", tracer, out, timeout=600)
        yield app
    finally:
        stop(app, timeout=60)
        if tracer.poll() is None:  # strace outlived the app: only then is it killed
            tracer.kill()
            tracer.wait()


def browse(app: TracedApp) -> list[str]:
    """Chat page, one question answered, its source view and the agents'
    login page in Chromium; returns the URL of every request they made."""
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        context.on("request", lambda request: requests.append(request.url))
        context.on("websocket", lambda socket: requests.append(socket.url))
        page = context.new_page()
        ask(page, app, QUESTION)
        assert "启动资金" in chat_text(page) and "[1]" in chat_text(page)
        page.goto(urljoin(app.url, page.locator("#chat a.src-open").first.get_attribute("href")))
        page.wait_for_selector("mark#hl", timeout=60_000)
        page.goto(app.url + "/admin/", wait_until="load")
        page.wait_for_selector("input[type=password]", timeout=60_000)
        browser.close()
    return requests


def foreign_requests(urls: list[str], origin: str) -> list[str]:
    """Requests that leave the app's origin (data: and blob: never hit the network)."""
    own = urlsplit(origin).netloc
    return [u for u in urls if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).netloc != own]


def ask_api(app: TracedApp, question: str) -> dict:
    from gradio_client import Client

    return Client(app.url + "/", verbose=False).predict(question, api_name="/ask")


def test_app_serves_and_answers_offline(work, ingested):
    """Case c: the app in its default configuration, driven by a browser and
    by gradio_client; the browser's requests all go to the app itself."""
    with traced_app(work, "app") as app:
        requests = browse(app)
        result = ask_api(app, PROBE_QUESTION)
    assert not result["refused"] and "7万元" in result["answer"], result
    assert result["citations"][0]["source"] == PROBE_SOURCE
    print(f"\n[browser] {len(requests)} requests: {dict(Counter(urlsplit(u).netloc for u in requests))}")
    assert len(requests) > 10  # the recorder saw the page load
    assert not foreign_requests(requests, app.url)
    checked_log(app.log)


def test_trace_sees_the_apps_own_loopback_connection(work, ingested):
    """The control: an LLM configured on loopback is a connection the app
    makes, so its log must show exactly that port (and nothing external)."""
    reply = "对入选“上林英才”计划的人才项目，首批30%的启动资金在项目正常启动且领军人才（团队）全职到岗的情况下可一次性拨付[1]。"
    with ScriptedOpenAIServer([reply]) as llm:
        port = urlsplit(llm.base_url).port
        env = {"ASSISTANT_LLM_BASE_URL": llm.base_url, "ASSISTANT_LLM_MODEL": "scripted", "ASSISTANT_LLM_TIMEOUT": "60"}
        with traced_app(work, "app-llm", **env) as app:
            result = ask_api(app, QUESTION)
    assert llm.requests, result
    found = checked_log(app.log)
    assert any(c.call == "connect" and c.port == port and is_loopback(c.address) for c in found), found
