"""Answers that hold up: the same question in traditional characters, with
full-width digits, English or emoji around it, or a homophone typo, gets
the plain form's answer; a question about another year, place or batch, or
a programme cut off where an excerpt ends, is refused with what is missing
and the nearest passage, cited; documents' metadata answer which-document
questions; an older version of a policy is named as such."""
from __future__ import annotations

import pytest
from conftest import CORPUS

PLAIN = "研发机构认定奖励每家多少钱？"


def cited_sources(answer) -> set[str]:
    return {c.source for c in answer.citations}


@pytest.mark.parametrize("variant", [
    "研發機構認定獎勵每家多少錢？",  # traditional characters
    "研发机构认定奖励每家多少钱？😀",  # emoji
    "研发机构认定奖励每家多少钱？？？",
])
def test_variants_are_answered_like_the_plain_form(policy_assistant, variant):
    plain, other = policy_assistant.ask(PLAIN), policy_assistant.ask(variant)
    assert not plain.refused and "3万元" in plain.text
    assert not other.refused and "3万元" in other.text
    assert cited_sources(other) == cited_sources(plain)


def test_full_width_digits_and_chinese_numerals_read_as_digits(policy_assistant):
    for question in ("２０２５年数字经济制造业企业营收每增１００万元奖励多少？", "二〇二五年数字经济制造业企业营收每增一百万元奖励多少？"):
        answer = policy_assistant.ask(question)
        assert not answer.refused, answer.text
        assert "每增100万元最高奖励500元" in answer.text
        assert answer.citations[0].date.startswith("2025")


def test_english_mixed_in_is_read_through_the_glossary(policy_assistant):
    answer = policy_assistant.ask("2016年慈溪的GDP是多少？")
    assert not answer.refused and "1209.42亿元" in answer.text


@pytest.mark.parametrize("typo, meant, fact", [
    ("科创代有哪几种投贷方式？", "科创贷", "先投后贷"),
    ("甬易版上2021年资助了多少类项目？", "甬易办", "15类项目"),
])
def test_a_homophone_typo_is_corrected_and_said_so(policy_assistant, typo, meant, fact):
    answer = policy_assistant.ask(typo)
    assert not answer.refused, answer.text
    assert answer.text.startswith(f"（已按“{meant}”理解）") and fact in answer.text


def test_another_place_is_refused_with_the_nearest_passage_marked(policy_assistant):
    answer = policy_assistant.ask("余姚对数字经济制造业企业营收增长每增100万元奖励多少？")
    assert answer.refused
    assert answer.text.startswith("现有文件中没有") and "余姚" in answer.text and "仅供参考" in answer.text
    assert answer.citations  # the nearest passage stays cited
    for c in answer.citations:
        assert c.quote in answer.text


def test_a_city_no_document_names_is_refused_not_answered_with_cixis_rule(policy_assistant):
    answer = policy_assistant.ask("苏州对新认定的高新技术企业奖励多少钱？")
    assert answer.refused and "没有关于苏州" in answer.text, answer.text


def test_a_place_no_document_is_from_is_refused_not_answered_from_the_policy_items(policy_assistant):
    answer = policy_assistant.ask("北仑区对规上数字经济制造业企业营收每增长100万元奖励多少？")
    assert answer.refused and answer.mode != "items", answer.text
    assert "没有关于北仑的这项内容" in answer.text and "北仑区的" not in answer.text, answer.text


def test_an_enterprise_no_support_item_speaks_of_is_answered_from_the_text_not_a_list(policy_assistant):
    answer = policy_assistant.ask("2024年那版慈溪产业政策，对规上软件和信息服务业企业营收增长怎么奖励？")
    assert answer.refused and answer.mode != "items", answer.text
    assert "没有关于2024年的这项内容" in answer.text, answer.text


def test_a_town_is_not_answered_from_another_towns_notice(policy_assistant):
    answer = policy_assistant.ask("观海卫镇的民生实事项目征求意见截止到哪天？")
    assert answer.refused and "没有关于观海卫" in answer.text, answer.text


def test_a_kind_of_programme_no_document_names_is_refused(policy_assistant):
    answer = policy_assistant.ask("慈溪科技创新券每家企业一年最多能用多少额度？")
    assert answer.refused and "创新券" in answer.text, answer.text


def test_a_list_only_cited_by_its_title_is_refused(policy_assistant):
    answer = policy_assistant.ask("2025年度慈溪市产业创新服务综合体认定名单里都有哪些综合体？")
    assert answer.refused and "原文仅提及《" in answer.text, answer.text


def test_next_steps_are_answered_from_a_sentence_of_intent(policy_assistant):
    answer = policy_assistant.ask("190号建议答复里科技局下一步打算怎么做")
    assert not answer.refused and "下步" in answer.text, answer.text


def test_a_year_the_documents_do_not_cover_is_refused(policy_assistant):
    answer = policy_assistant.ask("2022年慈溪对数字经济制造业企业营收每增100万元奖励多少？")
    assert answer.refused and "2022年" in answer.text and "仅供参考" in answer.text


