"""The command line, run as a real subprocess against a real index."""
import json
import os
import re
import subprocess
import sys
import time

import pytest
from conftest import LLM_ENV, ROOT, free_port, serve_app

DEADLINE_Q = "创新联合体补充申报什么时候截止？"
DEADLINE_SOURCE = "02_cixi_kjj_2025-04-09_chuangxin_lianheti_buchong_shenbao.txt"
DEADLINE_TITLE = "关于组织开展企业创新联合体补充申报的通知"
CITATION_KEYS = {"n", "source", "title", "issuer", "date", "section", "quote", "score"}


def run_cli(*args: str, timeout: float = 300, **env_extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in LLM_ENV}  # extractive mode
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def index_dir(index_settings):
    return str(index_settings.index_dir)


def test_ask_json(index_dir):
    result = run_cli("ask", DEADLINE_Q, "--index", index_dir, "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads(result.stdout)
    assert {"answer", "refused", "citations"} <= set(data)
    assert data["refused"] is False
    assert "2025年5月8日" in data["answer"]
    assert data["citations"]
    for c in data["citations"]:
        assert CITATION_KEYS <= set(c), set(c)
        assert f"[{c['n']}]" in data["answer"]
        assert c["quote"] and isinstance(c["score"], (int, float))
    first = data["citations"][0]
    assert first["n"] == 1
    assert first["source"] == DEADLINE_SOURCE
    assert first["title"] == DEADLINE_TITLE
    assert first["issuer"] == "慈溪市科学技术局" and first["date"] == "2025-04-09"
    assert "2025年5月8日" in first["quote"]


def test_ask_plain(index_dir):
    result = run_cli("ask", DEADLINE_Q, "--index", index_dir)
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "2025年5月8日" in out
    assert "[1]" in out
    assert DEADLINE_TITLE in out
    assert re.search(r"^\[1\] .*" + re.escape(DEADLINE_TITLE), out, re.M)
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


def test_missing_index_exits_2_with_a_chinese_message(tmp_path):
    missing = tmp_path / "no-such-index"
    result = run_cli("ask", DEADLINE_Q, "--index", str(missing), timeout=120)
    assert result.returncode == 2
    assert result.stdout.strip() == ""
    assert "索引不存在" in result.stderr
    assert str(missing) in result.stderr
    assert re.search(r"[\u4e00-\u9fff]", result.stderr)
    assert not missing.exists()  # a typo must not leave an empty index behind


# ---------------------------------------------------------------- through a running app


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with serve_app(tmp_path_factory.mktemp("cli-app")) as running:
        yield running


def test_ask_uses_a_running_app_and_says_so(app):
    started = time.perf_counter()
    result = run_cli("ask", DEADLINE_Q, "--url", app.url + "/", "--json")
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"已由正在运行的问答服务作答：{app.url}/" in result.stderr
    data = json.loads(result.stdout)
    assert "2025年5月8日" in data["answer"] and data["citations"][0]["source"] == DEADLINE_SOURCE
    print(f"\n[cli] through the app: {elapsed:.2f} s (whole process)")


def test_ask_finds_the_app_through_assistant_url(app):
    result = run_cli("ask", DEADLINE_Q, ASSISTANT_URL=app.url)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "已由正在运行的问答服务作答" in result.stderr
    assert re.search(r"^\[1\] .*" + re.escape(DEADLINE_TITLE), result.stdout, re.M)


def test_without_an_app_it_falls_back_to_loading_locally(index_dir):
    nobody = f"http://127.0.0.1:{free_port()}/"
    started = time.perf_counter()
    result = run_cli("ask", DEADLINE_Q, "--url", nobody, "--index", index_dir, "--json")
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"未使用问答服务 {nobody}：没有服务在运行。改为在本机加载模型和索引" in result.stderr
    assert f"已在本机加载模型和索引作答：{index_dir}" in result.stderr
    assert "2025年5月8日" in json.loads(result.stdout)["answer"]
    print(f"\n[cli] loading locally: {elapsed:.2f} s (whole process)")


def test_an_explicit_index_is_answered_locally_without_asking_any_app(index_dir):
    result = run_cli("ask", DEADLINE_Q, "--index", index_dir, ASSISTANT_URL="http://127.0.0.1:9/")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "未使用问答服务" not in result.stderr and "已在本机加载模型和索引作答" in result.stderr


# ---------------------------------------------------------------- filters

RD_Q = "研发投入有什么奖励？"  # answered from documents of 2018, 2023 and 2026 depending on the filters


def test_filters_narrow_the_sources_through_the_app(app):
    """Each filter option, through a running app (fast): unfiltered the answer
    cites a 2023 document of 慈溪市科学技术局; each filter still gets an answer,
    from the documents it allows only."""
    def ask(*filters: str) -> dict:
        result = run_cli("ask", RD_Q, "--url", app.url + "/", "--json", *filters)
        assert result.returncode == 0, result.stderr[-2000:]
        data = json.loads(result.stdout)
        assert not data["refused"] and data["citations"], data
        return data

    unfiltered = ask()
    assert any(c["date"].startswith("2023") for c in unfiltered["citations"])
    recent = ask("--year-from", "2025", "--year-to", "2026")
    assert {c["date"][:4] for c in recent["citations"]} <= {"2025", "2026"}
    upto = ask("--year-to", "2018")
    assert {int(c["date"][:4]) for c in upto["citations"]} <= set(range(2000, 2019))
    office = ask("--issuer", "慈溪市人民政府办公室")
    assert {c["issuer"] for c in office["citations"]} == {"慈溪市人民政府办公室"}
    policy = ask("--doc-type", "政策文件")
    assert {c["source"] for c in policy["citations"]} <= POLICY_FILES


def test_filters_narrow_the_sources_when_answering_locally(index_dir):
    result = run_cli("ask", RD_Q, "--index", index_dir, "--json", "--year-from", "2025")
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads(result.stdout)
    assert not data["refused"] and data["citations"]
    assert {c["date"][:4] for c in data["citations"]} <= {"2025", "2026"}


def _policy_files() -> set[str]:
    """Files whose front matter or layout makes them 政策文件, read here from the corpus."""
    from conftest import CORPUS

    from assistant.corpus import read_document

    return {p.name for p in CORPUS.iterdir() if read_document(p, p.name).meta.doc_type == "政策文件"}


POLICY_FILES = _policy_files()
