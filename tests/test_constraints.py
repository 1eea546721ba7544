"""The constraints a question pins down, checked against what would be
quoted (assistant/constraints.py), on Passage/Chunk/Sentence objects built
here from real sentences of the corpus. Fast (no model, no index): the
mutation run of constraints.py uses this file alone."""
from __future__ import annotations

import pytest

from assistant.answer import Choice, reports_earlier_years
from assistant.constraints import cut_off, near_miss, says_phrase, unmet
from assistant.documents import Answer, Chunk, Citation, DocMeta
from assistant.normalize import normalize
from assistant.reading import read_question
from assistant.retrieval import Passage
from assistant.sentences import Sentence

SEED_META = DocMeta(title="对市十八届人大一次会议第190号建议的答复", issuer="慈溪市科学技术局", date="2022-06-22",
                    doc_type="建议答复")
TRANCHES = "对入选“上林英才”计划的人才项目，首批30%的启动资金在项目落地后一次性拨付，后续资金按20%、20%、30%分三期拨付。"
BUDGET = "今年，预算安排人才发展专项资金1.3亿元，2021年科技支出资金为8.86亿元，同比增长15.20%。"


def passage(text: str, meta: DocMeta = SEED_META, section: str = "2、 引才用才政策", source: str = "a.txt") -> Passage:
    chunk = Chunk(id=f"{source}-0", source=source, index=0, text=text, start=0, end=len(text), section=section, meta=meta)
    return Passage(chunk)


def sentence(text: str, rank: int = 0) -> Sentence:
    return Sentence(passage_rank=rank, start=0, end=len(text), text=text, norm=normalize(text))


def check(question: str, *quoted: tuple[str, Passage], names: tuple[str, ...] = ()) -> list[str]:
    passages = [p for _, p in quoted]
    choice = Choice([sentence(text, rank) for rank, (text, _) in enumerate(quoted)])
    return unmet(read_question(question), passages, choice, names)


# ---------------------------------------------------------------- kinds of answer


def test_a_sum_asked_for_must_be_in_a_quoted_sentence():
    assert check("人才发展专项资金预算多少钱？", (BUDGET, passage(BUDGET))) == []
    assert check("人才发展专项资金预算多少钱？", (TRANCHES, passage(TRANCHES))) == ["具体金额"]


def test_each_kind_asked_for_is_named_when_missing():
    assert check("谁负责？电话多少？", (BUDGET, passage(BUDGET))) == ["具体的单位或人员", "联系电话"]
    assert check("谁负责？电话多少？", (TRANCHES, passage(TRANCHES))) == ["联系电话"]  # “上林英才” names someone
    assert check("找谁咨询，电话多少？", (TRANCHES, passage(TRANCHES))) == ["联系人", "联系电话"]  # 找谁: a contact person
    assert check("申报截止到几号？", (TRANCHES, passage(TRANCHES))) == ["具体日期"]
    assert check("有几家企业？", (TRANCHES, passage(TRANCHES))) == ["具体数量"]


def test_one_sentence_holding_the_kind_is_enough():
    assert check("人才发展专项资金预算多少钱？", (TRANCHES, passage(TRANCHES)), (BUDGET, passage(BUDGET))) == []


# ---------------------------------------------------------------- years


def test_a_year_holds_in_the_sentence():
    assert check("2021年科技支出多少？", (BUDGET, passage(BUDGET))) == []


def test_a_year_holds_in_the_title_or_the_date_of_the_document():
    titled = DocMeta(title="2025年慈溪市推进产业高质量发展的政策意见", issuer="慈溪市人民政府办公室", date="2025-09-16")
    assert check("2025年上林英才怎么拨付？", (TRANCHES, passage(TRANCHES, titled))) == []
    assert check("2022年上林英才怎么拨付？", (TRANCHES, passage(TRANCHES))) == []  # the reply's date
    assert check("2023年上林英才怎么拨付？", (TRANCHES, passage(TRANCHES))) == ["关于2023年的这项内容"]


def test_a_year_holds_in_the_passage_around_the_sentence_or_its_heading():
    around = passage(TRANCHES + "以上为2019年起执行的办法。")
    assert check("2019年上林英才怎么拨付？", (TRANCHES, around)) == []
    headed = passage(TRANCHES, section="三、2018年度安排")
    assert check("2018年上林英才怎么拨付？", (TRANCHES, headed)) == []