def test_another_batch_is_refused(policy_assistant):
    answer = policy_assistant.ask("2022年度第二批慈溪市企业研发机构认定了几家？")
    assert answer.refused and "第2批" in answer.text


def test_what_an_excerpt_states_before_its_cut_is_answered_from_the_whole_clauses(policy_assistant):
    answer = policy_assistant.ask("2023年慈溪鼓励5G、区块链这些新技术应用，软硬件投入要达到多少？")
    assert not answer.refused, answer.text
    assert "软硬件投入达到30万元以上的,[1]" in answer.text and "给予不" not in answer.text
    assert "[1]所引句子在节选处中断，其后内容未收录" in answer.text
    quote = answer.citations[0].quote
    assert quote.endswith("30万元以上的,") and quote in (CORPUS / answer.citations[0].source).read_text(encoding="utf-8")


def test_a_heading_brings_the_clauses_before_the_cut_and_another_years_heading_is_dropped(policy_assistant):
    answer = policy_assistant.ask("2023年政策意见里新一代信息技术应用那条，投入门槛原文怎么写？")
    assert not answer.refused, answer.text
    assert "3.鼓励新一代信息技术在企业中的深度应用。" in answer.text and "30万元以上的," in answer.text
    assert {c.date[:4] for c in answer.citations} == {"2023"}  # the 2021 heading beside it is not quoted
    assert "已按" not in answer.text  # 里新一代 is no typo of 励新一代 (the tail of 鼓励)


def test_another_years_clause_holding_what_the_asked_year_lacks_is_refused(policy_assistant):
    """The 2021 copy is cut before its 六大重点细分行业 item; the 2018 one has it."""
    answer = policy_assistant.ask("2021年四十条意见里，六大重点细分行业项目按设备投入额的多少比例奖励？")
    assert answer.refused and "没有关于2021年的这项内容" in answer.text, answer.text


def test_what_follows_the_cut_is_refused_as_cut_off(policy_assistant):
    answer = policy_assistant.ask("2023年慈溪新一代信息技术应用，按软硬件投入额给予多少奖励？")
    assert answer.refused and "截断处原文" in answer.text and answer.text.rstrip().endswith("给予不[1]")


def test_a_programme_cut_off_where_the_excerpt_ends_is_not_answered_with_another(policy_assistant):
    answer = policy_assistant.ask("甬江人才工程入选的创业团队能拿多少资助？")
    assert answer.refused and "1亿元" not in answer.text.split("截断处原文")[0]
    assert "节选" in answer.text and "截断" in answer.text


def test_a_word_found_only_where_the_excerpt_ends_is_not_answered_with_another_clause(policy_assistant):
    answer = policy_assistant.ask("2025年产业政策里对数字化服务商奖励多少？")
    assert answer.refused and "截断" in answer.text and answer.text.rstrip().endswith("(4)对数字化服务商在[1]")


def test_a_far_question_is_refused_without_citations(policy_assistant):
    answer = policy_assistant.ask("慈溪明天天气怎么样，会下雨吗？")
    assert answer.refused and not answer.citations


@pytest.mark.parametrize("question, expected", [
    ("慈政办发〔2025〕20号是哪天印发的？", "成文日期为2025年9月16日"),
    ("《慈溪市产业创新平台管理暂行办法》的文号是多少？", "文号为慈政办发〔2024〕57号"),
])
def test_metadata_questions_are_answered_from_the_document_head(policy_assistant, question, expected):
    answer = policy_assistant.ask(question)
    assert not answer.refused and expected in answer.text
    head = answer.citations[0]
    assert head.quote and head.chunk_id.endswith("-0000")  # the document's first chunk


def test_the_registration_code_is_answered_from_the_document(policy_assistant):
    answer = policy_assistant.ask("慈溪产业创新平台管理暂行办法的规范性文件编号是多少？")
    assert not answer.refused and "规范性文件编号为BCXD01—2024—0008" in answer.text
    assert answer.citations[0].source.startswith("06_")


@pytest.mark.parametrize("question, said", [
    ("产业创新平台管理暂行办法哪天成文、哪天发布的？", "成文日期为2024年11月8日，发布日期为2024年11月25日"),
    ("对第332号建议的答复是什么时候发布的？", "发布日期为2023年6月25日"),
    ("190号建议的答复是什么时候发布的？", "成文日期为2022年6月22日，页面未标注发布日期"),
    ("2023年产业政策意见是哪天发布的？", "页面未标注发布日期，成文日期为2023年11月2日"),
])
def test_the_publication_date_is_answered_where_the_page_gives_it(policy_assistant, question, said):
    answer = policy_assistant.ask(question)
    assert not answer.refused and said in answer.text, answer.text


def test_a_question_naming_a_document_and_article_is_a_lookup_not_a_clause_list(policy_assistant):
    answer = policy_assistant.ask("余政发〔2020〕26号第2条里，对“350”培育企业通过哪些途径给专项资金支持？")
    assert not answer.refused and answer.mode != "items", answer.text
    assert "担保贷款、项目融资贴息" in answer.text and all(c.source.startswith("10_") for c in answer.citations)


