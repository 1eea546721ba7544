"""Command line: build or update the vector index from the corpus folder.

    python ingest.py [--corpus DIR] [--index DIR] [--rebuild]
"""
from __future__ import annotations

import time

STARTED = time.perf_counter()  # before the heavy imports: 用时 is the whole run

import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from assistant.config import Settings  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    settings = Settings()
    parser = argparse.ArgumentParser(description="把政策文件导入向量索引（增量、可重复执行）")
    parser.add_argument("--corpus", type=Path, default=settings.corpus_dir, help="文档目录")
    parser.add_argument("--index", type=Path, default=settings.index_dir, help="索引目录")
    parser.add_argument("--rebuild", action="store_true", help="清空索引后全部重建")
    args = parser.parse_args(argv)

    from assistant.errors import ReasonError
    from assistant.ingestion import ingest

    try:
        report = ingest(args.corpus, args.index, rebuild=args.rebuild, settings=settings, progress=True)
    except ReasonError as exc:
        print(f"导入失败：{exc.reason}", file=sys.stderr)
        return 2
    report.seconds = time.perf_counter() - STARTED
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
