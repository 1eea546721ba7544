"""Cixi innovation-policy Q&A assistant: answers from official texts, with citations.

Heavy modules (torch, chromadb, gradio) load lazily; importing the package is cheap.
"""
from __future__ import annotations

from . import config as _config  # noqa: F401  (sets offline defaults first)
from .documents import Chunk, DocMeta, Document
from .errors import ReasonError
from .loaders import LoadError

__all__ = ["Chunk", "DocMeta", "Document", "LoadError", "ReasonError", "IngestReport", "ingest"]


def __getattr__(name: str):
    if name in ("ingest", "IngestReport"):
        from . import ingestion

        return getattr(ingestion, name)
    raise AttributeError(name)
