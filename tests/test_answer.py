"""Extractive answers: verbatim sentences, [n] markers, citations whose
quotes sit exactly where they say in the source documents, each source
named where it is quoted, notes on relative dates, excerpts, deadlines and
announcements, the choice of sentences, and refusals."""
import datetime as dt
import re

import pytest
from conftest import CORPUS, SEED

from assistant.answer import bounds, candidates, choose, compose, refusal
from assistant.metadata import split_front_matter
from assistant.retrieval import Passage
from assistant.sentences import Sentence, sentences_of, split_sentences

TODAY = dt.date(2026, 11, 30)


def body_of(source: str) -> str:
    """The document text chunk offsets refer to: the file minus its front matter."""
    return split_front_matter((CORPUS / source).read_text(encoding="utf-8"))[1]


def check_citations(answer, passages):
    """Every citation quotes its chunk and the document verbatim, at its offsets."""
    chunks = {p.chunk.id: p.chunk for p in passages}
    assert answer.citations
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for c in answer.citations:
        assert f"[{c.n}]" in answer.text
        chunk = chunks[c.chunk_id]
        assert c.quote and c.quote in chunk.text
        assert c.source == chunk.source
        assert c.chunk_start == chunk.start
        body = body_of(c.source)
        assert body[c.chunk_start : c.chunk_start + len(chunk.text)] == chunk.text
        assert body[c.quote_start : c.quote_start + len(c.quote)] == c.quote
        assert chunk.text[c.quote_start - c.chunk_start :].startswith(c.quote)


def sentence_with(passages, rank: int, needle: str) -> Sentence:
    for sentence in sentences_of(passages[rank].chunk, rank):
        if needle in sentence.text:
            return sentence
    raise AssertionError(f"no sentence with {needle!r} in passage {rank}")


def chosen_for(assistant, question: str):
    """The passages and the sentences the real pipeline chooses."""
    g = assistant.gather(question)
    words = [w for w in g.words if assistant.keywords.known(w)]
    found = candidates(g.reading, g.top, g.sentences, assistant.keywords.idf, words, assistant.models.sentence)
    return g.top, choose(found, 240)


def seed_passages(assistant, question: str) -> list[Passage]:
    passages = assistant.retrieve(question)
    assert passages and passages[0].chunk.source == SEED
    return passages


# ------------------------------------------------------------------- sentences


def test_split_sentences_yields_verbatim_spans():
    text = (
        "  一、总体要求。对于入选“上林英才”计划的人才项目，首批30%的启动资金可一次性拨付；"
        "后续资金分三期拨付！\n\n是否需要申报？请联系市科技局。\n最后一行没有句号 "
    )
    spans = split_sentences(text)
    assert spans == sorted(spans)
    pieces = [text[s:e] for s, e in spans]
    for piece in pieces:
        assert piece == piece.strip() and len(piece) >= 4
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert end <= start  # no overlap
    # Nothing is lost or changed: the spans cover every non-space character.
    assert "".join("".join(pieces).split()) == "".join(text.split())
    assert pieces[0] == "一、总体要求。"
    assert "对于入选“上林英才”计划的人才项目，首批30%的启动资金可一次性拨付；" in pieces
    assert "是否需要申报？" in pieces
    assert pieces[-1] == "最后一行没有句号"


def test_split_sentences_drops_fragments():
    assert split_sentences("好。\n\n  \n") == []


# --------------------------------------------------------------------- compose


@pytest.mark.parametrize(
    "question",
    [
        "上林英才项目资助资金怎么分期拨付",
        "2022年慈溪人才发展专项资金预算安排了多少？",
        "“8718”公共服务慈溪平台联动了多少个涉企服务部门？",
        "创新联合体补充申报什么时候截止？",
        "科技型中小企业备案",
    ],
)
def test_compose_cites_verbatim_quotes_at_their_document_offsets(policy_assistant, question):
    passages, choice = chosen_for(policy_assistant, question)
    chosen = choice.sentences
    assert chosen
    answer = compose(question, passages, chosen, TODAY)
    assert not answer.refused and answer.question == question
    for sentence in chosen:
        assert sentence.text in answer.text
        assert sentence.text == passages[sentence.passage_rank].chunk.text[sentence.start : sentence.end]
    check_citations(answer, passages)


def test_compose_numbers_passages_in_order_of_first_use(policy_assistant):
    passages = policy_assistant.retrieve("上林英才项目资助资金怎么分期拨付")
    assert len(passages) >= 2 and passages[0].chunk.id != passages[1].chunk.id
    first = sentence_with(passages, 1, "。")
    second = sentence_with(passages, 0, "20%、20%、30%")
    answer = compose("问题", passages, [first, second], TODAY)
    numbers = {c.chunk_id: c.n for c in answer.citations}
    assert numbers == {passages[1].chunk.id: 1, passages[0].chunk.id: 2}
    assert f"{first.text}[1]" in answer.text and f"{second.text}[2]" in answer.text
    assert answer.text.index("[1]") < answer.text.index("[2]")
    check_citations(answer, passages)


