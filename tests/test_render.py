"""HTML rendering of answers, sources and the whole-document page: document
text never becomes markup, links point at the quoted offsets, and the tags
(节选, old document) appear exactly when they should. Uses a real answer
from the real assistant where offsets matter."""
import datetime as dt
import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import CORPUS, SEED

from assistant.corpus import read_document
from assistant.documents import Answer, Citation, DocMeta
from assistant.keyword import learn_names
from assistant.render import (
    SOURCE_PATH,
    answer_message,
    document_page,
    esc,
    highlight,
    is_old,
    plain_answer,
    related_message,
    source_link,
    sources_html,
    verified_mark,
)

SCRIPT = "<script>alert('x')</script>"
IMG = '<img src=x onerror="alert(1)">'
AMP = "研发费用 & 补助"
TRANCHES_Q = "上林英才的项目资助资金怎么分批拨付？"
TODAY = dt.date.today()


def citation(n: int = 1, **fields) -> Citation:
    base = dict(
        n=n,
        chunk_id=f"doc-{n}",
        source="关于 创新券 的通知.txt",
        title="慈溪市创新券管理办法",
        issuer="慈溪市科学技术局",
        date="2025-04-09",
        section="一、 申领条件",
        quote="每家企业每年最多申领创新券5万元。",
        score=0.5,
        quote_start=120,
    )
    base.update(fields)
    return Citation(**base)


def head(block: str) -> str:
    """The header line of one source block (before its quote)."""
    return block.split('<blockquote')[0]


