"""Fit the answer pipeline's two models on the dev questions, report their
cross-validated figures per kind of question, and write their parameters.

    python -m evals.fit_decision [--questions evals/dev.jsonl] [--index DIR] [--folds 5] [--write] [--dump FILE]

Every dev question is read, embedded and searched once (``Assistant.gather``).
Then, fold by fold:

1. the sentence model (which sentence answers) is fitted on the candidate
   sentences of the other folds' questions (label: it holds an expected fact);
2. with it, every question is answered by a pipeline that answers
   everything, recording the evidence and whether the answer holds its facts;
3. the answerability model is fitted on the other folds' evidence (label:
   the question is answerable), its threshold chosen by an inner
   cross-validation on those folds only;
4. the fold's own questions are then answered and decided by these models,
   which never saw them.

So every dev figure printed is cross-validated. ``--write`` then fits both
models on all dev questions, with the threshold their cross-validation
chose, and stores them in assistant/decision.json. The test split is never
read here.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.config import Settings
from assistant.decision import EVIDENCE_FEATURES, PARAMS, SENTENCE_FEATURES, Evidence, LinearModel, Models

from .harness import ensure_index, fact_correct, squash
from .questions import EVALS, Question, load_questions
from .stats import share
from .systems import Outcome

log = logging.getLogger("evals")


@dataclass
class Case:
    question: Question
    gathered: object  # assistant.qa.Gathered, or an Answer when nothing was searched
    sentence_x: list[list[float]]  # features of each candidate sentence
    sentence_y: list[int]  # 1 when that sentence holds an expected fact


@dataclass
class Result:
    evidence: Evidence | None  # None: decided before the answerability model
    refused: bool  # refused whatever that model says (constraints, metadata, nothing found)
    correct: bool  # answered with every expected fact


def gather_all(assistant, questions: list[Question]) -> list[Case]:
    from assistant.answer import Candidates, context_of, facets, reported_years

    cases = []
    for i, q in enumerate(questions, start=1):
        g = assistant.gather(q.question)
        xs, ys = [], []
        if not isinstance(g, type(None)) and hasattr(g, "sentences"):
            top = g.top
            known = [w for w in g.words if assistant.keywords.known(w)]
            found = Candidates(facets(g.reading, known, assistant.keywords.idf),
                               {r: context_of(p) for r, p in enumerate(top)}, g.sentences, reported_years(g.reading, top))
            facts = [squash(f) for f in q.expected_facts]
            for s in g.sentences:
                xs.append(found.features(s, top[s.passage_rank]))
                ys.append(int(any(f in squash(s.text) for f in facts)))
        cases.append(Case(q, g, xs, ys))
        if i % 40 == 0:
            log.info("gathered %d/%d", i, len(questions))
    return cases


def fit_linear(x: np.ndarray, y: np.ndarray, features: list[str], balanced: bool, c: float = 1.0) -> LinearModel:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    regression = LogisticRegression(C=c, class_weight="balanced" if balanced else None, max_iter=2000)
    regression.fit((x - scaler.mean_) / scale, y)
    return LinearModel(features, [float(v) for v in scaler.mean_], [float(v) for v in scale],
                       [float(v) for v in regression.coef_[0]], float(regression.intercept_[0]))


def sentence_model(cases: list[Case]) -> LinearModel:
    rows = [(x, y) for c in cases if c.question.answerable for x, y in zip(c.sentence_x, c.sentence_y)]
    x = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows])
    return fit_linear(x, y, SENTENCE_FEATURES, balanced=False)


def permissive(sentence: LinearModel) -> Models:
    n = len(EVIDENCE_FEATURES)
    return Models(sentence, LinearModel(EVIDENCE_FEATURES, [0.0] * n, [1.0] * n, [0.0] * n, 0.0), 0.0)


def answer_all(assistant, cases: list[Case], models: Models) -> list[Result]:
    results = []
    for c in cases:
        if hasattr(c.gathered, "sentences"):
            answer, evidence = assistant.answer_from(c.gathered, models)
        else:
            answer, evidence = c.gathered, None
        correct = c.question.answerable and fact_correct(c.question, Outcome(answer, [], [], 0.0))
        results.append(Result(evidence, answer.refused, correct))
    return results


def _right(case: Case, result: Result, answers: bool) -> bool:
    """Answered when answerable, refused when not: what the decision is for
    (whether the answer holds its facts is the sentence choice's job)."""
    refused = result.refused or not answers
    return not refused if case.question.answerable else refused


EVIDENCE_C = 10.0  # the answerability model's L2 strength (sklearn C): chosen on dev CV (540) among 0.03, 0.1, 0.3, 1, 3, 10, 30
UNANSWERABLE_COST = 3  # answering an out-of-scope question costs as much as refusing this many answerable ones


def best_threshold(probabilities: list[float], cases: list[Case], results: list[Result]) -> float:
    """The threshold whose decisions cost least: a refused answerable
    question costs 1, an answered unanswerable one UNANSWERABLE_COST (a
    confident wrong answer misleads; a refusal sends the user to an agent);
    ties go to the lower threshold, which refuses less."""
    candidates = sorted(set(np.round(probabilities, 4)) | {0.5})

    def cost(t: float) -> float:
        return sum((1 if c.question.answerable else UNANSWERABLE_COST) * (not _right(c, r, p >= t))
                   for c, r, p in zip(cases, results, probabilities))

    return float(min(candidates, key=lambda t: (cost(t), t)))


def decided(cases: list[Case], results: list[Result]) -> tuple[list[Case], list[Result]]:
    pairs = [(c, r) for c, r in zip(cases, results) if r.evidence is not None]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def answerable_model(cases: list[Case], results: list[Result], folds: int) -> tuple[LinearModel, float]:
    """The answerability model on ``cases`` and its threshold, chosen by a
    cross-validation within them."""
    from sklearn.model_selection import StratifiedKFold

    cs, rs = decided(cases, results)
    # Near misses look answerable by design; the understanding checks
    # (constraints) refuse them. This model learns what is out of scope.
    pairs = [(c, r) for c, r in zip(cs, rs) if c.question.kind != "unanswerable_near"]
    cs, rs = [p[0] for p in pairs], [p[1] for p in pairs]
    x = np.array([r.evidence.vector() for r in rs])
    y = np.array([int(c.question.answerable) for c in cs])
    oof = np.zeros(len(y))
    for train, held in StratifiedKFold(folds, shuffle=True, random_state=0).split(x, y):
        model = fit_linear(x[train], y[train], EVIDENCE_FEATURES, balanced=True, c=EVIDENCE_C)
        oof[held] = [model.probability(list(v)) for v in x[held]]
    threshold = best_threshold(list(oof), cs, rs)
    return fit_linear(x, y, EVIDENCE_FEATURES, balanced=True, c=EVIDENCE_C), threshold


def cross_validated(assistant, cases: list[Case], folds: int) -> list[tuple[Result, bool]]:
    """For each case: its result and whether the decision answers it, both
    by models that never saw it."""
    from sklearn.model_selection import StratifiedKFold

    y = np.array([int(c.question.answerable) for c in cases])
    out: list[tuple[Result, bool]] = [None] * len(cases)  # type: ignore[list-item]
    for k, (train, held) in enumerate(StratifiedKFold(folds, shuffle=True, random_state=1).split(y, y), start=1):
        train_cases = [cases[i] for i in train]
        sentence = sentence_model(train_cases)
        results = answer_all(assistant, cases, permissive(sentence))
        model, threshold = answerable_model(train_cases, [results[i] for i in train], folds)
        for i in held:
            r = results[i]
            answers = r.evidence is None or model.probability(r.evidence.vector()) >= threshold
            out[i] = (r, answers)
        log.info("fold %d/%d done", k, folds)
    return out


def figures(cases: list[Case], decided_: list[tuple[Result, bool]]) -> dict:
    def block(group: list[tuple[Case, Result, bool]]) -> dict:
        refused = [(c, r.refused or not a, r) for c, r, a in group]
        return {
            "n": len(group),
            "false_refusal": share([f for c, f, _ in refused if c.question.answerable]),
            "fact_recall": share([r.correct and not f for c, f, r in refused if c.question.answerable]),
            "refused_unanswerable": share([f for c, f, _ in refused if not c.question.answerable]),
        }

    rows = [(c, r, a) for c, (r, a) in zip(cases, decided_)]
    kinds = sorted({c.question.kind for c in cases})
    return {"all": block(rows), **{k: block([row for row in rows if row[0].question.kind == k]) for k in kinds}}


def format_figures(report: dict) -> str:
    lines = [f"{'kind':18} {'n':>4} {'false_refusal':>14} {'fact_recall':>12} {'refused_unans':>14}"]
    for kind, b in report.items():
        cells = [b["false_refusal"], b["fact_recall"], b["refused_unanswerable"]]
        shown = ["—" if v is None else f"{v:.3f}" for v in cells]
        lines.append(f"{kind:18} {b['n']:>4} {shown[0]:>14} {shown[1]:>12} {shown[2]:>14}")
    return "\n".join(lines)


def write_params(assistant, cases: list[Case], folds: int, report: dict) -> None:
    sentence = sentence_model(cases)
    results = answer_all(assistant, cases, permissive(sentence))
    model, threshold = answerable_model(cases, results, folds)
    params = {
        "sentence": sentence.to_json(),
        "answerable": model.to_json(),
        "threshold": round(threshold, 4),
        "fitted_on": "evals/dev.jsonl",
        "fitted": dt.date.today().isoformat(),
        "questions": len(cases),
        "cross_validated_dev": report,
    }
    PARAMS.write_text(json.dumps(params, ensure_ascii=False, indent=1) + "\n", "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.fit_decision", description="拟合选句模型和回答/拒答判定（只用开发集）")
    parser.add_argument("--questions", type=Path, default=EVALS / "dev.jsonl")
    parser.add_argument("--index", type=Path)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="把在全部开发集上拟合的参数写入 assistant/decision.json")
    parser.add_argument("--dump", type=Path, help="把每个问题的交叉验证结果写成 JSON（供分析）")
    args = parser.parse_args(argv)
    if args.questions.name.startswith("test"):
        print("拒绝：测试集不能用于拟合或选择阈值。", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    from assistant.qa import Assistant

    settings = Settings() if args.index is None else Settings().with_(index_dir=args.index)
    ensure_index(settings)
    blank = LinearModel(SENTENCE_FEATURES, [0.0] * len(SENTENCE_FEATURES), [1.0] * len(SENTENCE_FEATURES),
                        [0.0] * len(SENTENCE_FEATURES), 0.0)
    assistant = Assistant(settings, llm=None, models=permissive(blank))  # gathering uses no model
    assistant.warm_up()
    cases = gather_all(assistant, load_questions(args.questions))
    outcome = cross_validated(assistant, cases, args.folds)
    report = figures(cases, outcome)
    print("开发集交叉验证（每折的两个模型和阈值都没见过该折的问题）：")
    print(format_figures(report))
    if args.dump:
        rows = [{"id": c.question.id, "kind": c.question.kind, "question": c.question.question,
                 "answerable": c.question.answerable, "refused": r.refused or not a, "correct": r.correct,
                 "evidence": r.evidence.to_json() if r.evidence else None} for c, (r, a) in zip(cases, outcome)]
        args.dump.write_text(json.dumps(rows, ensure_ascii=False, indent=1), "utf-8")
    if args.write:
        write_params(assistant, cases, args.folds, report)
        print(f"\n已写入 {PARAMS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
