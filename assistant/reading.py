"""What a question asks and what it pins down, read once before anything
is searched.

A ``Reading`` holds the question in matching form (see ``normalize``),
what kind of answer fits (a sum, a date, a count, a share, a body, a
person, a document's metadata), and the constraints the answer must meet:
the years, places and batches the question names. The answer pipeline
checks each constraint against the quoted sentence and its document
instead of guessing from word overlap.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .normalize import normalize

# 慈科〔2024〕53号 (any bracket): up to six characters before it, its year and number.
DOC_NUMBER = re.compile(r"([\u4e00-\u9fff]{0,6})\s*[〔\[(（【]\s*((?:19|20)\d\d)\s*[〕\])）】]\s*第?(\d{1,4})\s*号")

# 什么时候能拨: when a grant is paid, which a condition answers (…全职到岗的情况下可一次性拨付), not a date.
_WHEN_PAID = r"(能|可以|才能|会)?(拨|发放|兑付|兑现|到账|打款)"

# What a question asks for, and what a sentence must hold to provide it.
ASKED_KINDS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "money": (
        re.compile(r"多少钱|多少资金|多少经费|(兑付|兑现|预算|投入|支出|收入|贷|借|融资)(款)?(了)?多少|金额|几万|几百|几千|几个亿|多少个亿|多少万"),
        re.compile(r"\d[\d.,]*\s*(万|亿)?元"),
    ),
    "reward": (
        re.compile(r"(奖励|奖|补助|补|资助|给|扶持|补贴|支持|拿)(了)?多少|多少(奖励|补助|资助|补贴)|(奖励|补助|资助|补贴)(标准|额度)|封顶|上限|最多(能)?(拿|奖|给|补)"),
        re.compile(r"\d[\d.,]*\s*(万|亿)?元|\d\s*%"),
    ),
    "date": (
        re.compile(rf"(什么时候|何时)(?!{_WHEN_PAID})|哪天|哪一天|截止|(?<!第)几号(?!文)|几月|哪个月|什么日期|哪一日"),
        re.compile(r"\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}-\d{2}-\d{2}|\d{4}\s*年\s*\d{1,2}\s*月"),
    ),
    "count": (  # 其他几类分别多少 asks amounts; 跟几家企业, 几家企业一起 say several
        re.compile(r"数量|多少(家|个(?!亿|百分点|点)|户|项|名|类|人|批|条|所|件)"
                   r"|(?<![第哪他跟和与同好])几(家|个(?!亿|百分点|点)|户|项|名|类|人|批|条|所|件)(?!分别|各|\S{0,4}(一起|联合|合作|共同))"),
        re.compile(r"\d+\s*(余|多)?\s*(家|个(?!工作日|月|小时|百分点|亿)|户|项|名|类|人|批|条|所|件)"),
    ),
    "percent": (
        re.compile(r"比例|比重|百分之|多少%|百分比|增速|增幅|增长了多少|涨了多少|强度|几个点|占比|利率|费率|贴息率|几成|多少成"),
        re.compile(r"\d\s*%|百分点|不作限制|不受限制|不设限"),  # 具体比例不作限制 answers 要自筹多少比例
    ),
    "who": (
        re.compile(r"谁(?![高多大低少更好强优快])|哪位|联系人|(哪个|什么|哪家|哪些|哪几个|哪几家)(部门|单位|机构|平台)|责任单位"),
        re.compile(r"联系人|代表|市长|局长|主任|书记|牵头|责任单位|[“\"][^”\"]{2,12}[”\"]"
                   r"|(市|省|区|县|镇)[\u4e00-\u9fff]{0,6}(局|厅|办公室|委员会|管委会|人民政府)"),
    ),
    "contact": (  # whom to ask: a contact person, not any body named
        re.compile(r"找谁|问谁|联系谁|咨询谁|打给谁|联系人"),
        re.compile(r"联系人|咨询人|经办人"),
    ),
    "phone": (
        re.compile(r"电话|号码|联系方式|传真"),
        re.compile(r"\d{7,}|\d{3,4}-\d{7,8}"),
    ),
    "duration": (
        re.compile(r"多长时间|多久|几天|几个工作日|多少天|多少个工作日|几个月|期限?有?多长"),
        re.compile(r"(?<![月\d])\d+\s*(个工作日|工作日|个月|天|日|周|小时)"),
    ),
    "payment": (  # how a grant is paid out: at once or in instalments
        re.compile(rf"分几次|分几批|分几期|几次(给|拨|发|打)|一次性|一把|分期|分批|(怎么|如何|怎样)(拨付|拨|发放|兑付|打款)|拨付方式"
                   rf"|(什么时候|何时){_WHEN_PAID}"),  # 什么时候能拨: on what the payment waits, not a date
        re.compile(r"拨付|分\S{0,8}期|一次性|分批|兑付"),
    ),
    "plan": (  # what a body will do next (下一步怎么引导金融机构): a sentence of intent, not of what was done
        re.compile(r"下一步|接下来|今后"),
        re.compile(r"下一?步|今后|拟|力争|将(进一步|继续|加大|加快|持续|深化|推动|积极|不断|全力|着力|强化)"),
    ),
    "threshold": (  # the bar to clear (设备投入多少以上才有奖励); asked through money/reward, see asked_kinds
        re.compile(r"(?!)"),  # never: see asked_kinds
        re.compile(r"\d[\d.,]*\s*(万|亿)?[元%]?\s*(\(含\))?\s*及?(以上|以下|以内)|(达到?|不低于|至少|(?<!不)超过)\s*\d"),
    ),
    "doc_number": (re.compile(r"文号|发文字号|发文号|[几哪]号文"), DOC_NUMBER),
    "address": (
        re.compile(r"地址|寄到|在哪(里|儿)?(办|交|递)|邮编"),
        re.compile(r"(路|街|大道|号|室|邮编|邮政编码)"),
    ),
}
_ASKS_NUMBER = re.compile(r"编号|号码|代码|第几号|几号")  # a number naming a document or item, not a figure
_ASKS_ANY_FIGURE = re.compile(r"多少|(?<![第哪])几(?![条项点批部])")  # 哪几个 asks which, not how many
_HAS_FIGURE = re.compile(r"\d")
_YEAR_FIGURE = re.compile(r"(19|20)\d\d\s*(年|版)")
_ASKS_THRESHOLD = re.compile(r"多少(万元?|亿元?|元)?(以上|以下)|至少|门槛|起点|起步|达到多少|不低于多少|够多少|多少才(算|能|有|可|给)")
# A sum as a condition's threshold (50万元(含)以上, 500万元以下), not a sum granted.
_THRESHOLD = re.compile(r"\d[\d.,]*\s*(万|亿)?元?\s*(\(含\))?\s*及?(以上|以下|以内)")
# Numbers that name something rather than state a figure: 第332号建议, 十八届二次会议, 〔2023〕3号.
_REFERENCE = re.compile(r"第\s*\d+\s*[号届次条章批]|\d+\s*届|\d+\s*次\s*(?:会议|全会|大会)|[〔\[(（【]\s*\d{4}\s*[〕\])）】]\s*\d+\s*号")
# "When was it issued / answered": about the document, not a date in its text.
_ASKS_WRITTEN = re.compile(
    r"(印发|答复|成文|落款|发文|出台|定稿|签发)[^？?]{0,8}(哪天|什么时候|何时|日期|时间)"
    r"|(哪天|什么时候|何时|几月几[号日]|哪年哪月)[^？?]{0,8}(印发|答复|成文|出台|发的|定稿|签发|[作做]的|[作做]报告)"
)
_ASKS_PUBLISHED = re.compile(r"(发布|公布|挂网)[^？?]{0,8}(哪天|什么时候|何时|日期|时间)|(哪天|什么时候|何时)[^？?]{0,8}(发布|公布)")
_ASKS_DOC_DATE = re.compile(f"{_ASKS_WRITTEN.pattern}|{_ASKS_PUBLISHED.pattern}")

# Metadata questions: which field of the document they ask for.
_META_FIELDS: list[tuple[str, re.Pattern[str]]] = [
    ("doc_number", re.compile(r"文号|发文字号|发文号|[几哪]号文")),
    ("issuer", re.compile(r"(哪|什么|谁)[\u4e00-\u9fff]{0,3}(部门|(?<!责任)单位|机关)[^,，?？]{0,6}(印发|发布|公布|发的|出的|答复|写的|制定的|出台的|落款)"
                          r"|(哪个|哪级|哪家|哪几个|哪些|什么)(政府|办公室|办公厅|机构|厅|局|委|部门)[^,，?？]{0,4}(印发|发布|公布|发的|出的|制定|落款)"
                          r"|哪[两几2-9]家[^,，?？]{0,4}(印发|发布|发的|出的)|(发文|落款)(机关|单位)|印发(单位|机关)|由谁(印发|发布|答复)|谁(发的|印发|发布)")),
    ("date", _ASKS_WRITTEN),
    ("published", _ASKS_PUBLISHED),
    ("title", re.compile(r"(文件|通知|意见|答复|办法|规定|建议)的?(全称|全名|标题|名称)|(全称|标题|全名)(是什么|叫什么)"
                         r"|(哪次|哪一次|什么)(会议|大会|人代会)上|报告人|(谁|哪位)(作|做)的(报告)?")),
    ("validity", re.compile(r"(还)?有效的?(吗|性|不)|是否有效|废止|失效|被替代|(是否|是不是|还是)现行|现行(的|有效)?(吗|不)")),
    ("code", re.compile(r"规范性文件(统一)?(编号|登记号|代码)|文件编号")),
    ("completeness", re.compile(r"全文吗|是全文|完整的?吗|是不是(全文|完整)|节选|摘录|不完整|断在|断掉|截断|停在哪")),
]

# "Which documents was it based on, give their 文号": the 文号 of the
# documents it cites, which its text holds, not its own.
_ASKS_CITED = re.compile(r"(依据|根据|依照|按照|参照|引用|援引|贯彻|落实|融入)[^？?。]{0,24}(哪|什么)|补充的是(哪|什么)"
                         r"|(依据|根据|依照|参照|(?<![要想])引用|(?<![要想])援引)的?《|补充的[\u4e00-\u9fff]{0,3}(文件|办法|规定|《)"
                         r"|对(哪|什么)[^？?。]{0,10}(补充|修订)"
                         r"|[按照](哪|什么)(个|份)?(文件|办法|通知|规定|意见)")
_ASKS_SOURCE = re.compile(r"(出自)?(哪份|哪个|哪一份|哪一个|什么)(文件|政策|报告|通知|意见|办法|方案|答复)|出自(哪|什么)")


def asks_cited(text: str) -> bool:
    """Does the (normalised) text ask which document another one cites or
    supplements (补充的是哪个文件): its title and 文号, which the text holds?"""
    return bool(_ASKS_CITED.search(text))


def metadata_phrases(text: str) -> list[str]:
    """The stretches of a question that ask for a metadata field (是哪天发布,
    文号): they say what is asked, not which document it is about."""
    patterns = [pattern for _, pattern in _META_FIELDS] + [_ASKS_SOURCE]
    return [m.group(0) for pattern in patterns for m in pattern.finditer(text)]


# A year, or one of a list of years the last of which says so (2023、2024、2025三个年度).
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?=(?:\s*[、和与及]\s*(?:19|20)\d\d)*\s*(?:年|版|[两三四五\d]个?年))")
# 2020年…与2019年相比: the year before the one asked, which 与上一年 and 同比 speak of.
_BASE_YEAR = re.compile(r"(?:与|比|较)\s*((?:19|20)\d\d)\s*年")
# 2023年(2月)(的)(慈溪市)(政府)工作报告: the year names the report, delivered that year, not the year it reviews.
_REPORT = r"(?:两份|那份|这份|那次|这次|的)?(?:慈溪)?市?(?:政府)?(?:工[作做])?[报抱]告"  # 工做/抱告: typed by sound
_REPORT_YEAR = re.compile(rf"(?<!\d)((?:19|20)\d\d)\s*年度?\s*(?:\d{{1,2}}\s*月份?\s*|年初|初)?{_REPORT}"
                          rf"|(?<!\d)((?:19|20)\d\d)\s*年?\s*[和与、](?=\s*(?:19|20)\d\d\s*年度?\s*{_REPORT})")
# What a programme's name ends with (海鸥创新券, 科创贷, 上林英才计划): the words before it name it.
_PROGRAMME = re.compile(r"([\u4e00-\u9fff]{2,6}?)(创新券|科技券|服务券|贷|计划|工程|基金|英才)(?![\u4e00-\u9fff]{0,1}款)")
# A和B分别… / A与B有什么不同: a cue that two things are compared, the pair,
# and where each name stops (lead words before A, what is asked after B).
_COMPARES = re.compile(r"分别|各自|各是|各为|各多少|各有|区别|不同|不一样|一样吗|异同|差别|差异|相比|比较|哪个(?:更|高|多|大|好|优)")
_COMPARED = re.compile(r"([\u4e00-\u9fffA-Za-z0-9“”+]{2,16}?)(?:和|与|跟|同)([\u4e00-\u9fffA-Za-z0-9“”+]{2,16})")
_THING_LEAD = re.compile(r"的|是|在|了解|对比|比较|问")
_THING_END = re.compile(r"的|分别|各|有|在|是|哪|谁|相比|比较|区别|不同|差|怎么|如何|多少|能|可以|需要|要|由|对")
_ARTICLE = re.compile(r"第(\d{1,3})条")
# Words a question may put before a 文号 (…规定的慈科〔2024〕53号).
_LEAD_START = re.compile(r"[的据按照在和及与里中]")
# 国家级 / 省级 / 市级 / 县级 / 区级: the level of a title, award or platform.
LEVEL = re.compile(r"(国家|省|市|县|区)级")
# A phrase the question quotes: the clause or programme it names word for word.
_QUOTED = re.compile(r"[“\"「『]([^”\"」』]{1,30})[”\"」』]")  # short ones too, so "3+3" pairs its own quotes
_BATCH = re.compile(r"第(\d+)批")
PLACES = ("慈溪", "宁波", "浙江", "余姚", "鄞州", "杭州", "温州", "绍兴", "嘉兴", "湖州", "金华", "台州", "舟山", "丽水",
          "衢州", "上海", "北京", "深圳", "江苏", "广东", "象山", "宁海", "奉化", "镇海", "北仑", "海曙", "江北")
# Towns and streets of Cixi: a document of one of them belongs to 慈溪 too.
CIXI_TOWNS = ("桥头", "掌起", "横河", "周巷", "龙山", "观海卫", "逍林", "宗汉", "坎墩", "浒山", "白沙路", "古塘", "长河",
              "胜山", "新浦", "匡堰", "附海", "崇寿", "庵东", "天元")
_PLACE = re.compile("|".join(PLACES + tuple(t + suffix for t in CIXI_TOWNS for suffix in ("镇", "街道"))))

_OWN_PLACE = re.compile(
    rf"(我们|我司|本公司|公司|企业|单位|协会|工厂|厂)[^,，。？?]{{0,6}}(在|是|位于|落户)\s*(?:{_PLACE.pattern})")
# Where someone is registered (注册在余姚的行业协会, 注册地是宁波) says who asks, not whose rule.
_REGISTERED_PLACE = re.compile(rf"(注册在|注册于|注册地[在是为]?)\s*(?:{_PLACE.pattern})")
# A partner's place (跟宁波一所高校合作) is not the place of the rule asked about either.
_PARTNER_PLACE = re.compile(rf"(跟|与|和|同)\s*(?:{_PLACE.pattern})[^,，。？?]{{0,4}}(高校|大学|学院|院所|研究院|科研院所|企业|公司|机构)")
_OWN_ANY_PLACE = re.compile(r"(我们|我司|本公司|公司|企业|单位|工厂|厂)[^,，。？?]{0,6}(在|位于|注册于|注册在|落户|从)"
                            r"[\u4e00-\u9fff]{2,4}?(?=市|省|搬|迁|过来|注册|[,，。？?])")
_EXAMPLE_PLACES = re.compile(
    rf"(?:(?:{_PLACE.pattern})[、,，和或及]?)+(?:这种|这样|这类|之类|一类|等)")


@dataclass(frozen=True)
class DocNumber:
    """A 文号 as a question writes it: 慈科〔2024〕53号 → lead ending in 慈科, 2024, 53."""

    lead: str  # the characters before the bracket (the question's may begin with other words)
    year: int
    number: int

    def __str__(self) -> str:
        return f"{_LEAD_START.split(self.lead)[-1]}〔{self.year}〕{self.number}号"

    def names(self, doc_number: str) -> bool:
        """Is ``doc_number`` (a document's 文号) the one meant?"""
        return self.quoted_in(normalize(doc_number))

    def quoted_in(self, text: str) -> bool:
        """Does ``text`` (normalised) cite this document by its 文号?"""
        return any(d.year == self.year and d.number == self.number
                   and (self.lead.endswith(d.lead) or d.lead.endswith(self.lead))
                   for d in doc_numbers(text))


_WHEN_PLANNED = re.compile(r"(明年|今年|去年|后年|年内|年底|年初|近期|下半年|上半年|本来|原本|原先|正在|准备|打算)$")


def programme_names(text: str) -> list[tuple[str, str]]:
    """(name, the words naming it) for each programme-like name in ``text``:
    海燕创新券 → ("海燕创新券", "海燕"); not a plan of the asker's (明年计划投…)."""
    return [(m.group(0), m.group(1)) for m in _PROGRAMME.finditer(text) if not _WHEN_PLANNED.search(m.group(1))]


def doc_numbers(text: str) -> list[DocNumber]:
    """The documents ``text`` names by 文号, except one it sets aside (除慈政办发〔2024〕57号外):
    a 除 just before the 文号 or at the start of the words read as its lead (依据除慈政办发…)."""
    return [DocNumber(lead, int(year), int(number)) for m in DOC_NUMBER.finditer(text)
            for lead, year, number in [m.groups()] if "除" not in text[max(0, m.start() - 3):m.start()] + lead[:3]]


@dataclass
class Reading:
    question: str  # as asked (cleaned)
    text: str  # normalised for matching
    kinds: list[str] = field(default_factory=list)  # money | date | count | percent | figure
    years: list[int] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)
    meta_fields: list[str] = field(default_factory=list)  # doc_number | issuer | date | published | title | validity | code | completeness
    parts: list[str] = field(default_factory=list)  # the sub-questions of a multi-part question (normalised)
    documents: list[DocNumber] = field(default_factory=list)  # documents named by their 文号
    levels: list[str] = field(default_factory=list)  # 国家 | 省 | 市 | 县 | 区 (…级)
    quoted: list[str] = field(default_factory=list)  # phrases the question quotes
    articles: list[int] = field(default_factory=list)  # articles named by number (第三条 → 3)
    compared: list[str] = field(default_factory=list)  # two things a comparison names (综合体, 联合体)
    report_years: list[int] = field(default_factory=list)  # years naming a work report (2023年政府工作报告)

    @property
    def asks_metadata(self) -> bool:
        return bool(self.meta_fields)

    @property
    def asks_cited(self) -> bool:
        return asks_cited(self.text)

    @property
    def asks_source(self) -> bool:
        """Which document says something (…是哪份文件提出的？文号多少？)."""
        return bool(_ASKS_SOURCE.search(self.text)) and not self.asks_cited


