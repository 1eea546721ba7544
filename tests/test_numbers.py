"""The number guard: figures in an answer must be backed by its sources."""
from __future__ import annotations

import pytest

from assistant.numbers import extract_numbers, find_mentions, unsupported_numbers

SEED_SENTENCE = (
    "今年，预算安排人才发展专项资金1.3亿元，2021年科技支出资金为8.86亿元，同比增长15.20%，"
    "今年将继续保持15%以上的增速。2021年资助15类项目，共计9785.06万元。"
)


# --------------------------------------------------------------------------
# extract_numbers


def test_extracts_amounts_percentages_and_years_with_units_kept():
    assert extract_numbers(SEED_SENTENCE) == [
        "1.3亿元", "2021", "8.86亿元", "15.2%", "15%", "2021", "15类", "9785.06万元",
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2022年6月22日", ["2022-06-22"]),
        ("2025年5月8日前", ["2025-05-08"]),
        ("2025 年 5 月 8 日", ["2025-05-08"]),
        ("2025-04-09", ["2025-04-09"]),
        ("2025/4/9", ["2025-04-09"]),
        ("2025.04.09", ["2025-04-09"]),
        ("2022年6月", ["2022-06"]),
        ("6月22日", ["--06-22"]),
        ("二〇二二年六月二十二日", ["2022-06-22"]),
        ("二○二五年五月八日", ["2025-05-08"]),
        ("16:08", ["16:08"]),
    ],
)
def test_dates_become_iso(text, expected):
    assert extract_numbers(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("5个工作日内", ["5个工作日"]),
        ("五个工作日内", ["5个工作日"]),
        ("按20%、20%、30%分三期拨付", ["20%", "20%", "30%", "3期"]),
        ("双120%配套支持", ["120%"]),
        ("两万元", ["20000元"]),
        ("百分之三十", ["30%"]),
        ("1,000,000元", ["1000000元"]),
        ("增长1.50倍", ["1.5倍"]),
        ("提高0.1个百分点", ["0.1个百分点"]),
        ("第190号建议", ["190号"]),
        ("十八届人大", ["18届"]),
    ],
)
def test_units_and_chinese_numerals(text, expected):
    assert extract_numbers(text) == expected


def test_full_width_digits_are_ascii():
    assert extract_numbers("资助５０万元，占１５．２０％") == ["50万元", "15.2%"]


@pytest.mark.parametrize(
    "text",
    [
        "见文件[1][2]。",
        "见文件[1, 2]和【3】。",
        "1、 产业资金保障",
        "（一）总体要求",
        "(2) 申报条件",
        "一是加快引育人才；二是明确要求。",
        "建设一批平台，培育一个集群，进一步提升。",
        "“十四五”期间",
    ],
)
def test_markers_headings_and_ordinal_words_are_not_figures(text):
    assert extract_numbers(text) == []


def test_heading_numbers_inline_after_punctuation_are_ignored():
    assert extract_numbers("答复如下：1、资金保障；2. 人才政策[1]") == []


def test_number_before_a_heading_dot_mid_sentence_is_kept():
    assert extract_numbers("共计 3.") == ["3"]


def test_first_batch_is_an_ordinal_figure():
    assert extract_numbers("第一批") == ["1批"]


def test_mentions_keep_the_answer_spelling():
    (mention,) = find_mentions("增长１５．２０ ％")
    assert mention.text == "１５．２０％"
    assert mention.key == "15.2%"


# --------------------------------------------------------------------------
# unsupported_numbers


def test_wrong_percentage_is_flagged():
    assert unsupported_numbers("今年一季度产业资金兑现率超87%[1]", ["今年一季度产业资金兑现率超85%"]) == ["87%"]


def test_wrong_amount_is_flagged():
    assert unsupported_numbers("预算安排人才发展专项资金1.5亿元[1]", [SEED_SENTENCE]) == ["1.5亿元"]


def test_matching_amount_passes():
    assert unsupported_numbers("对认定的企业每家3万元[1]", ["给予每家3万元的奖励"]) == []


def test_matching_date_passes():
    assert unsupported_numbers("截止时间为2025年5月8日[2]", ["申报截止2025年5月8日"]) == []


