"""Verified answers served first by the real assistant (real index, real
model): a paraphrase gets the verified answer with citations quoting the
current chunks and the retrieved passages alongside; a look-alike does
not; a changed document withdraws the answer before it is served again."""
import shutil

import pytest
from conftest import CORPUS, SEED, extractive_assistant

from assistant.config import Settings
from assistant.ingestion import ingest
from assistant.retrieval import Filters
from assistant.verification import add_answer, open_book
from assistant.worklist import REVIEW

DOC = "zz_蓝鲸测试补贴.txt"
FILLER = "本条款所称测试企业，是指在本市依法登记、从事测试服务的企业，其生产经营正常，信用记录良好，近三年未发生重大安全事故。"
TEXT = f"""---
title: 测试文件：蓝鲸测试补贴说明（测试用）
issuer: 测试单位
date: 2026-01-05
doc_type: 通知公告
---
一、补贴标准
{FILLER * 4}蓝鲸测试补贴每家企业最高给予3万元。
二、申请方式
申请材料通过测试平台在线提交，截止日期为2026年3月1日。{FILLER * 4}
"""
QUESTION = "蓝鲸测试补贴每家企业最高给多少？"
ANSWER = "蓝鲸测试补贴每家企业最高3万元，材料在测试平台在线提交。"
ACROSS = "蓝鲸测试补贴每家企业最高给予3万元。\n二、申请方式\n申请材料通过测试平台在线提交"


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    return open_office(tmp_path_factory.mktemp("served"))


def open_office(root):
    """A corpus of the seed reply and the test document, indexed, with one
    verified answer that quotes the test document across two chunks."""
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / SEED, corpus / SEED)
    (corpus / DOC).write_text(TEXT, "utf-8")
    settings = Settings().with_(corpus_dir=corpus, index_dir=root / "index")
    ingest(corpus, settings=settings)
    item = add_answer(settings, open_book(settings), QUESTION, ANSWER, [(DOC, ACROSS)], "王芳", ("蓝鲸补贴上限是多少？",))
    return settings, extractive_assistant(settings), item


def chunk_texts(assistant) -> dict[str, str]:
    return {c.id: c.text for c in assistant.store.chunks()}


def test_a_paraphrase_gets_the_verified_answer_with_its_mark(office):
    settings, assistant, item = office
    answer = assistant.ask("请问蓝鲸测试补贴一家企业最多能给多少钱？")
    assert answer.mode == "verified" and not answer.refused
    assert answer.text == ANSWER
    assert answer.verified == {"id": item.id, "by": "王芳", "at": item.verified_at, "origin": "agent",
                               "no_basis": False, "contact": ""}
    assert answer.to_json()["verified"]["id"] == item.id


def test_its_citations_quote_the_current_chunks_verbatim_even_across_two(office):
    _, assistant, _ = office
    answer = assistant.ask("蓝鲸补贴上限是多少？")
    texts = chunk_texts(assistant)
    assert len(answer.citations) == 2  # the quote runs from one chunk into the next
    assert [c.n for c in answer.citations] == [1, 2]
    for c in answer.citations:
        assert c.quote and c.quote in texts[c.chunk_id] and c.source == DOC
    joined = "".join(c.quote for c in answer.citations)
    assert "".join(joined.split()) == "".join(ACROSS.split())
    assert answer.citations[0].quote_start < answer.citations[1].quote_start


def test_the_retrieved_passages_come_along(office):
    _, assistant, _ = office
    answer = assistant.ask("蓝鲸补贴上限是多少？")
    texts = chunk_texts(assistant)
    assert answer.related and all(p.quote == texts[p.chunk_id] for p in answer.related)
    assert answer.related[0].source == DOC


@pytest.mark.parametrize(
    "question",
    ["蓝鲸测试补贴怎么申请？", "2025年蓝鲸测试补贴每家企业最高给多少？", "余姚市蓝鲸测试补贴每家企业最高给多少？"],
)
def test_a_look_alike_question_is_not_served_it(office, question):
    _, assistant, _ = office
    assert assistant.ask(question).verified is None


def test_filters_that_exclude_its_sources_keep_it_back(office):
    _, assistant, _ = office
    assert assistant.ask(QUESTION, filters=Filters(year_from=2020, year_to=2025)).verified is None
    assert assistant.ask(QUESTION, filters=Filters(year_from=2026)).verified is not None


def test_stream_ends_with_the_verified_answer(office):
    _, assistant, item = office
    parts = list(assistant.stream(QUESTION))
    assert len(parts) == 1 and parts[0].verified["id"] == item.id


def test_an_official_reply_answers_questions_about_itself(office):
    _, assistant, _ = office
    answer = assistant.ask("第190号建议是怎么答复的？")
    assert answer.verified["origin"] == "document" and answer.verified["by"] == "慈溪市科学技术局"
    assert "刘红星代表" in answer.text and answer.citations[0].source == SEED
    whole = assistant.ask("关于加大民营企业科技创新扶持力度的建议")
    assert "答复分为以下几个方面" in whole.text and len(whole.citations) == 5


def test_a_changed_document_withdraws_the_answer_before_it_is_served_again(tmp_path):
    settings, assistant, item = open_office(tmp_path)  # its own: the change would withdraw the shared answer
    assert assistant.ask(QUESTION).verified is not None
    (settings.corpus_dir / DOC).write_text(TEXT.replace("3万元", "5万元"), "utf-8")
    ingest(settings.corpus_dir, settings=settings)
    answer = assistant.ask(QUESTION)  # the very next question, no other step in between
    assert answer.verified is None
    back = open_book(settings).get(item.id)
    assert back.status == REVIEW and "所引原文已不在新版本中" in back.review_reason
