"""Performance benchmark: the assistant next to the naive LangChain pipeline,
on this machine, in one run.

    python -m evals.bench [--quick] [--out evals/out/bench.json] [--sizes 1000,10000,50000]

Measures cold start to first answer (fresh process), model load, ingestion
throughput next to the raw ``encode`` throughput of the same model on the
same chunks, re-ingestion of the unchanged corpus (whole process), answer
and retrieval latency p50/p95 at each index size, top-5 recall of the HNSW
index against exact search, and peak RSS of an answering process at the
largest size. Sizes above the shipped corpus are filled with synthetic
chunks (see ``evals/synthetic.py``) in a temporary folder. ``--quick`` embeds
only three corpus files from scratch, and uses one size and 20 questions, for
CI. The load average before and after is recorded: other work on the machine
shows in every figure.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant.config import PROJECT_ROOT, Settings

from .questions import DEFAULT_QUESTIONS as QUESTIONS
from .questions import question_texts
from .stats import percentile

FULL_SIZES = (1000, 10000, 50000)
QUICK_SIZES = (1000,)


# --- helpers --------------------------------------------------------------------


def percentiles(ms: list[float]) -> dict:
    return {"p50": percentile(ms, 50), "p95": percentile(ms, 95)}


def timed_ms(call, items) -> list[float]:
    out = []
    for item in items:
        started = time.perf_counter()
        call(item)
        out.append((time.perf_counter() - started) * 1000)
    return out


def run_process(args: list[str]) -> tuple[float, str]:
    """Wall clock of a fresh Python process, and its last stdout line."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *args], cwd=PROJECT_ROOT, capture_output=True, text=True, env=os.environ)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-2000:]}")
    lines = done.stdout.strip().splitlines()
    return wall, lines[-1] if lines else ""


def proc_json(args: list[str]) -> tuple[float, dict]:
    wall, line = run_process(["-m", "evals.bench_proc", *args])
    return wall, json.loads(line)


def small_corpus(tmp: Path, corpus: Path, files: int) -> Path:
    """A copy of the ``files`` smallest corpus files (for --quick)."""
    target = tmp / "corpus-quick"
    target.mkdir()
    for path in sorted((p for p in corpus.iterdir() if p.is_file()), key=lambda p: p.stat().st_size)[:files]:
        shutil.copy(path, target / path.name)
    return target


# --- measurements ---------------------------------------------------------------


def model_load(settings: Settings) -> dict:
    """First load in this process: torch + sentence-transformers import and weights."""
    from assistant.embeddings import get_embedder

    started = time.perf_counter()
    embedder = get_embedder(settings)
    _ = embedder.dimension  # loads the model
    return {"seconds": time.perf_counter() - started, "embedder": embedder}


def ingestion(settings: Settings, corpus: Path, tmp: Path, embedder) -> dict:
    """Ingest into an empty index with an empty embedding cache (every chunk
    is embedded), then the raw model on exactly those chunk texts."""
    from assistant.chunking import chunk_document
    from assistant.corpus import corpus_files, read_document
    from assistant.ingestion import ingest

    fresh = settings.with_(index_dir=tmp / "ingest-index", embedding_cache=tmp / "ingest-cache.sqlite")
    report = ingest(corpus, settings=fresh)
    texts = [
        c.embed_text
        for source, path in corpus_files(corpus).items()
        for c in chunk_document(read_document(path, source), settings.chunk_max_chars, settings.chunk_min_chars)
    ]
    model = embedder._loaded()
    started = time.perf_counter()
    model.encode_document(texts, batch_size=settings.embed_batch_size, normalize_embeddings=True,
                          convert_to_numpy=True, show_progress_bar=False)
    raw_s = time.perf_counter() - started
    tokens = sum(len(ids) for ids in model.tokenizer(texts)["input_ids"])
    return {
        "chunks": len(texts),
        "tokens": tokens,
        "embedded": report.chunks_embedded,
        "ingest_s": report.seconds,
        "raw_encode_s": raw_s,
        "ingest_chunks_per_s": report.chunks_embedded / report.seconds,
        "ingest_tokens_per_s": tokens / report.seconds,
        "raw_chunks_per_s": len(texts) / raw_s,
        "raw_tokens_per_s": tokens / raw_s,
    }


def exact_top(matrix: np.ndarray, ids: list[str], query: np.ndarray, k: int) -> set[str]:
    scores = matrix @ query
    return {ids[i] for i in np.argpartition(-scores, k)[:k]}