def test_date_in_another_notation_passes():
    assert unsupported_numbers("答复日期为2022-06-22[1]", ["慈溪市科学技术局 2022年6月22日"]) == []
    assert unsupported_numbers("答复于2022年6月22日", ["发布日期：2022-06-22"]) == []


def test_wrong_date_is_flagged():
    assert unsupported_numbers("答复日期为2022-06-23", ["2022年6月22日"]) == ["2022-06-23"]


def test_date_without_year_is_backed_by_full_date_but_not_the_reverse():
    assert unsupported_numbers("6月22日前", ["2022年6月22日"]) == []
    assert unsupported_numbers("2022年6月22日", ["6月22日前"]) == ["2022年6月22日"]


def test_year_is_backed_by_a_date_in_that_year():
    assert unsupported_numbers("2022年", ["2022年6月22日"]) == []


def test_citation_markers_never_count():
    assert unsupported_numbers("资金1.3亿元[1][2]，兑现率超50%[3]", [SEED_SENTENCE, "兑现率超50%"]) == []


def test_trailing_zeros_and_percent_sign_width_do_not_matter():
    assert unsupported_numbers("同比增长15.2%", ["同比增长15.20%"]) == []
    assert unsupported_numbers("同比增长15.20%", ["同比增长15.2％"]) == []


def test_decimal_percentages_are_compared_exactly():
    assert unsupported_numbers("占比3.46%", ["占比3.69%"]) == ["3.46%"]


def test_full_width_answer_matches_ascii_source():
    assert unsupported_numbers("每家３万元，５个工作日内", ["每家3万元，5个工作日内"]) == []


def test_wan_vs_yi_mismatch_is_flagged():
    assert unsupported_numbers("资助50万元", ["资助50亿元"]) == ["50万元"]


def test_amount_needs_its_unit_in_the_source():
    assert unsupported_numbers("资助50万元", ["第50条规定"]) == ["50万元"]
    assert unsupported_numbers("资助50万元", ["兑现率超50%"]) == ["50万元"]


def test_same_amount_in_other_unit_passes():
    assert unsupported_numbers("预算13000万元", ["预算1.3亿元"]) == []


def test_chinese_and_arabic_numerals_match():
    assert unsupported_numbers("分3期拨付，5个工作日内", ["分三期拨付，五个工作日内公示"]) == []
    assert unsupported_numbers("分四期拨付", ["分三期拨付"]) == ["四期"]


def test_bare_number_is_backed_by_the_same_number_in_any_form():
    assert unsupported_numbers("共190号", ["第190号建议"]) == []
    assert unsupported_numbers("实施2021年", ["2021—2025年"]) == []


def test_list_markers_in_the_answer_are_ignored():
    answer = "1、资金保障：预算1.3亿元[1]。\n2、人才政策：首批30%的启动资金[2]。"
    assert unsupported_numbers(answer, [SEED_SENTENCE, "首批30%的启动资金"]) == []


def test_each_unsupported_figure_is_reported_once():
    assert unsupported_numbers("87%，又是87%", ["85%"]) == ["87%"]


def test_no_sources_flags_every_figure():
    assert unsupported_numbers("资助50万元，期限3年", []) == ["50万元", "3年"]


def test_answer_without_figures_passes():
    assert unsupported_numbers("文件中没有相关内容", []) == []


# --------------------------------------------------------------------------
# find_mentions, field by field (reviewed by hand; the mutation run of
# numbers.py uses this file alone)

M = tuple[str, str, str | None, str | None, str, str, tuple | None]