def test_addressees_and_a_bare_document_number_are_never_quoted(policy_assistant):
    answer = policy_assistant.ask("浙政发〔2018〕43号里，“互联网+”领域是以什么为标志的？")
    assert not answer.refused and "“城市大脑”为标志" in answer.text
    assert "各市、县" not in answer.text and "浙政发〔2018〕43号[" not in answer.text, answer.text


@pytest.mark.parametrize("question", [
    "慈溪2023年全年地区生产总值是多少，增长多少？",  # the 2023 report reviews 2022
    "2023年度浙江省科技型中小企业一共备案了多少家？",  # 〔2023〕 in a cited 文号 dates that document
])
def test_a_year_only_a_report_date_or_a_cited_number_holds_is_refused(policy_assistant, question):
    answer = policy_assistant.ask(question)
    assert answer.refused and "没有关于2023年的这项内容" in answer.text and answer.citations, answer.text


def test_a_work_report_named_by_its_year_answers_for_the_year_it_reviews(policy_assistant):
    answer = policy_assistant.ask("2023年政府工作报告说慈溪地区生产总值多少？")
    assert not answer.refused and "2521.6亿元" in answer.text, answer.text


def test_a_document_of_another_year_is_not_the_one_whose_number_is_asked(policy_assistant):
    """The corpus holds the 2023 policy, not the 2022 one: its metadata is no answer."""
    answer = policy_assistant.ask("2022年慈溪推进产业高质量发展政策意见的文号是什么？")
    assert "2023年慈溪市推进产业高质量发展的政策意见》没有标注文号" not in answer.text
    assert answer.refused or "慈政办发〔2022〕38号" in answer.text, answer.text


def test_how_long_is_answered_with_the_span_of_time(policy_assistant):
    answer = policy_assistant.ask("对研发机构认定公示名单有意见，怎么提、多长时间内提？")
    assert not answer.refused and "5个工作日内" in answer.text and "书面形式" in answer.text, answer.text


def test_a_document_named_by_a_number_the_corpus_lacks_is_refused(policy_assistant):
    answer = policy_assistant.ask("慈科〔2024〕53号规定的2024年度产业创新服务综合体和企业创新联合体申报条件有哪些？")
    assert answer.refused and "慈科〔2024〕53号文件中的这项内容" in answer.text and answer.citations


def test_another_level_than_the_documents_give_is_refused(policy_assistant):
    answer = policy_assistant.ask("宁波市级技术创新中心认定后奖励多少？")
    assert answer.refused and "市级" in answer.text.split("。")[0]


def test_a_metadata_field_the_document_lacks_is_not_guessed(policy_assistant):
    answer = policy_assistant.ask("《2023年慈溪市推进产业高质量发展的政策意见》的文号是多少？")
    assert answer.refused and "没有标注文号" in answer.text and answer.citations


def test_a_clause_asked_without_a_year_comes_from_the_current_version_with_the_change(policy_assistant):
    answer = policy_assistant.ask("数字经济制造业企业营收增速达到多少才有奖励？")
    assert not answer.refused, answer.text
    assert answer.citations[0].date.startswith("2025") and "10%以上" in answer.text
    assert answer.text.index("10%以上") < answer.text.index("12%")  # the current rule first, then the change
    assert "12% → 10%" in answer.text


def test_a_clause_asked_for_an_older_year_comes_from_that_version_naming_the_newer(policy_assistant):
    answer = policy_assistant.ask("2024年数字经济制造业企业营收每增100万元奖励多少？")
    assert not answer.refused and "每增100万元奖励1000元" in answer.text
    assert answer.citations[0].date.startswith("2024") and "2025" in answer.text


def test_an_older_version_in_an_ordinary_answer_is_named_as_such(policy_assistant):
    answer = policy_assistant.ask("2023年慈溪对新纳入数字经济核心产业企业库的企业奖励多少？")
    assert not answer.refused and "每家不超过6万元" in answer.text
    assert "是较早版本，现行为2025年9月16日的《" in answer.text


def test_a_programme_no_document_names_is_not_answered_with_a_similar_ones_figure(tmp_path):
    """海燕创新券 appears nowhere; the notice about 海鸥创新券 must not answer for it."""
    import shutil

    from conftest import CORPUS, SEED, extractive_assistant

    from assistant.config import Settings
    from assistant.ingestion import ingest

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / SEED, corpus / SEED)
    (corpus / "zz_test_haiou.txt").write_text(
        "---\ntitle: 测试文件：海鸥创新券试点通知（测试用）\nissuer: 测试单位\ndate: 2026-01-05\ndoc_type: 其他\n---\n"
        "为支持科技型中小企业购买检验检测服务，开展海鸥创新券试点。海鸥创新券每家企业每年最多申领5万元。\n", "utf-8")
    settings = Settings().with_(index_dir=tmp_path / "index", corpus_dir=corpus)
    assert not ingest(corpus, settings=settings).failed
    assistant = extractive_assistant(settings)
    known = assistant.ask("海鸥创新券每家企业每年最多能申领多少？")
    assert not known.refused and "5万元" in known.text
    unknown = assistant.ask("海燕创新券每家企业每年最多能申领多少？")
    assert unknown.refused and "5万元" not in unknown.text.split("以下是最接近的原文")[0]
    assert "海燕创新券" in unknown.text or not unknown.citations


