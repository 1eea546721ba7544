"""Run a question set through the assistant (and optionally the naive
baseline) and score it.

Each system turns a question into an ``Outcome`` (answer, ranked source
files of its top passages, which citations quote their chunk verbatim,
latency); every metric is then computed the same way for every system.

Metric definitions (denominators in brackets; ``None`` when empty):

* retrieval hit@1 / hit@5 / mrr: rank of the first top-5 passage from an
  expected source file [answerable questions that list expected sources];
* answer.fact_recall: the answer is not refused and its text, whitespace
  removed, contains every expected fact, whitespace removed [answerable];
* answer.citation_valid: the citation's quote is a non-empty verbatim
  substring of its chunk's stored text [all citations of all answers];
* answer.median_chars: median ``len(answer.text)`` [answered questions];
* refusal.accuracy: refused [unanswerable]; refusal.false_rate: refused
  [answerable];
* latency_ms p50 / p95: wall time of one answer [all questions].
"""
from __future__ import annotations

import logging
import re
import statistics
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from assistant.answer import cn_date
from assistant.config import Settings

from .questions import Question, load_questions
from .stats import mean, percentile, share
from .systems import TOP_K, OurSystem, Outcome, System

log = logging.getLogger("evals")


# --- scoring ---------------------------------------------------------------------------


def squash(text: str) -> str:
    """Text with all whitespace (including full-width spaces) removed."""
    return re.sub(r"\s+", "", text)


def facts_found(answer_text: str, facts: Iterable[str]) -> list[str]:
    """The facts the answer states; a date fact (2024-11-25) may be written
    either way (2024年11月25日)."""
    body = squash(answer_text)
    return [f for f in facts if squash(f) in body or _cn_date(f) in body]


def _cn_date(fact: str) -> str:
    return cn_date(fact.strip()) if re.fullmatch(r"\s*\d{4}-\d{1,2}-\d{1,2}\s*", fact) else "\0"


def fact_correct(question: Question, outcome: Outcome) -> bool:
    found = facts_found(outcome.answer.text, question.expected_facts)
    return not outcome.answer.refused and len(found) == len(question.expected_facts)


def source_matches(source: str, expected: Iterable[str]) -> bool:
    """Expected sources are file names; a source may carry a folder."""
    name = Path(source).name
    return any(source == e or name == Path(e).name for e in expected)


def rank_of(sources: Sequence[str], expected: Sequence[str]) -> int | None:
    """1-based rank of the first passage from an expected file, else None."""
    for rank, source in enumerate(sources, start=1):
        if source_matches(source, expected):
            return rank
    return None


def retrieval_metrics(questions: Sequence[Question], outcomes: Sequence[Outcome]) -> dict:
    ranks = [
        rank_of(o.sources, q.expected_sources)
        for q, o in zip(questions, outcomes)
        if q.answerable and q.expected_sources
    ]
    return {
        "hit@1": share([r == 1 for r in ranks]),
        "hit@5": share([r is not None and r <= TOP_K for r in ranks]),
        "mrr": mean([1.0 / r if r else 0.0 for r in ranks]),
    }


def answer_metrics(questions: Sequence[Question], outcomes: Sequence[Outcome]) -> dict:
    answered = [len(o.answer.text) for o in outcomes if not o.answer.refused]
    return {
        "fact_recall": share([fact_correct(q, o) for q, o in zip(questions, outcomes) if q.answerable]),
        "citation_valid": share([v for o in outcomes for v in o.citations_valid]),
        "median_chars": statistics.median(answered) if answered else None,
    }


def refusal_metrics(questions: Sequence[Question], outcomes: Sequence[Outcome]) -> dict:
    pairs = list(zip(questions, outcomes))
    return {
        "accuracy": share([o.answer.refused for q, o in pairs if not q.answerable]),
        "false_rate": share([o.answer.refused for q, o in pairs if q.answerable]),
    }


def latency_metrics(outcomes: Sequence[Outcome]) -> dict:
    times = [o.latency_ms for o in outcomes]
    return {"p50": percentile(times, 50), "p95": percentile(times, 95)}


def metric_blocks(questions: Sequence[Question], outcomes: Sequence[Outcome]) -> dict:
    return {
        "retrieval": retrieval_metrics(questions, outcomes),
        "answer": answer_metrics(questions, outcomes),
        "refusal": refusal_metrics(questions, outcomes),
        "latency_ms": latency_metrics(outcomes),
    }


def kind_metrics(questions: Sequence[Question], outcomes: Sequence[Outcome]) -> dict:
    """Per kind of question: how many, hit@1 and fact recall of the
    answerable ones, and the share refused (for the unanswerable kinds,
    refused is what is wanted)."""
    kinds: dict[str, list[tuple[Question, Outcome]]] = {}
    for q, o in zip(questions, outcomes):
        kinds.setdefault(q.kind or "—", []).append((q, o))
    blocks = {}
    for kind, pairs in sorted(kinds.items()):
        qs, os_ = [q for q, _ in pairs], [o for _, o in pairs]
        blocks[kind] = {
            "n": len(pairs),
            "hit@1": retrieval_metrics(qs, os_)["hit@1"],
            "fact_recall": answer_metrics(qs, os_)["fact_recall"],
            "refused": share([o.answer.refused for o in os_]),
        }
    return blocks


