"""The evaluation harness end to end: the shipped corpus, a real index, the
real assistant and the naive LangChain baseline."""
import json
import subprocess
import sys

import pytest
from conftest import ROOT, SEED

from assistant.config import Settings, documented_settings
from assistant.ingestion import ingest
from evals.harness import facts_found, rank_of, run_eval, squash
from evals.questions import QuestionFormatError, load_questions

QUESTIONS = [
    {
        "id": "a1",
        "question": "2022年慈溪人才发展专项资金预算安排了多少？",
        "answerable": True,
        "expected_sources": [SEED],
        "expected_facts": ["1.3亿元"],
    },
    {
        "id": "a2",
        "question": "上林英才的项目资助后续资金按什么比例分期拨付？",
        "answerable": True,
        "expected_sources": [SEED],
        "expected_facts": ["20%、20%、30%"],
    },
    {
        "id": "u1",
        "question": "慈溪市个人所得税起征点是多少？",
        "answerable": False,
        "expected_sources": [],
        "expected_facts": [],
    },
    {
        "id": "u2",
        "question": "2026年高新技术企业认定奖励标准是多少？",
        "answerable": False,
        "expected_sources": [],
        "expected_facts": [],
    },
]

METRIC_BLOCKS = {
    "retrieval": ["hit@1", "hit@5", "mrr"],
    "answer": ["fact_recall", "citation_valid", "median_chars"],
    "refusal": ["accuracy", "false_rate"],
    "latency_ms": ["p50", "p95"],
}
RATIOS = [("retrieval", k) for k in METRIC_BLOCKS["retrieval"]] + [
    ("answer", "fact_recall"),
    ("answer", "citation_valid"),
    ("refusal", "accuracy"),
    ("refusal", "false_rate"),
]
ROW_KEYS = {
    "id", "kind", "question", "answerable", "refused", "answer", "expected_sources",
    "expected_facts", "facts_found", "rank", "citations", "latency_ms",
}


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    """A real index of the shipped corpus (the shared embedding cache makes
    it fast after the first time), built with every setting at its default:
    chunk sizes, model or HNSW parameters from the environment would
    otherwise change the index the quality gate measures."""
    with pytest.MonkeyPatch.context() as mp:
        for name, _, _ in documented_settings():
            mp.delenv(name, raising=False)
        settings = Settings().with_(index_dir=tmp_path_factory.mktemp("evals") / "index")
    report = ingest(settings.corpus_dir, settings.index_dir, settings=settings)
    assert report.chunks_total > 0 and not report.failed
    return settings


def check_metric_blocks(blocks: dict) -> None:
    for block, keys in METRIC_BLOCKS.items():
        assert set(blocks[block]) == set(keys), block
    for block, key in RATIOS:
        value = blocks[block][key]
        assert isinstance(value, float) and 0.0 <= value <= 1.0, (block, key, value)
    assert blocks["answer"]["median_chars"] > 0
    assert 0 < blocks["latency_ms"]["p50"] <= blocks["latency_ms"]["p95"]


def test_run_eval_reports_every_metric_for_us_and_the_baseline(settings, tmp_path):
    questions = write_jsonl(tmp_path / "q.jsonl", QUESTIONS)
    report = run_eval(questions, settings, baseline=True)

    assert set(report) == {"config", "retrieval", "answer", "refusal", "latency_ms", "by_kind", "rows", "baseline"}
    assert report["config"]["n"] == 4 and report["config"]["model"] == settings.embedding_model
    check_metric_blocks(report)
    check_metric_blocks(report["baseline"])
    assert report["answer"]["citation_valid"] == 1.0
    assert report["baseline"]["answer"]["citation_valid"] == 1.0
    assert report["baseline"]["refusal"] == {"accuracy": 0.0, "false_rate": 0.0}  # never refuses

    rows = report["rows"]
    assert len(rows) == 4 and all(set(r) == ROW_KEYS for r in rows)
    assert [r["id"] for r in rows] == ["a1", "a2", "u1", "u2"]
    # The real assistant answers both answerable questions from the seed
    # reply, ranked first, with the expected figure in the text, and
    # refuses the two the corpus cannot answer; the metrics follow from that.
    for row in rows[:2]:
        assert not row["refused"] and row["rank"] == 1, row
        assert row["facts_found"] == row["expected_facts"] and row["expected_facts"][0] in squash(row["answer"]), row
        assert row["citations"] and row["citations"][0]["source"] == SEED and row["citations"][0]["valid"] is True
    for row in rows[2:]:
        assert row["refused"] and row["facts_found"] == [], row
    assert report["retrieval"] == {"hit@1": 1.0, "hit@5": 1.0, "mrr": 1.0}
    assert report["answer"]["fact_recall"] == 1.0
    assert report["refusal"] == {"accuracy": 1.0, "false_rate": 0.0}
    assert {"n", "source", "quote"} <= set(rows[0]["citations"][0])
    json.dumps(report, ensure_ascii=False)  # JSON-ready


def test_limit_runs_the_first_questions(settings, tmp_path):
    questions = write_jsonl(tmp_path / "q.jsonl", QUESTIONS)
    report = run_eval(questions, settings, limit=1)
    assert report["config"]["n"] == 1 and [r["id"] for r in report["rows"]] == ["a1"]
    assert "baseline" not in report
    assert report["refusal"]["accuracy"] is None  # no unanswerable question among them


