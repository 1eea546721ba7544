"""Extraction of support items (扶持条款) from a document, by rules, no LLM.

Chinese policy clauses are regular: ``对[条件]的，给予[金额/比例]奖励，最高不超过
[上限]（责任单位：…）``. The text is read as the paragraphs and headings that
chunking sees; a paragraph is split at inline points （1）（2）… and then
into sentences. A sentence that grants something (给予/予以/授予/安排…补贴,
or 奖励 + a sum) with some substance (a kind of benefit, a sum or a share)
is an item; its conditions are the ``对…`` part before the benefit, split
at 且 and commas. Around it:

* a sentence ending in a colon (``按设备投入额给予分类奖励：``) introduces a
  list: its conditions go to the items listed under it, and the clause it
  opens is where their 责任单位 would stand;
* a sentence with only a total cap (``增速奖励合计不超过10万元``) caps the items
  before it in the same clause that have none;
* a sentence opening with 其中/上述 continues the item before it;
* ``（责任单位：…）`` at the end of a clause names the responsible unit of
  every item in it; where the clause is cut off by the end of an excerpt
  the unit is unknowable (None), otherwise absent ("");
* the last, unfinished sentence of an excerpt is an item marked incomplete
  when it opens a condition (对…) or a grant, and is never completed.

Award notices about named firms (对55家企业给予…) and 公示 lists are not
clauses and yield nothing. ``sync_items`` keeps ``<index>/items.sqlite``
in step with the manifest after every ingestion run.
"""
from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

import cn2an

from .chunking import Paragraph, paragraphs
from .config import Settings
from .documents import Document
from .errors import ReasonError
from .item_store import Benefit, Condition, DocInfo, ItemStore, PerUnit, Requirement, SupportItem
from .manifest import Manifest

log = logging.getLogger(__name__)

# Bump when extraction changes: every document is then extracted again.
EXTRACTOR_VERSION = "5"

_CN_DIGITS = "零〇一二两三四五六七八九十百千"
_NUM = rf"\d+(?:\.\d+)?|[{_CN_DIGITS}]+"
_LABEL = re.compile(
    r"^\s*(?:[（(]\d{1,2}[)）]|\d{1,2}\s*[、.．]|[一二三四五六七八九十]+[、是]|[（(][一二三四五六七八九十]+[)）]|"
    r"第[一二三四五六七八九十\d]+条|—、)\s*"
)
_SUBPOINT = re.compile(r"(?:(?<=[。；;])|^)\s*(?=[（(]\d{1,2}[)）])")
_SENTENCE = re.compile(r"[^。；;！？!?]+(?:[。；;！？!?]+)?")
_TERMINAL = tuple("。；;！？!?）)”」")
_RESPONSIBLE = re.compile(r"^[（(]\s*(?:责任单位|牵头单位)\s*[:：]\s*([^)）]+?)\s*[)）]")
_CONDITION_OPENER = re.compile(r"(?:^|[,，;；])\s*(?:同时)?对(?:于)?")
# Where a clause turns from its conditions to what it grants.
_BENEFIT_START = re.compile(
    r"(?:增幅|增速)?每增|按(?!规定|照规定)|分别给予|最高给予|给予|予以|授予|一次性|安排|双?\d+(?:\.\d+)?%配套|"
    r"(?:奖励|补助|资助)\s*\d"
)
_GRANTS = re.compile(
    r"给予|予以|授予|配套支持|安排[^，,。；]{0,12}?(?:补贴|补助|经费)|(?:奖励|补助|补贴|资助)\s*\d+(?:\.\d+)?\s*(?:万|亿)?\s*元"
)
_SUBSTANCE = re.compile(r"奖励|补助|补贴|资助|贴息|配套|扶持|资金|经费|权|\d\s*(?:万|亿)?\s*元|%")
_NAMED_FIRMS = re.compile(r"对[^，,。；]{0,10}?\d+\s*家|\d+\s*家[^，,。；]{0,6}给予")
_TOTAL_CAP = re.compile(r"(?:合计|总额|累计)[^，,。；]{0,8}?(?:不超过|最高)")
_MEASURE = re.compile(r"^(?:增幅|增速|产值|营收|营业收入)")
_CONTINUES = re.compile(r"^(?:其中|上述|以上|该项)")
_NOT_CLAUSES = re.compile(r"公示|名单|工作报告")
_POLICY_TITLE = re.compile(r"(?:关于)?印发[《“]?(.+?)[》”]?的通知$")
_VALIDITY = re.compile(r"(?:有效性[:：]?\s*)?^(有效|失效|已失效|废止|已废止)$", re.M)

