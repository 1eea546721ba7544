"""The agents' metadata editor in 文档管理: a document's title, issuer, date,
文号, type and validity; the issuer names table; the log of changes.

What the buttons do is in ``meta_admin`` (saved beside the index, applied
without re-embedding); this module is only the page.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from . import audit
from .config import Settings
from .errors import ReasonError
from .meta_admin import (
    ISSUER_COLUMNS,
    correct_document,
    document_meta,
    edit_log,
    editable_sources,
    issuer_table,
    revert_document,
    save_issuer_table,
)
from .meta_edits import DOC_TYPES, EDITABLE, FIELD_NAMES, LOG_COLUMNS

NOT_STATED = "未注明"
VALIDITY_CHOICES = [NOT_STATED, "有效", "已废止", "已被替代"]
_PRIVATE: dict[str, Any] = {"api_visibility": "private"}


class MetaHandlers:
    def __init__(self, settings: Settings):
        self.settings = settings

    def refresh(self, source: str | None = None):
        """Document choices (keeping the selection while it exists), the
        issuer names table and the log."""
        sources = editable_sources(self.settings)
        keep = source if source in sources else None
        return gr.update(choices=sources, value=keep), issuer_table(self.settings), edit_log(self.settings)

    def load(self, source: str | None):
        if not source:
            return *([""] * 4), gr.update(value=None), NOT_STATED, "", ""
        try:
            shown = document_meta(self.settings, source)
        except ReasonError as exc:
            return *([""] * 4), gr.update(value=None), NOT_STATED, "", exc.reason
        values = shown.values
        differs = [f"{FIELD_NAMES[n]}：{shown.original[n] or '（空）'}" for n in EDITABLE if shown.original[n] != values[n]]
        note = ("文件原值（已被修改的项）：" + "；".join(differs)) if differs else "当前信息即文件原值，尚未修改。"
        return (values["title"], values["issuer"], values["date"], values["doc_number"], values["doc_type"],
                values["validity"] or NOT_STATED, f"{note}（{shown.chunks} 个片段）", "")

    def save(self, source, title, issuer, date, number, doc_type, validity, request: gr.Request):
        values = dict(title=title, issuer=issuer, date=date, doc_number=number, doc_type=doc_type or "",
                      validity="" if validity in (None, NOT_STATED) else validity)
        return self._after(source, lambda: correct_document(self.settings, source, values, _user(request)), request)

    def revert(self, source, request: gr.Request):
        return self._after(source, lambda: revert_document(self.settings, source, _user(request)), request)

    def _after(self, source, change, request: gr.Request):
        if not source:
            return self.load(None)[:-1] + ("请先选择要修改的文档。", *self.refresh()[1:])
        try:
            message, outcome = change(), "ok"
        except ReasonError as exc:
            message, outcome = exc.reason, "failed"
        audit.record(self.settings, "metadata", source, outcome, message, request=request)
        return self.load(source)[:-1] + (message, *self.refresh(source)[1:])

    def add_name(self, variant, canonical, rows, request: gr.Request):
        variant, canonical = (variant or "").strip(), (canonical or "").strip()
        if not variant or not canonical:
            return "请同时填写“文中写法”和“规范名称”。", variant, canonical, issuer_table(self.settings), edit_log(self.settings)
        message, table, log = self.save_names([*(rows or []), [variant, canonical, 0]], request)
        return message, "", "", table, log

    def save_names(self, rows, request: gr.Request):
        try:
            message, outcome = save_issuer_table(self.settings, [list(r) for r in rows or []], _user(request)), "ok"
        except ReasonError as exc:
            message, outcome = exc.reason, "failed"
        audit.record(self.settings, "metadata", "发布单位名称对照", outcome, message, request=request)
        return message, issuer_table(self.settings), edit_log(self.settings)


@dataclass
class MetaEditor:
    """The editor's components that other events refresh."""

    handlers: MetaHandlers
    outputs: list  # [document choice, issuer table, log], for handlers.refresh
    document: gr.Dropdown
    changes: list  # the events that change metadata (for the caller to chain its refresh)


