"""The public 政策清单 and 政策匹配 tabs, and the /items and /match API.

政策清单: every support item in a searchable table (category, beneficiary,
issuer, year; current items only by default), each row with its amount or
cap, conditions, version status and 查看原文 on the quoted clause; Excel
(openpyxl) and CSV exports of exactly what the table shows.

政策匹配: a short profile form (which a free-text description can fill, by
rules, for the user to check), results grouped 符合 / 可能符合（需补充：…） /
不符合 with each condition's verdict and the words it rests on, estimates
with their arithmetic; the profile is kept in the browser (localStorage)
and can be exported, the results too (Excel).

Every piece of document text or user input is escaped before display.
"""
from __future__ import annotations

import csv
import html
import io
import json
import logging
import re
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote as url_quote

import gradio as gr

from .config import Settings
from .item_store import BENEFICIARIES, KINDS, SupportItem, benefit_text
from .matcher import (
    GROUPS,
    INDUSTRIES,
    LABELS,
    QUALIFICATIONS,
    RD_LEVELS,
    TALENTS,
    TOWNS,
    MatchReport,
    ProfileError,
    Result,
    match,
    parse_description,
    parse_profile,
)
from .versions import Catalog, item_json, load_catalog

logger = logging.getLogger(__name__)

ANY = "不限"
UNSURE = "不确定"
NONE_OF_THESE = "以上都没有"
NONE_OF_THESE_LIST = [NONE_OF_THESE]
ITEM_COLUMNS = [
    "标题", "扶持对象", "类别", "金额/比例/上限", "金额（元）", "比例", "每单位金额", "上限（元）", "条件", "责任单位",
    "文件", "发布单位", "日期", "状态", "版本变化", "不完整", "原文", "来源文件", "条款编号",
]
MATCH_COLUMNS = ["结果", "需补充", "标题", "文件", "日期", "估算金额（元）", "估算过程", "条件判断", "原文", "来源文件", "条款编号"]
NUMBER_FIELDS = [
    ("revenue_wan", "当年度营业收入（万元）", "例如 20000（即2亿元）"),
    ("revenue_growth_pct", "当年度营收增速（%）", "例如 12"),
    ("prev_growth_pct", "上年度营收增速（%）", "用于判断近两年平均增长率是否为正"),
    ("rd_spending_wan", "研发投入（万元）", ""),
    ("equipment_wan", "技改项目设备投入（万元）", ""),
    ("first_version_products", "当年度新列入宁波市软件首版次目录的产品数", ""),
]
FORM_KEYS = [
    "name", "industry", "above_scale", "qualifications", "rd_institution", *[k for k, _, _ in NUMBER_FIELDS],
    "avg_growth_positive", "talents", "town",
]
CSS = """
.policy-table { width: 100%; border-collapse: collapse; font-size: .92em; }
.policy-table th, .policy-table td { border-bottom: 1px solid #e5e7eb; padding: .4rem .5rem; vertical-align: top; text-align: left; }
.policy-table th { background: #f9fafb; white-space: nowrap; }
.policy-table .quote { color: #374151; max-width: 28rem; }
.tag { display: inline-block; font-size: .8em; padding: 0 .4rem; border-radius: .3rem; margin: .1rem .2rem .1rem 0; }
.tag.current { background: #ecfdf5; color: #047857; border: 1px solid #6ee7b7; }
.tag.superseded, .tag.expired { background: #f3f4f6; color: #4b5563; border: 1px solid #d1d5db; }
.tag.cut { background: #fff7ed; color: #c2410c; border: 1px solid #fdba74; }
.match-group h3 { margin: 1rem 0 .4rem; }
.match-card { border-left: 3px solid #3b82f6; padding: .3rem .8rem; margin: .5rem 0 1rem; }
.match-card.no { border-left-color: #d1d5db; }
.match-card.maybe { border-left-color: #f59e0b; }
.match-card .estimate { font-weight: bold; color: #065f46; }
.match-card ul { margin: .3rem 0; padding-left: 1.2rem; }
.match-card li.met::marker { content: "✓ "; color: #047857; }
.match-card li.not_met::marker { content: "✗ "; color: #b91c1c; }
.match-card li.unknown::marker { content: "？ "; color: #b45309; }
.field-error p { color: #b91c1c; margin: 0; font-size: .9em; }
"""
_EXPORT_ROOT = Path(tempfile.gettempdir()) / "cixi-policy-assistant" / "exports"


