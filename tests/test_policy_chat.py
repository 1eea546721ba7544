"""Chat answers from the support items, on the real index of the shipped
corpus: profile questions through the matcher, list questions, a clause
with versions (no year → 2025 with the 2024 change; 2024 → 2024), every
quote verbatim in its stored chunk; other questions take the usual path."""
import pytest

from assistant.policy_chat import policy_answer
from assistant.store import VectorStore

V2025 = "04_cixi_zfb_2025-09-16_2025_chanye_gaozhiliang_zhengce_yijian.txt"
V2024 = "21_cixi_zfb_2024-08-01_2024_chanye_gaozhiliang_zhengce_yijian.txt"
POLICY_2025 = "2025年慈溪市推进产业高质量发展的政策意见"


@pytest.fixture(scope="module")
def store(index_settings):
    return VectorStore(index_settings)


def ask(question, index_settings, store):
    answer = policy_answer(question, index_settings, store)
    assert answer is not None, question
    for c in answer.citations:  # verbatim in the stored chunk, numbered in the text
        stored = store.collection.get(ids=[c.chunk_id], include=["documents"])["documents"][0]
        assert c.quote and c.quote in stored
        assert f"[{c.n}]" in answer.text
    assert answer.mode == "items" and not answer.refused
    return answer


def test_a_profile_question_is_answered_through_the_matcher(index_settings, store):
    answer = ask("我们是规上软件企业，营收增长20%，能拿什么奖励？", index_settings, store)
    assert "行业：软件和信息服务业" in answer.text and "当年度营收增速：20%" in answer.text
    assert "可能符合" in answer.text and "需补充：上年度营收增速" in answer.text
    assert answer.citations[0].source == V2025 and "最高5%奖励" in answer.citations[0].quote


def test_a_profile_with_figures_gets_the_estimate(index_settings, store):
    answer = ask("我们是规上数字经济制造业企业，营收2亿元，增长12%，上年增长8%，能拿多少奖励？", index_settings, store)
    assert "符合：" in answer.text
    assert "增量 2143万元 → 21 × 500元 = 10,500元（上限30万元）" in answer.text
    assert answer.citations[0].source == V2025


def test_a_shortfall_is_shown_with_the_condition_it_misses(index_settings, store):
    answer = ask("我们是慈溪规上数字经济制造业企业，2025年营收只增长了8%，能拿营收增量奖励吗？", index_settings, store)
    assert "不符合" in answer.text and "要求：当年度营收增速达到10%；您填写：8%" in answer.text


def test_a_list_question_gets_the_matching_items(index_settings, store):
    answer = ask("慈溪有哪些针对企业的奖励政策？", index_settings, store)
    assert "现行扶持条款中符合您问题的共" in answer.text
    assert len(answer.citations) >= 5
    assert {c.source for c in answer.citations} >= {V2025}
    assert not any(c.source.startswith(("20_", "21_")) for c in answer.citations)  # superseded versions left out
    assert "余姚" not in answer.text  # another city's clauses do not apply


def test_a_clause_without_a_year_is_answered_from_2025_with_the_2024_change(index_settings, store):
    answer = ask("数字经济制造业企业营收增长的奖励标准是多少？", index_settings, store)
    assert answer.text.startswith("现行规定：《2025年慈溪市推进产业高质量发展的政策意见》")
    assert [c.source for c in answer.citations] == [V2025, V2024]
    assert "每增100万元最高奖励500元" in answer.text
    assert "与2024年版相比：增速门槛 12% → 10%；每单位金额 每增100万元1,000元 → 每增100万元最高500元" in answer.text


def test_a_clause_asked_for_2024_is_answered_from_2024_and_names_the_newer_version(index_settings, store):
    answer = ask("2024年数字经济制造业企业营收增长奖励标准是多少？", index_settings, store)
    assert answer.text.startswith("2024年版规定：《2024年慈溪市推进产业高质量发展的政策意见》")
    assert answer.citations[0].source == V2024 and "每增100万元奖励1000元" in answer.citations[0].quote
    assert f"注：2024年版已被《{POLICY_2025}》替代" in answer.text
    assert answer.citations[1].source == V2025


@pytest.mark.parametrize("question", [
    "上林英才的项目资助资金怎么分批拨付？",  # one fact: retrieval answers it
    "企业列入省数商能拿多少奖励？",  # one clause, no profile, no versions
    "2026年慈溪推进产业高质量发展的政策意见有哪些新的奖励标准？",  # a year no clause is from
    "浙江省级政策对数字经济制造业企业营收增长怎么奖励？",  # another issuer than the clause's
])
def test_other_questions_take_the_usual_path(index_settings, store, question):
    assert policy_answer(question, index_settings, store) is None


def test_the_assistant_answers_profile_questions_through_the_items(policy_assistant):
    answer = policy_assistant.ask("营收2亿、增长12%的数字经济制造业企业能拿多少？")
    assert answer.mode == "items" and "10,500元" in answer.text
    usual = policy_assistant.ask("上林英才的项目资助资金怎么分批拨付？")
    assert usual.mode == "extractive" and "20%、20%、30%" in usual.text


def test_a_policy_named_by_its_short_name_limits_the_match_to_it(index_settings, store):
    """四十条 is the 2021 policy; the 2018 one on the same subject is not listed."""
    answer = policy_answer("我们是做纺织的，准备上一个设备投入1200万的技改项目，按慈溪四十条意见完工后能拿多少？",
                           index_settings, store)
    assert answer is not None and "四十条意见" in answer.text, answer
    assert "优化产业政策促进制造业高质量发展" not in answer.text and "2018年" not in answer.text, answer.text


def test_revenue_from_one_amount_to_another_is_this_years_revenue_and_its_growth(index_settings, store):
    answer = policy_answer("我们是规上数字经济制造业，2024年营收8000万，2025年做到9000万，前两年增长平均也是正的，"
                           "按2025年政策能拿多少？", index_settings, store)
    assert answer is not None and "当年度营收增速：12.5%" in answer.text, answer
    assert "每增100万元最高奖励500元" in answer.text and "2024年8月1日" not in answer.text, answer.text


def test_two_years_naming_the_policy_compare_both_versions(index_settings, store):
    answer = policy_answer("2024年和2025年慈溪政策对规上数字经济制造业企业的当年营收增速门槛分别是多少？", index_settings, store)
    assert answer is not None and "增速达到10%以上" in answer.text and "增速达到12%以上" in answer.text, answer
