"""Versions of a policy: documents of one series, which one is current, and
what changed between an item and its newer counterpart.

A series is the policy documents (政策文件) whose own name is the same apart
from the year (2023年/2024年/2025年慈溪市推进产业高质量发展的政策意见). The
newest is current; every item of an older version is superseded by it
(已被《2025年…》替代), and where an older item has a counterpart in the
current version (same heading, or conditions worded alike once the figures
are set aside) the differences are listed field by field: growth
threshold, rate, per-unit sum, fixed sum, cap. A document whose page says
有效性：失效/废止 has its items marked expired.

``superseded_by(source, settings)`` is the small API for answers: is this
file superseded, and by which document.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

from .config import Settings
from .item_store import DocInfo, ItemStore, SupportItem, money, percent

_YEAR = re.compile(r"\d{4}\s*年度?|二〇[一二三四五六七八九〇]{2}年")
_NOISE = re.compile(r"[\s《》“”\"'()（）、，,。]")
_DIGITS = re.compile(r"[\d.]+%?|[零〇一二两三四五六七八九十百千万亿]+(?:万|亿)?元?")
MIN_SIMILARITY = 0.5


@dataclass(frozen=True)
class Supersession:
    """The document that replaces an older version."""

    title: str
    source: str
    date: str

    @property
    def label(self) -> str:
        return f"已被《{self.title}》替代"


def series_key(doc: DocInfo) -> str | None:
    """The policy's name without its year; None for documents that are not
    policies (work reports of successive years are not versions)."""
    if doc.doc_type != "政策文件":
        return None
    key = _NOISE.sub("", _YEAR.sub("", doc.policy_title or doc.title))
    return key or None


def series(docs: list[DocInfo]) -> dict[str, list[DocInfo]]:
    """Series with two or more versions, oldest first."""
    groups: dict[str, list[DocInfo]] = {}
    for doc in docs:
        key = series_key(doc)
        if key:
            groups.setdefault(key, []).append(doc)
    return {k: sorted(v, key=lambda d: (d.date, d.source)) for k, v in groups.items() if len(v) > 1}


def replacements(docs: list[DocInfo]) -> dict[str, DocInfo]:
    """Older version's source → the current version of its series."""
    found = {}
    for versions in series(docs).values():
        current = versions[-1]
        found.update({d.source: current for d in versions[:-1]})
    return found


def similarity(a: SupportItem, b: SupportItem) -> float:
    """How alike two items are, figures set aside: the better of (a) the
    character bigrams of their conditions and benefit (Jaccard) plus 0.5 for
    the same heading, and (b) the Jaccard of what their conditions ask
    (规上, industry, growth …) when both ask two things or more."""
    def grams(item: SupportItem) -> set[str]:
        text = _DIGITS.sub("", "".join(c.text for c in item.conditions) + item.benefit.base + item.beneficiary)
        return {text[i:i + 2] for i in range(len(text) - 1)}

    def asks(item: SupportItem) -> set[tuple]:
        return {(r.kind, tuple(r.values)) for c in item.conditions for r in c.requirements}

    x, y = grams(a), grams(b)
    wording = (len(x & y) / len(x | y) if x | y else 0.0) + (0.5 if a.title and a.title == b.title else 0.0)
    p, q = asks(a), asks(b)
    meaning = len(p & q) / len(p | q) if len(p) >= 2 and len(q) >= 2 else 0.0
    return max(wording, meaning)


def counterpart(item: SupportItem, candidates: list[SupportItem]) -> SupportItem | None:
    scored = [(similarity(item, c), c) for c in candidates]
    best = max(scored, key=lambda pair: pair[0], default=(0.0, None))
    return best[1] if best[0] >= MIN_SIMILARITY else None


def _thresholds(item: SupportItem) -> dict[str, str]:
    found = {}
    for condition in item.conditions:
        for r in condition.requirements:
            if r.kind in ("growth", "output_growth") and r.number is not None:
                found["增速门槛"] = f"{r.number:g}%"
            elif r.kind == "equipment" and r.number is not None:
                found["设备投入门槛"] = money(r.number)
    return found


def _figures(item: SupportItem) -> dict[str, str]:
    b = item.benefit
    found = dict(_thresholds(item))
    if b.rate is not None:
        found["比例"] = ("最高" if b.upper else "") + percent(b.rate)
    if b.per_unit is not None:
        step = money(b.per_unit.step) if b.per_unit.step_unit == "元" else f"{b.per_unit.step:g}个百分点"
        found["每单位金额"] = f"每增{step}{'最高' if b.upper else ''}{money(b.per_unit.yuan)}"
    if b.amount_yuan is not None:
        found["金额"] = ("不低于" if b.floor else "") + money(b.amount_yuan)
    if b.cap_yuan is not None:
        found["上限"] = money(b.cap_yuan)
    return found