# English a user may mix in, and the words the documents use for it.
GLOSSARY = {"GDP": "地区生产总值", "R&D": "研发", "AI": "人工智能", "IT": "信息技术"}
_GLOSSARY = re.compile("|".join(re.escape(k) for k in GLOSSARY), re.IGNORECASE)


# A year written short, as people say it (22年疫情那阵子, 按二五年的政策): the
# documents' years are of this century. Not a span (工作满25年, 近20年以来).
_SHORT_YEAR = re.compile(r"(?<![\d.满近共超过续作干])(1[5-9]|2\d)年(?!代|以上|以内|内|间|左右|多|半|来|以来)")


def fields_asked(text: str) -> list[str]:
    """The metadata fields asked of the document itself: a 文号 or title
    asked in a clause about what it cites (补充的是哪个文号的办法) is the
    cited document's, which its text holds, and so is one asked after it
    (补充的是哪个文件？文号多少？); one asked before it is the document's own
    (文号是多少，补充的是哪个文件？)."""
    cited: list[str] = []
    for clause in re.split(r"[，,？?。；;！!]", text):
        if cited or _ASKS_CITED.search(clause):
            cited.append(clause)
    return [name for name, pattern in _META_FIELDS
            if any(not (name in ("doc_number", "title") and any(m.group(0) in c for c in cited))
                   for m in pattern.finditer(text))]


