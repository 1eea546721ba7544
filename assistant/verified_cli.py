"""Command line for verified answers:

    python -m assistant verified add [--index DIR] --question "…" --answer "…" --source FILE --quote "…" [--by NAME]
    python -m assistant verified list [--index DIR] [--all]
    python -m assistant verified export FILE [--index DIR]
    python -m assistant verified import FILE [--index DIR] [--by NAME]

``add`` checks each quote against the file's text and the answer as the
agents' page does, with the same Chinese messages; ``--source``/``--quote``
may be repeated (one citation per pair). Exit status: 0 done, 1 an import
with citations that failed here (those answers wait for review), 2 nothing
done (the reason on stderr).
"""
from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from . import audit
from .config import Settings
from .errors import ReasonError
from .verification import add_answer, export_jsonl, import_jsonl, keep_in_step, open_book
from .verified import NO_BASIS, ORIGIN_NAMES, VerifiedBook
from .worklist import due_label


def parser(settings: Settings) -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m assistant verified", description="服务联盟核实答复")
    sub = top.add_subparsers(dest="action", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index", type=Path, default=settings.index_dir, help="索引目录")
    common.add_argument("--corpus", type=Path, default=settings.corpus_dir, help="文档目录（核对引文用）")
    add = sub.add_parser("add", parents=[common], help="新增一条核实答复")
    add.add_argument("--question", required=True, help="问题")
    add.add_argument("--answer", required=True, help="答复内容")
    add.add_argument("--source", action="append", default=[], help="引用的文件名（可重复，与 --quote 一一对应）")
    add.add_argument("--quote", action="append", default=[], help="从该文件原文中摘录的一段话")
    add.add_argument("--paraphrase", action="append", default=[], help="同义问法（可重复）")
    add.add_argument("--no-basis", action="store_true", help=NO_BASIS)
    add.add_argument("--contact", default="", help="联系人（人工答复必填）")
    add.add_argument("--by", default=_user(), help="核实人（默认当前系统用户）")
    listing = sub.add_parser("list", parents=[common], help="列出核实答复与待办问题")
    listing.add_argument("--all", action="store_true", help="同时列出由答复文件生成的问题")
    export = sub.add_parser("export", parents=[common], help="导出核实答复为 JSONL")
    export.add_argument("file", type=Path)
    load = sub.add_parser("import", parents=[common], help="导入其他服务站导出的 JSONL")
    load.add_argument("file", type=Path)
    load.add_argument("--by", default=_user(), help="导入人（默认当前系统用户）")
    return top


def main(argv: list[str] | None = None) -> int:
    settings = Settings()
    args = parser(settings).parse_args(argv)
    settings = settings.with_(index_dir=args.index, corpus_dir=args.corpus)
    if not settings.manifest_path.exists():
        print(f"索引不存在：{args.index}。请先运行 python ingest.py --index {args.index}", file=sys.stderr)
        return 2
    book = open_book(settings)
    try:
        keep_in_step(settings, book)
        code = _run(args, settings, book)
    except ReasonError as exc:
        _audit(settings, args, "failed", exc.reason)
        print(f"未完成：{exc.reason}", file=sys.stderr)
        return 2
    _audit(settings, args, "ok" if code == 0 else "failed", "" if code == 0 else "部分引文未通过核对")
    return code


def _audit(settings: Settings, args: argparse.Namespace, outcome: str, detail: str) -> None:
    """Changes made here go to the audit log like the agents' page's."""
    if args.action in ("add", "import"):
        target = f"新增：{args.question}" if args.action == "add" else f"导入 {args.file}"
        audit.record(settings, "verified", target, outcome, detail, agent=args.by, address=audit.CLI_ADDRESS)


def _run(args: argparse.Namespace, settings: Settings, book: VerifiedBook) -> int:
    if args.action == "add":
        if len(args.source) != len(args.quote):
            print("未完成：--source 与 --quote 须成对出现（每条引文一个文件、一段原文）。", file=sys.stderr)
            return 2
        item = add_answer(settings, book, args.question, args.answer, list(zip(args.source, args.quote)), args.by,
                          tuple(args.paraphrase), args.no_basis, args.contact)
        print(f"已保存核实答复 #{item.id}（{item.verified_by} · {item.verified_at}）：{item.question}")
        return 0
    if args.action == "list":
        items = book.items(documents=args.all)
        for item in items:
            due = due_label(item.status, item.due)
            who = f"{item.verified_by} · {item.verified_at}" if item.verified_by else item.assignee
            print(f"#{item.id}\t{item.status}\t{ORIGIN_NAMES.get(item.origin, item.origin)}\t{who}\t{due}\t{item.question}")
        print(f"共 {len(items)} 条；可直接答复 {sum(i.servable for i in items)} 条。")
        return 0
    if args.action == "export":
        text = export_jsonl(book)
        args.file.write_text(text, encoding="utf-8")
        print(f"已导出 {len(text.splitlines())} 条核实答复：{args.file}")
        return 0
    report = import_jsonl(settings, book, args.file, args.by)
    print(report.summary())
    return 1 if report.failures else 0


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "命令行"
