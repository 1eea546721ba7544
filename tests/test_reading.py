"""Reading a question (assistant/reading.py): what kind of answer fits,
and the years, places, batches and metadata fields it pins down. Real
questions of the eval set and the corpus's issuing bodies; fast (no model,
no index): the mutation run of reading.py uses this file alone."""
from __future__ import annotations

import json

import pytest
from conftest import ROOT

from assistant.normalize import normalize
from assistant.reading import (
    GLOSSARY,
    asked_kinds,
    asked_place_text,
    asked_years,
    asks_cited,
    certified,
    doc_numbers,
    fields_asked,
    jurisdiction,
    metadata_phrases,
    names_year,
    programme_names,
    provides,
    read_question,
    split_parts,
)


@pytest.mark.parametrize(
    "question, kinds, years, places, batches, meta",
    [
        ("2022年慈溪人才发展专项资金预算安排了多少？", ["figure"], [2022], ["慈溪"], [], []),
        ("2023年第一批企业研发机构有多少家？", ["count"], [2023], [], [1], []),
        ("二〇二三年第二批企业研发机构有几家？", ["count"], [2023], [], [2], []),
        ("宁波市科技局的联系电话是多少？", ["phone"], [], ["宁波"], [], []),
        ("这份答复是哪个部门印发的？", ["who"], [], [], [], ["issuer"]),
        ("这个文件还有效吗？", [], [], [], [], ["validity"]),
        ("答复的文号是什么？", ["doc_number"], [], [], [], ["doc_number"]),
        ("这份文件是什么时候印发的？", [], [], [], [], ["date"]),
        ("文件的全称是什么？", [], [], [], [], ["title"]),
        ("是全文吗？", [], [], [], [], ["completeness"]),
        ("一般类和3+3类分别按多少比例、最高奖多少?", ["reward", "percent"], [], [], [], []),
        ("找谁咨询，电话多少？", ["contact", "phone"], [], [], [], []),
        ("自筹比例有限制吗？", [], [], [], [], []),  # a yes-or-no question asks for no figure
        ("桥头镇的综合体依托单位有几家？", ["count"], [], ["桥头"], [], []),
        ("观海卫镇和浒山街道有什么政策？", [], [], ["浒山", "观海卫"], [], []),  # sorted
        ("GDP增长了多少？", ["percent"], [], [], [], []),
        ("鄞州区2025年和2024版的科技投入怎么算？", [], [2024, 2025], ["鄞州"], [], []),
        ("上林英才奖励多少钱？", ["money", "reward"], [], [], [], []),
        ("高新技术企业最多能拿多少？", ["reward"], [], [], [], []),
        ("申报截止到几号？", ["date"], [], [], [], []),
        ("去年一共几个项目？", ["count"], [], [], [], []),
        ("第几条规定了这个？", [], [], [], [], []),
        ("有几条要求？", ["count"], [], [], [], []),
        ("几个亿的投入？", ["money"], [], [], [], []),
        ("12020年的事", [], [], [], [], []),  # not a year: a longer number
        ("第190号建议是第几号？", [], [], [], [], []),  # 第几号 asks for a number, not a day
        # the 文号 of the documents a text cites is in its text, not its metadata
        ("这份公示是依据哪几个文件做的？请列出文号。", ["doc_number"], [], [], [], []),
        ("补充规定补充的是哪个文件？文号多少？", ["doc_number"], [], [], [], []),
        ("这个政策是哪个单位写的？", ["who"], [], [], [], ["issuer"]),
        ("2017年的政府工作报告是在哪次人代会上作的？", [], [2017], [], [], ["title"]),
        ("做补充规定的那个文件是哪几个部门联合发的？文号多少？", ["who", "doc_number"], [], [], [], ["doc_number", "issuer"]),
        ("余姚那份意见是几号文？", ["doc_number"], [], ["余姚"], [], ["doc_number"]),
        ("两地的研发强度目标谁高？", ["percent"], [], [], [], []),  # 谁高 compares, it asks for no one
        ("那个暂行办法是哪天定稿的？", [], [], [], [], ["date"]),
        ("第1条的责任单位写的是哪个部门？", ["who"], [], [], [], []),  # the clause's 责任单位, not the issuer
        ("慈科〔2023〕3号是对哪个母文件做的补充？母文件文号是多少？", ["doc_number"], [], [], [], []),
    ],
)
def test_read_question(question, kinds, years, places, batches, meta):
    reading = read_question(question)
    assert reading.question == question
    assert (reading.kinds, reading.years, reading.places, reading.batches, reading.meta_fields) == (
        kinds, years, places, batches, meta)
    assert reading.asks_metadata is bool(meta)