def esc(text: Any) -> str:
    return html.escape(str(text or ""), quote=True)


def source_link(item: SupportItem) -> str:
    return f"/source?doc={url_quote(item.source)}&start={item.start}&end={item.end}#hl"


def status_text(item: SupportItem) -> str:
    if item.status == "superseded" and item.superseded_by:
        return f"已被《{item.superseded_by['title']}》替代"
    return {"current": "现行", "expired": "已失效"}.get(item.status, item.status)


def changes_text(item: SupportItem) -> str:
    return "；".join(f"{c['field']} {c['old']} → {c['new']}" for c in item.changes)


# --- 政策清单 -------------------------------------------------------------------------------------------


def filter_items(
    catalog: Catalog, query: str = "", current_only: bool = True, kind: str = "", beneficiary: str = "",
    issuer: str = "", year: int | str | None = None,
) -> list[SupportItem]:
    """Items matching every filter; the query's words must all appear
    (title, clause, conditions, document, issuer; spaces ignored)."""
    words = [w for w in re.split(r"\s+", (query or "").strip()) if w]
    chosen = []
    for item in catalog.current if current_only else catalog.items:
        if kind not in ("", ANY, None) and item.benefit.kind != kind:
            continue
        if beneficiary not in ("", ANY, None) and item.beneficiary != beneficiary:
            continue
        if issuer not in ("", ANY, None) and item.doc.issuer != issuer:
            continue
        if year not in ("", ANY, None, 0) and str(item.doc.year) != str(year):
            continue
        haystack = re.sub(r"\s+", "", " ".join(
            [item.title, item.quote, item.section, item.doc.name, item.doc.issuer, *[c.text for c in item.conditions]]
        ))
        if all(re.sub(r"\s+", "", w) in haystack for w in words):
            chosen.append(item)
    return sorted(chosen, key=lambda i: (i.status == "current", i.doc.date, -i.seq), reverse=True)


def items_table_html(items: list[SupportItem]) -> str:
    if not items:
        return '<p class="empty">没有符合筛选条件的扶持条款。</p>'
    rows = []
    for item in items:
        tags = f'<span class="tag {esc(item.status)}">{esc(status_text(item))}</span>'
        if item.incomplete:
            tags += '<span class="tag cut">不完整：节选在此截断</span>'
        if item.changes:
            tags += f"<br><small>与现行版相比：{esc(changes_text(item))}</small>"
        conditions = "<br>".join(f"· {esc(c.text)}" for c in item.conditions) or "（原文未列条件）"
        rows.append(
            "<tr>"
            f"<td><b>{esc(item.title or '（无标题）')}</b><br><small>{esc(item.section)}</small></td>"
            f"<td>{esc(item.beneficiary)}</td><td>{esc(item.benefit.kind or '不详')}</td>"
            f"<td>{esc(benefit_text(item.benefit) or '原文未列金额')}</td><td>{conditions}</td>"
            f"<td>{esc(item.doc.issuer)}<br>{esc(item.doc.date)}<br><small>《{esc(item.doc.name)}》</small></td>"
            f"<td>{tags}</td>"
            f'<td class="quote">{esc(item.quote.strip())}<br><a class="item-source" href="{esc(source_link(item))}" '
            f'target="_blank" rel="noopener">查看原文</a></td>'
            "</tr>"
        )
    head = "".join(f"<th>{h}</th>" for h in ("条款", "扶持对象", "类别", "金额/上限", "条件", "发布单位", "状态", "原文"))
    return f'<table class="policy-table" id="items-rows"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def item_row(item: SupportItem) -> list[Any]:
    b = item.benefit
    per_unit = ""
    if b.per_unit:
        step = f"{b.per_unit.step:g}{'元' if b.per_unit.step_unit == '元' else '个百分点'}"
        per_unit = f"每{step} {b.per_unit.yuan:g}元"
    return [
        item.title, item.beneficiary, b.kind or "", benefit_text(b), b.amount_yuan, b.rate, per_unit, b.cap_yuan,
        "；".join(c.text for c in item.conditions), item.responsible_unit or "", item.doc.name, item.doc.issuer,
        item.doc.date, status_text(item), changes_text(item), "是" if item.incomplete else "", item.quote.strip(),
        item.source, item.id,
    ]