def test_the_documents_a_text_cites_are_answered_from_it_not_from_its_own_metadata(policy_assistant):
    answer = policy_assistant.ask("桥头镇征集智能家电综合体依托单位的通知，引用的2025年度综合体认定名单通知是哪个文号？")
    assert not answer.refused, answer.text
    assert "慈科〔2025〕14号" in answer.text and "没有标注文号" not in answer.text
    answer = policy_assistant.ask("科技计划项目管理办法的补充规定，补充的是哪个文件？那个文件文号多少？")
    assert not answer.refused and "慈科〔2021〕39号" in answer.text, answer.text


def test_which_document_says_something_is_answered_with_the_quote_and_its_document(policy_assistant):
    answer = policy_assistant.ask("提出要打造“互联网+”和生命健康两大科技创新高地的是浙江省哪份文件？文号多少？")
    assert not answer.refused, answer.text
    assert answer.text.index("生命健康") < answer.text.index("以上原文出自[1]")
    assert "浙政发〔2018〕43号" in answer.text.split("以上原文出自")[1]
    assert cited_sources(answer) == {"09_zhejiang_zf_2018-12-03_zhezhengfa_2018_43_keji_chuangxin_ruogan_yijian.txt"}
    answer = policy_assistant.ask("“快享直达、顶格优惠”这个工作目标出自资料库里哪份文件？是哪个单位写的？")
    assert "《对市十八届人大一次会议第190号建议的答复》，答复单位为慈溪市科学技术局" in answer.text, answer.text
    assert "分享到" not in answer.text and "浙江省人民政府文件" not in answer.text  # page chrome, a head line


def test_a_quoted_typo_is_corrected_like_an_unquoted_one(policy_assistant):
    answer = policy_assistant.ask("余姚对当年获评宁波“单项冠君”示范企业的一次性奖多少？")
    assert not answer.refused, answer.text
    assert answer.text.startswith("（已按“单项冠军”理解）") and "50万元" in answer.text