def test_the_text_is_normalised_and_english_glossed():
    assert read_question("二〇二三年第一批").text == "2023年第1批"
    assert read_question("R&D投入强度是多少").text == "研发投入强度是多少"
    assert read_question("gdp和ai、it").text == "地区生产总值和人工智能、信息技术"
    assert set(GLOSSARY) == {"GDP", "R&D", "AI", "IT"}


def test_every_eval_question_is_read_without_error_and_its_years_are_its_own():
    rows = [json.loads(line) for line in (ROOT / "evals" / "questions.jsonl").read_text("utf-8").splitlines() if line]
    assert len(rows) > 100
    for row in rows:
        reading = read_question(row["question"])
        for year in reading.years:
            assert str(year) in reading.text


@pytest.mark.parametrize("question, kind", [("创新联合体补充申报什么时候截止？", "date"),
                                            ("后续资金按什么比例分期拨付？", "percent"),
                                            ("材料寄到什么地址？", "address")])
def test_a_what_question_asks_for_its_kind(question, kind):
    assert kind in read_question(question).kinds


@pytest.mark.parametrize(
    "text, parts",
    [
        ("找谁咨询,电话多少?", ["找谁咨询", "电话多少"]),
        ("一般类和3+3类分别按多少比例、最高奖多少?", []),
        ("申报条件是什么?材料有哪些?", ["申报条件是什么", "材料有哪些"]),
        ("条件;材料", ["条件", "材料"]),
        ("a?b?", []),  # parts shorter than two characters do not count
        ("条件是什么?材料有哪些。", ["条件是什么", "材料有哪些"]),  # closing punctuation is not part of a part
        ("X射线设备补助多少?联系电话是多少", ["X射线设备补助多少", "联系电话是多少"]),  # only punctuation is trimmed
        ("单独一个问题", []),
        ("他说,你好", []),  # a comma before no question word does not split
        # a lead asking nothing is no sub-question (its words are the whole question's)
        ("2025年政策里,软件首版次奖多少?省数商又奖多少?", ["软件首版次奖多少", "省数商又奖多少"]),
        ("我们是村集体,资助不到50万,怎么申报?自筹比例有要求没?", ["怎么申报", "自筹比例有要求没"]),
        ("联合体补充申报,除了截止时间,其他要求参照哪个文件?", ["其他要求参照哪个文件"]),  # alone after a lead
    ],
)
def test_split_parts(text, parts):
    assert split_parts(text) == parts


@pytest.mark.parametrize(
    "text, kinds",
    [
        ("奖励多少", ["reward"]),
        ("这项奖励有吗,金额多少", ["money"]),  # the yes-or-no part asks for nothing
        ("是否给补助,给多少", ["reward"]),
        ("什么时候印发", []),  # the document's date: a metadata question, not a date in its text
        ("哪天发布的,截止几号", []),
        ("多少", ["figure"]),
        ("第几批", []),
        ("几条", ["count"]),
        ("增幅多少", ["percent"]),
        ("多少个亿", ["money"]),
        ("是谁作的?人均GDP有多少?", ["who", "figure"]),  # a figure besides the who another part asks
        ("哪天答复的?建议编号是多少?", []),  # a number naming the suggestion is no figure
    ],
)
def test_asked_kinds(text, kinds):
    assert asked_kinds(text) == kinds


