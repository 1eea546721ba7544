"""The feedback log on a real SQLite file: asks and ratings, the agents'
worklist and its CSV export, persistence and concurrent writers."""
import csv
import io
import json
import sqlite3
import threading
import time

import pytest

from assistant.documents import Answer, Citation
from assistant.feedback import WORKLIST_COLUMNS, FeedbackLog

REFUSAL = "抱歉，现有政策文件中没有找到能回答这个问题的内容，为避免误导不作推测。"


def answered(question: str, text: str = "首批30%的启动资金可一次性拨付[1]。") -> Answer:
    quote = "首批30%的启动资金在项目正常启动且领军人才（团队）全职到岗的情况下可一次性拨付"
    return Answer(
        question=question,
        text=text,
        citations=[
            Citation(
                n=1,
                chunk_id="c0d64b925671b3d6-0002",
                source="00_cixi_kjj_2022-06-22_rd18-1_jianyi190_dafu.txt",
                title="对市十八届人大一次会议第190号建议的答复",
                issuer="慈溪市科学技术局",
                date="2022-06-22",
                section="2、 引才用才政策",
                quote=quote,
                score=0.0328,
                chunk_start=588,
                quote_start=700,
            )
        ],
    )


def refused(question: str) -> Answer:
    return Answer(question=question, text=REFUSAL, refused=True)


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "sub" / "feedback.sqlite"


@pytest.fixture
def log(db_path):
    return FeedbackLog(db_path)


def rows(path, sql, args=()):
    with sqlite3.connect(path) as db:
        return db.execute(sql, args).fetchall()


def tick():
    """Keep timestamps strictly increasing so "newest first" is well defined."""
    time.sleep(0.01)


# ------------------------------------------------------------------ asks and ratings


