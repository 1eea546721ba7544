"""Homophone term correction (assistant/corrections.py) against the real
text of the seed reply, with jieba's real word cutting. Fast (no model, no
index): the mutation run of corrections.py uses this file alone."""
from __future__ import annotations

import pytest
from conftest import CORPUS, SEED

from assistant.corrections import Correction, _cuts, _sounds_like, char_pinyin, correct
from assistant.keyword import cut_words, dictionary_frequency
from assistant.normalize import normalize

SEED_TEXT = normalize((CORPUS / SEED).read_text("utf-8"))


def is_word(token: str) -> bool:
    return dictionary_frequency(token) > 0


def fix(question: str, texts: list[str] | None = None) -> tuple[str, list[Correction]]:
    return correct(question, [SEED_TEXT] if texts is None else texts, cut_words, is_word)


@pytest.mark.parametrize(
    "question, corrected, made",
    [
        ("甬易版上线兑付了吗", "甬易办上线兑付了吗", [("甬易版", "甬易办")]),
        ("尚林英才的启动资金怎么拨付", "上林英才的启动资金怎么拨付", [("尚林英才", "上林英才")]),
        ("上林英材的资金", "上林英才的资金", [("上林英材", "上林英才")]),
        ("上林英才启动资金", "上林英才启动资金", []),  # every word is in the text
        ("企业营收增长奖励", "企业营收增长奖励", []),  # no stretch cuts through 营收
        ("科创代怎么申请", "科创代怎么申请", []),  # the seed reply has no 科创贷
        ("两个字", "两个字", []),
    ],
)
def test_correct_against_the_seed_reply(question, corrected, made):
    text, found = fix(question)
    assert text == corrected
    assert [(c.typed, c.meant) for c in found] == made


def test_a_correction_points_only_at_the_retrieved_texts():
    text, found = fix("科创代怎么申请", ["科技型企业可申请科创贷，额度最高500万元。"])
    assert text == "科创贷怎么申请" and found == [Correction("科创代", "科创贷")]
    assert fix("科创代怎么申请", [])[1] == []


def test_only_runs_of_three_or_more_chinese_characters_are_considered():
    # 英材 alone is two characters: too many two-character homophones to guess.
    assert fix("英材")[1] == []
    assert fix("A上林英材B")[0] == "A上林英才B"


def test_two_typos_in_one_word_are_corrected_piece_by_piece():
    # 尚林英材 → 上林英才 differs in two of four characters (more than a
    # third); its three-character pieces differ in one each.
    text, found = fix("尚林英材")
    assert text == "上林英才" and found == [Correction("尚林英", "上林英"), Correction("林英材", "林英才")]


def test_a_longer_correction_is_not_corrected_again_in_its_parts():
    text, found = fix("入选尚林英才计划")
    assert text == "入选上林英才计划" and found == [Correction("尚林英才", "上林英才")]


def test_a_word_that_differs_in_more_than_a_third_of_its_characters_is_left_alone():
    # Same sounds, two characters of three differ: not a typo of 甬易办.
    assert _sounds_like("勇艺办", ["积极推进甬易办上线"]) is None
    assert _sounds_like("甬易版", ["积极推进甬易办上线"]) == "甬易办"
    # Six characters, two may differ.
    assert _sounds_like("尚林英材计划", ["入选上林英才计划的人才"]) == "上林英才计划"
    assert _sounds_like("尚林鹰材计划", ["入选上林英才计划的人才"]) is None


def test_particles_that_sound_alike_are_no_typo():
    assert _sounds_like("的成果", ["期间获得成果可按规定互认"]) is None
    assert _sounds_like("的成果", ["期间得成果"]) is None
    assert _sounds_like("企业做", ["企业作为主体"]) is None
    assert _sounds_like("申报时", ["补充申报是首次"]) is None  # a term does not end in a function word


def test_a_candidate_starting_inside_a_word_of_the_text_is_no_term():
    # 里新一代 sounds like 励新一代, the tail of 鼓励 and 新一代: no term the text uses.
    assert _sounds_like("里新一代", ["鼓励新一代信息技术"], is_word) is None
    assert _sounds_like("甬易版", ["推进甬易办上线"], is_word) == "甬易办"  # same first character: a term's typo
    assert _sounds_like("科创代", ["推出科创贷等金融产品"]) == "科创贷"  # a real typo still is


def test_a_candidate_ending_inside_a_word_of_the_text_is_no_term():
    # 创新和 (科技创新和产业创新) sounds like 创新合, the head of 科技创新合作: no term either.
    assert _sounds_like("创新和", ["加强科技创新合作"], is_word) is None
    assert _sounds_like("科创代", ["推出科创贷等金融产品"], is_word) == "科创贷"  # same last character as written


def test_candidates_must_be_chinese_of_the_full_length_and_not_the_word_itself():
    assert _sounds_like("英才啊", ["上林英才"]) is None  # runs off the end of the text
    assert _sounds_like("甬易办", ["甬易办"]) is None  # the same word: nothing to correct
    assert _sounds_like("易办a", ["易办a"]) is None
    assert _sounds_like("林英才", ["abc", "上林英才"]) is None  # found, but identical
    assert _sounds_like("临英才", ["abc", "上林英才"]) == "林英才"  # later texts are searched too
    assert _sounds_like("临英才", ["林英 上林英才"]) == "林英才"  # and later places of the same text


def test_cuts_are_the_offsets_inside_real_words():
    assert _cuts(["企业", "增长", "奖励"], is_word) == {1, 3, 5}
    assert _cuts(["企业", "营收", "增长"], is_word) == {1, 5}  # 营收 is not in jieba's dictionary
    assert _cuts(["企", "增长"], is_word) == {2}  # a one-character token has no inside
    assert _cuts(["尚林", "英材"], lambda w: False) == set()


def test_char_pinyin_keeps_one_item_per_character():
    char_pinyin.cache_clear()  # computed here, not remembered from an earlier test
    assert char_pinyin("上林a英才") == ("shang", "lin", "a", "ying", "cai")
    assert char_pinyin("办版") == ("ban", "ban")


def test_every_run_of_the_question_is_corrected():
    text, found = fix("尚林英才，甬易版")
    assert text == "上林英才，甬易办"
    assert found == [Correction("尚林英才", "上林英才"), Correction("甬易版", "甬易办")]


def test_pieces_of_a_corrected_word_are_not_corrected_again_even_without_word_cuts():
    # Every character its own token: no cut protects 尚林英 or 林英才.
    assert correct("尚林英才", [SEED_TEXT], list, is_word) == ("上林英才", [Correction("尚林英才", "上林英才")])


def test_a_typed_word_that_occurs_in_the_texts_is_left_alone_even_beside_a_homophone():
    assert fix("甬易版怎么用", ["甬易版即甬易办"]) == ("甬易版怎么用", [])


def test_a_stretch_with_one_end_inside_a_word_is_not_a_typed_word():
    # 推进|甬易版|上线: 推进甬易版上 ends inside 上线, 进甬易版上线 starts inside
    # 推进; the stretches that do not cut a word are corrected.
    text, found = fix("推进甬易版上线", ["积极推进甬易办上线"])
    assert text == "推进甬易办上线"
    assert found == [Correction("推进甬易版", "推进甬易办"), Correction("甬易版上线", "甬易办上线")]


def test_a_word_found_in_the_texts_does_not_end_the_search_at_its_length():
    # 甬易办 is in the text: left alone, and 甬易版 after it is still corrected.
    assert fix("甬易办和甬易版", ["推进甬易办"]) == ("甬易办和甬易办", [Correction("甬易版", "甬易办")])
