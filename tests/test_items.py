"""Support items: extraction from real corpus files and from generated
policy texts, the SQLite item store, and the store kept in step with the
index by real ingestions (including after SIGKILLed runs)."""
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from conftest import CORPUS, ROOT

from assistant.config import Settings
from assistant.corpus import read_document
from assistant.ingestion import ingest
from assistant.item_store import ItemStore, benefit_text, money
from assistant.items import EXTRACTOR_VERSION, extract_items, load_items
from evals.items import load_gold, score

V2025 = "04_cixi_zfb_2025-09-16_2025_chanye_gaozhiliang_zhengce_yijian.txt"
V2024 = "21_cixi_zfb_2024-08-01_2024_chanye_gaozhiliang_zhengce_yijian.txt"
V2023 = "20_cixi_zfb_2023-11-02_2023_chanye_gaozhiliang_zhengce_yijian.txt"
NOTICE = "02_cixi_kjj_2025-04-09_chuangxin_lianheti_buchong_shenbao.txt"
AWARDS = "03_cixi_kjj_2023-03-23_qiye_yanfa_jigou_2022_diyipi_gongshi.txt"
HUB = "07_cixi_qiaotou_2025-05-06_zhineng_jiadian_zongheti_yituo_danwei_zhengji.txt"

# A policy text written for the tests (never in corpus/), in the usual shape:
# a clause with a share and a cap, two sums under one total cap, Chinese
# numerals, a list introduced by a colon, a 责任单位 after the list, and a
# closing section with statistics that are not clauses.
GENERATED = """---
title: 测试市人民政府办公室关于印发2026年测试市科技创新若干政策的通知
issuer: 测试市人民政府办公室
date: 2026-03-01
doc_type: 政策文件
---
2026年测试市科技创新若干政策
一、支持企业研发
1.鼓励研发投入。对当年度研发费用达到500万元以上的规上工业企业，按其研发费用增量部分给予10%的补助，最高不超过100万元。（责任单位：市科技局）
2.支持高新技术企业。对首次认定的高新技术企业，给予每家五万元奖励；对重新认定的高新技术企业，给予每家2万元奖励。两项奖励合计不超过5万元。（责任单位：市科技局）
二、支持人才引进
（一）引进高层次人才。对新引进的全职博士，给予每人5万元安家补助。对入选省引才计划的人才，按上级资助的50%给予配套资助：
1.创业类人才团队给予最高200万元资助；
2.创新类人才给予最高100万元资助。
（责任单位：市人才办）
三、工作要求
各地各部门要加强组织领导，确保政策落实到位。2025年全市共兑现政策资金3.2亿元，对符合条件的120家企业给予奖励。
测试市人民政府办公室
2026年3月1日
"""
NO_CLAUSE = """---
title: 关于召开2026年度科技工作会议的通知
issuer: 测试市科学技术局
date: 2026-02-01
doc_type: 通知公告
---
各有关单位：
定于2026年2月10日上午9时召开全市科技工作会议，请各单位安排一名负责同志参加。会议地点：市行政中心三楼会议室。
测试市科学技术局
2026年2月1日
"""


def doc(name):
    return read_document(CORPUS / name, name)


