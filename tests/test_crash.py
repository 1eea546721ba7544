"""Crash safety of `python ingest.py` with real processes: SIGKILL at random
points, two ingestions at once, and a copy of a document under a second name.

Each round changes a private corpus (adds a repo file, deletes one, appends
a generated test sentence to one; once, copies a file under a second name),
starts `python ingest.py`, SIGKILLs it at a point chosen by the round's
strategy (see PLANS and kill()), checks what the kill left, re-runs to
completion and checks the index is complete. At the end the index must equal
a fresh build of the final corpus.

Each check reads Chroma and manifest.json directly (conftest.index_problems
plus the content checks below), never through the code under test.
Run with `pytest -s` to see where each kill landed.
"""
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import CORPUS, ROOT, index_problems

BUSY = "导入失败：另一个导入任务正在更新该索引，请稍后再试。"
# The starting corpus: varied sizes (1.6 KB … 5.5 KB).
START = ["00", "03", "04", "06", "11", "13"]
# Files later rounds may add: the small ones, so the rounds stay quick.
POOL_MAX_BYTES = 3000
# Progress-bar labels whose first appearance on stderr marks a phase.
MARKERS = ("读取文档", "读取文档: 100%", "嵌入片段", "Loading weights: 100%", "嵌入片段: 100%")
# The code in each generated test sentence (see marked_sentence).
MARK = re.compile(r"R\d+-\d{6}")


def repo_file(prefix: str) -> Path:
    return next(CORPUS.glob(f"{prefix}_*"))


@pytest.fixture(scope="module")
def emb_cache(tmp_path_factory):
    """A private embedding cache shared by this module's runs: the first run
    really embeds, later ones mostly hit the cache, as in production."""
    return tmp_path_factory.mktemp("emb") / "embeddings.sqlite"


# --- A real `python ingest.py` process, its output watched as it runs ---


class Ingest:
    def __init__(self, corpus: Path, index: Path, cache: Path):
        env = {**os.environ, "ASSISTANT_EMBEDDING_CACHE": str(cache), "PYTHONUNBUFFERED": "1"}
        for name in ("ASSISTANT_CHROMA_HOST", "ASSISTANT_COLLECTION"):
            env.pop(name, None)
        cmd = [sys.executable, "ingest.py", "--corpus", str(corpus), "--index", str(index)]
        self.started = time.monotonic()
        self.popen = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.raw = {"out": bytearray(), "err": bytearray()}
        self.seen: dict[str, float] = {}  # marker -> seconds after start
        self.readers = [self._reader(self.popen.stdout, "out"), self._reader(self.popen.stderr, "err")]

    def _reader(self, pipe, name: str) -> threading.Thread:
        thread = threading.Thread(target=self._read, args=(pipe, name), daemon=True)
        thread.start()
        return thread

    def _read(self, pipe, name: str) -> None:
        while piece := os.read(pipe.fileno(), 65536):
            self.raw[name] += piece
            if name == "err":
                text = self.raw[name].decode("utf-8", "ignore")
                for marker in MARKERS:
                    if marker not in self.seen and marker in text:
                        self.seen[marker] = self.elapsed()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def text(self, name: str) -> str:
        return self.raw[name].decode("utf-8", "replace")

    def running(self) -> bool:
        return self.popen.poll() is None

    def wait(self, timeout: float = 600) -> int:
        try:
            rc = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            raise
        for reader in self.readers:
            reader.join(10)
        self.duration = self.elapsed()
        return rc

    def kill_when(self, ready, delay: float = 0.0, timeout: float = 300) -> float | None:
        """SIGKILL once ``ready()`` holds (plus ``delay`` s); the time of the
        kill after start, or None when the run finished first."""
        deadline = time.monotonic() + timeout
        while self.running() and not ready() and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(delay)
        killed_at = None
        if self.running():
            os.kill(self.popen.pid, signal.SIGKILL)
            killed_at = self.elapsed()
        rc = self.wait()
        # The kill landed only if the process died of it (it may have exited
        # on its own between the poll and the signal).
        return killed_at if rc == -signal.SIGKILL else None


