"""A deliberately plain LangChain RAG pipeline to compare against.

Every corpus file is read as UTF-8 text as is (front matter and all), split
with ``RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)``,
embedded with the same model as the assistant, stored in a throwaway
``langchain_chroma.Chroma`` and searched with
``similarity_search_with_relevance_scores(k=5)``. The answer is the top
chunk's text, never a refusal; its one citation is that chunk, quoted whole.
"""
from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from assistant.config import Settings
from assistant.corpus import corpus_files

from .systems import NaiveBaseline

log = logging.getLogger("evals")

CHUNK_SIZE = 500
CHUNK_OVERLAP = 50
COLLECTION = "naive_baseline"


class CachedEmbeddings(Embeddings):
    """Our Embedder behind the shared (model, text) embedding cache, so a
    repeated baseline run embeds nothing."""

    def __init__(self, embedder, cache):
        self.embedder = embedder
        self.cache = cache
        self.computed = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        from assistant.embedding_cache import embed_with_cache

        vectors, computed = embed_with_cache(self.embedder, self.cache, list(texts), self.embedder.encode_documents)
        self.computed += computed
        return vectors.tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text)


def load_corpus(corpus_dir: Path) -> list[Document]:
    """Each file's raw UTF-8 text; files that are not UTF-8 text are skipped."""
    docs = []
    for source, path in corpus_files(corpus_dir).items():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            log.warning("baseline: skipped %s (not UTF-8 text)", source)
            continue
        docs.append(Document(page_content=text, metadata={"source": source}))
    return docs


def split(docs: list[Document]) -> list[Document]:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    return splitter.split_documents(docs)


def make_embeddings(settings: Settings) -> CachedEmbeddings:
    from assistant.embedding_cache import EmbeddingCache
    from assistant.embeddings import get_embedder

    return CachedEmbeddings(get_embedder(settings), EmbeddingCache(settings.embedding_cache))


def open_store(path: Path, embeddings: Embeddings) -> Any:
    """The baseline's LangChain Chroma over a private PersistentClient;
    vectors always come from ``embeddings`` (the collection gets no
    embedding function)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma

    client = chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))
    return Chroma(
        collection_name=COLLECTION,
        embedding_function=embeddings,
        client=client,
        collection_configuration={"hnsw": {"space": "cosine"}},
        # Chroma's cosine distance is 1 - cos; giving the score function
        # saves LangChain reading the collection configuration on every search.
        relevance_score_fn=cosine_relevance,
    )


def build_store(path: Path, embeddings: Embeddings, chunks: list[Document]) -> Any:
    store = open_store(path, embeddings)
    ids = [f"{c.metadata['source']}#{i}" for i, c in enumerate(chunks)]
    store.add_documents(chunks, ids=ids)
    return store


def cosine_relevance(distance: float) -> float:
    return 1.0 - distance


@contextmanager
def naive_baseline(settings: Settings) -> Iterator[NaiveBaseline]:
    """The baseline over ``settings.corpus_dir`` in a temporary Chroma, removed afterwards."""
    chunks = split(load_corpus(Path(settings.corpus_dir)))
    embeddings = make_embeddings(settings)
    with tempfile.TemporaryDirectory(prefix="evals-baseline-", ignore_cleanup_errors=True) as tmp:
        started = time.perf_counter()
        system = NaiveBaseline(build_store(Path(tmp), embeddings, chunks))
        log.info(
            "baseline: %d chunks indexed (%d embedded, rest cached) in %.1f s",
            len(chunks),
            embeddings.computed,
            time.perf_counter() - started,
        )
        system.warm_up()
        yield system
