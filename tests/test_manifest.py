"""The manifest: round trip, atomic saves, and what it says about entries."""
from __future__ import annotations

import json
import os

import pytest

from assistant.manifest import Entry, Manifest


def test_save_and_load_round_trip(tmp_path):
    manifest = Manifest(tmp_path / "m" / "manifest.json", "google/embeddinggemma-300m")
    manifest.set(Entry("a.txt", "aa", chunks=3, status="ok", title="标题", issuer="慈溪市科学技术局", date="2024-01-02"))
    manifest.set(Entry("b.txt", "aa", status="ok", same_as="a.txt"))
    manifest.failed = {"c.pdf": "PDF 已加密，无法读取"}
    manifest.save()
    loaded = Manifest.load(manifest.path)
    assert loaded == manifest
    assert json.loads(manifest.path.read_text("utf-8"))["failed"] == {"c.pdf": "PDF 已加密，无法读取"}


def test_a_missing_file_is_an_empty_manifest(tmp_path):
    manifest = Manifest.load(tmp_path / "none.json")
    assert manifest.entries == {} and manifest.failed == {} and manifest.embedding_model == ""
    assert not manifest.path.exists()


def test_stored_current_and_chunk_totals(tmp_path):
    manifest = Manifest(tmp_path / "manifest.json")
    manifest.set(Entry("a.txt", "h1", chunks=3, status="ok"))
    manifest.set(Entry("b.txt", "h2", chunks=2, status="pending"))
    manifest.set(Entry("c.txt", "h1", chunks=0, status="ok", same_as="a.txt"))
    assert manifest.is_current("a.txt", "h1") and not manifest.is_current("a.txt", "h9")
    assert not manifest.is_current("b.txt", "h2")  # pending: its chunks are not trusted
    assert not manifest.is_current("c.txt", "h1")  # a duplicate has no chunks of its own
    assert manifest.stored_chunks() == 3
    manifest.remove("a.txt")
    manifest.remove("never-there.txt")
    assert sorted(manifest.entries) == ["b.txt", "c.txt"] and manifest.stored_chunks() == 0


def test_a_save_that_fails_midway_leaves_the_previous_manifest(tmp_path, monkeypatch):
    manifest = Manifest(tmp_path / "manifest.json", "m")
    manifest.set(Entry("a.txt", "h1", chunks=1, status="ok"))
    manifest.save()
    before = manifest.path.read_bytes()
    manifest.set(Entry("b.txt", "h2", chunks=5, status="ok"))

    def crash(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)  # the new content is written but never renamed into place
    with pytest.raises(OSError):
        manifest.save()
    assert manifest.path.read_bytes() == before
    assert sorted(Manifest.load(manifest.path).entries) == ["a.txt"]
    # The half-written save sits beside it as manifest.tmp; the next save replaces it.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json", "manifest.tmp"]
    monkeypatch.undo()
    manifest.save()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json"]
    assert sorted(Manifest.load(manifest.path).entries) == ["a.txt", "b.txt"]


def test_the_file_is_readable_json_with_chinese_as_it_is(tmp_path):
    """One key a line (indent 1), Chinese not escaped: an administrator can
    read and diff the manifest."""
    manifest = Manifest(tmp_path / "index" / "deep" / "manifest.json", "m")  # folders made as needed
    manifest.set(Entry("政策.txt", "h1", chunks=2, status="ok", title="标题"))
    manifest.failed = {"坏.pdf": "PDF 已加密"}
    manifest.save()
    text = manifest.path.read_text("utf-8")
    assert text.startswith('{\n "embedding_model": "m",\n "documents": {\n  "政策.txt": {\n   "source": "政策.txt",\n')
    assert '\n   "title": "标题",\n' in text
    assert text.endswith('\n "failed": {\n  "坏.pdf": "PDF 已加密"\n }\n}')


def test_a_manifest_without_some_keys_loads_with_their_defaults(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text("{}", "utf-8")
    assert Manifest.load(path) == Manifest(path)
    path.write_text(json.dumps({"documents": {"a.txt": {"source": "a.txt", "sha256": "h"}}}), "utf-8")
    loaded = Manifest.load(path)
    assert loaded.embedding_model == "" and loaded.failed == {}
    assert loaded.entries == {"a.txt": Entry("a.txt", "h")}