def run_to_end(corpus: Path, index: Path, cache: Path) -> Ingest:
    run = Ingest(corpus, index, cache)
    rc = run.wait()
    assert rc == 0, run.text("err")[-3000:]
    return run


# --- Reading the index directly ---


def manifest(index: Path) -> dict:
    path = index / "manifest.json"
    return json.loads(path.read_text("utf-8")) if path.exists() else {"documents": {}, "failed": {}}


def pending_entries(index: Path) -> dict:
    """The manifest's pending entries (none while the manifest is being replaced)."""
    try:
        docs = manifest(index)["documents"]
    except (OSError, ValueError):
        return {}
    return {name: e for name, e in docs.items() if e["status"] == "pending"}


def turned_pending(index: Path):
    """A test for "this run has marked entries pending": an entry left
    pending by an earlier kill does not count, or the kill would land at
    start-up, before the run wrote anything."""
    before = pending_entries(index)
    return lambda: (now := pending_entries(index)) != before and bool(now)


@contextmanager
def collection(index: Path):
    """The Chroma collection, opened afresh: chromadb caches clients per
    path in the process, which would hide what the ingest processes wrote."""
    import chromadb
    from chromadb.api.client import SharedSystemClient
    from chromadb.config import Settings as ChromaSettings

    SharedSystemClient.clear_system_cache()
    client = chromadb.PersistentClient(str(index / "chroma"), ChromaSettings(anonymized_telemetry=False))
    try:
        yield client.get_collection("policy_chunks")
    finally:
        SharedSystemClient.clear_system_cache()


def problems(index: Path, corpus: Path | None = None) -> list[str]:
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    try:
        return index_problems(index, corpus)
    finally:
        SharedSystemClient.clear_system_cache()


def stored_chunks(index: Path, embeddings: bool = False) -> dict[str, dict]:
    """Every chunk by id: source, index, text (and embedding)."""
    include = ["documents", "metadatas"] + (["embeddings"] if embeddings else [])
    with collection(index) as coll:
        got = coll.get(include=include)
    vectors = got["embeddings"] if embeddings else [None] * len(got["ids"])
    return {
        i: {"source": m["source"], "index": int(m["index"]), "text": d, "vector": v}
        for i, d, m, v in zip(got["ids"], got["documents"], got["metadatas"], vectors)
    }


# --- What a kill may leave, and what a finished run must leave ---

# After a kill, problems about an entry still marked pending are tolerated:
# pending means "being replaced, redo me", so its chunks may be missing,
# partial or of the old version. The patterns (from conftest.index_problems)
# and the source they name:
PENDING_OK = [
    re.compile(r"entry left pending: (?P<src>.+)"),
    re.compile(r"(?P<src>.+): manifest says \d+ chunks, chroma has \d+"),
    re.compile(r"(?P<src>.+): chunk indexes are not 0\.\.-?\d+"),
    re.compile(r"orphan chunks: (?P<src>.+) has \d+ chunks but no stored manifest entry"),
    # A copy whose original was just deleted: pending, so the next run stores it.
    re.compile(r"(?P<src>.+): duplicate of .+, which is not stored"),
]
# Nothing else is tolerated: no duplicate chunks, no chunks of a document the
# manifest does not list, and every `ok` entry exactly matches its chunks.
# The corpus is not compared after a kill (the run that would have brought
# the manifest up to date with it was killed).


def intolerable(found: list[str], entries: dict) -> list[str]:
    pending = {s for s, e in entries.items() if e["status"] == "pending"}
    return [p for p in found if not any((m := pat.fullmatch(p)) and m["src"] in pending for pat in PENDING_OK)]


