"""政策匹配: an enterprise profile against the current support items.

Each condition of an item is met, not met or unknown from what it asks
(see ``items.requirements``) and the profile; a blank field only ever
makes a condition unknown. An item is 不符合 when a condition is not met,
可能符合 (需补充: the fields to fill) when one is unknown or the clause is cut
off, else 符合. Where the clause gives a formula and the profile its base,
the amount is estimated with its arithmetic and cap. The rules, fields and
allowed values are listed in the README ("Policy items and matching").

``parse_description`` fills a profile from a free-text description by
rules, for the user to check; ``parse_profile`` validates a profile and
names, in Chinese, each field it refuses.
"""
from __future__ import annotations

import math
import re
import warnings
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import cn2an

from .errors import ReasonError
from .item_store import Requirement, SupportItem, money, percent

INDUSTRIES = [
    "数字经济制造业", "软件和信息服务业", "智能家电", "汽车零部件", "关键基础件", "智能装备", "新材料", "生命健康",
    "其他制造业", "其他行业",
]
MANUFACTURING = set(INDUSTRIES) - {"软件和信息服务业", "其他行业"}
THREE_PLUS_THREE = {"智能家电", "汽车零部件", "关键基础件", "智能装备", "新材料", "生命健康"}
INDUSTRY_GROUPS = {
    "数字经济制造业": {"数字经济制造业"},
    "软件和信息服务业": {"软件和信息服务业"},
    "制造业": MANUFACTURING,
    "3+3产业": THREE_PLUS_THREE,
    "六大重点细分行业": THREE_PLUS_THREE | {"数字经济制造业"},
}
QUALIFICATIONS = [
    "高新技术企业", "科技型中小企业", "专精特新中小企业", "专精特新“小巨人”企业", "省数商", "数字化服务商",
    "数字经济核心产业企业库", "宁波“单项冠军”示范企业", "宁波“单项冠军”培育企业", "省“隐形冠军”培育企业",
    "宁波专精特新中小培育企业", "智能经济行业龙头企业", "智能经济示范企业", "重大科创平台", "技术（制造业）创新中心",
    "产业创新服务综合体运营单位",
]
TALENTS = ["国家引才计划", "省引才计划", "上林英才", "甬江人才工程", "市顶尖人才科技项目"]
RD_LEVELS = ["无", "市级", "宁波市级", "省级", "国家级"]
TOWNS = [
    "浒山街道", "古塘街道", "白沙路街道", "坎墩街道", "宗汉街道", "周巷镇", "长河镇", "庵东镇", "崇寿镇", "新浦镇",
    "胜山镇", "横河镇", "逍林镇", "匡堰镇", "桥头镇", "观海卫镇", "附海镇", "掌起镇", "龙山镇",
]
LABELS = {
    "name": "名称",
    "industry": "行业",
    "above_scale": "是否规上",
    "qualifications": "已有资质",
    "rd_institution": "研发机构级别",
    "revenue_wan": "当年度营业收入",
    "revenue_growth_pct": "当年度营收增速",
    "prev_growth_pct": "上年度营收增速",
    "avg_growth_positive": "近两年营收平均增长率是否为正",
    "rd_spending_wan": "研发投入",
    "equipment_wan": "技改设备投入",
    "first_version_products": "软件首版次产品数",
    "talents": "人才计划入选情况",
    "town": "所在镇街道",
}
GROUPS = {"match": "符合", "maybe": "可能符合", "no": "不符合"}


