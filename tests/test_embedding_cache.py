"""The embedding cache with the real model: hits, misses, persistence, and
keys that change with the model or its dtype."""
from __future__ import annotations

import numpy as np
import pytest

from assistant.config import Settings
from assistant.embedding_cache import EmbeddingCache, cache_key, embed_with_cache
from assistant.embeddings import get_embedder
from assistant.model_files import resolve_model

TEXTS = ["上林英才首批30%的启动资金可一次性拨付。", "创新联合体补充申报截止时间为2025年5月8日。"]


@pytest.fixture(scope="module")
def embedder():
    return get_embedder(Settings())


class Counting:
    """The real encoder, counting the texts it is asked to embed."""

    def __init__(self, embedder):
        self.embedder, self.texts = embedder, []

    def __call__(self, texts):
        self.texts.extend(texts)
        return self.embedder.encode_documents(texts)


def test_a_miss_embeds_then_every_later_call_hits(tmp_path, embedder):
    cache = EmbeddingCache(tmp_path / "emb.sqlite")
    first = Counting(embedder)
    vectors, computed = embed_with_cache(embedder, cache, TEXTS + [TEXTS[0]], first)
    assert computed == 2 and first.texts == TEXTS  # the repeated text is embedded once
    np.testing.assert_array_equal(vectors[0], vectors[2])
    again = Counting(embedder)
    cached, computed = embed_with_cache(embedder, EmbeddingCache(tmp_path / "emb.sqlite"), TEXTS, again)
    assert computed == 0 and again.texts == []
    np.testing.assert_array_equal(cached, vectors[:2])
    np.testing.assert_allclose(cached, embedder.encode_documents(TEXTS), atol=1e-5)


def test_only_new_texts_are_embedded(tmp_path, embedder):
    cache = EmbeddingCache(tmp_path / "emb.sqlite")
    embed_with_cache(embedder, cache, TEXTS[:1], Counting(embedder))
    counting = Counting(embedder)
    _, computed = embed_with_cache(embedder, cache, TEXTS, counting)
    assert computed == 1 and counting.texts == TEXTS[1:]


def test_keys_depend_on_model_tag_and_text():
    assert cache_key("m", "文本") == cache_key("m", "文本")
    assert cache_key("m", "文本") != cache_key("m@bf16-layers", "文本") != cache_key("m", "文本。")


def test_another_dtype_misses_the_cache(tmp_path, embedder):
    cache = EmbeddingCache(tmp_path / "emb.sqlite")
    embed_with_cache(embedder, cache, TEXTS, Counting(embedder))
    other_dtype = "float32" if embedder.dtype == "bfloat16" else "bfloat16"
    other = get_embedder(Settings().with_(embed_dtype=other_dtype))
    assert other.cache_tag != embedder.cache_tag
    counting = Counting(embedder)  # the count is what matters here, not which weights compute it
    _, computed = embed_with_cache(other, cache, TEXTS, counting)
    assert computed == 2 and counting.texts == TEXTS


def test_another_model_misses_the_cache(tmp_path, embedder):
    """The same weights under another name (a local folder holding the
    model) are another model to the cache: nothing is reused."""
    cache = EmbeddingCache(tmp_path / "emb.sqlite")
    embed_with_cache(embedder, cache, TEXTS, Counting(embedder))
    folder = resolve_model(embedder.model_name, Settings().model_cache_dir)
    other = get_embedder(Settings().with_(embedding_model=folder))
    assert other.model_name == folder != embedder.model_name and other.dtype == embedder.dtype
    counting = Counting(embedder)
    _, computed = embed_with_cache(other, cache, TEXTS, counting)
    assert computed == 2 and counting.texts == TEXTS
    again = Counting(embedder)  # and the first model still hits
    assert embed_with_cache(embedder, cache, TEXTS, again)[1] == 0 and again.texts == []


def test_without_a_cache_everything_is_embedded(embedder):
    counting = Counting(embedder)
    vectors, computed = embed_with_cache(embedder, None, TEXTS, counting)
    assert computed == 2 and vectors.shape == (2, embedder.dimension) and vectors.dtype == np.float32
