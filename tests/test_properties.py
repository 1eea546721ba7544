"""Property tests (hypothesis) of what must hold for every input, not just
the examples the other files pick: chunks are verbatim spans that cover the
document in order; escaped text never becomes markup; quotes shown to
users are the chunk text itself, never its normalised form; the number
guard accepts every figure copied from a passage and rejects a changed
digit. Fast: no model, no index (real corpus text where it helps)."""
from __future__ import annotations

import datetime as dt
import html
import re

from conftest import CORPUS
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from assistant.answer import compose
from assistant.chunking import chunk_document
from assistant.documents import Answer, Chunk, Citation, DocMeta, Document
from assistant.llm import guard_answer
from assistant.metadata import build_meta, split_front_matter
from assistant.normalize import normalize
from assistant.numbers import find_mentions
from assistant.render import answer_message, document_page, esc, sources_html
from assistant.retrieval import Passage
from assistant.sentences import sentences_of

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def corpus_documents() -> list[Document]:
    docs = []
    for path in sorted(CORPUS.iterdir()):
        front, body = split_front_matter(path.read_text("utf-8"))
        docs.append(Document(path.name, "x", body, build_meta(front, body)))
    return docs


DOCS = corpus_documents()
SENTENCES_WITH_FIGURES = sorted({
    s.text for d in DOCS for c in chunk_document(d) for s in sentences_of(c, 0)
    if re.search(r"\d", s.text) and 8 <= len(s.text) <= 200
})

# --------------------------------------------------------------- chunks

HEADINGS = ["一、总体要求", "二、重点任务", "（一）目标任务", "（二）工作措施", "第一章 总则", "第三条 申报条件", "1. 申报材料",
            "2、 拨付方式", "一是加强引导；"]
SENTENCES = ["企业研发投入按规定给予奖励。", "对入选“上林英才”计划的人才项目，首批30%的启动资金一次性拨付。",
             "坚持把发展作为第一要务、创新作为第一动力、人才作为第一", "资源，牢固树立创新强省工作导向，加快建设创新型城市。",
             "申报截止时间为2025年5月8日", "慈溪市科学技术局", "2022年6月22日", "短句", "补助资金按20%、20%、30%分三期拨付；"
             "后续资金根据考核结果拨付。" * 3]
LINES = st.lists(st.one_of(st.sampled_from(HEADINGS), st.sampled_from(SENTENCES),
                           st.text(alphabet="慈溪市科技创新政策资金奖励，。；：、0123456789 ", min_size=1, max_size=120)),
                 min_size=1, max_size=40)


@FAST
@given(LINES, st.sampled_from(["\n", "\n\n", "\n  ", " \n"]), st.integers(120, 600), st.integers(20, 200))
def test_chunks_are_verbatim_spans_covering_the_document_in_order(lines, sep, max_chars, min_chars):
    text = sep.join(lines)
    doc = Document("t.txt", "x", text, DocMeta())
    chunks = chunk_document(doc, max_chars=max_chars, min_chars=min(min_chars, max_chars))
    for i, chunk in enumerate(chunks):
        assert chunk.index == i and text[chunk.start:chunk.end] == chunk.text
        assert chunk.text == chunk.text.strip() and chunk.text
    # In order, and never overlapping (chunking cuts without overlap).
    for before, after in zip(chunks, chunks[1:]):
        assert before.end <= after.start
    # Covering: every visible character of the document is in some chunk.
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())
    assert [c.last for c in chunks] == [False] * (len(chunks) - 1) + [True] * bool(chunks)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(DOCS), st.integers(150, 600))
