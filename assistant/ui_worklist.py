"""The agents' 待解决问题 tab: the worklist, answering an item with
checked citations, its history, and sharing verified answers as JSONL.

Each save names the version the agent opened; if another agent saved in
between, the save is refused, the newer version is loaded, and what the
agent typed stays in a box below so nothing is lost (verified.py). The
logged-in agent (``gr.Request.username``) is who a change is by, and the
assignee of an item nobody has taken yet.
"""
from __future__ import annotations

import csv
import html
import io
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from . import audit
from .config import Settings
from .credentials import agent_names
from .errors import ReasonError
from .feedback import FeedbackLog
from .manifest import Manifest
from .ui_confirm import export_note
from .verification import check_quote, export_jsonl, import_jsonl, keep_in_step, open_book, recheck, sync_chat
from .verified import (
    AGENT,
    FIELD_NAMES,
    NO_BASIS,
    ORIGIN_NAMES,
    ConflictError,
    Edit,
    Item,
    Quote,
)
from .worklist import CHOOSABLE, OPEN, due_label, is_overdue, order_key

WORKLIST_COLUMNS = ["编号", "时间", "问题", "原因", "用户意见", "状态", "承办人", "办理期限", "提问次数"]
CSV_COLUMNS = ["时间", "问题", "原因", "用户意见", "状态", "承办人", "办理期限", "答复"]
CITATION_COLUMNS = ["序号", "文件", "引文", "位置"]
HISTORY_COLUMNS = ["时间", "操作人", "操作", "变更"]
PRIVATE: dict[str, Any] = {"api_visibility": "private"}


@dataclass
class Row:
    item: Item
    when: float
    reason: str
    comment: str

    def cells(self) -> list:
        status = self.item.status + ("（已逾期）" if is_overdue(self.item.status, self.item.due) else "")
        return [self.item.id, _clock(self.when), self.item.question, self.reason, self.comment, status,
                self.item.assignee, due_label(self.item.status, self.item.due), self.item.asked]