class ProfileError(ReasonError):
    """Fields of a profile that cannot be used, each with a Chinese message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("；".join(f"{LABELS.get(k, k)}：{v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class Profile:
    name: str = ""
    industry: str | None = None
    above_scale: bool | None = None
    qualifications: list[str] | None = None  # a list is complete; None = not stated
    rd_institution: str | None = None
    revenue_wan: float | None = None
    revenue_growth_pct: float | None = None
    prev_growth_pct: float | None = None
    avg_growth_positive: bool | None = None  # said outright, when last year's growth is not given
    rd_spending_wan: float | None = None
    equipment_wan: float | None = None
    first_version_products: int | None = None
    talents: list[str] | None = None
    town: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def filled(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}


# --- validation ---------------------------------------------------------------------------------------

_RANGES: dict[str, tuple[float, float, str]] = {
    "revenue_wan": (0, 10_000_000, "万元"),
    "rd_spending_wan": (0, 1_000_000, "万元"),
    "equipment_wan": (0, 1_000_000, "万元"),
    "revenue_growth_pct": (-100, 500, "%"),
    "prev_growth_pct": (-100, 500, "%"),
    "first_version_products": (0, 100, "个"),
}
_CHOICES: dict[str, list[str]] = {"industry": INDUSTRIES, "rd_institution": RD_LEVELS, "town": TOWNS}
_LISTS: dict[str, list[str]] = {"qualifications": QUALIFICATIONS, "talents": TALENTS}
_BOOLS = ("above_scale", "avg_growth_positive")


def parse_profile(data: dict[str, Any] | None) -> Profile:
    """A Profile from JSON or form values (numbers may be strings such as
    “2亿”, “12%”, “3,000”), or ProfileError naming every bad field."""
    data = dict(data or {})
    known = [f.name for f in fields(Profile)]
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key in data:
        if key not in known and key not in ("description", "id", "note"):
            errors[key] = "不认识的字段"
    for key in known:
        raw = data.get(key)
        if raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, list) and key not in _LISTS and not raw):
            continue
        try:
            values[key] = _value(key, raw)
        except ValueError as exc:
            errors[key] = str(exc)
    revenue, rd = values.get("revenue_wan"), values.get("rd_spending_wan")
    if revenue is not None and rd is not None and rd > revenue and "rd_spending_wan" not in errors:
        errors["rd_spending_wan"] = "研发投入不能超过营业收入，请核对"
    if errors:
        raise ProfileError(errors)
    return Profile(**values)


def _value(key: str, raw: Any) -> Any:
    if key == "name":
        return str(raw).strip()[:50]
    if key in _BOOLS:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip()
        if text in ("是", "true", "True", "1", "规上", "为正"):
            return True
        if text in ("否", "false", "False", "0", "规下", "不为正"):
            return False
        if text in ("不确定", "不清楚", "未知"):
            return None
        raise ValueError("请选择“是”或“否”")
    if key in _CHOICES:
        text = str(raw).strip()
        if text not in _CHOICES[key]:
            raise ValueError(f"“{text}”不在可选范围内（可选：{'、'.join(_CHOICES[key])}）")
        return text
    if key in _LISTS:
        items = raw if isinstance(raw, list) else re.split(r"[,，、;；\s]+", str(raw))
        chosen = [str(i).strip() for i in items if str(i).strip() and str(i).strip() not in ("无", "以上都没有", "都没有")]
        unknown = [i for i in chosen if i not in _LISTS[key]]
        if unknown:
            raise ValueError(f"“{'、'.join(unknown)}”不在可选范围内（可选：{'、'.join(_LISTS[key])}）")
        return list(dict.fromkeys(chosen))
    return _number(key, raw)


def _number(key: str, raw: Any) -> float | int:
    low, high, unit = _RANGES[key]
    if isinstance(raw, bool):
        raise ValueError("请填写数字")
    if isinstance(raw, (int, float)):
        value = float(raw)
    else:
        value = _read_number(str(raw), unit)
    if math.isnan(value) or math.isinf(value):
        raise ValueError("请填写数字")
    if value < low or (unit == "%" and value <= low):
        if unit == "%":
            raise ValueError(f"增速应大于 -100%（当前 {value:g}%），请核对")
        raise ValueError(f"不能为负数（当前 {value:g}{unit}）")
    if value > high:
        if unit == "%":
            raise ValueError(f"增速 {value:g}% 超出合理范围（-100%～{high:g}%），请核对是否多输了数字")
        raise ValueError(f"{value:,.0f}{unit} 超出合理范围（不超过 {high:,.0f}{unit}），请核对单位是否为{unit}")
    if key == "first_version_products":
        if value != int(value):
            raise ValueError("请填写整数")
        return int(value)
    return value


def _read_number(text: str, unit: str) -> float:
    flat = re.sub(r"[,，\s]", "", text).replace("％", "%").replace("−", "-")
    match = re.fullmatch(r"([-+]?\d+(?:\.\d+)?|[一二两三四五六七八九十百千零〇点]+)(亿元?|万元?|元|%|个)?", flat)
    if not match:
        return _bad(unit)
    figure, suffix = match.group(1), match.group(2) or ""
    try:
        value = float(figure) if figure[-1].isdigit() else float(cn2an.cn2an(figure, "smart"))
    except ValueError:
        return _bad(unit)
    if unit == "万元":
        value *= {"亿": 1e4, "亿元": 1e4, "元": 1e-4}.get(suffix, 1)
    return value


def _bad(unit: str) -> float:
    example = {"万元": "例如 20000 或 2亿", "%": "例如 12 或 12%", "个": "例如 2"}[unit]
    raise ValueError(f"请填写数字（单位：{unit}），{example}")


# --- matching -----------------------------------------------------------------------------------------


@dataclass
class Check:
    """One condition's verdict, on the words it rests on."""

    text: str  # verbatim from the clause (or the issuing body, for 适用地区)
    status: str  # met | not_met | unknown
    reason: str  # Chinese: what was compared
    missing: list[str] = field(default_factory=list)  # what to fill in for an unknown
    failed: list[str] = field(default_factory=list)  # kinds of requirement not met (growth, industry …)


