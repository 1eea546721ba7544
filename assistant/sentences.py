"""Sentences of retrieved passages, the units an extractive answer quotes,
with their meaning compared to the question's.

Every sentence of every chunk is embedded at ingestion (document prompt,
through the same (model, text) cache as chunks), so scoring the sentences
of a few retrieved passages against the question costs one cache lookup
and a dot product per sentence: the question's single embedding serves
both retrieval and sentence choice. A sentence missing from the cache (the
cache was cleared) is embedded then and cached.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .chunking import paragraphs
from .documents import Chunk
from .embedding_cache import EmbeddingCache, embed_with_cache
from .normalize import normalize
from .protocols import TextEmbedder

_SENTENCE = re.compile(r"[^。！？；!?;]+(?:[。！？；!?;]+[”’」』）)]*)?")
SENTENCE_END = tuple("。！？；!?;”’」』）)")
# Lines that never answer anything: a bare signature date, an attachment name.
_BOILERPLATE = re.compile(r"^(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|附件[:：].*|原文下载.*)$")
_MIN_CHARS = 4
_LABEL_CHARS = 8  # a line this much longer than the title that holds it is a file label
# A labelled contact field after a space, inside a run-on line: a sentence of its own.
_FIELD_START = re.compile(r"(?<=\s)(?=(联系人|联系电话|联系地址|联系方式|咨询电话)\s*[:：])")
_TRAILING_BRACKET = re.compile(r"^[（(][^（()）]{1,40}[）)]$")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans in ``text``, within its logical paragraphs (so a PDF
    line break does not cut a sentence, and page furniture is skipped). A
    bracket right after a sentence, such as （责任单位：市经信局）, stays with
    the sentence it belongs to."""
    spans: list[tuple[int, int]] = []
    for para in paragraphs(text):
        for match in _SENTENCE.finditer(text, para.start, para.end):
            for at, piece in _fields_apart(match.start(), match.group(0)):
                lead = len(piece) - len(piece.lstrip())
                body = piece.strip()
                start, end = at + lead, at + lead + len(body)
                if spans and _TRAILING_BRACKET.match(body) and spans[-1][1] <= start <= spans[-1][1] + 1:
                    spans[-1] = (spans[-1][0], end)
                elif len(body) >= _MIN_CHARS:
                    spans.append((start, end))
    return spans


def _fields_apart(at: int, piece: str) -> list[tuple[int, str]]:
    """A run-on piece of a web page (附件:… 联系人:…,联系电话:…) cut where a
    labelled contact field starts, each with its offset."""
    cuts = [0] + [m.start() for m in _FIELD_START.finditer(piece)] + [len(piece)]
    return [(at + a, piece[a:b]) for a, b in zip(cuts, cuts[1:]) if piece[a:b].strip()]


@dataclass
class Sentence:
    """A sentence of one retrieved passage. ``start``/``end`` are offsets in
    the chunk's text, so ``chunk.text[start:end] == text`` verbatim."""

    passage_rank: int  # 0 = best passage
    start: int
    end: int
    text: str
    norm: str  # normalised, for matching
    truncated: bool = False  # cut off where an excerpt (节选) stops
    usable: bool = True  # False for truncated and boilerplate lines
    similarity: float = 0.0  # cosine to the question
    fit: float = 0.0  # the sentence model's probability that it answers


def sentences_of(chunk: Chunk, rank: int) -> list[Sentence]:
    spans = split_sentences(chunk.text)
    title = chunk.meta.title
    out = []
    for start, end in spans:
        text = chunk.text[start:end]
        truncated = (
            chunk.meta.is_excerpt and chunk.last and (start, end) == spans[-1] and not text.endswith(SENTENCE_END)
        )
        # the document's own title answers nothing, nor a file label around it (006-2021年慈溪市政府工作报告)
        bare = text.strip("《》。 ")
        title_line = bool(title) and (bare in title or (title in bare and len(bare) <= len(title) + _LABEL_CHARS))
        usable = not truncated and not title_line and not _BOILERPLATE.match(text)
        out.append(Sentence(rank, start, end, text, normalize(text), truncated, usable))
    return out


def sentence_texts(chunks: Sequence[Chunk]) -> list[str]:
    """Every sentence of ``chunks``, as embedded at ingestion."""
    return [chunk.text[s:e] for chunk in chunks for s, e in split_sentences(chunk.text)]


class SentenceVectors:
    """Sentence embeddings from the embedding cache (computed on a miss)."""

    def __init__(self, embedder: TextEmbedder, cache: EmbeddingCache | None):
        self.embedder = embedder
        self.cache = cache

    def score(self, sentences: list[Sentence], query_vector: np.ndarray) -> None:
        """Set each sentence's ``similarity`` to the question."""
        if not sentences:
            return
        vectors, _ = embed_with_cache(self.embedder, self.cache, [s.text for s in sentences],
                                      self.embedder.encode_documents)
        for sentence, similarity in zip(sentences, vectors @ np.asarray(query_vector, dtype=np.float32)):
            sentence.similarity = float(similarity)