def write_exports(name: str, columns: list[str], rows: list[list[Any]]) -> tuple[str, str]:
    """(xlsx path, csv path) holding ``rows``, each in a folder of its own
    (Gradio copies a file when it is returned; old folders are pruned)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    folder = _export_folder()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = name[:31]
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(v) for v in row])
    for column in sheet.columns:
        width = min(60, max(len(str(c.value or "")) for c in column) + 2)
        sheet.column_dimensions[column[0].column_letter].width = max(8, width)
        for cell in column[1:]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    xlsx = folder / f"{name}.xlsx"
    workbook.save(xlsx)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows([["" if v is None else _cell(v) for v in row] for row in rows])
    path = folder / f"{name}.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8-sig")
    return str(xlsx), str(path)


def _cell(value: Any) -> Any:
    """Spreadsheet-safe: text that a spreadsheet would run as a formula is
    prefixed with an apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _export_folder() -> Path:
    _EXPORT_ROOT.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - 3600
    for old in _EXPORT_ROOT.iterdir():
        try:
            if old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue
    folder = _EXPORT_ROOT / uuid.uuid4().hex
    folder.mkdir()
    return folder


class ItemsTab:
    def __init__(self, settings: Settings):
        self.settings = settings

    def choices(self):
        catalog = load_catalog(self.settings)
        issuers = sorted({i.doc.issuer for i in catalog.items if i.doc.issuer})
        years = sorted({str(i.doc.year) for i in catalog.items if i.doc.year}, reverse=True)
        return gr.update(choices=[ANY, *issuers], value=ANY), gr.update(choices=[ANY, *years], value=ANY)

    def show(self, query, current_only, kind, beneficiary, issuer, year):
        try:
            items = filter_items(load_catalog(self.settings), query, bool(current_only), kind, beneficiary, issuer, year)
            xlsx, path = write_exports("政策清单", ITEM_COLUMNS, [item_row(i) for i in items])
        except Exception:  # the page keeps working whatever happens
            logger.exception("item list failed")
            return "<p>条款清单暂时无法显示，请稍后再试。</p>", "", None, None
        note = f"共 {len(items)} 条" + ("（仅现行条款；取消勾选可查看已被替代的旧版条款）" if current_only else "")
        return items_table_html(items), note, xlsx, path

    def load(self):
        issuer, year = self.choices()
        return (issuer, year, *self.show("", True, ANY, ANY, ANY, ANY))


def items_tab(settings: Settings, page: gr.Blocks) -> None:
    on = ItemsTab(settings)
    gr.Markdown("全部扶持条款，逐条摘自政策原文；默认只显示现行条款，旧版条款注明被哪份文件替代及变化。")
    with gr.Row():
        query = gr.Textbox(label="搜索", placeholder="例如：数字经济、软件、技改、人才", elem_id="items-search", scale=3)
        current = gr.Checkbox(label="仅显示现行条款", value=True, elem_id="items-current", scale=1)
    with gr.Row():
        kind = gr.Dropdown(label="类别", choices=[ANY, *KINDS], value=ANY, elem_id="items-kind")
        beneficiary = gr.Dropdown(label="扶持对象", choices=[ANY, *BENEFICIARIES], value=ANY, elem_id="items-beneficiary")
        issuer = gr.Dropdown(label="发布单位", choices=[ANY], value=ANY, elem_id="items-issuer")
        year = gr.Dropdown(label="年份", choices=[ANY], value=ANY, elem_id="items-year")
    with gr.Row():
        count = gr.Markdown(elem_id="items-count")
        xlsx = gr.DownloadButton("导出 Excel", elem_id="items-xlsx", size="sm")
        csv_file = gr.DownloadButton("导出 CSV", elem_id="items-csv", size="sm")
    table = gr.HTML(elem_id="items-table")
    private: dict[str, Any] = {"api_visibility": "private"}
    filters = [query, current, kind, beneficiary, issuer, year]
    outputs = [table, count, xlsx, csv_file]
    query.submit(on.show, filters, outputs, **private)
    for control in (current, kind, beneficiary, issuer, year):
        control.change(on.show, filters, outputs, **private)
    gr.Button("搜索", elem_id="items-go", size="sm").click(on.show, filters, outputs, **private)
    page.load(on.load, outputs=[issuer, year, *outputs], **private)


