"""The users file and ``python -m assistant users``: salted scrypt hashes,
never a password; mode 0600, written whole; a file others can read is
refused; bad names, empty passwords and a corrupt file each get a Chinese
message and leave the file as it was."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest
from conftest import ROOT

from assistant.audit import AuditLog
from assistant.config import Settings
from assistant.credentials import (
    Accounts,
    CredentialError,
    UsersFile,
    hash_password,
    startup_notes,
    verify_password,
)

PASSWORD = "长城-Great-Wall-密钥"


def users(index, *args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", "users", *args, "--index", str(index)], cwd=ROOT,
                          input=stdin, capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})})


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_hashes_are_salted_and_verify():
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first != second and first.startswith("scrypt$32768$8$1$")
    assert verify_password(PASSWORD, first) and verify_password(PASSWORD, second)
    assert not verify_password(PASSWORD + "x", first) and not verify_password("", first)
    assert not verify_password(PASSWORD, "plain:" + PASSWORD) and not verify_password(PASSWORD, "scrypt$1$1$1$x$y")


def test_the_cli_keeps_no_password_in_the_file_and_mode_0600(tmp_path):
    index = tmp_path / "index"
    done = users(index, "add", "王小明", "--password-stdin", stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert "已新增账号“王小明”，密码已加密保存到" in done.stdout
    path = index / "users.json"
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    assert [PASSWORD[i:i + 5] for i in range(len(PASSWORD) - 4) if PASSWORD[i:i + 5] in text] == []
    assert mode(path) == 0o600
    assert [name for name in UsersFile(path).load()] == ["王小明"]
    assert Accounts(Settings().with_(index_dir=index, users_file="", agent_users=())).verify("王小明", PASSWORD)
    listing = users(index, "list")
    assert listing.returncode == 0 and "王小明\t建立于" in listing.stdout and "共 1 个账号" in listing.stdout
    assert "scrypt" not in listing.stdout


def test_passwd_and_remove(tmp_path):
    index = tmp_path / "index"
    users(index, "add", "agent1", "--password-stdin", stdin=PASSWORD)
    before = json.loads((index / "users.json").read_text("utf-8"))["users"][0]
    assert users(index, "passwd", "agent1", "--password-stdin", stdin="another-pass-9").returncode == 0
    after = UsersFile(index / "users.json").load()["agent1"]
    assert after.hash != before["hash"] and after.created == before["created"]
    assert verify_password("another-pass-9", after.hash)
    assert users(index, "remove", "agent1").returncode == 0
    assert UsersFile(index / "users.json").load() == {}
    gone = users(index, "remove", "agent1")
    assert gone.returncode == 2 and "账号“agent1”不存在" in gone.stderr
    events = AuditLog(index / "audit.sqlite").events(action="account")
    assert [(e.target, e.outcome, e.address) for e in events] == [
        ("新增账号：agent1", "ok", "本机命令行"), ("修改密码：agent1", "ok", "本机命令行"),
        ("删除账号：agent1", "ok", "本机命令行"), ("删除账号：agent1", "failed", "本机命令行")]


@pytest.mark.parametrize("name, message", [
    ("王 小明", "账号名不能包含空格或其他空白字符。"),
    ("agent\u3000two", "账号名不能包含空格或其他空白字符。"),
    ("agent\x1b[2J", "账号名不能包含控制字符或不可见字符。"),
    ("agent\u200b", "账号名不能包含控制字符或不可见字符。"),
    ("a" * 200, "账号名过长（200 个字符），最多 32 个字符。"),
    ("agent/../x", "账号名只能使用汉字、字母、数字和 . _ - @。"),
])
def test_bad_names_are_refused_in_chinese_and_nothing_is_written(tmp_path, name, message):
    index = tmp_path / "index"
    users(index, "add", "keeper", "--password-stdin", stdin=PASSWORD)
    before = (index / "users.json").read_bytes()
    done = users(index, "add", name, "--password-stdin", stdin=PASSWORD)
    assert done.returncode == 2 and done.stderr.strip() == f"未完成：{message}"
    assert (index / "users.json").read_bytes() == before


@pytest.mark.parametrize("password, message", [
    ("", "密码不能为空。"),
    ("\n", "密码不能为空。"),
    ("short", "密码太短（5 个字符），至少需要 8 个字符。"),
    ("two\nlines-password", "密码不能包含换行等控制字符。"),
])
def test_bad_passwords_are_refused_in_chinese_and_nothing_is_written(tmp_path, password, message):
    index = tmp_path / "index"
    done = users(index, "add", "agent", "--password-stdin", stdin=password)
    assert done.returncode == 2 and done.stderr.strip() == f"未完成：{message}"
    assert not (index / "users.json").exists()


def test_without_a_terminal_the_password_must_come_from_stdin(tmp_path):
    done = users(tmp_path / "index", "add", "agent", stdin="")
    assert done.returncode == 2 and "--password-stdin" in done.stderr and "Warning" not in done.stderr
    assert not (tmp_path / "index" / "users.json").exists()


def test_adding_a_name_twice_is_refused(tmp_path):
    index = tmp_path / "index"
    users(index, "add", "agent", "--password-stdin", stdin=PASSWORD)
    again = users(index, "add", "agent", "--password-stdin", stdin="other-password")
    assert again.returncode == 2 and "账号“agent”已存在" in again.stderr
    assert verify_password(PASSWORD, UsersFile(index / "users.json").load()["agent"].hash)


def test_a_file_others_can_read_is_refused_in_chinese(tmp_path):
    index = tmp_path / "index"
    users(index, "add", "agent", "--password-stdin", stdin=PASSWORD)
    path = index / "users.json"
    path.chmod(0o644)
    before = path.read_bytes()
    for args in (("list",), ("add", "second", "--password-stdin")):
        done = users(index, *args, stdin=PASSWORD)
        assert done.returncode == 2
        assert f"账号文件 {path} 的权限为 644，同组或其他用户也能读取或修改，已拒绝使用。请执行 chmod 600 {path} 后重试。" in done.stderr
    assert path.read_bytes() == before and mode(path) == 0o644
    settings = Settings().with_(index_dir=index, users_file="", agent_users=())
    with pytest.raises(CredentialError, match="chmod 600"):
        startup_notes(settings)
    accounts = Accounts(settings)
    assert not accounts.verify("agent", PASSWORD) and "chmod 600" in accounts.problem
    path.chmod(0o600)
    assert accounts.verify("agent", PASSWORD) and accounts.problem == ""


@pytest.mark.parametrize("content, why", [
    (b'{"format": "cixi-policy-assistant/users/1", "users": [', "第 1 行第 55 列格式错误"),
    (b"\xff\xfe\x00garbage", "不是 UTF-8 文本"),
    (b'{"users": []}', "不是本系统的账号文件"),
    (b'{"format": "cixi-policy-assistant/users/1", "users": [{"name": "a b", "hash": "x", "created": "", "changed": ""}]}',
     "第 1 个账号的内容不完整或有误"),
])
def test_a_corrupt_file_is_refused_in_chinese_and_left_alone(tmp_path, content, why):
    index = tmp_path / "index"
    index.mkdir()
    path = index / "users.json"
    path.write_bytes(content)
    path.chmod(0o600)
    done = users(index, "add", "agent", "--password-stdin", stdin=PASSWORD)
    assert done.returncode == 2
    assert done.stderr.strip() == f"未完成：账号文件 {path} 已损坏（{why}），未作任何改动。请从备份恢复该文件后重试。"
    assert path.read_bytes() == content
    assert [p.name for p in index.iterdir() if p.name.startswith(".users.json.") and p.suffix == ".tmp"] == []


def test_the_app_does_not_start_on_a_bad_users_file(tmp_path):
    index = tmp_path / "index"
    index.mkdir()
    (index / "users.json").write_text("{", "utf-8")
    (index / "users.json").chmod(0o600)
    done = subprocess.run([sys.executable, str(ROOT / "app.py"), "--port", "1", "--index", str(index)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "启动失败：账号文件" in done.stderr and "已损坏" in done.stderr


def test_the_users_file_setting_moves_the_file(tmp_path):
    elsewhere = tmp_path / "secrets" / "agents.json"
    done = users(tmp_path / "index", "add", "agent", "--password-stdin", stdin=PASSWORD,
                 env={"ASSISTANT_USERS_FILE": str(elsewhere)})
    assert done.returncode == 0 and mode(elsewhere) == 0o600 and not (tmp_path / "index" / "users.json").exists()


def test_trial_accounts_work_and_a_file_account_of_the_same_name_wins(tmp_path):
    index = tmp_path / "index"
    settings = Settings().with_(index_dir=index, users_file="", agent_users=(("trial", "trial-password"),))
    assert Accounts(settings).verify("trial", "trial-password")
    UsersFile(settings.users_path).add("trial", PASSWORD)
    accounts = Accounts(settings)
    assert accounts.verify("trial", PASSWORD) and not accounts.verify("trial", "trial-password")
    notes = startup_notes(settings)
    assert "（1 个账号）" in notes[0] and "仅供试用" in notes[1] and "trial-password" not in "".join(notes)
