"""The matcher on the real items of the corpus: verdicts, estimates with their
arithmetic and caps, blank fields, bad input, descriptions read by rules,
and the hand-written profiles."""
from pathlib import Path

import pytest
from conftest import CORPUS
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.corpus import read_document
from assistant.items import doc_info, extract_items
from assistant.matcher import (
    INDUSTRIES,
    QUALIFICATIONS,
    TALENTS,
    Profile,
    ProfileError,
    evaluate,
    match,
    parse_description,
    parse_profile,
)
from assistant.versions import annotate
from evals.items import load_gold
from evals.profiles import load_profiles, score


def corpus_items():
    documents = [read_document(p, p.name) for p in sorted(Path(CORPUS).iterdir())]
    items = [i for d in documents for i in extract_items(d)]
    return annotate(items, [doc_info(d) for d in documents])


ITEMS = corpus_items()
CURRENT = [i for i in ITEMS if i.status == "current"]
DIGITAL = next(i for i in CURRENT if "每增100万元最高奖励500元" in i.quote)
SOFTWARE = next(i for i in CURRENT if "给予最高5%奖励" in i.quote)
TECH_3P3 = next(i for i in CURRENT if i.source.startswith("22_") and "6%" in i.quote)
YUYAO = [i for i in CURRENT if i.doc.issuer == "余姚市人民政府"]


def profile(**fields):
    return parse_profile(fields)


def test_the_issue_example_is_met_and_estimated_with_its_arithmetic():
    p = profile(industry="数字经济制造业", above_scale=True, revenue_wan=20000, revenue_growth_pct=12, prev_growth_pct=8)
    result = evaluate(p, DIGITAL)
    assert result.group == "match" and result.label == "符合"
    assert [c.status for c in result.checks] == ["met"] * 4  # 适用地区 + three conditions
    assert result.checks[2].text == "当年度营收增速达到10%以上" and "12%" in result.checks[2].reason
    assert result.estimate_yuan == 10_500 and result.upper_bound
    assert result.arithmetic == "增量 2143万元 → 21 × 500元 = 10,500元（上限30万元）"


def test_caps_and_whole_steps_are_applied():
    big = evaluate(profile(industry="数字经济制造业", above_scale=True, revenue_wan=1_000_000, revenue_growth_pct=20,
                           prev_growth_pct=10), DIGITAL)
    assert big.estimate_yuan == 300_000 and "超过上限，按上限30万元计" in big.arithmetic
    small = evaluate(profile(industry="数字经济制造业", above_scale=True, revenue_wan=500, revenue_growth_pct=15,
                             prev_growth_pct=5), DIGITAL)
    assert small.group == "match" and small.estimate_yuan == 0  # 65万元: under one 100万元 step
    share = evaluate(profile(industry="软件和信息服务业", above_scale=True, revenue_wan=5000, revenue_growth_pct=20,
                             prev_growth_pct=10), SOFTWARE)
    assert share.estimate_yuan == 416_667 and share.arithmetic == "增量 833万元 × 5% = 416,667元（上限50万元）"
    equipment = evaluate(profile(industry="智能家电", equipment_wan=800), TECH_3P3)
    assert equipment.group == "maybe" and equipment.estimate_yuan == 480_000  # 完工投产 is for the user to confirm


def test_a_condition_not_met_says_why_and_an_unknown_says_what_to_add():
    slow = evaluate(profile(industry="数字经济制造业", above_scale=True, revenue_growth_pct=8), DIGITAL)
    assert slow.group == "no"
    failed = [c for c in slow.checks if c.status == "not_met"]
    assert [c.text for c in failed] == ["当年度营收增速达到10%以上"] and "您填写：8%" in failed[0].reason
    partial = evaluate(profile(industry="软件和信息服务业", above_scale=True, revenue_growth_pct=20), SOFTWARE)
    assert partial.group == "maybe" and partial.missing == ["上年度营收增速"]
    assert partial.label == "可能符合（需补充：上年度营收增速）"
    said = evaluate(profile(industry="软件和信息服务业", above_scale=True, revenue_growth_pct=20, avg_growth_positive=True), SOFTWARE)
    assert said.group == "match"


def test_clauses_of_other_cities_do_not_apply_to_cixi_enterprises():
    assert YUYAO
    for item in YUYAO:
        result = evaluate(Profile(), item)
        assert result.group == "no" and "余姚市" in result.checks[0].reason


def test_a_blank_profile_makes_nothing_unmet_but_other_cities():
    for item in CURRENT:
        if item not in YUYAO:
            assert evaluate(Profile(), item).group == "maybe", item.quote


