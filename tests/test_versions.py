"""Versions: series of the same policy across years, supersession with
field-by-field changes, expired pages, and the superseded_by API on a real
index (including a newer version arriving by ingestion)."""
import shutil

from conftest import CORPUS

from assistant.config import Settings
from assistant.corpus import read_document
from assistant.ingestion import ingest
from assistant.items import doc_info, extract_items
from assistant.versions import annotate, load_catalog, replacements, series, superseded_by

V2025 = "04_cixi_zfb_2025-09-16_2025_chanye_gaozhiliang_zhengce_yijian.txt"
V2024 = "21_cixi_zfb_2024-08-01_2024_chanye_gaozhiliang_zhengce_yijian.txt"
V2023 = "20_cixi_zfb_2023-11-02_2023_chanye_gaozhiliang_zhengce_yijian.txt"
REPORTS = [
    "14_cixi_zf_2022-01-23_2022_zhengfu_gongzuo_baogao.txt",
    "15_cixi_zf_2023-02-04_2023_zhengfu_gongzuo_baogao.txt",
    "16_cixi_zf_2021_2021_zhengfu_gongzuo_baogao.txt",
]
POLICY_2025 = "2025年慈溪市推进产业高质量发展的政策意见"
# A 2026 version written for the tests: the same clause with new figures.
V2026_TEXT = """---
title: 慈溪市人民政府办公室关于印发2026年慈溪市推进产业高质量发展的政策意见的通知
issuer: 慈溪市人民政府办公室
date: 2026-03-10
doc_type: 政策文件
---
2026年慈溪市推进产业高质量发展的政策意见
一、强化数实深度融合
(一)加快推进数字产业化发展
1.加大数字经济制造业培育力度。对近两年营业收入年增长率平均值为正且当年度营收增速达到8%以上的规上数字经济制造业企业,按其较上年度营收增量部分给予奖励,每增100万元最高奖励600元(不足100万元部分不予奖励),总额不超过40万元。(责任单位:市经信局)
慈溪市人民政府办公室
2026年3月10日
"""
EXPIRED_TEXT = """---
title: 测试市关于印发2019年测试市工业扶持办法的通知
issuer: 测试市人民政府
date: 2019-05-01
doc_type: 政策文件
---
有效性:

失效

2019年测试市工业扶持办法
1.对新认定的高新技术企业，给予每家10万元奖励。
"""


def docs(*names):
    return [read_document(CORPUS / n, n) for n in names]


def items_and_infos(*names):
    documents = docs(*names)
    items = [i for d in documents for i in extract_items(d)]
    return items, [doc_info(d) for d in documents]


def test_the_three_yearly_policies_form_one_series_and_2025_is_current():
    infos = [doc_info(d) for d in docs(V2025, V2023, V2024, "08_ningbo_zfbgt_2025-09_keji_chanye_chuangxin_ronghe_ruogan_yijian.txt")]
    found = series(infos)
    assert list(found) == ["慈溪市推进产业高质量发展的政策意见"]
    assert [d.source for d in found["慈溪市推进产业高质量发展的政策意见"]] == [V2023, V2024, V2025]
    assert {s: d.source for s, d in replacements(infos).items()} == {V2023: V2025, V2024: V2025}


def test_work_reports_of_successive_years_are_not_versions_of_a_policy():
    assert series([doc_info(d) for d in docs(*REPORTS)]) == {}


def test_older_items_are_superseded_and_show_what_changed():
    items, infos = items_and_infos(V2025, V2024, V2023)
    annotate(items, infos)
    current = [i for i in items if i.source == V2025]
    assert all(i.status == "current" and i.superseded_by is None for i in current)
    old = next(i for i in items if i.source == V2024)
    assert old.status == "superseded"
    assert old.superseded_by["title"] == POLICY_2025 and old.superseded_by["source"] == V2025
    assert old.superseded_by["item_id"] == current[0].id  # the same clause in 2025
    assert old.changes == [
        {"field": "增速门槛", "old": "12%", "new": "10%"},
        {"field": "每单位金额", "old": "每增100万元1,000元", "new": "每增100万元最高500元"},
    ]
    software = [i for i in items if i.source == V2023 and "增幅达20%以上" in i.quote][0]
    assert software.superseded_by["item_id"] == current[1].id  # software clause of 2023 → (1) of 2025
    assert {"field": "上限", "old": "20万元", "new": "50万元"} in software.changes
    lone = [i for i in items if i.source == V2023 and "新纳入数字经济核心产业企业库" in i.quote][0]
    assert lone.status == "superseded" and lone.superseded_by["item_id"] is None and lone.changes == []


def test_a_page_marked_expired_has_its_items_expired(tmp_path):
    path = tmp_path / "expired.txt"
    path.write_text(EXPIRED_TEXT, "utf-8")
    document = read_document(path, path.name)
    items = extract_items(document)
    annotate(items, [doc_info(document)])
    assert len(items) == 1 and items[0].status == "expired" and items[0].doc.validity == "失效"


def test_superseded_by_on_a_real_index_follows_a_newer_version(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in (V2023, V2024, V2025, "02_cixi_kjj_2025-04-09_chuangxin_lianheti_buchong_shenbao.txt"):
        shutil.copy(CORPUS / name, corpus / name)
    settings = Settings().with_(index_dir=tmp_path / "index")
    ingest(corpus, settings=settings)
    newer = superseded_by(V2024, settings)
    assert (newer.title, newer.source, newer.date) == (POLICY_2025, V2025, "2025-09-16")
    assert newer.label == f"已被《{POLICY_2025}》替代"
    assert superseded_by(V2025, settings) is None
    assert superseded_by("02_cixi_kjj_2025-04-09_chuangxin_lianheti_buchong_shenbao.txt", settings) is None

    (corpus / "2026_policy.txt").write_text(V2026_TEXT, "utf-8")
    ingest(corpus, settings=settings)
    assert superseded_by(V2025, settings).source == "2026_policy.txt"
    assert superseded_by(V2024, settings).title == "2026年慈溪市推进产业高质量发展的政策意见"
    catalog = load_catalog(settings)
    now = [i for i in catalog.current if "数字经济制造业" in i.quote]
    assert [i.source for i in now] == ["2026_policy.txt"]
    before = catalog.earlier(now[0])
    assert {i.source for i in before} == {V2025, V2024}
    assert {"field": "上限", "old": "30万元", "new": "40万元"} in before[0].changes
