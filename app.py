"""Front door of the assistant: bring the index up to date with the corpus
folder (only new or changed files are embedded), then serve the chat page.

    python app.py [--host 127.0.0.1] [--port 7860] [--index DIR]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant.config import Settings


def main(argv: list[str] | None = None) -> int:
    settings = Settings()
    parser = argparse.ArgumentParser(description="慈溪科技创新政策问答助手")
    parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1，仅本机可访问）")
    parser.add_argument("--port", type=int, default=7860, help="端口（默认 7860）")
    parser.add_argument("--index", type=Path, default=settings.index_dir, help="索引目录")
    args = parser.parse_args(argv)
    settings = settings.with_(index_dir=args.index)

    from assistant.errors import ReasonError
    from assistant.ingestion import IngestBusyError, ingest

    try:
        print(ingest(settings.corpus_dir, settings=settings, progress=True).summary(), flush=True)
    except IngestBusyError as exc:  # another process is updating it: serve what is there
        print(exc.reason, flush=True)
    except ReasonError as exc:
        print(f"启动失败：{exc.reason}", file=sys.stderr)
        return 2

    import uvicorn

    from assistant.qa import Assistant
    from assistant.ui import build_app

    print("正在加载模型和索引…", flush=True)
    assistant = Assistant(settings)
    assistant.warm_up()
    app = build_app(settings, assistant)
    print(f"问答页：http://{args.host}:{args.port}/    服务联盟工作台：http://{args.host}:{args.port}/admin/", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
