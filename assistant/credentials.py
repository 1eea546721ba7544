"""The agents' accounts: names and salted scrypt hashes in a JSON file.

The file is ``<index>/users.json`` (or ASSISTANT_USERS_FILE), managed with
``python -m assistant users add|list|remove|passwd``. It holds no password,
only ``scrypt$n$r$p$salt$hash`` (hashlib.scrypt, 16 random bytes of salt, n
2^15: about 0.2 s and 32 MB per check, so a stolen file is slow to guess
from). It is written whole to a temporary file of mode 0600 and renamed over
the old one, under a lock file, so a reader never sees half of it and two
commands never lose each other's change. A file others may read or write
(mode beyond 0600) is refused, not used.

ASSISTANT_AGENT_USERS (``name:password,…`` in plain text) still works for
trials: those accounts are hashed in memory at start-up, and app.py warns
about them in Chinese.
"""
from __future__ import annotations

import base64
import fcntl
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import stat
import threading
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from .config import Settings
from .errors import ReasonError

FORMAT = "cixi-policy-assistant/users/1"
NAME_MAX = 32
PASSWORD_MIN, PASSWORD_MAX = 8, 1024
SCRYPT_N, SCRYPT_R, SCRYPT_P, SALT_BYTES, KEY_BYTES = 2**15, 8, 1, 16, 32
_NAME = re.compile(r"[\w.@-]+")  # \w: letters (汉字 too), digits, _

log = logging.getLogger(__name__)


class CredentialError(ReasonError):
    """A name, password or accounts file that cannot be used."""


# --- names and passwords ---------------------------------------------------------------


def check_name(name: str) -> str:
    """``name`` if it can be an account name, else CredentialError saying why."""
    if not name:
        raise CredentialError("账号名不能为空。")
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        raise CredentialError("账号名不能包含控制字符或不可见字符。")
    if any(c.isspace() for c in name):
        raise CredentialError("账号名不能包含空格或其他空白字符。")
    if len(name) > NAME_MAX:
        raise CredentialError(f"账号名过长（{len(name)} 个字符），最多 {NAME_MAX} 个字符。")
    if not _NAME.fullmatch(name):
        raise CredentialError("账号名只能使用汉字、字母、数字和 . _ - @。")
    return name


def check_password(password: str) -> str:
    if not password:
        raise CredentialError("密码不能为空。")
    if any(unicodedata.category(c) == "Cc" for c in password):
        raise CredentialError("密码不能包含换行等控制字符。")
    if len(password) < PASSWORD_MIN:
        raise CredentialError(f"密码太短（{len(password)} 个字符），至少需要 {PASSWORD_MIN} 个字符。")
    if len(password) > PASSWORD_MAX:
        raise CredentialError(f"密码过长（{len(password)} 个字符），最多 {PASSWORD_MAX} 个字符。")
    return password


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, KEY_BYTES)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        n, r, p, salt, key = _parse_hash(stored)
    except ValueError:
        return False
    return hmac.compare_digest(_scrypt(password or "", salt, n, r, p, len(key)), key)


def _parse_hash(stored: str) -> tuple[int, int, int, bytes, bytes]:
    kind, n, r, p, salt, key = stored.split("$")
    if kind != "scrypt" or not (2 <= int(n) <= 2**18 and 1 <= int(r) <= 16 and 1 <= int(p) <= 4):
        raise ValueError(stored[:20])
    return int(n), int(r), int(p), base64.b64decode(salt, validate=True), base64.b64decode(key, validate=True)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, size: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8", "surrogatepass"), salt=salt, n=n, r=r, p=p,
                          maxmem=2 * 128 * n * r * p + 2**20, dklen=size)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --- the file --------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    name: str
    hash: str
    created: str
    changed: str