# --- 政策匹配 -------------------------------------------------------------------------------------------


def form_to_profile(values: dict[str, Any]) -> dict[str, Any]:
    """Form widgets → profile JSON: 不确定 and empty choices are blank (never
    “none”); 以上都没有 is an explicit empty list."""
    data: dict[str, Any] = {}
    for key, value in values.items():
        if key in ("qualifications", "talents"):
            chosen = [v for v in (value or []) if v != NONE_OF_THESE]
            if chosen or NONE_OF_THESE in (value or []):
                data[key] = chosen
        elif key in ("above_scale", "avg_growth_positive"):
            if value in ("是", "否"):
                data[key] = value == "是"
        elif value not in (None, "", UNSURE):
            data[key] = value
    return data


def profile_to_form(data: dict[str, Any] | None) -> list[Any]:
    """Profile JSON → widget values, in FORM_KEYS order."""
    data = data or {}
    values: list[Any] = []
    for key in FORM_KEYS:
        value = data.get(key)
        if key in ("qualifications", "talents"):
            values.append(NONE_OF_THESE_LIST if value == [] else list(value or []))
        elif key in ("above_scale", "avg_growth_positive"):
            values.append(UNSURE if value is None else ("是" if value else "否"))
        elif key in ("industry", "rd_institution", "town"):
            values.append(value or UNSURE)
        else:
            values.append("" if value is None else (f"{value:g}" if isinstance(value, float) else str(value)))
    return values


def results_html(report: MatchReport) -> str:
    parts = []
    for group, name in GROUPS.items():
        results = report.group(group)
        cards = "".join(_card(r) for r in results) or "<p>无</p>"
        body = f'<div class="match-group" id="group-{group}"><h3>{name}（{len(results)} 条）</h3>{cards}</div>'
        if group == "no":
            body = f'<details class="match-group" id="group-no"><summary>不符合（{len(results)} 条，点击展开）</summary>{cards}</details>'
        parts.append(body)
    lead = "<p>逐条比对现行扶持条款（规则匹配，仅供参考，以主管部门审核为准）。空白的项目不会导致“不符合”。</p>"
    return f'<div id="match-results">{lead}{"".join(parts)}</div>'


def _card(result: Result) -> str:
    item = result.item
    checks = "".join(
        f'<li class="{esc(c.status)}"><b>{_verdict(c.status)}</b> “{esc(c.text)}” <small>（{esc(c.reason)}）</small></li>'
        for c in result.checks
    )
    estimate = ""
    if result.estimate_yuan is not None:
        bound = "（条款为最高标准）" if result.upper_bound else ""
        estimate = f'<p class="estimate">估算金额{bound}：{esc(result.arithmetic)}</p>'
    cut = '<span class="tag cut">不完整：节选在此截断</span>' if item.incomplete else ""
    return (
        f'<div class="match-card {esc(result.group)}" data-item="{esc(item.id)}">'
        f"<p><b>{esc(result.label)}</b>：{esc(item.title or '（无标题）')} {cut}<br>"
        f"<small>《{esc(item.doc.name)}》 · {esc(item.doc.issuer)} · {esc(item.doc.date)} · {esc(benefit_text(item.benefit))}</small></p>"
        f"{estimate}<ul>{checks}</ul>"
        f'<blockquote>{esc(item.quote.strip())}</blockquote>'
        f'<a class="item-source" href="{esc(source_link(item))}" target="_blank" rel="noopener">查看原文</a></div>'
    )


def _verdict(status: str) -> str:
    return {"met": "满足", "not_met": "不满足", "unknown": "待补充"}[status]


