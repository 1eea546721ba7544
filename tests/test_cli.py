"""The command line, run as a real subprocess against a real index."""
import json
import os
import re
import subprocess
import sys

import pytest
from conftest import LLM_ENV, ROOT

DEADLINE_Q = "创新联合体补充申报什么时候截止？"
DEADLINE_SOURCE = "02_cixi_kjj_2025-04-09_chuangxin_lianheti_buchong_shenbao.txt"
DEADLINE_TITLE = "关于组织开展企业创新联合体补充申报的通知"
CITATION_KEYS = {"n", "source", "title", "issuer", "date", "section", "quote", "score"}


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in LLM_ENV}  # extractive mode
    env["PYTHONIOENCODING"] = "utf-8"
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