_MONEY = re.compile(
    rf"(?P<pre>不低于|最高不超过|不超过|最高(?:给予|奖励|补助|补贴|资助)?|不足)?\s*(?P<num>{_NUM})\s*(?P<unit>万|亿)?\s*元"
)
_PER_UNIT = re.compile(
    rf"每(?:增加?)\s*(?P<step>{_NUM}|一个)\s*(?P<sunit>万元|亿元|元|个百分点|百分点)(?P<what>产值|营收)?"
    rf"[，,]?\s*(?:最高|给予)?\s*(?P<upper>最高)?\s*(?:奖励|补助|资助)?\s*(?P<num>{_NUM})\s*(?P<unit>万|亿)?\s*元"
)
_RATE = re.compile(r"(?P<pre>最高)?\s*(?P<dbl>双)?(?P<num>\d+(?:\.\d+)?)\s*%(?!以上|及以上)")
_KINDS = [
    (re.compile(r"贴息"), "贴息"),
    (re.compile(r"配套"), "配套"),
    (re.compile(r"奖励|奖"), "奖励"),
    (re.compile(r"补助|补贴"), "补助"),
    (re.compile(r"资助"), "资助"),
    (re.compile(r"扶持|支持"), "扶持"),
    (re.compile(r"授予|享受"), "其他"),
]

# --- requirements: what a condition asks of an enterprise ---------------------------------------------

QUALIFICATION_PATTERNS = [
    (r"省数商", ["省数商"]),
    (r"数字化服务商", ["数字化服务商"]),
    (r"数字经济核心产业企业库", ["数字经济核心产业企业库"]),
    (r"单项冠军”?示范企业", ["宁波“单项冠军”示范企业"]),
    (r"单项冠军”?\s*培\s*育企业", ["宁波“单项冠军”培育企业"]),
    (r"隐形冠军”?\s*培\s*育企业", ["省“隐形冠军”培育企业"]),
    (r"专精特新中小培育企业", ["宁波专精特新中小培育企业"]),
    (r"专精特新[“\"]?小巨人", ["专精特新“小巨人”企业"]),
    (r"高新技术企业", ["高新技术企业"]),
    (r"科技型中小企业", ["科技型中小企业"]),
    (r"智能经济行业龙头企业", ["智能经济行业龙头企业"]),
    (r"智能经济示范企业", ["智能经济示范企业"]),
    (r"“350”培育企业", ["余姚“350”培育企业"]),
    (r"实验室|重大科技基础设施|大科学计划|重大科创平台", ["重大科创平台"]),
    (r"创新中心", ["技术（制造业）创新中心"]),
    (r"综合体", ["产业创新服务综合体运营单位"]),
]
RD_LEVELS = ["市级", "宁波市级", "省级", "国家级"]
TALENT_PATTERNS = [
    (r"国家、省引才计划|国家、省和宁波", ["国家引才计划", "省引才计划"]),
    (r"上林英才", ["上林英才"]),
    (r"甬江人才", ["甬江人才工程"]),
    (r"顶尖人才科技项目", ["市顶尖人才科技项目"]),
]
INDUSTRY_PATTERNS = [
    (r"数字经济制造业", ["数字经济制造业"]),
    (r"软件(?:和|与)?信息服务业", ["软件和信息服务业"]),
    (r"“?3\+3”?\s*产业", ["3+3产业"]),
    (r"六大重点细分行业|ABCT", ["六大重点细分行业"]),
    (r"(?<!数字经济)制造业(?:重点工业投资|企业)", ["制造业"]),
]


