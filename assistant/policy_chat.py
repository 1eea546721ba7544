"""Chat answers from the support items, for three kinds of question that one
retrieved passage answers badly:

* a question that reads as an enterprise profile (我们是规上软件企业，营收增长20%，
  能拿什么奖励？) is answered through the matcher: 符合, the relevant 可能符合 with
  what to add, and near misses with the condition not met, each quoted with
  its estimate;
* a question asking for a list (慈溪有哪些针对企业的奖励政策？) is answered with the
  matching current items;
* a question about a clause that has versions (数字经济制造业营收增长奖励标准是多少？)
  is answered from the current version with the difference to the older one
  shown, or from the version of the year it names (2024年…).

Every quote is a verbatim piece of a stored chunk (citation checks hold), and
an answer quoting an older version says so and names the newer one. Anything
else returns None and takes the usual retrieval path.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .config import Settings
from .documents import Answer, Chunk, Citation
from .item_store import SupportItem, benefit_text
from .matcher import LABELS, Profile, Result, evaluate, match, parse_description, parse_profile, to_digits
from .matcher import ProfileError as _ProfileError
from .normalize import normalize
from .reading import CIXI_TOWNS, named_places
from .retrieval import Filters, resolve_follow_up
from .store import VectorStore
from .versions import Catalog, load_catalog, series, series_key

_ASKS_MATCH = re.compile(r"(?:能|可以|可|能够)(?:拿|领|得到|享受|申请|申报|获得)(?:到)?(?:什么|哪些|多少|啥)|符合(?:哪些|什么)|适用(?:哪些|什么)|能拿|能享受|有什么奖励|有哪些奖励")
_SELF = re.compile(r"我们|我司|本公司|我公司|我厂|本企业|我单位|我家企业")
_ASKS_LIST = re.compile(r"哪些[^？?。]{0,14}(?:政策|奖励|补助|补贴|扶持|资助|支持|条款)|(?:政策|奖励|扶持|补助)(?:清单|有哪些)")
_ASKS_CLAUSE = re.compile(r"奖励|奖|补助|补贴|资助|标准|多少|怎么|如何|条件|门槛|要求|增速|增长")
# 能拿多少运营补贴: one named benefit, which one clause answers, not a profile to match.
_NAMED_BENEFIT = re.compile(r"多少[\u4e00-\u9fff]{1,4}(?:补贴|补助|资助|奖励|奖金|经费)")
_YEAR = re.compile(r"(20\d\d)\s*(?:年|版)")
# A question about one text (政府工作报告里出台了哪些政策, 是哪个文件规定的、文号多少) is
# answered from that text and its metadata, not from the support items.
_ABOUT_A_TEXT = re.compile(r"工作报告|报告里|答复|文号|(哪个|哪份|什么)文件|出自")
_PLACES = [
    (re.compile(r"宁波市级|宁波市政府|宁波市出台|宁波的政策"), "宁波市"),
    (re.compile(r"浙江省级|省级政策|浙江省政策|省政府"), "浙江省"),
    (re.compile(r"余姚"), "余姚"),
    (re.compile(r"鄞州"), "鄞州"),
]
_TOPICS = {
    "数字经济制造业": re.compile(r"数字经济制造"),
    "软件和信息服务业": re.compile(r"软件(?:和|与)?信息服务|软件企业|软件公司|软件信息"),
}
SHOW_MAYBE = 3
SHOW_NEAR_MISSES = 3
SHOW_LIST = 8
# A near miss falls short on a figure only, not on what kind of enterprise it is.
_FIGURES = {"growth", "avg_growth", "equipment", "first_version"}


# A year naming the policy asked about (按2025年政策), not a year of the asker's figures (2024年营收8000万).
_POLICY_YEAR = re.compile(r"((?:19|20)\d\d)\s*(?:年度?|版)?的?(?:那版|那份|这版|慈溪)?[^，。；,;\d]{0,3}?(?:政策|意见|文件|规定|办法|版)")
_YEAR_PAIR = re.compile(r"((?:19|20)\d\d)\s*(?:年度?|版)?\s*[和与、及跟]\s*(?=((?:19|20)\d\d))")
# A policy's popular name by its count of articles: 四十条 (read 40条), 产业18条.
_SHORT_NAME = re.compile(r"(?<![\d第])(\d{1,3})条")


def policy_answer(
    question: str, settings: Settings, store: VectorStore, history: Sequence[str] = (), filters: Filters | None = None
) -> Answer | None:
    """The answer from the support items, or None for the usual path."""
    query = resolve_follow_up(question, history)
    if _ABOUT_A_TEXT.search(query):
        return None
    if not (_ASKS_MATCH.search(query) or _ASKS_LIST.search(query) or any(p.search(query) for p in _TOPICS.values())):
        return None
    catalog = load_catalog(settings)
    if not catalog.items:
        return None
    naming = _naming_years(to_digits(query))  # 按2025年政策: that year's texts only
    years = naming or {int(y) for y in _YEAR.findall(to_digits(query))}
    if years - {i.doc.year for i in catalog.items}:  # a year no clause is from: let retrieval answer or refuse
        return None
    if _other_places(query, catalog):  # 北仑区的标准: no item is that place's; retrieval refuses
        return None
    named = _named_docs(query, catalog) or {d.source for d in catalog.docs if d.year in naming}
    scope = _Scope(catalog, years, _place(query), filters, named)
    composed = _profile_answer(query, scope) or _list_answer(query, scope) or _clause_answer(query, scope)
    if composed is None:
        return None
    text, cited = composed
    return Answer(question=question, text=text, citations=_citations(cited, store), mode="items")


# --- which items a question is about --------------------------------------------------------------------


def _naming_years(query: str) -> set[int]:
    """The years naming the policy asked about (按2025年政策, 2024年和2025年的政策),
    not years of the asker's own figures (2024年营收8000万)."""
    naming = {int(y) for y in _POLICY_YEAR.findall(query)}
    for first, second in reversed(_YEAR_PAIR.findall(query)):  # from the last: 2023年、2024年和2025年…政策
        if int(second) in naming:
            naming.add(int(first))
    return naming