class WorklistHandlers:
    def __init__(self, settings: Settings, log: FeedbackLog):
        self.settings, self.log = settings, log
        self.book = open_book(settings)

    # --- the list ---------------------------------------------------------------------

    def rows(self) -> list[Row]:
        """Every item but those generated from official replies (unless a
        user sent one back): overdue first, then open, then closed, newest
        first within each."""
        sync_chat(self.book, self.log)
        keep_in_step(self.settings, self.book)
        out = []
        for item in self.book.items():
            reports = self.book.reports(item.id)
            last = reports[-1] if reports else None
            reason = last.reason if last else ORIGIN_NAMES.get(item.origin, "")
            comments = "；".join(r.comment for r in reports if r.comment)
            out.append(Row(item, last.ts if last else item.opened, reason, comments))
        return sorted(out, key=lambda r: order_key(r.item.status, r.item.due, r.when))

    def refresh(self, current: str | None = None):
        """The table, the item choices (keeping the chosen item chosen) and the CSV."""
        rows = self.rows()
        labels = {r.item.id: _label(r.item) for r in rows}
        value = labels.get(_item_id(current)) if current else None
        return [r.cells() for r in rows], gr.update(choices=list(labels.values()), value=value), self._csv(rows)

    def _csv(self, rows: list[Row]) -> str:
        out = io.StringIO()
        out.write("\ufeff")  # so that Excel reads the Chinese
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for r in rows:
            writer.writerow([_clock(r.when), r.item.question, r.reason, r.comment, r.item.status, r.item.assignee,
                             r.item.due, r.item.answer])
        return _temp_file("待解决问题.csv", out.getvalue())

    def create(self, question: str, request: gr.Request):
        """An agent puts a question on the worklist themselves."""
        try:
            item = self.book.add(question, AGENT, _who(request))
        except ReasonError as exc:
            audit.record(self.settings, "verified", f"新建问题：{question or ''}", "failed", exc.reason, request=request)
            return exc.reason, gr.skip(), gr.skip(), gr.skip(), gr.skip()
        audit.record(self.settings, "verified", f"#{item.id} {item.question}", "ok", "新建问题", request=request)
        return f"已新建问题 #{item.id}。", "", *self.refresh(_label(item))

    def picked(self, event: gr.SelectData):
        """A click on a worklist row chooses that item."""
        try:
            return _label(self.book.get(int(event.row_value[0])))
        except (ReasonError, TypeError, ValueError, IndexError):
            return gr.skip()

    # --- one item ---------------------------------------------------------------------

    def load(self, choice: str | None, request: gr.Request):
        """The item's fields, its history and where it came from."""
        if not choice:
            return self._blank()
        try:
            item = self.book.get(_item_id(choice))
        except ReasonError as exc:
            return self._blank(exc.reason)
        return self._show(item, _who(request))

    def _show(self, item: Item, who: str, message: str = "", draft: str = ""):
        cites = [q.__dict__ for q in item.citations]
        return (
            {"id": item.id, "version": item.version},
            self._info(item),
            gr.update(value=item.status if item.status in CHOOSABLE else None),
            gr.update(value=item.assignee or who, choices=self._agents(item.assignee or who)),
            item.answer,
            "\n".join(item.paraphrases),
            cites,
            _citation_rows(cites),
            item.no_basis,
            item.contact,
            item.transfer_to,
            item.decline_reason,
            message,
            gr.update(value=draft, visible=bool(draft)),
            [[_clock(h.ts), h.who, h.action, h.line()] for h in self.book.history(item.id)],
            gr.update(choices=self._sources()),
        )

    def _blank(self, message: str = ""):
        return (None, "请先在上方选择一个问题。", gr.update(value=None), gr.update(value=None), "", "", [], [], False,
                "", "", "", message, gr.update(value="", visible=False), [], gr.update(choices=self._sources()))

    def _info(self, item: Item) -> str:
        lines = [f"**#{item.id} {html.escape(item.question)}**",
                 f"状态：{item.status}　来源：{ORIGIN_NAMES.get(item.origin, item.origin)}　提问次数：{item.asked}"
                 f"　第 {item.version} 版"]
        if item.status in OPEN and item.due:
            overdue = "，**已逾期**" if is_overdue(item.status, item.due) else ""
            lines.append(f"办理期限：{item.due}{overdue}")
        if item.review_reason:
            lines.append(f"复核原因：{html.escape(item.review_reason)}")
        if item.verified_by:
            lines.append(f"核实：{html.escape(item.verified_by)} · {item.verified_at}")
        for r in self.book.reports(item.id):
            note = f"：{html.escape(r.comment)}" if r.comment else ""
            lines.append(f"- {_clock(r.ts)} {r.reason}{note}")
        return "\n\n".join(lines)

    def _agents(self, current: str) -> list[str]:
        names = agent_names(self.settings)
        return names + ([current] if current and current not in names else [])

    def _sources(self) -> list[tuple[str, str]]:
        entries = Manifest.load(self.settings.manifest_path).entries.values()
        return [(f"{e.title or e.source}（{e.source}）", e.source)
                for e in sorted(entries, key=lambda e: e.source) if e.status == "ok"]

    # --- citations --------------------------------------------------------------------

    def add_citation(self, source: str | None, quote: str, cites: list[dict]):
        try:
            checked = check_quote(self.settings, source or "", quote)
        except ReasonError as exc:
            return exc.reason, gr.skip(), cites, _citation_rows(cites)
        cites = [*cites, checked.__dict__]
        return f"已添加引文 {len(cites)}：已在原文中核对到。", "", cites, _citation_rows(cites)

    def remove_citation(self, number, cites: list[dict]):
        index = int(number or 0) - 1
        if not 0 <= index < len(cites):
            return "请填写要移除的引文序号。", cites, _citation_rows(cites)
        cites = cites[:index] + cites[index + 1 :]
        return f"已移除引文 {index + 1}（保存后生效）。", cites, _citation_rows(cites)

    # --- saving -----------------------------------------------------------------------

    def save(self, state: dict | None, status, assignee, answer, paraphrases, cites, no_basis, contact, transfer,
             decline, request: gr.Request):
        who = _who(request)
        if not state:
            return self._blank("请先在上方选择一个问题。")
        edit = Edit(status or "", assignee or who, answer or "", (paraphrases or "").splitlines(),
                    [Quote(**c) for c in cites or []], bool(no_basis), contact or "", transfer or "", decline or "")
        try:
            if edit.status == "已答复":
                edit.citations = recheck(self.settings, edit.citations)  # a document may have changed meanwhile
            item = self.book.save(state["id"], edit, who, state["version"])
        except ConflictError as exc:
            audit.record(self.settings, "verified", f"#{state['id']}", "refused", exc.reason, request=request)
            return self._show(exc.current, who, exc.reason, _draft(edit))
        except ReasonError as exc:
            audit.record(self.settings, "verified", f"#{state['id']}", "failed", exc.reason, request=request)
            return (gr.skip(),) * 12 + (f"未保存：{exc.reason}",) + (gr.skip(),) * 3
        audit.record(self.settings, "verified", f"#{item.id} {item.question}", "ok",
                     f"保存第 {item.version} 版，状态：{item.status}", request=request)
        return self._show(item, who, f"已保存（第 {item.version} 版）。")

    # --- sharing ----------------------------------------------------------------------

    def export(self) -> str:
        return _temp_file("核实答复.jsonl", export_jsonl(self.book))

    def import_file(self, path, request: gr.Request):
        if not path:
            return "请先选择要导入的核实答复文件。"
        name = Path(path).name
        try:
            report = import_jsonl(self.settings, self.book, Path(path), _who(request))
        except ReasonError as exc:
            audit.record(self.settings, "verified", f"导入 {name}", "failed", exc.reason, request=request)
            return exc.reason
        audit.record(self.settings, "verified", f"导入 {name}", "ok", report.summary(), request=request)
        return report.summary()


