"""The two seams where a component can be swapped: the text embedder and
the LLM that writes answers. ``embeddings.Embedder`` and ``llm.LLMClient``
are the shipped implementations; tests and benchmarks pass their own."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

import numpy as np

from .documents import SourcePassage


class TextEmbedder(Protocol):
    @property
    def model_name(self) -> str:
        """The configured model name (labels the index it built)."""
        ...

    @property
    def cache_tag(self) -> str:
        """What produced a vector, for the embedding cache key."""
        ...

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> list[float]: ...


class AnswerModel(Protocol):
    def generate(self, question: str, passages: list[SourcePassage]) -> str:
        """The whole answer, with [n] markers; raises LLMError."""
        ...

    def stream(self, question: str, passages: list[SourcePassage]) -> Iterator[str]:
        """Text deltas as they arrive; raises LLMError."""
        ...