@pytest.mark.parametrize(
    "bad_line, problem",
    [
        ('{"id": "x", "question": "问题"', "invalid JSON"),
        ('["not", "an", "object"]', "JSON object"),
        ('{"id": "x", "answerable": true, "expected_sources": [], "expected_facts": []}', "missing field 'question'"),
        ('{"id": "x", "question": "问题", "answerable": "yes", "expected_sources": [], "expected_facts": []}', "'answerable' must be bool"),
        ('{"id": "x", "question": "问题", "answerable": true, "expected_sources": "a.txt", "expected_facts": []}', "'expected_sources' must be list"),
        ('{"id": "a1", "question": "问题", "answerable": false, "expected_sources": [], "expected_facts": []}', "duplicate id"),
    ],
)
def test_malformed_question_file_names_file_and_line(settings, tmp_path, bad_line, problem):
    path = write_jsonl(tmp_path / "bad.jsonl", QUESTIONS[:1])
    with path.open("a", encoding="utf-8") as fh:
        fh.write("\n" + bad_line + "\n")  # a blank line 2 is skipped; the bad one is line 3
    with pytest.raises(QuestionFormatError) as err:
        run_eval(path, settings)
    message = str(err.value)
    assert message.startswith(f"{path}:3:") and problem in message
    assert err.value.line == 3


def test_question_loading_and_scoring_helpers(tmp_path):
    path = write_jsonl(tmp_path / "q.jsonl", QUESTIONS)
    assert [q.id for q in load_questions(path, limit=3)] == ["a1", "a2", "u1"]
    with pytest.raises(QuestionFormatError, match="no questions"):
        load_questions(write_jsonl(tmp_path / "empty.jsonl", []))
    assert squash(" 20%、 20%、\u300030% \n") == "20%、20%、30%"
    assert rank_of(["x.txt", f"sub/{SEED}", SEED], [SEED]) == 2
    assert rank_of(["x.txt"], [SEED]) is None
    # A fact is found only whole (whitespace aside), never in pieces.
    assert facts_found("后续资金按20%、 20%、30%分三期", ["20%、20%、30%", "1.3亿元"]) == ["20%、20%、30%"]
    assert facts_found("后续资金按20%、20%分两期", ["20%、20%、30%"]) == []
    # A date fact is found written either way, and only as that whole date.
    assert facts_found("发布日期为2024年11月25日。", ["2024-11-25", "2024年11月25日"]) == ["2024-11-25", "2024年11月25日"]
    assert facts_found("发布日期为2024年11月2日。", ["2024-11-25"]) == []
    assert facts_found("发布日期为2024年11月25日。", ["2024-11-2"]) == []


def test_cli_writes_the_report(settings, tmp_path):
    out = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, "-m", "evals", "--questions", str(ROOT / "evals" / "questions.jsonl"),
         "--index", str(settings.index_dir), "--limit", "3", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text("utf-8"))
    assert report["config"]["n"] == 3 and len(report["rows"]) == 3
    assert {"retrieval", "answer", "refusal", "latency_ms"} <= set(report) and "baseline" not in report
    assert "hit@1" in result.stdout and "fact_recall" in result.stdout


def test_cli_reports_a_malformed_file_clearly(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "x"}\n', "utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "evals", "--questions", str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 2
    assert f"{path}:1:" in result.stderr and "missing field 'question'" in result.stderr


# The gate on the frozen test split (evals/test.jsonl, written before any
# tuning and never used to choose anything). Each bound sits below the figure
# measured on 2026-12-02 (extractive mode, shipped corpus) by the slack
# written beside it, so that a real regression fails and noise does not.
TEST_GATE = {
    ("retrieval", "hit@1"): (0.961, 0.04),  # about 4 of 102 answerable questions
    ("retrieval", "hit@5"): (0.990, 0.03),
    ("answer", "fact_recall"): (0.931, 0.05),
}
FALSE_REFUSALS = (0.020, 0.04)  # measured, slack upwards: about 4 more of 102
NEAR_REFUSED = (1.000, 0.12)  # 18 of 18; slack: 2 questions
FAR_REFUSED_MIN = 11 / 12  # measured 12 of 12; slack: one question


def test_the_frozen_test_split_meets_its_gate(settings, monkeypatch):
    """The whole test split in extractive mode, with every setting at its
    default (no variable in the environment may move a threshold)."""
    for name, _, _ in documented_settings():
        monkeypatch.delenv(name, raising=False)
    clean = Settings().with_(index_dir=settings.index_dir)
    report = run_eval(ROOT / "evals" / "test.jsonl", clean)
    assert report["config"]["answer_mode"] == "extractive" and report["config"]["n"] >= 120
    for (block, key), (measured, slack) in TEST_GATE.items():
        assert report[block][key] >= measured - slack, (block, key, report[block][key])
    assert report["answer"]["citation_valid"] == 1.0
    assert report["answer"]["median_chars"] <= 300
    assert report["refusal"]["false_rate"] <= FALSE_REFUSALS[0] + FALSE_REFUSALS[1]
    kinds = report["by_kind"]
    assert kinds["unanswerable_near"]["refused"] >= NEAR_REFUSED[0] - NEAR_REFUSED[1]
    assert kinds["unanswerable_far"]["refused"] >= FAR_REFUSED_MIN