@pytest.mark.parametrize(
    "text, kind, held",
    [
        ("补助10万元", "money", True),
        ("补助10万", "money", False),
        ("最高奖30%", "reward", True),
        ("最高奖励", "reward", False),
        ("2025年5月8日", "date", True),
        ("2025-05-08", "date", True),
        ("2025年5月", "date", True),
        ("2025年", "date", False),
        ("35家", "count", True),
        ("35余家", "count", True),
        ("若干家", "count", False),
        ("30%", "percent", True),
        ("提高2个百分点", "percent", True),
        ("比例适当", "percent", False),
        ("联系人：张三", "who", True),
        ("由市科技局牵头", "who", True),
        ("慈溪市科学技术局负责", "who", True),
        ("企业自行申报", "who", False),
        ("电话0574-63012345", "phone", True),
        ("电话63012345", "phone", True),
        ("电话待定", "phone", False),
        ("解放路1号", "address", True),
        ("网上办理", "address", False),
        ("共5项", "figure", True),
        ("2025年", "figure", False),  # a year is not the figure asked for
        ("2025 版", "figure", False),
        ("2025年共5项", "figure", True),
    ],
)
def test_provides(text, kind, held):
    assert provides(text, kind) is held


@pytest.mark.parametrize(
    "issuer, place",
    [
        ("慈溪市科学技术局", "慈溪"),
        ("慈溪市桥头镇人民政府", "慈溪"),
        ("掌起镇人民政府", "慈溪"),
        ("宁波市鄞州区人民政府", "鄞州"),  # the most specific place named
        ("浙江省宁波市", "宁波"),
        ("宁波市人民政府办公厅", "宁波"),
        ("浙江省科学技术厅", "浙江"),
        ("余姚市人民政府", "余姚"),
        ("测试单位", ""),
        ("", ""),
    ],
)
def test_jurisdiction(issuer, place):
    assert jurisdiction(issuer) == place


@pytest.mark.parametrize("question, documents", [
    ("慈科〔2024〕53号规定的申报条件有哪些？", ["慈科〔2024〕53号"]),
    ("按照慈政办发[2025]20号的规定", ["慈政办发〔2025〕20号"]),
    ("《管理办法》(慈科〔2021〕第39号)", ["慈科〔2021〕39号"]),
    ("2024年的政策意见", []),
])
def test_documents_named_by_their_number(question, documents):
    assert [str(d) for d in read_question(question).documents] == documents


def test_a_named_number_matches_the_document_whatever_the_brackets():
    named = read_question("规定的慈科(2023)3号").documents[0]
    assert named.names("慈科〔2023〕3号")
    assert not named.names("慈政办发〔2023〕3号") and not named.names("慈科〔2023〕30号") and not named.names("")
    assert named.quoted_in("现就《管理办法》(慈科〔2023〕3号)补充规定如下")


@pytest.mark.parametrize("question, levels, quoted", [
    ("宁波市级技术创新中心认定后奖励多少？", ["市"], []),
    ("国家级和省级专精特新有什么区别", ["国家", "省"], []),
    ("“加大数字经济服务业培育力度”这条谁负责？", [], ["加大数字经济服务业培育力度"]),
    ("“上林”是什么", [], []),  # too short to pin anything down
])
def test_levels_and_quoted_phrases(question, levels, quoted):
    reading = read_question(question)
    assert reading.levels == levels and reading.quoted == quoted


def test_the_registration_code_is_a_metadata_question():
    assert read_question("这个办法的规范性文件编号是多少？").meta_fields == ["code"]


@pytest.mark.parametrize("question, fields", [
    ("这个办法是什么时候发布的？", ["published"]),
    ("暂行办法哪天成文、哪天发布的？", ["date", "published"]),
    ("补充规定哪天印发的？", ["date"]),
    ("发布日期和规范性文件编号是什么？", ["published", "code"]),
    ("政策意见是几月几号印发的？", ["date"]),
    ("备案通知是省里哪个厅发的 落款哪天", ["issuer", "date"]),
    ("补充规定是哪两家联合发的？", ["issuer"]),
])
def test_written_and_published_dates_are_different_fields(question, fields):
    assert read_question(question).meta_fields == fields


@pytest.mark.parametrize("question, things", [
    ("产业创新服务综合体和企业创新联合体分别由谁牵头？", ["产业创新服务综合体", "企业创新联合体"]),
    ("综合体与联合体有什么区别？", ["综合体", "联合体"]),
    ("慈溪和余姚的技改奖励分别是多少", ["慈溪", "余姚"]),
    ("我们想了解综合体和联合体的区别", ["综合体", "联合体"]),
    ("慈溪的产业创新服务综合体和企业创新联合体，在政府扮演的角色上有什么不同？", ["产业创新服务综合体", "企业创新联合体"]),
    ("2023年版和2024年版有什么不同？", []),  # years are compared as years
    ("科创贷最高能贷多少？", []),
])
def test_the_two_things_a_comparison_names(question, things):
    assert read_question(question).compared == things