def content_problems(index: Path, entries: dict, versions: dict[str, str]) -> list[str]:
    """For each `ok` stored entry: its chunks are verbatim pieces of the file
    version the manifest names (by sha256), and they hold every test
    sentence of that version; so no `ok` entry can hide an older version."""
    by_source: dict[str, list[dict]] = {}
    for chunk in stored_chunks(index).values():
        by_source.setdefault(chunk["source"], []).append(chunk)
    found = []
    for source, entry in entries.items():
        chunks = sorted(by_source.get(source, []), key=lambda c: c["index"])
        if entry["status"] != "ok" or entry.get("same_as") or not chunks:
            continue
        text = versions.get(entry["sha256"])
        if text is None:
            found.append(f"{source}: manifest sha256 {entry['sha256'][:12]} is no version the test wrote")
        elif not all(c["text"] in text for c in chunks):
            found.append(f"{source}: a chunk is not part of the version the manifest records")
        elif missing := set(MARK.findall(text)) - set(MARK.findall("".join(c["text"] for c in chunks))):
            found.append(f"{source}: test sentences {sorted(missing)} of the recorded version are not indexed")
    return found


def self_query_misses(index: Path) -> list[str]:
    """Query the index with every stored vector: each must find a vector at
    distance ~0 (itself), so the search graph holds every chunk."""
    chunks = stored_chunks(index, embeddings=True)
    if not chunks:
        return []
    ids = list(chunks)
    with collection(index) as coll:
        res = coll.query(query_embeddings=[chunks[i]["vector"] for i in ids], n_results=1, include=["distances"])
    return [i for i, d in zip(ids, res["distances"]) if not d or d[0] > 1e-3]


def assert_complete(index: Path, corpus: Path, versions: dict[str, str], label: str) -> dict:
    found = problems(index, corpus)
    assert found == [], f"{label}: {found}"
    entries = manifest(index)["documents"]
    with collection(index) as coll:
        count = coll.count()
    want = sum(0 if e.get("same_as") else e["chunks"] for e in entries.values())
    assert count == want, f"{label}: chroma holds {count} chunks, the manifest {want}"
    assert content_problems(index, entries, versions) == [], label
    assert self_query_misses(index) == [], label
    return entries


# --- Changing the corpus ---


@dataclass
class Change:
    added: str = ""
    deleted: str = ""
    appended: str = ""
    appended_sha: str = ""
    copy: tuple[str, str] | None = None  # (copy, original)


@dataclass
class Plan:
    strategy: str
    make_copy: bool = False
    delete_original: bool = False


@dataclass
class CorpusState:
    dir: Path
    rng: random.Random
    versions: dict[str, str] = field(default_factory=dict)  # sha256 -> text of every version written
    copy: tuple[str, str] | None = None

    def names(self) -> list[str]:
        return sorted(p.name for p in self.dir.iterdir())

    def record(self) -> None:
        for path in self.dir.iterdir():
            self.versions[hashlib.sha256(path.read_bytes()).hexdigest()] = path.read_text("utf-8")


def marked_sentence(rng: random.Random, round_no: int) -> str:
    code = rng.randrange(10**6)
    return f"\n（测试文本，非政策内容）第{round_no}轮追加：蓝鲸测试补贴编号R{round_no}-{code:06d}，仅用于中断导入测试。\n"


def copy_name(original: Path) -> str:
    title = re.search(r'^title: "?([^"\n]+)', original.read_text("utf-8"), re.M)
    short = re.sub(r"[^\w\u4e00-\u9fff]", "", title[1] if title else "")[:10]
    return f"副本 关于 {short}.txt"


def mutate(state: CorpusState, plan: Plan, round_no: int) -> Change:
    rng, names, change = state.rng, state.names(), Change()
    pair = set(state.copy or ())
    if plan.make_copy:
        original = rng.choice([n for n in names if not n.startswith("副本")])
        change.copy = state.copy = (copy_name(state.dir / original), original)
        shutil.copy(state.dir / original, state.dir / change.copy[0])
        pair = set(change.copy)
    pool = sorted(p.name for p in CORPUS.iterdir() if p.stat().st_size < POOL_MAX_BYTES and p.name not in names)
    change.added = rng.choice(pool)
    shutil.copy(CORPUS / change.added, state.dir / change.added)
    change.deleted = state.copy[1] if plan.delete_original else rng.choice(sorted(set(names) - pair))
    (state.dir / change.deleted).unlink()
    change.appended = rng.choice(sorted(set(state.names()) - pair - {change.added}))
    path = state.dir / change.appended
    path.write_text(path.read_text("utf-8") + marked_sentence(rng, round_no), "utf-8")
    change.appended_sha = hashlib.sha256(path.read_bytes()).hexdigest()
    state.record()
    return change