def requirements(text: str, context: str = "") -> list[Requirement]:
    """The checkable parts of one condition. ``context`` is the rest of the
    clause, for programme names said before the condition (迭代升级“甬江人才工程”，对入选的…)."""
    flat = re.sub(r"\s+", "", text)
    found: list[Requirement] = []
    if re.search(r"月度进规|新进规|首次进规|当年度进规", flat):
        found.append(Requirement("entered_scale"))
    elif re.search(r"规上|规模以上", flat):
        found.append(Requirement("scale"))
    for pattern, values in INDUSTRY_PATTERNS:
        if re.search(pattern, flat):
            found.append(Requirement("industry", values))
            break
    if re.search(r"近两年.*(?:平均|平均值).*为正", flat):
        found.append(Requirement("avg_growth"))
    elif growth := re.search(r"(产值)?(?:年)?(?:增速|增幅|增长率)(达到|达|超过)?(\d+(?:\.\d+)?)%(以上|及以上)?", flat):
        if "比全市" not in flat and "部分" not in flat:
            kind = "output_growth" if growth.group(1) or "产值" in flat else "growth"
            op = ">" if growth.group(2) == "超过" or not (growth.group(2) or growth.group(4)) else ">="
            found.append(Requirement(kind, number=float(growth.group(3)), op=op))
    if output := re.search(r"年产值(\d+(?:\.\d+)?)(亿|万)元及?以上", flat):
        found.append(Requirement("output_value", number=float(output.group(1)) * _UNIT[output.group(2)], op=">="))
    if equipment := re.search(r"设备投入(?:在|达到)?(\d+(?:\.\d+)?)(万|亿)元以上", flat):
        found.append(Requirement("equipment", number=float(equipment.group(1)) * _UNIT[equipment.group(2)], op=">="))
    if level := re.search(r"(国家级|省级|宁波市级|市级)(?:企业)?(?:研发机构|研发中心|研究院|工程技术中心)", flat):
        found.append(Requirement("rd_institution", RD_LEVELS[RD_LEVELS.index(level.group(1)):]))
    if "首版次" in flat:
        found.append(Requirement("first_version", number=1, op=">="))
    qualifications = [v for pattern, values in QUALIFICATION_PATTERNS if re.search(pattern, flat) for v in values]
    if qualifications:
        found.append(Requirement("qualification", qualifications))
    talents = [v for pattern, values in TALENT_PATTERNS if re.search(pattern, flat) for v in values]
    if not talents and "入选" in flat:
        talents = [v for pattern, values in TALENT_PATTERNS if re.search(pattern, context) for v in values]
    if talents:
        found.append(Requirement("talent", talents))
    return found


_UNIT = {"万": 1e4, "亿": 1e8, "": 1.0, None: 1.0}


def number(text: str) -> float:
    """A figure written in digits or Chinese numerals (一个 = 1)."""
    text = text.strip().removesuffix("个")
    try:
        return float(text)
    except ValueError:
        return float(cn2an.cn2an(text, "smart"))


def _yuan(num: str, unit: str | None) -> float:
    return round(number(num) * _UNIT[unit or ""], 2)


# --- documents ----------------------------------------------------------------------------------------


def doc_info(doc: Document) -> DocInfo:
    meta = doc.meta
    title = meta.title.strip()
    policy = _POLICY_TITLE.search(title)
    validity = _VALIDITY.search(doc.text[:1500])
    return DocInfo(
        source=doc.source,
        title=title,
        policy_title=policy.group(1).removeprefix("关于") if policy else title,
        issuer=meta.issuer,
        date=meta.date,
        doc_number=meta.doc_number,
        doc_type=meta.doc_type,
        excerpt=meta.is_excerpt,
        source_url=meta.source_url,
        validity=validity.group(1).removeprefix("已") if validity else "",
    )


def item_id(source: str, seq: int) -> str:
    return f"{hashlib.sha256(source.encode()).hexdigest()[:10]}-{seq:02d}"


