"""The number guard: every figure an answer states must appear in its sources.

Policy answers live and die by their figures (amounts, shares, deadlines), so
a generated answer is checked figure by figure against the passages it cites.
Figures are compared in a normalised form so that harmless differences in
writing do not count ("15.20%" = "15.2%", "２０２２年６月２２日" = "2022-06-22",
"三期" = "3期", "1.3亿元" = "13000万元") while real differences do ("85%" ≠ "87%",
"50万元" ≠ "50亿元", and "50万元" is not backed by a bare "50").

Things that look like numbers but are not figures are ignored: citation
markers ([1], [1][2], 【3】), heading numbers ("1、", "2.", "（1）") and
ordinal words (一是/二是, （一）). The Chinese numeral 一 on its own ("一批",
"一个", "进一步") is too often an article to count as a figure, so it is only
read when it is clearly an ordinal figure ("第一批").
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

__all__ = ["CITATION_RE", "Mention", "extract_numbers", "find_mentions", "unsupported_numbers"]

# Full-width digits and signs are mapped one to one, so offsets stay valid.
_FULL_WIDTH = str.maketrans(
    "０１２３４５６７８９％．：／－○Ｏ",
    "0123456789%.:/-〇〇",
)

# [1], [1][2], [1, 2], [1-3], 【1】, [^1]
CITATION_RE = re.compile(r"\[\^?\s*\d{1,3}(?:\s*[,，、\-–~]\s*\d{1,3})*\s*\]|【\s*\d{1,3}\s*】")

_MASK = "\x00"  # replaces consumed spans; never matches \s, digits or units

# Units kept with a figure, longest first. Value: canonical spelling.
_UNITS: dict[str, str] = {
    "个工作日": "个工作日",
    "工作日": "个工作日",
    "个百分点": "个百分点",
    "百分点": "个百分点",
    "平方公里": "平方公里",
    "平方米": "平方米",
    "个月": "个月",
    "季度": "季度",
    "小时": "小时",
    "分钟": "分钟",
    "周岁": "岁",
    "美元": "美元",
    "公里": "公里",
    "%": "%",
    "‰": "‰",
    "元": "元",
    "年": "年",
    "月": "月",
    "日": "日",
    "天": "天",
    "周": "周",
    "岁": "岁",
    "家": "家",
    "项": "项",
    "个": "个",
    "类": "类",
    "条": "条",
    "人": "人",
    "名": "人",
    "位": "人",
    "次": "次",
    "倍": "倍",
    "期": "期",
    "批": "批",
    "件": "件",
    "台": "台",
    "套": "套",
    "户": "户",
    "所": "所",
    "座": "座",
    "款": "款",
    "篇": "篇",
    "届": "届",
    "轮": "轮",
    "档": "档",
    "级": "级",
    "成": "成",
    "号": "号",
    "亩": "亩",
    "吨": "吨",
}
_UNIT_RE = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_MULTIPLIERS = {"万亿": Decimal(10) ** 12, "千亿": Decimal(10) ** 11, "百亿": Decimal(10) ** 10,
                "亿": Decimal(10) ** 8, "千万": Decimal(10) ** 7, "百万": Decimal(10) ** 6,
                "万": Decimal(10) ** 4, "千": Decimal(10) ** 3}
_MULT_RE = "|".join(sorted(_MULTIPLIERS, key=len, reverse=True))

_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
              "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_CHARS = "〇零一二两三四五六七八九十百千万亿"

_YEAR = r"(?:19|20)\d{2}"
_DATE_PATTERNS = [
    # 2022年6月22日, 2022 年 6 月, 2022年
    re.compile(rf"(?<!\d)(?P<y>{_YEAR})\s*年(?:\s*(?P<m>\d{{1,2}})\s*月(?:\s*(?P<d>\d{{1,2}})\s*[日号])?)?"),
    # 2025-04-09, 2025/4/9, 2025.04.09 (one separator throughout)
    re.compile(rf"(?<![\d.])(?P<y>{_YEAR})(?P<sep>[-/.])(?P<m>\d{{1,2}})(?P=sep)(?P<d>\d{{1,2}})(?!\d|\.\d)"),
    # 2024-12, 2024/12
    re.compile(rf"(?<![\d.])(?P<y>{_YEAR})[-/](?P<m>\d{{1,2}})(?![\d/-])"),
    # 6月22日 (no year)
    re.compile(r"(?<![\d.])(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]"),
    # 二〇二二年六月二十二日, 二〇二二年
    re.compile(r"(?P<y>[〇零一二三四五六七八九]{4})\s*年(?:\s*(?P<m>[一二三四五六七八九十]{1,3})\s*月"
               r"(?:\s*(?P<d>[一二三四五六七八九十]{1,3})\s*[日号])?)?"),
    # 六月二十二日
    re.compile(r"(?<![〇零一二三四五六七八九十])(?P<m>[一二三四五六七八九十]{1,3})月"
               r"(?P<d>[一二三四五六七八九十]{1,3})[日号]"),
]
_TIME_RE = re.compile(r"(?<![\d.])(?P<h>\d{1,2})[:：](?P<min>\d{2})(?!\d)")
_PERCENT_WORDS_RE = re.compile(
    rf"百分之(?P<num>\d+(?:\.\d+)?|[{_CN_CHARS}]+(?:点[〇零一二三四五六七八九]+)?)"
)
_ARABIC_RE = re.compile(
    rf"(?<![\d.A-Za-z])(?P<int>\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.(?P<frac>\d+))?"
    rf"(?:\s*(?P<mult>{_MULT_RE}))?(?:\s*(?P<unit>{_UNIT_RE}))?"
)
_CHINESE_RE = re.compile(
    rf"(?P<ord>第)?(?P<num>[{_CN_CHARS}]+)(?:点(?P<frac>[〇零一二三四五六七八九]+)(?P<mult>{_MULT_RE})?)?(?P<unit>{_UNIT_RE})"
)
# Heading numbers: "1、", "2." / "2．" / "3)" at the start of a line or clause
# (only spaces between them and the line break or punctuation before).
_HEADING_BEFORE = "\n\r。；;：:！？!?，,)）\x00"
_HEADING_AFTER = re.compile(r"^\s*(?:、|\.(?!\d)|[)）])")


@dataclass(frozen=True)
class Mention:
    """One figure found in a text.

    ``value`` is the figure with its multiplier applied (1.3亿元 → 130000000,
    unit 元), ``raw`` the number as written (1.3). Dates carry ``date`` as
    (year, month, day) with None for parts the text leaves out.
    """

    text: str  # as written in the text, whitespace removed
    key: str  # normalised form, see extract_numbers
    raw: Decimal | None = None
    value: Decimal | None = None
    multiplier: str = ""
    unit: str = ""
    date: tuple[int | None, int | None, int | None] | None = None


# --------------------------------------------------------------------------
# Public API


def extract_numbers(text: str) -> list[str]:
    """Every figure in ``text``, in order of appearance, normalised:
    decimals without trailing zeros ("15.20%" → "15.2%"), ASCII digits, no
    whitespace, units kept ("1.3亿元", "5个工作日"), Chinese numerals as
    digits ("三期" → "3期"), dates in ISO form ("2022年6月22日" → "2022-06-22",
    "2022年6月" → "2022-06", "2022年" → "2022", "6月22日" → "--06-22")."""
    return [m.key for m in find_mentions(text)]


def unsupported_numbers(answer: str, sources: list[str]) -> list[str]:
    """Figures of ``answer`` that no source backs, as written in the answer
    (whitespace removed), each reported once.

    A figure with a unit needs the same unit and value in a source
    ("50万元" needs 50万元 or 0.005亿元; a bare 50 is not enough). A bare
    figure is backed by the same number in any form. A date is backed by a
    source date that agrees on every part the answer gives, so "6月22日" is
    backed by "2022年6月22日" but not the other way round.
    """
    backing = [m for source in sources for m in find_mentions(source)]
    missing: list[str] = []
    for mention in find_mentions(answer):
        if mention.text not in missing and not any(_backs(s, mention) for s in backing):
            missing.append(mention.text)
    return missing


def find_mentions(text: str) -> list[Mention]:
    """All figures of ``text`` with their parsed values, in order."""
    work = CITATION_RE.sub(lambda m: _MASK * len(m.group()), text.translate(_FULL_WIDTH))
    found: list[tuple[int, Mention]] = []
    for finder in (_dates, _times, _percent_words, _arabic, _chinese):
        chars = list(work)
        for start, end, mention in finder(work):
            if mention is not None:
                found.append((start, _with_text(mention, text[start:end])))
            chars[start:end] = _MASK * (end - start)
        work = "".join(chars)  # later finders skip what this one consumed
    return [m for _, m in sorted(found, key=lambda pair: pair[0])]


# --------------------------------------------------------------------------
# Matching


def _backs(source: Mention, answer: Mention) -> bool:
    if answer.date is not None:
        return _backs_date(source, answer.date)
    if answer.raw is None:  # a time of day
        return source.key == answer.key
    if answer.unit:
        return _backs_unit(source, answer)
    if answer.multiplier:  # "1.3亿" is backed by 1.3亿元 or 13000万
        return source.value == answer.value
    # A bare number: any figure with that number, or a part of a date.
    if source.date is not None:
        return answer.raw in {Decimal(p) for p in source.date if p is not None}
    return answer.raw in (source.raw, source.value)


def _backs_date(source: Mention, date: tuple[int | None, int | None, int | None]) -> bool:
    if source.date is not None:
        return all(a is None or a == s for a, s in zip(date, source.date))
    year, month, day = date
    # A year on its own ("2022年") is backed by a bare 2022, e.g. "〔2022〕".
    return month is None and day is None and not source.unit and source.raw == year


def _backs_unit(source: Mention, answer: Mention) -> bool:
    if source.date is not None and answer.raw == answer.value:
        year, month, day = source.date
        part = {"年": year, "月": month, "日": day, "号": day}.get(answer.unit)
        return part is not None and Decimal(part) == answer.value
    return source.unit == answer.unit and source.value == answer.value


# --------------------------------------------------------------------------
# Finders: each yields (start, end, mention or None); None consumes the span
# without reporting it (heading numbers).

Finding = Iterator[tuple[int, int, "Mention | None"]]


def _dates(text: str) -> Finding:
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            parts = match.groupdict()
            date = (_int_or_cn(parts.get("y"), digitwise=True), _int_or_cn(parts.get("m")),
                    _int_or_cn(parts.get("d")))
            if _valid_date(date):
                yield match.start(), match.end(), Mention(text="", key=_iso(date), date=date)
        text = _mask_spans(text, pattern)


def _times(text: str) -> Finding:
    for match in _TIME_RE.finditer(text):
        hour, minute = int(match["h"]), int(match["min"])
        if minute < 60 and (hour < 24 or (hour, minute) == (24, 0)):  # 24:00 ends a deadline day
            yield match.start(), match.end(), Mention(text="", key=f"{hour}:{minute:02d}")


def _percent_words(text: str) -> Finding:
    for match in _PERCENT_WORDS_RE.finditer(text):
        number = _parse_number(match["num"])
        if number is not None:
            yield match.start(), match.end(), _figure(number, "", "%")


def _arabic(text: str) -> Finding:
    for match in _ARABIC_RE.finditer(text):
        if _is_heading(text, match):
            yield match.start(), match.end(), None
            continue
        digits = match["int"].replace(",", "")
        if match["frac"] is None and len(digits) > 1 and digits.startswith("0"):
            # A code such as an area code (0574): keep it verbatim.
            yield match.start(), match.end(), Mention(text="", key=digits, raw=Decimal(digits),
                                                      value=Decimal(digits))
            continue
        number = Decimal(f"{digits}.{match['frac']}" if match["frac"] else digits)
        yield match.start(), match.end(), _figure(number, match["mult"] or "", _canonical_unit(match["unit"]))


def _chinese(text: str) -> Finding:
    for match in _CHINESE_RE.finditer(text):
        number = _parse_chinese(match["num"], match["frac"])
        if number is None or (number == 1 and not match["ord"]):
            continue
        start = match.start("num")
        yield start, match.end(), _figure(number, match["mult"] or "", _canonical_unit(match["unit"]))


def _is_heading(text: str, match: re.Match[str]) -> bool:
    """"1、" / "2." / "3)" opening a line or clause, or "（1）"."""
    if match["frac"] or match["mult"] or match["unit"] or len(match["int"]) > 2:
        return False
    before, after = text[: match.start()], text[match.end():]
    if before.endswith(("(", "（")) and after.startswith((")", "）")):
        return True
    opening = before.rstrip(" \t\u3000")
    return (not opening or opening[-1] in _HEADING_BEFORE) and bool(_HEADING_AFTER.match(after))


# --------------------------------------------------------------------------
# Helpers


def _figure(number: Decimal, multiplier: str, unit: str) -> Mention:
    value = number * _MULTIPLIERS[multiplier] if multiplier else number
    return Mention(text="", key=f"{_fmt(number)}{multiplier}{unit}", raw=number,
                   value=value.normalize(), multiplier=multiplier, unit=unit)


def _with_text(mention: Mention, surface: str) -> Mention:
    return Mention(re.sub(r"\s+", "", surface), mention.key, mention.raw, mention.value,
                   mention.multiplier, mention.unit, mention.date)


def _canonical_unit(unit: str | None) -> str:
    return _UNITS[unit] if unit else ""


def _fmt(number: Decimal) -> str:
    """Plain notation without trailing zeros: 15.20 → 15.2, 1E+2 → 100."""
    return format(number.normalize(), "f")


def _iso(date: tuple[int | None, int | None, int | None]) -> str:
    year, month, day = date
    text = f"{year:04d}" if year is not None else "-"
    if month is not None:
        text += f"-{month:02d}"
    elif day is not None:
        text += "-"
    if day is not None:
        text += f"-{day:02d}"
    return text


def _valid_date(date: tuple[int | None, int | None, int | None]) -> bool:
    year, month, day = date
    return (month is None or 1 <= month <= 12) and (day is None or 1 <= day <= 31) and \
        not (year is None and month is None)


def _mask_spans(text: str, pattern: re.Pattern[str]) -> str:
    """Mask what ``pattern`` matched so later date patterns skip it."""
    return pattern.sub(lambda m: _MASK * len(m.group()), text)


def _int_or_cn(text: str | None, digitwise: bool = False) -> int | None:
    if text is None:
        return None
    if text.isdigit():
        return int(text)
    if digitwise:
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    value = _parse_chinese(text, None)
    return int(value) if value is not None else None


def _parse_number(text: str) -> Decimal | None:
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return Decimal(text)
    whole, _, frac = text.partition("点")
    return _parse_chinese(whole, frac or None)


def _parse_chinese(text: str, frac: str | None) -> Decimal | None:
    """Chinese numeral to a number; None when it is not a well-formed
    numeral or has no digit in it ("十四五", "千万", "万"); a leading 十 means
    一十 ("十个工作日", "十万元")."""
    whole = _chinese_int(text)
    if whole is None:
        return None
    if not frac:
        return Decimal(whole)
    try:
        return Decimal(f"{whole}." + "".join(str(_CN_DIGITS[c]) for c in frac))
    except (KeyError, InvalidOperation):
        return None


def _chinese_int(text: str) -> int | None:
    if not any(c in _CN_DIGITS for c in text) and not text.startswith("十"):
        return None
    if all(c in _CN_DIGITS for c in text):
        if len(text) == 1:
            return _CN_DIGITS[text]
        # Digit by digit (二〇二二); 两 is never used that way.
        return None if "两" in text else int("".join(str(_CN_DIGITS[c]) for c in text))
    return _chinese_positional(text)


def _chinese_positional(text: str) -> int | None:
    total, section, digit = 0, 0, None
    for char in text:
        if char in _CN_DIGITS:
            if _CN_DIGITS[char] == 0:
                digit = None
                continue
            if digit is not None:  # two digits in a row: not a numeral (十四五)
                return None
            digit = _CN_DIGITS[char]
        elif char in _CN_SMALL_UNITS:
            section += (1 if digit is None else digit) * _CN_SMALL_UNITS[char]
            digit = None
        elif char == "万":
            total += (section + (digit or 0)) * 10_000
            section, digit = 0, None
        else:  # 亿
            total = (total + section + (digit or 0)) * 100_000_000
            section, digit = 0, None
    return total + section + (digit or 0)