def worklist_tab(settings: Settings, log: FeedbackLog, page: gr.Blocks):
    """The tab's components and events, inside ``page``; returns the
    refresh event's function and outputs, for the document tab to chain."""
    on = WorklistHandlers(settings, log)
    gr.Markdown(
        "企业提问中**未找到答案**或被标记为**没用**的问题，以及核实答复被撤回待复核的问题；已逾期的在最前。"
        f"选择一个问题后填写答复并附上引文（从文件原文中复制的一段话，保存时核对），或标记“{NO_BASIS}”并填写联系人。"
        "状态为“已答复”的答复会在问答页优先回答相同或相近的问题。"
    )
    work = gr.Dataframe(headers=WORKLIST_COLUMNS, interactive=False, wrap=True, elem_id="worklist",
                        column_widths=["6%", "11%", "25%", "10%", "14%", "10%", "8%", "10%", "6%"])
    with gr.Row():
        refresh = gr.Button("刷新", elem_id="worklist-refresh")
        export_csv = gr.DownloadButton("导出 CSV", elem_id="worklist-export")
    export_result = gr.Markdown(elem_id="export-note")
    with gr.Row():
        new_question = gr.Textbox(label="新建问题（可选）", elem_id="new-question", scale=5)
        new = gr.Button("新建", elem_id="new-btn", scale=1)
    gr.Markdown("### 处理问题")
    choice = gr.Dropdown(label="选择问题", choices=[], elem_id="item-choice")
    state, cites = gr.State(None), gr.State([])
    info = gr.Markdown(elem_id="item-info")
    with gr.Row():
        status = gr.Dropdown(label="状态", choices=list(CHOOSABLE), elem_id="item-status")
        assignee = gr.Dropdown(label="承办人", choices=[], allow_custom_value=True, elem_id="item-assignee")
    answer = gr.Textbox(label="答复内容", lines=5, elem_id="item-answer")
    paraphrases = gr.Textbox(label="同义问法（每行一条，可选）", lines=2, elem_id="item-paraphrases")
    with gr.Group():
        with gr.Row():
            source = gr.Dropdown(label="引用文件", choices=[], elem_id="cite-source", scale=2)
            quote = gr.Textbox(label="引文（从原文中复制）", lines=2, elem_id="cite-quote", scale=3)
            add = gr.Button("添加引文", elem_id="cite-add", scale=1)
        cited = gr.Dataframe(headers=CITATION_COLUMNS, interactive=False, wrap=True, elem_id="item-citations",
                             column_widths=["8%", "27%", "50%", "15%"])
        with gr.Row():
            remove_n = gr.Number(label="移除第几条引文", precision=0, elem_id="cite-remove-n", scale=1)
            remove = gr.Button("移除引文", elem_id="cite-remove", scale=1)
    with gr.Row():
        no_basis = gr.Checkbox(label=NO_BASIS, elem_id="item-nobasis")
        contact = gr.Textbox(label="联系人（人工答复必填）", elem_id="item-contact")
    with gr.Row():
        transfer = gr.Textbox(label="转办单位（已转办时必填）", elem_id="item-transfer")
        decline = gr.Textbox(label="不予答复理由（不予答复时必填）", elem_id="item-decline")
    save = gr.Button("保存", variant="primary", elem_id="item-save")
    result = gr.Textbox(label="处理结果", interactive=False, elem_id="item-result")
    draft = gr.Textbox(label="您未保存的内容", interactive=False, visible=False, lines=4, elem_id="item-draft")
    history = gr.Dataframe(headers=HISTORY_COLUMNS, interactive=False, wrap=True, elem_id="item-history",
                           label="修改记录", column_widths=["16%", "10%", "12%", "62%"])
    gr.Markdown("### 共享核实答复\n导出的核实答复文件可由其他服务站导入；导入时逐条核对引文，未通过的转为待复核。")
    with gr.Row():
        export_jsonl_btn = gr.DownloadButton("导出核实答复文件", elem_id="verified-export")
        upload = gr.File(label="导入核实答复文件", file_types=[".jsonl", ".json", ".txt"], elem_id="verified-import-file")
        import_btn = gr.Button("导入", elem_id="verified-import")
    imported = gr.Textbox(label="导入结果", interactive=False, lines=3, elem_id="verified-import-result")

    item_outputs = [state, info, status, assignee, answer, paraphrases, cites, cited, no_basis, contact, transfer,
                    decline, result, draft, history, source]
    list_outputs = [work, choice, export_csv]
    refresh.click(on.refresh, [choice], list_outputs, **PRIVATE)
    page.load(on.refresh, [choice], list_outputs, **PRIVATE)
    new.click(on.create, [new_question], [result, new_question, *list_outputs], **PRIVATE).then(
        on.load, [choice], item_outputs, **PRIVATE)
    # Loaded on the agent's choice only: a refresh relabels the choice and must not reload the form.
    choice.input(on.load, [choice], item_outputs, **PRIVATE)
    work.select(on.picked, None, [choice], **PRIVATE).then(on.load, [choice], item_outputs, **PRIVATE)
    add.click(on.add_citation, [source, quote, cites], [result, quote, cites, cited], **PRIVATE)
    remove.click(on.remove_citation, [remove_n, cites], [result, cites, cited], **PRIVATE)
    save.click(
        on.save, [state, status, assignee, answer, paraphrases, cites, no_basis, contact, transfer, decline],
        item_outputs, **PRIVATE,
    ).then(on.refresh, [choice], list_outputs, **PRIVATE)
    export_csv.click(export_note, [export_csv], [export_result], **PRIVATE)
    export_jsonl_btn.click(on.export, outputs=[export_jsonl_btn], **PRIVATE)
    import_btn.click(on.import_file, [upload], [imported], **PRIVATE).then(on.refresh, [choice], list_outputs, **PRIVATE)
    page.load(on.export, outputs=[export_jsonl_btn], **PRIVATE)  # so the first click downloads
    return on.refresh, [choice], list_outputs