FIELDS = st.fixed_dictionaries({}, optional={
    "industry": st.sampled_from(INDUSTRIES),
    "above_scale": st.booleans(),
    "qualifications": st.lists(st.sampled_from(QUALIFICATIONS), max_size=3, unique=True),
    "talents": st.lists(st.sampled_from(TALENTS), max_size=2, unique=True),
    "revenue_wan": st.floats(0, 2_000_000),
    "revenue_growth_pct": st.floats(-99, 500),
    "prev_growth_pct": st.floats(-99, 500),
    "equipment_wan": st.floats(0, 50_000),
    "first_version_products": st.integers(0, 5),
})


@settings(max_examples=150, deadline=None)
@given(FIELDS, st.data())
def test_blanking_a_field_never_makes_an_item_unmet(fields, data):
    """Leaving a field blank can only move an item towards 可能符合, never
    to 不符合 (and never raise)."""
    full = match(parse_profile(fields), CURRENT)
    if not fields:
        return
    blank = data.draw(st.sampled_from(sorted(fields)))
    fewer = match(parse_profile({k: v for k, v in fields.items() if k != blank}), CURRENT)
    before = {r.item.id: r.group for r in full.results}
    for r in fewer.results:
        if before[r.item.id] != "no":
            assert r.group != "no", (blank, r.item.quote)


@pytest.mark.parametrize("field, value, message", [
    ("revenue_wan", -5, "不能为负数"),
    ("revenue_wan", "一百块钱", "请填写数字"),
    ("revenue_wan", "abc", "请填写数字"),
    ("revenue_wan", 1e12, "超出合理范围"),
    ("revenue_growth_pct", 1000, "超出合理范围"),
    ("revenue_growth_pct", "1000%", "超出合理范围"),
    ("revenue_growth_pct", -120, "应大于 -100%"),
    ("industry", "造船", "不在可选范围内"),
    ("qualifications", ["高企"], "不在可选范围内"),
    ("first_version_products", 1.5, "请填写整数"),
])
def test_bad_values_get_a_chinese_message_on_their_field(field, value, message):
    with pytest.raises(ProfileError) as caught:
        parse_profile({"industry": "智能家电", field: value} if field != "industry" else {field: value})
    assert list(caught.value.errors) == [field] and message in caught.value.errors[field]
    assert message in caught.value.reason


def test_form_values_are_read_as_people_type_them():
    p = parse_profile({"revenue_wan": "2亿", "revenue_growth_pct": "12%", "equipment_wan": "3,000", "above_scale": "是"})
    assert (p.revenue_wan, p.revenue_growth_pct, p.equipment_wan, p.above_scale) == (20000, 12, 3000, True)
    assert parse_profile({"qualifications": []}).qualifications == []  # stated: none
    assert parse_profile({}).qualifications is None  # not stated


def test_a_description_fills_the_profile_by_rules():
    found = parse_description("我们是规上数字经济制造业企业，营收2亿元，同比增长百分之十二，上年增长8%，是高新技术企业，有2个产品列入软件首版次目录，在宗汉")
    assert found == {
        "industry": "数字经济制造业", "above_scale": True, "prev_growth_pct": 8.0, "revenue_growth_pct": 12.0,
        "revenue_wan": 20000.0, "first_version_products": 2, "qualifications": ["高新技术企业"], "town": "宗汉街道",
    }
    assert parse_description("营收下降3%的规下企业") == {"above_scale": False, "revenue_growth_pct": -3.0}
    assert parse_description("今天天气不错") == {}
    # everyday names of an industry and of a qualification
    assert parse_description("我们是数字经济类制造企业")["industry"] == "数字经济制造业"
    assert parse_description("我们进了数字经济核心企业库")["qualifications"] == ["数字经济核心产业企业库"]


def test_the_hand_written_profiles_are_matched():
    items = corpus_items()
    report = score(load_profiles(), items, list({i.source: i.doc for i in items}.values()), load_gold())
    assert report["profiles"] >= 20
    for key in ("match", "maybe", "shown"):
        assert report[f"{key}_precision"] >= 0.9 and report[f"{key}_recall"] >= 0.9, report
    assert report["estimates_exact"] == 1.0, report["differences"]


@pytest.mark.parametrize("text, revenue, growth", [
    ("2024年营收8000万，2025年做到9000万", 9000.0, 12.5),
    ("营收从1个亿涨到1.2个亿", 12000.0, 20.0),
    ("营收5000万元，增长15%", 5000.0, 15.0),  # a growth said outright is kept
])
def test_revenue_from_one_amount_to_another(text, revenue, growth):
    found = parse_description(text)
    assert found["revenue_wan"] == revenue and found["revenue_growth_pct"] == growth