@dataclass
class _Heading:
    level: int
    title: str
    start: int
    end: int  # where the clause it opens ends (next heading at its level or above)


@dataclass
class _Lead:
    """A sentence ending in a colon that opens a list of items."""

    level: int
    conditions: list[Condition]
    clause: _Heading | None
    benefit: Benefit  # 按上级资助的50%给予配套资助：its items share kind and rate


@dataclass
class _Draft:
    start: int
    end: int
    body_start: int  # after the label (1. / （1）)
    clause: _Heading | None
    path: list[_Heading]
    label: str
    lead: _Lead | None
    unit: int = 0  # drafts of one paragraph or inline point share it
    cut: bool = False
    shared_cap: float | None = None  # from a later 合计不超过 sentence


class _Extraction:
    def __init__(self, doc: Document):
        self.doc = doc
        self.text = doc.text
        self.info = doc_info(doc)
        stripped = self.text.rstrip()
        self.cut_at = len(stripped) if doc.meta.is_excerpt and not stripped.endswith(_TERMINAL) else None
        self.drafts: list[_Draft] = []
        self.units = 0

    def run(self) -> list[SupportItem]:
        if _NOT_CLAUSES.search(self.info.title):
            return []
        paras = paragraphs(self.text)
        headings = self._headings(paras)
        path: list[_Heading] = []
        lead: _Lead | None = None
        for para in paras:
            if para.level is not None:
                heading = headings[para.start]
                path = [h for h in path if h.level < para.level] + [heading]
                if lead and para.level <= lead.level:
                    lead = None
            for start, end, label in _subunits(self.text, para):
                lead = self._unit(start, end, label, list(path), lead)
        return [self._item(i, d) for i, d in enumerate(self.drafts)]

    def _headings(self, paras: list[Paragraph]) -> dict[int, _Heading]:
        found = {}
        for i, para in enumerate(paras):
            if para.level is None:
                continue
            end = next((p.start for p in paras[i + 1:] if p.level is not None and p.level <= para.level), len(self.text))
            found[para.start] = _Heading(para.level, para.title, para.start, end)
        return found

    def _unit(self, start: int, end: int, label: str, path: list[_Heading], lead: _Lead | None) -> _Lead | None:
        """The sentences of one paragraph or inline point; returns the list
        lead-in in force after it."""
        clause = path[-1] if path else None
        unit: list[_Draft] = []
        self.units += 1
        for s, e in _sentences(self.text, start, end):
            sentence = self.text[s:e]
            body = _LABEL.sub("", sentence)
            body_start = e - len(body)
            flat = body.strip()
            is_last = self.cut_at is not None and e >= self.cut_at
            if _RESPONSIBLE.match(flat) or not flat:
                continue
            if _CONTINUES.match(flat) and unit:
                unit[-1].end, unit[-1].cut = e, is_last
                continue
            if _TOTAL_CAP.search(flat) and not _GRANTS.search(flat) and not _CONDITION_OPENER.search(flat):
                for draft in unit:
                    draft.shared_cap = draft.shared_cap or _cap(flat)
                continue
            if _NAMED_FIRMS.search(flat):
                continue
            grants = bool(_GRANTS.search(flat)) and bool(_SUBSTANCE.search(flat[_grant_at(flat):]))
            if is_last and not flat.endswith(_TERMINAL):
                if not (grants or _CONDITION_OPENER.search(flat) or _GRANTS.search(flat)):
                    continue
                draft = _Draft(s, e, body_start, clause, path, label, lead, self.units, cut=True)
            elif not grants:
                continue
            elif flat.endswith((":", "：")):
                owner = lead.clause if lead else clause
                conditions = _conditions(flat, inherited=lead.conditions if lead else [])
                self.drafts.extend(unit)
                return _Lead(clause.level if clause else 0, conditions, owner, _benefit(flat))
            else:
                draft = _Draft(s, e, body_start, lead.clause if lead else clause, path, label, lead, self.units)
            unit.append(draft)
        self.drafts.extend(unit)
        return lead

    def _item(self, seq: int, draft: _Draft) -> SupportItem:
        text = self.text
        body = text[draft.body_start:draft.end]
        inherited = draft.lead.conditions if draft.lead else []
        conditions = _conditions(body, inherited, cut=draft.cut)
        previous = self.drafts[seq - 1] if seq and self.drafts[seq - 1].unit == draft.unit else None
        own = conditions[len(inherited):]
        if previous is not None and not draft.cut and own and _MEASURE.match(own[0].text) and not _has_subject(own):
            earlier = _conditions(text[previous.body_start:previous.end], inherited)
            conditions = [c for c in earlier if _has_subject([c])] + conditions
        benefit = _benefit(body, cut=draft.cut)
        if draft.lead:
            benefit = _inherit(benefit, draft.lead.benefit)
        if benefit.cap_yuan is None and draft.shared_cap:
            benefit.cap_yuan = draft.shared_cap
        end = self._with_responsible(draft)
        incomplete = draft.cut or (self.cut_at is not None and end >= self.cut_at and not text[:end].rstrip().endswith(_TERMINAL))
        return SupportItem(
            id=item_id(self.doc.source, seq),
            source=self.doc.source,
            seq=seq,
            title=_title(draft.path),
            section=" > ".join(h.title for h in draft.path) + (f" > {draft.label}" if draft.label else ""),
            beneficiary=_beneficiary(conditions, body),
            conditions=conditions,
            benefit=benefit,
            responsible_unit=self._responsible(draft.clause),
            quote=text[draft.start:end],
            start=draft.start,
            end=end,
            doc=self.info,
            page=self.doc.page_at(draft.start),
            incomplete=incomplete,
        )

    def _with_responsible(self, draft: _Draft) -> int:
        """The item's end, extended over a 责任单位 bracket right after it."""
        rest = self.text[draft.end:]
        match = _RESPONSIBLE.match(rest.lstrip())
        return draft.end + (len(rest) - len(rest.lstrip())) + match.end() if match else draft.end

    def _responsible(self, clause: _Heading | None) -> str | None:
        start, end = (clause.start, clause.end) if clause else (0, len(self.text))
        found = re.search(r"[（(]\s*(?:责任单位|牵头单位)\s*[:：]\s*([^)）]+?)\s*[)）]", self.text[start:end])
        if found:
            return found.group(1)
        if self.cut_at is not None and end >= self.cut_at:
            return None
        return ""