def _label(item: Item) -> str:
    question = item.question if len(item.question) <= 40 else item.question[:40] + "…"
    return f"#{item.id} · {item.status} · {question}"


def _item_id(choice: str) -> int:
    return int(choice.split(" ", 1)[0].lstrip("#"))


def _citation_rows(cites: list[dict]) -> list[list]:
    return [[i, c["title"] or c["source"], c["quote"], f"{c['start']}–{c['end']}"] for i, c in enumerate(cites, 1)]


def _draft(edit: Edit) -> str:
    """What an agent typed, kept when their save was refused."""
    parts = [f"{FIELD_NAMES['status']}：{edit.status}", f"{FIELD_NAMES['answer']}：{edit.answer}"]
    if edit.paraphrases:
        parts.append(f"{FIELD_NAMES['paraphrases']}：" + "；".join(edit.paraphrases))
    parts += [f"引文：{q.quote}（{q.source}）" for q in edit.citations]
    for name in ("contact", "transfer_to", "decline_reason"):
        if getattr(edit, name):
            parts.append(f"{FIELD_NAMES[name]}：{getattr(edit, name)}")
    return "\n".join(parts)


def _who(request: gr.Request | None) -> str:
    return (getattr(request, "username", None) or "服务联盟").strip()


def _clock(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def _temp_file(name: str, text: str) -> str:
    """Write ``text`` where a DownloadButton can serve it (atomically, so two
    agents never get half a file)."""
    folder = Path(tempfile.gettempdir()) / "cixi-policy-assistant"
    folder.mkdir(exist_ok=True)
    path, tmp = folder / name, folder / f".{name}-{os.getpid()}-{threading.get_ident()}"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return str(path)