@pytest.mark.parametrize("question, facts", [
    # a target year, beside a line of the same document (the 印发 line) that names no year
    ("鄞州区的方案里，到2030年科技创新投入要达到多少？", ["超过400亿元"]),
    # a contact line brings the rest of its block
    ("企业创新联合体补充申报找哪位老师对接？联系电话多少？", ["魏佳锦", "89591370"]),
    # each side of a comparison gets the item holding its figure, not the lead naming both
    ("2018年慈溪那套制造业政策里，技改项目一般类和“3+3”产业类分别按设备投入的多少比例奖励？上限各多少？",
     ["设备投入额的4%给予不超过200万元", "设备投入额的6%给予不超过300万元"]),
    # a work report's session and speaker come from its title
    ("2017年那份慈溪政府工作报告是在哪次人代会上作的？报告人是谁？", ["第十七届人民代表大会第一次会议", "项敏"]),
    # a clause's 责任单位 is not the issuer
    ("2025年慈溪产业政策意见里培育数字经济制造业那条，责任单位写的是哪个部门？", ["市经信局"]),
    # a sentence bringing the asked period may run past a long lead
    ("22年度第一批市级企业研发机构的公示，一共拟认定几家？对名单有意见的话要在多长时间内提出来？", ["59家", "5个工作日内"]),
    # the 2021 四十条 is cut off beside “中国制造2025”: no refusal for the 2025 policy
    ("2025年慈溪产业政策里，新列入宁波市软件首版次目录的产品每个最高奖多少？列入省数商的每家最高奖多少？", ["最高10万元", "最高20万元"]),
    # metadata asked in part: what is stated, and the gap named
    ("《2023年慈溪市推进产业高质量发展的政策意见》是哪天印发的？文号是多少？", ["未标注文号", "2023年11月2日"]),
    # the 文号 of a cited document named by title
    ("2022年度第一批企业研发机构认定备案，依据的《慈溪市企业研发机构建设管理办法》文号是多少？", ["慈科〔2022〕55号"]),
    # whom to ask: the contact line inside a run-on web page line
    ("掌起镇那个粮食功能区工程 提意见截止哪天 找谁", ["2023年12月24日", "陆方瑜"]),
    # where the asker is registered is no place asked about
    ("桥头镇在找智能家电综合体的运营单位，我们公司是在余姚注册的，能报名吗？", ["在慈溪市内登记注册"]),
    # a work report named by its year holds the year it reviews
    ("2017年慈溪政府工作报告说2016年全市GDP多少？人均GDP多少？", ["1209.42亿元", "11.54万元"]),
    # a corrected term is one word of the question
    ("科创代有哪几种方式跟企业签协议？", ["（已按“科创贷”理解）", "先投后贷、先贷后投、投贷结合"]),
    # 不作限制 answers how large a share
    ("我们是村里的集体经济组织,想牵头报一个资助30万元的市科技计划项目,要自筹多少比例?", ["具体比例不作限制"]),
    # 省政府 is the 浙江省人民政府: its 2018 answer stays
    ("省政府二〇一八年那份全面加快科技创新的意见,说要打造哪两个世界级的科技创新高地?", ["生命健康两大世界科技创新高地"]),
    # a figure asked with the document's metadata
    ("2024年度浙江省科技型中小企业一共备案了多少家？这个备案通知是哪个部门发的？", ["21947家", "浙江省经济和信息化厅"]),
    ("2015年度浙江省科技型中小企业备案了几家？文号是啥", ["8536家", "浙科发高〔2016〕28号"]),
    # the date asked as 几月几号, the issuer as 哪个厅 (both fields answered)
    ("慈溪２０２４年产业高质量发展政策意见是几月几号印发的？", ["2024年8月1日"]),
    ("2024年度浙江省科技型中小企业备案通知是省里哪个厅发的 落款哪天", ["浙江省经济和信息化厅", "2024年12月31日"]),
    # its own 文号 asked beside the document it supplements
    ("关于《慈溪市科技计划项目管理办法（修订）》的补充规定文号是多少，补充的是哪个文件？", ["慈科〔2023〕3号", "慈科〔2021〕39号"]),
    # each year of a comparison of two versions gets its own sentence
    ("2018版和2021版政策里“ABCT”产业范围有什么不同？", ["云计算、物联网产业等", "军民融合、航天航空产业"]),
    # a work report named by a short year (17年報告) holds the year it reviews
    ("17年報告裡 2016年固定資産投資多少", ["807.78亿元"]),
    # a quoted phrase in other quote marks, and one asking a number (“产业几条”)
    ("宁波市关于科技创新与产业创新深度融合的若干意见第3条“健全‘企业认定、政府认账’机制”，原文具体是怎么写的？", ["人才自主认定权"]),
    # a year in the title of a cited document dates that document only
    ("2025年创新联合体补充申报的通知说“其他申报要求参照”某个文件执行，是哪个文件、文号多少？", ["慈科〔2024〕53号"]),
    # a programme name run into other words (客户问科创代) is the documents' 科创贷
    ("客戶問科創代那个“先投后带”是怎么回事，跟企業签协议有幾種方式？", ["先投后贷、先贷后投、投贷结合"]),
    # 高企 and 今年 are said by the asked year's sentence: other years' sentences go, no refusal
    ("科技局2025年高企打算新增多少家？总量要冲到多少？客户想知道今年好不好评", ["新增120家", "总量超1120家"]),
    # a work report named by year and month; a question about one text is not a list of policy items
    ("2023年2月慈溪政府工作报告里，出台了哪些稳经济系列政策（几条）？兑付惠企政策资金多少？", ["稳链纾困35条", "10.7亿元"]),
    ("“每增100万元最高奖励500元”这个数字经济制造业的奖励，是哪个文件规定的？文号是多少，哪天印发的？", ["慈政办发〔2025〕20号"]),
    # 哪些 alone (钱能用在哪些地方) asks for no list of policies
    ("慈溪智能家电产业创新服务综合体每年最多能拿多少运营经费补贴？这笔钱能用在哪些地方，比如人员工资能不能报？",
     ["最高不超过50万元", "专职人员薪酬"]),
    # the 文号 of the document supplemented (补充的那个《…》), the issuers of the supplement
    ("客户要引用：慈科〔2023〕3号补充的那个《慈溪市科技计划项目管理办法(修订)》原文号是多少？补充规定是哪几个部门联合发的？",
     ["慈科〔2021〕39号", "慈溪市财政局"]),
    # the year compared with (与二〇一九年相比) is the 上一年 of the answer
    ("二〇二〇年慈溪全市一般公共预算收入总额是多少，与二〇一九年相比有无增长？", ["200.5亿元", "与上一年基本持平"]),
    # 其他几类分别多少 asks the amounts, not how many kinds
    ("余姚市对当年获评或复核通过浙江省“隐形冠军”培育企业的，一次性奖励额度是不是十万元？其他几类分别多少？", ["50万元、10万元"]),
    # 镇里 is no place asked about
    ("镇里行业协会想去争取智能家电产业创新服务综合体的运营依托单位，协会有没有优先？", ["优先考虑行业协会"]),
    # a part is answered only when its own words are (省数商, not 列入…企业…奖 shared with the first part)
    ("2025年慈溪产业政策里，软件产品新列入宁波市软件首版次目录的奖励多少？列入省数商的企业又奖多少？", ["10万元", "20万元"]),
    # the clauses before an excerpt's cut answer one part; the other part keeps its own sentence
    ("二〇一六年慈溪全市的固定资产投资是多少？出口额又是多少美元？", ["807.78亿元", "87.75亿美元"]),
    # two documents, the year named in one part only: the other part's document is of another time
    ("宁波科创产创融合意见对市顶尖人才科技项目最高资助多少？鄞州方案到2027年区级科创基金规模要超过多少？",
     ["最高1亿元", "超过200亿元"]),
    # a work report named 二〇一七年市政府工作报告 reviews 2016; 2021年和2022年的报告 are two documents
    ("二〇一七年市政府工作报告里，二〇一六年全市地区生产总值是多少亿元？", ["1209.42亿元"]),
    ("2021年和2022年的政府工作报告里，分别报的上一年全市GDP是多少？", ["2008.3亿元", "2379.2亿元"]),
    # a field asked (谁作的) beside a part about the text: both answered
    ("2017年那份政府工作报告是谁作的？里面讲的2016年慈溪人均GDP有多少？", ["项敏", "11.54万元"]),
    ("第332号建议是哪位代表提的？科技局是哪天答复的？", ["吕宗权", "2023年6月25日"]),
    # 年度通过备案 names nothing certified; 按现行规定 asks no validity
    ("全省二〇二四年度通过备案的科技型中小企业，总共多少家？", ["21947家"]),
    ("我们是慈溪一个村的农村集体经济组织，想牵头承担市里的科技计划项目，但自有资金不足以覆盖自筹部分，按现行补充规定有什么解决办法？",
     ["联合承担"]),
    # the sentence naming the programme quoted (“3+3”) answers, not the 一般类 clause beside it
    ("《关于加快慈溪产业高质量发展的四十条意见》第一部分第（一）条第2项对“3+3”产业技改项目的奖励比例与封顶金额，原文是如何规定的？",
     ["6%", "300万元"]),
    # 30来万 is below the 50万 bound; a lead (我们是…) is no sub-question
    ("我们厂想申请科技局一个小项目，资助也就30来万，要不要等他们出申报指南？", ["直接发布申报通知"]),
    ("我们是村里的农村集体经济组织，想牵头申报市科技计划项目，资助额不到50万，怎么申报？自筹比例有要求没？",
     ["直接发布申报通知", "具体比例不作限制"]),
    # a town of Cixi lives under the city's rules
    ("龙山镇有个村股份经济合作社想牵头承担市级科技计划项目，跟高校合作，自筹经费有没有比例要求？", ["具体比例不作限制"]),
    # a work report typed by sound (工做报告); two reports listed (2022年、2023年两份) answer from each
    ("2023年政府工做报告里，2022年全市地区生产总值多少？", ["2521.6亿元"]),
    ("2022年、2023年两份政府工作报告，各自报告的上一年全市财政总收入是多少？", ["387.7亿元", "364.1亿元"]),
    # a 文号 set aside (除了…) is no document the answer must come from
    ("智能家电综合体运营依托单位征集，除了慈政办发〔2024〕57号，还依据了哪个文件？文号多少？", ["慈科〔2025〕14号"]),
    # 落款机关 asks the issuer; a list of years (2023、2024、2025三个年度) names three documents
    ("2015年度浙江省科技型中小企业备案通知的落款机关是哪个？", ["浙江省科学技术厅"]),
    ("2023、2024、2025三个年度的慈溪产业高质量发展政策意见各是哪天印发的？", ["2023年11月2日", "2024年8月1日", "2025年9月16日"]),
    # a remark after the question (…比较一下) names no place asked about
    ("余姚那份制造业高质量发展若干意见的文号是多少？我想拿来跟慈溪的比较一下。", ["余政发〔2020〕26号"]),
    # 一般类 is a term, not the stopword 一般: each version's 一般类 clause
    ("2018年的优化产业政策意见和2021年四十条相比，一般类技改项目的奖励比例变了没有？", ["2018年8月22日", "2021年7月10日", "4%"]),
    # which article: the numbered item the sentence's paragraph opens with
    ("宁波科创产创融合若干意见里，市顶尖人才科技项目资助是第几条规定的？", ["5.支持引育高层次高技能人才", "最高1亿元"]),
    # 什么硬性要求 asks for the list; 异议期多长 asks a span of time
    ("想当智能家电综合体的运营依托单位，注册地和财务上有什么硬性要求？", ["在慈溪市内登记注册", "完善的财务管理制度"]),
    ("2022年度第一批企业研发机构公示的异议期多长？", ["5个工作日"]),
    # a sub-question left unanswered may run past the budget; the other year's figure of a comparison
    ("研发机构认定每家奖多少？综合体每年运营经费最多补多少？", ["每家3万元", "50万元"]),
    ("慈溪科技局2025年R&D经费投入强度目标和鄞州到2027年的R&D占GDP比重目标分别多少？", ["3.69%", "3.4%"]),
    # a quoted heading names the sentences under it (the 2021 四十条's, not the 2018 clause)
    ("四十条意见第（一）条“鼓励企业加大有效投入”里，一般类技改项目奖励比例多少？", ["2021年7月10日", "4%"]),
    # 符合条件吗 of a situation gets the conditions; where it is registered is no place asked about
    ("注册在余姚的行业协会想当智能家电综合体的运营依托单位，符合条件吗？", ["在慈溪市内登记注册"]),
    # the asker citing a title in traditional characters asks its own 文号, not what it cites
    ("我在寫項目報告，需要引用《慈溪市產業創新平台管理暫行辦法》，請問這個辦法的文號是多少？", ["慈政办发〔2024〕57号"]),
    # 是哪个部门公布的 asks for the issuer beside the count
    ("2024年度浙江省科技型中小企业被按的企业一共有多少家，是哪个部门公布的？", ["21947家", "浙江省经济和信息化厅"]),
    # two things compared, each by its own sentence, though 主导 is said of one only
    ("产业创新服务综合体和企业创新联合体，在由谁主导、谁牵头上有什么区别？", ["政府主导", "政府引导", "链主型企业牵头"]),
    # the bar asked beside the rate
    ("四十条意见第（一）条里，“3+3”产业的技改项目按设备投入额的多少比例奖励？设备投入门槛是多少？", ["设备投入额的6%", "500"]),
    # when a payment is made, answered by what must hold first
    ("我们入选了上林英才计划，首批启动资金什么时候能拨、拨多少比例？", ["30%", "全职到岗"]),
    # a clause the current version dropped is quoted from the older one, which is named as older
    ("市里对刚被纳入数字经济核心产业企业名录的企业，给一笔不超过六万元的入库奖，具体是多少？", ["6万元", "较早版本"]),
    # two things compared in 2022: not the other one's 2015 sentence, which would fail the year asked
    ("二〇二二年度，全市推荐申报的国家级科技型中小企业和省级科技型中小企业各有多少家？", ["733家", "468家"]),
])
def test_answered_with_every_fact(policy_assistant, question, facts):
    answer = policy_assistant.ask(question)
    assert not answer.refused, answer.text
    assert all(fact in answer.text for fact in facts), answer.text