# --- Where to kill, and where the kill landed ---


def chroma_files(index: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_mtime_ns, p.stat().st_size) for p in (index / "chroma").rglob("*") if p.is_file()}


def chroma_touched(index: Path):
    """A test for "a file of Chroma changed since now" (safe to poll: stat only)."""
    before = chroma_files(index)

    def touched() -> bool:
        try:
            return chroma_files(index) != before
        except OSError:  # a journal file came or went mid-scan
            return True

    return touched


def kill(run: Ingest, plan: Plan, rng: random.Random, index: Path, ref: Ingest, step: int = 0) -> tuple[float | None, str]:
    """Kill ``run`` by the plan's strategy; the kill time and how it was chosen."""
    if plan.strategy == "uniform":  # anywhere in a normal run's duration
        at = rng.uniform(0.2, 0.95) * ref.duration
        return run.kill_when(lambda: run.elapsed() >= at), f"at {at:.2f}s of a {ref.duration:.1f}s run"
    if plan.strategy == "model":  # while loading the model or embedding
        delay = rng.uniform(0.0, 1.5)
        return run.kill_when(lambda: "嵌入片段" in run.seen, delay), f"{delay:.2f}s after the embedding bar appeared"
    if plan.strategy == "embedded":  # right after embedding: cache write, Chroma writes
        delay = rng.uniform(0.0, 0.03)
        return run.kill_when(lambda: "嵌入片段: 100%" in run.seen, delay), f"{delay * 1000:.0f}ms after embedding finished"
    if plan.strategy == "pending":  # while entries are pending: the Chroma delete/upsert
        delay = rng.uniform(0.0, 0.01)
        return run.kill_when(turned_pending(index), delay), f"{delay * 1000:.0f}ms after entries turned pending"
    # "removal": steps of ~8 ms after Chroma's first write (opening it), then
    # the recovery check and the removal of deleted files follow.
    delay = rng.uniform(step, step + 1) * 0.008
    return run.kill_when(chroma_touched(index), delay), f"{delay * 1000:.0f}ms after Chroma's first write"


def landed(run: Ingest, killed_at: float | None, index: Path, change: Change) -> str:
    seen, docs = run.seen, manifest(index)["documents"]
    if killed_at is None:
        return "finished before the kill"
    if "读取文档" not in seen:
        return startup_phase(index, docs, change.deleted)
    if "读取文档: 100%" not in seen:
        return "reading documents"
    if "嵌入片段" not in seen:
        return "after reading, before embedding"
    if "嵌入片段: 100%" not in seen:
        return "embedding" if "Loading weights: 100%" in seen else "loading the model"
    if any(e["status"] == "pending" for e in docs.values()):
        return "Chroma writes (entries pending)"
    entry = docs.get(change.appended, {})
    if entry.get("status") == "ok" and entry.get("sha256") == change.appended_sha:
        return "after the final manifest save"
    return "after embedding, before the pending save"


def startup_phase(index: Path, docs: dict, deleted: str) -> str:
    if deleted not in docs:
        return "startup, after removing the deleted file"
    if any(c["source"] == deleted for c in stored_chunks(index).values()):
        return "startup (imports, opening Chroma), before removing the deleted file"
    return "removing the deleted file (its chunks deleted, manifest not yet saved)"


def assert_consistent_after_kill(index: Path, state: CorpusState, label: str) -> list[str]:
    entries = manifest(index)["documents"]
    found = problems(index)
    bad = intolerable(found, entries) + content_problems(index, entries, state.versions)
    assert bad == [], f"{label}: {bad}\nall problems: {found}\nmanifest: {json.dumps(entries, ensure_ascii=False)[:3000]}"
    return found