def test_a_work_report_holds_the_year_it_reviews_but_no_other():
    report = DocMeta(title="政府工作报告", issuer="慈溪市人民政府", date="2023-02-04", doc_type="工作报告")
    text = "全市研发投入增长15%。"
    assert check("2022年研发投入增长多少？", (text, passage(text, report))) == []
    assert check("2021年研发投入增长多少？", (text, passage(text, report))) == ["关于2021年的这项内容"]
    other = DocMeta(title="政府文件", issuer="慈溪市人民政府", date="2023-02-04", doc_type="政策文件")
    assert check("2022年研发投入增长多少？", (text, passage(text, other))) == ["关于2022年的这项内容"]
    undated = DocMeta(title="政府工作报告", issuer="慈溪市人民政府", date="", doc_type="工作报告")
    assert check("2022年研发投入增长多少？", (text, passage(text, undated))) == ["关于2022年的这项内容"]


def test_a_sentence_naming_only_earlier_years_reports_on_those_not_the_asked_one():
    report = DocMeta(title="2022年慈溪市政府工作报告", issuer="慈溪市人民政府", date="2022-01-23", doc_type="工作报告")
    earlier = "2020年地区生产总值首个突破2000亿元,2021年全市实现地区生产总值2379.2亿元。"
    assert check("2022年地区生产总值多少？", (earlier, passage(earlier, report))) == ["关于2022年的这项内容"]
    assert check("2021年地区生产总值多少？", (earlier, passage(earlier, report))) == []
    target = "到2025年,全市研发投入强度达到4%。"  # a later year: the 2022 document still holds 2022
    assert check("2022年的研发投入目标？", (target, passage(target, report))) == []
    # 今年 speaks of the document's own year beside the earlier one.
    assert check("2022年人才资金预算多少钱？", (BUDGET, passage(BUDGET, report))) == []


def test_each_year_is_checked_on_its_own():
    assert check("2021年和2023年的科技支出？", (BUDGET, passage(BUDGET))) == ["关于2023年的这项内容"]


# ---------------------------------------------------------------- places


def test_a_place_holds_in_the_sentence_title_or_issuing_body():
    assert check("慈溪上林英才怎么拨付？", (TRANCHES, passage(TRANCHES))) == []  # 慈溪市科学技术局
    ningbo = DocMeta(title="关于推进科技创新的若干意见", issuer="宁波市人民政府办公厅", date="2025-09-01")
    assert check("宁波上林英才怎么拨付？", (TRANCHES, passage(TRANCHES, ningbo))) == []
    assert check("宁波上林英才怎么拨付？", (TRANCHES, passage(TRANCHES))) == ["关于宁波的这项内容"]
    titled = DocMeta(title="余姚市制造业高质量发展若干意见", issuer="某某单位", date="2020-12-30")
    assert check("余姚的上林英才怎么拨付？", (TRANCHES, passage(TRANCHES, titled))) == []
    said = "宁波市对入选人才项目给予配套支持。"
    assert check("宁波的人才项目怎么支持？", (said, passage(said))) == []


def test_a_town_document_belongs_to_cixi_and_a_district_to_itself():
    town = DocMeta(title="综合体依托单位征集", issuer="桥头镇人民政府", date="2025-05-06")
    assert check("慈溪的综合体依托单位？", (TRANCHES, passage(TRANCHES, town))) == []
    district = DocMeta(title="科技创新投入机制实施方案", issuer="宁波市鄞州区人民政府", date="2026-01-04")
    assert check("鄞州的科技投入？", (TRANCHES, passage(TRANCHES, district))) == []
    assert check("慈溪的科技投入？", (TRANCHES, passage(TRANCHES, district))) == ["关于慈溪的这项内容"]


def test_a_place_named_only_in_the_issuer_counts():
    issuer_only = DocMeta(title="通知", issuer="浙江省科学技术厅、浙江省财政厅", date="2016-01-30")
    assert check("浙江的备案？", (TRANCHES, passage(TRANCHES, issuer_only))) == []


# ---------------------------------------------------------------- batches and names


def test_a_batch_holds_in_the_sentence_or_the_heading():
    first = "第一批企业研发机构名单如下。"
    assert check("第一批企业研发机构有哪些？", (first, passage(first))) == []
    assert check("第二批企业研发机构有哪些？", (first, passage(first))) == ["关于第2批的这项内容"]
    assert check("第二批企业研发机构有哪些？", (first, passage(first, section="二、第二批名单"))) == []