def _named_docs(query: str, catalog: Catalog) -> set[str]:
    """The documents a question names by their popular short name (四十条:
    the 2021 四十条意见, not the 2018 policy on the same subject)."""
    names = set(_SHORT_NAME.findall(to_digits(query)))
    return {doc.source for doc in catalog.docs if names & set(_SHORT_NAME.findall(to_digits(doc.title)))}


def _other_places(query: str, catalog: Catalog) -> list[str]:
    """Places the question asks about that issued none of the documents
    (Cixi's towns live under Cixi's rules)."""
    issuers = " ".join(d.issuer for d in catalog.docs)
    return [p for p in named_places(normalize(query)) if p not in issuers and p not in CIXI_TOWNS]


def _place(query: str) -> str:
    return next((place for pattern, place in _PLACES if pattern.search(query)), "")


@dataclass
class _Scope:
    catalog: Catalog
    years: set[int]
    place: str
    filters: Filters | None
    named: set[str]  # the documents the question names (四十条, 按2025年政策), if any: only their items

    def items(self) -> list[SupportItem]:
        """Current items, except that a series with a version of the year
        the question names is represented by that version."""
        docs = self.catalog.docs
        chosen = {}
        for doc in docs:
            key = series_key(doc)
            if key and self.years and doc.year in self.years:
                chosen[key] = doc.source
        keep = []
        for item in self.catalog.items:
            key = series_key(item.doc)
            if key in chosen:
                if item.source == chosen[key]:
                    keep.append(item)
            elif item.status == "current":
                keep.append(item)
        return [i for i in keep if self.allowed(i)]

    def allowed(self, item: SupportItem) -> bool:
        if (self.place and self.place not in item.doc.issuer) or (self.named and item.source not in self.named):
            return False
        f = self.filters
        if f is None:
            return True
        year = item.doc.year or 0
        return (
            (not f.issuer or item.doc.issuer == f.issuer)
            and (not f.doc_type or item.doc.doc_type == f.doc_type)
            and (not f.year_from or year >= int(f.year_from))
            and (not f.year_to or year <= int(f.year_to))
        )


# --- profile questions --------------------------------------------------------------------------------


def _profile_answer(query: str, scope: _Scope) -> tuple[str, list[SupportItem]] | None:
    if not _ASKS_MATCH.search(query):
        return None
    fields = parse_description(query)
    telling = [k for k in fields if k != "town"]  # what kind of enterprise it is, not where
    wide = bool(_ASKS_LIST.search(query)) or "什么政策" in query  # not 钱能用在哪些地方
    if not telling or (_NAMED_BENEFIT.search(query) and not wide) or not (_SELF.search(query) or len(telling) >= 2 or wide):
        return None  # one benefit named (多少运营补贴) is looked up, whoever asks
    try:
        profile = parse_profile(fields)
    except _ProfileError:
        return None
    report = match(profile, scope.items())
    relevant = [r for r in report.results if _relevant(r)]
    clauses = {(r.item.source, r.item.section) for r in relevant if r.group != "no"}
    relevant += [r for r in report.results if r not in relevant and r.group == "maybe" and (r.item.source, r.item.section) in clauses]
    fits = [r for r in relevant if r.group == "match"]
    maybe = sorted((r for r in relevant if r.group == "maybe"), key=_promise)[:SHOW_MAYBE]
    near = [r for r in relevant if r.group == "no" and _near(r)][:SHOW_NEAR_MISSES]
    if not (fits or maybe or near):  # no clause speaks of such an enterprise: the text may, or the refusal says so
        return None
    others = len([r for r in report.results if r.group == "maybe"]) - len(maybe)
    said = _described(profile)
    lines = [f"按您描述的企业情况（{said}），与现行扶持条款逐条比对（规则匹配，仅供参考，以主管部门审核为准）："]
    cited: list[SupportItem] = []
    for title, results in (("符合", fits), ("可能符合", maybe), ("不符合（差在数额条件上）", near)):
        if results:
            lines.append(f"{title}：")
            for result in results:
                cited.append(result.item)
                lines.append(_result_line(len(cited), result))
    if others > 0:
        lines.append(f"另有 {others} 条条款因信息不足暂无法判断，可在“政策匹配”页填写完整企业画像查看。")
    return "\n".join(lines), cited


