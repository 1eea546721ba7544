"""Front door of the assistant: make sure the index matches the shipped
corpus, then serve. (The chat UI arrives with its own issue; until then
this prepares the index and answers questions on the command line.)

    python app.py [--index DIR]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant.config import Settings


def main(argv: list[str] | None = None) -> int:
    settings = Settings()
    parser = argparse.ArgumentParser(description="慈溪科技创新政策问答助手")
    parser.add_argument("--index", type=Path, default=settings.index_dir, help="索引目录")
    args = parser.parse_args(argv)

    from assistant.ingestion import ingest

    report = ingest(settings.corpus_dir, args.index, settings=settings, progress=True)
    print(report.summary())
    print(f"索引已就绪：{args.index}。提问：python -m assistant ask \"问题\" --index {args.index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