class Scaled:
    """Our index and the naive one, grown together with the same synthetic chunks."""

    def __init__(self, settings: Settings, naive_dir: Path, embedder, questions: list[str]):
        from assistant.documents import Chunk
        from assistant.qa import Assistant
        from assistant.store import VectorStore

        from .baseline import open_store
        from .synthetic import Synthesizer

        self.questions = questions
        self.assistant = Assistant(settings, llm=None)
        self.store: VectorStore = self.assistant.store
        self.naive = open_store(naive_dir, embedder)
        ours = self.store.collection.get(include=["embeddings", "documents", "metadatas"])
        naive = self.naive._collection.get(include=["embeddings"])
        self.ours_ids, self.ours_vecs = list(ours["ids"]), [np.asarray(ours["embeddings"], np.float32)]
        self.naive_ids, self.naive_vecs = list(naive["ids"]), [np.asarray(naive["embeddings"], np.float32)]
        self.query_vecs = embedder.encode_queries(question_texts(QUESTIONS, None))
        real = [Chunk.from_metadata(*row) for row in zip(ours["ids"], ours["documents"], ours["metadatas"])]
        self.synth = Synthesizer(real, self.ours_vecs[0], extra=self.query_vecs)

    def grow_to(self, size: int) -> dict:
        """Add synthetic chunks up to ``size``. Their sentences are embedded
        (through the cache) as ingestion does for real chunks, so that
        answers meet the index they would meet after a real ingestion."""
        from assistant.embedding_cache import embed_with_cache
        from assistant.sentences import sentence_texts

        added = max(0, size - self.store.count())
        started = time.perf_counter()
        embedded = 0
        for i in range(0, added, 5000):
            chunks, vectors = self.synth.make(min(5000, added - i))
            self.store.add(chunks, vectors)
            self.ours_ids += [c.id for c in chunks]
            self.ours_vecs.append(vectors)
            self._add_naive(chunks, vectors)
            embedder = self.assistant.embedder
            embedded += embed_with_cache(embedder, self.assistant.sentence_vectors.cache, sentence_texts(chunks),
                                         embedder.encode_documents)[1]
        return {"synthetic_added": added, "sentences_embedded": embedded, "add_s": time.perf_counter() - started}

    def _add_naive(self, chunks, vectors) -> None:
        collection = self.naive._collection
        step = self.naive._client.get_max_batch_size()
        for i in range(0, len(chunks), step):
            part = chunks[i : i + step]
            collection.add(ids=[c.id for c in part], documents=[c.text for c in part],
                           metadatas=[{"source": c.source} for c in part],
                           embeddings=vectors[i : i + step].tolist())
        self.naive_ids += [c.id for c in chunks]
        self.naive_vecs.append(vectors)

    def measure(self) -> dict:
        from .baseline import NaiveBaseline

        started = time.perf_counter()
        self.assistant.ask(self.questions[0])  # builds the keyword index for this size
        refresh_s = time.perf_counter() - started
        naive_search = lambda q: self.naive.similarity_search_with_relevance_scores(q, k=5)  # noqa: E731
        naive_search(self.questions[0])
        calls = {
            ("ours", "retrieve_ms"): self.assistant.retrieve,
            ("naive", "retrieve_ms"): naive_search,
            ("ours", "answer_ms"): self.assistant.ask,
            ("naive", "answer_ms"): lambda q: NaiveBaseline.answer(q, naive_search(q)),
        }
        # Interleaved per question, so that other work on the machine falls
        # on both pipelines alike.
        times: dict = {key: [] for key in calls}
        for question in self.questions:
            for key, call in calls.items():
                times[key] += timed_ms(call, [question])
        result = {"chunks": self.store.count(), "keyword_refresh_s": refresh_s, "ours": {}, "naive": {}}
        for (side, name), ms in times.items():
            result[side][name] = percentiles(ms)
        result["ours"]["recall_at_5"] = self.recall(
            lambda v: [h.chunk.id for h in self.store.query(v, 5)], self.ours_ids, self.ours_vecs
        )
        result["naive"]["recall_at_5"] = self.recall(self._naive_ids, self.naive_ids, self.naive_vecs)
        return result

    def _naive_ids(self, vector) -> list[str]:
        return self.naive._collection.query(query_embeddings=[vector.tolist()], n_results=5, include=[])["ids"][0]

    def recall(self, search, ids: list[str], parts: list[np.ndarray]) -> float:
        matrix = np.concatenate(parts)
        found = [len(set(search(v)) & exact_top(matrix, ids, v, 5)) / 5 for v in self.query_vecs]
        return float(np.mean(found))


