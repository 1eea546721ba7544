"""Command line for the agents' accounts (credentials.py):

    python -m assistant users add NAME [--password-stdin] [--index DIR]
    python -m assistant users passwd NAME [--password-stdin] [--index DIR]
    python -m assistant users remove NAME [--index DIR]
    python -m assistant users list [--index DIR]

The password is asked twice at a prompt that does not echo it, or read from
standard input with ``--password-stdin`` (one line; for scripts). The file is
``<index>/users.json`` or ASSISTANT_USERS_FILE. A running app takes changes
at the next login attempt. Each change is written to the audit log. Exit
status 0 done, 2 nothing changed (the reason on stderr).
"""
from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from . import audit
from .config import Settings
from .credentials import CredentialError, UsersFile, check_name, check_password
from .errors import ReasonError


def parser(settings: Settings) -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m assistant users", description="服务联盟账号管理")
    sub = top.add_subparsers(dest="action", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index", type=Path, default=settings.index_dir,
                        help="索引目录（账号文件默认为其中的 users.json；设置了 ASSISTANT_USERS_FILE 时用该文件）")
    for action, text in (("add", "新增账号"), ("passwd", "修改密码")):
        command = sub.add_parser(action, parents=[common], help=text)
        command.add_argument("name", help="账号名")
        command.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（一行）")
    sub.add_parser("remove", parents=[common], help="删除账号").add_argument("name", help="账号名")
    sub.add_parser("list", parents=[common], help="列出账号")
    return top


def main(argv: list[str] | None = None) -> int:
    settings = Settings()
    args = parser(settings).parse_args(argv)
    settings = settings.with_(index_dir=args.index)
    users = UsersFile(settings.users_path)
    try:
        return _run(args, users, settings)
    except ReasonError as exc:
        if args.action != "list":
            audit.record(settings, "account", f"{_ACTIONS[args.action]}：{args.name}", "failed", exc.reason,
                         agent=_os_user(), address=audit.CLI_ADDRESS)
        print(f"未完成：{exc.reason}", file=sys.stderr)
        return 2


_ACTIONS = {"add": "新增账号", "passwd": "修改密码", "remove": "删除账号"}


def _run(args: argparse.Namespace, users: UsersFile, settings: Settings) -> int:
    if args.action == "list":
        accounts = users.load()
        for account in accounts.values():
            print(f"{account.name}\t建立于 {account.created}\t密码修改于 {account.changed}")
        print(f"共 {len(accounts)} 个账号（{users.path}）。")
        return 0
    if args.action == "remove":
        users.remove(args.name)
        message = f"已删除账号“{args.name}”。它已登录的网页会话随即失效。"
    else:
        check_name(args.name)
        users.load()  # a bad file is said before the password is asked
        password = _password(args.password_stdin)
        if args.action == "add":
            users.add(args.name, password)
            message = f"已新增账号“{args.name}”，密码已加密保存到 {users.path}。"
        else:
            users.set_password(args.name, password)
            message = f"已修改账号“{args.name}”的密码。"
    audit.record(settings, "account", f"{_ACTIONS[args.action]}：{args.name}", "ok", "",
                 agent=_os_user(), address=audit.CLI_ADDRESS)
    print(message)
    return 0


def _password(from_stdin: bool) -> str:
    if from_stdin:
        text = sys.stdin.read()
        return check_password(text.removesuffix("\n").removesuffix("\r"))
    if not sys.stdin.isatty():
        raise CredentialError("没有可输入密码的终端。请在终端中运行，或用 --password-stdin 从标准输入传入密码。")
    password = check_password(getpass.getpass("密码："))
    if getpass.getpass("再输入一次密码：") != password:
        raise CredentialError("两次输入的密码不一致，未作改动。")
    return password


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "命令行"
