"""政策匹配 against the hand-written profiles of evals/profiles.jsonl.

    python -m evals.profiles [--corpus DIR | --index DIR] [--json]

Items are extracted (from the corpus folder, or read from an index's item
store), annotated with their versions, and the current ones matched to each
profile. Matched items are mapped to gold ids as in ``evals.items`` (source
+ anchor inside the quote); the comparison covers the non-borderline gold
items of current documents (the scope the profiles were written for).

Figures, over all profiles together: precision and recall of 符合, of
可能符合, and of both taken as "shown to the user" (an item expected in
either group and predicted in either), and the share of expected estimates
that are exact to the yuan. Every difference is listed.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.config import PROJECT_ROOT, Settings
from assistant.item_store import DocInfo, SupportItem
from assistant.matcher import ProfileError, match, parse_profile
from assistant.versions import annotate

from .items import extract_corpus, load_gold
from .items import match as gold_pairs

PROFILES = PROJECT_ROOT / "evals" / "profiles.jsonl"


def load_profiles(path: Path = PROFILES) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text("utf-8").splitlines() if line.strip() and not line.startswith("#")]


def _ratio(hit: int, total: int) -> float | None:
    return round(hit / total, 4) if total else None


def score(profiles: list[dict], items: list[SupportItem], docs: list[DocInfo], gold: list[dict]) -> dict:
    annotate(items, docs)
    current = [i for i in items if i.status == "current"]
    in_scope = {g["id"] for g in gold if not g.get("borderline")}
    gold_of = {item.id: gid for gid, item in gold_pairs(gold, items).items() if gid in in_scope}
    counts = {k: [0, 0, 0] for k in ("match", "maybe", "shown")}  # true positives, predicted, expected
    estimates = [0, 0]
    rows = []
    for p in profiles:
        try:
            report = match(parse_profile(p["profile"]), current)
        except ProfileError as exc:
            rows.append({"id": p["id"], "error": exc.reason})
            continue
        got = {g: {gold_of[r.item.id] for r in report.group(g) if r.item.id in gold_of} for g in ("match", "maybe")}
        want = {"match": set(p["expect_match"]), "maybe": set(p["expect_maybe"])}
        got["shown"], want["shown"] = got["match"] | got["maybe"], want["match"] | want["maybe"]
        for key, tally in counts.items():
            tally[0] += len(got[key] & want[key])
            tally[1] += len(got[key])
            tally[2] += len(want[key])
        found = {gold_of[r.item.id]: r.estimate_yuan for r in report.results if r.item.id in gold_of}
        wrong_estimates = {}
        for gid, yuan in p.get("expect_estimates", {}).items():
            estimates[1] += 1
            if found.get(gid) is not None and abs(found[gid] - yuan) < 0.5:
                estimates[0] += 1
            else:
                wrong_estimates[gid] = {"expected": yuan, "got": found.get(gid)}
        row = {
            "id": p["id"],
            "extra_match": sorted(got["match"] - want["match"]),
            "missed_match": sorted(want["match"] - got["match"]),
            "extra_maybe": sorted(got["maybe"] - want["maybe"]),
            "missed_maybe": sorted(want["maybe"] - got["maybe"]),
            "estimates": wrong_estimates,
        }
        if any(row[k] for k in row if k != "id"):
            rows.append(row)
    figures = {
        f"{key}_{name}": _ratio(tp, total)
        for key, (tp, predicted, expected) in counts.items()
        for name, total in (("precision", predicted), ("recall", expected))
    }
    return {
        "profiles": len(profiles),
        **figures,
        "estimates_exact": _ratio(*estimates),
        "estimates_checked": estimates[1],
        "differences": rows,
    }


def format_report(report: dict) -> str:
    lines = [
        f"画像 {report['profiles']} 个",
        f"符合：precision {report['match_precision']}  recall {report['match_recall']}",
        f"可能符合：precision {report['maybe_precision']}  recall {report['maybe_recall']}",
        f"符合或可能符合（展示给用户的条款）：precision {report['shown_precision']}  recall {report['shown_recall']}",
        f"估算金额完全一致：{report['estimates_exact']}（共 {report['estimates_checked']} 项）",
    ]
    if not report["differences"]:
        return "\n".join(lines + ["差异：无"])
    lines.append("差异：")
    for row in report["differences"]:
        lines.append("  " + json.dumps(row, ensure_ascii=False))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.profiles", description="政策匹配评测（对照人工写好的企业画像）")
    parser.add_argument("--corpus", type=Path, help="直接从文档目录抽取（默认：配置的文档目录）")
    parser.add_argument("--index", type=Path, help="改为读取该索引的条款库（items.sqlite）")
    parser.add_argument("--profiles", type=Path, default=PROFILES)
    parser.add_argument("--json", action="store_true", help="输出 JSON")
    args = parser.parse_args(argv)
    settings = Settings()
    if args.index:
        from assistant.versions import load_catalog

        catalog = load_catalog(settings.with_(index_dir=args.index))
        items, docs = catalog.items, catalog.docs
    else:
        items = extract_corpus(args.corpus or settings.corpus_dir)
        docs = list({i.source: i.doc for i in items}.values())
    report = score(load_profiles(args.profiles), items, docs, load_gold())
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else format_report(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
