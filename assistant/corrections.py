"""Term correction: a question word the documents never use is matched to
a word they do use that sounds the same (科创代 → 科创贷, 甬易版 → 甬易办,
尚林英才 → 上林英才).

Only words of three or more characters are corrected, only against the
passages retrieved for the question (so a correction always points at
text the answer can quote), and only when the typed word occurs in none of
them: two-character homophones are too many to guess between. A stretch
that cuts through a real word of the question (企业营 of 企业营收) is never
a typed word. A word is matched by toneless pinyin, exactly, and may
differ from what it is corrected to in at most a third of its characters
(rapidfuzz edit distance): 上林英材 → 上林英才, never a different word that
happens to sound alike.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{3,}")
_MIN, _MAX = 3, 6
_PARTICLES = set("的得地做作")
_FUNCTION_WORDS = set("是在和与及或了")  # 申报时 is no typo of 申报是: a term does not end in 是


@dataclass(frozen=True)
class Correction:
    typed: str
    meant: str


@lru_cache(maxsize=4096)
def char_pinyin(text: str) -> tuple[str, ...]:
    """Toneless pinyin of each character of ``text`` (other characters as they are)."""
    from pypinyin import lazy_pinyin

    return tuple(lazy_pinyin(text, errors=_as_they_are))  # type: ignore[arg-type]  # a list keeps one item per character


def _as_they_are(text: str) -> list[str]:
    return list(text)


def correct(question: str, texts: list[str], cut: Callable[[str], list[str]],
            is_word: Callable[[str], bool]) -> tuple[str, list[Correction]]:
    """``question`` with words that occur in none of ``texts`` replaced by a
    same-sounding word of ``texts``, and the corrections made. ``cut``
    splits a run of characters into words; ``is_word`` says whether one is
    a real word."""
    found: list[Correction] = []
    for match in _CJK_RUN.finditer(question):
        run = match.group(0)
        cuts = _cuts(cut(run), is_word)
        found += _corrections_in(run, texts, cuts, is_word)
    for c in found:
        question = question.replace(c.typed, c.meant)
    return question, found


def _cuts(tokens: list[str], is_word: Callable[[str], bool]) -> set[int]:
    """Offsets strictly inside a real word of the run: no typed word may
    start or end there."""
    inside: set[int] = set()
    at = 0
    for token in tokens:
        if len(token) > 1 and is_word(token):
            inside.update(range(at + 1, at + len(token)))
        at += len(token)
    return inside


def _corrections_in(run: str, texts: list[str], inside: set[int],
                    is_word: Callable[[str], bool] | None = None) -> list[Correction]:
    out: list[Correction] = []
    size = min(_MAX, len(run))
    while size >= _MIN:
        for start in range(len(run) - size + 1):
            typed = run[start : start + size]
            if start in inside or start + size in inside:
                continue
            if any(c.typed in typed or typed in c.typed for c in out) or any(typed in t for t in texts):
                continue
            meant = _sounds_like(typed, texts, is_word)
            if meant:
                out.append(Correction(typed, meant))
        size -= 1
    return out


@lru_cache(maxsize=4096)
def _starts(text: str) -> dict[str, list[int]]:
    """Positions in ``text`` by the pinyin of the character there."""
    index: dict[str, list[int]] = {}
    for i, sound in enumerate(char_pinyin(text)):
        index.setdefault(sound, []).append(i)
    return index


def _no_term_difference(typed: str, candidate: str) -> bool:
    """Do the two differ only in 的/得/地 or 做/作, which sound alike and are
    no typo of a term (做出来的成果 is not 获得成果, 企业做 not 企业作为), or
    where the candidate has a function word (申报时 is not 申报是)?"""
    return all((a in _PARTICLES and b in _PARTICLES) or b in _FUNCTION_WORDS
               for a, b in zip(typed, candidate) if a != b)


def _splits_a_word(text: str, start: int, typed: str, is_word: Callable[[str], bool] | None) -> bool:
    """Does a candidate whose first character is the corrected one start
    inside a word of ``text`` (励新一代 of 鼓励新一代, for 里新一代)? Then it is
    no term the text uses."""
    if is_word is None or start == 0 or text[start] == typed[0]:
        return False
    return is_word(text[start - 1 : start + 1])


def _ends_inside_a_word(text: str, start: int, typed: str, is_word: Callable[[str], bool] | None) -> bool:
    """Likewise at the end: 创新合 of 科技创新合作 is no term, so 创新和 is
    not a typo of it."""
    end = start + len(typed)
    if is_word is None or end >= len(text) or text[end - 1] == typed[-1]:
        return False
    return is_word(text[end - 1 : end + 1])


def _sounds_like(typed: str, texts: list[str], is_word: Callable[[str], bool] | None = None) -> str | None:
    from rapidfuzz.distance import Levenshtein

    target = char_pinyin(typed)
    size = len(typed)
    for text in texts:
        sounds = char_pinyin(text)
        for i in _starts(text).get(target[0], []):
            candidate = text[i : i + size]
            if len(candidate) < size or candidate == typed or not _CJK_RUN.fullmatch(candidate):
                continue
            if sounds[i : i + size] == target and Levenshtein.distance(candidate, typed) <= size // 3 \
                    and not _no_term_difference(typed, candidate) and not _splits_a_word(text, i, typed, is_word) \
                    and not _ends_inside_a_word(text, i, typed, is_word):
                return candidate
    return None
