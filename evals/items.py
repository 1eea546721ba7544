"""Extraction of support items against the hand-checked gold file.

    python -m evals.items [--corpus DIR | --index DIR] [--gold FILE] [--json]

An extracted item matches a gold item when it comes from the same source
and the gold ``anchor`` (a verbatim piece of the clause) lies inside its
quote; each extracted item matches at most one gold item (the shortest
quote wins). Figures:

* precision: extracted items that match a gold item / all extracted items;
* recall: non-borderline gold items matched / non-borderline gold items
  (``borderline`` gold items — replies restating a rule, non-monetary
  grants — count when found and are not missed when absent);
  ``recall_strict`` counts every gold item;
* exactness of ``amount_yuan``, ``rate``, ``per_unit`` (step, step unit,
  yuan) and ``cap_yuan`` on matched items, each over the matched items;
  agreement on kind, beneficiary, 不完整 and 责任单位 is reported beside.

Every miss (gold not found), every extra (extracted, not in the gold file)
and every field that differs is listed. Items are extracted straight from
the corpus folder by default (no model needed); ``--index`` reads the item
store an ingestion wrote instead.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.config import PROJECT_ROOT, Settings
from assistant.item_store import SupportItem

GOLD = PROJECT_ROOT / "evals" / "items_gold.jsonl"
FIGURES = ("amount_yuan", "rate", "per_unit", "cap_yuan")


def load_gold(path: Path = GOLD) -> list[dict]:
    rows = []
    for line in Path(path).read_text("utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            rows.append(json.loads(line))
    return rows


def extract_corpus(corpus: Path) -> list[SupportItem]:
    from assistant.corpus import corpus_files, read_document
    from assistant.errors import ReasonError
    from assistant.items import extract_items

    found: list[SupportItem] = []
    for source, path in corpus_files(corpus).items():
        try:
            found += extract_items(read_document(path, source))
        except ReasonError:
            continue
    return found


def match(gold: list[dict], items: list[SupportItem]) -> dict[str, SupportItem]:
    """Gold id → the extracted item holding its anchor (one to one)."""
    taken: set[str] = set()
    pairs = {}
    for g in gold:
        candidates = [i for i in items if i.source == g["source"] and g["anchor"] in i.quote and i.id not in taken]
        if candidates:
            best = min(candidates, key=lambda i: len(i.quote))
            pairs[g["id"]] = best
            taken.add(best.id)
    return pairs


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    return a == b


def figure(item: SupportItem, name: str):
    value = getattr(item.benefit, name)
    if name == "per_unit" and value is not None:
        return {"step": value.step, "step_unit": value.step_unit, "yuan": value.yuan}
    return value


def gold_figure(g: dict, name: str):
    value = g.get(name)
    if name == "per_unit" and value is not None:
        return {k: value[k] for k in ("step", "step_unit", "yuan")}
    return value


def figures_equal(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return _same(a, b)


def score(gold: list[dict], items: list[SupportItem]) -> dict:
    pairs = match(gold, items)
    matched_ids = {item.id for item in pairs.values()}
    required = [g for g in gold if not g.get("borderline")]
    extras = [i for i in items if i.id not in matched_ids]
    report: dict = {
        "extracted": len(items),
        "gold": len(gold),
        "gold_required": len(required),
        "matched": len(pairs),
        "precision": round(len(matched_ids) / len(items), 4) if items else None,
        "recall": round(sum(g["id"] in pairs for g in required) / len(required), 4) if required else None,
        "recall_strict": round(len(pairs) / len(gold), 4) if gold else None,
        "exact": {},
        "agreement": {},
        "misses": [
            {"id": g["id"], "source": g["source"], "anchor": g["anchor"], "borderline": bool(g.get("borderline"))}
            for g in gold if g["id"] not in pairs
        ],
        "extras": [{"id": i.id, "source": i.source, "quote": i.quote} for i in extras],
        "differences": [],
    }
    by_id = {g["id"]: g for g in gold}
    checks = {name: (lambda i, n=name: figure(i, n), lambda g, n=name: gold_figure(g, n)) for name in FIGURES}
    others = {
        "benefit_kind": (lambda i: i.benefit.kind, lambda g: g.get("benefit_kind")),
        "beneficiary": (lambda i: i.beneficiary, lambda g: g.get("beneficiary")),
        "incomplete": (lambda i: i.incomplete, lambda g: g.get("incomplete")),
        "responsible_unit": (lambda i: i.responsible_unit, lambda g: g.get("responsible_unit")),
        "tiered": (lambda i: i.benefit.tiered, lambda g: g.get("tiered")),
    }
    for block, table in (("exact", checks), ("agreement", others)):
        for name, (ours, theirs) in table.items():
            same = 0
            for gid, item in pairs.items():
                mine, want = ours(item), theirs(by_id[gid])
                if figures_equal(mine, want):
                    same += 1
                else:
                    report["differences"].append({"id": gid, "field": name, "gold": want, "extracted": mine})
            report[block][name] = round(same / len(pairs), 4) if pairs else None
    return report


def format_report(report: dict) -> str:
    lines = [
        f"抽取条款 {report['extracted']} 条；金标准 {report['gold']} 条（其中必需 {report['gold_required']} 条）；匹配 {report['matched']} 条",
        f"precision {report['precision']}  recall {report['recall']}  recall（含边界条目）{report['recall_strict']}",
        "金额/比例/单位金额/上限完全一致：" + "  ".join(f"{k} {v}" for k, v in report["exact"].items()),
        "其他字段一致：" + "  ".join(f"{k} {v}" for k, v in report["agreement"].items()),
    ]
    lines += ["未抽到（漏抽）："] + [
        f"  {m['id']} {m['source']} “{m['anchor']}”" + ("（边界条目）" if m["borderline"] else "") for m in report["misses"]
    ] if report["misses"] else ["未抽到（漏抽）：无"]
    lines += ["金标准之外（多抽）："] + [f"  {e['source']} “{e['quote'][:60]}”" for e in report["extras"]] if report[
        "extras"] else ["金标准之外（多抽）：无"]
    lines += ["字段不一致："] + [
        f"  {d['id']} {d['field']}: 金标准 {d['gold']!r} / 抽取 {d['extracted']!r}" for d in report["differences"]
    ] if report["differences"] else ["字段不一致：无"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.items", description="扶持条款抽取评测（对照人工核对的金标准）")
    parser.add_argument("--corpus", type=Path, help="直接从文档目录抽取（默认：配置的文档目录）")
    parser.add_argument("--index", type=Path, help="改为读取该索引的条款库（items.sqlite）")
    parser.add_argument("--gold", type=Path, default=GOLD)
    parser.add_argument("--json", action="store_true", help="输出 JSON")
    args = parser.parse_args(argv)
    settings = Settings()
    if args.index:
        from assistant.items import load_items

        items = load_items(settings.with_(index_dir=args.index))
    else:
        items = extract_corpus(args.corpus or settings.corpus_dir)
    report = score(load_gold(args.gold), items)
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else format_report(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