@dataclass
class Result:
    item: SupportItem
    group: str  # match | maybe | no
    checks: list[Check]
    missing: list[str]
    estimate_yuan: float | None = None
    arithmetic: str = ""
    upper_bound: bool = False  # the clause says 最高: the estimate is a maximum

    @property
    def label(self) -> str:
        if self.group == "maybe":
            return f"可能符合（需补充：{'、'.join(self.missing)}）"
        return GROUPS[self.group]

    def to_json(self) -> dict[str, Any]:
        item = self.item
        return {
            **item.reference(),
            "doc_date": item.doc.date,
            "incomplete": item.incomplete,
            "group": self.group,
            "label": self.label,
            "missing": self.missing,
            "conditions": [asdict(c) for c in self.checks],
            "benefit": {"kind": item.benefit.kind, "text": item.benefit.text, "cap_yuan": item.benefit.cap_yuan},
            "estimate_yuan": self.estimate_yuan,
            "arithmetic": self.arithmetic,
            "upper_bound": self.upper_bound,
        }


@dataclass
class MatchReport:
    profile: Profile
    results: list[Result]

    def group(self, name: str) -> list[Result]:
        return [r for r in self.results if r.group == name]

    def to_json(self) -> dict[str, Any]:
        return {"profile": self.profile.to_json(), **{g: [r.to_json() for r in self.group(g)] for g in GROUPS}}


def match(profile: Profile, items: list[SupportItem]) -> MatchReport:
    """Every item judged against the profile: 符合 first (largest estimate
    first), then 可能符合 (fewest things to fill first), then 不符合."""
    results = [evaluate(profile, item) for item in items]
    order = {"match": 0, "maybe": 1, "no": 2}
    results.sort(key=lambda r: (order[r.group], -(r.estimate_yuan or 0), len(r.missing), -(r.item.doc.year or 0)))
    return MatchReport(profile, results)


