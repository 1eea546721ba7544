"""`python -m assistant verified …` and `ask --json`'s verified field, run
as real subprocesses against a real tmp index."""
import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import CORPUS, LLM_ENV, ROOT, SEED

from assistant.config import Settings
from assistant.ingestion import ingest

QUESTION = "上林英才项目启动资金怎么申请拨付？"
PARAPHRASE = "上林英才计划的首批启动资金要怎么申请拨下来？"
ANSWER = "首批30%的启动资金在项目正常启动且领军人才全职到岗后可一次性拨付。"
QUOTE = "首批30%的启动资金在项目正常启动且领军人才（团队）全职到岗的情况下可一次性拨付"


def office(root):
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    shutil.copy(CORPUS / SEED, corpus / SEED)
    settings = Settings().with_(corpus_dir=corpus, index_dir=root / "index")
    ingest(corpus, settings=settings)
    return settings


def cli(settings, *args, timeout=300):
    env = {k: v for k, v in os.environ.items() if k not in LLM_ENV}
    env.update(PYTHONIOENCODING="utf-8", ASSISTANT_CORPUS=str(settings.corpus_dir))
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args, "--index", str(settings.index_dir)],
        cwd=ROOT, env=env, capture_output=True, text=True, encoding="utf-8", timeout=timeout,
    )


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return office(tmp_path_factory.mktemp("cli"))


@pytest.fixture(scope="module")
def added(settings):
    """The verified answer added from the command line, and what it printed."""
    result = cli(settings, "verified", "add", "--question", QUESTION, "--answer", ANSWER, "--source", SEED,
                 "--quote", QUOTE, "--by", "王芳")
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def test_add_refuses_a_quote_not_in_the_document_and_an_empty_answer(settings):
    before = cli(settings, "verified", "list").stdout
    wrong = cli(settings, "verified", "add", "--question", QUESTION, "--answer", ANSWER, "--source", SEED,
                "--quote", "首批50%的启动资金可一次性拨付", "--by", "王芳")
    assert wrong.returncode == 2 and wrong.stdout == ""
    assert "引文未在《对市十八届人大一次会议第190号建议的答复》中找到" in wrong.stderr
    empty = cli(settings, "verified", "add", "--question", QUESTION, "--answer", " ", "--source", SEED, "--quote", QUOTE)
    assert empty.returncode == 2 and "答复内容为空" in empty.stderr
    gone = cli(settings, "verified", "add", "--question", QUESTION, "--answer", ANSWER, "--source", "已删除.txt",
               "--quote", QUOTE)
    assert gone.returncode == 2 and "不在文档库中" in gone.stderr
    assert cli(settings, "verified", "list").stdout == before  # nothing saved


def test_add_list_and_ask_json(settings, added):
    assert added.stdout.startswith("已保存核实答复 #") and "王芳" in added.stdout
    listed = cli(settings, "verified", "list")
    assert "已答复\t服务联盟录入\t王芳 · " in listed.stdout and QUESTION in listed.stdout
    everything = cli(settings, "verified", "list", "--all")
    assert "第190号建议" in everything.stdout and "答复文件" in everything.stdout

    served = json.loads(cli(settings, "ask", PARAPHRASE, "--json").stdout)
    assert served["answer"] == ANSWER and served["mode"] == "verified"
    assert served["verified"]["by"] == "王芳" and isinstance(served["verified"]["id"], int) and served["verified"]["at"]
    assert served["citations"][0]["quote"] == QUOTE
    plain = cli(settings, "ask", PARAPHRASE).stdout
    assert plain.startswith("服务联盟核实答复 · 王芳 · ")
    other = json.loads(cli(settings, "ask", "上林英才项目后续资金分几期拨付？", "--json").stdout)
    assert other["verified"] is None


def test_export_then_import_into_a_fresh_index_serves_the_same_answer(settings, added, tmp_path):
    path = tmp_path / "核实答复.jsonl"
    exported = cli(settings, "verified", "export", str(path))
    assert exported.returncode == 0 and "已导出 1 条" in exported.stdout
    fresh = office(tmp_path / "fresh")
    imported = cli(fresh, "verified", "import", str(path), "--by", "李明")
    assert imported.returncode == 0, imported.stderr[-2000:]
    assert "1 条已核实可直接答复" in imported.stdout
    here = json.loads(cli(settings, "ask", PARAPHRASE, "--json").stdout)
    there = json.loads(cli(fresh, "ask", PARAPHRASE, "--json").stdout)
    assert there["answer"] == here["answer"] and there["citations"] == here["citations"]
    assert (there["verified"]["by"], there["verified"]["at"]) == (here["verified"]["by"], here["verified"]["at"])


def test_import_reports_each_citation_that_fails_here(tmp_path):
    settings = office(tmp_path / "office")  # its own: the import adds an item the export test must not see
    line = {"question": "蓝鲸补贴最高多少？", "answer": "最高3万元。",
            "citations": [{"source": SEED, "quote": QUOTE}, {"source": "别处的文件.txt", "quote": "蓝鲸补贴最高3万元"}]}
    path = tmp_path / "other.jsonl"
    path.write_text(json.dumps(line, ensure_ascii=False) + "\n", "utf-8")
    result = cli(settings, "verified", "import", str(path))
    assert result.returncode == 1
    assert "1 条因引文未通过核对转为待复核" in result.stdout
    assert "第 1 行 引文 2（别处的文件.txt）：文件“别处的文件.txt”不在文档库中" in result.stdout
    assert "待复核" in cli(settings, "verified", "list").stdout