def fields(text: str) -> list[M]:
    return [(m.text, m.key, None if m.raw is None else str(m.raw), None if m.value is None else str(m.value),
             m.multiplier, m.unit, m.date) for m in find_mentions(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        # heading numbers are no figures; the same digits elsewhere are
        ("1、申报条件", []),
        ("（1）材料", []),
        ("2.材料", []),
        ("3）附件", []),
        ("10、", []),
        ("（12）", []),
        ("（1）。", []),
        ("x(1)y", []),
        ("a 1、x", [("1", "1", "1", "1", "", "", None)]),
        ("共12、13项", [("12", "12", "12", "12", "", "", None), ("13项", "13项", "13", "13", "", "项", None)]),
        ("1.5、", [("1.5", "1.5", "1.5", "1.5", "", "", None)]),
        ("（123）", [("123", "123", "123", "123", "", "", None)]),
        ("（详见附件2）", [("2", "2", "2", "2", "", "", None)]),  # both brackets are needed
        ("型号：X 1、", [("1", "1", "1", "1", "", "", None)]),  # only spaces may stand before a heading
        # amounts, multipliers, units
        ("12.5万元", [("12.5万元", "12.5万元", "12.5", "1.25E+5", "万", "元", None)]),
        ("1,234,567元", [("1,234,567元", "1234567元", "1234567", "1234567", "", "元", None)]),
        ("1万亿元", [("1万亿元", "1万亿元", "1", "1E+12", "万亿", "元", None)]),
        ("2千亿", [("2千亿", "2千亿", "2", "2E+11", "千亿", "", None)]),
        ("3百亿", [("3百亿", "3百亿", "3", "3E+10", "百亿", "", None)]),
        ("4千万", [("4千万", "4千万", "4", "4E+7", "千万", "", None)]),
        ("5百万", [("5百万", "5百万", "5", "5E+6", "百万", "", None)]),
        ("6千元", [("6千元", "6千元", "6", "6E+3", "千", "元", None)]),
        ("0.005亿元", [("0.005亿元", "0.005亿元", "0.005", "5E+5", "亿", "元", None)]),
        ("收费0元", [("0元", "0元", "0", "0", "", "元", None)]),  # a lone 0 is a figure, not a code
        ("5 工作日", [("5工作日", "5个工作日", "5", "5", "", "个工作日", None)]),
        ("3 个月", [("3个月", "3个月", "3", "3", "", "个月", None)]),
        ("2周岁", [("2周岁", "2岁", "2", "2", "", "岁", None)]),
        ("10名", [("10名", "10人", "10", "1E+1", "", "人", None)]),
        ("第3条", [("3条", "3条", "3", "3", "", "条", None)]),
        # codes keep their leading zero
        ("0574-63012345", [("0574", "0574", "574", "574", "", "", None),
                           ("63012345", "63012345", "63012345", "63012345", "", "", None)]),
        ("R2d2", []),
        ("v1.2", []),
        # dates
        ("2025年5月8日前", [("2025年5月8日", "2025-05-08", None, None, "", "", (2025, 5, 8))]),
        ("2025年13月", [("2025年", "2025年", "2025", "2025", "", "年", None), ("13月", "13月", "13", "13", "", "月", None)]),
        ("2025年5月32日", [("2025年", "2025年", "2025", "2025", "", "年", None), ("5月", "5月", "5", "5", "", "月", None),
                          ("32日", "32日", "32", "32", "", "日", None)]),
        ("2025-4/9", [("2025", "2025", "2025", "2025", "", "", None), ("4", "4", "4", "4", "", "", None),
                      ("9", "9", "9", "9", "", "", None)]),
        ("2024-12", [("2024-12", "2024-12", None, None, "", "", (2024, 12, None))]),
        ("2024/12", [("2024/12", "2024-12", None, None, "", "", (2024, 12, None))]),
        ("2024-12-", [("2024", "2024", "2024", "2024", "", "", None), ("12", "12", "12", "12", "", "", None)]),
        ("6月22号", [("6月22号", "--06-22", None, None, "", "", (None, 6, 22))]),
        ("13月1日", [("13月", "13月", "13", "13", "", "月", None), ("1日", "1日", "1", "1", "", "日", None)]),
        ("二〇二五年", [("二〇二五年", "2025", None, None, "", "", (2025, None, None))]),
        ("六月二十二日", [("六月二十二日", "--06-22", None, None, "", "", (None, 6, 22))]),
        ("十六月一日", [("十六月", "16月", "16", "16", "", "月", None)]),
        ("十月一日", [("十月一日", "--10-01", None, None, "", "", (None, 10, 1))]),
        ("二〇二五年十月", [("二〇二五年十月", "2025-10", None, None, "", "", (2025, 10, None))]),
        ("二〇二五年十三月", [("二〇二五年", "2025年", "2025", "2025", "", "年", None),
                              ("十三月", "13月", "13", "13", "", "月", None)]),
        ("2025年1月1日至2025年12月31日", [("2025年1月1日", "2025-01-01", None, None, "", "", (2025, 1, 1)),
                                          ("2025年12月31日", "2025-12-31", None, None, "", "", (2025, 12, 31))]),
        ("2025年6月22日起至7月31日止", [("2025年6月22日", "2025-06-22", None, None, "", "", (2025, 6, 22)),
                                        ("7月31日", "--07-31", None, None, "", "", (None, 7, 31))]),
        # times
        ("16:08", [("16:08", "16:08", None, None, "", "", None)]),
        ("25:00", [("25", "25", "25", "25", "", "", None), ("00", "00", "0", "0", "", "", None)]),
        ("12:60", [("12", "12", "12", "12", "", "", None), ("60", "60", "60", "6E+1", "", "", None)]),
        ("9:30", [("9:30", "9:30", None, None, "", "", None)]),
        ("23:59", [("23:59", "23:59", None, None, "", "", None)]),
        ("6月30日24:00前", [("6月30日", "--06-30", None, None, "", "", (None, 6, 30)),
                            ("24:00", "24:00", None, None, "", "", None)]),  # the end of a deadline day
        ("24:01", [("24", "24", "24", "24", "", "", None), ("01", "01", "1", "1", "", "", None)]),
        # shares and Chinese numerals
        ("百分之十五点五", [("百分之十五点五", "15.5%", "15.5", "15.5", "", "%", None)]),
        ("百分之12.5", [("百分之12.5", "12.5%", "12.5", "12.5", "", "%", None)]),
        ("百分之十四五", []),
        ("第一批", [("一批", "1批", "1", "1", "", "批", None)]),
        ("一批", []),
        ("两名", [("两名", "2人", "2", "2", "", "人", None)]),
        ("三千万元", [("三千万元", "30000000元", "30000000", "3E+7", "", "元", None)]),
        ("零点五元", [("零点五元", "0.5元", "0.5", "0.5", "", "元", None)]),
        ("〇〇元", [("〇〇元", "0元", "0", "0", "", "元", None)]),
        ("十四五", []),
        ("千万", []),
        ("二十", []),
        ("两两元", []),
        ("一亿二千万元", [("一亿二千万元", "120000000元", "120000000", "1.2E+8", "", "元", None)]),
        ("五万零五十元", [("五万零五十元", "50050元", "50050", "5.005E+4", "", "元", None)]),
        ("七万七千元", [("七万七千元", "77000元", "77000", "7.7E+4", "", "元", None)]),
        ("一千五百万元", [("一千五百万元", "15000000元", "15000000", "1.5E+7", "", "元", None)]),
        ("十二亿元", [("十二亿元", "1200000000元", "1200000000", "1.2E+9", "", "元", None)]),
        ("一百二十亿元", [("一百二十亿元", "12000000000元", "12000000000", "1.2E+10", "", "元", None)]),
        ("一点二五亿元", [("一点二五亿元", "1.25亿元", "1.25", "1.25E+8", "亿", "元", None)]),
        ("百分之三点二五", [("百分之三点二五", "3.25%", "3.25", "3.25", "", "%", None)]),
        # a leading 十 is 一十
        ("十个工作日内", [("十个工作日", "10个工作日", "10", "1E+1", "", "个工作日", None)]),
        ("十万元", [("十万元", "100000元", "100000", "1E+5", "", "元", None)]),
        ("百分之十", [("百分之十", "10%", "10", "1E+1", "", "%", None)]),
        ("十四五元", []),  # two digits in a row: not a numeral
    ],
)
def test_find_mentions_field_by_field(text, expected):
    assert fields(text) == expected


