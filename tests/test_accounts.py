"""The agents' login check: accounts from the users file and
ASSISTANT_AGENT_USERS, the lockout per (name, address) and per address in
a real SQLite file (time is driven by the test), and an audit row for every
attempt."""
import logging
import threading

import pytest

from assistant.accounts import AgentLogin
from assistant.audit import AuditLog
from assistant.config import Settings
from assistant.credentials import UsersFile
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