@pytest.mark.parametrize("question, places", [
    ("我们是慈溪企业，想在杭州、上海这种大城市设研发中心，能帮忙吗？", []),  # examples, and where the asker is
    ("桥头镇在找智能家电综合体的运营单位，我们公司是在余姚注册的，能报名吗？", ["桥头"]),  # the rule asked is 桥头's
    ("我们是余姚的企业，余姚的技改奖励是多少？", ["余姚"]),  # asked about by name too
    ("在杭州等地设研发机构有奖励吗", []),
    ("慈溪和余姚的技改奖励分别是多少?", ["余姚", "慈溪"]),
])
def test_places_given_as_examples_or_as_the_askers_own_are_not_asked_about(question, places):
    assert read_question(question).places == places


@pytest.mark.parametrize("question, fields", [
    ("这份通知是哪个单位发的，什么时候发的？", ["issuer", "date"]),
    ("实施方案是哪级政府印发的？", ["issuer"]),
    ("市政府办公室印发的这个意见奖励多少？", []),  # names the issuer, does not ask for it
    ("科技部门与财政部门联合出台的补充规定，申报怎么组织？", []),  # so does 部门…出台的 without 哪/谁
    ("那份通知是哪个厅落款的？", ["issuer"]),
    ("按现行补充规定有什么解决办法？", []),  # 现行 describes the rule; 是否现行 asks validity
    ("这个办法是否现行？", ["validity"]),
])
def test_who_issued_and_when_in_everyday_words(question, fields):
    assert read_question(question).meta_fields == fields


@pytest.mark.parametrize("question, years, report_years", [
    ("2023年政府工作报告说慈溪地区生产总值多少？", [2023], [2023]),
    ("2023年慈溪政府工作报告里，2022年地区生产总值是多少？", [2022, 2023], [2023]),
    ("慈溪2023年全年地区生产总值是多少？", [2023], []),
    ("2023年2月慈溪政府工作报告里，兑付惠企政策资金多少？", [2023], [2023]),  # named by year and month
    ("二〇一七年市政府工作报告里，二〇一六年全市地区生产总值是多少？", [2016, 2017], [2017]),
    ("2023年那份慈溪政府工作报告里，2022年GDP多少？", [2022, 2023], [2023]),
    ("二〇一七年那次政府工作报告里，上一年度地区生产总值是多少？", [2017], [2017]),
    ("据二〇二二年度慈溪市政府工作报告所述，至二〇二一年末不良贷款率多少？", [2021, 2022], [2022]),
])
def test_a_year_naming_a_work_report_is_told_apart(question, years, report_years):
    reading = read_question(question)
    assert (reading.years, reading.report_years) == (years, report_years)


def test_a_document_number_is_a_kind_of_answer():
    assert "doc_number" in asked_kinds("2022年政策意见的文号是什么?")
    assert provides("根据《通知》(慈政办发〔2022〕38号)精神", "doc_number")
    assert not provides("根据2022年政策意见精神", "doc_number")


@pytest.mark.parametrize("text, held", [
    ("请在5个工作日内提出", True), ("满3个月", True), ("30天内", True),
    ("2025年5月8日", False), ("1月30日印发", False), ("3月份", False),  # dates, not spans of time
])
def test_a_span_of_time_is_a_kind_of_answer(text, held):
    assert "duration" in asked_kinds("有异议多长时间内提?") and "duration" in asked_kinds("补助多久能到账?")
    assert provides(text, "duration") is held


@pytest.mark.parametrize("question", ["这份意见是完整的吗？", "2023年政策意见到哪一句断掉了？", "资料库里的办法是不是全文？"])
def test_whether_the_text_is_complete_in_everyday_words(question):
    assert "completeness" in read_question(question).meta_fields


def test_metadata_phrases_are_the_asking_stretches():
    assert metadata_phrases("2023年产业政策意见是哪天发布的？") == ["哪天发布"]
    assert metadata_phrases("上林英才计划资助多少？") == []