# --- the run --------------------------------------------------------------------


def run(quick: bool, sizes: tuple[int, ...], tmp: Path) -> dict:
    for name in ("ASSISTANT_LLM_BASE_URL", "ASSISTANT_LLM_MODEL"):
        os.environ.pop(name, None)  # extractive answers, here and in the child processes
    settings = Settings()
    corpus = Path(settings.corpus_dir)
    # What must be embedded from scratch (the throughput runs) shrinks in
    # --quick; the index itself is built from the embedding cache.
    fresh = small_corpus(tmp, corpus, 3) if quick else corpus
    questions = question_texts(QUESTIONS, 20 if quick else None)
    qfile = QUESTIONS  # the child processes read the same file, with --limit
    index, naive_dir = tmp / "index", tmp / "naive"
    report: dict = {"quick": quick, "corpus": str(corpus), "embedded_corpus": str(fresh), "questions": len(questions),
                    "cpus": os.cpu_count(), "load_average_before": os.getloadavg()}

    def log(step: str) -> None:
        print(f"[bench] {step}", file=sys.stderr, flush=True)

    log("building the index of the corpus (embedding cache)")
    from assistant.ingestion import ingest

    ingest(corpus, settings=settings.with_(index_dir=index))
    log("re-ingestion of the unchanged corpus, cold start (fresh processes)")
    reingest_s, _ = run_process(["ingest.py", "--corpus", str(corpus), "--index", str(index)])
    log("naive pipeline: whole ingestion (no cache), cold start")
    naive_build_s, naive_build = proc_json(["naive-build", "--corpus", str(fresh), "--store", str(naive_dir)])
    cold = {"ours": [], "naive": []}
    for _ in range(1 if quick else 3):  # alternating, median of the runs
        cold["ours"].append(run_process(["-m", "assistant", "ask", questions[0], "--index", str(index)])[0])
        cold["naive"].append(proc_json(["naive-ask", "--store", str(naive_dir), "--questions", str(qfile),
                                        "--limit", "1"])[0])
    log("model load, ingestion throughput vs raw encode")
    load = model_load(settings)
    embedder = load.pop("embedder")
    throughput = ingestion(settings, fresh, tmp, embedder)
    naive_cps = naive_build["chunks"] / naive_build["pipeline_s"]
    report.update(
        cold_start_s={side: float(np.median(runs)) for side, runs in cold.items()},
        model_load_s=load["seconds"],
        ingestion=throughput | {"naive_chunks_per_s": naive_cps,
                                "naive_tokens_per_s": naive_build["tokens"] / naive_build["pipeline_s"]},
        reingest_s={"ours": reingest_s, "naive": naive_build_s},
    )
    scaled = Scaled(settings.with_(index_dir=index), naive_dir, embedder, questions)
    report["sizes"] = []
    for size in sizes:
        log(f"scaling to {size} chunks")
        grown = scaled.grow_to(size)
        report["sizes"].append(grown | scaled.measure())
        log(json.dumps(report["sizes"][-1]))
    log(f"peak RSS of an answering process at {scaled.store.count()} chunks")
    _, ours_rss = proc_json(["ours-ask", "--index", str(index), "--questions", str(qfile), "--limit", "20"])
    _, naive_rss = proc_json(["naive-ask", "--store", str(naive_dir), "--questions", str(qfile), "--limit", "20"])
    report["peak_rss"] = {"chunks": ours_rss["chunks"], "ours_mb": ours_rss["peak_rss_mb"],
                          "naive_mb": naive_rss["peak_rss_mb"], "ours_first_answer_s": ours_rss["first_answer_s"],
                          "naive_first_answer_s": naive_rss["first_answer_s"]}
    report["load_average_after"] = os.getloadavg()
    report["targets"] = targets(report)
    return report


def targets(report: dict) -> dict:
    """The issue's targets, met or not (None where this run cannot tell)."""
    by_size = {s["chunks"]: s for s in report["sizes"]}
    checks = {}
    for size in (10000, 50000):
        s = by_size.get(size + 0) or next((v for k, v in by_size.items() if abs(k - size) <= size * 0.01), None)
        if s:
            checks[f"answer_p50<=150ms@{size}"] = s["ours"]["answer_ms"]["p50"] <= 150
            checks[f"answer_p95<=300ms@{size}"] = s["ours"]["answer_ms"]["p95"] <= 300
    big = max(by_size) if by_size else 0
    if big >= 49500:
        checks["recall@5>=0.98@50k"] = by_size[big]["ours"]["recall_at_5"] >= 0.98
        checks["peak_rss<=3GB@50k"] = report["peak_rss"]["ours_mb"] <= 3072
    checks["reingest<=3s"] = report["reingest_s"]["ours"] <= 3
    ing = report["ingestion"]
    checks["ingest>=80%_of_raw_encode"] = ing["ingest_chunks_per_s"] >= 0.8 * ing["raw_chunks_per_s"]
    return checks