PLANS = [
    Plan("model"),
    Plan("uniform", make_copy=True),
    Plan("embedded"),
    Plan("pending", delete_original=True),
    Plan("removal"),
]
REMOVAL_STEPS = 8  # kills per "removal" round, until one lands after the removal


# The phases (see landed()) each strategy aims at: a kill elsewhere missed
# its window, and the round tries again with a fresh change (a kill that
# misses must not pass as a plain re-run). "uniform" takes any phase, as
# long as the process was still running; "removal" is judged on its last step.
WINDOWS = {
    "model": {"loading the model", "embedding"},
    "embedded": {"after embedding, before the pending save", "Chroma writes (entries pending)"},
    "pending": {"Chroma writes (entries pending)"},
    "removal": {"removing the deleted file (its chunks deleted, manifest not yet saved)",
                "startup, after removing the deleted file", "reading documents", "after reading, before embedding",
                "loading the model", "embedding", "after embedding, before the pending save",
                "Chroma writes (entries pending)"},
}
ATTEMPTS = 4  # tries per round to land a kill in its window


def kill_once(state: CorpusState, index: Path, cache: Path, plan: Plan, ref: Ingest, change: Change, label: str,
              step: int = 0) -> tuple[str, str | None]:
    """Start an ingestion, kill it, check what it left; a line for the log
    and the phase the kill landed in (None when the run was not killed)."""
    run = Ingest(state.dir, index, cache)
    killed_at, how = kill(run, plan, state.rng, index, ref, step)
    phase = landed(run, killed_at, index, change)
    when = "not killed" if killed_at is None else f"killed at {killed_at:.2f}s"
    line = f"{plan.strategy}: {how}; {when}; landed in: {phase}"
    tolerated = assert_consistent_after_kill(index, state, f"{label} [{line}]")
    return f"    {line}\n      tolerated after the kill: {tolerated}", phase if killed_at is not None else None


def in_window(plan: Plan, phase: str | None) -> bool:
    return phase is not None and phase in WINDOWS.get(plan.strategy, {phase})


def kill_round(state: CorpusState, index: Path, cache: Path, plan: Plan, ref: Ingest, change: Change, label: str,
               round_no: int) -> list[str]:
    lines: list[str] = []
    for attempt in range(ATTEMPTS):
        if attempt:  # the last kill missed: give the next run work again
            retrigger(state, change, round_no, attempt)
            lines.append(f"    missed its window; changed {change.appended} again (attempt {attempt + 1})")
        phase = None
        for step in range(REMOVAL_STEPS if plan.strategy == "removal" else 1):
            line, phase = kill_once(state, index, cache, plan, ref, change, label, step)
            lines.append(line)
            if change.deleted not in manifest(index)["documents"]:
                break
        if in_window(plan, phase):
            return lines
    raise AssertionError(f"{label}: no kill of {ATTEMPTS} landed in the {plan.strategy} window:\n" + "\n".join(lines))


def retrigger(state: CorpusState, change: Change, round_no: int, attempt: int) -> None:
    path = state.dir / change.appended
    path.write_text(path.read_text("utf-8") + marked_sentence(state.rng, round_no * 10 + attempt), "utf-8")
    change.appended_sha = hashlib.sha256(path.read_bytes()).hexdigest()
    state.record()


def test_kills_at_random_points_leave_a_consistent_index(tmp_path, emb_cache):
    state = CorpusState(tmp_path / "corpus", random.Random(20260105))
    state.dir.mkdir()
    for prefix in START:
        shutil.copy(repo_file(prefix), state.dir)
    state.record()
    index = tmp_path / "index"
    ref = run_to_end(state.dir, index, emb_cache)
    assert_complete(index, state.dir, state.versions, "initial build")
    print(f"\ninitial build: {ref.duration:.1f}s, {len(state.names())} files")
    for round_no, plan in enumerate(PLANS, 1):
        change = mutate(state, plan, round_no)
        label = f"round {round_no} ({change})"
        lines = kill_round(state, index, emb_cache, plan, ref, change, label, round_no)
        ref = run_to_end(state.dir, index, emb_cache)
        entries = assert_complete(index, state.dir, state.versions, label + " after the re-run")
        summary = ref.text("out").strip().splitlines()
        print(f"round {round_no}: {change}", *lines, f"    re-run {ref.duration:.1f}s: {' / '.join(summary)}"
              f"{copy_note(entries, state)}", sep="\n")
    assert_same_as_fresh(tmp_path / "fresh", index, state, emb_cache)


