"""Read one file into raw text, whatever its format.

``load_text(path)`` picks a reader by file extension and returns a
:class:`LoadedText`: the file's text with line endings normalised to ``\\n``
and, for PDFs, ``pages`` as ``(start_offset, page_number)`` pairs (pages
numbered from 1). Metadata, front matter and chunking are handled elsewhere.

Supported: ``.txt``/``.md`` (UTF-8, UTF-8 with BOM, UTF-16 with BOM or
GB18030, which covers GBK and GB2312), ``.pdf`` (text layer via pypdf),
``.docx`` (python-docx, paragraphs and table cells in document order, with
Word's numbering labels and heading styles: ``docx_structure``) and
``.html``/``.htm`` (BeautifulSoup, page chrome and scripts dropped).

Anything that cannot be read raises :class:`LoadError` whose ``reason`` is a
Chinese message that can be shown to the user as is; errors raised by the
parsing libraries on bad content are caught and wrapped, never passed on.
"""
from __future__ import annotations

import codecs
import io
import re
from collections.abc import Callable
from pathlib import Path

from .documents import LoadedText
from .errors import ReasonError

# Control characters other than whitespace, the replacement character, private use.
_JUNK = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd\ue000-\uf8ff]")
_MAX_JUNK_SHARE = 0.05  # more than this share of control/replacement characters → not text
_MIN_PDF_CHARS_PER_PAGE = 5  # below this (non-space chars, on average) a PDF counts as scanned
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old binary Office files (.doc)

_HTML_DROP = ["script", "style", "noscript", "nav", "header", "footer", "template"]
_HTML_BLOCKS = [
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl", "dt",
    "figcaption", "figure", "form", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "main",
    "ol", "p", "pre", "section", "table", "td", "th", "title", "tr", "ul",
]
_CJK_BREAK = re.compile(r"(?<=[\u2e80-\u9fff\uf900-\uffef])[ \t\r\f]*\n[ \t\n\r\f]*(?=[\u2e80-\u9fff\uf900-\uffef])")
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.I)
# Declared Chinese encodings are all read as GB18030, their superset.
_GB_ALIASES = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn"}

class LoadError(ReasonError):
    """A file that cannot be read."""


ENCODING_ERROR = "无法识别文件编码（已尝试 UTF-8、GB18030）"
BINARY_ERROR = "文件内容不是可读文本（可能已损坏或类型不符）"
EMPTY_ERROR = "文件为空"


# ---------------------------------------------------------------- public API


def load_text(path: Path) -> LoadedText:
    """Read ``path`` by its extension; raise ``LoadError`` if it cannot be read."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".doc":
        raise LoadError("不支持旧版 .doc 格式，请另存为 .docx 后上传")
    loader = _LOADERS.get(suffix)
    if loader is None:
        shown = suffix or "（无扩展名）"
        raise LoadError(f"不支持的文件类型：{shown}（支持 txt、md、pdf、docx、html）")
    return loader(_read_bytes(path))


def is_supported(path: Path | str) -> bool:
    """True when ``load_text`` has a reader for this file's extension."""
    return Path(path).suffix.lower() in SUPPORTED_SUFFIXES


# ---------------------------------------------------------------- shared helpers


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise LoadError(f"文件不存在：{path.name}") from None
    except OSError as exc:
        raise LoadError(f"无法读取文件：{path.name}（{exc.strerror or type(exc).__name__}）") from None


def _decode(data: bytes, declared: str | None = None) -> str:
    """Decode by BOM, else the declared encoding, then UTF-8, then GB18030."""
    candidates: list[str | None]
    for bom, codec in _BOMS:
        if data.startswith(bom):
            data, candidates = data[len(bom):], [codec]
            break
    else:
        if b"\x00" in data:  # real text in these encodings never holds NUL bytes
            raise LoadError(BINARY_ERROR)
        candidates = [declared, "utf-8", "gb18030"]
    text = _try_decode(data, candidates)
    if text is None:
        raise LoadError(ENCODING_ERROR)
    return text


def _try_decode(data: bytes, codecs_to_try: list[str | None]) -> str | None:
    for codec in codecs_to_try:
        if not codec:
            continue
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    return None


def _check_readable(text: str) -> str:
    """Reject decoded text that is mostly binary junk; normalise line endings."""
    if "\x00" in text:
        raise LoadError(BINARY_ERROR)
    if text and len(_JUNK.findall(text)) / len(text) > _MAX_JUNK_SHARE:
        raise LoadError(BINARY_ERROR)
    return _normalise_newlines(text)


def _require_text(text: str, reason: str = EMPTY_ERROR) -> str:
    if not text.strip():
        raise LoadError(reason)
    return text


def _tidy_lines(text: str) -> str:
    """Strip each line and drop blank ones (HTML)."""
    return "\n".join(line.strip() for line in text.split("\n") if line.strip())


# ---------------------------------------------------------------- one reader per format


