"""Settings: offline defaults, values read from the environment, clear
Chinese messages for values that cannot be used, and a README table that
lists every setting."""
from __future__ import annotations

import ipaddress
import re
from dataclasses import fields
from pathlib import Path

import pytest
from conftest import ROOT

from assistant.config import ConfigError, LLMConfig, Settings, documented_settings


@pytest.fixture
def env(monkeypatch):
    for name, _, _ in documented_settings():
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_work_offline_inside_the_project(env):
    settings = Settings()
    assert settings.corpus_dir == ROOT / "corpus" and settings.index_dir == ROOT / "index"
    assert settings.embedding_model == "google/embeddinggemma-300m"
    assert settings.manifest_path == ROOT / "index" / "manifest.json"
    assert settings.feedback_db == ROOT / "index" / "feedback.sqlite"
    assert settings.token_cache == settings.embedding_cache.with_name("keyword_tokens.sqlite")
    assert settings.agent_users == () and settings.chroma_host == ""
    assert settings.hnsw == {"hnsw:space": "cosine", "hnsw:M": 64, "hnsw:construction_ef": 400, "hnsw:search_ef": 400}
    assert not LLMConfig().enabled


def test_values_come_from_the_environment(env, tmp_path):
    env.setenv("ASSISTANT_INDEX", str(tmp_path / "idx"))
    env.setenv("ASSISTANT_MAX_FILE_MB", "2.5")
    env.setenv("ASSISTANT_INGEST_WAIT_S", "0.4")
    env.setenv("ASSISTANT_RRF_K", "30")
    env.setenv("ASSISTANT_MAX_QUESTION_CHARS", "80")
    env.setenv("ASSISTANT_MODEL_CACHE", "~/models-here")
    env.setenv("ASSISTANT_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    env.setenv("ASSISTANT_LLM_MODEL", "qwen")
    settings = Settings()
    assert settings.index_dir == tmp_path / "idx"
    assert settings.manifest_path == tmp_path / "idx" / "manifest.json"
    assert settings.max_file_bytes == 2_500_000
    assert settings.ingest_wait_s == 0.4 and settings.rrf_k == 30 and settings.max_question_chars == 80
    assert settings.model_cache_dir == Path.home() / "models-here"
    assert LLMConfig.from_env().enabled


def _sample(default: str, kind: type) -> tuple[str, object]:
    """A value unlike the default, as the environment holds it and as the
    setting should read it."""
    if kind is int:
        value = int(default or 0) + 7
        return f" {value} ", value  # spaces around a value are ignored
    if kind is float:
        value = float(default or 0) + 0.25
        return str(value), value
    if kind is Path:
        return "/tmp/从环境读取", Path("/tmp/从环境读取")
    if kind is tuple:
        return "amy:pw", (("amy", "pw"),)
    return "从环境读取的值", "从环境读取的值"


SETTING_FIELDS = [(cls, f) for cls in (Settings, LLMConfig) for f in fields(cls) if "env" in f.metadata]


@pytest.mark.parametrize("cls, field", SETTING_FIELDS, ids=[f.metadata["env"] for _, f in SETTING_FIELDS])
def test_every_setting_is_read_from_its_environment_variable(env, cls, field):
    """Each documented variable, set to a value other than its default,
    changes exactly its own field (megabytes → bytes, proxies → networks)."""
    name = field.metadata["env"]
    kind = {"int": int, "float": float, "Path": Path, "str": str}.get(str(field.type).split("[")[0], tuple)
    if name == "ASSISTANT_MAX_FILE_MB":
        text, expected = "2.5", 2_500_000
    elif name == "ASSISTANT_UPLOAD_MB_PER_HOUR":
        text, expected = "2.5", 2_500_000
    elif name == "ASSISTANT_TRUSTED_PROXIES":
        text, expected = " 10.0.0.0/24, 127.0.0.1 ", (ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("127.0.0.1/32"))
    else:
        text, expected = _sample(field.metadata["default"], kind)
    before = cls()
    env.setenv(name, text)
    after = cls()
    assert getattr(after, field.name) == expected != getattr(before, field.name)
    others = [f.name for f in fields(cls) if f.name != field.name]
    assert [getattr(after, n) for n in others] == [getattr(before, n) for n in others]


def test_with_changes_one_field_and_keeps_the_rest(env):
    base = Settings()
    changed = base.with_(index_dir=Path("/tmp/elsewhere"))
    assert changed.index_dir == Path("/tmp/elsewhere") and changed.manifest_path == Path("/tmp/elsewhere/manifest.json")
    assert changed.corpus_dir == base.corpus_dir and base.index_dir == ROOT / "index"


@pytest.mark.parametrize("name, value", [("ASSISTANT_MAX_FILE_MB", "二十"), ("ASSISTANT_CHROMA_PORT", "8000.5"),
                                         ("ASSISTANT_INGEST_WAIT_S", ""), ("ASSISTANT_HNSW_M", "many")])
def test_a_value_that_is_not_a_number_is_refused_in_chinese(env, name, value):
    env.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        Settings()
    assert info.value.reason == f"环境变量 {name} 应为数字，当前值为“{value}”"


@pytest.mark.parametrize(
    "text, users",
    [
        ("amy:pw1,bob:pw2", (("amy", "pw1"), ("bob", "pw2"))),
        (" amy :p:w ", (("amy", "p:w"),)),  # the password keeps its colons
        ("amy", ()),  # no colon: not an account
        (":pw,amy:", ()),  # empty name, empty password
        ("amy:pw,,  ,bob", (("amy", "pw"),)),
        ("", ()),
        ("amy:pw, bob :pw2 ,:,carol:", (("amy", "pw"), ("bob", "pw2 "))),  # names trimmed, passwords kept as typed
        ("   ", ()),
        ("amy:pw;bob:pw2", (("amy", "pw;bob:pw2"),)),  # only commas separate accounts
        ("张三:密码1,李四:密码2", (("张三", "密码1"), ("李四", "密码2"))),
    ],
)
def test_agent_users_are_parsed_and_malformed_entries_dropped(env, text, users):
    env.setenv("ASSISTANT_AGENT_USERS", text)
    assert Settings().agent_users == users


def test_readme_settings_table_lists_every_setting_with_its_default():
    text = (ROOT / "README.md").read_text("utf-8")
    table = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`ASSISTANT_"):
            rows[cells[0].strip("`")] = cells[1]
    documented = {name: default for name, default, _ in documented_settings()}
    assert set(rows) == set(documented)
    for name, default in documented.items():
        shown = rows[name]
        assert (default == "" and shown in ("", "—")) or default.replace(str(ROOT), ".") in shown or (
            re.sub(r"^.*/\.cache", "~/.cache", default) in shown
        ), (name, default, shown)
