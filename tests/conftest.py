import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

CORPUS = ROOT / "corpus"
SEED = "00_cixi_kjj_2022-06-22_rd18-1_jianyi190_dafu.txt"


def chunk_ids(store, source: str) -> list[str]:
    """Ids of one document's chunks in a VectorStore, read from Chroma."""
    return store.collection.get(where={"source": source}, include=[])["ids"]


# --- Shared real index and assistant (appended for the retrieval/answer/qa/cli tests) ---


LLM_ENV = ("ASSISTANT_LLM_BASE_URL", "ASSISTANT_LLM_MODEL", "ASSISTANT_LLM_API_KEY", "ASSISTANT_LLM_TIMEOUT")


@pytest.fixture(scope="session")
def index_settings(tmp_path_factory):
    """Settings pointing at one real Chroma index of the shipped corpus, built
    once per session with the real embedding model (the shared embedding
    cache makes this fast after the first run)."""
    from assistant.config import Settings
    from assistant.ingestion import ingest

    settings = Settings().with_(index_dir=tmp_path_factory.mktemp("idx"))
    report = ingest(CORPUS, settings=settings)
    assert report.chunks_total > 0 and not report.failed, report.summary()
    return settings


@pytest.fixture(scope="session")
def policy_assistant(index_settings):
    """The real extractive assistant over that index (no LLM, whatever the
    ASSISTANT_LLM_* variables of the shell say)."""
    return extractive_assistant(index_settings)


def extractive_assistant(settings):
    """A real Assistant over ``settings`` that never uses an LLM, whatever
    the ASSISTANT_LLM_* variables of the shell say."""
    from assistant.qa import Assistant

    with pytest.MonkeyPatch.context() as mp:
        for name in LLM_ENV:
            mp.delenv(name, raising=False)
        built = Assistant(settings, llm=None)
    assert built.llm is None
    return built


# --- A real running app (python app.py) for the browser and API tests ---


# A test document (generated here, never in corpus/) whose text carries markup
# that would run if the page ever rendered document text as HTML.
INJECTION_SOURCE = "zz_test_markup_injection.txt"
INJECTION_TEXT = """---
title: 测试文件：标记注入检查（测试用，非政策文件）
issuer: 测试单位
date: 2026-01-05
doc_type: 其他
---
本文件仅供自动化测试使用。<script>window.__xss = 1; document.title = "pwned";</script>关于“蓝鲸测试补贴”的说明：蓝鲸测试补贴每家企业最高给予3万元<img src=x onerror="window.__xss = 2">，申请截止日期为2026年3月1日。
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningApp:
    url: str
    corpus: Path
    index: Path
    user: str
    password: str
    process: subprocess.Popen
    log: Path
    probe_password: str = ""  # of the account "lockprobe", which tests may lock out


def wait_until_serving(url: str, process: subprocess.Popen, log: Path, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app.py exited with {process.returncode}:\n{log.read_text('utf-8')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"app.py did not serve {url} within {timeout} s:\n{log.read_text('utf-8')[-3000:]}")


@contextmanager
def serve_app(root: Path, env_extra: dict | None = None):
    """`python app.py` on a free loopback port over a temporary copy of the
    corpus (plus the markup-injection test document), with one agent
    account whose password is made up per run. Served again on the same
    ``root``, it restarts on the same corpus and index (an app restart)."""
    corpus, index, log = root / "corpus", root / "index", root / "app.log"
    if not corpus.exists():
        shutil.copytree(CORPUS, corpus)
        (corpus / INJECTION_SOURCE).write_text(INJECTION_TEXT, "utf-8")
    password, probe = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    users = f"agent:{password},lockprobe:{probe}"
    # Browser and load tests ask fast from one address: the question limit
    # (tests/test_abuse_app.py checks it) is raised unless a test sets it.
    env = {**os.environ, "ASSISTANT_CORPUS": str(corpus), "ASSISTANT_AGENT_USERS": users,
           "ASSISTANT_QUESTIONS_PER_MINUTE": "100000"}
    for name in LLM_ENV:
        env.pop(name, None)
    env.update(env_extra or {})
    port = free_port()
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--port", str(port), "--index", str(index)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url + "/", process, log)
        yield RunningApp(url, corpus, index, "agent", password, process, log, probe)
    finally:
        stop(process)


def stop(process: subprocess.Popen, timeout: float = 15) -> None:
    """Terminate a server the tests started; kill it if it lingers."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def running_app(tmp_path_factory):
    with serve_app(tmp_path_factory.mktemp("app")) as app:
        yield app


# --- An independent check that the index agrees with its manifest ---