def _load_plain(data: bytes) -> LoadedText:
    """``.txt`` / ``.md``: decode, reject binary junk, keep the text as is."""
    return LoadedText(_require_text(_check_readable(_decode(data))))


def _load_pdf(data: bytes) -> LoadedText:
    """``.pdf``: the text layer of every page, pages joined by ``\\n``."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    if b"%PDF-" not in data[:1024]:
        raise LoadError("PDF 文件已损坏或不完整：文件头不是 PDF 格式")
    if b"%%EOF" not in data[-2048:]:
        raise LoadError("PDF 文件已损坏或不完整：缺少文件结束标记，文件可能被截断")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError("PDF 已加密，无法读取")
        page_texts = [_normalise_newlines(page.extract_text() or "").rstrip() for page in reader.pages]
    except LoadError:
        raise
    except FileNotDecryptedError:
        raise LoadError("PDF 已加密，无法读取") from None
    except DependencyError:  # AES-encrypted and the cryptography package is missing
        raise LoadError("PDF 已加密，无法读取（缺少解密组件 cryptography）") from None
    except Exception as exc:  # pypdf raises many types (KeyError, ValueError, ...) on bad input
        raise LoadError(f"PDF 文件已损坏或不完整：{_short(exc)}") from None
    return _join_pages(page_texts)


def _join_pages(page_texts: list[str]) -> LoadedText:
    text, pages, start = "\n".join(page_texts), [], 0
    for number, page_text in enumerate(page_texts, start=1):
        pages.append((start, number))
        start += len(page_text) + 1
    visible = sum(1 for ch in text if not ch.isspace())
    if visible < _MIN_PDF_CHARS_PER_PAGE * max(1, len(page_texts)):
        raise LoadError("PDF 没有文字层（可能是扫描件），需要先做 OCR")
    return LoadedText(text, pages)


def _load_docx(data: bytes) -> LoadedText:
    """``.docx``: body paragraphs and table cells in document order, one per
    line, with Word's numbering labels rendered and heading styles recorded
    (``docx_structure``)."""
    import docx

    from .docx_structure import blocks

    if data.startswith(_OLE_MAGIC):
        raise LoadError("这是旧版 .doc 格式（仅扩展名为 .docx），请在 Word 中另存为 .docx 后上传")
    try:
        paragraphs = list(blocks(docx.Document(io.BytesIO(data))))
    except Exception:  # BadZipFile, PackageNotFoundError, KeyError, lxml errors, ...
        raise LoadError("Word 文件已损坏或不是 .docx 格式") from None
    lines: list[str] = []
    headings: list[tuple[int, int]] = []
    pos = 0
    for text, level in paragraphs:
        for line in (part.strip() for part in text.split("\n")):
            if not line:
                continue
            if level is not None:
                headings.append((pos, level))
                level = None  # a heading's first line only
            lines.append(line)
            pos += len(line) + 1
    return LoadedText(_require_text("\n".join(lines), "Word 文件中没有文字"), headings=headings)


def _load_html(data: bytes) -> LoadedText:
    """``.html`` / ``.htm``: visible body text, one block element per line."""
    from bs4 import BeautifulSoup, NavigableString

    if not data.strip():
        raise LoadError(EMPTY_ERROR)
    html = _check_readable(_decode(data, _declared_charset(data)))
    try:
        soup = BeautifulSoup(html, "html.parser")
        for tag in soup(_HTML_DROP):
            tag.decompose()
        for string in soup.find_all(string=True):  # HTML collapses source whitespace
            if type(string) is NavigableString and not string.find_parent("pre"):
                string.replace_with(_collapse_html_space(string))
        for tag in soup.find_all(_HTML_BLOCKS):  # ...and breaks lines at block elements
            tag.insert_before("\n")
            tag.insert_after("\n")
        text = soup.get_text()
    except Exception as exc:  # html.parser is lenient; this is a last resort
        raise LoadError(f"网页文件无法解析：{_short(exc)}") from None
    return LoadedText(_require_text(_tidy_lines(text), "网页中没有可提取的正文文字"))


def _collapse_html_space(text: str) -> str:
    """Source line breaks between two CJK characters vanish (CSS Text 3); other
    whitespace runs become one space."""
    text = _CJK_BREAK.sub("", text)
    return re.sub(r"[ \t\n\r\f]+", " ", text)


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    if not match:
        return None
    name = match.group(1).decode("ascii", "ignore").lower()
    return "gb18030" if name in _GB_ALIASES else name


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _short(exc: Exception, limit: int = 120) -> str:
    message = str(exc).strip() or type(exc).__name__
    return message if len(message) <= limit else message[:limit] + "…"


_LOADERS: dict[str, Callable[[bytes], LoadedText]] = {
    ".txt": _load_plain,
    ".md": _load_plain,
    ".pdf": _load_pdf,
    ".docx": _load_docx,
    ".html": _load_html,
    ".htm": _load_html,
}
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_LOADERS)
