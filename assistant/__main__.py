"""Command line: ``python -m assistant ask "问题" [--url URL | --local] [--index DIR] [--json]``.

A running app (``python app.py``) already holds the model and the index, so
``ask`` puts the question to it through its /ask API and answers at once; the
address is ``--url`` or ASSISTANT_URL (the app's default address unless set).
Without an app there, or with ``--local``, or for an explicit ``--index``
(the app serves its own index), it loads the model and index itself (about
ten seconds). Which of the two answered is said on stderr, in Chinese.

``items`` and ``match`` (support items and matching) are in policy_cli.
``verified add|list|export|import`` (verified answers) are in verified_cli.
``users add|list|remove|passwd`` (agents' accounts) are in users_cli, ``audit``
(the audit log) in audit_cli.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from . import policy_cli
from .config import Settings
from .errors import ReasonError


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["verified"]:
        from .verified_cli import main as verified

        return verified(argv[1:])
    if argv[:1] == ["users"]:
        from .users_cli import main as users

        return users(argv[1:])
    if argv[:1] == ["audit"]:
        from .audit_cli import main as audit

        return audit(argv[1:])
    settings = Settings()
    parser = argparse.ArgumentParser(prog="python -m assistant", description="慈溪科技创新政策问答")
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="提问")
    ask.add_argument("question")
    ask.add_argument("--url", default=None,
                     help=f"正在运行的问答服务地址（默认取 ASSISTANT_URL：{settings.app_url or '未设置'}）；连不上时在本机加载")
    ask.add_argument("--local", action="store_true", help="不使用正在运行的问答服务，在本机加载模型和索引")
    ask.add_argument("--index", type=Path, default=None, help=f"在本机使用的索引目录（默认 {settings.index_dir}）")
    ask.add_argument("--json", action="store_true", help="输出 JSON")
    ask.add_argument("--issuer", default="", help="按发布单位筛选")
    ask.add_argument("--doc-type", default="", help="按文件类型筛选")
    ask.add_argument("--year-from", type=int, default=None)
    ask.add_argument("--year-to", type=int, default=None)
    policy_cli.add_commands(sub, settings)
    sub.add_parser("verified", help="核实答复：add / list / export / import（见 python -m assistant verified -h）")
    sub.add_parser("users", help="服务联盟账号：add / list / remove / passwd（见 python -m assistant users -h）")
    sub.add_parser("audit", help="操作记录（见 python -m assistant audit -h）")
    args = parser.parse_args(argv)
    if args.command != "ask":
        return policy_cli.run(args, settings)

    url = "" if args.local else (args.url or (settings.app_url if args.index is None else ""))
    if url:
        data = _from_app(url, args, started)
        if data is not None:
            _print(data, args.json)
            return 0
    settings = settings.with_(index_dir=args.index or settings.index_dir)
    return _local(settings, args, started)


def _from_app(url: str, args, started: float) -> dict | None:
    from .app_client import AppUnavailable, ask_app

    try:
        data = ask_app(url, args.question, args.issuer, args.doc_type, args.year_from, args.year_to)
    except AppUnavailable as exc:
        print(f"未使用问答服务 {url}：{exc.reason}。改为在本机加载模型和索引（需十秒以上）…", file=sys.stderr)
        return None
    print(f"已由正在运行的问答服务作答：{url}（用时 {time.perf_counter() - started:.2f} 秒）", file=sys.stderr)
    return data


def _local(settings: Settings, args, started: float) -> int:
    from .meta_edits import canonical_issuer
    from .qa import Assistant
    from .retrieval import Filters

    if not settings.manifest_path.exists() and not settings.chroma_host:
        print(f"索引不存在：{settings.index_dir}。请先运行 python ingest.py --index {settings.index_dir}", file=sys.stderr)
        return 2
    filters = Filters(canonical_issuer(settings, args.issuer), args.doc_type, args.year_from, args.year_to)
    try:
        answer = Assistant(settings).ask(args.question, filters=filters)
    except ReasonError as exc:
        print(f"无法回答：{exc.reason}", file=sys.stderr)
        return 2
    print(f"已在本机加载模型和索引作答：{settings.index_dir}（用时 {time.perf_counter() - started:.2f} 秒）", file=sys.stderr)
    _print(answer.to_json(), args.json)
    return 0


def _print(data: dict, as_json: bool) -> None:
    from .app_client import answer_from_json

    print(json.dumps(data, ensure_ascii=False, indent=2) if as_json else _plain(answer_from_json(data)))


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