def extract_items(doc: Document) -> list[SupportItem]:
    """Every support item of ``doc`` (none for a document without clauses)."""
    return _Extraction(doc).run()


# --- pieces of a clause -------------------------------------------------------------------------------


def _subunits(text: str, para: Paragraph) -> list[tuple[int, int, str]]:
    """The paragraph, or its inline points （1）（2）… each with its label."""
    body = text[para.start:para.end]
    cuts = [m.start() for m in _SUBPOINT.finditer(body) if m.start() > 0 or re.match(r"\s*[（(]\d", body)]
    cuts = sorted({c for c in cuts if re.match(r"\s*[（(]\d{1,2}[)）]", body[c:])})
    if not cuts:
        return [(para.start, para.end, "")]
    bounds = ([0] if cuts[0] > 0 else []) + cuts + [len(body)]
    units = []
    for a, b in zip(bounds, bounds[1:]):
        label = re.match(r"\s*([（(]\d{1,2}[)）])", body[a:b])
        units.append((para.start + a, para.start + b, label.group(1) if label else ""))
    return units


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    for match in _SENTENCE.finditer(text, start, end):
        piece = match.group(0)
        lead = len(piece) - len(piece.lstrip())
        body = piece.strip()
        if body:
            spans.append((match.start() + lead, match.start() + lead + len(body)))
    return spans


def _grant_at(flat: str) -> int:
    match = _GRANTS.search(flat)
    return match.start() if match else 0


def _cap(flat: str) -> float:
    match = _MONEY.search(flat, _TOTAL_CAP.search(flat).start())  # type: ignore[union-attr]
    return _yuan(match.group("num"), match.group("unit")) if match else 0.0


