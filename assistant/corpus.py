"""Reading the corpus folder: which files it holds, and one file as a
Document with its metadata. Shared by ingestion, uploads and the
whole-document view, none of which needs the others' machinery."""
from __future__ import annotations

import hashlib
from pathlib import Path

from .documents import Document
from .loaders import load_text
from .metadata import build_meta, split_front_matter


def read_document(path: Path, source: str, data: bytes | None = None) -> Document:
    """Load one file into a Document with metadata (raises LoadError)."""
    data = path.read_bytes() if data is None else data
    loaded = load_text(path)
    front, body = split_front_matter(loaded.text)
    cut = len(loaded.text) - len(body)
    pages = [(max(0, start - cut), number) for start, number in loaded.pages]
    headings = [(start - cut, level) for start, level in loaded.headings if start >= cut]
    meta = build_meta(front, body, headings[0][0] if headings else None)
    return Document(source, hashlib.sha256(data).hexdigest(), body, meta, pages, headings)


def corpus_files(corpus_dir: Path) -> dict[str, Path]:
    """Files under the corpus folder by relative name (hidden ones skipped)."""
    corpus_dir = Path(corpus_dir)
    files = {}
    for path in sorted(corpus_dir.rglob("*")):
        rel = path.relative_to(corpus_dir)
        if path.is_file() and not any(part.startswith(".") for part in rel.parts):
            files[rel.as_posix()] = path
    return files
