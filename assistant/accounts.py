"""The service-alliance agents' login: password check with a lockout.

Gradio calls the check with only a name and a password, inside its event
loop, so it cannot slow a guesser down by sleeping. Instead a name that
fails ``MAX_FAILURES`` times within ``WINDOW_S`` seconds is locked for
``LOCK_S`` seconds, during which even the right password is refused. Names
that are not accounts are counted the same way, so a guesser learns
nothing about which names exist.
"""
from __future__ import annotations

import hmac
import logging
import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

MAX_FAILURES = 5
WINDOW_S = 600.0
LOCK_S = 600.0
LOGIN_HINT = f"连续输错密码 {MAX_FAILURES} 次，该账号将被锁定 {int(LOCK_S // 60)} 分钟。"

log = logging.getLogger(__name__)


class AgentLogin:
    def __init__(self, users: tuple[tuple[str, str], ...], clock: Callable[[], float] = time.monotonic):
        self._users = dict(users)
        self._clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def __call__(self, name: str, password: str) -> bool:
        with self._lock:
            now = self._clock()
            if self._locked_until.get(name, 0.0) > now:
                log.warning("登录被拒：账号 %r 已锁定", name)
                return False
            if self._matches(name, password):
                self._failures.pop(name, None)
                return True
            self._fail(name, now)
            return False

    def refusal(self, name: str) -> str:
        """Why a login as ``name`` is refused now, for the login page: the
        lock and the minutes left, or the attempts left before one."""
        with self._lock:
            now = self._clock()
            left = self._locked_until.get(name, 0.0) - now
            if left > 0:
                return (f"该账号已被锁定：连续输错密码 {MAX_FAILURES} 次。"
                        f"请 {math.ceil(left / 60)} 分钟后再试，或联系管理员。")
            recent = sum(1 for t in self._failures.get(name, ()) if t > now - WINDOW_S)
        return f"账号或密码不正确。再输错 {MAX_FAILURES - recent} 次，该账号将被锁定 {int(LOCK_S // 60)} 分钟。"

    def _matches(self, name: str, password: str) -> bool:
        expected = self._users.get(name)
        return expected is not None and hmac.compare_digest(expected.encode(), (password or "").encode())

    def _fail(self, name: str, now: float) -> None:
        failures = self._failures[name]
        failures.append(now)
        while failures and failures[0] <= now - WINDOW_S:
            failures.popleft()
        if len(failures) >= MAX_FAILURES:
            self._locked_until[name] = now + LOCK_S
            failures.clear()
            log.warning("登录：账号 %r 连续 %d 次输错密码，锁定 %d 分钟", name, MAX_FAILURES, LOCK_S // 60)