class UsersFile:
    def __init__(self, path: Path):
        self.path = Path(path)

    def load(self) -> dict[str, Account]:
        """The accounts, or CredentialError for a file that is too open or
        cannot be read (nothing is changed either way). No file: none."""
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return {}
        if stat.S_IMODE(info.st_mode) & 0o077:
            raise CredentialError(
                f"账号文件 {self.path} 的权限为 {stat.S_IMODE(info.st_mode):o}，同组或其他用户也能读取或修改，已拒绝使用。"
                f"请执行 chmod 600 {self.path} 后重试。")
        try:
            data = json.loads(self.path.read_bytes().decode("utf-8"))
        except UnicodeDecodeError:
            raise self._corrupt("不是 UTF-8 文本") from None
        except json.JSONDecodeError as exc:
            raise self._corrupt(f"第 {exc.lineno} 行第 {exc.colno} 列格式错误") from None
        except OSError as exc:
            raise CredentialError(f"无法读取账号文件 {self.path}：{exc.strerror or exc}") from None
        return self._accounts(data)

    def _accounts(self, data) -> dict[str, Account]:
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("users"), list):
            raise self._corrupt("不是本系统的账号文件")
        accounts: dict[str, Account] = {}
        for i, entry in enumerate(data["users"], 1):
            try:
                account = Account(**{k: entry[k] for k in ("name", "hash", "created", "changed")})
                check_name(account.name)
                _parse_hash(account.hash)
            except (TypeError, KeyError, ValueError, CredentialError):
                raise self._corrupt(f"第 {i} 个账号的内容不完整或有误") from None
            if account.name in accounts:
                raise self._corrupt(f"账号“{account.name}”出现了两次")
            accounts[account.name] = account
        return accounts

    def _corrupt(self, why: str) -> CredentialError:
        return CredentialError(f"账号文件 {self.path} 已损坏（{why}），未作任何改动。请从备份恢复该文件后重试。")

    def add(self, name: str, password: str) -> None:
        check_name(name)
        check_password(password)
        with self._editing() as accounts:
            if name in accounts:
                raise CredentialError(f"账号“{name}”已存在。修改密码请用：python -m assistant users passwd {name}")
            now = _now()
            accounts[name] = Account(name, hash_password(password), now, now)

    def set_password(self, name: str, password: str) -> None:
        check_password(password)
        with self._editing() as accounts:
            old = self._existing(accounts, name)
            accounts[name] = Account(name, hash_password(password), old.created, _now())

    def remove(self, name: str) -> None:
        with self._editing() as accounts:
            self._existing(accounts, name)
            del accounts[name]

    def _existing(self, accounts: dict[str, Account], name: str) -> Account:
        if name not in accounts:
            raise CredentialError(f"账号“{name}”不存在。现有账号可用 python -m assistant users list 查看。")
        return accounts[name]

    @contextmanager
    def _editing(self) -> Iterator[dict[str, Account]]:
        """The accounts to change, written back atomically if the block ends
        without an error; one editor at a time."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = os.open(self.path.with_name(f".{self.path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            accounts = self.load()
            yield accounts
            self._write(accounts)
        finally:
            os.close(lock)

    def _write(self, accounts: dict[str, Account]) -> None:
        data = {"format": FORMAT, "users": [asdict(a) for a in sorted(accounts.values(), key=lambda a: a.name)]}
        body = (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)  # an old leftover may have had another mode
            os.write(fd, body)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")


# --- who may log in ------------------------------------------------------------------


class Accounts:
    """Everyone who may log in now: the users file, read again whenever it
    changes (so ``users add/remove/passwd`` act on a running app), and the
    trial accounts of ASSISTANT_AGENT_USERS (a name in the file wins)."""

    def __init__(self, settings: Settings):
        self.file = UsersFile(settings.users_path)
        self._trial = {name: hash_password(password) for name, password in settings.agent_users}
        self._seen: object = object()  # nothing read yet
        self._hashes: dict[str, str] = {}
        self.problem = ""  # why the users file cannot be used now, in Chinese
        self._lock = threading.Lock()
        self._dummy = hash_password(secrets.token_urlsafe(16))

    def verify(self, name: str, password: str) -> bool:
        """Whether ``password`` is ``name``'s. Unknown names cost the same
        time as known ones, so timing tells nobody which names exist."""
        stored = self.hashes().get(name)
        matched = verify_password(password or "", stored or self._dummy)
        return stored is not None and matched

    def names(self) -> list[str]:
        return sorted(self.hashes())

    def hashes(self) -> dict[str, str]:
        with self._lock:
            try:
                info = self.file.path.stat()
                seen: tuple | None = (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_mode)
            except FileNotFoundError:
                seen = None
            if seen != self._seen:
                self._seen = seen
                try:
                    from_file = {a.name: a.hash for a in self.file.load().values()}
                    self.problem = ""
                except CredentialError as exc:
                    from_file, self.problem = {}, exc.reason
                    log.error("账号文件无法使用，其中的账号都不能登录：%s", exc.reason)
                self._hashes = {**self._trial, **from_file}
            return self._hashes


def startup_notes(settings: Settings) -> list[str]:
    """What app.py says about accounts at start-up; CredentialError for a
    users file that cannot be used (the app does not start)."""
    path = settings.users_path
    accounts = UsersFile(path).load()
    notes = [f"账号文件：{path}（{len(accounts)} 个账号）" if path.exists() else
             f"尚无账号文件 {path}：可用 python -m assistant users add 账号名 建立服务联盟账号"]
    if settings.agent_users:
        names = "、".join(name for name, _ in settings.agent_users)
        notes.append(f"警告：正在使用环境变量 ASSISTANT_AGENT_USERS 中的明文账号（{names}），仅供试用。"
                     "正式使用请改用 python -m assistant users add 建立账号（密码加密保存），并删除该环境变量。")
    return notes


def agent_names(settings: Settings) -> list[str]:
    """Every account name (for choosing an assignee); a users file that
    cannot be read adds none."""
    try:
        names = set(UsersFile(settings.users_path).load())
    except CredentialError:
        names = set()
    return sorted(names | {name for name, _ in settings.agent_users})
