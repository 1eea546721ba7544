"""Synthetic neighbours of the real corpus, for measuring at 1k–50k chunks.

Embedding 50k chunks with a 300M model on two cores takes hours, so the
benchmark scales the index up with generated chunks instead, made at run
time in a temporary index and never written into ``corpus/``:

* vector: a random convex mix of three real vectors (the first a corpus
  chunk, the other two chunks or real question vectors; Dirichlet(1,1,1)
  weights) plus a small isotropic jitter (norm 0.05–0.2), L2-normalised.
  The synthetic chunks fill the region and the low-dimensional shape of
  the real embeddings, crowding around the real chunks and questions.
  (Large isotropic noise instead, cosine 0.65–0.9 to a real blend, makes
  every point nearly equidistant in 768 dimensions: no graph index does
  well on that, and text embeddings do not look like it.)
* text: 3–6 real sentences (one per line) from the first chunk and two random chunks,
  shuffled, so BM25 sees realistic words and document lengths;
* metadata: source ``synthetic/NNNNN.txt``, doc_type ``合成基准数据``,
  title ``合成基准数据 NNNNN``; the issuer and date of the first chunk.

Everything is drawn from one seeded generator: the same seed gives the same
chunks.
"""
from __future__ import annotations

import numpy as np

from assistant.documents import Chunk, DocMeta
from assistant.sentences import split_sentences

SYNTHETIC_TYPE = "合成基准数据"


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` as the answer pipeline splits them, keeping
    those that split back into themselves alone, so that a synthetic chunk
    (its sentences one per line) has the sentences a real ingestion would
    have embedded already."""
    found = [text[s:e].strip() for s, e in split_sentences(text)]
    return [s for s in found if len(s) >= 6 and [s[a:b] for a, b in split_sentences(s)] == [s]]


class Synthesizer:
    def __init__(self, chunks: list[Chunk], vectors: np.ndarray, extra: np.ndarray | None = None, seed: int = 5):
        """``vectors`` are the chunks' own; ``extra`` (e.g. real question
        vectors) only take part in the mixes."""
        self.chunks = chunks
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.anchors = self.vectors if extra is None else np.concatenate([self.vectors, np.asarray(extra, np.float32)])
        self.sentences = [sentences(c.text) or [c.text] for c in chunks]
        self.rng = np.random.default_rng(seed)
        self.made = 0

    def make(self, n: int) -> tuple[list[Chunk], np.ndarray]:
        """``n`` new synthetic chunks and their vectors."""
        rng, m = self.rng, len(self.chunks)
        first = rng.integers(0, m, n)
        others = rng.integers(0, len(self.anchors), (n, 2))
        weights = rng.dirichlet(np.ones(3), n).astype(np.float32)
        vectors = weights[:, :1] * self.vectors[first] + np.einsum("nk,nkd->nd", weights[:, 1:], self.anchors[others])
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        jitter = rng.standard_normal(vectors.shape).astype(np.float32)
        jitter *= rng.uniform(0.05, 0.2, (n, 1)).astype(np.float32) / np.linalg.norm(jitter, axis=1, keepdims=True)
        vectors += jitter
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return [self._chunk(int(a)) for a in first], vectors

    def _chunk(self, first: int) -> Chunk:
        rng, m = self.rng, len(self.chunks)
        pool = self.sentences[first] + self.sentences[int(rng.integers(m))] + self.sentences[int(rng.integers(m))]
        picked = rng.choice(len(pool), size=min(len(pool), int(rng.integers(3, 7))), replace=False)
        text = "\n".join(pool[i] for i in picked)
        number = self.made
        self.made += 1
        base = self.chunks[first].meta
        meta = DocMeta(title=f"{SYNTHETIC_TYPE} {number:05d}", issuer=base.issuer, date=base.date,
                       doc_type=SYNTHETIC_TYPE)
        return Chunk(id=f"synthetic-{number:05d}", source=f"synthetic/{number:05d}.txt", index=0, text=text,
                     start=0, end=len(text), section="", meta=meta, last=True)