def copy_note(entries: dict, state: CorpusState) -> str:
    if not state.copy or state.copy[0] not in entries:
        return ""
    entry = entries[state.copy[0]]
    return f"\n    copy {state.copy[0]!r}: same_as={entry.get('same_as')!r}, chunks={entry['chunks']}"


def assert_same_as_fresh(fresh: Path, index: Path, state: CorpusState, cache: Path) -> None:
    """A from-scratch ingestion of the final corpus holds the same chunks."""
    run_to_end(state.dir, fresh, cache)
    assert_complete(fresh, state.dir, state.versions, "fresh build")
    got, want = stored_chunks(index, embeddings=True), stored_chunks(fresh, embeddings=True)
    assert {c["source"] for c in got.values()} == {c["source"] for c in want.values()}
    assert {i: c["text"] for i, c in got.items()} == {i: c["text"] for i, c in want.items()}
    assert all(max(abs(a - b) for a, b in zip(got[i]["vector"], want[i]["vector"])) < 1e-6 for i in want)
    keep = ("sha256", "chunks", "status", "same_as")
    summary = {s: {k: e.get(k) for k in keep} for s, e in manifest(index)["documents"].items()}
    assert summary == {s: {k: e.get(k) for k in keep} for s, e in manifest(fresh)["documents"].items()}
    print(f"final: {len(want)} chunks of {len(summary)} documents, same as a fresh build")


# --- Duplicates: one document under two names ---


def test_copy_under_a_second_name_is_stored_once(tmp_path, emb_cache):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    original = repo_file("11")
    for prefix in ("03", "11"):
        shutil.copy(repo_file(prefix), corpus)
    copy = corpus / copy_name(original)
    shutil.copy(original, copy)
    state = CorpusState(corpus, random.Random(0))
    state.record()
    run_to_end(corpus, index, emb_cache)
    entries = assert_complete(index, corpus, state.versions, "original and copy")
    assert entries[copy.name].get("same_as") == original.name and entries[copy.name]["chunks"] == 0, entries
    assert entries[original.name]["chunks"] > 0 and not entries[original.name].get("same_as")

    (corpus / original.name).unlink()  # the copy must now be stored itself
    run_to_end(corpus, index, emb_cache)
    entries = assert_complete(index, corpus, state.versions, "copy alone")
    assert not entries[copy.name].get("same_as") and entries[copy.name]["chunks"] > 0, entries


# --- Two ingestions at once ---


def test_two_ingestions_at_once_one_is_refused(tmp_path, emb_cache):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    for prefix in ("03", "11", "13"):
        shutil.copy(repo_file(prefix), corpus)
    run_to_end(corpus, index, emb_cache)
    changed = corpus / repo_file("13").name  # a change, so the winner loads the model and embeds
    changed.write_text(changed.read_text("utf-8") + marked_sentence(random.Random(7), 0), "utf-8")

    runs = [Ingest(corpus, index, emb_cache), Ingest(corpus, index, emb_cache)]
    codes = [run.wait() for run in runs]
    assert sorted(codes) == [0, 2], [run.text("err")[-2000:] for run in runs]
    winner, loser = runs[codes.index(0)], runs[codes.index(2)]
    assert BUSY in loser.text("err"), loser.text("err")
    assert "更新 1 篇" in winner.text("out") and "失败 0 篇" in winner.text("out"), winner.text("out")
    print(f"\nat once: winner {winner.duration:.1f}s, the other refused after {loser.duration:.1f}s")

    assert problems(index, corpus) == []
    third = run_to_end(corpus, index, emb_cache)
    assert "未变 3 篇" in third.text("out") and "写入 0 个片段（其中新计算嵌入 0 个）" in third.text("out"), third.text("out")