def test_one_named_benefit_is_looked_up_not_matched_as_a_profile(policy_assistant):
    answer = policy_assistant.ask("桥头那个智能家电综合体，做运营的单位一年大概能拿多少运营补贴？")
    assert answer.mode != "items" and not answer.refused, answer.text
    assert "50万元的运营经费补贴" in answer.text


def test_a_reply_named_by_its_suggestions_number_is_answered_from_that_reply(policy_assistant):
    answer = policy_assistant.ask("科技局答复第332号建议的那份文件，这个建议是哪位代表提的，答复的成文日期是哪天？")
    assert "吕宗权" in answer.text and "2023年6月25日" in answer.text, answer.text
    assert "刘红星" not in answer.text, answer.text  # the reply to No. 190


def test_a_named_benefit_is_looked_up_whoever_asks(policy_assistant):
    answer = policy_assistant.ask("桥头镇在找单位运营那个智能家电的创新服务平台，我们领导问运营方一年能拿到多少运营补贴？")
    assert answer.mode != "items" and not answer.refused, answer.text
    assert "50万元的运营经费补贴" in answer.text


def test_the_published_date_of_an_unlabelled_information_block(policy_assistant):
    answer = policy_assistant.ask("《慈溪市科学技术局2025年工作要点》的成文日期和发布日期分别是哪天？")
    assert "成文日期为2025年4月29日" in answer.text and "发布日期为2025年4月30日" in answer.text, answer.text