def test_the_answering_sentence_comes_first_and_its_source_is_named_where_quoted(policy_assistant):
    passages = seed_passages(policy_assistant, "上林英才项目资助资金怎么分期拨付")
    sentence = sentence_with(passages, 0, "20%、20%、30%")
    answer = compose("上林英才项目资助资金怎么分期拨付", passages, [sentence], TODAY)
    assert answer.text.startswith(sentence.text + "[1]")
    assert answer.text.startswith(f"{sentence.text}[1]（慈溪市科学技术局，2022年6月22日）")
    c = answer.citations[0]
    assert (c.issuer, c.date, c.source, c.is_excerpt) == ("慈溪市科学技术局", "2022-06-22", SEED, False)
    assert "20%、20%、30%" in c.quote


def test_relative_time_in_a_2022_reply_is_dated(policy_assistant):
    passages = seed_passages(policy_assistant, "今年人才发展专项资金预算安排了多少？")
    rank = next(i for i, p in enumerate(passages) if p.chunk.source == SEED and "今年" in p.chunk.text)
    sentence = sentence_with(passages, rank, "今年")
    answer = compose("今年人才发展专项资金预算安排了多少？", passages, [sentence], TODAY)
    assert "今年" in answer.text
    note = answer.text.split("\n", 1)[1]
    assert "2022年6月22日" in note and "今年" in note and "[1]" in note


def test_no_date_note_without_relative_time(policy_assistant):
    passages = seed_passages(policy_assistant, "上林英才项目资助资金怎么分期拨付")
    sentence = sentence_with(passages, 0, "20%、20%、30%")
    assert "今年" not in sentence.text
    answer = compose("上林英才项目资助资金怎么分期拨付", passages, [sentence], TODAY)
    assert "以该日期为准" not in answer.text
    assert "节选" not in answer.text


def test_citing_an_excerpt_says_so(policy_assistant):
    store = policy_assistant.store
    excerpts = [c for c in store.chunks() if c.meta.is_excerpt]
    assert excerpts, "the corpus marks some documents 节选"
    chunk = min(excerpts, key=lambda c: (c.source, c.index))
    passages = [Passage(chunk, score=0.5)]
    sentence = max(sentences_of(chunk, 0), key=lambda s: len(s.text))
    answer = compose("问题", passages, [sentence], TODAY)
    assert answer.citations[0].is_excerpt
    assert "节选" in answer.text
    assert "[1]为节选文本" in answer.text
    check_citations(answer, passages)


def test_a_past_deadline_is_marked_and_a_future_one_is_not(policy_assistant):
    passages = policy_assistant.retrieve("创新联合体补充申报什么时候截止？")
    rank = next(i for i, p in enumerate(passages) if "2025年5月8日" in p.chunk.text)
    sentence = sentence_with(passages, rank, "2025年5月8日")
    past = compose("问题", passages, [sentence], dt.date(2026, 11, 30))
    assert f"{sentence.text}（已截止）[1]" in past.text
    before = compose("问题", passages, [sentence], dt.date(2025, 4, 20))
    assert "已截止" not in before.text


def test_an_announcement_used_for_a_general_question_is_marked(policy_assistant):
    passages = policy_assistant.retrieve("研发机构认定奖励每家多少钱？")
    rank = next(i for i, p in enumerate(passages) if "公示" in p.chunk.meta.title)
    sentence = sentence_with(passages, rank, "3万元")
    general = compose("研发机构认定奖励每家多少钱？", passages, [sentence], TODAY)
    assert "一次性公示" in general.text
    asked = compose("第一批公示奖励多少？", passages, [sentence], TODAY, general=False)
    assert "一次性公示" not in asked.text


def test_a_which_clause_question_names_title_and_heading_path(policy_assistant):
    passages = policy_assistant.retrieve("2025年政策意见里数字经济制造业奖励是第几条？")
    rank = next(i for i, p in enumerate(passages) if "每增100万元最高奖励500元" in p.chunk.text)
    sentence = sentence_with(passages, rank, "每增100万元最高奖励500元")
    answer = compose("问题", passages, [sentence], TODAY, clause=True)
    chunk = passages[rank].chunk
    assert answer.text.startswith(f"见《{chunk.meta.title}》（慈政办发〔2025〕20号）“{chunk.section}”：")
    assert "1.加大数字经济制造业培育力度" in chunk.section


def test_a_two_part_question_gets_a_sentence_for_each_part(policy_assistant):
    answer = policy_assistant.ask("企业创新联合体补充申报找谁咨询，电话多少？")
    assert not answer.refused
    assert "魏佳锦" in answer.text and "89591370" in answer.text


def test_a_comparison_quotes_both_years(policy_assistant):
    answer = policy_assistant.ask("2024年和2025年数字经济制造业企业每增100万元营收分别奖励多少？")
    assert not answer.refused, answer.text
    assert "每增100万元奖励1000元" in answer.text and "每增100万元最高奖励500元" in answer.text
    assert {c.date[:4] for c in answer.citations} == {"2024", "2025"}