def _promise(result: Result) -> tuple:
    met = sum(c.status == "met" for c in result.checks[1:])
    return (result.estimate_yuan is None, -met, len(result.missing))


def _near(result: Result) -> bool:
    failed = {kind for c in result.checks if c.status == "not_met" for kind in c.failed}
    return bool(failed) and failed <= _FIGURES


def _relevant(result: Result) -> bool:
    """Some condition of the item speaks to what the profile says (region
    aside), so that an item is not listed only for lack of information."""
    return any(c.status != "unknown" for c in result.checks[1:]) and result.checks[0].status == "met"


def _described(profile: Profile) -> str:
    shown = []
    for key, value in profile.filled().items():
        if isinstance(value, bool):
            value = "是" if value else "否"
        elif isinstance(value, list):
            value = "、".join(value) or "无"
        elif key.endswith("_pct"):
            value = f"{value:g}%"
        elif key.endswith("_wan"):
            value = f"{value:g}万元"
        shown.append(f"{LABELS[key]}：{value}")
    return "；".join(shown)


def _result_line(n: int, result: Result) -> str:
    item = result.item
    line = f"{n}. {_head(item)}：“{item.quote.strip()}”[{n}]"
    if result.group == "maybe":
        line += f" 需补充：{'、'.join(result.missing)}。"
    if result.group == "no":
        failed = [c.reason for c in result.checks if c.status == "not_met"]
        line += f" 不符合：{'；'.join(failed)}。"
    if result.estimate_yuan is not None:
        line += f" 估算{'（最高）' if result.upper_bound else ''}：{result.arithmetic}。"
    return line + _version_note(item)


def _head(item: SupportItem, clause: bool = False) -> str:
    name = _clause_name(item) if clause else item.title
    title = f"“{name}”" if name else ""
    return f"《{item.doc.name}》{title}（{item.doc.issuer}，{_cn_date(item.doc.date)}）"


def _clause_name(item: SupportItem) -> str:
    """The clause as numbered in the document: 1.加大数字经济制造业培育力度（1）."""
    parts = item.section.split(" > ")
    last = parts[-1] if parts else ""
    if re.fullmatch(r"[（(]\d+[）)]", last) and len(parts) > 1:
        last = parts[-2] + last
    return item.title if not last or "…" in last else last


def _version_note(item: SupportItem) -> str:
    if item.status == "superseded" and item.superseded_by:
        return f"（注：此为{item.doc.year}年版条款，{_superseded_label(item)}。）"
    return ""


def _superseded_label(item: SupportItem) -> str:
    newer = item.superseded_by or {}
    return f"已被《{newer.get('title', '')}》替代"


def _cn_date(date: str) -> str:
    parts = date.split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return f"{int(parts[0])}年{int(parts[1])}月{int(parts[2])}日"
    return date


# --- list questions -----------------------------------------------------------------------------------


def _list_answer(query: str, scope: _Scope) -> tuple[str, list[SupportItem]] | None:
    if not _ASKS_LIST.search(query) or parse_description(query):
        return None
    return _listing(query, scope, "现行扶持条款中符合您问题的共 {n} 条（按文件日期从新到旧）：")


