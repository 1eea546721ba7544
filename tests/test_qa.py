"""The assistant end to end on a real index: extractive answers with
citations, refusals, odd input, and LLM mode against a real (scripted)
OpenAI-compatible HTTP server, including the number guard and fallbacks."""
import html
import re

import pytest
from conftest import SEED
from openai_server import ScriptedOpenAIServer

from assistant.llm import LLMClient, LLMConfig
from assistant.qa import Assistant

TRANCHES_Q = "上林英才项目资金分几期拨付？"
TRANCHES = "20%、20%、30%"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def stored_text(assistant, chunk_id: str) -> str:
    got = assistant.store.collection.get(ids=[chunk_id], include=["documents"])
    assert got["ids"] == [chunk_id]
    return got["documents"][0]


def check_quotes(assistant, answer):
    assert answer.citations
    for c in answer.citations:
        assert c.quote, c
        assert c.quote in stored_text(assistant, c.chunk_id)
        assert f"[{c.n}]" in answer.text


# ------------------------------------------------------------------ extractive


def test_who_answered_proposal_190_and_when(policy_assistant):
    answer = policy_assistant.ask("190号建议是哪个部门答复的，什么时候？")
    assert not answer.refused, answer.text
    assert "慈溪市科学技术局" in answer.text
    assert "2022年6月22日" in answer.text or "2022-06-22" in answer.text
    assert answer.citations[0].source == SEED
    assert len(answer.text) <= 400
    assert answer.mode == "extractive"
    check_quotes(policy_assistant, answer)


def test_tranches_of_the_talent_programme(policy_assistant):
    answer = policy_assistant.ask(TRANCHES_Q)
    assert not answer.refused, answer.text
    assert TRANCHES in answer.text
    assert "[1]" in answer.text
    assert answer.citations[0].n == 1 and answer.citations[0].source == SEED
    assert any(TRANCHES in c.quote for c in answer.citations)
    assert len(answer.text) <= 400
    assert answer.latency_ms > 0
    check_quotes(policy_assistant, answer)


@pytest.mark.parametrize(
    "question",
    [
        TRANCHES_Q,
        "2022年慈溪人才发展专项资金预算安排了多少？",
        "创新联合体补充申报什么时候截止？",
        "“甬易办”2021年资助了多少类项目？",
        "那后续资金呢？",
    ],
)
def test_every_citation_quote_is_verbatim_in_its_stored_chunk(policy_assistant, question):
    history = ["上林英才的启动资金怎么拨付？"] if question.startswith("那") else []
    answer = policy_assistant.ask(question, history=history)
    assert not answer.refused, answer.text
    check_quotes(policy_assistant, answer)


def test_off_topic_question_is_refused(policy_assistant):
    answer = policy_assistant.ask("慈溪市个人所得税起征点是多少？")
    assert answer.refused
    assert "没有找到" in answer.text
    assert policy_assistant.settings.refusal_contact in answer.text
    assert answer.citations == []


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_empty_question_asks_for_one(policy_assistant, question):
    answer = policy_assistant.ask(question)
    assert answer.refused
    assert CHINESE.search(answer.text)
    assert answer.citations == []


def test_a_10000_character_question_gets_a_clear_message(policy_assistant):
    question = (TRANCHES_Q * 800)[:10_000]
    answer = policy_assistant.ask(question)
    assert answer.refused and answer.citations == []
    assert "问题过长（10000 字）" in answer.text and "500 字以内" in answer.text


# ------------------------------------------------------------------------- LLM


def llm_assistant(settings, base_url: str, model: str = "scripted") -> Assistant:
    return Assistant(settings, llm=LLMClient(LLMConfig(base_url=base_url, model=model, timeout=20)))


@pytest.fixture(scope="module")
def tranche_passages(policy_assistant):
    passages = policy_assistant.retrieve(TRANCHES_Q)
    assert passages[0].chunk.source == SEED and TRANCHES in passages[0].chunk.text
    assert "首批30%的启动资金" in passages[0].chunk.text
    return passages


GOOD_REPLY = "对入选“上林英才”计划的人才项目，首批30%的启动资金可一次性拨付，后续资金按指标完成情况按20%、20%、30%分三期拨付[1]。"
WRONG_REPLY = "上林英才项目首批启动资金为50%[1]，后续资金分三期拨付[1]。"


def test_llm_answer_with_correct_figures_is_used(index_settings, policy_assistant, tranche_passages):
    with ScriptedOpenAIServer([GOOD_REPLY]) as server:
        answer = llm_assistant(index_settings, server.base_url).ask(TRANCHES_Q)
    assert len(server.requests) == 1
    assert answer.mode == "llm", answer.notice
    assert answer.text == GOOD_REPLY
    assert not answer.refused and answer.notice == ""
    assert [c.n for c in answer.citations] == [1]
    assert answer.citations[0].chunk_id == tranche_passages[0].chunk.id
    check_quotes(policy_assistant, answer)


def test_llm_answer_with_a_wrong_figure_falls_back_to_extractive(index_settings, policy_assistant):
    extractive = policy_assistant.ask(TRANCHES_Q)
    with ScriptedOpenAIServer([WRONG_REPLY]) as server:
        answer = llm_assistant(index_settings, server.base_url).ask(TRANCHES_Q)
    assert len(server.requests) == 1
    assert answer.mode == "extractive"
    assert "50%" in answer.notice
    assert answer.text == extractive.text
    assert "50%" not in answer.text
    assert [c.chunk_id for c in answer.citations] == [c.chunk_id for c in extractive.citations]