def evaluate(profile: Profile, item: SupportItem) -> Result:
    checks = [_region(item)] + [_condition(profile, c.text, c.requirements) for c in item.conditions]
    missing = list(dict.fromkeys(m for c in checks if c.status == "unknown" for m in c.missing))
    if item.incomplete:
        missing.append("条款原文不完整（节选在此截断），以完整文件为准")
    if any(c.status == "not_met" for c in checks):
        group = "no"
    elif missing:
        group = "maybe"
    else:
        group = "match"
    result = Result(item, group, checks, missing)
    if group != "no":
        result.estimate_yuan, result.arithmetic, result.upper_bound = estimate(profile, item)
    return result


_CIXI = re.compile(r"^(?:浙江省)?(?:宁波市)?慈溪")


def _region(item: SupportItem) -> Check:
    """Cixi bodies, Ningbo city and Zhejiang province apply; other cities
    and districts do not."""
    issuer = item.doc.issuer or ""
    rest = re.sub(r"^(?:浙江省|宁波市)+", "", issuer)
    if _CIXI.match(issuer) or not re.match(r"^[\u4e00-\u9fa5]{1,4}?(?:市|区|县)", rest):
        return Check(issuer or "发布单位未注明", "met", "慈溪企业适用（慈溪市、宁波市或浙江省发布）")
    place = re.match(r"^[\u4e00-\u9fa5]{1,4}?(?:市|区|县)", rest).group(0)  # type: ignore[union-attr]
    return Check(issuer, "not_met", f"本条为{place}政策，适用于{place}企业，不适用于慈溪企业", failed=["region"])


_FIELD_OF = {
    "scale": ["above_scale"], "industry": ["industry"], "growth": ["revenue_growth_pct"],
    "avg_growth": ["prev_growth_pct"], "equipment": ["equipment_wan"], "first_version": ["first_version_products"],
    "qualification": ["qualifications"], "talent": ["talents"], "rd_institution": ["rd_institution"],
}


def _condition(profile: Profile, text: str, requirements: list[Requirement]) -> Check:
    if not requirements:
        return Check(text, "unknown", "此条件需对照原文自行核实", [f"核实“{_short(text)}”"])
    verdicts = [_requirement(profile, r) for r in requirements]
    reasons = "；".join(v[1] for v in verdicts)
    failed = [r.kind for r, v in zip(requirements, verdicts) if v[0] == "not_met"]
    if failed:
        return Check(text, "not_met", reasons, failed=failed)
    unknown = [m for v in verdicts if v[0] == "unknown" for m in v[2]]
    if unknown:
        return Check(text, "unknown", reasons, unknown)
    return Check(text, "met", reasons)


def _short(text: str) -> str:
    return text if len(text) <= 20 else text[:20] + "…"


