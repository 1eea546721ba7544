"""A real local HTTP server speaking the OpenAI chat-completions protocol.

Tests point the real client at it instead of mocking the client:

    with ScriptedOpenAIServer(["答复[1]"]) as server:
        client = LLMClient(LLMConfig(base_url=server.base_url, model="test"))
        ...
        server.requests  # parsed JSON bodies the server received
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHAT_PATH = "/v1/chat/completions"


class ScriptedOpenAIServer:
    """Serves ``replies`` in order (the last one repeats) on 127.0.0.1.

    ``status`` other than 200 makes every chat request fail with that HTTP
    status and an OpenAI-style error body; ``delay`` (seconds) is waited
    before answering, to test timeouts; ``chunk_chars`` sets the size of the
    streamed content deltas, and ``chunk_delay`` (seconds) the pause before
    each, so that a client can be seen showing a partial answer.
    """

    def __init__(self, replies: list[str], *, status: int = 200, delay: float = 0.0, chunk_chars: int = 4,
                 chunk_delay: float = 0.0):
        if not replies:
            raise ValueError("at least one scripted reply is needed")
        self.replies = list(replies)
        self.status = status
        self.delay = delay
        self.chunk_chars = chunk_chars
        self.chunk_delay = chunk_delay
        self.requests: list[dict] = []
        self._served = 0
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------

    def __enter__(self) -> ScriptedOpenAIServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="scripted-openai", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    # -- script ------------------------------------------------------------

    def record(self, body: dict) -> str:
        """Store a request body and return the reply it gets."""
        with self._lock:
            self.requests.append(body)
            reply = self.replies[min(self._served, len(self.replies) - 1)]
            self._served += 1
            return reply


def _make_handler(server: ScriptedOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_ChatHandler):
        script = server

    return Handler


class _ChatHandler(BaseHTTPRequestHandler):
    script: ScriptedOpenAIServer
    # HTTP/1.0: the connection closes after each response, which also ends
    # a server-sent event stream without chunked encoding.
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # keep test output clean

    def do_POST(self) -> None:  # noqa: N802
        if self.path.rstrip("/") != CHAT_PATH:
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            self._send_json(400, {"error": {"message": "invalid JSON", "type": "invalid_request_error"}})
            return
        reply = self.script.record(body)
        if self.script.delay:
            time.sleep(self.script.delay)
        try:
            if self.script.status != 200:
                self._send_json(self.script.status, _error_body(self.script.status))
            elif body.get("stream"):
                self._send_stream(body, reply)
            else:
                self._send_json(200, _completion(body, reply))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout tests)

    def _send_json(self, status: int, payload: dict) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_stream(self, body: dict, reply: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        for chunk in _stream_chunks(body, reply, self.script.chunk_chars):
            if self.script.chunk_delay and chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
                time.sleep(self.script.chunk_delay)
            self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


# --------------------------------------------------------------------------
# Protocol payloads


def _usage(body: dict, reply: str) -> dict:
    prompt = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
    return {"prompt_tokens": prompt, "completion_tokens": len(reply), "total_tokens": prompt + len(reply)}


def _completion(body: dict, reply: str) -> dict:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "scripted"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": _usage(body, reply),
    }


def _stream_chunks(body: dict, reply: str, size: int) -> list[dict]:
    base = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", "scripted"),
    }

    def chunk(delta: dict, finish: str | None = None) -> dict:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}

    pieces = [reply[i : i + size] for i in range(0, len(reply), max(1, size))]
    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": piece}) for piece in pieces]
    chunks.append(chunk({}, "stop"))
    if (body.get("stream_options") or {}).get("include_usage"):
        chunks.append({**base, "choices": [], "usage": _usage(body, reply)})
    return chunks


def _error_body(status: int) -> dict:
    return {
        "error": {
            "message": f"scripted failure (HTTP {status})",
            "type": "server_error" if status >= 500 else "invalid_request_error",
            "code": None,
            "param": None,
        }
    }
