"""Command line for the audit log (audit.py):

    python -m assistant audit [--index DIR] [--json] [--since DATE] [--until DATE]
                              [--agent NAME] [--action ACTION] [--check]

Prints the events oldest first, one a line (or a JSON array with ``--json``:
id, time, ts, agent, address, action, target, outcome, detail, size and the
Chinese names of action and outcome). ``--check`` walks the hash chain and
exits 1 if a row was changed or removed behind the app's back.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .audit import ACTIONS, AuditLog, day_start
from .config import Settings
from .errors import ReasonError


def main(argv: list[str] | None = None) -> int:
    settings = Settings()
    top = argparse.ArgumentParser(prog="python -m assistant audit", description="操作记录（登录、上传、删除、修改、核实答复、账号）")
    top.add_argument("--index", type=Path, default=settings.index_dir, help="索引目录")
    top.add_argument("--json", action="store_true", help="输出 JSON")
    top.add_argument("--since", default="", help="起始日期（如 2026-01-05）")
    top.add_argument("--until", default="", help="截止日期（不含，如 2026-02-01）")
    top.add_argument("--agent", default="", help="只看该操作人")
    top.add_argument("--action", default="", choices=["", *ACTIONS], help="只看该操作：" + "、".join(f"{k}（{v}）" for k, v in ACTIONS.items()))
    top.add_argument("--check", action="store_true", help="校验记录链是否完整（有记录被改动或删除时退出码为 1）")
    args = top.parse_args(argv)
    path = settings.with_(index_dir=args.index).audit_db
    if not path.exists():
        print("[]" if args.json else f"尚无操作记录：{path}")
        return 0
    log = AuditLog(path)
    if args.check:
        rows, broken = log.check()
        if broken:
            print(f"操作记录链校验失败：共 {rows} 条，第 {'、'.join(map(str, broken))} 条与前一条衔接不上（记录被改动或删除过）。")
            return 1
        print(f"操作记录完整：共 {rows} 条，链式校验通过。")
        return 0
    try:
        since = day_start(args.since) if args.since else None
        until = day_start(args.until) if args.until else None
    except ReasonError as exc:
        print(f"未完成：{exc.reason}", file=sys.stderr)
        return 2
    events = log.events(agent=args.agent, action=args.action, since=since, until=until)
    if args.json:
        print(json.dumps([e.to_json() for e in events], ensure_ascii=False, indent=2))
    else:
        for event in events:
            print("\t".join(event.row()))
        print(f"共 {len(events)} 条。")
    return 0