def _split_benefit(body: str) -> tuple[str, str]:
    """(conditions part, benefit part) of a clause sentence."""
    flat = body.strip().rstrip("。；;")
    opener = None
    for match in _CONDITION_OPENER.finditer(flat):
        opener = match
        break
    if opener is not None:
        rest = flat[opener.end():]
        start = _BENEFIT_START.search(rest)
        return (rest[: start.start()] if start else rest), (rest[start.start():] if start else "")
    start = _BENEFIT_START.search(flat)
    if not start:
        return "", ""
    before = re.split(r"[,，]", flat[: start.start()])
    head = before[-1]
    if not head and len(before) > 1 and before[-2].endswith("的"):
        head = before[-2]
    return head, flat[start.start():]


def _conditions(body: str, inherited: list[Condition], cut: bool = False) -> list[Condition]:
    part, benefit = _split_benefit(body)
    part = re.sub(r"^(?:实施|通过|鼓励|支持)", "", part.strip())
    part = re.sub(r"每年$", "", part)
    pieces = [p for p in re.split(r"[,，;；]|(?:并且|且)", part) if p.strip()]
    if cut and pieces and len(pieces[-1].strip()) <= 2:
        pieces = pieces[:-1]
    found: list[Condition] = []
    for piece in pieces:
        piece = piece.strip().removesuffix("的").strip()
        head, _, tail = piece.rpartition("的")
        if head and re.search(r"\d|%|为正", head) and len(tail) >= 4 and re.search(r"(企业|项目|单位|产品|团队|人才)$", tail):
            found += [Condition(head.strip()), Condition(tail.strip())]
        elif piece:
            found.append(Condition(piece))
    if not found and (named := re.search(r"给予(.{2,20}?(?:企业|单位|团队|项目))", benefit)):
        found.append(Condition(named.group(1).strip()))
    for condition in found:
        condition.requirements = requirements(condition.text, body)
    return [Condition(c.text, list(c.requirements)) for c in inherited] + found


def _has_subject(conditions: list[Condition]) -> bool:
    return any(re.search(r"企业|项目|单位|人才|团队|平台|产品|机构|中心|综合体", c.text) for c in conditions)


def _benefit(body: str, cut: bool = False) -> Benefit:
    _, part = _split_benefit(body)
    if not part:
        return Benefit(kind=None, text="", tiered=None if cut else False)
    benefit = Benefit(kind=_kind(part), text=part)
    if benefit.kind is None:
        benefit.tiered = None
    rest = part
    per_unit = _PER_UNIT.search(rest)
    if per_unit:
        step_unit = "百分点" if "百分点" in per_unit.group("sunit") else "元"
        step_text = per_unit.group("step")
        step = 1.0 if step_text == "一个" else number(step_text)
        if step_unit == "元":
            step *= _UNIT[per_unit.group("sunit")[0] if per_unit.group("sunit")[0] in "万亿" else ""]
        base = "营业收入增幅" if step_unit == "百分点" else ("产值增量" if per_unit.group("what") == "产值" else _base(part) or "增量")
        benefit.per_unit = PerUnit(step, step_unit, _yuan(per_unit.group("num"), per_unit.group("unit")), base)
        benefit.upper = bool(per_unit.group("upper")) or "最高奖励" in per_unit.group(0)
        rest = rest[: per_unit.start()] + " " * len(per_unit.group(0)) + rest[per_unit.end():]
    rate = _RATE.search(rest)
    if rate and benefit.per_unit is None:
        benefit.rate = round(float(rate.group("num")) / 100, 6)
        benefit.upper = bool(rate.group("pre"))
        benefit.base = _base(part)
    sums = [m for m in _MONEY.finditer(rest) if m.group("pre") != "不足"]
    if "分别" in part and len(sums) >= 2:
        benefit.tiered = True
        benefit.tiers_yuan = [_yuan(m.group("num"), m.group("unit")) for m in sums]
        return benefit
    for match in sums:
        value = _yuan(match.group("num"), match.group("unit"))
        if (match.group("pre") or "").startswith(("最高", "不超过")):
            benefit.cap_yuan = value if benefit.cap_yuan is None else benefit.cap_yuan
        elif benefit.amount_yuan is None and benefit.rate is None and benefit.per_unit is None:
            benefit.amount_yuan = value
            benefit.floor = match.group("pre") == "不低于"
    return benefit