def _listing(query: str, scope: _Scope, lead: str) -> tuple[str, list[SupportItem]] | None:
    items = [i for i in scope.items() if _applies(i) and (not scope.years or i.doc.year in scope.years)]
    for pattern, beneficiary in ((r"企业", "企业"), (r"人才|团队", "人才/团队"), (r"平台|机构|实验室", "平台/机构")):
        if re.search(pattern, query):
            items = [i for i in items if i.beneficiary == beneficiary]
            break
    if re.search(r"奖励|补助|补贴|资助|资金|钱", query):
        items = [i for i in items if i.benefit.kind != "其他"]
    for word in ("贴息", "配套"):
        if word in query:
            items = [i for i in items if i.benefit.kind == word]
    if not items:
        return None
    items.sort(key=lambda i: i.doc.date, reverse=True)
    items.sort(key=lambda i: i.incomplete)
    shown = items[:SHOW_LIST]
    lines = [lead.format(n=len(items))]
    for n, item in enumerate(shown, start=1):
        summary = benefit_text(item.benefit)
        cut = "（原文在此截断，不完整）" if item.incomplete else ""
        lines.append(f"{n}. {_head(item)}：“{item.quote.strip()}”[{n}]{cut}" + (f" 要点：{summary}。" if summary else ""))
    if len(items) > len(shown):
        lines.append(f"其余 {len(items) - len(shown)} 条见“政策清单”页（可搜索、筛选并导出 Excel）。")
    lines.append("如需判断贵企业能享受哪些、能拿多少，可在“政策匹配”页填写企业情况。")
    return "\n".join(lines), shown


def _applies(item: SupportItem) -> bool:
    return evaluate(Profile(), item).checks[0].status == "met"


# --- one clause, with its versions ----------------------------------------------------------------------


def _clause_answer(query: str, scope: _Scope) -> tuple[str, list[SupportItem]] | None:
    """A clause of a policy with several versions: the version of the year
    asked, or the current one with the change from the version before."""
    if not _ASKS_CLAUSE.search(query):
        return None
    topics = [name for name, pattern in _TOPICS.items() if pattern.search(query)]
    catalog = scope.catalog
    versioned = set(series(catalog.docs))
    pool = [
        i for i in catalog.items
        if series_key(i.doc) in versioned and scope.allowed(i) and any(_asks(i, "industry", t) for t in topics)
    ]
    if scope.years:
        chosen = [i for i in pool if i.doc.year in scope.years]
    else:
        chosen = [i for i in pool if i.status == "current" and catalog.earlier(i)]
    if not chosen:
        return None
    chosen.sort(key=lambda i: (-(i.doc.year or 0), i.seq))
    cited: list[SupportItem] = []
    lines: list[str] = []
    for item in chosen:
        label = "现行规定" if item.status == "current" else f"{item.doc.year}年版规定"
        lines.append(f"{label}：{_head(item, clause=True)}：“{item.quote.strip()}”[{_cite(cited, item)}]")
        if item.status == "current" and not scope.years:
            latest = max(e.doc.year or 0 for e in catalog.earlier(item))
            for old in (e for e in catalog.earlier(item) if e.doc.year == latest):
                n = _cite(cited, old)
                lines.append(f"与{old.doc.year}年版相比：{_diff(old)}。{old.doc.year}年版原文：“{old.quote.strip()}”[{n}]")
        elif item.status == "superseded":
            lines.append(_newer_note(item, catalog, cited, chosen))
    return "\n".join(lines), cited


def _cite(cited: list[SupportItem], item: SupportItem) -> int:
    if item not in cited:
        cited.append(item)
    return cited.index(item) + 1


def _diff(old: SupportItem) -> str:
    return "；".join(f"{c['field']} {c['old']} → {c['new']}" for c in old.changes) or "条款数额相同"


def _newer_note(item: SupportItem, catalog: Catalog, cited: list[SupportItem], chosen: list[SupportItem]) -> str:
    newer = catalog.newer(item)
    note = f"注：{item.doc.year}年版{_superseded_label(item)}"
    if newer is None:
        return note + "；新版本（现有文本）中未见对应条款。"
    if newer in cited or newer in chosen:
        return note + f"，现行规定见[{_cite(cited, newer)}]（变化：{_diff(item)}）。"
    return note + f"，现行规定为：“{newer.quote.strip()}”[{_cite(cited, newer)}]（变化：{_diff(item)}）。"


def _asks(item: SupportItem, kind: str, value: str) -> bool:
    return any(r.kind == kind and value in r.values for c in item.conditions for r in c.requirements)


# --- citations --------------------------------------------------------------------------------------------


def _citations(items: list[SupportItem], store: VectorStore) -> list[Citation]:
    chunks: dict[str, list[Chunk]] = {}
    found = []
    for n, item in enumerate(items, start=1):
        if item.source not in chunks:
            chunks[item.source] = sorted(store.chunks(where={"source": item.source}), key=lambda c: c.start)
        chunk = next((c for c in chunks[item.source] if c.start <= item.start < c.end), None)
        if chunk is None:
            continue
        a, b = item.start - chunk.start, min(item.end, chunk.end) - chunk.start
        found.append(Citation(
            n=n, chunk_id=chunk.id, source=item.source, title=chunk.meta.title, issuer=chunk.meta.issuer,
            date=chunk.meta.date, section=item.section or chunk.section, quote=chunk.text[a:b], score=1.0,
            page=chunk.page, is_excerpt=chunk.meta.is_excerpt, chunk_start=chunk.start, quote_start=item.start,
        ))
    return found
