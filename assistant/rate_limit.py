"""Limits that keep one client from taking the machine from everyone else.

* Questions: at most ASSISTANT_QUESTIONS_PER_MINUTE per source address (IPv6
  by /64) in any 60 seconds, chat and ``/ask`` together. Past it the answer
  is a Chinese message with the wait, and no search runs. Kept in memory: a
  restart forgetting a minute of questions costs nothing.
* Uploads: at most ASSISTANT_UPLOADS_PER_HOUR files and
  ASSISTANT_UPLOAD_MB_PER_HOUR megabytes per agent in any hour, counted from
  the audit log's upload rows (so they survive a restart).
"""
from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

from .audit import AuditLog
from .client_address import bucket
from .config import Settings

WINDOW_S = 60.0
UPLOAD_WINDOW_S = 3600.0


class QuestionLimit:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.per_minute, self._clock = per_minute, clock
        self._asked: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._swept = clock()

    def wait(self, address: str) -> float:
        """0 if ``address`` may ask now (the question is counted), else the
        seconds until it may."""
        if self.per_minute <= 0:
            return 0.0
        key, now = bucket(address), self._clock()
        with self._lock:
            self._sweep(now)
            asked = self._asked.setdefault(key, deque())
            while asked and asked[0] <= now - WINDOW_S:
                asked.popleft()
            if len(asked) >= self.per_minute:
                return asked[0] + WINDOW_S - now
            asked.append(now)
            return 0.0

    def message(self, wait: float) -> str:
        return (f"提问过于频繁：每个网络地址每分钟最多提问 {self.per_minute} 次。"
                f"请 {max(1, math.ceil(wait))} 秒后再试。")

    def _sweep(self, now: float) -> None:
        """Forget addresses that asked nothing within the window (at most once a window)."""
        if now - self._swept < WINDOW_S:
            return
        self._swept = now
        for key in [k for k, asked in self._asked.items() if not asked or asked[-1] <= now - WINDOW_S]:
            del self._asked[key]


def upload_refusal(settings: Settings, log: AuditLog, agent: str, sizes: Sequence[int],
                   now: float | None = None) -> str:
    """"" if ``agent`` may upload files of these ``sizes`` now, else why not
    and how long to wait, in Chinese."""
    now = time.time() if now is None else now
    files, budget = settings.uploads_per_hour, settings.upload_bytes_per_hour
    rule = f"每位服务联盟成员每小时最多上传 {files} 个文件、共 {budget / 1e6:g} MB"
    if len(sizes) > files or sum(sizes) > budget:
        return f"上传未进行：本次选择了 {len(sizes)} 个文件、共 {sum(sizes) / 1e6:.1f} MB，超过上限（{rule}）。请分批上传。"
    done = log.events(agent=agent, action="upload", since=now - UPLOAD_WINDOW_S, outcomes=("ok", "failed"))
    count, used = len(done), sum(e.size for e in done)
    if count + len(sizes) <= files and used + sum(sizes) <= budget:
        return ""
    wait = UPLOAD_WINDOW_S
    left_count, left_used = count, used
    for event in done:  # oldest first: when enough of them leave the hour
        left_count, left_used = left_count - 1, left_used - event.size
        if left_count + len(sizes) <= files and left_used + sum(sizes) <= budget:
            wait = event.ts + UPLOAD_WINDOW_S - now
            break
    return (f"上传未进行：已达上传上限（{rule}；过去一小时您已上传 {count} 个文件、共 {used / 1e6:.1f} MB）。"
            f"请 {max(1, math.ceil(wait / 60))} 分钟后再试。")
