"""Sentences of passages: verbatim spans, brackets kept with their
sentence, title lines and cut-off sentences marked, and their meaning
scored against the question with the real model and cache."""
from __future__ import annotations

import numpy as np

from assistant.config import Settings
from assistant.documents import Chunk, DocMeta
from assistant.embedding_cache import EmbeddingCache, cache_key
from assistant.embeddings import get_embedder
from assistant.sentences import SentenceVectors, sentence_texts, sentences_of, split_sentences


def chunk(text: str, *, title: str = "关于印发政策意见的通知", excerpt: bool = False, last: bool = False) -> Chunk:
    meta = DocMeta(title=title, issuer="慈溪市人民政府办公室", date="2025-09-16", completeness="节选" if excerpt else "")
    return Chunk("c-0001", "a.txt", 0, text, 0, len(text), "一、总则", meta, last=last)


def test_spans_are_verbatim_cover_the_text_and_do_not_overlap():
    text = "一、总体要求。对于入选“上林英才”计划的人才项目，首批30%的启动资金可一次性拨付；后续资金分三期拨付！\n\n是否需要申报？请联系市科技局。"
    spans = split_sentences(text)
    pieces = [text[s:e] for s, e in spans]
    assert pieces == ["一、总体要求。", "对于入选“上林英才”计划的人才项目，首批30%的启动资金可一次性拨付；", "后续资金分三期拨付！",
                      "是否需要申报？", "请联系市科技局。"]
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))


def test_a_bracket_after_a_sentence_stays_with_it():
    text = "总额不超过30万元。(责任单位:市经信局)\n2.加大数字经济服务业培育力度。"
    pieces = [text[s:e] for s, e in split_sentences(text)]
    assert pieces == ["总额不超过30万元。(责任单位:市经信局)", "2.加大数字经济服务业培育力度。"]


def test_title_lines_and_boilerplate_are_not_usable():
    c = chunk("关于印发政策意见的通知\n正文第一句有内容。\n附件:申报表.doc\n2025年9月16日")
    found = {s.text: s.usable for s in sentences_of(c, 0)}
    assert found == {"关于印发政策意见的通知": False, "正文第一句有内容。": True, "附件:申报表.doc": False,
                     "2025年9月16日": False}


def test_the_last_sentence_of_an_excerpt_cut_mid_clause_is_truncated():
    text = "第一句完整。对入选的高层次创新创业人才和团队,给予"
    cut = sentences_of(chunk(text, excerpt=True, last=True), 0)
    assert [(s.text, s.truncated, s.usable) for s in cut] == [
        ("第一句完整。", False, True), ("对入选的高层次创新创业人才和团队,给予", True, False)]
    whole = sentences_of(chunk(text, excerpt=False, last=True), 0)
    assert not any(s.truncated for s in whole)  # a complete document simply ends there


def test_sentences_are_scored_against_the_question_by_meaning(tmp_path):
    embedder = get_embedder(Settings())
    c = chunk("首批30%的启动资金可一次性拨付。掌起镇洋山片粮食功能区开展基础设施维护。")
    sentences = sentences_of(c, 0)
    cache = EmbeddingCache(tmp_path / "emb.sqlite")
    SentenceVectors(embedder, cache).score(sentences, embedder.encode_queries(["启动资金怎么拨付？"])[0])
    money, farm = sentences
    assert money.similarity > farm.similarity + 0.05
    assert len(cache.get_many([cache_key(embedder.cache_tag, s.text) for s in sentences])) == 2  # cached
    assert np.isclose(money.similarity, float(embedder.encode_documents([money.text])[0]
                                             @ embedder.encode_queries(["启动资金怎么拨付？"])[0]), atol=1e-4)


def test_sentence_texts_are_what_ingestion_embeds():
    c = chunk("第一句。第二句也有内容。")
    assert sentence_texts([c]) == ["第一句。", "第二句也有内容。"]


def test_a_file_label_around_the_title_is_no_answer():
    text = "006-2021年慈溪市政府工作报告\n一般公共预算收入全市200.5亿元。"
    chunk = Chunk("c-0001", "16.txt", 0, text, 0, len(text), "", DocMeta(title="2021年慈溪市政府工作报告"))
    usable = {s.text: s.usable for s in sentences_of(chunk, 0)}
    assert usable == {"006-2021年慈溪市政府工作报告": False, "一般公共预算收入全市200.5亿元。": True}


def test_a_contact_field_in_a_run_on_line_is_a_sentence_of_its_own():
    text = "附件:1.方案征求意见稿.docx 2.起草说明.doc 联系人:掌起镇农业农村办陆方瑜,联系电话:0574-58587336"
    spans = [text[a:b] for a, b in split_sentences(text)]
    assert spans == ["附件:1.方案征求意见稿.docx 2.起草说明.doc", "联系人:掌起镇农业农村办陆方瑜,联系电话:0574-58587336"]
