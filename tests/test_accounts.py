"""The agents' login check and its lockout (time is driven by the test)."""
import threading

import pytest

from assistant.accounts import LOCK_S, MAX_FAILURES, WINDOW_S, AgentLogin

USERS = (("agent", "s3cret-密码"), ("other", "pw2"))


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def login(clock):
    return AgentLogin(USERS, clock)


def test_right_password_in_wrong_out(login):
    assert login("agent", "s3cret-密码")
    assert not login("agent", "s3cret")
    assert not login("agent", "")
    assert not login("agent", None)
    assert not login("nobody", "s3cret-密码")
    assert not login("", "")


def test_no_accounts_means_nobody_gets_in(clock):
    assert not AgentLogin((), clock)("agent", "")


def test_repeated_failures_lock_the_name_even_against_the_right_password(login, clock):
    for _ in range(MAX_FAILURES):
        assert not login("agent", "guess")
    assert not login("agent", "s3cret-密码")
    assert login("other", "pw2")  # other names are not affected
    clock.now += LOCK_S - 1
    assert not login("agent", "s3cret-密码")
    clock.now += 2
    assert login("agent", "s3cret-密码")


def test_failures_spread_beyond_the_window_do_not_lock(login, clock):
    for _ in range(MAX_FAILURES * 3):
        assert not login("agent", "guess")
        clock.now += WINDOW_S / (MAX_FAILURES - 1) + 1
    assert login("agent", "s3cret-密码")


def test_a_success_clears_earlier_failures(login):
    for _ in range(MAX_FAILURES - 1):
        login("agent", "guess")
    assert login("agent", "s3cret-密码")
    for _ in range(MAX_FAILURES - 1):
        login("agent", "guess")
    assert login("agent", "s3cret-密码")


def test_unknown_names_are_locked_like_real_ones(login, caplog):
    for _ in range(MAX_FAILURES):
        login("nobody", "guess")
    login("nobody", "guess")
    assert "账号 'nobody' 连续 5 次输错密码，锁定" in caplog.text and "登录被拒：账号 'nobody' 已锁定" in caplog.text


def guess_at_once(login, times: int) -> None:
    """``times`` wrong passwords from as many threads, released together."""
    start = threading.Barrier(times)

    def guess():
        start.wait()
        assert not login("agent", "guess")

    threads = [threading.Thread(target=guess) for _ in range(times)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_concurrent_guesses_lock_after_exactly_max_failures(clock):
    """One guess fewer than MAX_FAILURES, all at once, leaves the name open
    (one attempt left); exactly MAX_FAILURES lock it."""
    below = AgentLogin(USERS, clock)
    guess_at_once(below, MAX_FAILURES - 1)
    assert below.refusal("agent").startswith("账号或密码不正确。再输错 1 次")
    assert below("agent", "s3cret-密码")
    at = AgentLogin(USERS, clock)
    guess_at_once(at, MAX_FAILURES)
    assert at.refusal("agent").startswith("该账号已被锁定")
    assert not at("agent", "s3cret-密码")


def test_the_lock_starts_at_exactly_max_failures(login, clock):
    for _ in range(MAX_FAILURES - 1):
        assert not login("agent", "guess")
    clock.now += 1
    assert login("agent", "s3cret-密码")  # MAX_FAILURES - 1 wrong ones: still open
    for _ in range(MAX_FAILURES):
        assert not login("agent", "guess")
    assert not login("agent", "s3cret-密码")  # MAX_FAILURES wrong ones: locked


def test_refusal_says_attempts_left_then_the_lock_and_its_minutes(login, clock):
    assert login.refusal("agent").endswith(f"再输错 {MAX_FAILURES} 次，该账号将被锁定 {int(LOCK_S // 60)} 分钟。")
    for i in range(MAX_FAILURES - 1):
        login("agent", "guess")
        assert f"再输错 {MAX_FAILURES - 1 - i} 次" in login.refusal("agent")
    login("agent", "guess")
    assert login.refusal("agent") == (f"该账号已被锁定：连续输错密码 {MAX_FAILURES} 次。"
                                      f"请 {int(LOCK_S // 60)} 分钟后再试，或联系管理员。")
    clock.now += LOCK_S - 61
    assert "请 2 分钟后再试" in login.refusal("agent")
    assert login.refusal("nobody") == login.refusal("other")  # names that are not accounts: the same