def asked_years(text: str) -> list[int]:
    """The years the (normalised) question names, except a year it
    compares the one after with (二〇二〇年…与二〇一九年相比有无增长): the
    sentence answering says 与上一年 or 同比, not that year."""
    years = {int(y) for y in _YEAR.findall(text)}
    base = {int(y) for y in _BASE_YEAR.findall(text)}
    return sorted(y for y in years if not (y in base and y + 1 in years))


def read_question(question: str) -> Reading:
    text = _GLOSSARY.sub(lambda m: GLOSSARY[m.group(0).upper()], normalize(question))
    text = _SHORT_YEAR.sub(r"20\1年", text)
    return Reading(
        question=question,
        text=text,
        kinds=asked_kinds(text),
        years=asked_years(text),
        places=named_places(text),
        batches=sorted({int(b) for b in _BATCH.findall(text)}),
        meta_fields=fields_asked(text),
        parts=split_parts(text),
        documents=doc_numbers(text),
        levels=sorted(set(LEVEL.findall(text))),
        quoted=[q for q in _QUOTED.findall(text) if len(q) >= 4],
        articles=[int(n) for n in _ARTICLE.findall(text)],
        compared=compared_things(text),
        report_years=sorted({int(y) for pair in _REPORT_YEAR.findall(text) for y in pair if y}),
    )


