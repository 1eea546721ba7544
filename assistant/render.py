"""HTML for the chat page: answers, their sources, and the whole-document view.

Every piece of document text or user input goes through ``html.escape``
before it reaches the page, so a document holding ``<script>`` or
``<img onerror>`` shows those characters and runs nothing. The only markup
in the output is the markup written here.
"""
from __future__ import annotations

import datetime as dt
import html
import re
from urllib.parse import quote

from .answer import cn_date
from .documents import Answer, Citation, DocMeta
from .keyword import tokenize

SOURCE_PATH = "/source"


def esc(text: str) -> str:
    return html.escape(text or "", quote=True)


def answer_message(answer: Answer) -> str:
    """The answer as chat-message content: a verified answer's mark, the
    escaped text, then any notice."""
    text = esc(answer.text)
    if answer.verified:
        text = f'<span class="verified-mark">{esc(verified_mark(answer))}</span>\n' + text
    if answer.notice:
        text += "\n\n⚠️ " + esc(answer.notice)
    return text


VERIFIED = "服务联盟核实答复"
FROM_REPLY = "答复文件原文"


def verified_mark(answer: Answer) -> str:
    """服务联盟核实答复 · agent · date (答复文件原文 · issuer · date for a
    question an official reply answers itself), and the contact of an
    answer with no document basis."""
    mark = answer.verified or {}
    kind = FROM_REPLY if mark.get("origin") == "document" else VERIFIED
    parts = [kind, mark.get("by", ""), cn_date(mark.get("at", ""))]
    text = " · ".join(p for p in parts if p)
    if mark.get("no_basis"):
        text += f"（无文件依据，人工答复；联系人：{mark.get('contact', '')}）"
    return text


def related_message(answer: Answer, stale_years: int = 3) -> dict | None:
    """Under a verified answer: the passages retrieval found for the
    question, as a collapsed chat message (None when there are none)."""
    if not answer.verified or not answer.related:
        return None
    body = sources_html(Answer(answer.question, "", answer.related), stale_years)
    return {"role": "assistant", "content": body,
            "metadata": {"title": f"检索到的相关原文（{len(answer.related)}）", "status": "done"}}


def _words_pattern(question: str) -> re.Pattern | None:
    """The question's words (two characters or more, or figures), longest first."""
    words = sorted({t for t in tokenize(question) if len(t) >= 2 or t.isdigit()}, key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE) if words else None


def highlight(text: str, question: str) -> str:
    """Escaped ``text`` with the question's words wrapped in <mark>."""
    return _marked(text, _words_pattern(question))


def _marked(text: str, pattern: re.Pattern | None) -> str:
    if pattern is None:
        return esc(text)
    out, pos = [], 0
    for match in pattern.finditer(text):
        out.append(esc(text[pos : match.start()]))
        out.append(f"<mark>{esc(match.group(0))}</mark>")
        pos = match.end()
    out.append(esc(text[pos:]))
    return "".join(out)


def source_link(citation: Citation) -> str:
    start = citation.quote_start
    return f"{SOURCE_PATH}?doc={quote(citation.source)}&start={start}&end={start + len(citation.quote)}#hl"


def is_old(date: str, stale_years: int, today: dt.date | None = None) -> bool:
    year = int(date[:4]) if date[:4].isdigit() else None
    return year is not None and (today or dt.date.today()).year - year >= stale_years


def citation_line(citation: Citation) -> str:
    """title · issuer · date · heading path · page, as plain text."""
    parts = [f"《{citation.title}》" if citation.title else citation.source, citation.issuer, cn_date(citation.date)]
    parts.append(citation.section)
    if citation.page:
        parts.append(f"第{citation.page}页")
    return " · ".join(p for p in parts if p)


def sources_title(answer: Answer) -> str:
    return f"来源（{len(answer.citations)}）· 原文摘录"