def _requirement(p: Profile, r: Requirement) -> tuple[str, str, list[str]]:
    """(status, reason, fields to fill) for one requirement."""
    kind = r.kind
    if kind == "scale":
        return _known(p.above_scale, lambda v: v, "规上企业", "是否规上", lambda v: "规上" if v else "非规上")
    if kind == "industry":
        allowed = set().union(*(INDUSTRY_GROUPS.get(v, {v}) for v in r.values))
        want = "、".join(r.values)
        return _known(p.industry, lambda v: v in allowed, f"行业为{want}", "行业", str)
    if kind == "growth":
        target = r.number or 0.0
        test = (lambda v: v > target) if r.op == ">" else (lambda v: v >= target)
        sign = "高于" if r.op == ">" else "达到"
        return _known(p.revenue_growth_pct, test, f"当年度营收增速{sign}{target:g}%", "当年度营收增速", lambda v: f"{v:g}%")
    if kind == "avg_growth":
        if p.revenue_growth_pct is not None and p.prev_growth_pct is not None:
            mean = (p.revenue_growth_pct + p.prev_growth_pct) / 2
            status = "met" if mean > 0 else "not_met"
            return status, f"近两年营收平均增长率为 {mean:g}%（要求为正）", []
        if p.avg_growth_positive is not None:
            return ("met" if p.avg_growth_positive else "not_met"), f"您填写：近两年平均增长率{'为正' if p.avg_growth_positive else '不为正'}", []
        return "unknown", "需要当年度和上年度营收增速，判断近两年平均增长率是否为正", ["上年度营收增速"]
    if kind == "equipment":
        need = (r.number or 0) / 1e4
        return _known(p.equipment_wan, lambda v: v >= need, f"设备投入{need:g}万元以上", "技改设备投入", lambda v: f"{v:g}万元")
    if kind == "first_version":
        return _known(p.first_version_products, lambda v: v >= 1, "当年度有产品新列入宁波市软件首版次目录", "软件首版次产品数", lambda v: f"{v}个")
    if kind in ("qualification", "talent"):
        held = p.qualifications if kind == "qualification" else p.talents
        label = "已有资质" if kind == "qualification" else "人才计划入选情况"
        want = "、".join(r.values)
        return _known(held, lambda v: bool(set(v) & set(r.values)), f"具有{want}（任一）", label, lambda v: "、".join(v) or "无")
    if kind == "rd_institution":
        return _known(p.rd_institution, lambda v: v in r.values, f"研发机构级别为{'或'.join(r.values)}", "研发机构级别", str)
    what = {"output_growth": "产值增速", "output_value": "年产值", "entered_scale": "是否当年度新进规上"}.get(kind, kind)
    return "unknown", f"{what}表单未收集，请对照原文自行核实", [f"{what}（请对照原文核实）"]


def _known(value, test, want: str, label: str, show) -> tuple[str, str, list[str]]:
    if value is None:
        return "unknown", f"要求：{want}；未填写{label}", [label]
    ok = test(value)
    return ("met" if ok else "not_met"), f"要求：{want}；您填写：{show(value)}", []


def increment_yuan(profile: Profile) -> int | None:
    """营收增量 from this year's revenue and growth: R × g / (100 + g)."""
    revenue, growth = profile.revenue_wan, profile.revenue_growth_pct
    if revenue is None or growth is None:
        return None
    return _round(revenue * 1e4 * growth / (100 + growth))


def _round(value: float) -> int:
    return int(math.floor(value + 0.5))


def estimate(profile: Profile, item: SupportItem) -> tuple[float | None, str, bool]:
    """(estimate in yuan, its arithmetic, whether it is a maximum); None
    where the clause has no formula or the profile lacks its base."""
    b = item.benefit
    cap = b.cap_yuan
    if b.per_unit and b.per_unit.step_unit == "元" and "营收" in b.per_unit.base:
        inc = increment_yuan(profile)
        if inc is None:
            return None, "", False
        units = max(0, math.floor(inc / b.per_unit.step))
        raw = units * b.per_unit.yuan
        text = f"增量 {_wan(inc)} → {units} × {money(b.per_unit.yuan)} = {_yuan_text(raw)}"
        return _capped(raw, cap, text, b.upper)
    if b.rate is not None and b.base in ("营收增量", "设备投入额"):
        if b.base == "营收增量":
            base, label = increment_yuan(profile), "增量"
        else:
            base = None if profile.equipment_wan is None else _round(profile.equipment_wan * 1e4)
            label = "设备投入"
        if base is None:
            return None, "", False
        raw = _round(max(base, 0) * b.rate)
        return _capped(raw, cap, f"{label} {_wan(base)} × {percent(b.rate)} = {_yuan_text(raw)}", b.upper)
    if b.amount_yuan is not None and not b.floor and not b.tiered:
        return _capped(b.amount_yuan, cap, f"定额 {money(b.amount_yuan)}", False)
    return None, "", False


def _capped(raw: float, cap: float | None, text: str, upper: bool) -> tuple[float, str, bool]:
    if cap is None:
        return raw, text, upper
    if raw > cap:
        return cap, f"{text}，超过上限，按上限{money(cap)}计", upper
    return raw, f"{text}（上限{money(cap)}）", upper