def test_programme_names_must_be_in_the_sentence_or_its_heading():
    assert check("上林英才怎么拨付？", (TRANCHES, passage(TRANCHES)), names=("上林英才",)) == []
    assert check("甬江人才怎么拨付？", (TRANCHES, passage(TRANCHES)), names=("甬江人才",)) == ["关于“甬江人才”的这项内容"]
    headed = passage("资金分三期拨付。", section="甬江人才工程")
    assert check("甬江人才怎么拨付？", ("资金分三期拨付。", headed), names=("甬江人才",)) == []


def test_the_missing_pieces_come_in_order_kinds_then_scope_then_names():
    found = check("2023年宁波第二批甬江人才奖励多少钱？", ("资金分三期拨付。", passage("资金分三期拨付。")), names=("甬江人才",))
    assert found == ["具体金额", "具体的奖补标准", "关于2023年的这项内容", "关于宁波的这项内容", "关于第2批的这项内容",
                     "关于“甬江人才”的这项内容"]


def test_sentences_are_checked_against_their_own_passage():
    ningbo = DocMeta(title="通知", issuer="宁波市人民政府办公厅", date="2025-09-01")
    cixi, other = passage(TRANCHES), passage("另一段。", ningbo, source="b.txt")
    passages = [cixi, other]
    choice = Choice([sentence("另一段。", rank=1)])
    assert unmet(read_question("宁波的规定？"), passages, choice) == []
    choice = Choice([sentence(TRANCHES, rank=0)])
    assert unmet(read_question("宁波的规定？"), passages, choice) == ["关于宁波的这项内容"]


def test_a_sentence_from_a_document_of_another_time_beside_the_asked_year_is_refused():
    old = DocMeta(title="关于优化产业政策的若干意见", issuer="慈溪市人民政府办公室", date="2018-08-22")
    new = DocMeta(title="四十条意见", issuer="慈溪市人民政府办公室", date="2021-07-10")
    first, third = "1.对一般类项目按4%奖励;", "3.对六大重点细分行业的项目按8%奖励。"
    passages = [passage(first, new), passage(third, old, source="b.txt")]
    both = Choice([sentence(first, 0), sentence(third, 1)])
    assert unmet(read_question("2021年四十条里六大重点细分行业奖励多少？"), passages, both) == ["关于2021年的这项内容"]
    assert unmet(read_question("2021年四十条里一般类项目奖励多少？"), passages, Choice([sentence(first, 0)])) == []
    later = DocMeta(title="2022年政策意见", issuer="慈溪市人民政府办公室", date="2022-08-01")
    second = "2.对“3+3”产业项目按6%奖励;"
    passages = [passage(first, new), passage(second, later, source="c.txt"), passage(third, old, source="b.txt")]
    three = Choice([sentence(first, 0), sentence(second, 1), sentence(third, 2)])
    assert unmet(read_question("2021年和2022年的技改奖励？"), passages, three) == ["关于2021年、2022年的这项内容"]
    # A document written the year after may report on the asked year; one written later may not.
    count, intro = "2022年,全市推荐申报高新技术企业360余家。", "您提出的建议收悉,现答复如下:"
    for written, expected in (("2023-06-25", []), ("2025-06-25", ["关于2022年的这项内容"])):
        report = DocMeta(title="332号建议的答复", issuer="慈溪市科学技术局", date=written)
        passages = [passage(count, report), passage(intro, report, source="c.txt")]
        assert unmet(read_question("2022年推荐申报高企多少家？"), passages,
                     Choice([sentence(count, 0), sentence(intro, 1)])) == expected


def test_a_level_the_question_names_must_be_among_the_levels_quoted():
    levels = "对获批创建国家级、省级技术创新中心的,分别给予综合扶持。"
    assert check("市级技术创新中心奖励多少？", (levels, passage(levels))) == ["具体的奖补标准", "关于市级的这项内容"]
    assert check("省级技术创新中心有什么扶持？", (levels, passage(levels))) == []
    assert check("市级的上林英才怎么拨付？", (TRANCHES, passage(TRANCHES))) == []  # a sentence naming no level


