"""Command line: ``python -m assistant ask "问题" [--index DIR] [--json]``, and
``python -m assistant verified add|list|export|import …`` (verified_cli.py)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .config import Settings
from .errors import ReasonError


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["verified"]:
        from .verified_cli import main as verified

        return verified(argv[1:])
    settings = Settings()
    parser = argparse.ArgumentParser(prog="python -m assistant", description="慈溪科技创新政策问答")
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="提问")
    ask.add_argument("question")
    ask.add_argument("--index", type=Path, default=settings.index_dir, help="索引目录")
    ask.add_argument("--json", action="store_true", help="输出 JSON")
    ask.add_argument("--issuer", default="", help="按发布单位筛选")
    ask.add_argument("--doc-type", default="", help="按文件类型筛选")
    ask.add_argument("--year-from", type=int, default=None)
    ask.add_argument("--year-to", type=int, default=None)
    sub.add_parser("verified", help="核实答复：add / list / export / import（见 python -m assistant verified -h）")
    args = parser.parse_args(argv)

    from .qa import Assistant
    from .retrieval import Filters

    settings = settings.with_(index_dir=args.index)
    if not settings.manifest_path.exists() and not settings.chroma_host:
        print(f"索引不存在：{args.index}。请先运行 python ingest.py --index {args.index}", file=sys.stderr)
        return 2
    filters = Filters(args.issuer, args.doc_type, args.year_from, args.year_to)
    try:
        answer = Assistant(settings).ask(args.question, filters=filters)
    except ReasonError as exc:
        print(f"无法回答：{exc.reason}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        print(_plain(answer))
    return 0


def _plain(answer) -> str:
    from .render import verified_mark

    lines = [verified_mark(answer), answer.text] if answer.verified else [answer.text]
    if answer.notice:
        lines.append(f"提示：{answer.notice}")
    for c in answer.citations:
        excerpt = "（节选）" if c.is_excerpt else ""
        lines.append(f"[{c.n}] 《{c.title}》{excerpt} {c.issuer} {c.date} {c.section} —— {c.source}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
