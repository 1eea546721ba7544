"""Support items (扶持条款) as data, and the SQLite file that keeps them
beside the index (``<index>/items.sqlite``).

The dataclasses here are what flows between extraction (``items``),
versions, the matcher, the chat and the UI. The store is deliberately dumb:
one row per document (its content hash and facts) and one JSON row per
item; ``items.sync_items`` decides what to write, in one transaction per
ingestion run, so the file is always either the old or the new state.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENEFICIARIES = ("企业", "人才/团队", "平台/机构")
KINDS = ("奖励", "补助", "资助", "贴息", "配套", "扶持", "其他")


@dataclass
class Requirement:
    """One checkable part of a condition, read from its words.

    kind: scale (规上), entered_scale (当年度新进规), industry, growth (营收增速 ≥/> number %),
    avg_growth (近两年平均增长率为正), output_growth, output_value,
    qualification, talent, equipment (设备投入 ≥ number 元),
    first_version (软件首版次产品 ≥ number). ``values`` lists the
    industries/qualifications/programmes any one of which satisfies it.
    """

    kind: str
    values: list[str] = field(default_factory=list)
    number: float | None = None
    op: str = ""  # ">=" or ">" for numbers


@dataclass
class Condition:
    text: str  # verbatim piece of the clause
    requirements: list[Requirement] = field(default_factory=list)


@dataclass
class PerUnit:
    step: float  # e.g. 1000000 (元) or 1 (百分点)
    step_unit: str  # 元 | 百分点
    yuan: float  # paid per step
    base: str  # what grows: 营收增量, 产值增量, 营业收入增幅


@dataclass
class Benefit:
    kind: str | None  # one of KINDS; None when the clause is cut before it
    text: str  # the benefit part of the clause, verbatim
    amount_yuan: float | None = None  # a fixed sum (or a floor, see ``floor``)
    rate: float | None = None  # 0.05 = 5% of ``base``
    per_unit: PerUnit | None = None
    cap_yuan: float | None = None
    tiered: bool | None = False  # 分别给予 several sums for several classes
    tiers_yuan: list[float] = field(default_factory=list)
    base: str = ""  # what a rate applies to (营收增量, 设备投入额 …)
    floor: bool = False  # amount_yuan is a minimum (不低于)
    upper: bool = False  # the rate or per-unit sum is a maximum (最高)


@dataclass
class DocInfo:
    source: str
    title: str = ""
    policy_title: str = ""  # the policy's own name, e.g. 2025年慈溪市推进产业高质量发展的政策意见
    issuer: str = ""
    date: str = ""
    doc_number: str = ""
    doc_type: str = ""
    excerpt: bool = False
    source_url: str = ""
    validity: str = ""  # 有效 / 失效 / 废止 where the page says so

    @property
    def year(self) -> int | None:
        return int(self.date[:4]) if self.date[:4].isdigit() else None

    @property
    def name(self) -> str:
        return self.policy_title or self.title or self.source


@dataclass
class SupportItem:
    id: str
    source: str
    seq: int
    title: str
    section: str
    beneficiary: str  # one of BENEFICIARIES
    conditions: list[Condition]
    benefit: Benefit
    responsible_unit: str | None  # "" none given; None unknowable (the clause is cut)
    quote: str  # verbatim document text [start, end)
    start: int
    end: int
    doc: DocInfo
    page: int | None = None
    incomplete: bool = False  # cut off where an excerpt ends (不完整)
    # Filled by versions.annotate, never stored:
    status: str = "current"  # current | superseded | expired
    superseded_by: dict | None = None  # {"title", "source", "date", "item_id"}
    changes: list[dict] = field(default_factory=list)  # field-by-field differences to the newer version

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def reference(self) -> dict[str, Any]:
        """Which clause of which document, as every JSON view of an item starts."""
        return {"id": self.id, "title": self.title, "source": self.source, "doc_title": self.doc.name,
                "issuer": self.doc.issuer, "section": self.section, "quote": self.quote,
                "start": self.start, "end": self.end}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SupportItem:
        data = dict(data)
        data["conditions"] = [
            Condition(c["text"], [Requirement(**r) for r in c.get("requirements", [])]) for c in data["conditions"]
        ]
        benefit = dict(data["benefit"])
        if benefit.get("per_unit"):
            benefit["per_unit"] = PerUnit(**benefit["per_unit"])
        data["benefit"] = Benefit(**benefit)
        data["doc"] = DocInfo(**data["doc"])
        return cls(**data)


class ItemStore:
    """Documents and their items in one SQLite file (WAL: the app reads
    while an ingestion writes)."""

    def __init__(self, path: Path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        with self.db:
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            self.db.execute("CREATE TABLE IF NOT EXISTS documents (source TEXT PRIMARY KEY, sha256 TEXT, info TEXT)")
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS items (id TEXT PRIMARY KEY, source TEXT, seq INTEGER, data TEXT)"
            )

    def close(self) -> None:
        self.db.close()

    def extractor(self) -> str:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'extractor'").fetchone()
        return row[0] if row else ""

    def hashes(self) -> dict[str, str]:
        """Content hash of each document whose items are stored."""
        return dict(self.db.execute("SELECT source, sha256 FROM documents"))

    def apply(
        self, remove: list[str], replace: list[tuple[DocInfo, str, list[SupportItem]]], extractor: str
    ) -> None:
        """Drop ``remove``'s items; replace each (document, hash, items); all
        in one transaction."""
        with self.db:
            for source in remove + [doc.source for doc, _, _ in replace]:
                self.db.execute("DELETE FROM documents WHERE source = ?", (source,))
                self.db.execute("DELETE FROM items WHERE source = ?", (source,))
            for doc, sha, items in replace:
                self.db.execute(
                    "INSERT INTO documents VALUES (?, ?, ?)", (doc.source, sha, json.dumps(asdict(doc), ensure_ascii=False))
                )
                self.db.executemany(
                    "INSERT INTO items VALUES (?, ?, ?, ?)",
                    [(i.id, i.source, i.seq, json.dumps(i.to_json(), ensure_ascii=False)) for i in items],
                )
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('extractor', ?)", (extractor,))

    def documents(self) -> list[DocInfo]:
        return [DocInfo(**json.loads(info)) for (info,) in self.db.execute("SELECT info FROM documents ORDER BY source")]

    def items(self) -> list[SupportItem]:
        rows = self.db.execute("SELECT data FROM items ORDER BY source, seq")
        return [SupportItem.from_json(json.loads(data)) for (data,) in rows]


def money(yuan: float | None) -> str:
    """A sum as people write it: 30万元, 5亿元, 1000万元, 10,500元."""
    if yuan is None:
        return ""
    if yuan and yuan % 1e8 == 0:
        return f"{yuan / 1e8:g}亿元"
    if yuan and yuan % 1e4 == 0:
        return f"{yuan / 1e4:g}万元"
    return f"{yuan:,.0f}元"


def percent(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:g}%"


def benefit_text(benefit: Benefit) -> str:
    """The benefit in a few words: 每增100万元最高奖励500元，上限30万元."""
    parts = []
    if benefit.per_unit:
        step = money(benefit.per_unit.step) if benefit.per_unit.step_unit == "元" else f"{benefit.per_unit.step:g}个百分点"
        parts.append(f"每增{step}{'最高' if benefit.upper else ''}{money(benefit.per_unit.yuan)}")
    if benefit.rate is not None:
        parts.append(f"{benefit.base + '的' if benefit.base else ''}{'最高' if benefit.upper else ''}{percent(benefit.rate)}")
    if benefit.tiered and benefit.tiers_yuan:
        parts.append("分档：" + "、".join(money(v) for v in benefit.tiers_yuan))
    if benefit.amount_yuan is not None:
        parts.append(("不低于" if benefit.floor else "") + money(benefit.amount_yuan))
    if benefit.cap_yuan is not None:
        parts.append(f"{'上限' if parts else '最高'}{money(benefit.cap_yuan)}")
    return "，".join(parts)
