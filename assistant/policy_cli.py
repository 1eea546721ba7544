"""The command lines of the item catalog and the matcher:

    python -m assistant items [--index DIR] [--current] [--json]
    python -m assistant match profile.json [--index DIR] [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .config import Settings
from .item_store import benefit_text
from .matcher import GROUPS, LABELS, ProfileError, match, parse_profile
from .versions import item_json, load_catalog

MARKS = {"met": "✓ 满足", "not_met": "✗ 不满足", "unknown": "？ 待补充"}


def add_commands(sub, settings: Settings) -> None:
    items = sub.add_parser("items", help="列出扶持条款（政策清单）")
    items.add_argument("--index", type=Path, default=settings.index_dir, help="索引目录")
    items.add_argument("--current", action="store_true", help="只列现行条款（不含已被替代或失效的）")
    items.add_argument("--json", action="store_true", help="输出 JSON")
    matching = sub.add_parser("match", help="按企业画像匹配扶持条款（政策匹配）")
    matching.add_argument("profile", type=Path, help="企业画像 JSON 文件（字段见 README）")
    matching.add_argument("--index", type=Path, default=settings.index_dir, help="索引目录")
    matching.add_argument("--json", action="store_true", help="输出 JSON")


def run(args: argparse.Namespace, settings: Settings) -> int:
    settings = settings.with_(index_dir=args.index)
    if not settings.items_db.exists():
        print(f"条款库不存在：{args.index}。请先运行 python ingest.py --index {args.index}", file=sys.stderr)
        return 2
    catalog = load_catalog(settings)
    if args.command == "items":
        chosen = catalog.current if args.current else catalog.items
        if args.json:
            print(json.dumps([item_json(i) for i in chosen], ensure_ascii=False, indent=2))
        else:
            print("\n\n".join(_item_text(i) for i in chosen) or "没有扶持条款。")
        return 0
    try:
        data = json.loads(args.profile.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        print(f"无法读取企业画像文件：{exc}", file=sys.stderr)
        return 2
    except json.JSONDecodeError as exc:
        print(f"企业画像文件不是有效的 JSON（第 {exc.lineno} 行）", file=sys.stderr)
        return 2
    try:
        profile = parse_profile(data if isinstance(data, dict) else {"企业画像": data})
    except ProfileError as exc:
        print("企业画像有误：\n" + "\n".join(f"  {LABELS.get(k, k)}（{k}）：{v}" for k, v in exc.errors.items()), file=sys.stderr)
        return 2
    report = match(profile, catalog.current)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        print(_match_text(report))
    return 0


def _item_text(item) -> str:
    status = {"current": "现行", "expired": "已失效"}.get(item.status, "")
    if item.superseded_by:
        status = f"已被《{item.superseded_by['title']}》替代"
    lines = [f"[{status}] {item.title or '（无标题）'} —— 《{item.doc.name}》{item.doc.issuer} {item.doc.date}"]
    lines.append(f"  扶持对象：{item.beneficiary}；类别：{item.benefit.kind or '不详'}；{benefit_text(item.benefit) or '金额未列明'}")
    lines += [f"  条件：{c.text}" for c in item.conditions]
    if item.responsible_unit:
        lines.append(f"  责任单位：{item.responsible_unit}")
    if item.incomplete:
        lines.append("  不完整：节选在此截断")
    lines += [f"  变化：{c['field']} {c['old']} → {c['new']}" for c in item.changes]
    lines.append(f"  原文：{item.quote.strip()}  （{item.source}）")
    return "\n".join(lines)


def _match_text(report) -> str:
    lines = []
    for group, name in GROUPS.items():
        results = report.group(group)
        lines.append(f"== {name}（{len(results)} 条）")
        for r in results:
            lines.append(f"{r.label}：{r.item.title or '（无标题）'} —— 《{r.item.doc.name}》{r.item.doc.date}")
            lines += [f"    {MARKS[c.status]} {c.text}（{c.reason}）" for c in r.checks]
            if r.estimate_yuan is not None:
                lines.append(f"    估算{'（最高）' if r.upper_bound else ''}：{r.arithmetic}")
            lines.append(f"    原文：{r.item.quote.strip()}")
    return "\n".join(lines)