def _wan(yuan: float) -> str:
    return f"{yuan / 1e4:.0f}万元" if abs(yuan) >= 1e4 else f"{yuan:,.0f}元"


def _yuan_text(yuan: float) -> str:
    return f"{yuan:,.0f}元"


# --- free text → profile -------------------------------------------------------------------------------

_INDUSTRY_WORDS = [
    (r"数字经济(?:类|型|的)?(?:制造|核心制造)", "数字经济制造业"),
    (r"软件|信息服务|信息技术服务|IT服务|互联网", "软件和信息服务业"),
    (r"家电", "智能家电"),
    (r"汽车零部件|汽配|汽车配件", "汽车零部件"),
    (r"基础件|轴承|紧固件|密封件", "关键基础件"),
    (r"智能装备|装备制造|机器人|自动化设备", "智能装备"),
    (r"新材料|石墨烯|磁性材料", "新材料"),
    (r"医疗器械|生物医药|生命健康", "生命健康"),
    (r"制造|工厂|生产企业|加工", "其他制造业"),
    (r"贸易|商贸|零售|餐饮|物流", "其他行业"),
]
_QUALIFICATION_WORDS = [
    (r"高新技术企业|高企|高新企业", "高新技术企业"),
    (r"科技型中小企业|科小", "科技型中小企业"),
    (r"小巨人", "专精特新“小巨人”企业"),
    (r"专精特新中小培育", "宁波专精特新中小培育企业"),
    (r"专精特新(?!“?小巨人|中小培育)", "专精特新中小企业"),
    (r"数商", "省数商"),
    (r"数字化服务商", "数字化服务商"),
    (r"数字经济核心(?:产业)?企业库", "数字经济核心产业企业库"),
    (r"单项冠军”?示范", "宁波“单项冠军”示范企业"),
    (r"单项冠军”?培育", "宁波“单项冠军”培育企业"),
    (r"隐形冠军", "省“隐形冠军”培育企业"),
    (r"智能经济行业龙头", "智能经济行业龙头企业"),
    (r"智能经济示范", "智能经济示范企业"),
    (r"实验室|重大科创平台", "重大科创平台"),
    (r"技术创新中心|制造业创新中心", "技术（制造业）创新中心"),
    (r"综合体", "产业创新服务综合体运营单位"),
]
_TALENT_WORDS = [
    (r"国家(?:级)?引才计划|国家人才计划", "国家引才计划"),
    (r"省(?:级)?引才计划|省人才计划", "省引才计划"),
    (r"上林英才", "上林英才"),
    (r"甬江人才", "甬江人才工程"),
    (r"顶尖人才", "市顶尖人才科技项目"),
]
_AMOUNT = r"(\d+(?:\.\d+)?)\s*(?:个(?=亿))?(亿|万)?\s*元?"  # 1个亿 too
# Revenue from one amount to another (营收从8000万涨到9000万; 2024年营收8000万，2025年做到9000万).
_REVENUE_RISE = re.compile(r"(?:营收|营业收入|销售收入|销售额|收入)[^，。；\d]{0,4}?从?" + r"(\d+(?:\.\d+)?)\s*(?:个(?=亿))?(亿|万)元?"
                           + r"[^。；]{0,14}?(?:涨到|增到|增至|增长到|提高到|提升到|做到|达到|变成)了?" + _AMOUNT)


