"""One normalisation for matching a question against document text.

Traditional characters become simplified (OpenCC), full-width letters and
digits half-width, and Chinese numerals Arabic where they state an amount,
a count, a share, an ordinal or a year: 七万七千元 → 77000元, 一百万元 →
100万元, 二〇二二年 → 2022年, 百分之十五 → 15%, 两名 → 2名, 第一批 → 第1批,
三加三 → 3+3.
Both sides of every comparison go through this same function, so they
agree whatever form either was written in. Text shown to users is never
normalised: quotes stay verbatim.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_DIGITS = "〇零一二两三四五六七八九"
_NUMERAL = f"[{_DIGITS}十百千万亿]+"
# A numeral that states a quantity: before a unit, after 第 or 百分之.
_UNITS = "元|万|亿|名|家|个|项|类|批|年|月|日|号|届|次|期|条|人|户|倍|天|个工作日|工作日|岁|余|多|所|座|件|台|套|款|位|种|轮|%"
_QUANTITY = re.compile(rf"(百分之)({_NUMERAL})|(第)({_NUMERAL})|({_NUMERAL})(?=(?:{_UNITS}))")
# A sum naming a group of industries or items (三加三, 3加3).
_PLUS = re.compile(r"(?<![\d〇一二三四五六七八九十])([一二三四五六七八九\d])\s*加\s*([一二三四五六七八九\d])(?![\d〇一二三四五六七八九十])")
_SIMPLE = {ch: i for i, ch in enumerate("〇一二三四五六七八九")} | {"零": 0, "两": 2}
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
# Characters that only make a quantity when part of a longer numeral (百 alone is a word).
_LONE_WORDS = {"万", "亿", "百", "千"}


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def normalize(text: str) -> str:
    """``text`` in the one form used for matching (see the module docstring)."""
    if not text:
        return text
    text = unicodedata.normalize("NFKC", text) if _has_wide(text) else text
    text = _t2s().convert(text)
    text = _PLUS.sub(_plus, text) if "加" in text else text
    return _QUANTITY.sub(_arabic, text)


def _plus(match: re.Match[str]) -> str:
    """三加三 → 3+3, as a document names its 3+3 产业."""
    a, b = (str(chinese_number(x) if not x.isdigit() else x) for x in match.groups())
    return f"{a}+{b}"


def _has_wide(text: str) -> bool:
    return any("\uff01" <= ch <= "\uff5e" for ch in text)


def _arabic(match: re.Match[str]) -> str:
    if match.group(1):  # 百分之十五
        value = chinese_number(match.group(2))
        return f"{value}%" if value is not None else match.group(0)
    if match.group(3):  # 第一批
        value = chinese_number(match.group(4))
        return f"第{value}" if value is not None else match.group(0)
    numeral = match.group(5)
    if numeral in _LONE_WORDS:
        return numeral
    value = chinese_number(numeral)
    if value is None:
        return numeral
    return _with_big_unit(numeral, value)


def _with_big_unit(numeral: str, value: int) -> str:
    """Keep 万/亿 where the document would: 一百万 → 100万, 七万七千 → 77000."""
    for unit, size in (("亿", 100_000_000), ("万", 10_000)):
        if numeral.endswith(unit) and value % size == 0:
            return f"{value // size}{unit}"
    return str(value)


def chinese_number(numeral: str) -> int | None:
    """The value of a Chinese numeral (二〇二二 digit by digit, 七万七千
    positionally), or None when it is not one."""
    if not numeral:
        return None
    if all(ch in _SIMPLE for ch in numeral):
        if len(numeral) == 1:
            return _SIMPLE[numeral]
        return int("".join(str(_SIMPLE[ch]) for ch in numeral)) if "两" not in numeral else None
    return _positional(numeral)


def _positional(numeral: str) -> int | None:
    total, section, digit = 0, 0, None
    for ch in numeral:
        if ch in _SIMPLE:
            digit = _SIMPLE[ch]
        elif ch in _SMALL_UNITS:
            section += (1 if digit is None else digit) * _SMALL_UNITS[ch]
            digit = None
        elif ch in _BIG_UNITS:
            section += digit or 0
            if section == 0:
                return None
            total += section * _BIG_UNITS[ch]
            section, digit = 0, None
        else:
            return None
    return total + section + (digit or 0)
