"""Sentence embeddings for chunks and questions, as a LangChain ``Embeddings``.

Importing this module is cheap: torch and sentence-transformers (about ten
seconds to import) are loaded on first use, once per process, under a lock.
Documents and queries use the model's own prompts (``encode_document`` /
``encode_query``); vectors are L2-normalised, so a dot product is the cosine.
"""
from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.config import Settings
from assistant.model_files import resolve_model

if TYPE_CHECKING:  # pragma: no cover
    from sentence_transformers import SentenceTransformer

Kind = Literal["document", "query"]


class EmbeddingModelError(RuntimeError):
    """The embedding model could not be loaded."""


class Embedder(Embeddings):
    """Lazily loaded sentence-transformers model with document/query prompts."""

    def __init__(self, model: str, cache_dir: Path, batch_size: int = 16, device: str = "cpu") -> None:
        self._model_name = model
        self._cache_dir = Path(cache_dir)
        self._batch_size = batch_size
        self._device = device
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    @property
    def model_name(self) -> str:
        """The configured model name (labels the index it built)."""
        return self._model_name

    @property
    def dimension(self) -> int:
        model = self._loaded()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    # LangChain interface -------------------------------------------------

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode_documents(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode_queries([text])[0].tolist()

    # Bulk interface ------------------------------------------------------

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        """float32 array (len(texts), dimension), with the document prompt."""
        return self._encode(texts, "document")

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """float32 array (len(texts), dimension), with the query prompt."""
        return self._encode(texts, "query")

    # Internals -----------------------------------------------------------

    def _encode(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        texts = list(texts)
        model = self._loaded()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # Longest first, so each batch pads to similar lengths; undone below.
        order = np.argsort([-len(text) for text in texts], kind="stable")
        encode = model.encode_document if kind == "document" else model.encode_query
        vectors = encode(
            [texts[i] for i in order],
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        restored = np.empty_like(vectors)
        restored[order] = vectors
        return restored

    def _loaded(self) -> SentenceTransformer:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> SentenceTransformer:
        try:
            from sentence_transformers import SentenceTransformer

            path = resolve_model(self._model_name, self._cache_dir)
            return SentenceTransformer(path, device=self._device)
        except Exception as exc:
            raise EmbeddingModelError(f"无法加载嵌入模型 {self._model_name}：{exc}") from exc


_EMBEDDERS: dict[tuple[str, str], Embedder] = {}
_EMBEDDERS_LOCK = threading.Lock()


def get_embedder(settings: Settings) -> Embedder:
    """The process-wide Embedder for ``settings``, keyed by (model, cache_dir),
    so the model loads once per process."""
    key = (settings.embedding_model, str(Path(settings.model_cache_dir).expanduser()))
    with _EMBEDDERS_LOCK:
        embedder = _EMBEDDERS.get(key)
        if embedder is None:
            embedder = Embedder(settings.embedding_model, settings.model_cache_dir, settings.embed_batch_size)
            _EMBEDDERS[key] = embedder
        return embedder