def test_another_certification_does_not_answer(policy_assistant):
    answer = policy_assistant.ask("高新技术企业认定奖励标准是多少？")  # only 研发机构 认定 rewards are in the documents
    assert answer.refused and "高新技术企业" in answer.text.split("以下是最接近的原文")[0], answer.text
    answer = policy_assistant.ask("2024年浙江全省一共备案了多少家科技型中小企业？")  # 全省一共 names no certification
    assert not answer.refused and "21947家" in answer.text, answer.text


def test_a_quoted_name_of_common_words_is_met_by_those_words(policy_assistant):
    """“项目资助” is quoted in one reply; 对资助总额在50万元以下的项目 says it in other words."""
    answer = policy_assistant.ask("规定市科技计划项目资助不到50万的可以直接发申报通知的，是哪份文件？")
    assert not answer.refused, answer.text
    assert "直接发布申报通知" in answer.text and "慈溪市科技计划项目管理办法(修订)》的补充规定" in answer.text


def test_a_clause_asked_as_which_one_names_its_heading(policy_assistant):
    answer = policy_assistant.ask("客户已列入省数商，请问对应2025年慈溪产业政策意见里哪一条？奖励标准多少？")
    assert "加大数字经济服务业培育力度" in answer.text and "每家最高20万元" in answer.text, answer.text