def test_corpus_chunks_cover_each_document_but_its_page_furniture(doc, max_chars):
    chunks = chunk_document(doc, max_chars=max_chars, min_chars=max_chars // 4)
    assert all(doc.text[c.start:c.end] == c.text for c in chunks)
    assert all(a.end <= b.start for a, b in zip(chunks, chunks[1:]))
    outside = "".join(doc.text[a.end:b.start] for a, b in zip(chunks, chunks[1:]))
    # Between chunks there is only whitespace or web-page furniture (索引号 … lines).
    assert len(re.sub(r"\s", "", outside)) <= 400


# --------------------------------------------------------------- escaping

MARKUP = st.lists(st.sampled_from(list("<>&\"'/=scriptimgonerror 慈溪补助\n\t")
                                  + ["<script>", "</div>", "<img src=x>", "&lt;", "<!--", "]]>", "<mark>"]),
                  max_size=30).map("".join)
OUR_TAGS = re.compile(r"</?(div|b|span|blockquote|a|mark|br|p|details|summary|h1|h2|main|header|section|small|em|strong|"
                      r"pre|ul|li|style|meta|title|html|head|body|!doctype)\b[^<>]*>", re.IGNORECASE)


@FAST
@given(st.text(max_size=80) | MARKUP)
def test_escaped_text_never_holds_a_tag_opening_and_reads_back_the_same(text):
    escaped = esc(text)
    assert "<" not in escaped and ">" not in escaped and '"' not in escaped
    assert html.unescape(escaped) == text


@FAST
@given(MARKUP, MARKUP, MARKUP, MARKUP, MARKUP)
def test_no_document_text_becomes_markup_in_the_sources_or_the_answer(title, issuer, section, quote, question):
    quote = quote or "x"
    citation = Citation(n=1, chunk_id="c", source="a.txt", title=title, issuer=issuer, date="2022-06-22",
                        section=section, quote=quote, score=0.5, quote_start=3)
    answer = Answer(question=question, text=f"{quote}[1]", citations=[citation])
    for page in (sources_html(answer), answer_message(answer)):
        assert "<" not in OUR_TAGS.sub("", page), page


@FAST
@given(MARKUP, st.integers(0, 30), st.integers(0, 30))
def test_the_whole_document_page_never_renders_document_text_as_markup(body, start, length):
    meta = DocMeta(title="标题<b>" + body[:10], issuer="单位&" + body[-10:], source_url="https://a.gov.cn/?q=" + body[:5])
    page = document_page(meta, "a<b>.txt", body, start, start + length)
    assert "<" not in OUR_TAGS.sub("", page)


# --------------------------------------------------------------- normalisation and quotes

WIDE = "２０２５年補助１０萬元，百分之十五；第二批於二〇二二年六月二十二日發布。"


def quoted_chunks() -> list[Chunk]:
    """Real chunks, and one whose text normalisation would change (full-width
    digits, traditional characters, Chinese numerals)."""
    chunks = [c for d in DOCS[:8] for c in chunk_document(d)]
    meta = DocMeta(title="測試文件", issuer="慈溪市科学技术局", date="2025-04-09")
    chunks.append(Chunk("w-0", "w.txt", 0, WIDE * 2, 100, 100 + 2 * len(WIDE), "一、總則", meta))
    return chunks


CHUNKS = quoted_chunks()


@settings(max_examples=120, deadline=None)
@given(st.lists(st.sampled_from(range(len(CHUNKS))), min_size=1, max_size=3, unique=True), st.data())
def test_quotes_are_verbatim_chunk_text_never_normalised(picked, data):
    passages = [Passage(CHUNKS[i]) for i in picked]
    pool = [s for rank, p in enumerate(passages) for s in sentences_of(p.chunk, rank)]
    assume(pool)
    chosen = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4, unique_by=lambda s: (s.passage_rank, s.start)))
    answer = compose("问题", passages, chosen, dt.date(2026, 1, 1))
    by_source = {c.chunk_id: c for c in answer.citations}
    for sentence in chosen:
        chunk = passages[sentence.passage_rank].chunk
        citation = by_source[chunk.id]
        assert sentence.text in answer.text  # the answer quotes the sentence as written
        assert sentence.text in citation.quote
        assert citation.quote == chunk.text[citation.quote_start - chunk.start:][:len(citation.quote)]
    for citation in answer.citations:
        chunk = next(c for c in CHUNKS if c.id == citation.chunk_id)
        assert citation.quote in chunk.text
    if any(CHUNKS[i].id == "w-0" for i in picked) and any(passages[s.passage_rank].chunk.id == "w-0" for s in chosen):
        # normalisation would have changed these sentences; the user sees them as written
        wide = [s for s in chosen if passages[s.passage_rank].chunk.id == "w-0"]
        assert all(normalize(s.text) != s.text and normalize(s.text) not in answer.text for s in wide)


# --------------------------------------------------------------- the number guard


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SENTENCES_WITH_FIGURES), st.data())
def test_the_guard_accepts_every_figure_copied_from_a_passage(sentence, data):
    mentions = find_mentions(sentence)
    assume(mentions)
    picked = data.draw(st.lists(st.sampled_from(mentions), min_size=1, max_size=4))
    answer = "，".join(f"其中{m.text}" for m in picked) + "[1]。"
    ok, offending = guard_answer(answer, {1: sentence})
    assert ok, (answer, offending)
    assert guard_answer(sentence + "[1]", {1: sentence}) == (True, [])


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SENTENCES_WITH_FIGURES), st.data())
def test_the_guard_rejects_a_changed_digit(sentence, data):
    """One digit of one figure of the passage changed (not a heading number,
    which is no figure): unless the passage states the new figure elsewhere,
    the guard refuses the answer."""
    figures = [m for m in find_mentions(sentence) if any(ch.isdigit() for ch in m.text) and m.text in sentence]
    assume(figures)
    mention = data.draw(st.sampled_from(figures))
    where = sentence.index(mention.text)
    at = where + data.draw(st.sampled_from([i for i, ch in enumerate(mention.text) if ch.isdigit()]))
    new = data.draw(st.sampled_from([d for d in "123456789" if d != sentence[at]]))
    changed = sentence[:at] + new + sentence[at + 1:]
    before = find_mentions(sentence)
    now = find_mentions(changed[where:where + len(mention.text) + 1])
    # Still one figure of the same sort (a date changed to 2021-07-40 is no
    # date any more, but three bare numbers the passage may well hold), and
    # not one the passage states elsewhere (3+3 changed to 6+3 beside 6%).
    assume(len(now) == 1 and now[0].key not in {m.key for m in before})
    assume(now[0].raw is None or now[0].raw not in {m.raw for m in before} | {m.value for m in before})
    ok, offending = guard_answer(changed + "[1]", {1: sentence})
    assert not ok, (sentence, changed)