def test_articles_named_by_number_in_either_numeral():
    assert read_question("补充规定第三条原文怎么写的？").articles == [3]
    assert read_question("第十一条和第2条有什么不同？").articles == [11, 2]
    assert read_question("依据哪个文件第几条？").articles == []


def test_a_question_keeps_its_parts():
    assert read_question("找谁咨询，电话多少？").parts == ["找谁咨询", "电话多少"]
    assert read_question("电话多少？").parts == []


@pytest.mark.parametrize("text, names", [
    ("海燕创新券每家能申领多少", [("海燕创新券", "海燕")]),
    ("上林英才计划资助多少", [("上林英才", "上林")]),
    ("科创贷怎么合作", [("科创贷", "科创")]),
    ("帮企业贴贷款利息花了多少", []),  # 贷款 is no programme
])
def test_programme_like_names_and_the_words_naming_them(text, names):
    assert programme_names(text) == names


@pytest.mark.parametrize("question, source", [
    ("提出两大科技创新高地的是浙江省哪份文件？", True),
    ("“快享直达”这个目标出自哪份文件？", True),
    ("要求各地贯彻落实的是哪份文件？", False),  # a document the text cites
    ("研发机构奖励多少？", False),
])
def test_asks_source(question, source):
    assert read_question(question).asks_source is source


def test_metadata_phrases_hold_the_words_asking_which_document():
    assert any("哪份文件" in p for p in metadata_phrases("这个目标出自哪份文件？"))


def test_certified_reads_the_stretch_before_a_certification():
    assert certified("高新技术企业认定奖励标准是多少？") == ["高新技术企业"]
    assert certified("研发机构的认定条件？") == ["研发机构"]
    assert certified("奖励多少？") == []
    assert certified("全省2024年度通过备案的科技型中小企业") == []  # 年度通过 names nothing certified
    assert certified("我们申请高企认定") == ["高企"]
    assert certified("青年人才认定有什么要求？") == ["青年人才"]  # 青年's 年 is no year
    assert certified("今年高新技术企业认定奖多少？") == ["高新技术企业"]


@pytest.mark.parametrize("question, years", [
    ("22年疫情那阵子贴了多少利息？", [2022]),
    ("按二五年慈溪政策能拿多少？", [2025]),
    ("工作满25年有奖励吗？", []),  # a span, not a year
    ("近20年以来增长多少？", []),
    ("连续工作10年", []),
])
def test_a_year_written_short_is_read_as_this_centurys(question, years):
    assert read_question(question).years == years


@pytest.mark.parametrize("text, year, said", [
    ("2025年慈溪市推进产业高质量发展", 2025, True),
    ("发布日期:2025-09-16", 2025, True),
    ("2025版", 2025, True),
    ("列入“中国制造2025”宁波行动专项试点产业", 2025, False),  # a name, not the year
    ("12025年", 2025, False),
])
def test_names_year_tells_a_year_from_digits_in_a_name(text, year, said):
    assert names_year(text, year) is said


@pytest.mark.parametrize("question, kinds", [
    ("第一条列了哪几个上位依据文件？", []),  # which ones, not how many
    ("开头引用的是哪两份文件？", []),
    ("科创贷单户最高能贷多少，利率多少？", ["money", "percent"]),
    ("一共有几家？", ["count"]),
])
def test_asked_kinds_of_lists_loans_and_rates(question, kinds):
    assert read_question(question).kinds == kinds


@pytest.mark.parametrize("sentence, figure", [
    ("您在市人大十八届二次会议大会期间提出的《关于提升中小企业科技创新能力的建议》(第332号建议)收悉", False),
    ("根据慈科〔2022〕55号文件精神", False),
    ("单户最高可贷500万元", True),
])
def test_numbers_naming_a_document_or_session_are_no_figure(sentence, figure):
    assert provides(normalize(sentence), "figure") is figure


def test_a_question_naming_a_cited_document_by_title_asks_for_what_it_cites():
    reading = read_question("2022年度第一批企业研发机构认定备案，依据的《慈溪市企业研发机构建设管理办法》文号是多少？")
    assert "doc_number" not in reading.meta_fields  # the 文号 is the cited document's, in the citing text


def test_not_the_same_is_a_comparison():
    reading = read_question("产业创新服务综合体和企业创新联合体，在由谁牵头这点上有什么不一样？")
    assert reading.compared == ["产业创新服务综合体", "企业创新联合体"]