def metadata_editor(settings: Settings) -> MetaEditor:
    """The editor, built inside the caller's Blocks (in the 文档管理 tab)."""
    on = MetaHandlers(settings)
    with gr.Accordion("修改文档信息：标题、发布单位、日期、文号、类型、有效性", open=True, elem_id="meta-editor"):
        gr.Markdown("修改只保存在索引旁的修改记录中，不改动原文件，重新导入后依然有效；"
                    "问答页的筛选和来源即刻采用新信息。每次修改都记录修改人和时间（见下方“修改记录”）。")
        document = gr.Dropdown(label="选择文档", choices=[], elem_id="meta-doc")
        with gr.Row():
            title = gr.Textbox(label="标题", elem_id="meta-title", scale=3)
            issuer = gr.Textbox(label="发布单位", elem_id="meta-issuer", scale=2)
        with gr.Row():
            date = gr.Textbox(label="日期（如 2025-04-09，或只写年份）", elem_id="meta-date")
            number = gr.Textbox(label="文号（如 慈科〔2023〕3号）", elem_id="meta-number")
            doc_type = gr.Dropdown(label="类型", choices=list(DOC_TYPES), allow_custom_value=True, elem_id="meta-type")
        validity = gr.Radio(label="有效性", choices=VALIDITY_CHOICES, value=NOT_STATED, elem_id="meta-validity")
        original = gr.Markdown(elem_id="meta-original")
        with gr.Row():
            save = gr.Button("保存修改", variant="primary", elem_id="meta-save")
            revert = gr.Button("恢复文件原值", elem_id="meta-revert")
        result = gr.Textbox(label="修改结果", interactive=False, lines=2, elem_id="meta-result")
    with gr.Accordion("发布单位名称对照", open=False, elem_id="issuer-names"):
        gr.Markdown("同一单位的不同写法统一为规范名称，问答页“发布单位”筛选只列规范名称，按规范名称筛选不会漏掉任何文件。"
                    "可直接改“规范名称”一列后点“保存对照表”；清空某行的规范名称表示按原文写法。")
        names = gr.Dataframe(headers=ISSUER_COLUMNS, interactive=True, static_columns=[0, 2], type="array",
                             wrap=True, elem_id="issuer-table", column_widths=["40%", "45%", "15%"])
        with gr.Row():
            variant = gr.Textbox(label="新增写法（如：市科技局）", elem_id="alias-variant")
            canonical = gr.Textbox(label="对应的规范名称（如：慈溪市科学技术局）", elem_id="alias-canonical")
            add = gr.Button("添加对照", elem_id="alias-add")
        save_names = gr.Button("保存对照表", elem_id="alias-save")
        names_result = gr.Textbox(label="保存结果", interactive=False, elem_id="alias-result")
    with gr.Accordion("修改记录", open=False, elem_id="meta-log-box"):
        log = gr.Dataframe(headers=LOG_COLUMNS, interactive=False, wrap=True, elem_id="meta-log",
                           column_widths=["14%", "10%", "26%", "12%", "19%", "19%"])

    fields = [title, issuer, date, number, doc_type, validity, original]
    document.change(on.load, [document], [*fields, result], **_PRIVATE)
    after = [*fields, result, names, log]
    changes = [
        save.click(on.save, [document, *fields[:-1]], after, **_PRIVATE),
        revert.click(on.revert, [document], after, **_PRIVATE),
        add.click(on.add_name, [variant, canonical, names], [names_result, variant, canonical, names, log], **_PRIVATE),
        save_names.click(on.save_names, [names], [names_result, names, log], **_PRIVATE),
    ]
    return MetaEditor(on, [document, names, log], document, changes)


def _user(request: gr.Request | None) -> str:
    return (getattr(request, "username", None) or "未登录").strip()
