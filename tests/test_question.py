"""Questions as they arrive from browsers, the API and shells."""
import pytest

from assistant.question import QuestionError, clean_question

MAX_QUESTION_CHARS = 500  # the default of Settings.max_question_chars


@pytest.mark.parametrize(
    "given, expected",
    [
        ("  上林英才\n\t怎么申报？ ", "上林英才 怎么申报？"),
        ("上林英才\x00的启动\x1b[31m资金\x7f怎么拨付？", "上林英才的启动[31m资金怎么拨付？"),
        ("\u202e上林英才\u200b怎么申报\ufeff？", "上林英才怎么申报？"),  # direction override, zero-width, BOM
        ("研发补助🙏怎么申请？👍", "研发补助🙏怎么申请？👍"),
        ("<script>alert(1)</script>研发补助", "<script>alert(1)</script>研发补助"),  # escaped where shown
        ("\ue000私用区\udbff字符", "私用区字符"),
        ("未分配\u0378码位\U000e0080字符", "未分配码位字符"),  # unassigned code points (Cn)
    ],
)
def test_clean_question_keeps_the_words_and_drops_invisible_characters(given, expected):
    assert clean_question(given, MAX_QUESTION_CHARS) == expected


@pytest.mark.parametrize("given", [None, "", "   ", "\n\t", "\x00\x01\x1b", "\u200b\u202e"])
def test_empty_questions_are_asked_for(given):
    with pytest.raises(QuestionError) as info:
        clean_question(given, MAX_QUESTION_CHARS)
    assert info.value.reason == "请输入您要咨询的问题。"


@pytest.mark.parametrize("given", ["🎉🎉🎉", "？？？", "👍 ！", "……"])
def test_questions_without_words_ask_for_words(given):
    with pytest.raises(QuestionError) as info:
        clean_question(given, MAX_QUESTION_CHARS)
    assert info.value.reason == "没有看到问题的文字，请用文字描述您要咨询的政策问题。"


def test_a_question_at_the_limit_is_kept_and_one_over_is_refused_with_its_length():
    assert len(clean_question("问" * MAX_QUESTION_CHARS, MAX_QUESTION_CHARS)) == MAX_QUESTION_CHARS
    with pytest.raises(QuestionError) as info:
        clean_question("问" * 10_000, MAX_QUESTION_CHARS)
    assert info.value.reason == (f"问题过长（10000 字）。请精简到 {MAX_QUESTION_CHARS} 字以内，一次问一件事，"
                                 "例如：“上林英才的项目资助资金怎么拨付？”")


def test_the_limit_counts_what_is_left_after_cleaning():
    assert clean_question("问" * MAX_QUESTION_CHARS + "\x00" * 100 + " " * 100, MAX_QUESTION_CHARS) == "问" * MAX_QUESTION_CHARS
