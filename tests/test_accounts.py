"""The agents' login check: accounts from the users file and
ASSISTANT_AGENT_USERS, the lockout per (name, address) and per address in
a real SQLite file (time is driven by the test), and an audit row for every
attempt."""
import asyncio
import ipaddress
import logging
import threading

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.accounts import AgentLogin, LiveSessions
from assistant.audit import AuditLog
from assistant.client_address import CURRENT
from assistant.config import Settings
from assistant.credentials import Accounts, UsersFile
from assistant.login_guard import ADDRESS_FAILURES, LOCK_S, MAX_FAILURES, WINDOW_S, LoginGuard

USERS = (("agent", "s3cret-密码"), ("other", "pw2-long-enough"))
HERE, THERE = "127.0.0.2", "127.0.0.3"


class Clock:
    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def settings(tmp_path):
    return Settings().with_(index_dir=tmp_path / "index", agent_users=USERS, users_file="")


@pytest.fixture
def login(settings, clock):
    return make_login(settings, clock)


def make_login(settings, clock):
    return AgentLogin(settings, guard=LoginGuard(settings.login_db, clock), audit=AuditLog(settings.audit_db, clock))


def test_right_password_in_wrong_out(login):
    assert login.attempt("agent", "s3cret-密码", HERE)
    assert not login.attempt("agent", "s3cret", HERE)
    assert not login.attempt("agent", "", HERE)
    assert not login.attempt("agent", None, HERE)
    assert not login.attempt("nobody", "s3cret-密码", HERE)
    assert not login.attempt("", "", HERE)


def test_no_accounts_means_nobody_gets_in(settings, clock):
    assert not make_login(settings.with_(agent_users=()), clock).attempt("agent", "", HERE)


def test_accounts_of_the_users_file_log_in_and_changes_apply_without_a_restart(settings, clock):
    login = make_login(settings.with_(agent_users=()), clock)
    assert not login.attempt("filer", "file-password-1", HERE)
    UsersFile(settings.users_path).add("filer", "file-password-1")
    assert login.attempt("filer", "file-password-1", HERE)
    UsersFile(settings.users_path).set_password("filer", "file-password-2")
    assert not login.attempt("filer", "file-password-1", HERE)
    assert login.attempt("filer", "file-password-2", HERE)
    UsersFile(settings.users_path).remove("filer")
    assert not login.attempt("filer", "file-password-2", HERE)


def test_repeated_failures_lock_the_pair_not_the_name_elsewhere(login, clock):
    for _ in range(MAX_FAILURES):
        assert not login.attempt("agent", "guess", HERE)
    assert not login.attempt("agent", "s3cret-密码", HERE)  # locked here, even the right password
    assert login.attempt("agent", "s3cret-密码", THERE)  # the same name from another address
    assert login.attempt("other", "pw2-long-enough", HERE)  # another name from the same address
    clock.now += LOCK_S - 1
    assert not login.attempt("agent", "s3cret-密码", HERE)
    clock.now += 2
    assert login.attempt("agent", "s3cret-密码", HERE)


def test_attempts_during_a_lock_do_not_prolong_it(login, clock):
    for _ in range(MAX_FAILURES):
        login.attempt("agent", "guess", HERE)
    for _ in range(3):
        clock.now += LOCK_S / 4
        assert not login.attempt("agent", "guess", HERE)
    clock.now += LOCK_S / 4 + 1
    assert login.attempt("agent", "s3cret-密码", HERE)


def test_failures_spread_beyond_the_window_do_not_lock(login, clock):
    for _ in range(MAX_FAILURES * 3):
        assert not login.attempt("agent", "guess", HERE)
        clock.now += WINDOW_S / (MAX_FAILURES - 1) + 1
    assert login.attempt("agent", "s3cret-密码", HERE)


def test_a_success_clears_earlier_failures_of_the_pair(login):
    for _ in range(MAX_FAILURES - 1):
        login.attempt("agent", "guess", HERE)
    assert login.attempt("agent", "s3cret-密码", HERE)
    for _ in range(MAX_FAILURES - 1):
        login.attempt("agent", "guess", HERE)
    assert login.attempt("agent", "s3cret-密码", HERE)


