"""Ask a running app (``python app.py``) through its ``/ask`` API, so the
command line answers at once instead of loading the model for each question.

Gradio's REST protocol for a named endpoint: ``POST <url>/gradio_api/call/ask``
with ``{"data": [question, issuer, doc_type, year_from, year_to]}`` returns an
event id; ``GET <url>/gradio_api/call/ask/<event_id>`` streams server-sent
events ending in ``event: complete`` with ``data: [result]``. Plain urllib, so
the fast path imports neither gradio_client nor the model stack.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request

from .documents import Answer, Citation
from .errors import ReasonError

CONNECT_TIMEOUT_S = 3.0  # the app answers the POST at once; longer means it is not there
ANSWER_TIMEOUT_S = 300.0  # a busy app queues questions


class AppUnavailable(ReasonError):
    """No app answered at that address, or it answered with an error."""


def ask_app(url: str, question: str, issuer: str = "", doc_type: str = "",
            year_from: int | None = None, year_to: int | None = None) -> dict:
    """The app's answer as JSON (``Answer.to_json()``), or AppUnavailable."""
    base = url.rstrip("/") + "/gradio_api/call/ask"
    payload = json.dumps({"data": [question, issuer, doc_type, year_from or 0, year_to or 0]}).encode()
    request = urllib.request.Request(base, payload, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=CONNECT_TIMEOUT_S) as resp:
            event_id = json.loads(resp.read())["event_id"]
        with urllib.request.urlopen(f"{base}/{event_id}", timeout=ANSWER_TIMEOUT_S) as resp:
            return _complete(resp)
    except urllib.error.HTTPError as exc:
        raise AppUnavailable(f"服务返回 HTTP {exc.code}") from None
    except (OSError, ValueError, KeyError) as exc:  # refused, timed out, not a Gradio app
        raise AppUnavailable(_why(exc)) from None


def _complete(resp) -> dict:
    event = ""
    for raw in resp:
        line = raw.decode("utf-8").rstrip("\n")
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and event in ("complete", "error"):
            data = json.loads(line.split(":", 1)[1])
            if event == "error" or not isinstance(data, list) or not data:
                raise AppUnavailable("服务处理问题时出错")
            return data[0]
    raise AppUnavailable("服务未返回回答")


def _why(exc: Exception) -> str:
    reason = getattr(exc, "reason", None) or exc
    if isinstance(reason, ConnectionRefusedError):
        return "没有服务在运行"
    if isinstance(reason, TimeoutError):
        return "连接超时"
    return f"无法连接：{reason}"


def answer_from_json(data: dict) -> Answer:
    fields = set(Citation.__dataclass_fields__)
    citations = [Citation(**{k: v for k, v in c.items() if k in fields}) for c in data.get("citations", [])]
    return Answer(data.get("question", ""), data.get("answer", ""), citations, bool(data.get("refused")),
                  data.get("mode", "extractive"), data.get("notice", ""), verified=data.get("verified"))
