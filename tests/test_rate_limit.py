"""Limits: questions per address in a sliding minute (time driven by the
test), uploads per agent per hour counted from a real audit log."""

from assistant.audit import AuditLog
from assistant.config import Settings
from assistant.rate_limit import QuestionLimit, upload_refusal


class Clock:
    def __init__(self):
        self.now = 5000.0

    def __call__(self):
        return self.now


def test_questions_past_the_limit_wait_and_other_addresses_do_not():
    clock = Clock()
    limit = QuestionLimit(3, clock)
    assert [limit.wait("127.0.0.2") for _ in range(3)] == [0, 0, 0]
    clock.now += 10
    assert limit.wait("127.0.0.2") == 50  # the first question leaves the minute in 50 s
    assert limit.message(49.2) == "提问过于频繁：每个网络地址每分钟最多提问 3 次。请 50 秒后再试。"
    assert limit.wait("127.0.0.3") == 0
    clock.now += 50
    assert limit.wait("127.0.0.2") == 0  # refused questions were not counted


def test_ipv6_neighbours_share_a_limit_and_zero_means_none():
    clock = Clock()
    limit = QuestionLimit(1, clock)
    assert limit.wait("2001:db8::1") == 0 and limit.wait("2001:db8::2") > 0
    assert all(QuestionLimit(0, clock).wait("127.0.0.2") == 0 for _ in range(100))


def test_uploads_per_hour_count_files_and_bytes_of_the_agent(tmp_path):
    settings = Settings().with_(index_dir=tmp_path, uploads_per_hour=3, upload_bytes_per_hour=10_000_000)
    log = AuditLog(settings.audit_db, clock=lambda: 1000.0)
    assert upload_refusal(settings, log, "agent", [1000], now=1000.0) == ""
    for name in ("a.txt", "b.txt"):
        log.record("agent", "127.0.0.1", "upload", name, "ok", size=1000)
    log.record("agent", "127.0.0.1", "upload", "c.txt", "refused", size=1000)  # refused by the limit: not counted
    log.record("other", "127.0.0.1", "upload", "d.txt", "ok", size=1000)
    assert upload_refusal(settings, log, "agent", [1000], now=1100.0) == ""
    refusal = upload_refusal(settings, log, "agent", [1000, 1000], now=1100.0)
    assert refusal.startswith("上传未进行：已达上传上限（每位服务联盟成员每小时最多上传 3 个文件、共 10 MB；过去一小时您已上传 2 个文件")
    assert refusal.endswith("请 59 分钟后再试。")  # when the first of the two leaves the hour
    assert upload_refusal(settings, log, "agent", [1000, 1000], now=4601.0) == ""
    too_big = upload_refusal(settings, log, "agent", [11_000_000], now=1100.0)
    assert too_big.startswith("上传未进行：本次选择了 1 个文件、共 11.0 MB，超过上限") and too_big.endswith("请分批上传。")
    heavy = upload_refusal(settings, log, "agent", [9_999_000], now=1100.0)
    assert "过去一小时您已上传 2 个文件、共 0.0 MB" in heavy
