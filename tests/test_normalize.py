"""The one normalisation for matching (assistant/normalize.py): traditional
to simplified, full-width to half-width, Chinese numerals to Arabic where
they state a quantity. Fast (no model, no index): the mutation run of
normalize.py uses this file alone."""
from __future__ import annotations

import pytest
from conftest import CORPUS, SEED
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.normalize import chinese_number, normalize


@pytest.mark.parametrize(
    "text, expected",
    [
        # amounts keep 万/亿 where the document would write them
        ("七万七千元", "77000元"),
        ("一百万元", "100万元"),
        ("十万元", "10万元"),
        ("两万元", "2万元"),
        ("两千万元", "2000万元"),
        ("千万元", "1000万元"),
        ("一千万", "1000万"),
        ("一亿二千万元", "12000万元"),
        ("三亿元", "3亿元"),
        ("一万零五百元", "10500元"),
        ("零元", "0元"),
        # years, dates, counts, ordinals, shares
        ("二〇二二年", "2022年"),
        ("二〇二五年五月八日", "2025年5月8日"),
        ("十二月", "12月"),
        ("三十五岁", "35岁"),
        ("两名", "2名"),
        ("第一批", "第1批"),
        ("第十批", "第10批"),
        ("第二十三条", "第23条"),
        ("百分之十五", "15%"),
        ("百分之一百", "100%"),
        ("十二个工作日", "12个工作日"),
        # words that are not quantities stay as they are
        ("百万", "百万"),
        ("百", "百"),
        ("万元", "万元"),
        ("亿元", "亿元"),
        ("万一", "万一"),
        ("十二", "十二"),
        ("二十", "二十"),
        ("一是加强引导", "一是加强引导"),
        ("百分之", "百分之"),
        ("第万批", "第万批"),
        ("百分之万", "百分之万"),
        ("两两名", "两两名"),
        # a sum naming a group of industries, as the documents write it
        ("属于三加三产业", "属于3+3产业"),
        ("3加3产业", "3+3产业"),
        ("增加三家", "增加3家"),  # 加 of 增加 joins no numerals
        ("十加一", "十加一"),
        # traditional and full-width forms
        ("萬元", "万元"),
        ("補助資金", "补助资金"),
        ("ＡＢＣ１２３", "ABC123"),
        ("２０２５年", "2025年"),
        ("（一）总体要求", "(一)总体要求"),  # full-width brackets become ASCII; 一 before no unit stays
        ("", ""),
    ],
)
def test_normalize(text, expected):
    assert normalize(text) == expected


def test_only_text_with_full_width_forms_goes_through_nfkc():
    # The ideographic full stop and the 《》 brackets are not full-width
    # ASCII (U+FF01…U+FF5E): text holding only those is left alone.
    assert normalize("《补助》。") == "《补助》。"
    assert normalize("《补助》。１") == "《补助》。1"
    assert normalize("奖励，补助。") == "奖励,补助。"
    # The first and last full-width forms (！ and ～) count; compatibility
    # characters outside that block (①, …) are left as written.
    assert normalize("！") == "!" and normalize("～") == "~"
    assert normalize("①号文件…") == "①号文件…"
    assert normalize("①号文件…！") == "1号文件...!"


def test_a_lone_ten_before_a_unit_is_a_quantity():
    assert normalize("十个工作日") == "10个工作日"


@pytest.mark.parametrize(
    "numeral, value",
    [
        ("", None),
        ("一", 1),
        ("两", 2),
        ("〇", 0),
        ("零", 0),
        ("二〇二二", 2022),
        ("一九", 19),
        ("两两", None),
        ("十", 10),
        ("十五", 15),
        ("二十五", 25),
        ("一百零五", 105),
        ("一百一十", 110),
        ("三千", 3000),
        ("千", 1000),
        ("百", 100),
        ("两千", 2000),
        ("十万", 100_000),
        ("七万七千", 77_000),
        ("一万零五百", 10_500),
        ("一亿零五", 100_000_005),
        ("三亿二千万", 320_000_000),
        ("万", None),
        ("亿", None),
        ("一万万", None),
        ("五万", 50_000),
        ("一二三", 123),
        ("十a", None),
    ],
)
def test_chinese_number(numeral, value):
    assert chinese_number(numeral) == value


def test_the_corpus_figures_read_as_the_documents_mean_them():
    """Real sentences of the seed reply: its Chinese numerals become the
    figures a question in digits would use."""
    text = (CORPUS / SEED).read_text("utf-8")
    assert "1.3亿元" in normalize(text)
    assert normalize("对入选“上林英才”计划的人才项目，首批30%的启动资金") == "对入选“上林英才”计划的人才项目,首批30%的启动资金"
    assert normalize("慈溪市人民政府办公室关于印发二〇二五年慈溪市推进产业高质量发展的政策意见") == (
        "慈溪市人民政府办公室关于印发2025年慈溪市推进产业高质量发展的政策意见"
    )


# --------------------------------------------------------------- properties

NUMERALS = "〇零一二两三四五六七八九十百千万亿"
ALPHABET = NUMERALS + "第百分之元名家个批年月日%号届次期条人户倍天岁余多所件，。０１２３ＡＢ萬億與發0123456789上林英才补助"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=16))
def test_normalisation_is_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=99_999_999))
def test_a_number_written_out_in_chinese_reads_back_as_itself(value):
    """An independent writer of Chinese numerals (positional, 零 for gaps)
    against chinese_number and normalize."""
    written = _write_chinese(value)
    assert chinese_number(written) == value
    expected = f"{value // 10_000}万元" if value % 10_000 == 0 else f"{value}元"
    assert normalize(written + "元") == expected


def _write_chinese(value: int) -> str:
    digits = "零一二三四五六七八九"

    def below_10k(n: int) -> str:
        out, zero = "", False
        for size, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
            d = n // size % 10
            if d:
                out += ("零" if zero and out else "") + digits[d] + unit
                zero = False
            else:
                zero = True
        return out

    high, low = divmod(value, 10_000)
    if not high:
        return below_10k(low)
    return below_10k(high) + "万" + (("零" if low < 1000 and low else "") + below_10k(low) if low else "")