def index_problems(index_dir: Path, corpus_dir: Path | None = None, collection: str = "policy_chunks") -> list[str]:
    """Every way the index at ``index_dir`` disagrees with its manifest (and,
    if given, the corpus folder), read straight from Chroma's files and the
    manifest JSON rather than through the code under test. Empty when
    consistent: each indexed document has exactly chunks 0..n-1, no chunk
    belongs to a document the manifest does not list as stored, no entry is
    left pending, and every file in the corpus is either indexed, a
    duplicate of an indexed file, or listed as failed."""
    import json
    from collections import Counter

    import chromadb
    from chromadb.config import Settings as ChromaSettings

    data = json.loads((Path(index_dir) / "manifest.json").read_text("utf-8"))
    entries, failed = data.get("documents", {}), data.get("failed", {})
    client = chromadb.PersistentClient(str(Path(index_dir) / "chroma"), ChromaSettings(anonymized_telemetry=False))
    collection = client.get_collection(collection)
    metas, offset = [], 0
    while True:
        page = collection.get(include=["metadatas"], limit=5000, offset=offset)["metadatas"]
        metas += page
        offset += len(page)
        if len(page) < 5000:
            break
    problems = []
    per_source = Counter(m["source"] for m in metas)
    pairs = Counter((m["source"], int(m["index"])) for m in metas)
    problems += [f"duplicate chunk {s}#{i} ×{n}" for (s, i), n in pairs.items() if n > 1]
    for source, n in per_source.items():
        entry = entries.get(source)
        if entry is None or entry.get("same_as"):
            problems.append(f"orphan chunks: {source} has {n} chunks but no stored manifest entry")
    for source, entry in entries.items():
        if entry["status"] != "ok":
            problems.append(f"entry left {entry['status']}: {source}")
        want = 0 if entry.get("same_as") else entry["chunks"]
        if per_source.get(source, 0) != want:
            problems.append(f"{source}: manifest says {want} chunks, chroma has {per_source.get(source, 0)}")
        elif want and {i for (s, i) in pairs if s == source} != set(range(want)):
            problems.append(f"{source}: chunk indexes are not 0..{want - 1}")
        if entry.get("same_as") and entries.get(entry["same_as"], {}).get("same_as", "x") != "":
            problems.append(f"{source}: duplicate of {entry['same_as']}, which is not stored")
    if corpus_dir is not None:
        files = {p.relative_to(corpus_dir).as_posix() for p in Path(corpus_dir).rglob("*")
                 if p.is_file() and not any(part.startswith(".") for part in p.relative_to(corpus_dir).parts)}
        problems += [f"file neither indexed nor failed: {f}" for f in sorted(files - set(entries) - set(failed))]
        problems += [f"manifest lists a file that is gone: {s}" for s in sorted(set(entries) - files)]
    return problems


# --- Word files with real structure (numbering, heading styles), made at test time ---


def sections(programme: str = "海鸥创新券") -> list[tuple[str, str]]:
    """(heading, the sentence under it) of the notice ``policy_docx`` writes."""
    return [
        ("申领对象", f"在慈溪市注册的科技型中小企业可以申领{programme}。"),
        ("申领标准", f"{programme}每家企业每年最多申领5万元。"),
        ("申领流程", f"企业在线提交{programme}申请，经审核后十个工作日内发放。"),
    ]


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def policy_docx(path: Path, headings: str = "typed", programme: str = "海鸥创新券",
                issuer: str = "慈溪市科学技术局") -> Path:
    """A short notice about ``programme`` with three sections 一、二、三
    (``sections``), written as a person would in Word: ``typed`` — the 一、
    typed into the text; ``numbered`` — Word's own 一、二、三 list numbering
    (chineseCounting); ``styled`` — 标题 2 heading style, no numbers at all."""
    import docx
    from docx.oxml import parse_xml

    document = docx.Document()
    document.add_heading(f"关于开展{programme}申领工作的通知（测试用）", level=1)
    num_id = _chinese_list(document) if headings == "numbered" else None
    for i, (heading, sentence) in enumerate(sections(programme)):
        if headings == "typed":
            document.add_paragraph("一二三"[i] + "、" + heading)
        elif headings == "styled":
            document.add_heading(heading, level=2)
        else:
            paragraph = document.add_paragraph(heading)
            paragraph._p.get_or_add_pPr().append(parse_xml(
                f'<w:numPr xmlns:w="{_W}"><w:ilvl w:val="0"/><w:numId w:val="{num_id}"/></w:numPr>'))
        document.add_paragraph(sentence)
    document.add_paragraph(issuer)
    document.add_paragraph("2026年1月5日")
    document.save(path)
    return path


def _chinese_list(document) -> int:
    """Add a numbering definition 一、二、三 (level 0) and return its numId."""
    from docx.oxml import parse_xml

    numbering = document.part.numbering_part.element
    numbering.insert(0, parse_xml(
        f'<w:abstractNum xmlns:w="{_W}" w:abstractNumId="90"><w:lvl w:ilvl="0"><w:start w:val="1"/>'
        '<w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>'
        '</w:abstractNum>'))
    numbering.append(parse_xml(f'<w:num xmlns:w="{_W}" w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    return 90
