"""The web app: the public chat page at ``/``, the service-alliance agents'
page at ``/admin`` behind Gradio's login, and ``/source`` (a whole document
with the cited passage highlighted).

Everything taken from documents or users is escaped by ``render`` before it
is shown; the chat shows HTML only from there.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from . import audit, render
from .accounts import LOGIN_HINT, AgentLogin, LiveSessions
from .client_address import ClientAddress, from_request
from .config import Settings
from .corpus import read_document
from .documents import Answer
from .errors import ReasonError
from .feedback import FeedbackLog
from .library import DOCUMENT_COLUMNS, add_documents, delete_document, document_rows
from .manifest import Manifest
from .meta_admin import shown_meta, validity_by_source
from .meta_edits import canonical_issuer
from .qa import Assistant
from .rate_limit import QuestionLimit, upload_refusal
from .retrieval import Filters
from .ui_audit import audit_tab
from .ui_confirm import CLEAR_JS, COPY_JS, PAGE_JS, WAIT_JS
from .ui_confirm import CSS as CONFIRM_CSS
from .ui_locale import I18N, ChineseLocale
from .ui_metadata import metadata_editor
from .ui_policies import CSS as POLICY_CSS
from .ui_policies import public_page
from .ui_worklist import worklist_tab
from .verification import open_book, sync_chat

logger = logging.getLogger(__name__)

TITLE = "慈溪科技创新政策问答"
ANY = "不限"
# Questions the shipped corpus answers (tests/test_ui.py checks each one).
EXAMPLES = [
    "上林英才的项目资助资金怎么分批拨付？",
    "企业创新联合体补充申报什么时候截止？",
    "产品进了宁波软件首版次目录，慈溪奖多少钱？",
    "8718公共服务慈溪平台跟多少个部门和镇街道建立了联动？",
]
INTRO = (
    f"# {TITLE}\n"
    "回答只摘自慈溪市、宁波市和浙江省公开的政策文件原文，每句都标注出处 [n]；"
    "点开回答下方的“来源”可核对原文。文件里没有的内容，助手会直说，并告诉您可以向谁咨询。"
)
CSS = """
.sources .src { border-left: 3px solid #3b82f6; padding: .3rem .7rem; margin: .4rem 0 .8rem; }
.sources .src-head { font-size: .92em; color: #374151; }
.sources .src-quote { margin: .3rem 0; color: #111827; }
.sources .tag { display: inline-block; font-size: .8em; padding: 0 .4rem; margin-left: .3rem; border-radius: .3rem; }
.sources .tag.excerpt { background: #fff7ed; color: #c2410c; border: 1px solid #fdba74; }
.sources .tag.old { background: #f3f4f6; color: #4b5563; border: 1px solid #d1d5db; }
.sources .tag.void { background: #fef2f2; color: #b91c1c; border: 1px solid #fca5a5; }
mark { background: #fde68a; color: inherit; }
.verified-mark { display: inline-block; font-size: .85em; padding: 0 .5rem; margin-bottom: .3rem; border-radius: .3rem;
  background: #ecfdf5; color: #047857; border: 1px solid #6ee7b7; }
""" + CONFIRM_CSS
CONFIRM_DELETE_JS = """(source) => (source && confirm("确定删除“" + source + "”吗？它的内容将不再出现在回答中。")) ? source : null"""


def build_app(settings: Settings | None = None, assistant: Assistant | None = None) -> FastAPI:
    settings = settings or Settings()
    assistant = assistant or Assistant(settings)
    log = FeedbackLog(settings.feedback_db)
    app = FastAPI(title=TITLE)
    app.get("/source", response_class=HTMLResponse)(_source_view(settings))
    login = AgentLogin(settings)
    app.get("/admin/login_status")(login.status_route())  # before the mount, so it is not Gradio's
    theme = gr.themes.Soft()
    app = gr.mount_gradio_app(
        app, admin_page(settings, log), path="/admin", auth=login.check, i18n=I18N,
        css=CSS, theme=theme, auth_message=f"服务联盟工作台：请输入管理员为您分配的账号和密码。{LOGIN_HINT}",
        max_file_size=settings.max_file_bytes * 4, ssr_mode=False, footer_links=[],
    )
    admin = next(route.app for route in app.routes if getattr(route, "path", None) == "/admin")
    admin.tokens = LiveSessions(login.accounts)  # a removed account's sessions end at once
    app = gr.mount_gradio_app(
        app, public_page(chat_page(assistant, log, settings), settings, TITLE), path="/", css=CSS + POLICY_CSS,
        theme=theme, ssr_mode=False, footer_links=["api"], i18n=I18N, js=PAGE_JS,
    )
    app.add_middleware(ChineseLocale)  # Gradio's own words in Chinese, whatever the browser's language
    app.add_middleware(ClientAddress, trusted=settings.trusted_proxies)  # for the login check (accounts.py)
    return app


# --- the chat page -------------------------------------------------------------


class ChatHandlers:
    """What the chat page's events do. Conversation state lives in the
    browser session (gr.State): shown messages, raw questions, and which
    message belongs to which logged answer (for 赞/踩)."""

    def __init__(self, assistant: Assistant, log: FeedbackLog, settings: Settings):
        self.assistant, self.log, self.settings = assistant, log, settings
        self.book = open_book(settings)  # a 踩 on a verified answer withdraws it at once
        self.limit = QuestionLimit(settings.questions_per_minute)

    def respond(self, question, history, turns, asks, issuer, doc_type, year_from, year_to, request: gr.Request):
        question = (question or "").strip()
        if not question:
            gr.Warning("请输入您要咨询的问题。")
            yield history, history, turns, asks, gr.skip(), gr.skip()
            return
        wait = self.limit.wait(from_request(request, self.settings.trusted_proxies))
        if wait:  # before any search
            history = history + [{"role": "user", "content": render.esc(question)},
                                 {"role": "assistant", "content": render.esc(self.limit.message(wait))}]
            yield history, history, turns, asks, gr.skip(), gr.skip()
            return
        history = history + [
            {"role": "user", "content": render.esc(question)},
            {"role": "assistant", "content": "正在查找政策原文…"},
        ]
        yield history, history, turns, asks, gr.skip(), ""
        answer, streamed = None, ""
        for item in _stream(self.assistant, question, turns, _filters(issuer, doc_type, year_from, year_to)):
            if isinstance(item, Answer):
                answer = item
            else:
                streamed += item
                history[-1] = {"role": "assistant", "content": render.esc(streamed)}
                yield history, history, turns, asks, gr.skip(), ""
        assert answer is not None  # the stream always ends with its Answer
        history, asks = self._finish(answer, history, asks)
        yield history, history, turns + [question], asks, render.plain_answer(answer), ""

    def _finish(self, answer: Answer, history: list, asks: dict) -> tuple[list, dict]:
        """Log the answer; show it, then its sources as a 来源 box."""
        ask_id = self.log.record_answer(answer)
        history[-1] = {"role": "assistant", "content": render.answer_message(answer)}
        asks = {**asks, len(history) - 1: ask_id}
        if answer.citations:
            history.append({
                "role": "assistant",
                "content": render.sources_html(answer, self.settings.stale_years, validity_by_source(self.settings)),
                "metadata": {"title": render.sources_title(answer)},
            })
            asks[len(history) - 1] = ask_id
        related = render.related_message(answer, self.settings.stale_years)
        if related:
            history.append(related)
            asks[len(history) - 1] = ask_id
        return history, asks

    @staticmethod
    def reset():
        return [], [], [], {}, "", gr.update(visible=False), ""

    def like(self, data: gr.LikeData, asks):
        """赞 is thanked at once; 踩 opens the comment box under that answer
        (see ui_confirm), which thanks the user when they are done."""
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        ask_id = asks.get(index)
        if ask_id is None or data.liked is None:
            return None, gr.update(visible=False), gr.update(), gr.update()
        rating = self.log.rate(ask_id, bool(data.liked))
        if data.liked:
            gr.Info("感谢您的反馈！")
        else:
            sync_chat(self.book, self.log)  # a 踩 on a verified answer withdraws it at once
        return rating, gr.update(visible=not data.liked), gr.update(visible=True), ""

    def comment(self, rating, text):
        if rating is not None and (text or "").strip():
            self.log.add_comment(rating, text)
            sync_chat(self.book, self.log)
            thanks = "✓ 已记录您的意见，谢谢！我们会据此改进。"
        else:
            thanks = "✓ 已记录您的评价，谢谢！"
        return "", gr.update(visible=False), thanks

    @staticmethod
    def close_comment():
        return gr.update(visible=False)

    def ask(self, question: str, issuer: str = "", doc_type: str = "", year_from: int = 0, year_to: int = 0,
            request: gr.Request | None = None) -> dict:
        """Answer one question; returns the answer, refusal flag and citations
        (filters: issuing body, document type, year range; empty or 0 = none)."""
        wait = self.limit.wait(from_request(request, self.settings.trusted_proxies))
        if wait:  # before any search: a refusal saying how long to wait
            return {**Answer(question, self.limit.message(wait), refused=True).to_json(), "retry_after_s": round(wait, 1)}
        issuer = canonical_issuer(self.settings, issuer)  # a variant (市科技局) finds its office's documents
        answer = self.assistant.ask(question, (), Filters(issuer, doc_type, year_from or None, year_to or None))
        if answer.question:
            self.log.record_answer(answer)
        return answer.to_json()


def chat_page(assistant: Assistant, log: FeedbackLog, settings: Settings) -> gr.Blocks:
    on = ChatHandlers(assistant, log, settings)
    with gr.Blocks(title=TITLE) as page:
        history, turns, asks, feedback_id = gr.State([]), gr.State([]), gr.State({}), gr.State(None)
        gr.Markdown(INTRO)
        with gr.Row():
            with gr.Column(scale=4):
                chatbot = gr.Chatbot(
                    label="政策问答", elem_id="chat", height=560, render_markdown=False, buttons=[],
                    feedback_options=("Like", "Dislike"),  # the thumb icons; their labels come in Chinese
                    placeholder="请在下方输入问题，或点一个示例问题。",
                )
                with gr.Row():
                    box = gr.Textbox(
                        label="您的问题", show_label=False, placeholder="请输入您的问题，例如：上林英才的项目资助资金怎么拨付？",
                        elem_id="question", scale=8, max_lines=4, autofocus=True,
                    )
                    send = gr.Button("发送", variant="primary", elem_id="send", scale=1, min_width=80)
                gr.Examples([[q] for q in EXAMPLES], inputs=box, label="示例问题")
                with gr.Row():
                    clear = gr.Button("清空对话", elem_id="clear", size="sm")
                    copy = gr.Button("复制回答", elem_id="copy", size="sm")
                    copy_note = gr.Markdown(elem_id="copy-note")
                plain = gr.Textbox(label="回答纯文本", visible="hidden", elem_id="plain-answer")
                with gr.Column(visible=False, elem_id="comment-row") as comment_row:  # floats under the answer
                    with gr.Column(elem_id="comment-form") as comment_form:
                        comment = gr.Textbox(label="哪里不满意？可以补充说明（可选）", elem_id="comment", lines=2)
                        with gr.Row():
                            comment_send = gr.Button("提交意见", elem_id="comment-send", variant="primary", size="sm")
                            comment_skip = gr.Button("不用了", elem_id="comment-skip", size="sm")
                    comment_thanks = gr.Markdown(elem_id="comment-thanks")
            with gr.Column(scale=1, min_width=220):
                with gr.Accordion("按文件筛选（可选）", open=True):
                    issuer = gr.Dropdown(label="发布单位", choices=[ANY], value=ANY, elem_id="f-issuer")
                    doc_type = gr.Dropdown(label="文件类型", choices=[ANY], value=ANY, elem_id="f-type")
                    year_from = gr.Dropdown(label="起始年份", choices=[ANY], value=ANY, elem_id="f-from")
                    year_to = gr.Dropdown(label="截止年份", choices=[ANY], value=ANY, elem_id="f-to")
                library = gr.Markdown(elem_id="library")
                gr.HTML('<p><a href="/admin/" target="_blank">服务联盟登录：文档管理与待解决问题 →</a></p>')

        private: dict[str, Any] = {"api_visibility": "private"}
        answering: dict[str, Any] = {"concurrency_limit": settings.answer_concurrency, "concurrency_id": "answer"}
        ask_inputs = [box, history, turns, asks, issuer, doc_type, year_from, year_to]
        ask_outputs = [chatbot, history, turns, asks, plain, box]
        for asked in (box.submit, send.click):
            asked(on.respond, ask_inputs, ask_outputs, **answering, **private)
            asked(None, js=CLEAR_JS, outputs=[copy_note], **private)  # 已复制 was about the last answer
        conversation = [chatbot, history, turns, asks, plain, comment_row, copy_note]
        clear.click(on.reset, outputs=conversation, **private)
        chatbot.clear(on.reset, outputs=conversation, **private)  # the chat's own 🗑 icon
        copy.click(None, inputs=[plain], outputs=[copy_note], js=COPY_JS, **private)
        chatbot.like(on.like, [asks], [feedback_id, comment_row, comment_form, comment_thanks], **private)
        comment_send.click(on.comment, [feedback_id, comment], [comment, comment_form, comment_thanks], **private).then(
            None, js=WAIT_JS, **private).then(on.close_comment, outputs=[comment_row], **private)
        comment_skip.click(on.close_comment, outputs=[comment_row], **private)
        filters = [issuer, doc_type, year_from, year_to, library]
        page.load(lambda: _filter_choices(settings), outputs=filters, **private)
        gr.api(on.ask, api_name="ask", **answering)
    return page


def _stream(assistant: Assistant, question: str, turns: list[str], filters: Filters):
    """The assistant's stream, with a failure turned into a Chinese answer."""
    try:
        yield from assistant.stream(question, turns, filters)
    except ReasonError as exc:
        yield Answer(question, f"系统暂时无法回答：{exc.reason}。请稍后再试。", refused=True)
    except Exception:  # the page must keep working whatever happens
        logger.exception("answering %r failed", question)
        yield Answer(question, "系统暂时无法回答，请稍后再试。", refused=True)


def _filters(issuer: str, doc_type: str, year_from, year_to) -> Filters:
    def year(value):
        return int(value) if value not in (None, "", ANY) else None

    pick = lambda value: "" if value in (None, ANY) else value  # noqa: E731
    return Filters(pick(issuer), pick(doc_type), year(year_from), year(year_to))


def _filter_choices(settings: Settings):
    entries = Manifest.load(settings.manifest_path).entries.values()
    issuers = sorted({e.issuer for e in entries if e.issuer})
    types = sorted({e.doc_type for e in entries if e.doc_type})
    years = sorted({e.date[:4] for e in entries if e.date[:4].isdigit()}, reverse=True)
    dropdown = lambda values: gr.update(choices=[ANY, *values], value=ANY)  # noqa: E731
    note = f"文档库：{len(entries)} 篇文件" + (f"（{years[-1]}–{years[0]} 年）" if years else "")
    return dropdown(issuers), dropdown(types), dropdown(years), dropdown(years), note


# --- the agents' page ------------------------------------------------------------


class AdminHandlers:
    """What the agents' page's events do: upload, delete, refresh tables."""

    def __init__(self, settings: Settings, log: FeedbackLog):
        self.settings, self.log = settings, log

    def tables(self):
        rows = document_rows(self.settings)
        return rows, gr.update(choices=[r[0] for r in rows], value=None)

    def upload(self, paths, request: gr.Request, progress=gr.Progress(track_tqdm=True)):
        if not paths:
            return "请先选择要上传的文件。", *self.tables()
        uploads = [(Path(p), Path(p).name) for p in paths]
        sizes = {name: _size(path) for path, name in uploads}
        names = "、".join(sizes)
        refusal = upload_refusal(self.settings, audit.open_log(self.settings), request.username or "", list(sizes.values()))
        if refusal:
            audit.record(self.settings, "upload", names, "refused", refusal, request=request)
            return refusal, *self.tables()
        try:
            result = add_documents(uploads, self.settings, progress=True)
        except ReasonError as exc:
            audit.record(self.settings, "upload", names, "failed", exc.reason, request=request, size=sum(sizes.values()))
            return exc.reason, *self.tables()
        for name, reason in result.refused:
            audit.record(self.settings, "upload", name, "failed", reason, request=request, size=sizes.get(name, 0))
        for name in result.saved:
            size = _size(Path(self.settings.corpus_dir) / name)
            audit.record(self.settings, "upload", name, "ok", "已存入文档库并导入索引", request=request, size=size)
        return result.summary(), *self.tables()

    def delete(self, source, request: gr.Request):
        if not source:
            return "未删除任何文档（请先在下拉框中选择，并在弹出的提示中确认）。", *self.tables()
        try:
            delete_document(source, self.settings)
            message = f"已删除：{source}（其片段已从索引中移除）"
            audit.record(self.settings, "delete", source, "ok", message, request=request)
        except ReasonError as exc:
            message = exc.reason
            audit.record(self.settings, "delete", source, "failed", message, request=request)
        return message, *self.tables()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def admin_page(settings: Settings, log: FeedbackLog) -> gr.Blocks:
    on = AdminHandlers(settings, log)
    with gr.Blocks(title=f"{TITLE} · 服务联盟工作台") as page:
        gr.Markdown("# 服务联盟工作台\n上传或删除政策文件后立即生效；下方列出企业问到而文件中没有答案的问题。")
        gr.HTML('<p><a href="/">← 返回问答页</a> · <a href="/admin/logout">退出登录</a></p>')
        with gr.Tab("文档管理"):
            files = gr.File(
                label="上传政策文件（PDF、Word .docx、HTML、TXT、Markdown；可多选）", file_count="multiple",
                file_types=[".pdf", ".docx", ".html", ".htm", ".txt", ".md"], elem_id="upload",
            )
            upload = gr.Button("导入文档库", variant="primary", elem_id="upload-btn")
            result = gr.Textbox(label="导入结果", lines=4, interactive=False, elem_id="upload-result")
            table = gr.Dataframe(
                headers=DOCUMENT_COLUMNS, interactive=False, wrap=True, elem_id="docs",
                column_widths=["22%", "30%", "13%", "8%", "7%", "6%", "5%", "9%"],
            )
            with gr.Row():
                target = gr.Dropdown(label="选择要删除的文档", choices=[], elem_id="delete-choice", scale=4)
                delete = gr.Button("删除所选文档", variant="stop", elem_id="delete-btn", scale=1)
            editor = metadata_editor(settings)
        with gr.Tab("待解决问题"):
            refresh_worklist, worklist_inputs, worklist_outputs = worklist_tab(settings, log, page)
        with gr.Tab("操作记录"):
            audit_tab(settings, page)

        # An upload or deletion may withdraw verified answers: the worklist shows them at once.
        outputs = [result, table, target]
        private: dict[str, Any] = {"api_visibility": "private"}
        after = {"fn": refresh_worklist, "inputs": worklist_inputs, "outputs": worklist_outputs, **private}
        for changed in (upload.click(on.upload, [files], outputs, **private),
                        delete.click(on.delete, [target], outputs, js=CONFIRM_DELETE_JS, **private)):
            changed.then(**after).then(editor.handlers.refresh, [editor.document], editor.outputs, **private)
        for corrected in editor.changes:  # titles and issuers in the document table
            corrected.then(on.tables, outputs=outputs[1:], **private)
        page.load(on.tables, outputs=outputs[1:], **private)
        page.load(editor.handlers.refresh, [editor.document], editor.outputs, **private)
    return page


# --- the whole-document view -------------------------------------------------------


def _source_view(settings: Settings):
    corpus = Path(settings.corpus_dir).resolve()

    def source(doc: str = "", start: int = 0, end: int = 0) -> HTMLResponse:
        entry = Manifest.load(settings.manifest_path).entries.get(doc)
        path = (corpus / doc).resolve()
        if entry is None or not path.is_relative_to(corpus) or not path.is_file():
            return HTMLResponse(render.not_found_page("该文件已不在文档库中。"), status_code=404)
        document = _read(str(path), doc, path.stat().st_mtime_ns)
        if document.sha256 != entry.sha256:  # changed since ingestion: offsets no longer hold
            start = end = 0
        meta = shown_meta(document.meta, entry)  # with the agents' corrections
        return HTMLResponse(render.document_page(meta, doc, document.text, start, end))

    return source


@lru_cache(maxsize=32)
def _read(path: str, source: str, mtime_ns: int):
    return read_document(Path(path), source)