@pytest.mark.parametrize("question, rule, other", [
    ("我们公司想申报一个资助60万元的市科技计划项目，申报要求是看直接通知还是看指南？", "凝练编制项目申报指南", "直接发布申报通知"),
    ("资助不到50万的科技计划项目，科技局是怎么发申报的？", "直接发布申报通知", "凝练编制项目申报指南"),
])
def test_an_amount_stated_picks_its_side_of_a_threshold(policy_assistant, question, rule, other):
    answer = policy_assistant.ask(question)
    assert rule in answer.text and other not in answer.text, answer.text


def test_a_sum_in_chinese_words_names_the_3_plus_3_industries(policy_assistant):
    answer = policy_assistant.ask("2018年慈溪那版制造业政策，属于三加三产业的技改项目，按设备投入额的多大比例奖励，上限多少？")
    assert "6%" in answer.text and "不超过300万元" in answer.text, answer.text


def test_the_figure_asked_must_be_of_the_year_asked(policy_assistant):
    """The 2023 reply's 今年 lead is of 2023, but its count is of 2022."""
    answer = policy_assistant.ask("2023年慈溪新增了多少家浙江省科技型中小企业？")
    assert answer.refused and "2023年" in answer.text.split("以下是最接近的原文")[0], answer.text


def test_a_reference_number_is_not_the_figure_asked(policy_assistant):
    answer = policy_assistant.ask("332号建议答复里提到的科创贷，单户最高能贷多少，利率多少？")
    assert answer.refused, answer.text


def test_each_thing_compared_gets_the_sentence_saying_what_is_asked(policy_assistant):
    answer = policy_assistant.ask("产业创新服务综合体和企业创新联合体，在由谁牵头这点上有什么不一样？")
    assert "行业协会或平台型企业牵头" in answer.text and "链主型企业牵头" in answer.text, answer.text


def test_the_cap_asked_in_one_part_is_quoted_from_its_clause(policy_assistant):
    answer = policy_assistant.ask("2023年慈溪产业政策里，新进数字经济核心产业企业库的奖多少？库内企业的增速奖励总共最多多少？")
    assert "每家不超过6万元" in answer.text and "增速奖励合计不超过10万元" in answer.text, answer.text
    assert "2024年8月1日" not in answer.text


def test_a_reply_s_salutation_says_who_the_proposer_is(policy_assistant):
    answer = policy_assistant.ask("《关于加大民营企业科技创新扶持力度的建议》（第190号建议）是哪位代表领衔提的，由哪个单位答复？")
    assert "刘红星代表" in answer.text and "慈溪市科学技术局" in answer.text, answer.text


def test_how_a_grant_is_paid_out_is_answered_by_the_instalments(policy_assistant):
    answer = policy_assistant.ask("上林英才的资助款是一把给的还是分几次给")
    assert "首批30%" in answer.text and "分三期拨付" in answer.text, answer.text


def test_a_contact_block_comes_whole_with_its_address(policy_assistant):
    answer = policy_assistant.ask("研发机构拟认定公示 异议材料交给谁 电话 地址")
    assert "张波" in answer.text and "89591363" in answer.text and "三北大街777号1313室" in answer.text, answer.text


def test_each_year_of_a_comparison_gets_its_own_figure_not_a_threshold_passed(policy_assistant):
    answer = policy_assistant.ask("慈溪2020年和2021年地区生产总值分别是多少？")
    assert "2008.3亿元" in answer.text and "2379.2亿元" in answer.text, answer.text


def test_a_programme_the_passages_name_must_be_what_is_quoted(policy_assistant):
    """科创贷 is in the 332 reply, but not its ceiling or rate: a 30万元 cap of another clause is no answer."""
    answer = policy_assistant.ask("科创贷最高能贷多少，利率是多少？")
    assert answer.refused and "科创贷" in answer.text.split("以下是最接近的原文")[0], answer.text


def test_the_bar_to_clear_is_answered_by_the_threshold(policy_assistant):
    answer = policy_assistant.ask("慈溪四十条意见里，设备投入多少以上的技改项目才能拿奖励？")
    assert not answer.refused and "500" in answer.text and "以上" in answer.text, answer.text


def test_two_work_reports_named_by_year_each_give_the_year_they_review(policy_assistant):
    answer = policy_assistant.ask("对比2017年和2022年两份政府工作报告:2016年和2021年慈溪一般公共预算收入分别是多少?")
    assert not answer.refused and "132.1亿元" in answer.text and "225.3亿元" in answer.text, answer.text
    assert "200.5亿元" not in answer.text  # the 2021 report's figure is of 2020


def test_the_report_reviewing_the_year_asked_ranks_first(policy_assistant):
    """The 2023 work report reviews 2022; the 2022 report, delivered that year, gives its targets."""
    first = policy_assistant.retrieve("慈溪2022年GDP一共多少？")[0]
    assert first.chunk.source.startswith("15_"), first.chunk.source
    answer = policy_assistant.ask("22年疫情那阵子政府帮企业贴了多少贷款利息？多少家受益了")
    assert "5000万元" in answer.text and "1983家" in answer.text, answer.text
