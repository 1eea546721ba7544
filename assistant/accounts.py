"""The service-alliance agents' login: the password check (credentials),
the lockout per (name, address) and per address (login_guard), and an audit
row for every attempt.

Gradio calls the check with only a name and a password; the client's address
comes from ``client_address.CURRENT``, which the ``ClientAddress`` middleware
sets for each request. The check is a coroutine that hashes in a worker
thread, so a slow scrypt never holds up the event loop.
"""
from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable

from fastapi import Request

from .audit import AuditLog
from .client_address import CURRENT, bucket, from_request
from .config import Settings
from .credentials import Accounts
from .login_guard import ADDRESS_FAILURES, LOCK_S, MAX_FAILURES, WINDOW_S, LoginGuard, Standing

LOGIN_HINT = (f"连续输错密码 {MAX_FAILURES} 次，该账号将被锁定 {int(LOCK_S // 60)} 分钟（仅限您所在的网络地址）；"
              f"同一地址 {int(WINDOW_S // 60)} 分钟内输错 {ADDRESS_FAILURES} 次，将暂停该地址的登录 {int(LOCK_S // 60)} 分钟。")

log = logging.getLogger(__name__)


class AgentLogin:
    def __init__(self, settings: Settings, accounts: Accounts | None = None, guard: LoginGuard | None = None,
                 audit: AuditLog | None = None):
        self.settings = settings
        self.accounts = accounts or Accounts(settings)
        self.guard = guard or LoginGuard(settings.login_db)
        self.audit = audit or AuditLog(settings.audit_db)

    async def check(self, name: str, password: str) -> bool:
        """Gradio's auth callable."""
        return await asyncio.to_thread(self.attempt, name, password, CURRENT.get())

    def attempt(self, name: str, password: str, address: str) -> bool:
        """Whether ``name`` may log in with ``password`` from ``address``."""
        key = bucket(address)
        standing = self.guard.standing(name, key)
        if standing.refused:
            why = "该地址已暂停登录" if standing.address_blocked_s > 0 else "该账号在此地址已锁定"
            self._record(name, address, "refused", f"{why}，未核对密码")
            log.warning("登录被拒：账号 %r 自 %s（%s）", name, address, why)
            return False
        if self.accounts.verify(name, password):
            self.guard.succeeded(name, key)
            self._record(name, address, "ok", "")
            return True
        after = self.guard.failed(name, key)
        if after.refused and not standing.refused:
            what = "该地址暂停登录" if after.address_blocked_s > 0 else "该账号在此地址锁定"
            log.warning("登录：账号 %r 自 %s 输错密码，%s %d 分钟", name, address, what, LOCK_S // 60)
        self._record(name, address, "failed", "账号或密码不正确" + (f"；{_lock_note(after)}" if after.refused else ""))
        return False

    def refusal(self, name: str, address: str) -> str:
        """Why a login as ``name`` from ``address`` is refused now, for the
        login page: which limit was hit and for how long, or the attempts
        left (the same for names that are not accounts)."""
        standing = self.guard.standing(name, bucket(address))
        if standing.address_blocked_s > 0:
            return (f"您所在的网络地址登录失败次数过多（{int(WINDOW_S // 60)} 分钟内输错 {ADDRESS_FAILURES} 次），"
                    f"已暂停该地址的登录。请 {_minutes(standing.address_blocked_s)} 分钟后再试，或联系管理员。")
        if standing.pair_locked_s > 0:
            return (f"该账号已被锁定：连续输错密码 {MAX_FAILURES} 次。请 {_minutes(standing.pair_locked_s)} 分钟后再试，"
                    "或联系管理员。（锁定只针对您当前的网络地址。）")
        if self.accounts.problem:
            return f"账号或密码不正确。注意：{self.accounts.problem}"
        if standing.address_left < standing.pair_left:
            return (f"账号或密码不正确。您所在的网络地址再输错 {standing.address_left} 次，"
                    f"将暂停登录 {int(LOCK_S // 60)} 分钟。")
        return f"账号或密码不正确。再输错 {standing.pair_left} 次，该账号将被锁定 {int(LOCK_S // 60)} 分钟。"

    def status_route(self) -> Callable:
        """GET handler for ``<page>/login_status?username=``."""

        def status(request: Request, username: str = "") -> dict:
            address = from_request(request, self.settings.trusted_proxies)
            return {"message": self.refusal(username.strip(), address)}

        return status

    def _record(self, name: str, address: str, outcome: str, detail: str) -> None:
        try:
            self.audit.record(name, address, "login", name, outcome, detail)
        except Exception:  # the login must work even if its record cannot be written
            log.exception("登录记录写入失败")


class LiveSessions(dict):
    """Gradio's session tokens (token → name) that answer only for names
    that are still accounts: ``users remove`` ends the removed agent's open
    sessions at their next request, without a restart."""

    def __init__(self, accounts: Accounts):
        super().__init__()
        self.accounts = accounts

    def get(self, token, default=None):
        name = super().get(token)
        if name is not None and name not in self.accounts.hashes():
            self.pop(token, None)
            return default
        return default if name is None else name


def _lock_note(standing: Standing) -> str:
    if standing.address_blocked_s > 0:
        return f"该地址暂停登录 {_minutes(standing.address_blocked_s)} 分钟"
    return f"该账号在此地址锁定 {_minutes(standing.pair_locked_s)} 分钟"


def _minutes(seconds: float) -> int:
    return max(1, math.ceil(seconds / 60))