def sources_html(answer: Answer, stale_years: int = 3, validity: dict[str, str] | None = None) -> str:
    """One block per citation: header, tags, the quote with the question's
    words highlighted, and a 查看原文 link (all on one line of HTML).
    ``validity``: source → 已废止/已被替代 (tagged) or 有效."""
    blocks, pattern = [], _words_pattern(answer.question)  # tokenized once, not per citation
    for c in answer.citations:
        tags = ""
        state = (validity or {}).get(c.source, "")
        if state in ("已废止", "已被替代"):
            tags += f'<span class="tag void">{esc(state)}</span>'
        if c.is_excerpt:
            tags += '<span class="tag excerpt">节选：非全文</span>'
        if is_old(c.date, stale_years):
            tags += f'<span class="tag old">{esc(c.date[:4])}年文件，请核实是否仍在执行</span>'
        blocks.append(
            f'<div class="src" data-n="{c.n}"><div class="src-head"><b>[{c.n}]</b> {esc(citation_line(c))} {tags}</div>'
            f'<blockquote class="src-quote">{_marked(c.quote, pattern)}</blockquote>'
            f'<a class="src-open" href="{esc(source_link(c))}" target="_blank" rel="noopener">查看原文</a></div>'
        )
    return '<div class="sources">' + "".join(blocks) + "</div>"


def plain_answer(answer: Answer) -> str:
    """What 复制回答 puts on the clipboard: the answer and its sources."""
    lines = [answer.text]
    if answer.verified:
        lines.insert(0, verified_mark(answer))
    if answer.notice:
        lines.append(answer.notice)
    if answer.citations:
        lines.append("来源：")
        lines += [f"[{c.n}] {citation_line(c)}" + ("（节选）" if c.is_excerpt else "") for c in answer.citations]
    return "\n".join(lines)


def document_page(meta: DocMeta, source: str, body: str, start: int, end: int) -> str:
    """A standalone page with the whole document and [start, end) marked as
    ``#hl``; the link's fragment scrolls it into view."""
    start, end = max(0, min(start, len(body))), max(0, min(end, len(body)))
    if end <= start:
        text = esc(body)
    else:
        text = f'{esc(body[:start])}<mark id="hl">{esc(body[start:end])}</mark>{esc(body[end:])}'
    facts = " · ".join(x for x in (meta.issuer, cn_date(meta.date), meta.doc_number) if x)
    note = ""
    if meta.is_excerpt:
        note = f'<p class="note">本文件为节选，并非全文。{esc(meta.completeness_note)}</p>'
    url = f'<p class="facts">原文发布地址：{esc(meta.source_url)}</p>' if meta.source_url else ""
    if meta.validity in ("已废止", "已被替代"):
        note += f'<p class="note">本文件{esc(meta.validity)}，仅供参考。</p>'
    elif meta.validity:
        note += f'<p class="facts">有效性：{esc(meta.validity)}</p>'
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{esc(meta.title or source)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; max-width: 860px;
  margin: 2rem auto; padding: 0 1rem; line-height: 1.9; color: #1f2937; }}
h1 {{ font-size: 1.4rem; line-height: 1.5; }}
.facts {{ color: #6b7280; margin: .2rem 0; }}
.note {{ background: #fff7ed; border-left: 4px solid #f97316; padding: .5rem .8rem; }}
.body {{ white-space: pre-wrap; word-break: break-word; border-top: 1px solid #e5e7eb; padding-top: 1rem; }}
mark#hl {{ background: #fde68a; padding: .1rem 0; scroll-margin-top: 35vh; }}
</style></head>
<body><p><a href="/">← 返回问答</a></p><h1>{esc(meta.title or source)}</h1><p class="facts">{esc(facts)}</p>
<p class="facts">文件：{esc(source)}</p>{url}{note}
<div class="body">{text}</div></body></html>"""


def not_found_page(message: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>未找到原文</title></head>'
        f"<body><p>{esc(message)}</p><p><a href=\"/\">返回问答</a></p></body></html>"
    )