@pytest.mark.parametrize("question, kinds", [
    ("慈溪四十条意见里，设备投入多少以上的技改项目才能拿奖励？", ["threshold"]),  # the bar, not the sum
    ("软硬件投入至少达到多少万才能列入？", ["threshold"]),
    ("技改奖励多少？", ["reward"]),
])
def test_a_question_about_the_bar_to_clear_asks_for_a_threshold(question, kinds):
    assert read_question(question).kinds == kinds


def test_a_threshold_is_no_sum_granted():
    assert not provides(normalize("对资助总额在50万元以下的项目,直接发布申报通知"), "reward")
    assert provides(normalize("对资助总额在50万元以下的项目,直接发布申报通知"), "threshold")
    assert provides(normalize("对设备投入在500万元以上的项目按4%给予不超过200万元的奖励"), "reward")


def test_years_naming_work_reports_in_a_pair():
    reading = read_question("对比2017年和2022年两份政府工作报告:2016年和2021年慈溪一般公共预算收入分别是多少?")
    assert reading.report_years == [2017, 2022] and reading.years == [2016, 2017, 2021, 2022]


def test_ascii_quotes_pair_in_order():
    reading = read_question('2018年和2021年的意见,对"3+3"产业技改项目奖励标准一样吗?"ABCT"产业范围有啥不同?')
    assert reading.quoted == ["ABCT"]  # not the stretch between "3+3" and "ABCT"


@pytest.mark.parametrize("question, fields", [
    # the 文号 of the document itself, asked beside what it supplements
    ("补充规定文号是多少，补充的是哪个文件？", ["doc_number"]),
    # the 文号 of the document it supplements: in the same clause, or asked of it after
    ("补充的是哪个文号的科技计划项目管理办法？", []),
    ("补充的是哪个文件？那个文件文号多少？", []),
    ("慈科〔2023〕3号补充的那个《慈溪市科技计划项目管理办法(修订)》原文号是多少？", []),
])
def test_a_cited_documents_number_is_not_the_documents_own(question, fields):
    assert fields_asked(normalize(question)) == fields


@pytest.mark.parametrize("question, kept", [
    ("苏州对新认定的高新技术企业奖励多少钱？", True),
    ("我们是从苏州搬过来的企业，研发机构能奖多少？", False),
    ("我们公司在苏州，能申请吗", False),
])
def test_where_the_asker_comes_from_is_not_a_place_asked_about(question, kept):
    assert ("苏州" in asked_place_text(question)) == kept


@pytest.mark.parametrize("question, plan", [
    ("332号建议答复里科技局下一步要怎么引导金融机构？", True),
    ("今后科技局怎么支持企业创新？", True),
    ("我们打算申请研发机构，能奖多少？", False),
])
def test_next_steps_are_a_kind_asked(question, plan):
    assert ("plan" in asked_kinds(question)) == plan


@pytest.mark.parametrize("text, held", [
    ("下步，市科技局将进一步立足于靠前服务", True),
    ("现将有关意见答复如下", False),
])
def test_a_sentence_of_intent_provides_next_steps(text, held):
    assert provides(text, "plan") == held


@pytest.mark.parametrize("question, years", [
    ("2020年一般公共预算收入多少，与2019年相比有无增长？", [2020]),  # the base year: 与上一年
    ("2018年和2021年的意见相比多了什么", [2018, 2021]),  # two years compared, not a base
    ("2022年比2020年多了几家", [2020, 2022]),  # not the year before
])
def test_a_year_compared_with_the_year_after_is_not_asked(question, years):
    assert asked_years(normalize(question)) == years


@pytest.mark.parametrize("question, kinds", [
    ("一次性奖励是不是10万元？其他几类分别多少？", ["figure"]),  # amounts per kind, not how many kinds
    ("分哪几类？一共几类？", ["count"]),
])
def test_several_kinds_each_asked_an_amount_is_no_count(question, kinds):
    assert asked_kinds(normalize(question)) == kinds


@pytest.mark.parametrize("question, fields", [
    ("那份政府工作报告是哪天、在哪次会议上作的？", ["date", "title"]),
    ("这个政策意见现在还是有效的吗？", ["validity"]),
])
def test_more_everyday_metadata_asks(question, fields):
    assert read_question(question).meta_fields == fields