def written(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return read_document(path, name)


def test_the_2025_clause_becomes_a_computable_item():
    items = extract_items(doc(V2025))
    first = items[0]
    assert first.title == "加大数字经济制造业培育力度"
    assert first.section.endswith("1.加大数字经济制造业培育力度")
    assert [c.text for c in first.conditions] == [
        "近两年营业收入年增长率平均值为正", "当年度营收增速达到10%以上", "规上数字经济制造业企业",
    ]
    kinds = [r.kind for c in first.conditions for r in c.requirements]
    assert kinds == ["avg_growth", "growth", "scale", "industry"]
    b = first.benefit
    assert (b.kind, b.per_unit.step, b.per_unit.step_unit, b.per_unit.yuan, b.cap_yuan, b.upper) == (
        "奖励", 1_000_000, "元", 500, 300_000, True,
    )
    assert benefit_text(b) == "每增100万元最高500元，上限30万元"
    assert first.responsible_unit == "市经信局" and first.quote.endswith("(责任单位:市经信局)")
    assert first.doc.policy_title == "2025年慈溪市推进产业高质量发展的政策意见" and first.doc.date == "2025-09-16"


def test_quotes_are_verbatim_and_offsets_hold_for_every_corpus_file():
    for path in sorted(CORPUS.iterdir()):
        document = read_document(path, path.name)
        for item in extract_items(document):
            assert document.text[item.start:item.end] == item.quote, (path.name, item.seq)
            assert item.beneficiary in ("企业", "人才/团队", "平台/机构")


def test_an_excerpt_cut_mid_clause_gives_an_incomplete_item_that_is_never_completed():
    items = extract_items(doc(V2025))
    last = items[-1]
    assert last.quote == "(4)对数字化服务商在" and last.incomplete
    assert last.benefit.kind is None and last.benefit.amount_yuan is None and last.benefit.cap_yuan is None
    # Sub-clause (1) is whole, but the clause around it is cut before any 责任单位: unknowable.
    assert not items[1].incomplete and items[1].responsible_unit is None
    hub = extract_items(doc(HUB))
    assert len(hub) == 1 and hub[0].incomplete and hub[0].benefit.cap_yuan == 500_000  # its 其中… sentence is cut


def test_documents_without_support_clauses_yield_no_items(tmp_path):
    assert extract_items(doc(NOTICE)) == []
    assert extract_items(doc(AWARDS)) == []  # awards to 55 named firms: a notice, not a clause
    assert extract_items(written(tmp_path, "meeting.txt", NO_CLAUSE)) == []


def test_a_generated_policy_text_is_read_by_the_same_rules(tmp_path):
    items = extract_items(written(tmp_path, "policy.txt", GENERATED))
    assert len(items) == 6
    rd, first, renewed, doctors, founders, innovators = items
    assert (doctors.beneficiary, doctors.benefit.amount_yuan, doctors.benefit.kind) == ("人才/团队", 50_000, "补助")
    assert (rd.benefit.kind, rd.benefit.rate, rd.benefit.base, rd.benefit.cap_yuan) == ("补助", 0.1, "研发费用增量", 1_000_000)
    assert rd.responsible_unit == "市科技局" and [c.text for c in rd.conditions][0] == "当年度研发费用达到500万元以上"
    assert first.benefit.amount_yuan == 50_000  # 五万元, in Chinese numerals
    assert first.benefit.cap_yuan == renewed.benefit.cap_yuan == 50_000  # 两项奖励合计不超过5万元
    for talent in (founders, innovators):
        assert talent.beneficiary == "人才/团队" and talent.responsible_unit == "市人才办"
        assert talent.conditions[0].text == "入选省引才计划的人才"  # from the sentence opening the list
        assert talent.benefit.rate == 0.5 and talent.benefit.base == "上级资助"
    assert (founders.benefit.cap_yuan, innovators.benefit.cap_yuan) == (2_000_000, 1_000_000)
    assert not any("120家" in i.quote or "3.2亿元" in i.quote for i in items)


def test_money_is_written_as_people_write_it():
    assert [money(v) for v in (300_000, 10_500, 500, 10_000_000, 500_000_000, None)] == [
        "30万元", "10,500元", "500元", "1000万元", "5亿元", "",
    ]


def test_extraction_meets_the_gold_targets():
    report = score(load_gold(), [i for p in sorted(CORPUS.iterdir()) for i in extract_items(read_document(p, p.name))])
    assert report["precision"] >= 0.9 and report["recall"] >= 0.85, report
    assert all(v == 1.0 for v in report["exact"].values()), report["differences"]


def test_the_store_round_trips_items_and_replaces_a_document_at_once(tmp_path):
    store = ItemStore(tmp_path / "items.sqlite")
    items = extract_items(doc(V2025))
    store.apply([], [(items[0].doc, "sha-a", items)], EXTRACTOR_VERSION)
    back = store.items()
    assert [i.to_json() for i in back] == [i.to_json() for i in items]
    assert store.hashes() == {V2025: "sha-a"} and store.extractor() == EXTRACTOR_VERSION
    store.apply([V2025], [], EXTRACTOR_VERSION)
    assert store.items() == [] and store.hashes() == {}
    store.close()


# --- kept in step with the index by real ingestions ---


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in (V2025, V2024, NOTICE):
        shutil.copy(CORPUS / name, folder / name)
    return folder


def stored_items(settings) -> dict[str, int]:
    """Items per source, read straight from the SQLite file."""
    with sqlite3.connect(settings.items_db) as db:
        return dict(db.execute("SELECT source, COUNT(*) FROM items GROUP BY source"))


def stored_hashes(settings) -> dict[str, str]:
    with sqlite3.connect(settings.items_db) as db:
        return dict(db.execute("SELECT source, sha256 FROM documents"))


def manifest_hashes(settings) -> dict[str, str]:
    data = json.loads(settings.manifest_path.read_text("utf-8"))
    return {s: e["sha256"] for s, e in data["documents"].items() if e["status"] == "ok" and not e.get("same_as")}


def test_ingestion_keeps_items_in_step_with_documents(corpus, tmp_path):
    settings = Settings().with_(index_dir=tmp_path / "index")
    ingest(corpus, settings=settings)
    assert stored_items(settings) == {V2025: 5, V2024: 1}
    assert stored_hashes(settings) == manifest_hashes(settings)  # the notice: a document with no items, no error

    (corpus / "policy.txt").write_text(GENERATED, "utf-8")
    (corpus / "meeting.txt").write_text(NO_CLAUSE, "utf-8")
    report = ingest(corpus, settings=settings)
    assert not report.failed and stored_items(settings)["policy.txt"] == 6 and "meeting.txt" not in stored_items(settings)

    changed = GENERATED.replace("给予每家2万元奖励", "给予每家3万元奖励")
    (corpus / "policy.txt").write_text(changed, "utf-8")
    (corpus / V2025).unlink()
    ingest(corpus, settings=settings)
    assert V2025 not in stored_items(settings)
    assert 30_000 in [i.benefit.amount_yuan for i in load_items(settings) if i.source == "policy.txt"]
    assert stored_hashes(settings) == manifest_hashes(settings)

    settings.items_db.unlink()  # lost or from before this feature: the next run rebuilds it, embedding nothing
    again = ingest(corpus, settings=settings)
    assert again.chunks_embedded == 0 and stored_items(settings) == {V2024: 1, "policy.txt": 6}

    # The state a crash between storing chunks and syncing items leaves: the
    # manifest has moved on, the item store has not. The next run catches up.
    before = sqlite3.connect(":memory:")
    with sqlite3.connect(settings.items_db) as live:
        live.backup(before)
    shutil.copy(CORPUS / V2025, corpus / V2025)
    (corpus / V2024).unlink()
    ingest(corpus, settings=settings)
    with sqlite3.connect(settings.items_db) as live:
        before.backup(live)  # the item store as it was before that run
    assert stored_items(settings) == {V2024: 1, "policy.txt": 6}  # stale
    ingest(corpus, settings=settings)
    assert stored_items(settings) == {V2025: 5, "policy.txt": 6}
    assert stored_hashes(settings) == manifest_hashes(settings)


def test_items_stay_in_step_after_killed_ingestions(corpus, tmp_path):
    """SIGKILL `python ingest.py` at random moments while documents come and
    go; after each completed re-run the item store matches the manifest."""
    index = tmp_path / "index"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "ingest.py", "--corpus", str(corpus), "--index", str(index)]
    settings = Settings().with_(index_dir=index)
    rng = random.Random(14)
    subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=600, check=True)
    started = time.monotonic()
    subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=600, check=True)
    whole = time.monotonic() - started  # a warm run on an unchanged corpus; changed ones take a little longer
    pool = [V2023, HUB, V2025, "policy.txt"]
    kills = 0
    for round_no in range(4):
        name = pool[round_no]
        target = corpus / name
        if target.exists():
            target.unlink()
        elif name == "policy.txt":
            target.write_text(GENERATED.replace("五万元", f"{round_no + 5}万元"), "utf-8")
        else:
            shutil.copy(CORPUS / name, target)
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 0.95) * whole)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            kills += 1
        else:
            whole /= 2  # it finished first (a busy machine timed the warm run slow): aim earlier
        process.wait()
        finished = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert finished.returncode == 0, finished.stderr[-2000:]
        assert stored_hashes(settings) == manifest_hashes(settings), f"round {round_no}"
        expected = {p.name for p in corpus.iterdir() if extract_items(read_document(p, p.name))}
        assert set(stored_items(settings)) == expected, f"round {round_no}"
    assert kills >= 2  # most runs were really interrupted
