"""Question-to-question matching: one written form, what a question asks,
the guards (kind, year, place, bound), keyword overlap over the real
keyword index, and the Matcher with the real embedding model."""
import pytest

from assistant.embedding_cache import EmbeddingCache
from assistant.similar import Matcher, analyse, difference, overlap, score, word_weights, written_form


@pytest.mark.parametrize(
    "question, form",
    [
        ("高新技術企業認定獎勵資金什麼時候到賬？", "高新技术企业认定奖励资金什么时候到账?"),
        ("二〇二五年企业创新联合体补充申报", "2025年企业创新联合体补充申请"),
        ("25年创新联合体", "2025年创新联合体"),
        ("八七一八平台", "8718平台"),
        ("资助额五十万元以下", "资助额50万元以下"),
        ("第一批", "第1批"),
        ("统一的一站式服务", "统一的一站式服务"),  # a lone numeral inside a word stays
        ("省科小怎么认定", "浙江省科技型中小企业怎么认定"),
        ("高企认定", "高新技术企业认定"),
        ("技术改造项目补助", "技改项目补贴"),
        ("工作满10年以上", "工作满10年以上"),  # ten years, not 2010
    ],
)
def test_one_written_form(question, form):
    assert written_form(question) == form


@pytest.mark.parametrize(
    "question, kind",
    [
        ("科创贷怎么申请？", "办法"),
        ("科创贷利率是多少？", "金额"),
        ("奖励资金什么时候到账？", "时间"),
        ("截止日期是几号", "时间"),
        ("后续资金分几期拨付？", "数目"),
        ("要交哪些材料？", "材料"),
        ("服务站的联系电话是多少？", "联系方式"),
        ("横河镇有没有服务站？", "有无"),
        ("认定后有什么奖励？", "好处"),
        ("对劳动合同期限有什么要求？", "条件"),
        ("运营经费可以用在哪些方面？", "用途"),
        ("关于加大民营企业科技创新扶持力度的建议", ""),
    ],
)
def test_what_a_question_asks(question, kind):
    assert analyse(question).kind == kind


def test_years_places_and_bounds_are_read_in_their_written_form():
    form = analyse("二〇二四年余姚市资助50万元以上的项目怎么申请？")
    assert form.years == {"2024"} and form.places == {"余姚"} and form.bounds == {"以上"}
    assert analyse("慈溪市的项目怎么申请").places == set()  # the home city names no other place
    assert analyse("省科小怎么认定").places == {"浙江"}


@pytest.mark.parametrize(
    "a, b, reason",
    [
        ("科创贷怎么申请？", "科创贷利率是多少？", "问法不同"),
        ("2024年分布式光伏补助怎么申请？", "2025年分布式光伏补助怎么申请？", "年份不同"),
        ("高层次人才安家补助怎么申请？", "鄞州区高层次人才安家补助怎么申请？", "地区或层级不同"),
        ("资助50万元以下的科技计划项目怎么申报？", "资助50万元以上的科技计划项目怎么申报？", "范围不同"),
        ("二〇二四年分布式光伏补助去哪申请？", "2024年分布式光伏补助怎么申请？", ""),
        ("慈溪这边技改设备投入的奖励要怎么申报？", "慈溪技改项目设备投入奖励怎么申请？", ""),
    ],
)
def test_guards_say_why_two_questions_differ(a, b, reason):
    assert difference(analyse(a), analyse(b)) == reason


def test_keyword_overlap_forgives_a_homophone_and_ignores_words_no_document_uses(policy_assistant):
    policy_assistant.warm_up()  # the keyword index, whose words weigh
    weight = word_weights(policy_assistant.keywords)
    verified = analyse("科创贷怎么申请？")
    assert overlap(analyse("科创代怎么申请"), verified, weight) == pytest.approx(1.0)  # 代 sounds like 贷
    assert overlap(analyse("知识产权质押贷款怎么申请？"), verified, weight) < 0.6
    assert policy_assistant.keywords.known("科创贷") and not policy_assistant.keywords.known("打过来")
    assert weight("打过来") < weight("科创贷")


def test_score_weighs_meaning_and_keywords():
    assert score(1.0, 1.0) == pytest.approx(1.0)
    assert score(0.9, 0.5) < score(0.9, 0.8)


def test_the_matcher_serves_a_paraphrase_and_not_a_look_alike(policy_assistant, index_settings):
    policy_assistant.warm_up()
    matcher = Matcher(policy_assistant.embedder, policy_assistant.keywords, EmbeddingCache(index_settings.embedding_cache))
    matcher.set_entries([
        ["高新技术企业认定奖励资金什么时候到账？"],
        ["2024年分布式光伏补助怎么申请？", "2024年光伏补贴在哪申请？"],
    ])
    threshold = index_settings.verified_threshold
    hit = matcher.best("请问高企认定的奖励钱啥时候能到账？", threshold)
    assert hit is not None and hit.entry == 0 and hit.score >= threshold
    assert matcher.best("二〇二四年分布式光伏补助去哪申请？", threshold).entry == 1
    assert matcher.best("2025年分布式光伏补助怎么申请？", threshold) is None  # another year
    assert matcher.best("高新技术企业认定奖励资金是多少？", threshold) is None  # another attribute
    assert matcher.best("慈溪市2023年地区生产总值是多少？", threshold) is None  # unrelated
    scores = matcher.scores("2025年分布式光伏补助怎么申请？")
    assert scores[1].score == -1.0 and scores[1].reason == "年份不同"