def test_a_document_named_by_its_number_must_be_the_one_quoted():
    numbered = DocMeta(title="补充规定", issuer="慈溪市科学技术局", date="2023-01-17", doc_number="慈科〔2023〕3号")
    rule = "对资助总额在50万元以下的项目,直接发布申报通知。"
    assert check("慈科〔2023〕3号对50万元以下的项目怎么规定？", (rule, passage(rule, numbered))) == []
    assert check("慈科[2023]3号对50万元以下的项目怎么规定？", (rule, passage(rule, numbered))) == []
    assert check("慈科〔2024〕53号对50万元以下的项目怎么规定？", (rule, passage(rule, numbered))) == [
        "慈科〔2024〕53号文件中的这项内容"]
    citing = "现就《管理办法》(慈科〔2021〕39号)补充规定如下:"
    assert check("慈科〔2021〕39号的验收程序是怎样的？", (citing, passage(citing, numbered))) == [
        "慈科〔2021〕39号文件中的这项内容"]
    # Which document a number is: a sentence citing it answers that.
    assert check("慈科〔2021〕39号是个什么文件？", (citing, passage(citing, numbered))) == []


def test_a_phrase_the_question_quotes_must_be_in_the_quoted_passage():
    clause = "1.加大数字经济制造业培育力度。对营收增速达到10%以上的企业给予奖励。(责任单位:市经信局)"
    assert check("“加大数字经济制造业培育力度”这条的责任单位是谁？", ("(责任单位:市经信局)", passage(clause))) == []
    assert check("“加大数字经济服务业培育力度”这条的责任单位是谁？", ("(责任单位:市经信局)", passage(clause))) == [
        "关于“加大数字经济服务业培育力度”的这项内容"]


# ---------------------------------------------------------------- refusals


def citation() -> Citation:
    return Citation(n=1, chunk_id="a.txt-0", source="a.txt", title=SEED_META.title, issuer=SEED_META.issuer,
                    date=SEED_META.date, section="", quote=TRANCHES, score=0.9)


def test_near_miss_names_what_is_missing_and_keeps_the_nearest_citations():
    nearest = Answer(question="q", text=TRANCHES + "[1]", citations=[citation()])
    refusal = near_miss("2023年宁波的拨付？", ["关于2023年的这项内容", "关于宁波的这项内容"], nearest)
    assert refusal.refused and refusal.question == "2023年宁波的拨付？"
    assert refusal.text == ("现有文件中没有关于2023年的这项内容、关于宁波的这项内容，无法按您的问题回答。"
                            f"以下是最接近的原文，仅供参考，并非您问的内容：\n{TRANCHES}[1]")
    assert refusal.citations == nearest.citations


def test_cut_off_quotes_the_cut_sentence_with_its_source():
    cut = sentence("后续资金按20%、20%")
    answer = cut_off("后续资金怎么拨付？", cut, passage(TRANCHES), Answer(question="q", text="", citations=[citation()]))
    assert answer.refused and answer.question == "后续资金怎么拨付？"
    assert answer.text == ("现有文件（慈溪市科学技术局，2022年6月22日）是节选，相关条款在此处被截断，无法确认完整内容，"
                           "为避免误导不作推测。截断处原文：后续资金按20%、20%[1]")
    assert answer.citations == [citation()]


@pytest.mark.parametrize("phrase, text, said", [
    ("健全‘企业认定、政府认账’机制", "3.健全“企业认定、政府认账”机制。", True),  # other quote marks
    ("产业几条", "精准出台稳进提质“产业18条”", True),  # a number asked stands for any number
    ("产业几条", "出台产业政策", False),
    ("先投后贷", "通过先投后贷、先贷后投", True),
    # a long phrase quoted with words left out: its two halves, in order and close together
    ("资助总额在50万元以下的项目直接发布申报通知", "对资助总额在50万元以下的项目,由市科技局根据科技创新发展导向需求,直接发布申报通知", True),
    ("直接发布申报通知资助总额在50万元以下", "对资助总额在50万元以下的项目,由市科技局根据科技创新发展导向需求,直接发布申报通知", False),
    ("甬江人才工程", "甬江人才计划和工程", False),  # a short one must be said whole
])
def test_a_quoted_phrase_is_found_whatever_its_quote_marks(phrase, text, said):
    assert says_phrase(phrase, normalize(text)) == said


@pytest.mark.parametrize("text, year, earlier", [
    ("2021年全市实现科技支出8.86亿元", "2022", True),
    # a year in the title of a document cited dates that document only
    ("其他申报要求参照《关于组织开展2024年度慈溪市产业创新服务综合体和企业创新联合体申报工作的通知》执行", "2025", False),
])
def test_a_sentence_naming_only_earlier_years_reports_on_them(text, year, earlier):
    assert reports_earlier_years(normalize(text), year) == earlier