def match_rows(report: MatchReport) -> list[list[Any]]:
    rows = []
    for r in report.results:
        item = r.item
        checks = "\n".join(f"{_verdict(c.status)}：{c.text}（{c.reason}）" for c in r.checks)
        rows.append([
            GROUPS[r.group], "、".join(r.missing), item.title, item.doc.name, item.doc.date, r.estimate_yuan,
            r.arithmetic, checks, item.quote.strip(), item.source, item.id,
        ])
    return rows


class MatchTab:
    def __init__(self, settings: Settings):
        self.settings = settings

    def fill(self, description: str):
        """Fill the form from a description; shows what was read."""
        found = parse_description(description or "")
        if not found:
            return [gr.skip()] * len(FORM_KEYS) + ["没有从描述中识别出企业信息，请直接填写下方表单。"]
        values = profile_to_form(found)
        updates = [value if key in found else gr.skip() for key, value in zip(FORM_KEYS, values)]
        read = "、".join(LABELS[k] for k in found)
        return updates + [f"已从描述中识别：{read}。请核对下方表单，有误可直接修改，再点“开始匹配”。"]

    def run(self, *values):
        data = form_to_profile(dict(zip(FORM_KEYS, values)))
        errors: dict[str, str] = {}
        try:
            profile = parse_profile(data)
        except ProfileError as exc:
            errors = exc.errors
        error_updates = [gr.update(value=f"⚠️ {errors[k]}" if k in errors else "", visible=k in errors)
                         for k, _, _ in NUMBER_FIELDS]
        if errors:
            message = "请先修改标红的项目：" + "；".join(f"{LABELS.get(k, k)}：{v}" for k, v in errors.items())
            return [f'<p id="match-error">{esc(message)}</p>', None, None, gr.skip(), *error_updates]
        try:
            report = match(profile, load_catalog(self.settings).current)
            xlsx, _ = write_exports("政策匹配结果", MATCH_COLUMNS, match_rows(report))
            clean = profile.filled()
            profile_file = _profile_file(clean)
        except Exception:
            logger.exception("matching failed")
            return ["<p>匹配暂时无法完成，请稍后再试。</p>", None, None, gr.skip(), *error_updates]
        return [results_html(report), xlsx, profile_file, clean, *error_updates]

    @staticmethod
    def restore(saved):
        return profile_to_form(saved if isinstance(saved, dict) else None)

    @staticmethod
    def clear():
        return [*profile_to_form(None), None, "", "<p>已清空，浏览器中保存的企业画像也已删除。</p>"]


def _profile_file(data: dict[str, Any]) -> str:
    path = _export_folder() / "企业画像.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return str(path)


