"""Command line for the evaluation harness.

    python -m evals --questions FILE [--index DIR] [--out report.json] [--baseline] [--limit N]
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from assistant.config import Settings

from .harness import format_table, run_eval
from .questions import QuestionFormatError


def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive integer")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m evals", description="评测问答助手（可与朴素基线对比）")
    parser.add_argument("--questions", type=Path, required=True, help="JSONL 问题集")
    parser.add_argument("--index", type=Path, help="索引目录（默认取配置）")
    parser.add_argument("--out", type=Path, help="把完整报告写成 JSON 文件")
    parser.add_argument("--baseline", action="store_true", help="同时评测朴素 LangChain 基线")
    parser.add_argument("--limit", type=positive_int, help="只评测前 N 个问题")
    return parser.parse_args(argv)


def show_progress() -> None:
    """Progress of the harness (not of the libraries) on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("evals")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def write_report(report: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    show_progress()
    settings = Settings()
    if args.index:
        settings = settings.with_(index_dir=args.index)

    from assistant.errors import ReasonError

    try:
        report = run_eval(args.questions, settings, baseline=args.baseline, limit=args.limit)
    except ReasonError as exc:
        print(f"评测失败：{exc.reason}", file=sys.stderr)
        return 2
    except (QuestionFormatError, FileNotFoundError) as exc:
        print(f"评测失败：{exc}", file=sys.stderr)
        return 2
    if args.out:
        write_report(report, args.out)
    print(format_table(report))
    if args.out:
        print(f"\n报告：{args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