def test_heading_numbers_do_not_hide_the_figures_after_them():
    assert extract_numbers("1、对企业补助50万元；2、人才30名") == ["50万元", "30人"]
    assert extract_numbers("建设一批平台，给予三万元奖励") == ["30000元"]


def test_a_figure_with_a_unit_after_a_colon_is_no_heading():
    assert extract_numbers("资助标准：50%、30%、20%") == ["50%", "30%", "20%"]


@pytest.mark.parametrize(
    "text",
    [
        "第一章 总则\n1、适用范围",  # a heading on its own line, after a line without punctuation
        "申报材料：  1、申请表",  # spaces between the colon and the heading
        "申报材料：\u30001、申请表",
    ],
)
def test_heading_numbers_after_a_line_break_or_spaces(text):
    assert extract_numbers(text) == []


def test_mentions_after_citation_markers_keep_their_spelling():
    answer = "资金1.3亿元[1]，兑现率超87%[2]，于2025年6月22日[3]起至7月31日止"
    assert [m.text for m in find_mentions(answer)] == ["1.3亿元", "87%", "2025年6月22日", "7月31日"]
    assert unsupported_numbers(answer, ["资金1.3亿元，兑现率超85%，2025年6月22日至7月31日"]) == ["87%"]


def test_an_impossible_date_is_checked_part_by_part():
    # 5月32日 is no date: 2025年 and 5月 are backed by the source's date, 32日 is not.
    assert unsupported_numbers("截止2025年5月32日", ["申报截止2025年5月8日"]) == ["32日"]