_CERTIFIED = re.compile(r"([\u4e00-\u9fff]{2,12})(?=认定|备案|评定)")
# Words before 认定/备案 that name no thing (2024年度通过备案, 申请高企认定, 今年): what is certified
# follows them. A 年 is a year only after digits (the stretch starts there) or 今/去/明…; 青年人才 keeps it.
_NOT_CERTIFIED = re.compile(r"^年度?|[今去明前本上每当]年度?|年度|通过|经过|予以|获得|申请|申报|进行|完成")


def certified(text: str) -> list[str]:
    """The stretches before 认定/备案/评定 (高新技术企业认定 → 高新技术企业):
    what the question says is certified or filed."""
    stretches = [_NOT_CERTIFIED.split(m.group(1))[-1].removesuffix("的") for m in _CERTIFIED.finditer(text)]
    return [s for s in stretches if len(s) >= 2]


def compared_things(text: str) -> list[str]:
    """The two things a comparison asks about (综合体和联合体分别由谁牵头？
    → [综合体, 联合体]); years (2023年版和2024年版) are read as years."""
    match = _COMPARED.search(text) if _COMPARES.search(text) else None
    if not match:
        return []
    things = [_THING_LEAD.split(match.group(1))[-1], _THING_END.split(match.group(2))[0]]
    return [] if any(len(t) < 2 or _YEAR.search(t + "年") or t.isdigit() for t in things) else things


