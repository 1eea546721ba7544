import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

CORPUS = ROOT / "corpus"
SEED = "00_cixi_kjj_2022-06-22_rd18-1_jianyi190_dafu.txt"


# --- Shared real index and assistant (appended for the retrieval/answer/qa/cli tests) ---

import pytest  # noqa: E402

LLM_ENV = ("ASSISTANT_LLM_BASE_URL", "ASSISTANT_LLM_MODEL", "ASSISTANT_LLM_API_KEY", "ASSISTANT_LLM_TIMEOUT")


@pytest.fixture(scope="session")
def index_settings(tmp_path_factory):
    """Settings pointing at one real Chroma index of the shipped corpus, built
    once per session with the real embedding model (the shared embedding
    cache makes this fast after the first run)."""
    from assistant.config import Settings
    from assistant.ingestion import ingest

    settings = Settings().with_(index_dir=tmp_path_factory.mktemp("idx"))
    report = ingest(CORPUS, settings=settings)
    assert report.chunks_total > 0 and not report.failed, report.summary()
    return settings


@pytest.fixture(scope="session")
def policy_assistant(index_settings):
    """The real extractive assistant over that index (no LLM, whatever the
    ASSISTANT_LLM_* variables of the shell say)."""
    from assistant.qa import Assistant

    with pytest.MonkeyPatch.context() as mp:
        for name in LLM_ENV:
            mp.delenv(name, raising=False)
        built = Assistant(index_settings, llm=None)
    assert built.llm is None
    return built