def parse_description(text: str) -> dict[str, Any]:
    """Profile fields a description states, read by rules (the user checks
    them in the form). Only what is said is filled; the rest stays blank."""
    flat = to_digits(re.sub(r"\s+", "", text or "")).replace("％", "%")
    found: dict[str, Any] = {}
    for pattern, industry in _INDUSTRY_WORDS:
        if re.search(pattern, flat):
            found["industry"] = industry
            break
    if re.search(r"规下|非规上|不是规上|未进规|没有进规", flat):
        found["above_scale"] = False
    elif re.search(r"规上|规模以上", flat):
        found["above_scale"] = True
    prev = re.search(r"(?:上年|去年|上一年|前一年)[^，。；,;]{0,10}?(?:增长|增速|增幅|涨幅|涨了?)(?:了|为|达到|约)?(-?\d+(?:\.\d+)?)%", flat)
    if prev:
        found["prev_growth_pct"] = float(prev.group(1))
        flat = flat[: prev.start()] + flat[prev.end():]
    if re.search(r"(?:近|前)?(?:两|2)年[^，。；]{0,10}平均[^，。；]{0,8}(?:为正|是正|正的|正增长)", flat):
        found["avg_growth_positive"] = True
    growth = re.search(r"(?:增长|增速|增幅|涨幅|涨了|增加)(?:了|为|达到|达|约|到)?(-?\d+(?:\.\d+)?)%", flat)
    fall = re.search(r"(?:下降|减少|下滑|降了)(?:了|约)?(\d+(?:\.\d+)?)%", flat)
    if growth:
        found["revenue_growth_pct"] = float(growth.group(1))
    elif fall:
        found["revenue_growth_pct"] = -float(fall.group(1))
    if rise := _REVENUE_RISE.search(flat):  # 营收从8000万涨到9000万: this year's revenue, and its growth
        before, after = _wan_of(rise.group(1), rise.group(2)), _wan_of(rise.group(3), rise.group(4))
        found["revenue_wan"] = after
        if "revenue_growth_pct" not in found and before > 0:
            found["revenue_growth_pct"] = round((after - before) / before * 100, 2)
    elif revenue := re.search(r"(?:营收|营业收入|销售收入|销售额|年收入|收入)(?:约|达到|达|为|是|有|共|规模)?" + _AMOUNT, flat):
        found["revenue_wan"] = _wan_of(revenue.group(1), revenue.group(2))
    if rd := re.search(r"研发(?:投入|费用|经费)(?:约|达到|达|为|是|有)?" + _AMOUNT, flat):
        found["rd_spending_wan"] = _wan_of(rd.group(1), rd.group(2))
    if equipment := re.search(r"设备[^，。；\d]{0,6}?" + _AMOUNT, flat):
        found["equipment_wan"] = _wan_of(equipment.group(1), equipment.group(2))
    if "首版次" in flat:
        count = re.search(r"(\d+)(?:个|款|项)[^，。；]{0,24}首版次|首版次[^，。；]{0,6}?(\d+)(?:个|款|项)", flat)
        found["first_version_products"] = int(next(g for g in count.groups() if g)) if count else 1
    qualifications = [q for pattern, q in _QUALIFICATION_WORDS if re.search(pattern, flat)]
    if qualifications:
        found["qualifications"] = list(dict.fromkeys(qualifications))
    talents = [t for pattern, t in _TALENT_WORDS if re.search(pattern, flat)]
    if re.search(r"国家、省引才计划|国家和省引才计划", flat):
        talents += ["国家引才计划", "省引才计划"]
    if talents:
        found["talents"] = list(dict.fromkeys(talents))
    if level := re.search(r"(国家级|省级|宁波市级|市级)(?:企业)?(?:研发机构|研发中心|研究院|工程技术中心)", flat):
        found["rd_institution"] = level.group(1)
    if town := next((t for t in TOWNS if re.sub("街道$|镇$", "", t) in flat), None):
        found["town"] = town
    return found


def to_digits(text: str) -> str:
    """Chinese numerals as digits (百分之二十 → 20%, 三个 → 3个)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cn2an warns about a bare 万 or 亿
        return cn2an.transform(text, "cn2an")


def _wan_of(num: str, unit: str | None) -> float:
    value = float(num)
    if unit == "亿":
        return value * 1e4
    if unit == "万":
        return value
    return value / 1e4 if value >= 1e5 else value  # a bare large figure is in yuan (两亿 → 200000000)