def match_tab(settings: Settings, page: gr.Blocks, saved: gr.BrowserState) -> None:
    on = MatchTab(settings)
    gr.Markdown("填写企业情况（不清楚的可留空，留空不会导致“不符合”），逐条比对现行扶持条款并估算金额。企业画像保存在本浏览器中。")
    with gr.Row():
        description = gr.Textbox(
            label="用一句话描述企业（可选）", placeholder="例如：我们是规上数字经济制造业企业，营收2亿元，增长12%，上年增长8%",
            elem_id="m-desc", scale=5, lines=2,
        )
        parse = gr.Button("从描述填写表单", elem_id="m-parse", scale=1)
    parsed = gr.Markdown(elem_id="m-parse-note")
    with gr.Row():
        name = gr.Textbox(label="企业名称（可选）", elem_id="m-name")
        industry = gr.Dropdown(label="行业", choices=[UNSURE, *INDUSTRIES], value=UNSURE, elem_id="m-industry")
        scale = gr.Radio(label="是否规上企业", choices=["是", "否", UNSURE], value=UNSURE, elem_id="m-scale")
        town = gr.Dropdown(label="所在镇街道", choices=[UNSURE, *TOWNS], value=UNSURE, elem_id="m-town")
    qualifications = gr.CheckboxGroup(
        label="已有资质（不勾选表示未说明；都没有请勾“以上都没有”）", choices=[*QUALIFICATIONS, NONE_OF_THESE],
        elem_id="m-qualifications",
    )
    rd = gr.Dropdown(label="企业研发机构级别", choices=[UNSURE, *RD_LEVELS], value=UNSURE, elem_id="m-rd")
    numbers, errors = [], []
    for start in range(0, len(NUMBER_FIELDS), 3):
        with gr.Row():
            for key, label, hint in NUMBER_FIELDS[start:start + 3]:
                with gr.Column():
                    numbers.append(gr.Textbox(label=label, placeholder=hint, elem_id=f"m-{key}"))
                    errors.append(gr.Markdown(visible=False, elem_id=f"m-{key}-err", elem_classes=["field-error"]))
    avg = gr.Radio(label="近两年营收平均增长率是否为正（已填上年度增速可不选）", choices=["是", "否", UNSURE], value=UNSURE, elem_id="m-avg")
    talents = gr.CheckboxGroup(label="人才计划入选情况", choices=[*TALENTS, NONE_OF_THESE], elem_id="m-talents")
    form = [name, industry, scale, qualifications, rd, *numbers, avg, talents, town]
    with gr.Row():
        run = gr.Button("开始匹配", variant="primary", elem_id="m-run")
        clear = gr.Button("清空表单", elem_id="m-clear")
        xlsx = gr.DownloadButton("导出结果 Excel", elem_id="m-xlsx", size="sm")
        profile_file = gr.DownloadButton("导出企业画像 JSON", elem_id="m-profile", size="sm")
    results = gr.HTML(elem_id="m-results")
    private: dict[str, Any] = {"api_visibility": "private"}
    parse.click(on.fill, [description], [*form, parsed], **private)
    run.click(on.run, form, [results, xlsx, profile_file, saved, *errors], **private)
    clear.click(on.clear, outputs=[*form, saved, description, results], **private)
    page.load(on.restore, [saved], form, **private)


# --- the page and the API -------------------------------------------------------------------------------


def items_api(
    query: str = "", current_only: bool = True, kind: str = "", beneficiary: str = "", issuer: str = "", year: int = 0,
    settings: Settings | None = None,
) -> list[dict]:
    catalog = load_catalog(settings or Settings())
    return [item_json(i) for i in filter_items(catalog, query, current_only, kind, beneficiary, issuer, year)]


def match_api(profile: dict | str, settings: Settings | None = None) -> dict:
    if isinstance(profile, str):
        try:
            profile = json.loads(profile or "{}")
        except json.JSONDecodeError:
            return {"error": "企业画像不是有效的 JSON", "errors": {}}
    if not isinstance(profile, dict):
        return {"error": "企业画像应为 JSON 对象", "errors": {}}
    try:
        parsed = parse_profile(profile)
    except ProfileError as exc:
        return {"error": exc.reason, "errors": exc.errors}
    return match(parsed, load_catalog(settings or Settings()).current).to_json()


def public_page(chat: gr.Blocks, settings: Settings, title: str) -> gr.Blocks:
    """The chat page with the 政策清单 and 政策匹配 tabs beside it, and the
    /items and /match endpoints."""
    with gr.Blocks(title=title) as page:
        # Outside the tabs: a tab's contents mount only when it is first shown.
        saved = gr.BrowserState(None, storage_key="cixi-policy-profile", secret="cixi-policy-profile")
        with gr.Tabs(elem_id="public-tabs"):
            with gr.Tab("政策问答", id="chat", elem_id="tab-chat"):
                chat.render()
            with gr.Tab("政策清单", id="items", elem_id="tab-items"):
                items_tab(settings, page)
            with gr.Tab("政策匹配", id="match", elem_id="tab-match"):
                match_tab(settings, page, saved)

        def items(query: str = "", current_only: bool = True, kind: str = "", beneficiary: str = "",
                  issuer: str = "", year: int = 0) -> list[dict]:
            """Support items as JSON (filters: words, current only, kind, beneficiary, issuer, year)."""
            return items_api(query, current_only, kind, beneficiary, issuer, year, settings)

        def match_profile(profile: dict) -> dict:
            """Match an enterprise profile (fields in the README) against the current items."""
            return match_api(profile, settings)

        gr.api(items, api_name="items")
        gr.api(match_profile, api_name="match")
    return page