def test_a_month_the_guard_cannot_read_leaves_a_gap():
    # 十一二月 (November or December) is no single month: the year still counts,
    # and a day stays apart from it.
    assert extract_numbers("二〇二五年十一二月") == ["2025"]
    assert extract_numbers("二〇二五年十一二月五日") == ["2025--05"]


def test_chinese_ten_is_checked_like_10():
    assert unsupported_numbers("十个工作日内办结", ["5个工作日内办结"]) == ["十个工作日"]
    assert unsupported_numbers("十个工作日内办结", ["10个工作日内办结"]) == []
    assert unsupported_numbers("二〇二五年十月", ["2025年9月"]) == ["二〇二五年十月"]


def test_a_deadline_at_24_00():
    assert unsupported_numbers("6月30日24:00前", ["截至2025年6月30日24:00"]) == []
    assert unsupported_numbers("6月30日24:00前", ["截至2025年6月30日17:00"]) == ["24:00"]


def test_a_chinese_decimal_before_a_multiplier():
    # 一点五亿元 is 1.5亿元, not 五亿元: the answer's figure is backed, another is not.
    assert extract_numbers("一点五亿元") == extract_numbers("1.5亿元")
    assert unsupported_numbers("1.5亿元", ["总额一点五亿元"]) == []
    assert unsupported_numbers("5亿元", ["总额一点五亿元"]) == ["5亿元"]


@pytest.mark.parametrize(
    "answer, source, missing",
    [
        ("50万元", "0.005亿元", []),  # the same amount written another way
        ("50万元", "50", ["50万元"]),  # a bare number does not back an amount
        ("50", "50万元", []),  # but an amount backs its bare number
        ("500000", "50万元", []),
        ("1.3亿", "13000万元", []),  # a multiplier without a unit: by value
        ("1.3亿", "1.3", ["1.3亿"]),
        ("6月22日", "2022年6月22日", []),
        ("2022年6月22日", "6月22日", ["2022年6月22日"]),  # a date is backed only by one as precise
        ("2022年", "〔2022〕", []),  # a year by a bare year
        ("2022年", "2022元", ["2022年"]),  # not by an amount
        ("2022年", "2022年6月", []),
        ("2022年6月", "2022年", ["2022年6月"]),
        ("6月", "2022年6月22日", []),  # a part of a date by that date
        ("22日", "2022年6月22日", []),
        ("22号", "2022年6月22日", []),
        ("7月", "2022年6月22日", ["7月"]),
        ("6月", "2022年", ["6月"]),
        ("16:08", "16:08", []),
        ("16:08", "16:09", ["16:08"]),
        ("22", "2022年6月22日", []),  # a bare number by a part of a date
        ("2022", "2022年6月22日", []),
        ("23", "2022年6月22日", ["23"]),
        ("15.2%", "15.20%", []),
        ("5期", "五期", []),
        ("2个工作日", "2工作日", []),
        ("10名", "10人", []),
        ("5人", "5家", ["5人"]),
        ("3", "第三批", []),
        ("0574", "0574-63012345", []),
    ],
)
def test_what_backs_a_figure(answer, source, missing):
    assert unsupported_numbers(answer, [source]) == missing


def test_each_unsupported_figure_is_reported_once_in_order():
    assert unsupported_numbers("8万元、9万元、8万元", ["7万元"]) == ["8万元", "9万元"]
    assert unsupported_numbers("8万元", ["7万元", "8万元"]) == []
