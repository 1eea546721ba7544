"""The parts of the benchmark that must run in a fresh process (cold start,
whole-process wall clock, peak RSS). Each prints one JSON line.

    python -m evals.bench_proc ours-ask    --index DIR --questions FILE [--limit N]
    python -m evals.bench_proc naive-build --corpus DIR --store DIR
    python -m evals.bench_proc naive-ask   --store DIR --questions FILE [--limit N]

``naive-build`` is the naive pipeline's whole ingestion (it has no
incremental path, so re-ingesting means this again): split, embed every
chunk with the same model and no cache, add to a LangChain Chroma.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

STARTED = time.perf_counter()

from .questions import question_texts  # noqa: E402  (after STARTED: its import is part of the cold start)


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM). Not ru_maxrss: on Linux a child's
    ru_maxrss starts from its parent's peak (kept across fork and exec)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def ours_ask(args) -> dict:
    from assistant.config import Settings
    from assistant.qa import Assistant

    asked = question_texts(args.questions, args.limit)
    assistant = Assistant(Settings().with_(index_dir=args.index), llm=None)
    assistant.ask(asked[0])
    first = time.perf_counter() - STARTED
    for question in asked[1:]:
        assistant.ask(question)
    return {"first_answer_s": first, "answered": len(asked), "chunks": assistant.store.count()}


def naive_build(args) -> dict:
    from assistant.config import Settings
    from assistant.embeddings import get_embedder

    from .baseline import load_corpus, open_store, split

    embedder = get_embedder(Settings())
    started = time.perf_counter()
    _ = embedder.dimension  # load the model; its time is reported apart
    loaded = time.perf_counter()
    chunks = split(load_corpus(args.corpus))
    texts = [c.page_content for c in chunks]
    store = open_store(args.store, embedder)
    store.add_texts(texts, metadatas=[c.metadata for c in chunks],
                    ids=[f"{c.metadata['source']}#{i}" for i, c in enumerate(chunks)])
    done = time.perf_counter()
    tokens = sum(len(ids) for ids in embedder._loaded().tokenizer(texts)["input_ids"])
    return {"chunks": len(texts), "tokens": tokens, "model_load_s": loaded - started, "pipeline_s": done - loaded}


def naive_ask(args) -> dict:
    from assistant.config import Settings
    from assistant.embeddings import get_embedder

    from .baseline import open_store
    from .systems import NaiveBaseline

    asked = question_texts(args.questions, args.limit)
    store = open_store(args.store, get_embedder(Settings()))
    hits = store.similarity_search_with_relevance_scores(asked[0], k=5)
    NaiveBaseline.answer(asked[0], hits)
    first = time.perf_counter() - STARTED
    for question in asked[1:]:
        NaiveBaseline.answer(question, store.similarity_search_with_relevance_scores(question, k=5))
    return {"first_answer_s": first, "answered": len(asked), "chunks": store._collection.count()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench_proc")
    parser.add_argument("command", choices=["ours-ask", "naive-build", "naive-ask"])
    parser.add_argument("--index", type=Path)
    parser.add_argument("--store", type=Path)
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--questions", type=Path)
    parser.add_argument("--limit", type=int)
    args = parser.parse_args(argv)
    run = {"ours-ask": ours_ask, "naive-build": naive_build, "naive-ask": naive_ask}[args.command]
    result = run(args)
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