def report_row(question: Question, outcome: Outcome) -> dict:
    answer = outcome.answer
    return {
        "id": question.id,
        "kind": question.kind,
        "question": question.question,
        "answerable": question.answerable,
        "refused": answer.refused,
        "answer": answer.text,
        "expected_sources": question.expected_sources,
        "expected_facts": question.expected_facts,
        "facts_found": facts_found(answer.text, question.expected_facts),
        "rank": rank_of(outcome.sources, question.expected_sources) if question.expected_sources else None,
        "citations": [
            {"n": c.n, "source": c.source, "quote": c.quote, "valid": valid}
            for c, valid in zip(answer.citations, outcome.citations_valid)
        ],
        "latency_ms": round(outcome.latency_ms, 1),
    }


# --- the run ---------------------------------------------------------------------------


def run_system(system: System, questions: Sequence[Question], label: str) -> list[Outcome]:
    outcomes = []
    for i, q in enumerate(questions, start=1):
        outcomes.append(system.run(q.question))
        if i % 10 == 0 or i == len(questions):
            log.info("%s: %d/%d", label, i, len(questions))
    return outcomes


def ensure_index(settings: Settings) -> None:
    """Bring the index up to date with the corpus (incremental, cheap when current)."""
    from assistant.ingestion import ingest

    report = ingest(settings.corpus_dir, settings.index_dir, settings=settings)
    log.info("index: %s", report.summary())
    if report.chunks_total == 0:
        raise RuntimeError(f"index {settings.index_dir} is empty after ingesting {settings.corpus_dir}")


def run_ours(settings: Settings, questions: Sequence[Question]) -> tuple[list[Outcome], str]:
    from assistant.qa import Assistant

    assistant = Assistant(settings)
    system = OurSystem(assistant)
    system.warm_up()
    mode = "llm" if getattr(assistant, "llm", None) is not None else "extractive"
    return run_system(system, questions, "assistant"), mode


def run_baseline(settings: Settings, questions: Sequence[Question]) -> list[Outcome]:
    from .baseline import naive_baseline

    with naive_baseline(settings) as system:
        return run_system(system, questions, "baseline")


def run_eval(
    questions_path: Path | str,
    settings: Settings,
    baseline: bool = False,
    limit: int | None = None,
) -> dict[str, Any]:
    """Evaluate the assistant (and optionally the naive baseline) on a
    question file; returns the report as a JSON-ready dict."""
    questions = load_questions(questions_path, limit)  # fail fast, before any model work
    ensure_index(settings)
    outcomes, mode = run_ours(settings, questions)
    report: dict[str, Any] = {
        "config": {
            "model": settings.embedding_model,
            "index": str(settings.index_dir),
            "corpus": str(settings.corpus_dir),
            "questions": str(questions_path),
            "n": len(questions),
            "answer_mode": mode,
        },
        **metric_blocks(questions, outcomes),
        "by_kind": kind_metrics(questions, outcomes),
        "rows": [report_row(q, o) for q, o in zip(questions, outcomes)],
    }
    if baseline:
        report["baseline"] = metric_blocks(questions, run_baseline(settings, questions))
    return report


# --- the table --------------------------------------------------------------------------

# (label, block, key, decimals)
TABLE_ROWS: list[tuple[str, str, str, int]] = [
    ("检索 hit@1", "retrieval", "hit@1", 3),
    ("检索 hit@5", "retrieval", "hit@5", 3),
    ("检索 MRR", "retrieval", "mrr", 3),
    ("事实召回 fact_recall", "answer", "fact_recall", 3),
    ("引用有效 citation_valid", "answer", "citation_valid", 3),
    ("回答长度中位数（字）", "answer", "median_chars", 0),
    ("拒答准确率 refusal.accuracy", "refusal", "accuracy", 3),
    ("误拒率 refusal.false_rate", "refusal", "false_rate", 3),
    ("延迟 p50 (ms)", "latency_ms", "p50", 1),
    ("延迟 p95 (ms)", "latency_ms", "p95", 1),
]


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int, right: bool = False) -> str:
    space = " " * max(0, width - display_width(text))
    return space + text if right else text + space


def fmt(value: float | None, decimals: int, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.{decimals}f}" if signed else f"{value:.{decimals}f}"


def table_cells(report: dict) -> list[list[str]]:
    base = report.get("baseline")
    header = ["指标", "本系统 ours"] + (["基线 baseline", "Δ"] if base else [])
    rows = [header]
    for label, block, key, decimals in TABLE_ROWS:
        ours = report[block][key]
        cells = [label, fmt(ours, decimals)]
        if base:
            theirs = base[block][key]
            delta = None if ours is None or theirs is None else ours - theirs
            cells += [fmt(theirs, decimals), fmt(delta, decimals, signed=True)]
        rows.append(cells)
    return rows


def kind_cells(report: dict) -> list[list[str]]:
    rows = [["类型 kind", "n", "hit@1", "fact_recall", "refused"]]
    for kind, block in report.get("by_kind", {}).items():
        rows.append([kind, str(block["n"]), fmt(block["hit@1"], 3), fmt(block["fact_recall"], 3), fmt(block["refused"], 3)])
    return rows


def aligned(rows: list[list[str]]) -> list[str]:
    widths = [max(display_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for index, cells in enumerate(rows):
        parts = [pad(c, w, right=i > 0) for i, (c, w) in enumerate(zip(cells, widths))]
        lines.append("  ".join(parts).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def format_table(report: dict) -> str:
    """The metrics as an aligned text table (metrics as rows), then the
    figures per kind of question."""
    config = report["config"]
    title = f"问题 {config['n']} 个 · 模型 {config['model']} · 索引 {config['index']} · 回答模式 {config.get('answer_mode', '')}"
    kinds = aligned(kind_cells(report)) if len(report.get("by_kind", {})) > 1 else []
    return "\n".join([title, *aligned(table_cells(report)), *([""] + kinds if kinds else [])])
