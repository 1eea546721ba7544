"""The agents' 操作记录 tab: the audit log, filtered by agent, action and
dates, newest first, and exported as CSV (exactly the rows filtered)."""
from __future__ import annotations

import os
import tempfile
from typing import Any

import gradio as gr

from .audit import ACTIONS, COLUMNS, AuditError, csv_text, day_start, open_log
from .config import Settings

ANY = "不限"
SHOWN = 1000  # rows on the page; the export has them all
_PRIVATE: dict[str, Any] = {"api_visibility": "private"}


class AuditHandlers:
    def __init__(self, settings: Settings):
        self.settings = settings

    def show(self, agent, action, since, until):
        """The filtered rows, the agent choices, and a line saying how many."""
        log = open_log(self.settings)
        agents = gr.update(choices=[ANY, *log.agents()])
        try:
            events = self._events(agent, action, since, until)
        except AuditError as exc:
            return [], agents, exc.reason
        note = f"共 {len(events)} 条" + (f"，下表显示最新的 {SHOWN} 条；导出 CSV 包含全部" if len(events) > SHOWN else "")
        return [e.row() for e in events[:SHOWN]], agents, note

    def export(self, agent, action, since, until):
        try:
            events = self._events(agent, action, since, until)
        except AuditError as exc:
            return gr.update(value=None, visible=False), exc.reason
        folder = tempfile.mkdtemp(prefix="audit-")
        path = os.path.join(folder, "操作记录.csv")
        with open(path, "w", encoding="utf-8", newline="") as out:
            out.write(csv_text(events))
        return gr.update(value=path, visible=True), f"已导出 {len(events)} 条操作记录。"

    def _events(self, agent, action, since, until):
        code = next((k for k, v in ACTIONS.items() if v == action), "")
        start = day_start(since) if (since or "").strip() else None
        end = _day_end(until) if (until or "").strip() else None
        return open_log(self.settings).events(agent="" if agent in (None, ANY) else agent, action=code,
                                              since=start, until=end, newest_first=True)


def _day_end(text: str) -> float:
    """The end of a day given as YYYY-MM-DD (the day is included), or of
    the minute given as YYYY-MM-DD HH:MM."""
    text = text.strip()
    return day_start(text) + (86400 if len(text) <= 10 else 60)


def audit_tab(settings: Settings, page: gr.Blocks) -> None:
    """The tab's content, built inside the caller's gr.Tab."""
    on = AuditHandlers(settings)
    gr.Markdown("每次登录（成功、失败、因锁定被拒）、上传、删除、修改文档信息、核实答复的改动和账号管理都记录在此："
                "谁、何时、从哪个网络地址、做了什么、结果如何。记录只增不改。")
    with gr.Row():
        agent = gr.Dropdown(label="操作人", choices=[ANY], value=ANY, allow_custom_value=True, elem_id="audit-agent")
        action = gr.Dropdown(label="操作", choices=[ANY, *ACTIONS.values()], value=ANY, elem_id="audit-action")
        since = gr.Textbox(label="起始日期（如 2026-01-05）", elem_id="audit-since")
        until = gr.Textbox(label="截止日期（含当天）", elem_id="audit-until")
    with gr.Row():
        query = gr.Button("查询", variant="primary", elem_id="audit-query")
        export = gr.Button("导出 CSV", elem_id="audit-export")
    note = gr.Markdown(elem_id="audit-note")
    table = gr.Dataframe(headers=COLUMNS, interactive=False, wrap=True, elem_id="audit-table",
                         column_widths=["14%", "10%", "11%", "10%", "20%", "7%", "28%"])
    download = gr.File(label="操作记录 CSV", visible=False, interactive=False, elem_id="audit-file")
    filters = [agent, action, since, until]
    query.click(on.show, filters, [table, agent, note], **_PRIVATE)
    export.click(on.export, filters, [download, note], **_PRIVATE)
    page.load(on.show, filters, [table, agent, note], **_PRIVATE)