def test_passages_go_in_a_user_message_never_the_system_message(index_settings, tranche_passages):
    with ScriptedOpenAIServer([GOOD_REPLY]) as server:
        llm_assistant(index_settings, server.base_url).ask(TRANCHES_Q)
    (body,) = server.requests
    assert body["model"] == "scripted"
    messages = body["messages"]
    system = [m for m in messages if m["role"] == "system"]
    others = [m for m in messages if m["role"] != "system"]
    assert len(system) == 1 and others
    system_text = str(system[0]["content"])
    other_text = "\n".join(str(m["content"]) for m in others)
    assert TRANCHES_Q in other_text
    for passage in tranche_passages:
        chunk_text = passage.chunk.text
        assert html.escape(chunk_text, quote=False) in other_text
        # Not even a 12-character stretch of any passage reaches the system prompt.
        windows = {chunk_text[i : i + 12] for i in range(0, max(1, len(chunk_text) - 11))}
        leaked = [w for w in windows if w.strip() and w in system_text]
        assert not leaked, leaked[:3]
    assert "上林英才" not in system_text and TRANCHES not in system_text


def test_stream_yields_deltas_then_the_checked_answer(index_settings, policy_assistant):
    with ScriptedOpenAIServer([GOOD_REPLY], chunk_chars=6) as server:
        items = list(llm_assistant(index_settings, server.base_url).stream(TRANCHES_Q))
    assert server.requests[0].get("stream") is True
    *deltas, answer = items
    assert len(deltas) > 3 and all(isinstance(d, str) for d in deltas)
    assert "".join(deltas) == GOOD_REPLY == answer.text
    assert answer.mode == "llm" and answer.citations and answer.latency_ms > 0


def test_streamed_answer_with_a_wrong_figure_ends_as_the_extractive_one(index_settings, policy_assistant):
    extractive = policy_assistant.ask(TRANCHES_Q)
    with ScriptedOpenAIServer([WRONG_REPLY]) as server:
        *deltas, answer = llm_assistant(index_settings, server.base_url).stream(TRANCHES_Q)
    assert "".join(deltas) == WRONG_REPLY  # what was shown while streaming…
    assert answer.text == extractive.text and "50%" in answer.notice  # …is replaced at the end


def test_warm_up_builds_the_keyword_index_before_any_question(index_settings):
    fresh = Assistant(index_settings, llm=None)
    assert not fresh.keywords.chunks
    fresh.warm_up()
    assert len(fresh.keywords.chunks) == fresh.store.count() > 0


def test_stream_without_llm_yields_only_the_answer(policy_assistant):
    (answer,) = policy_assistant.stream(TRANCHES_Q)
    assert answer.text == policy_assistant.ask(TRANCHES_Q).text


def test_unreachable_llm_falls_back_to_extractive(index_settings, policy_assistant):
    extractive = policy_assistant.ask(TRANCHES_Q)
    answer = llm_assistant(index_settings, "http://127.0.0.1:9/v1", model="x").ask(TRANCHES_Q)
    assert answer.mode == "extractive"
    assert "大模型" in answer.notice
    assert answer.text == extractive.text
    assert not answer.refused and answer.citations


def test_refusal_does_not_call_the_llm(index_settings):
    with ScriptedOpenAIServer(["个人所得税起征点为5000元[1]。"]) as server:
        answer = llm_assistant(index_settings, server.base_url).ask("慈溪市个人所得税起征点是多少？")
    assert answer.refused and "没有找到" in answer.text
    assert server.requests == []


def test_llm_answer_without_citations_falls_back_to_extractive(index_settings, policy_assistant):
    extractive = policy_assistant.ask(TRANCHES_Q)
    with ScriptedOpenAIServer(["上林英才项目后续资金分三期拨付。"]) as server:
        answer = llm_assistant(index_settings, server.base_url).ask(TRANCHES_Q)
    assert answer.mode == "extractive" and "出处" in answer.notice
    assert answer.text == extractive.text and answer.citations


def test_llm_saying_the_documents_do_not_cover_it_is_a_refusal(index_settings):
    with ScriptedOpenAIServer(["文件中没有相关内容"]) as server:
        answer = llm_assistant(index_settings, server.base_url).ask(TRANCHES_Q)
    assert answer.refused and "没有找到" in answer.text and not answer.citations


def test_answer_cut_off_by_an_excerpt_is_refused(policy_assistant):
    """The 甬江人才工程 sentence stops at “给予” where the excerpt ends: quoting
    another sentence's sum instead would mislead."""
    answer = policy_assistant.ask("甬江人才工程入选的创业团队能拿多少资助？")
    assert answer.refused and "1亿元" not in answer.text


def test_who_question_quotes_the_person(policy_assistant):
    answer = policy_assistant.ask("企业创新联合体补充申报找谁咨询，电话多少？")
    assert not answer.refused
    assert "魏佳锦" in answer.text and "89591370" in answer.text


def test_identity_question_leads_with_the_title(policy_assistant):
    answer = policy_assistant.ask("慈政办发〔2024〕57号是个什么文件？")
    assert "慈溪市产业创新平台管理暂行办法" in answer.text
