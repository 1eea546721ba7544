"""The Embedder with the real embeddinggemma-300m model."""
from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from assistant.config import DEFAULT_MODEL, PROJECT_ROOT, Settings
from assistant.embeddings import Embedder, EmbeddingModelError, get_embedder

SHANGLIN = (
    "对于入选“上林英才”计划的人才项目，首批30%的启动资金在项目正常启动且领军人才（团队）"
    "全职到岗的情况下可一次性拨付，后续资金采取“合同管理”，突出绩效导向和分段奖励。"
)
GRAIN = (
    "为进一步提高本镇粮食功能片区产量，确定掌起镇洋山片粮食功能区基础设施维护工程为"
    "2023年镇级民生实事项目，现公开征求社会各界人士的意见。"
)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return get_embedder(Settings().with_(embedding_model=DEFAULT_MODEL))


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_import_does_not_load_torch() -> None:
    code = "import assistant.embeddings, sys; print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False False"


def test_construction_is_lazy() -> None:
    broken = Embedder("no-such-org/no-such-model", Path("/nonexistent-cache"))
    assert broken.model_name == "no-such-org/no-such-model"
    with pytest.raises(EmbeddingModelError, match="无法加载嵌入模型 no-such-org/no-such-model："):
        broken.embed_query("测试")


def test_dimension_and_name(embedder: Embedder) -> None:
    assert embedder.dimension == 768
    assert embedder.model_name == DEFAULT_MODEL


def test_get_embedder_is_cached() -> None:
    settings = Settings().with_(embedding_model=DEFAULT_MODEL)
    assert get_embedder(settings) is get_embedder(Settings().with_(embedding_model=DEFAULT_MODEL))
    other = settings.with_(model_cache_dir=settings.model_cache_dir / "elsewhere")
    assert get_embedder(other) is not get_embedder(settings)


def test_vectors_are_normalised_lists(embedder: Embedder) -> None:
    docs = embedder.embed_documents([SHANGLIN, GRAIN])
    query = embedder.embed_query("上林英才")
    assert len(docs) == 2 and all(len(v) == 768 for v in docs)
    assert len(query) == 768 and isinstance(query[0], float)
    assert np.allclose(np.linalg.norm(np.array(docs), axis=1), 1.0, atol=1e-4)
    assert np.linalg.norm(query) == pytest.approx(1.0, abs=1e-4)


def test_query_and_document_prompts_differ(embedder: Embedder) -> None:
    text = "上林英才计划启动资金比例"
    as_query = embedder.encode_queries([text])[0]
    as_document = embedder.encode_documents([text])[0]
    assert _cos(as_query, as_document) < 0.99
    assert np.allclose(embedder.embed_query(text), as_query, atol=1e-5)


def test_chinese_query_finds_relevant_passage(embedder: Embedder) -> None:
    query = np.array(embedder.embed_query("上林英才计划启动资金比例"))
    shanglin, grain = embedder.encode_documents([SHANGLIN, GRAIN])
    assert _cos(query, shanglin) > _cos(query, grain) + 0.05


def test_order_preserved_after_length_sorting(embedder: Embedder) -> None:
    texts = ["短句", SHANGLIN, "中等长度的一句话，关于科技创新", GRAIN + GRAIN, "人才"]
    together = embedder.encode_documents(texts)
    one_by_one = np.stack([embedder.encode_documents([t])[0] for t in texts])
    for got, expected in zip(together, one_by_one):
        assert _cos(got, expected) > 0.999
    reversed_batch = embedder.encode_documents(texts[::-1])
    assert np.allclose(reversed_batch[::-1], together, atol=1e-3)


def test_empty_input(embedder: Embedder) -> None:
    assert embedder.encode_documents([]).shape == (0, 768)
    assert embedder.embed_documents([]) == []


def test_concurrent_first_use_loads_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import sentence_transformers

    real = sentence_transformers.SentenceTransformer
    loads: list[str] = []

    def counting(*args: object, **kwargs: object) -> object:
        loads.append(str(args[0]))
        return real(*args, **kwargs)

    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", counting)
    fresh = Embedder(DEFAULT_MODEL, Settings().model_cache_dir)
    with ThreadPoolExecutor(max_workers=4) as pool:
        dims = list(pool.map(lambda _: fresh.dimension, range(4)))
    assert dims == [768] * 4
    assert len(loads) == 1