_QUESTION_WORD = "(?:多少|几|什么|哪|怎么|吗|谁|如何|是否|是不是|有没有|能不能|呢)"
_PART_END = re.compile(rf"[？?；;]|[，,](?=[^，,？?]*{_QUESTION_WORD})")


def split_parts(text: str) -> list[str]:
    """The sub-questions of ``text`` (一般类…和3+3…分别按多少比例、最高奖多少?
    stays one; 找谁咨询，电话多少? is two), or [] for a one-part question.
    A lead asking nothing (2025年产业政策里，…; 我们是…企业，怎么申报?) is
    no sub-question: its words are the whole question's, and what follows
    it is a part even when alone (…，其他要求参照哪个文件?)."""
    pieces = _pieces(text)
    return [piece for piece, asks in pieces if asks] if len(pieces) > 1 else []


def _pieces(text: str) -> list[tuple[str, bool]]:
    """The stretches between sub-question ends, each with whether it asks
    something (a question word, or the asker's ？ or ；)."""
    pieces, start = [], 0
    for end in [*_PART_END.finditer(text), None]:
        piece = text[start:end.start() if end else len(text)].strip(" ，,。:：")
        asks = (end is not None and end.group() in "？?；;") or re.search(_QUESTION_WORD, piece) is not None
        if len(piece) >= 2:
            pieces.append((piece, asks or end is None))
        start = end.end() if end else start
    return pieces