# --- output ---------------------------------------------------------------------


def ratio(ours: float, naive: float) -> str:
    return f"{ours / naive:.2f}×" if naive else "—"


def rows(report: dict) -> list[tuple[str, str, str, str]]:
    ing, cold, re_ = report["ingestion"], report["cold_start_s"], report["reingest_s"]
    out = [
        ("cold start → first answer (s)", f"{cold['ours']:.2f}", f"{cold['naive']:.2f}", ratio(cold["ours"], cold["naive"])),
        ("model load (s)", f"{report['model_load_s']:.2f}", "same loader", "—"),
        ("ingestion (chunks/s)", f"{ing['ingest_chunks_per_s']:.2f}", f"{ing['naive_chunks_per_s']:.2f}",
         ratio(ing["ingest_chunks_per_s"], ing["naive_chunks_per_s"])),
        ("ingestion (tokens/s)", f"{ing['ingest_tokens_per_s']:.0f}", f"{ing['naive_tokens_per_s']:.0f}",
         ratio(ing["ingest_tokens_per_s"], ing["naive_tokens_per_s"])),
        ("raw model encode (chunks/s | tokens/s)", f"{ing['raw_chunks_per_s']:.2f} | {ing['raw_tokens_per_s']:.0f}", "",
         f"ingest/raw {ing['ingest_chunks_per_s'] / ing['raw_chunks_per_s']:.2f}"),
        ("re-ingest unchanged corpus, whole process (s)", f"{re_['ours']:.2f}", f"{re_['naive']:.2f}",
         ratio(re_["ours"], re_["naive"])),
    ]
    for s in report["sizes"]:
        n, o, v = s["chunks"], s["ours"], s["naive"]
        for key, label in (("retrieve_ms", "retrieval"), ("answer_ms", "end-to-end answer")):
            for p in ("p50", "p95"):
                out.append((f"{label} {p} @ {n} chunks (ms)", f"{o[key][p]:.1f}", f"{v[key][p]:.1f}",
                            ratio(o[key][p], v[key][p])))
        out.append((f"recall@5 vs exact @ {n} chunks", f"{o['recall_at_5']:.3f}", f"{v['recall_at_5']:.3f}",
                    ratio(o["recall_at_5"], v["recall_at_5"])))
        out.append((f"keyword index build @ {n} chunks (s)", f"{s['keyword_refresh_s']:.2f}", "none", "—"))
    rss = report["peak_rss"]
    out.append((f"peak RSS answering @ {rss['chunks']} chunks (MB)", f"{rss['ours_mb']:.0f}", f"{rss['naive_mb']:.0f}",
                ratio(rss["ours_mb"], rss["naive_mb"])))
    out.append((f"fresh process → first answer @ {rss['chunks']} chunks (s)", f"{rss['ours_first_answer_s']:.1f}",
                f"{rss['naive_first_answer_s']:.1f}", ratio(rss["ours_first_answer_s"], rss["naive_first_answer_s"])))
    return out


def format_table(report: dict) -> str:
    header = ("measure", "ours", "naive", "ours/naive")
    body = rows(report)
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(4)]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    lines = [line(header), line(tuple("-" * w for w in widths)), *map(line, body), ""]
    lines += [f"target {name}: {'met' if ok else 'NOT met'}" for name, ok in report["targets"].items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench", description="性能基准（与朴素基线对比）")
    parser.add_argument("--quick", action="store_true", help="CI 用的快速版本（几分钟）")
    parser.add_argument("--out", type=Path, default=Path("evals/out/bench.json"), help="JSON 报告路径")
    parser.add_argument("--sizes", help="索引规模，逗号分隔，例如 1000,10000,50000")
    args = parser.parse_args(argv)
    sizes = tuple(int(x) for x in args.sizes.split(",")) if args.sizes else (QUICK_SIZES if args.quick else FULL_SIZES)
    with tempfile.TemporaryDirectory(prefix="bench-", ignore_cleanup_errors=True) as tmp:
        report = run(args.quick, sizes, Path(tmp))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(format_table(report))
    print(f"\nJSON: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