@pytest.mark.parametrize("question", [
    "桥头镇智能家电综合体依托单位的申报要求有哪些？",
    "我们想当桥头镇智能家电综合体的运营依托单位，需要满足哪些条件？",  # 条件 asked, 申报要求 written
])
def test_a_question_asking_for_several_things_gets_the_whole_list(policy_assistant, question):
    answer = policy_assistant.ask(question)
    assert not answer.refused, answer.text
    for item in ("1、在慈溪市内登记注册。", "两名专职管理人员", "完善的财务管理制度", "4、优先考虑行业协会"):
        assert item in answer.text, (item, answer.text)
    assert "主要职责" not in answer.text


def test_a_question_asking_for_one_thing_gets_one_item(policy_assistant):
    answer = policy_assistant.ask("桥头镇综合体依托单位至少要配备几名专职管理人员？")
    assert not answer.refused and "两名专职管理人员" in answer.text
    assert "1、在慈溪市内登记注册" not in answer.text, answer.text


def test_a_comparison_of_years_finds_each_in_the_report_reviewing_it(policy_assistant):
    """The 2022 report reviews 2021 and the 2023 report reviews 2022: the
    2022 report's review is no answer for 2022."""
    answer = policy_assistant.ask("慈溪2021年和2022年地区生产总值各多少？")
    assert not answer.refused, answer.text
    assert "2379.2亿元" in answer.text and "2521.6亿元" in answer.text
    assert {c.date[:4] for c in answer.citations} == {"2022", "2023"}


def test_a_comparison_of_two_things_quotes_a_sentence_about_each(policy_assistant):
    """The article on 联合体 ranks low for a question naming both: it is
    searched for on its own."""
    answer = policy_assistant.ask("产业创新服务综合体和企业创新联合体分别由谁牵头？")
    assert not answer.refused, answer.text
    assert "行业协会或平台型企业牵头" in answer.text and "链主型企业牵头" in answer.text


def test_a_comparison_of_two_versions_quotes_the_same_clause_from_each(policy_assistant):
    answer = policy_assistant.ask("2018年版和2021年版慈溪技改奖励，一般类项目的比例和上限有变化吗？")
    assert not answer.refused, answer.text
    assert {c.date[:4] for c in answer.citations} == {"2018", "2021"}
    assert all("一般类(技改)项目按设备投入额的4%" in c.quote for c in answer.citations)


@pytest.mark.parametrize("question, opening", [
    ("慈科〔2023〕3号补充规定第三条原文怎么写的？", "三、对农村集体经济组织牵头承担的项目"),
    ("慈溪产业创新平台管理暂行办法第一条依据了哪些上级文件？", "第一条  为统筹推进"),
])
def test_an_article_named_by_number_is_quoted_first(policy_assistant, question, opening):
    answer = policy_assistant.ask(question)
    assert not answer.refused and answer.citations[0].quote.startswith(opening), answer.text


@pytest.mark.parametrize("text, expected", [
    ("对资助总额在50万元(含)以上的项目", {"50万": {"above"}}),
    ("对资助总额在50万元以下的项目", {"50万": {"below"}}),
    ("资助50万以上和50万元以下的项目", {"50万": {"above", "below"}}),
    ("营收增速达到15%及以上的企业", {"15%": {"above"}}),
    ("投资300万元以内", {"300万": {"below"}}),
    ("2018年以来", {}),  # a year is no bound
])
def test_bounds_name_the_figure_and_its_side(text, expected):
    assert bounds(text) == expected


@pytest.mark.parametrize("question, opening", [
    ("慈溪市科技计划项目，资助总额50万以上的是怎么组织申报的？", "一、对资助总额在50万元(含)以上"),
    ("慈溪科技计划项目，资助50万元以下的项目怎么申报？", "二、对资助总额在50万元以下"),
])
def test_the_other_side_of_a_bound_is_not_quoted(policy_assistant, question, opening):
    answer = policy_assistant.ask(question)
    assert not answer.refused and [c.quote[:len(opening)] for c in answer.citations] == [opening], answer.text


def test_both_sides_of_a_bound_asked_are_both_quoted(policy_assistant):
    answer = policy_assistant.ask("慈溪科技计划项目，资助50万元(含)以上和50万元以下的项目申报方式有什么区别？")
    quotes = " ".join(c.quote for c in answer.citations)
    assert "50万元(含)以上" in quotes and "50万元以下" in quotes


# --------------------------------------------------------------------- refusal


def test_refusal_names_the_contact():
    answer = refusal("慈溪市个人所得税起征点是多少？", "慈溪市科技局咨询电话")
    assert answer.refused is True
    assert answer.citations == []
    assert "没有找到" in answer.text
    assert "慈溪市科技局咨询电话" in answer.text
    assert answer.question == "慈溪市个人所得税起征点是多少？"
    assert re.search(r"[\u4e00-\u9fff]", answer.text)


def test_refusal_without_contact_still_refuses():
    answer = refusal("问题", "")
    assert answer.refused and "没有找到" in answer.text and "建议咨询" not in answer.text
