"""Sentence embeddings for chunks and questions, as a LangChain ``Embeddings``.

Importing this module is cheap: torch and sentence-transformers (about ten
seconds to import) are loaded on first use, once per process, under a lock.
Documents and queries use the model's own prompts (``encode_document`` /
``encode_query``); vectors are L2-normalised, so a dot product is the cosine.

On a CPU with native bfloat16 (avx512_bf16 or AMX) the transformer layers
run in bfloat16, nearly twice as fast with vectors within rounding of
float32 (figures: README, Performance and scale). Elsewhere bfloat16 is
emulated and slower, so float32 stays. ``Settings.embed_dtype``
(ASSISTANT_EMBED_DTYPE: float32 | bfloat16) overrides the choice. The dtype
is part of the embedding cache key.
"""
from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
from langchain_core.embeddings import Embeddings

from .config import Settings
from .errors import ReasonError
from .model_files import resolve_model

if TYPE_CHECKING:  # pragma: no cover
    from sentence_transformers import SentenceTransformer

Kind = Literal["document", "query"]


class EmbeddingModelError(ReasonError):
    """The embedding model could not be loaded."""


def default_dtype(chosen: str = "") -> str:
    """``chosen`` if it names a dtype; otherwise bfloat16 where the CPU
    computes it natively, else float32 (read from /proc/cpuinfo so that
    choosing does not import torch)."""
    if chosen in ("float32", "bfloat16"):
        return chosen
    return "bfloat16" if _native_bf16() else "float32"


@lru_cache(maxsize=1)
def _native_bf16() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as fh:
            flags = next((line for line in fh if line.startswith("flags")), "").split()
    except OSError:
        return False
    return bool({"avx512_bf16", "amx_bf16"} & set(flags))


class Embedder(Embeddings):
    """Lazily loaded sentence-transformers model with document/query prompts."""

    def __init__(
        self, model: str, cache_dir: Path, batch_size: int = 16, device: str = "cpu", dtype: str | None = None
    ) -> None:
        self._model_name = model
        self.dtype = dtype or default_dtype()
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
    def cache_tag(self) -> str:
        """What produced a vector, for the embedding cache: model, and dtype
        unless float32 (so float32 vectors cached earlier stay valid)."""
        return self._model_name if self.dtype == "float32" else f"{self._model_name}@bf16-layers"

    @property
    def dimension(self) -> int:
        model = self._loaded()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = getter()
        assert dim is not None, "the model states its output dimension"
        return int(dim)

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
        # Normalised again in float32: bfloat16 leaves norms off by up to 0.5%.
        vectors = np.asarray(vectors, dtype=np.float32)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
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
            model = SentenceTransformer(path, device=self._device)
            return _bf16_layers(model) if self.dtype == "bfloat16" else model
        except Exception as exc:
            raise EmbeddingModelError(f"无法加载嵌入模型 {self._model_name}：{exc}") from exc


def _bf16_layers(model):
    """Every weight in bfloat16 except token embedding tables. Gemma's table
    (262k × 768) is two thirds of the model and a lookup does no arithmetic;
    converting it reads all of it and holds both copies at once (peak RSS
    2.5 GB instead of 1.4 GB). Its output is cast to bfloat16 for the layers."""
    import torch

    tables = [m for m in model.modules() if isinstance(m, torch.nn.Embedding)]
    kept = [(m, m._parameters["weight"]) for m in tables]
    for table, _ in kept:
        table._parameters["weight"] = None  # skipped by .to()
    model.to(torch.bfloat16)
    for table, weight in kept:
        table._parameters["weight"] = weight
        table.register_forward_hook(lambda _m, _args, out: out.to(torch.bfloat16))
    return model


_EMBEDDERS: dict[tuple[str, str, str], Embedder] = {}
_EMBEDDERS_LOCK = threading.Lock()


def get_embedder(settings: Settings) -> Embedder:
    """The process-wide Embedder for ``settings``, keyed by (model, cache_dir, dtype),
    so the model loads once per process."""
    key = (settings.embedding_model, str(Path(settings.model_cache_dir).expanduser()), default_dtype(settings.embed_dtype))
    with _EMBEDDERS_LOCK:
        embedder = _EMBEDDERS.get(key)
        if embedder is None:
            embedder = Embedder(settings.embedding_model, settings.model_cache_dir, settings.embed_batch_size, dtype=key[2])
            _EMBEDDERS[key] = embedder
        return embedder
