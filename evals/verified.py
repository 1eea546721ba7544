"""Calibrate the served-first threshold on evals/verified_paraphrases.jsonl.

    python -m evals.verified [--pairs FILE] [--index DIR] [--out report.json]

The pairs file (written by hand before the matcher existed) holds rows
{id, verified, question, same, kind}: a verified question and a new
question that asks the same thing (same=true) or only looks like it
(another year, place, programme or attribute). The evaluation is the
chat's: a store holding every distinct verified question, and each new
question served the best-scoring entry at or above the threshold. A
question is served correctly when same=true and it gets its own verified
question; every other serving is a false one (a same=false question served
anything, or a same=true one served another entry).

    precision = correct / served        recall = correct / same=true questions

The threshold is the only fitted number: the best recall among thresholds
that serve no wrong answer on the rows it is chosen on (the highest such
threshold on ties). Asking only precision ≥ 0.95 of those rows lets two
false servings in, and held-out precision falls to 0.93. To measure the
threshold on questions it was not chosen on, the verified questions are
split into folds (all rows of one verified question stay together):
leave-one-verified-question-out, and 200 random halves; the figures pool
the held-out predictions. The threshold
chosen on all rows is what ``ASSISTANT_VERIFIED_THRESHOLD`` defaults to.

As a check on unrelated questions, the dev questions (evals/dev.jsonl) are
asked against the same store, and every one served is listed.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.config import Settings

from .questions import EVALS, load_questions

PAIRS = EVALS / "verified_paraphrases.jsonl"
DEV = EVALS / "dev.jsonl"
TARGET_PRECISION = 1.0


@dataclass(frozen=True)
class Row:
    id: str
    verified: str
    question: str
    same: bool
    kind: str
    entry: int = -1  # the entry it would be served (best score)
    score: float = -1.0
    correct: bool = False  # that entry is its own verified question and same=true


def load_pairs(path: Path = PAIRS) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip() and not line.lstrip().startswith("#"):
                rows.append(json.loads(line))
    return rows


def figures(rows: Sequence[Row], threshold: float) -> dict:
    served = [r for r in rows if r.score >= threshold]
    correct = sum(r.correct for r in served)
    positives = sum(r.same for r in rows)
    return {
        "served": len(served),
        "correct": correct,
        "false": len(served) - correct,
        "precision": correct / len(served) if served else 1.0,
        "recall": correct / positives if positives else 0.0,
    }


def choose_threshold(rows: Sequence[Row], target: float = TARGET_PRECISION) -> float:
    """Best recall with precision ≥ ``target``; the highest such threshold on ties."""
    scores = sorted({r.score for r in rows if r.score > 0})
    cuts = [(a + b) / 2 for a, b in zip(scores, scores[1:])] + [scores[-1] + 1e-6] if scores else [1.0]
    best: tuple[float, float] | None = None
    for cut in cuts:
        f = figures(rows, cut)
        if f["precision"] >= target and (best is None or f["recall"] >= best[0]):
            best = (f["recall"], cut)
    return best[1] if best else 1.0


def held_out(rows: Sequence[Row], folds: list[list[str]]) -> dict:
    """Pooled held-out figures: each fold's rows judged by the threshold
    chosen on the other folds."""
    judged: list[Row] = []
    thresholds = []
    for fold in folds:
        test = [r for r in rows if r.verified in fold]
        threshold = choose_threshold([r for r in rows if r.verified not in fold])
        thresholds.append(threshold)
        judged += [r if r.score >= threshold else _unserved(r) for r in test]
    f = figures(judged, 0.0)
    f["thresholds"] = [round(t, 4) for t in thresholds]
    return f


def _unserved(row: Row) -> Row:
    return Row(row.id, row.verified, row.question, row.same, row.kind)


def score_rows(pairs: list[dict], settings: Settings) -> tuple[list[Row], object, list[str]]:
    from assistant.embedding_cache import EmbeddingCache
    from assistant.qa import Assistant
    from assistant.similar import Matcher

    assistant = Assistant(settings, llm=None)
    assistant.warm_up()
    verified = sorted({p["verified"] for p in pairs})
    matcher = Matcher(assistant.embedder, assistant.keywords, EmbeddingCache(settings.embedding_cache))
    matcher.set_entries([[v] for v in verified])
    rows = []
    for p in pairs:
        top = max(matcher.scores(p["question"]), key=lambda m: m.score)
        own = verified.index(p["verified"])
        rows.append(Row(p["id"], p["verified"], p["question"], bool(p["same"]), p["kind"], top.entry, top.score,
                        bool(p["same"]) and top.entry == own))
    return rows, matcher, verified


def report(pairs_path: Path, settings: Settings, seed: int = 15) -> dict:
    pairs = load_pairs(pairs_path)
    rows, matcher, verified = score_rows(pairs, settings)
    groups = sorted({r.verified for r in rows})
    threshold = choose_threshold(rows)
    rng = random.Random(seed)
    halves = []
    for _ in range(200):
        shuffled = groups[:]
        rng.shuffle(shuffled)
        halves.append(held_out(rows, [shuffled[: len(shuffled) // 2], shuffled[len(shuffled) // 2 :]]))
    dev_served = []
    for q in load_questions(DEV):
        match = matcher.best(q.question, threshold)  # type: ignore[attr-defined]
        if match is not None:
            dev_served.append({"id": q.id, "question": q.question, "served": verified[match.entry],
                               "score": round(match.score, 4)})
    return {
        "pairs": len(rows),
        "positives": sum(r.same for r in rows),
        "verified_questions": len(groups),
        "threshold": round(threshold, 4),
        "chosen_on_all_rows": figures(rows, threshold),
        "leave_one_verified_question_out": held_out(rows, [[g] for g in groups]),
        "random_halves": _summary(halves),
        "dev_questions_served": dev_served,
        "rows": [{**r.__dict__, "score": round(r.score, 4), "served": r.score >= threshold} for r in rows],
    }


def _summary(runs: list[dict]) -> dict:
    def stat(key: str) -> dict:
        values = sorted(run[key] for run in runs)
        return {"mean": round(sum(values) / len(values), 4), "p5": round(values[len(values) // 20], 4)}

    pooled_served = sum(r["served"] for r in runs)
    pooled_correct = sum(r["correct"] for r in runs)
    return {"runs": len(runs), "precision": stat("precision"), "recall": stat("recall"),
            "pooled_precision": round(pooled_correct / pooled_served, 4) if pooled_served else 1.0}


def format_report(data: dict) -> str:
    def line(name: str, f: dict) -> str:
        return (f"{name:<38} precision {f['precision']:.3f}  recall {f['recall']:.3f}"
                f"  (served {f['served']}, correct {f['correct']}, false {f['false']})")

    halves = data["random_halves"]
    lines = [
        f"{data['pairs']} pairs, {data['positives']} same, {data['verified_questions']} verified questions",
        f"threshold chosen on all rows: {data['threshold']}",
        line("in sample (all rows)", data["chosen_on_all_rows"]),
        line("held out: leave one verified question out", data["leave_one_verified_question_out"]),
        f"{'held out: 200 random halves':<38} precision mean {halves['precision']['mean']:.3f} (p5 {halves['precision']['p5']:.3f})"
        f"  recall mean {halves['recall']['mean']:.3f} (p5 {halves['recall']['p5']:.3f})  pooled precision {halves['pooled_precision']:.3f}",
        f"dev questions served a verified answer: {len(data['dev_questions_served'])}",
    ]
    lines += [f"  {d['id']} {d['question']} → {d['served']} ({d['score']})" for d in data["dev_questions_served"]]
    missed = [r for r in data["rows"] if r["same"] and not r["correct"]] + [r for r in data["rows"] if r["served"] and not r["correct"]]
    lines.append("errors at the chosen threshold (missed same=true, then false servings):")
    lines += [f"  {r['id']} {r['kind']:<15} {r['score']:.3f} {r['question']}" for r in missed]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.verified", description="核实答复匹配阈值标定")
    parser.add_argument("--pairs", type=Path, default=PAIRS)
    parser.add_argument("--index", type=Path, help="索引目录（默认在临时目录中用 corpus/ 新建）")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp:
        if args.index:
            settings = settings.with_(index_dir=args.index)
        else:
            from assistant.ingestion import ingest

            settings = settings.with_(index_dir=Path(tmp) / "index")
            ingest(settings.corpus_dir, settings=settings)
        data = report(args.pairs, settings)
    if args.out:
        args.out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(format_report(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