def named_places(text: str) -> list[str]:
    """The places the question asks about; places given as examples (在杭州、
    上海这种大城市, 杭州等地) or saying where the asker is (我们公司是在余姚注册的)
    are not: the rule asked about is still the documents' own."""
    return sorted({_place_name(p) for p in _PLACE.findall(asked_place_text(text))})


def asked_place_text(text: str) -> str:
    """The question without places given as examples or saying where the
    asker is (or came from: 我们是从苏州搬过来的, or is registered: 注册在余姚的)."""
    text = _without_closing_remark(text)
    text = _REGISTERED_PLACE.sub("", text)
    return _OWN_ANY_PLACE.sub("", _OWN_PLACE.sub("", _PARTNER_PLACE.sub("", _EXAMPLE_PLACES.sub("", text))))


_REQUEST = "请|麻烦|列出|告诉|说明|给出|写出|注明|说一下|讲一下"  # …做的？请列出文号。: still asking


def _without_closing_remark(text: str) -> str:
    """The question without a remark after its last question mark that asks
    nothing (…文号是多少？企业想拿它跟慈溪的政策比一比。): it says why, not
    where, nor what. A request (…？请列出文号。) still asks."""
    m = re.search(r"[?？]([^?？]*)$", text)
    if m and m.group(1).strip(" 。.!！") and not re.search(f"{_QUESTION_WORD}|{_REQUEST}", m.group(1)):
        return text[:m.start() + 1]
    return text