def _inherit(benefit: Benefit, lead: Benefit) -> Benefit:
    """A listed item takes the kind, and a share with its base, from the
    sentence that introduced the list when it states none itself."""
    if benefit.kind is None:
        benefit.kind = lead.kind
    if lead.rate is not None and benefit.rate is None and benefit.per_unit is None and benefit.amount_yuan is None:
        benefit.rate, benefit.base, benefit.upper = lead.rate, lead.base, lead.upper
    return benefit


def _kind(part: str) -> str | None:
    if part.startswith("授予"):
        return "其他"
    head = part[: (part.find("不足") if "不足" in part else len(part))]
    for pattern, kind in _KINDS:
        if pattern.search(head):
            return kind
    return None


def _base(part: str) -> str:
    for pattern, base in (
        (r"营收增量|营业收入增量", "营收增量"),
        (r"设备投入额", "设备投入额"),
        (r"软硬件投入额", "软硬件投入额"),
        (r"新增地方贡献", "新增地方贡献"),
        (r"项目资助|人才奖励", "上级资助和奖励"),
    ):
        if re.search(pattern, part):
            return base
    named = re.search(r"按(?:其)?(?:较上一?年度)?([^，,。；;按]{2,12}?)(?:部分|的|\d)", part)
    return named.group(1) if named else ""


def _beneficiary(conditions: list[Condition], body: str) -> str:
    text = "".join(c.text for c in conditions) or body
    if "企业" in text:
        return "企业"
    if re.search(r"人才|团队|入选者|专家|博士", text):
        return "人才/团队"
    if re.search(r"实验室|科创平台|创新中心|综合体|基础设施|研究院|机构|平台", text):
        return "平台/机构"
    return "企业"


def _title(path: list[_Heading]) -> str:
    """The nearest heading that names the clause (a list item that is
    itself a condition names nothing)."""
    for heading in reversed(path):
        title = _LABEL.sub("", heading.title).strip()
        if title and not title.startswith("对") and not title.endswith("…") and not _GRANTS.search(title):
            return title
    return ""


# --- keeping the item store in step with the index ----------------------------------------------------


def sync_items(settings: Settings, manifest: Manifest, read: Callable[[str], Document]) -> None:
    """Bring ``items.sqlite`` in step with the manifest: items of documents
    it no longer stores go, documents new or changed since their items were
    extracted (or every document, after an extractor change) are read with
    ``read`` and extracted again. Runs after every ingestion, so a crash in
    between is repaired by the next run; the store changes in one transaction."""
    store = ItemStore(settings.items_db)
    try:
        stored = {s: e.sha256 for s, e in manifest.entries.items() if e.stored}
        have = store.hashes()
        fresh = store.extractor() == EXTRACTOR_VERSION
        remove = [s for s in have if s not in stored]
        todo = [s for s, sha in stored.items() if not fresh or have.get(s) != sha]
        replace = []
        for source in todo:
            try:
                doc = read(source)
            except (ReasonError, OSError, KeyError) as exc:
                log.warning("items of %s not extracted: %s", source, getattr(exc, "reason", exc))
                continue
            if doc.sha256 == stored[source]:  # else the file changed after ingestion: the next run sees it
                replace.append((doc_info(doc), doc.sha256, extract_items(doc)))
        if remove or replace or not fresh:
            store.apply(remove, replace, EXTRACTOR_VERSION)
    finally:
        store.close()


def load_items(settings: Settings) -> list[SupportItem]:
    """Every stored item (empty when the index has none yet)."""
    if not settings.items_db.exists():
        return []
    store = ItemStore(settings.items_db)
    try:
        return store.items()
    finally:
        store.close()
