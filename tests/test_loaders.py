"""Tests for assistant.loaders, on real files made here with the real libraries."""
from __future__ import annotations

import io
import random
import re
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from assistant.documents import DocMeta, Document, LoadedText
from assistant.loaders import SUPPORTED_SUFFIXES, LoadError, is_supported, load_text

CORPUS = Path(__file__).parent.parent / "corpus"
CJK = re.compile(r"[\u4e00-\u9fff]")

SAMPLE = "慈溪市科技局关于企业研发费用补助的通知\n符合条件的企业可按规定申请补助。\n"
PAGE_ONE = "慈溪市鼓励企业加大研发投入。"
PAGE_TWO = "高新技术企业最高可获一百万元奖励。"

pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))


# ---------------------------------------------------------------- helpers


def write(tmp_path: Path, name: str, data: bytes | str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


def load_error(path: Path) -> str:
    """Load ``path`` expecting a LoadError; return its reason after checking it is Chinese."""
    with pytest.raises(LoadError) as info:
        load_text(path)
    assert CJK.search(info.value.reason), info.value.reason
    return info.value.reason


def random_bytes(size: int = 4096, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


def make_pdf(*page_texts: str, rectangle_only: bool = False) -> bytes:
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    for text in page_texts:
        if rectangle_only:
            pdf.setFillGray(0.4)
            pdf.rect(72, 500, 300, 200, fill=1)
        else:
            pdf.setFont("STSong-Light", 14)
            pdf.drawString(72, 720, text)
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


def encrypt_pdf(data: bytes, user_password: str, owner_password: str = "owner") -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password=owner_password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# ---------------------------------------------------------------- plain text


@pytest.mark.parametrize(
    "raw",
    [
        SAMPLE.encode("utf-8"),
        b"\xef\xbb\xbf" + SAMPLE.encode("utf-8"),
        SAMPLE.encode("gbk"),
        SAMPLE.encode("gb2312"),
        b"\xff\xfe" + SAMPLE.encode("utf-16-le"),
    ],
    ids=["utf8", "utf8-bom", "gbk", "gb2312", "utf16-bom"],
)
def test_text_encodings_decode_to_same_string(tmp_path, raw):
    loaded = load_text(write(tmp_path, "notice.txt", raw))
    assert isinstance(loaded, LoadedText)
    assert loaded.text == SAMPLE
    assert loaded.pages == []


def test_gb18030_only_characters(tmp_path):
    text = "生僻字𠮷与䶮出现在人名中。"
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")  # so this really needs GB18030
    assert load_text(write(tmp_path, "names.txt", text, "gb18030")).text == text


def test_line_endings_normalised(tmp_path):
    raw = "第一行\r\n第二行\r第三行\n".encode("gbk")
    assert load_text(write(tmp_path, "crlf.txt", raw)).text == "第一行\n第二行\n第三行\n"


def test_markdown_and_upper_case_suffix(tmp_path):
    md = "# 标题\n\n正文内容。\n"
    assert load_text(write(tmp_path, "readme.md", md)).text == md
    assert load_text(write(tmp_path, "UPPER.TXT", SAMPLE)).text == SAMPLE


@pytest.mark.parametrize("raw", [b"", b"   \r\n\t\n", b"\xef\xbb\xbf \n"], ids=["empty", "blank", "bom-only"])
def test_empty_text_file(tmp_path, raw):
    assert load_error(write(tmp_path, "empty.txt", raw)) == "文件为空"


def test_random_bytes_txt(tmp_path):
    reason = load_error(write(tmp_path, "junk.txt", random_bytes()))
    assert "不是可读文本" in reason or "编码" in reason


def test_nul_bytes_txt(tmp_path):
    raw = "正常的开头".encode() + b"\x00\x00\x01" + "结尾".encode()
    assert "不是可读文本" in load_error(write(tmp_path, "nul.txt", raw))


def test_control_characters_txt(tmp_path):
    raw = ("文字" + "\x01\x02\x03\x04\x1b" * 10).encode("utf-8")  # valid UTF-8, but junk
    assert "不是可读文本" in load_error(write(tmp_path, "ctl.txt", raw))


def test_undecodable_txt(tmp_path):
    # \x80 alone is invalid UTF-8 and invalid GB18030.
    raw = "开头".encode() + b"\x80"
    assert "编码" in load_error(write(tmp_path, "bad.txt", raw))


# ---------------------------------------------------------------- PDF


def test_chinese_pdf_two_pages(tmp_path):
    loaded = load_text(write(tmp_path, "policy.pdf", make_pdf(PAGE_ONE, PAGE_TWO)))
    assert PAGE_ONE in loaded.text and PAGE_TWO in loaded.text
    assert loaded.text.index(PAGE_ONE) < loaded.text.index(PAGE_TWO)
    assert [number for _, number in loaded.pages] == [1, 2]
    assert loaded.pages[0][0] == 0
    second = loaded.text.index(PAGE_TWO)
    doc = Document("policy.pdf", "x", loaded.text, DocMeta(), loaded.pages)
    assert doc.page_at(second) == 2
    assert doc.page_at(loaded.text.index(PAGE_ONE)) == 1
    assert loaded.text[loaded.pages[1][0]:].startswith(PAGE_TWO)


def test_encrypted_pdf(tmp_path):
    data = encrypt_pdf(make_pdf(PAGE_ONE), user_password="secret")
    assert "加密" in load_error(write(tmp_path, "locked.pdf", data))


def test_pdf_with_owner_password_only_opens(tmp_path):
    data = encrypt_pdf(make_pdf(PAGE_ONE), user_password="")
    assert PAGE_ONE in load_text(write(tmp_path, "owner.pdf", data)).text


def test_truncated_pdf(tmp_path):
    data = make_pdf(PAGE_ONE, PAGE_TWO)
    assert "损坏" in load_error(write(tmp_path, "half.pdf", data[: len(data) // 2]))


def test_image_only_pdf(tmp_path):
    data = make_pdf("", rectangle_only=True)
    assert "OCR" in load_error(write(tmp_path, "scan.pdf", data))


def test_random_bytes_pdf(tmp_path):
    load_error(write(tmp_path, "junk.pdf", random_bytes()))


@pytest.mark.parametrize("seed", range(5))
def test_mangled_pdf_never_leaks_other_exceptions(tmp_path, seed):
    data = bytearray(make_pdf(PAGE_ONE, PAGE_TWO))
    rng = random.Random(seed)
    start = rng.randrange(20, len(data) - 400)
    data[start:start + 200] = rng.randbytes(200)  # header and %%EOF survive
    try:
        load_text(write(tmp_path, "mangled.pdf", bytes(data)))
    except LoadError as exc:
        assert CJK.search(exc.reason)


# ---------------------------------------------------------------- Word


def make_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_heading("科技创新券管理办法", level=1)
    document.add_paragraph("第一条 为鼓励企业购买科技服务，制定本办法。")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "项目"
    table.cell(0, 1).text = "补助比例"
    table.cell(1, 0).text = "检验检测"
    table.cell(1, 1).text = "百分之五十"
    merged = document.add_table(rows=1, cols=3)
    merged.cell(0, 0).merge(merged.cell(0, 2)).text = "合并单元格只出现一次"
    document.add_paragraph("第二条 本办法自发布之日起施行。")
    document.save(path)
    return path


def test_docx_paragraphs_and_tables_in_order(tmp_path):
    text = load_text(make_docx(tmp_path / "rules.docx")).text
    expected = [
        "科技创新券管理办法",
        "第一条 为鼓励企业购买科技服务，制定本办法。",
        "项目",
        "补助比例",
        "检验检测",
        "百分之五十",
        "合并单元格只出现一次",
        "第二条 本办法自发布之日起施行。",
    ]
    assert text.split("\n") == expected


def test_corrupt_docx(tmp_path):
    assert "Word" in load_error(write(tmp_path, "junk.docx", random_bytes()))
    good = (make_docx(tmp_path / "good.docx")).read_bytes()
    assert "Word" in load_error(write(tmp_path, "cut.docx", good[: len(good) // 2]))


def test_old_doc_format(tmp_path):
    assert ".doc" in load_error(write(tmp_path, "old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)))
    # An old .doc merely renamed to .docx gets the same advice.
    assert "另存为 .docx" in load_error(write(tmp_path, "renamed.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)))


def test_empty_docx(tmp_path):
    path = tmp_path / "blank.docx"
    docx.Document().save(path)
    load_error(path)


# ---------------------------------------------------------------- HTML

BODY = "慈溪市人民政府办公室关于印发产业政策的通知。"
HTML = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>政策公开</title>
<style>body {{ color: red; }} .秘密样式 {{}}</style>
<script>var secret = "脚本内容不应出现";</script></head>
<body>
<header>网站头部导航</header><nav><a href="/">首页</a></nav>
<!-- 注释不应出现 -->
<div class="content">
  <p>{BODY}</p>
  <p>请各单位<a href="#">认真贯彻</a>执行，
     并及时反馈。</p>


  <table><tr><td>申报时间</td><td>2025年5月</td></tr></table>
</div>
<noscript>请启用脚本</noscript>
<footer>版权所有 网站底部</footer>
</body></html>
"""


def test_html_body_text(tmp_path):
    text = load_text(write(tmp_path, "page.html", HTML)).text
    lines = text.split("\n")
    assert BODY in lines
    # An inline link does not split the sentence; a source line break between
    # Chinese characters disappears rather than becoming a space.
    assert "请各单位认真贯彻执行，并及时反馈。" in lines
    assert "申报时间" in lines and "2025年5月" in lines
    for absent in ("脚本内容", "secret", "color", "秘密样式", "网站头部", "首页", "注释", "请启用脚本", "版权所有"):
        assert absent not in text
    assert "" not in lines  # blank lines collapsed


@pytest.mark.parametrize(
    "meta",
    ['<meta charset="gbk">', '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">', ""],
    ids=["meta-charset", "http-equiv", "no-meta"],
)
def test_gbk_html(tmp_path, meta):
    page = f"<html><head>{meta}<script>alert('脚本')</script></head><body><p>{BODY}</p></body></html>"
    text = load_text(write(tmp_path, "gbk.htm", page, "gbk")).text
    assert text == BODY


def test_html_charset_wrongly_declared_falls_back(tmp_path):
    page = f'<html><head><meta charset="gbk"></head><body><p>{BODY}</p></body></html>'
    # Declared GBK but really UTF-8: these bytes are not valid GB18030, so the
    # UTF-8 fallback is used.
    assert load_text(write(tmp_path, "liar.html", page, "utf-8")).text == BODY


def test_empty_html(tmp_path):
    assert load_error(write(tmp_path, "empty.html", b"")) == "文件为空"
    load_error(write(tmp_path, "scripts.html", "<html><script>x=1</script></html>"))


# ---------------------------------------------------------------- types and errors


def test_unsupported_extension(tmp_path):
    reason = load_error(write(tmp_path, "table.xlsx", b"PK\x03\x04"))
    assert ".xlsx" in reason and "支持" in reason
    load_error(write(tmp_path, "no_suffix", SAMPLE))


def test_missing_file(tmp_path):
    load_error(tmp_path / "gone.txt")


def test_supported_suffixes():
    assert isinstance(SUPPORTED_SUFFIXES, frozenset)
    assert SUPPORTED_SUFFIXES == {".txt", ".md", ".pdf", ".docx", ".html", ".htm"}
    assert is_supported(Path("a.PDF")) and is_supported("b.htm")
    assert not is_supported("c.doc") and not is_supported("d.xlsx") and not is_supported("e")


# ---------------------------------------------------------------- corpus


CORPUS_FILES = sorted(p for p in CORPUS.iterdir() if p.is_file()) if CORPUS.is_dir() else []


def test_corpus_present():
    assert CORPUS_FILES, f"no corpus files in {CORPUS}"


@pytest.mark.parametrize("path", CORPUS_FILES, ids=[p.name for p in CORPUS_FILES])
def test_corpus_file_loads_as_exactly_its_text_in_every_encoding_and_format(path, tmp_path):
    """Each shipped file (UTF-8) loads as exactly its bytes decoded; the
    same text saved as GB18030, as UTF-16 with a BOM and with Windows line
    ends loads to the same string, and as a Word file (one paragraph a line)
    to the same lines."""
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    assert CJK.search(text) and "\r" not in text
    assert load_text(path).text == text
    assert load_text(write(tmp_path, "gb18030.txt", text.encode("gb18030"))).text == text
    assert load_text(write(tmp_path, "utf16.txt", b"\xff\xfe" + text.encode("utf-16-le"))).text == text
    assert load_text(write(tmp_path, "crlf.txt", text.replace("\n", "\r\n").encode("utf-8"))).text == text
    lines = [line for line in text.splitlines() if line.strip()]
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    document.save(tmp_path / "same.docx")
    assert load_text(tmp_path / "same.docx").text.split("\n") == [line.strip() for line in lines]