def test_a_list_of_years_is_read_when_its_last_says_year():
    assert asked_years(normalize("2023、2024、2025三个年度的政策意见")) == [2023, 2024, 2025]
    assert asked_years(normalize("2023和2024年版有什么不同")) == [2023, 2024]
    assert asked_years(normalize("共2023、2024家企业")) == []


def test_a_work_report_typed_by_sound_or_named_by_its_start_names_its_year():
    assert read_question("２０２２年慈溪市政府工做报告里GDP多少").report_years == [2022]
    assert read_question("2023年政府工作抱告里讲首贷户多少").report_years == [2023]
    assert read_question("二〇二二年年初那份政府工作报告说什么").report_years == [2022]


def test_a_document_set_aside_is_not_named():
    assert doc_numbers("除慈政办发〔2024〕57号外，还依据哪份") == []
    assert doc_numbers("除了慈科〔2025〕14号还有哪个") == []
    assert doc_numbers("依据除慈政办发〔2024〕57号以外的哪份文件") == []  # the lead read starts before 除
    assert [d.number for d in doc_numbers("慈政办发〔2024〕57号规定")] == [57]


def test_the_signing_body_is_the_issuer_and_a_period_asked_how_long_is_a_duration():
    assert fields_asked("落款机关和落款日期是什么？") == ["issuer", "date"]
    assert asked_kinds("异议期多长？") == ["duration"]


def test_a_remark_after_the_question_names_no_place():
    question = "余姚那份意见的文号是多少？企业想拿它跟慈溪的政策比一比。"
    assert read_question(question).places == ["余姚"]
    assert "余姚那份意见的文号是多少" in split_parts(normalize(question))
    assert read_question("宁波的标准是多少？慈溪的呢").places == ["宁波", "慈溪"]  # a question after it still asks


def test_where_someone_is_registered_is_no_place_asked_about():
    assert read_question("注册在余姚的行业协会能申报吗？").places == []
    assert read_question("协会注册地是宁波，符合条件吗？").places == []
    assert read_question("余姚的企业注册条件是什么").places == ["余姚"]


def test_a_remark_after_the_question_asks_no_kind_but_a_request_does():
    assert asked_kinds(normalize("科创贷到底怎么个贷法？厂里老板打电话来问。")) == []
    assert "doc_number" in asked_kinds(normalize("这份公示是依据哪几个文件做的？请列出文号。"))


def test_several_firms_together_are_no_count_asked():
    assert "count" not in asked_kinds(normalize("想跟上下游几家企业一起搞联合体，最晚什么时候交材料？"))
    assert "count" not in asked_kinds(normalize("我们和几家企业联合申报，截止到哪天？"))
    assert "count" in asked_kinds(normalize("一共有几家企业入选？"))


def test_a_yes_or_no_question_beside_a_figure_is_its_own_part():
    question = normalize("想问下一家大概能拿多少啊，是不是有的企业只能拿一半的？")
    assert asked_kinds(question) == ["reward"]
    assert len(split_parts(question)) == 2


def test_the_bar_asked_beside_a_rate_is_a_threshold():
    assert asked_kinds(normalize("按设备投入额的多少比例奖励？设备投入门槛是多少？")) == ["percent", "threshold"]


def test_citing_a_document_oneself_asks_not_what_it_cites():
    assert not asks_cited(normalize("我需要引用《慈溪市产业创新平台管理暂行办法》，这个办法的文号是多少？"))
    assert asks_cited(normalize("依据的《浙江省科技型中小企业认定管理办法》文号是什么？"))


def test_a_plan_of_the_askers_is_no_programme():
    assert programme_names("我们明年计划投1200万元上技改") == []
    assert programme_names("海燕创新券怎么申请") == [("海燕创新券", "海燕")]


def test_a_body_that_published_is_the_issuer():
    assert fields_asked("2024年度备案的企业有多少家，是哪个部门公布的？") == ["issuer"]


def test_when_a_grant_is_paid_asks_how_it_is_paid_not_a_date():
    assert asked_kinds(normalize("首批启动资金什么时候能拨？")) == ["payment"]
    assert asked_kinds(normalize("申报什么时候截止？")) == ["date"]