def changes(old: SupportItem, new: SupportItem) -> list[dict]:
    """Field-by-field differences from ``old`` to its newer counterpart."""
    before, after = _figures(old), _figures(new)
    return [
        {"field": name, "old": before.get(name, "无"), "new": after.get(name, "无")}
        for name in dict.fromkeys([*before, *after])
        if before.get(name) != after.get(name)
    ]


def annotate(items: list[SupportItem], docs: list[DocInfo]) -> list[SupportItem]:
    """Set status, superseded_by and changes on every item (in place)."""
    replaced = replacements(docs)
    by_source: dict[str, list[SupportItem]] = {}
    for item in items:
        by_source.setdefault(item.source, []).append(item)
    for item in items:
        item.status, item.superseded_by, item.changes = "current", None, []
        if item.doc.validity in ("失效", "废止"):
            item.status = "expired"
        newer = replaced.get(item.source)
        if newer is None:
            continue
        match = counterpart(item, by_source.get(newer.source, []))
        item.status = "superseded"
        item.superseded_by = {
            "title": newer.name, "source": newer.source, "date": newer.date, "item_id": match.id if match else None,
        }
        if match is not None:
            item.changes = changes(item, match)
    return items


@dataclass
class Catalog:
    """All items of an index, annotated with their versions."""

    items: list[SupportItem]
    docs: list[DocInfo]

    @property
    def current(self) -> list[SupportItem]:
        return [i for i in self.items if i.status == "current"]

    def get(self, item_id: str) -> SupportItem | None:
        return next((i for i in self.items if i.id == item_id), None)

    def earlier(self, item: SupportItem) -> list[SupportItem]:
        """Older versions of ``item``, newest first."""
        older = [i for i in self.items if i.superseded_by and i.superseded_by.get("item_id") == item.id]
        return sorted(older, key=lambda i: i.doc.date, reverse=True)

    def newer(self, item: SupportItem) -> SupportItem | None:
        target = item.superseded_by.get("item_id") if item.superseded_by else None
        return self.get(target) if target else None

    def year_versions(self, item: SupportItem) -> dict[int, SupportItem]:
        """The item in each year its series has it (current one included)."""
        current = self.newer(item) or item
        found = {i.doc.year: i for i in [current, *self.earlier(current)] if i.doc.year}
        return found


_cache: dict[Path, tuple[tuple, Catalog]] = {}


def load_catalog(settings: Settings) -> Catalog:
    """The catalog of ``settings``' index, re-read only when the item store
    has changed (it is written once per ingestion run)."""
    path = settings.items_db
    stamp = tuple(p.stat().st_mtime_ns if p.exists() else 0 for p in (path, Path(f"{path}-wal")))
    cached = _cache.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    items, docs = _read(settings)
    catalog = Catalog(annotate(items, docs), docs)
    _cache[path] = (stamp, catalog)
    return catalog


def _read(settings: Settings) -> tuple[list[SupportItem], list[DocInfo]]:
    if not settings.items_db.exists():
        return [], []
    store = ItemStore(settings.items_db)
    try:
        return store.items(), store.documents()
    finally:
        store.close()


def superseded_by(source: str, settings: Settings) -> Supersession | None:
    """Whether ``source`` is an older version of a policy, and which
    document replaces it (for answers quoting it)."""
    catalog = load_catalog(settings)
    newer = replacements(catalog.docs).get(source)
    return Supersession(newer.name, newer.source, newer.date) if newer else None


def item_json(item: SupportItem) -> dict:
    """An item as the command line and the API give it."""
    b = item.benefit
    return {
        **item.reference(),
        "page": item.page,
        "beneficiary": item.beneficiary,
        "conditions": [c.text for c in item.conditions],
        "benefit": {
            "kind": b.kind,
            "text": b.text,
            "amount_yuan": b.amount_yuan,
            "rate": b.rate,
            "base": b.base or None,
            "per_unit": asdict(b.per_unit) if b.per_unit else None,
            "cap_yuan": b.cap_yuan,
            "tiered": b.tiered,
            "tiers_yuan": b.tiers_yuan,
            "floor": b.floor,
            "upper": b.upper,
        },
        "responsible_unit": item.responsible_unit,
        "doc_date": item.doc.date,
        "incomplete": item.incomplete,
        "status": item.status,
        "superseded_by": item.superseded_by,
        "changes": item.changes,
    }