def test_creates_the_file_and_its_folder(db_path):
    assert not db_path.parent.exists()
    FeedbackLog(db_path)
    assert db_path.is_file()
    tables = {r[0] for r in rows(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"asks", "feedback"} <= tables


def test_record_answer_returns_increasing_ids_and_stores_the_answer(log, db_path):
    first = log.record_answer(answered("上林英才项目资金分几期拨付？"))
    second = log.record_answer(refused("慈溪市个人所得税起征点是多少？"))
    assert isinstance(first, int) and isinstance(second, int) and second > first
    stored = rows(db_path, "SELECT id, question, answer, citations, refused, mode FROM asks ORDER BY id")
    assert [r[0] for r in stored] == [first, second]
    assert stored[0][1:3] == ("上林英才项目资金分几期拨付？", "首批30%的启动资金可一次性拨付[1]。")
    assert stored[0][4:] == (0, "extractive")
    assert stored[1][1:] == ("慈溪市个人所得税起征点是多少？", REFUSAL, "[]", 1, "extractive")
    # Citations as JSON, Chinese kept readable.
    assert "慈溪市科学技术局" in stored[0][3]
    assert json.loads(stored[0][3])[0]["quote_start"] == 700


def test_rate_copies_question_answer_and_citations(log, db_path):
    answer = answered("上林英才项目资金分几期拨付？")
    ask_id = log.record_answer(answer)
    rating = log.rate(ask_id, False, "  没说后续资金怎么拨  ")
    assert isinstance(rating, int)
    (row,) = rows(db_path, "SELECT ask_id, useful, comment, question, answer, citations, ts FROM feedback WHERE id = ?", (rating,))
    assert row[:5] == (ask_id, 0, "没说后续资金怎么拨", answer.question, answer.text)
    assert json.loads(row[5]) == [c.to_json() for c in answer.citations]
    assert abs(row[6] - time.time()) < 60

    liked = log.rate(ask_id, True)
    assert liked > rating
    assert rows(db_path, "SELECT useful, comment FROM feedback WHERE id = ?", (liked,)) == [(1, "")]


def test_rating_keeps_its_copy_when_the_ask_row_changes(log, db_path):
    ask_id = log.record_answer(answered("上林英才项目资金分几期拨付？"))
    rating = log.rate(ask_id, False)
    with sqlite3.connect(db_path) as db:
        db.execute("UPDATE asks SET answer = '已改写', citations = '[]' WHERE id = ?", (ask_id,))
    (row,) = rows(db_path, "SELECT answer, citations FROM feedback WHERE id = ?", (rating,))
    assert row[0] == "首批30%的启动资金可一次性拨付[1]。" and json.loads(row[1])


def test_rate_of_an_unknown_ask_raises_key_error(log, db_path):
    with pytest.raises(KeyError) as info:
        log.rate(12345, False)
    assert "找不到编号为 12345 的回答" in str(info.value)
    assert rows(db_path, "SELECT COUNT(*) FROM feedback") == [(0,)]


def test_add_comment_sets_the_comment_of_that_rating_only(log, db_path):
    ask_id = log.record_answer(answered("上林英才项目资金分几期拨付？"))
    first = log.rate(ask_id, False)
    second = log.rate(ask_id, False, "原来的意见")
    log.add_comment(first, "  希望写明每期拨付的条件。  ")
    assert rows(db_path, "SELECT id, comment FROM feedback ORDER BY id") == [
        (first, "希望写明每期拨付的条件。"),
        (second, "原来的意见"),
    ]
    log.add_comment(first, "长" * 5000)
    assert rows(db_path, "SELECT length(comment) FROM feedback WHERE id = ?", (first,)) == [(2000,)]


# ------------------------------------------------------------------ worklist


def fill(log) -> dict[str, int]:
    ids = {}
    ids["refused_old"] = log.record_answer(refused("慈溪市个人所得税起征点是多少？"))
    tick()
    ids["liked"] = log.record_answer(answered("上林英才项目资金分几期拨付？"))
    tick()
    log.rate(ids["liked"], True, "很清楚")
    tick()
    log.record_answer(refused(""))  # an empty question is nothing to work on
    tick()
    ids["useless"] = log.record_answer(answered("上林英才启动资金什么时候拨？", "后续资金分三期拨付[1]。"))
    tick()
    ids["answered_unrated"] = log.record_answer(answered("“甬易办”2021年资助了多少类项目？", "15类[1]。"))
    tick()
    rating = log.rate(ids["useless"], False)
    tick()
    log.add_comment(rating, "没回答启动资金")
    ids["refused_new"] = log.record_answer(refused("人才公寓怎么申请？"))
    return ids


def test_worklist_lists_refusals_and_useless_answers_newest_first(log):
    fill(log)
    items = log.worklist()
    assert [(i.question, i.reason) for i in items] == [
        ("人才公寓怎么申请？", "未找到答案"),
        ("上林英才启动资金什么时候拨？", "用户标记没用"),
        ("慈溪市个人所得税起征点是多少？", "未找到答案"),
    ]
    assert [i.ts for i in items] == sorted((i.ts for i in items), reverse=True)
    assert items[0].answer == REFUSAL and items[0].comment == ""
    assert items[1].comment == "没回答启动资金" and items[1].answer == "后续资金分三期拨付[1]。"
    questions = {i.question for i in items}
    assert "上林英才项目资金分几期拨付？" not in questions  # answered and liked
    assert "“甬易办”2021年资助了多少类项目？" not in questions  # answered, not rated
    assert "" not in questions


def test_worklist_limit_keeps_the_newest(log):
    fill(log)
    assert [i.question for i in log.worklist(limit=2)] == ["人才公寓怎么申请？", "上林英才启动资金什么时候拨？"]


def test_a_refused_answer_marked_useless_is_listed_for_both_reasons(log):
    ask_id = log.record_answer(refused("研发费用加计扣除比例是多少？"))
    tick()
    log.rate(ask_id, False, "应该有答案")
    items = log.worklist()
    assert [(i.reason, i.comment) for i in items] == [("用户标记没用", "应该有答案"), ("未找到答案", "")]


def test_empty_log_has_an_empty_worklist(log):
    assert log.worklist() == []
    text = log.worklist_csv()
    assert text == "\ufeff" + ",".join(WORKLIST_COLUMNS) + "\r\n"


def test_worklist_csv_has_a_bom_the_chinese_header_and_parses_back(log):
    fill(log)
    tricky = log.record_answer(
        Answer(question='“上林英才”，启动资金"首批"多少？', text="第一行\n第二行, 含逗号[1]", refused=False)
    )
    tick()
    log.add_comment(log.rate(tricky, False), "意见, 带逗号\n和换行")
    text = log.worklist_csv()
    assert text.startswith("\ufeff时间,问题,原因,用户意见,回答")
    assert WORKLIST_COLUMNS == ["时间", "问题", "原因", "用户意见", "回答"]
    parsed = list(csv.reader(io.StringIO(text[1:])))
    assert parsed[0] == WORKLIST_COLUMNS
    body = parsed[1:]
    assert body == [item.row() for item in log.worklist()]
    assert body[0][1:] == ['“上林英才”，启动资金"首批"多少？', "用户标记没用", "意见, 带逗号\n和换行", "第一行\n第二行, 含逗号[1]"]
    assert body[1][1:3] == ["人才公寓怎么申请？", "未找到答案"]
    for row in body:
        assert len(row) == 5
        time.strptime(row[0], "%Y-%m-%d %H:%M")
    # Written as UTF-8 the BOM makes Excel read the Chinese.
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")


# ------------------------------------------------------------------ persistence and concurrency


def test_a_second_log_on_the_same_file_sees_the_data(db_path):
    first = FeedbackLog(db_path)
    ids = fill(first)
    before = first.worklist()
    del first

    second = FeedbackLog(db_path)  # CREATE TABLE IF NOT EXISTS keeps the data
    assert second.worklist() == before
    new_id = second.record_answer(refused("科技特派员怎么申请？"))
    assert new_id > max(ids.values())
    second.rate(ids["refused_old"], True)
    assert rows(db_path, "SELECT COUNT(*) FROM asks") == [(7,)]
    assert rows(db_path, "SELECT COUNT(*) FROM feedback") == [(3,)]
    assert second.worklist()[0].question == "科技特派员怎么申请？"


def test_concurrent_writers_all_land(db_path):
    shared = FeedbackLog(db_path)
    threads_n, per_thread = 8, 15
    errors: list[BaseException] = []
    results: list[tuple[int, int]] = []
    results_lock = threading.Lock()
    start = threading.Barrier(threads_n)

    def work(t: int) -> None:
        # Half the threads share one log, the others each open their own
        # on the same file (as several app processes would).
        log = shared if t % 2 == 0 else FeedbackLog(db_path)
        try:
            start.wait()
            for i in range(per_thread):
                question = f"线程{t}的第{i}个问题"
                ask_id = log.record_answer(refused(question) if i % 3 == 0 else answered(question))
                rating = log.rate(ask_id, i % 2 == 0, f"意见{t}-{i}")
                with results_lock:
                    results.append((ask_id, rating))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    total = threads_n * per_thread
    assert len(results) == total
    assert len({a for a, _ in results}) == total and len({r for _, r in results}) == total
    assert rows(db_path, "SELECT COUNT(*) FROM asks") == [(total,)]
    assert rows(db_path, "SELECT COUNT(*) FROM feedback") == [(total,)]
    # Every rating points at its own ask and copied that ask's question.
    mismatched = rows(
        db_path,
        "SELECT COUNT(*) FROM feedback f JOIN asks a ON a.id = f.ask_id WHERE f.question != a.question",
    )
    assert mismatched == [(0,)]
    expected_work = sum(1 for t in range(threads_n) for i in range(per_thread) if i % 3 == 0) + sum(
        1 for t in range(threads_n) for i in range(per_thread) if i % 2 == 1
    )
    assert len(shared.worklist()) == expected_work


# ------------------------------------------------------------------ what the verified-answer worklist reads


def test_refusals_and_dislikes_since_a_mark_with_the_verified_answer_rated(log, db_path):
    first = log.record_answer(refused("人才公寓怎么申请？"))
    log.record_answer(Answer(question="", text="请输入您要咨询的问题。", refused=True))  # no question: not work
    normal = log.record_answer(answered("上林英才启动资金什么时候拨？"))
    served = Answer("上林英才首批资金怎么拨？", "首批30%。", mode="verified", verified={"id": 7, "by": "王芳", "at": "2026-11-30"})
    served_id = log.record_answer(served)
    assert rows(db_path, "SELECT verified_id FROM asks WHERE id = ?", (served_id,)) == [(7,)]
    liked = log.rate(normal, True)
    plain = log.rate(normal, False, "太笼统")
    verified = log.rate(served_id, False)
    assert [(r.kind, r.ref, r.question) for r in log.refused_since(0)] == [("ask", first, "人才公寓怎么申请？")]
    assert log.refused_since(first) == []
    dislikes = log.dislikes_since(0)
    assert [(r.ref, r.comment, r.verified_id) for r in dislikes] == [(plain, "太笼统", None), (verified, "", 7)]
    assert [r.ref for r in log.dislikes_since(plain)] == [verified] and liked not in {r.ref for r in dislikes}
    log.add_comment(verified, "比例不对")
    assert log.comments([plain, verified]) == {plain: "太笼统", verified: "比例不对"}


def test_a_log_from_before_verified_answers_gains_the_column_and_keeps_its_rows(db_path):
    db_path.parent.mkdir(parents=True)
    with sqlite3.connect(db_path) as db:
        db.execute("CREATE TABLE asks (id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, question TEXT NOT NULL,"
                   " answer TEXT NOT NULL, citations TEXT NOT NULL, refused INTEGER NOT NULL, mode TEXT NOT NULL)")
        db.execute("INSERT INTO asks (ts, question, answer, citations, refused, mode) VALUES (1, '旧问题？', '', '[]', 1, 'extractive')")
    log = FeedbackLog(db_path)
    assert [r.question for r in log.refused_since(0)] == ["旧问题？"]
    log.record_answer(refused("新问题？"))
    assert [r.question for r in log.refused_since(0)] == ["旧问题？", "新问题？"]