def link_params(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    assert parts.path == SOURCE_PATH
    assert parts.fragment == "hl"
    params = parse_qs(parts.query, strict_parsing=True)
    assert all(len(v) == 1 for v in params.values()), params
    return {k: v[0] for k, v in params.items()}


def blocks(page: str) -> list[str]:
    """The per-citation blocks of sources_html (each starts with its own div)."""
    return page.split('<div class="src" ')[1:]


@pytest.fixture(scope="module")
def real_answer(policy_assistant) -> Answer:
    answer = policy_assistant.ask(TRANCHES_Q)
    assert not answer.refused, answer.text
    assert answer.citations and answer.citations[0].source == SEED
    return answer


@pytest.fixture(scope="module")
def seed_document():
    return read_document(CORPUS / SEED, SEED)


# ------------------------------------------------------------------ escaping


@pytest.mark.parametrize("raw", [SCRIPT, IMG, AMP, "a<b>c", '"quoted" & \'single\''])
def test_esc_round_trips_and_leaves_no_markup(raw):
    out = esc(raw)
    assert "<" not in out and ">" not in out
    assert '"' not in out and "'" not in out
    assert html.unescape(out) == raw


def test_esc_of_none_or_empty_is_empty():
    assert esc("") == ""
    assert esc(None) == ""


def test_answer_message_escapes_document_text_and_notice():
    answer = Answer(question="q", text=f"原文：{SCRIPT}{IMG}{AMP}[1]", notice="大模型回答中的<b>50%</b>无法核对")
    out = answer_message(answer)
    assert "<script" not in out and "<img" not in out and "<b>" not in out
    assert "&lt;script&gt;" in out and "&lt;img src=x onerror=" in out
    assert "研发费用 &amp; 补助" in out
    assert out.endswith("\n\n⚠️ 大模型回答中的&lt;b&gt;50%&lt;/b&gt;无法核对")
    assert html.unescape(out.split("\n\n⚠️ ")[0]) == answer.text


def test_answer_message_without_notice_has_no_warning():
    out = answer_message(Answer(question="q", text="首批30%的启动资金可一次性拨付[1]。"))
    assert out == "首批30%的启动资金可一次性拨付[1]。"
    assert "⚠️" not in out


# ------------------------------------------------------------------ highlight


def test_highlight_marks_question_words_and_escapes_the_rest():
    text = "对于入选“上林英才”计划的人才项目，首批30%的启动资金可一次性拨付<br>。"
    # What the assistant does when it indexes the corpus: quoted programme
    # names become single words (without this jieba splits 上林英才).
    learn_names([text])
    out = highlight(text, TRANCHES_Q)
    marked = re.findall(r"<mark>(.*?)</mark>", out)
    assert "上林英才" in marked  # the longest word wins over 上林 / 英才
    assert "拨付" in marked and "资金" in marked
    assert "<br>" not in out and "&lt;br&gt;" in out
    # Removing the marks and unescaping gives the text back exactly.
    assert html.unescape(re.sub(r"</?mark>", "", out)) == text


def test_highlight_word_next_to_angle_brackets():
    out = highlight("<b>资金</b>&<i>拨付</i>", "资金怎么拨付")
    assert out == "&lt;b&gt;<mark>资金</mark>&lt;/b&gt;&amp;&lt;i&gt;<mark>拨付</mark>&lt;/i&gt;"


def test_highlight_of_a_word_inside_a_script_tag_keeps_it_inert():
    out = highlight(SCRIPT, "script是什么")
    assert out == "&lt;<mark>script</mark>&gt;alert(&#x27;x&#x27;)&lt;/<mark>script</mark>&gt;"


def test_highlight_does_not_match_inside_entities():
    # "lt" and "amp" are question words here; the text holds '<' and '&'
    # but not those letters, so nothing is marked and the entities stay whole.
    out = highlight("a<b & c", "lt amp")
    assert out == "a&lt;b &amp; c"


def test_highlight_without_usable_words_only_escapes():
    assert highlight(IMG, "？") == esc(IMG)
    assert highlight(IMG, "") == esc(IMG)


def test_highlight_marks_figures():
    out = highlight("每家企业每年最多申领5万元。", "最多5万元吗")
    assert "<mark>5</mark>" in out


# ------------------------------------------------------------------ links


def test_source_link_points_at_the_quote_and_round_trips_a_chinese_name():
    c = citation(source="子目录/关于 创新券&补助#2 的通知.txt", quote_start=611, quote="首批30%的启动资金")
    link = source_link(c)
    assert " " not in link and "#2" not in link.split("#hl")[0]
    params = link_params(link)
    assert params["doc"] == "子目录/关于 创新券&补助#2 的通知.txt"
    assert int(params["start"]) == 611
    assert int(params["end"]) == 611 + len("首批30%的启动资金")


def test_real_citation_quote_is_the_document_text_at_its_offset(real_answer, seed_document):
    for c in real_answer.citations:
        assert c.source == SEED
        start = c.quote_start
        assert seed_document.text[start : start + len(c.quote)] == c.quote
        assert seed_document.text[c.chunk_start :].startswith(seed_document.text[c.chunk_start : start])
        params = link_params(source_link(c))
        assert params["doc"] == SEED
        assert (int(params["start"]), int(params["end"])) == (start, start + len(c.quote))
    assert any("20%、20%、30%" in c.quote for c in real_answer.citations)


def test_real_answer_source_page_marks_exactly_the_quote(real_answer, seed_document):
    c = real_answer.citations[0]
    params = link_params(source_link(c))
    page = document_page(seed_document.meta, SEED, seed_document.text, int(params["start"]), int(params["end"]))
    assert page.count('<mark id="hl">') == 1
    marked = re.search(r'<mark id="hl">(.*?)</mark>', page, re.S).group(1)
    assert html.unescape(marked) == c.quote
    assert "对市十八届人大一次会议第190号建议的答复" in page
    assert "慈溪市科学技术局 · 2022年6月22日" in page


# ------------------------------------------------------------------ old documents


@pytest.mark.parametrize(
    "date, expected",
    [
        ("2026-11-28", False),
        ("2025-01-01", False),
        ("2024-12-31", False),  # two calendar years back
        ("2023-06-25", True),  # three years back
        ("2023-12-31", True),  # the check is by year, as the "2023年文件" tag says
        ("2017", True),  # bare year
        ("", False),
        ("未知", False),
    ],
)
def test_is_old_with_a_fixed_today(date, expected):
    assert is_old(date, 3, today=dt.date(2026, 11, 28)) is expected


def test_is_old_honours_stale_years():
    today = dt.date(2026, 1, 1)
    assert is_old("2021-05-01", 5, today) and not is_old("2021-05-01", 6, today)


# ------------------------------------------------------------------ sources


def sample_answer() -> Answer:
    old_year = TODAY.year - 5
    return Answer(
        question="创新券每年最多申领多少？",
        text="每家企业每年最多申领创新券5万元[1]。另见[2][3]。",
        citations=[
            citation(1, date=TODAY.isoformat(), page=3),
            citation(
                2,
                source="01_old.txt",
                title=f"关于{SCRIPT}的答复",
                issuer="慈溪市<b>科技局</b>",
                date=f"{old_year}-06-25",
                section="二、 资金",
                quote=f"创新券{IMG}申领办法",
                is_excerpt=True,
                quote_start=7,
            ),
            citation(3, source="03_bare.txt", title="", issuer="", date="", section="", quote="创新券兑现 & 结算"),
        ],
    )


def test_sources_html_has_one_block_per_citation_with_its_facts():
    answer = sample_answer()
    page = sources_html(answer, stale_years=3)
    assert page.startswith('<div class="sources">') and page.endswith("</div>")
    first, second, third = blocks(page)
    assert len(blocks(page)) == 3

    assert 'data-n="1"' in first and "<b>[1]</b>" in first
    assert "《慈溪市创新券管理办法》 · 慈溪市科学技术局 · " in first
    assert f"{TODAY.year}年{TODAY.month}月{TODAY.day}日" in first
    assert "一、 申领条件 · 第3页" in first
    assert "节选" not in first and "请核实是否仍在执行" not in first
    # jieba splits 创新券 into 创新 + 券 (single characters are not marked)
    # unless some indexed text has taught it the word; either way it is marked.
    assert re.search(r"<mark>创新(券</mark>|</mark>券)", first)
    assert "<mark>申领</mark>" in first and "<mark>每年</mark>" in first

    assert 'data-n="2"' in second and "<b>[2]</b>" in second
    assert "《关于&lt;script&gt;" in second and "慈溪市&lt;b&gt;科技局&lt;/b&gt;" in second
    assert f"{TODAY.year - 5}年6月25日" in second
    assert '<span class="tag excerpt">节选：非全文</span>' in second
    assert f'<span class="tag old">{TODAY.year - 5}年文件，请核实是否仍在执行</span>' in second
    assert "页" not in head(second)  # no page given

    # A citation without title falls back to the file name, and has no tags.
    assert "<b>[3]</b> 03_bare.txt" in third
    assert "节选" not in third and "请核实" not in third
    assert re.search(r'<blockquote class="src-quote"><mark>创新(券</mark>|</mark>券)兑现 &amp; 结算</blockquote>', third)

    # No document text became markup anywhere.
    assert "<script" not in page and "<img" not in page and "<b>科技局" not in page
    assert page.count("查看原文") == 3


def test_sources_html_links_are_escaped_and_point_at_each_quote():
    answer = sample_answer()
    page = sources_html(answer)
    hrefs = re.findall(r'<a class="src-open" href="([^"]*)" target="_blank" rel="noopener">查看原文</a>', page)
    assert len(hrefs) == 3
    for href, c in zip(hrefs, answer.citations):
        assert "&amp;start=" in href  # the & of the query string is escaped in the attribute
        url = html.unescape(href)
        assert url == source_link(c)
        params = link_params(url)
        assert params["doc"] == c.source
        assert (int(params["start"]), int(params["end"])) == (c.quote_start, c.quote_start + len(c.quote))


def test_sources_html_old_tag_follows_stale_years():
    answer = sample_answer()
    assert "请核实是否仍在执行" in sources_html(answer, stale_years=5)
    assert "请核实是否仍在执行" not in sources_html(answer, stale_years=6)
    assert "节选：非全文" in sources_html(answer, stale_years=6)


def test_sources_html_of_a_real_answer(real_answer):
    page = sources_html(real_answer, stale_years=3)
    assert len(blocks(page)) == len(real_answer.citations)
    first = blocks(page)[0]
    assert "《对市十八届人大一次会议第190号建议的答复》 · 慈溪市科学技术局 · 2022年6月22日 · 2、 引才用才政策" in first
    # The seed reply is of 2022; every run of this suite is in 2025 or later,
    # three calendar years on at least, so it is always marked old.
    assert TODAY.year >= 2025
    assert '<span class="tag old">2022年文件，请核实是否仍在执行</span>' in first
    assert "节选" not in first
    assert "<mark>上林英才</mark>" in first
    assert "查看原文" in first


def test_sources_html_of_no_citations_is_an_empty_container():
    assert sources_html(Answer(question="q", text="抱歉", refused=True)) == '<div class="sources"></div>'


# ------------------------------------------------------------------ plain text


def test_plain_answer_lists_sources():
    answer = sample_answer()
    answer.notice = "大模型回答未标注出处，已改为直接摘录原文。"
    lines = plain_answer(answer).split("\n")
    assert lines[0] == answer.text
    assert lines[1] == answer.notice
    assert lines[2] == "来源："
    assert lines[3] == f"[1] 《慈溪市创新券管理办法》 · 慈溪市科学技术局 · {TODAY.year}年{TODAY.month}月{TODAY.day}日 · 一、 申领条件 · 第3页"
    assert lines[4].startswith(f"[2] 《关于{SCRIPT}的答复》 · 慈溪市<b>科技局</b> · {TODAY.year - 5}年6月25日")
    assert lines[4].endswith("（节选）")
    assert lines[5] == "[3] 03_bare.txt"
    assert len(lines) == 6


def test_plain_answer_of_a_refusal_has_no_sources():
    text = "抱歉，现有政策文件中没有找到能回答这个问题的内容。"
    assert plain_answer(Answer(question="q", text=text, refused=True)) == text


# ------------------------------------------------------------------ document page


BODY = "第一条 <script>alert(1)</script> 创新券 & 补助。\n第二条 每家企业每年最多申领5万元<img src=x onerror=alert(2)>。"


def marked_part(page: str) -> str | None:
    found = re.findall(r'<mark id="hl">(.*?)</mark>', page, re.S)
    assert len(found) <= 1
    return found[0] if found else None


def body_of(page: str) -> str:
    return re.search(r'<div class="body">(.*)</div></body></html>$', page, re.S).group(1)


def test_document_page_marks_exactly_the_range_and_escapes_everything_else():
    meta = DocMeta(title="测试<b>标题</b>", issuer="测试单位", date="2026-01-05", doc_number="测发〔2026〕1号")
    start = BODY.index("每家企业")
    end = BODY.index("5万元") + 3
    page = document_page(meta, "a&b.txt", BODY, start, end)
    assert page.count('<mark id="hl">') == 1 and page.count("<mark") == 1
    assert marked_part(page) == esc(BODY[start:end])
    assert html.unescape(re.sub(r'</?mark[^>]*>', "", body_of(page))) == BODY
    assert "<script>alert" not in page and "<img" not in page and "<b>标题" not in page
    assert "<title>测试&lt;b&gt;标题&lt;/b&gt;</title>" in page
    assert "测试单位 · 2026年1月5日 · 测发〔2026〕1号" in page
    assert "文件：a&amp;b.txt" in page
    assert "节选" not in page and "原文发布地址" not in page


@pytest.mark.parametrize(
    "start, end, expected",
    [
        (-10, 5, BODY[:5]),
        (5, 10**6, BODY[5:]),
        (-3, 10**6, BODY),
    ],
)
def test_document_page_clamps_offsets(start, end, expected):
    page = document_page(DocMeta(), "x.txt", BODY, start, end)
    assert page.count('<mark id="hl">') == 1
    assert marked_part(page) == esc(expected)
    assert html.unescape(re.sub(r'</?mark[^>]*>', "", body_of(page))) == BODY


@pytest.mark.parametrize("start, end", [(20, 10), (7, 7), (10**6, 10**6 + 5), (-5, -1)])
def test_document_page_with_an_empty_range_marks_nothing(start, end):
    page = document_page(DocMeta(), "x.txt", BODY, start, end)
    assert "<mark" not in page
    assert body_of(page) == esc(BODY)


def test_document_page_of_an_excerpt_says_so():
    meta = DocMeta(
        title="答复",
        completeness="节选",
        completeness_note="节选(正文在“<b>下步</b>”处截断)",
        source_url="https://example.gov.cn/a?x=1&y=<2>",
    )
    page = document_page(meta, "01.txt", BODY, 0, 3)
    assert '<p class="note">本文件为节选，并非全文。节选(正文在“&lt;b&gt;下步&lt;/b&gt;”处截断)</p>' in page
    assert "原文发布地址：https://example.gov.cn/a?x=1&amp;y=&lt;2&gt;" in page
    # The title falls back to the file name when the document has none.
    assert "<h1>x.txt</h1>" in document_page(DocMeta(), "x.txt", BODY, 0, 0)


def test_document_page_of_a_real_excerpt():
    name = "01_cixi_kjj_2023-06-25_rd18-2_jianyi332_dafu.txt"
    doc = read_document(CORPUS / name, name)
    assert doc.meta.is_excerpt
    page = document_page(doc.meta, name, doc.text, 0, 10)
    assert "本文件为节选，并非全文。" in page
    assert marked_part(page) == esc(doc.text[:10])


# ------------------------------------------------------------------ verified answers


def verified_answer(**mark) -> Answer:
    base = {"id": 3, "by": "王芳", "at": "2026-11-30", "origin": "agent", "no_basis": False, "contact": ""}
    return Answer(TRANCHES_Q, f"首批30%{SCRIPT}", [citation()], mode="verified", verified={**base, **mark},
                  related=[citation(1), citation(2)])


def test_a_verified_answer_carries_its_mark_escaped_before_the_text():
    message = answer_message(verified_answer(by=IMG))
    assert message.startswith('<span class="verified-mark">服务联盟核实答复 · ')
    assert esc(IMG) in message and IMG not in message and SCRIPT not in message
    assert "2026年11月30日" in message
    assert verified_mark(verified_answer()) == "服务联盟核实答复 · 王芳 · 2026年11月30日"
    assert answer_message(Answer("问？", "答。")) == "答。"  # no mark on other answers


def test_the_mark_of_a_reply_and_of_an_answer_without_documents():
    assert verified_mark(verified_answer(origin="document", by="慈溪市科学技术局", at="2022-06-22")) == (
        "答复文件原文 · 慈溪市科学技术局 · 2022年6月22日")
    manual = verified_mark(verified_answer(no_basis=True, contact="市公积金中心 0574-1"))
    assert manual.endswith("（无文件依据，人工答复；联系人：市公积金中心 0574-1）")


def test_related_passages_come_as_a_collapsed_message_and_the_copy_has_the_mark():
    message = related_message(verified_answer(), stale_years=3)
    assert message["metadata"] == {"title": "检索到的相关原文（2）", "status": "done"}
    assert message["content"].count('class="src"') == 2
    assert related_message(Answer("问？", "答。", related=[citation()])) is None  # only under a verified answer
    assert plain_answer(verified_answer()).splitlines()[0] == "服务联盟核实答复 · 王芳 · 2026年11月30日"