def test_unknown_names_are_locked_like_real_ones(login, caplog):
    caplog.set_level(logging.WARNING)
    for _ in range(MAX_FAILURES + 1):
        login.attempt("nobody", "guess", HERE)
    assert f"登录：账号 'nobody' 自 {HERE} 输错密码，该账号在此地址锁定 10 分钟" in caplog.text
    assert f"登录被拒：账号 'nobody' 自 {HERE}（该账号在此地址已锁定）" in caplog.text


def test_failures_across_names_block_the_address_but_not_others(login, clock):
    names = [f"guess{i}" for i in range(ADDRESS_FAILURES // (MAX_FAILURES - 1) + 1)]
    failures = 0
    while failures < ADDRESS_FAILURES:  # never MAX_FAILURES for one name: only the address limit applies
        assert not login.attempt(names[failures % len(names)], "guess", HERE)
        failures += 1
    assert not login.attempt("agent", "s3cret-密码", HERE)  # a name never tried from here: blocked too
    assert "网络地址登录失败次数过多" in login.refusal("agent", HERE) and "请 10 分钟后再试" in login.refusal("agent", HERE)
    assert login.attempt("agent", "s3cret-密码", THERE)
    clock.now += LOCK_S + 1
    assert login.attempt("agent", "s3cret-密码", HERE)


def test_locks_survive_a_restart(settings, clock):
    first = make_login(settings, clock)
    for _ in range(MAX_FAILURES):
        first.attempt("agent", "guess", HERE)
    again = make_login(settings, clock)  # a new process: the same files, nothing in memory
    assert not again.attempt("agent", "s3cret-密码", HERE)
    assert "该账号已被锁定" in again.refusal("agent", HERE)


def test_ipv6_addresses_count_by_their_64(login):
    for i in range(MAX_FAILURES):
        login.attempt("agent", "guess", f"2001:db8:1:2::{i + 1}")
    assert not login.attempt("agent", "s3cret-密码", "2001:db8:1:2::99")
    assert login.attempt("agent", "s3cret-密码", "2001:db8:1:3::1")


def guess_at_once(login, times: int) -> None:
    """``times`` wrong passwords from as many threads, released together."""
    start = threading.Barrier(times)

    def guess():
        start.wait()
        assert not login.attempt("agent", "guess", HERE)

    threads = [threading.Thread(target=guess) for _ in range(times)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_concurrent_guesses_lock_after_exactly_max_failures(settings, clock, tmp_path):
    """One guess fewer than MAX_FAILURES, all at once, leaves the pair open;
    exactly MAX_FAILURES lock it."""
    below = make_login(settings, clock)
    guess_at_once(below, MAX_FAILURES - 1)
    assert below.attempt("agent", "s3cret-密码", HERE)
    at = make_login(settings.with_(index_dir=tmp_path / "other-index"), clock)
    guess_at_once(at, MAX_FAILURES)
    assert "该账号已被锁定" in at.refusal("agent", HERE)
    assert not at.attempt("agent", "s3cret-密码", HERE)


def test_the_lock_starts_at_exactly_max_failures(login, clock):
    for _ in range(MAX_FAILURES - 1):
        assert not login.attempt("agent", "guess", HERE)
    clock.now += 1
    assert login.attempt("agent", "s3cret-密码", HERE)  # MAX_FAILURES - 1 wrong ones: still open
    for _ in range(MAX_FAILURES):
        assert not login.attempt("agent", "guess", HERE)
    assert not login.attempt("agent", "s3cret-密码", HERE)  # MAX_FAILURES wrong ones: locked


def test_refusal_says_attempts_left_then_the_lock_and_its_minutes(login, clock):
    assert login.refusal("agent", HERE).endswith(f"再输错 {MAX_FAILURES} 次，该账号将被锁定 {int(LOCK_S // 60)} 分钟。")
    for i in range(MAX_FAILURES - 1):
        login.attempt("agent", "guess", HERE)
        assert f"再输错 {MAX_FAILURES - 1 - i} 次" in login.refusal("agent", HERE)
    login.attempt("agent", "guess", HERE)
    assert login.refusal("agent", HERE) == (f"该账号已被锁定：连续输错密码 {MAX_FAILURES} 次。"
                                            f"请 {int(LOCK_S // 60)} 分钟后再试，或联系管理员。（锁定只针对您当前的网络地址。）")
    clock.now += LOCK_S - 61
    assert "请 2 分钟后再试" in login.refusal("agent", HERE)
    assert login.refusal("nobody", HERE) == login.refusal("other", HERE)  # names that are not accounts: the same
    assert "再输错" in login.refusal("agent", THERE)


def test_refusal_warns_when_the_address_is_closer_to_its_limit(login):
    for i in range(ADDRESS_FAILURES - 2):
        login.attempt(f"n{i}", "guess", HERE)
    assert "您所在的网络地址再输错 2 次，将暂停登录 10 分钟" in login.refusal("agent", HERE)


def test_every_attempt_is_in_the_audit_log(login, settings):
    login.attempt("agent", "s3cret-密码", HERE)
    login.attempt("agent", "wrong", THERE)
    for _ in range(MAX_FAILURES):
        login.attempt("x\x1b[31m", "wrong", HERE)
    events = AuditLog(settings.audit_db).events(action="login")
    assert [(e.agent, e.address, e.outcome) for e in events[:2]] == [("agent", HERE, "ok"), ("agent", THERE, "failed")]
    assert events[-1].agent == "x\\x1b[31m" and "该账号在此地址锁定 10 分钟" in events[-1].detail
    assert all(e.ts > 0 and "wrong" not in e.detail for e in events)


# --- exact records, messages and limits ----------------------------------------------


def login_rows(settings) -> list[tuple[str, str, str, str, str]]:
    return [(e.agent, e.address, e.target, e.outcome, e.detail) for e in AuditLog(settings.audit_db).events(action="login")]


def test_the_audit_rows_say_exactly_what_happened(login, settings):
    login.attempt("agent", "s3cret-密码", HERE)
    for _ in range(MAX_FAILURES):
        login.attempt("agent", "guess", HERE)
    login.attempt("agent", "s3cret-密码", HERE)
    assert login_rows(settings) == [
        ("agent", HERE, "agent", "ok", ""),
        *[("agent", HERE, "agent", "failed", "账号或密码不正确")] * (MAX_FAILURES - 1),
        ("agent", HERE, "agent", "failed", "账号或密码不正确；该账号在此地址锁定 10 分钟"),
        ("agent", HERE, "agent", "refused", "该账号在此地址已锁定，未核对密码"),
    ]


def block_the_address(login, address: str = HERE) -> None:
    """ADDRESS_FAILURES wrong passwords from ``address``, never MAX_FAILURES for one name."""
    for i in range(ADDRESS_FAILURES):
        login.attempt(f"n{i}", "guess", address)


def test_a_blocked_address_is_named_in_the_audit_rows_and_the_log(login, settings, clock, caplog):
    caplog.set_level(logging.WARNING, logger="assistant.accounts")
    block_the_address(login)
    clock.now += LOCK_S - 0.5  # half a second of the block left
    assert not login.attempt("agent", "s3cret-密码", HERE)
    rows = login_rows(settings)
    assert rows[-2] == (f"n{ADDRESS_FAILURES - 1}", HERE, f"n{ADDRESS_FAILURES - 1}", "failed",
                        "账号或密码不正确；该地址暂停登录 10 分钟")
    assert rows[-1] == ("agent", HERE, "agent", "refused", "该地址已暂停登录，未核对密码")
    assert caplog.messages == [f"登录：账号 'n{ADDRESS_FAILURES - 1}' 自 {HERE} 输错密码，该地址暂停登录 10 分钟",
                               f"登录被拒：账号 'agent' 自 {HERE}（该地址已暂停登录）"]


def test_the_log_warns_when_a_lock_begins_and_at_each_refusal_only(login, caplog):
    caplog.set_level(logging.WARNING, logger="assistant.accounts")
    for _ in range(MAX_FAILURES - 1):
        login.attempt("agent", "guess", HERE)
    assert caplog.messages == []  # wrong passwords before the limit: the audit log has them
    login.attempt("agent", "guess", HERE)
    login.attempt("agent", "guess", HERE)
    assert caplog.messages == [f"登录：账号 'agent' 自 {HERE} 输错密码，该账号在此地址锁定 10 分钟",
                               f"登录被拒：账号 'agent' 自 {HERE}（该账号在此地址已锁定）"]


def test_refusal_names_each_limit_until_its_last_second(login, clock):
    block_the_address(login)
    clock.now += LOCK_S - 0.5
    assert login.refusal("agent", HERE) == ("您所在的网络地址登录失败次数过多（10 分钟内输错 20 次），"
                                            "已暂停该地址的登录。请 1 分钟后再试，或联系管理员。")
    for _ in range(MAX_FAILURES):
        login.attempt("agent", "guess", THERE)
    clock.now += LOCK_S - 30
    assert login.refusal("agent", THERE) == ("该账号已被锁定：连续输错密码 5 次。请 1 分钟后再试，"
                                             "或联系管理员。（锁定只针对您当前的网络地址。）")
    clock.now += 29.5
    assert "请 1 分钟后再试" in login.refusal("agent", THERE)  # half a second left: still locked
    clock.now += 1
    assert login.refusal("agent", THERE) == "账号或密码不正确。再输错 5 次，该账号将被锁定 10 分钟。"


def test_refusal_counts_the_pairs_attempts_while_the_address_has_as_many_left(login):
    for i in range(ADDRESS_FAILURES - MAX_FAILURES):
        login.attempt(f"n{i}", "guess", HERE)
    assert login.refusal("agent", HERE) == "账号或密码不正确。再输错 5 次，该账号将被锁定 10 分钟。"
    login.attempt("n0", "guess", HERE)
    assert login.refusal("agent", HERE) == "账号或密码不正确。您所在的网络地址再输错 4 次，将暂停登录 10 分钟。"


def test_a_login_works_and_is_logged_when_its_audit_row_cannot_be_written(settings, clock, caplog):
    login = make_login(settings, clock)
    settings.audit_db.unlink()
    settings.audit_db.mkdir()  # a folder where the database was: every write fails
    assert login.attempt("agent", "s3cret-密码", HERE)
    assert not login.attempt("agent", "guess", HERE)
    assert [r.getMessage() for r in caplog.records if r.name == "assistant.accounts"] == ["登录记录写入失败"] * 2


def test_by_default_the_guard_and_the_audit_log_are_the_settings_files(settings):
    login = AgentLogin(settings)
    assert not login.attempt("agent", "guess", HERE)
    assert LoginGuard(settings.login_db).standing("agent", HERE).pair_left == MAX_FAILURES - 1
    assert login_rows(settings) == [("agent", HERE, "agent", "failed", "账号或密码不正确")]


# --- what the app wires in: Gradio's check, the status route, the live sessions ------


def test_gradios_check_reads_the_address_of_the_request(login, settings):
    token = CURRENT.set(HERE)  # what the ClientAddress middleware does for each request
    try:
        assert asyncio.run(login.check("agent", "s3cret-密码"))
        assert not asyncio.run(login.check("agent", "guess"))
        assert not asyncio.run(login.check("nobody", "s3cret-密码"))
    finally:
        CURRENT.reset(token)
    assert [(r[0], r[1], r[3]) for r in login_rows(settings)] == [
        ("agent", HERE, "ok"), ("agent", HERE, "failed"), ("nobody", HERE, "failed")]


def test_the_status_route_answers_for_the_client_behind_a_trusted_proxy(settings, clock):
    login = make_login(settings.with_(trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),)), clock)
    app = FastAPI()
    app.get("/admin/login_status")(login.status_route())  # as ui.build_app wires it
    for _ in range(MAX_FAILURES):
        login.attempt("agent", "guess", HERE)
    for _ in range(MAX_FAILURES):
        login.attempt("", "guess", HERE)  # an empty name counts like any other
    with TestClient(app, client=("127.0.0.1", 50000)) as client:
        def message(username: str | None, address: str) -> str:
            params = {} if username is None else {"username": username}
            response = client.get("/admin/login_status", params=params, headers={"X-Forwarded-For": address})
            assert response.status_code == 200 and list(response.json()) == ["message"]
            return response.json()["message"]

        assert message(" agent ", HERE).startswith("该账号已被锁定")
        assert message(None, HERE).startswith("该账号已被锁定")  # no name: the empty name's standing
        assert message("agent", THERE) == "账号或密码不正确。再输错 5 次，该账号将被锁定 10 分钟。"


def test_live_sessions_end_when_their_account_is_removed(settings):
    users = UsersFile(settings.users_path)
    users.add("filer", "file-password-1")
    sessions = LiveSessions(Accounts(settings))
    sessions.update({"t1": "filer", "t2": "filer", "t3": "agent"})
    assert sessions.get("t1") == "filer" and sessions.get("t3", "none") == "agent"
    assert sessions.get("unknown") is None and sessions.get("unknown", "none") == "none"
    users.remove("filer")
    assert sessions.get("t1") is None and sessions.get("t2", "none") == "none"
    assert dict(sessions) == {"t3": "agent"}  # the removed agent's sessions are gone, not only hidden