def _place_name(found: str) -> str:
    return found.removesuffix("街道").removesuffix("镇") if found not in PLACES else found


_YES_NO = re.compile(r"(吗|(?<![什怎这那多])么|是否|有没有|能不能|可不可以|算不算|是不是)")


def asked_kinds(text: str) -> list[str]:
    """What the (normalised) question asks for: money, date, count,
    percent, …, or failing those any figure (多少/几). A yes-or-no part
    (自筹比例有限制吗?) asks for no figure, nor does a remark after the
    question (…怎么个贷法？厂里老板打电话来问。)."""
    text = _without_closing_remark(text)
    pieces = [piece for piece, _ in _pieces(text)]
    parts = [p for p in (pieces if len(pieces) > 1 else [text]) if not _YES_NO.search(p)]
    text = "，".join(parts)
    kinds = [kind for kind, (asks, _) in ASKED_KINDS.items() if asks.search(text)]
    if "date" in kinds and _ASKS_DOC_DATE.search(text):
        kinds.remove("date")
    if _ASKS_THRESHOLD.search(text) and ({"money", "reward"} & set(kinds) or not kinds):  # 投入多少以上才能拿: the bar
        kinds = [k for k in kinds if k not in ("money", "reward")] + ["threshold"]
    elif any(_ASKS_THRESHOLD.search(p) and not any(asks.search(p) for asks, _ in ASKED_KINDS.values()) for p in parts):
        kinds.append("threshold")  # 按多少比例奖励？设备投入门槛是多少？: the bar besides the rate
    if "contact" in kinds and "who" in kinds:
        kinds.remove("who")  # 找谁: the contact person
    if "figure" not in kinds and any(_asks_only_a_figure(p) for p in parts):
        kinds.append("figure")  # 是谁作的？人均GDP有多少？: a figure besides the who
    return kinds


def _asks_only_a_figure(part: str) -> bool:
    """Does the part ask 多少/几 and no kind of figure in particular (nor a
    number naming something: 建议编号是多少)?"""
    return bool(_ASKS_ANY_FIGURE.search(part)) and not _ASKS_DOC_DATE.search(part) and not _ASKS_NUMBER.search(part) \
        and not any(asks.search(part) for asks, _ in ASKED_KINDS.values()) and not _ASKS_THRESHOLD.search(part)


def provides(text: str, kind: str) -> bool:
    """Does the (normalised) sentence hold what ``kind`` asks for?"""
    if kind == "figure":  # a figure other than a year
        return bool(_HAS_FIGURE.search(_REFERENCE.sub("", _YEAR_FIGURE.sub("", text))))
    if kind in ("money", "reward"):  # 资助总额在50万元以下的项目 sets a condition, it grants no sum
        text = _THRESHOLD.sub("", text)
    return bool(ASKED_KINDS[kind][1].search(text))


def names_year(text: str, year: int) -> bool:
    """Does the (normalised) text speak of the year (2025年, 2025-09,
    2025版), not merely hold its digits in a name (中国制造2025)?"""
    return re.search(rf"(?<!\d){year}(?=\s*(年|版|[-./]\d))", text) is not None


def jurisdiction(issuer: str) -> str:
    """The place whose body issued a document, the most specific one named:
    慈溪 for 慈溪市科学技术局 and for Cixi's towns, 鄞州 for 宁波市鄞州区…"""
    if any(town in issuer for town in CIXI_TOWNS):
        return "慈溪"
    named = [p for p in PLACES if p in issuer]
    return max(named, key=issuer.index) if named else ""
