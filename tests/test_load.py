"""Load: 20 API clients ask the eval questions back to back for a minute
against the real app (``python app.py``, fixture ``running_app``), through
the named ``/ask`` endpoint. Every request must succeed with the answer one
client alone got to the same question, and the server's memory must not
keep growing. Latency and
throughput are printed and written to test-artifacts/load.json, not
asserted: speed is for the benchmarks to measure.
"""
from conftest import ROOT

from evals.load import answer_problem, format_summary, run_load, write_report
from evals.questions import question_texts

OUT = ROOT / "test-artifacts" / "load.json"
CLIENTS, SECONDS = 20, 60

# Served answers: the floor only tells a stalled or serialised server from a
# working one. One answer alone takes about a quarter of a second on two
# CPUs and a minute of this load serves several hundred; 3 per client
# (60 in all) is far below that on any machine that runs the suite, and
# still means every client was answered repeatedly, after the 10 s mark too.
MIN_ANSWERS_PER_CLIENT = 3

# Memory: after the first 10 s (model, keyword index, allocator arenas of
# the worker threads and Gradio's queue warmed up) the RSS of the server
# (~1.6 GB) levels off: measured +23 MB from 10 s to the end on a fresh
# server and +1 MB on one already warmed by a few hundred answers. The bound,
# the larger of 15 % of the 10 s figure and 300 MB (~300 MB here), is more
# than ten times that, so allocator jitter or a busy machine never trips it;
# a leak that keeps ~1 MB per answer (say a request's passages with their
# vectors, or each session's history) adds 300 MB within the ~300 answers
# served after the mark and fails it. Smaller leaks need a longer run than a
# test should take: run ``python -m evals.load --seconds 600`` and read the trace.
GROWTH_SHARE, GROWTH_FLOOR_MB = 0.15, 300


def test_twenty_clients_for_a_minute_get_well_formed_answers_and_memory_stays_flat(running_app):
    report = run_load(running_app.url + "/", CLIENTS, SECONDS, pid=running_app.process.pid)
    write_report(report, OUT)
    print("\n" + format_summary(report) + f"\nJSON: {OUT}")

    # The reference: one client alone, every question once. Most are
    # answered (the eval set has 92 answerable questions of 116), so a
    # server that refuses everything cannot pass by being consistent.
    ref = report["reference"]
    assert ref["failed"] == 0, ref["first_failures"]
    assert ref["questions"] == len(set(question_texts())) and ref["answered"] >= ref["questions"] // 2, ref
    assert report["errors"]["count"] == 0, report["errors"]["first"]
    assert report["bad_answers"]["count"] == 0, report["bad_answers"]["first"]
    assert report["answers_per_client"]["min"] >= MIN_ANSWERS_PER_CLIENT, report["answers_per_client"]
    assert report["requests"] >= CLIENTS * MIN_ANSWERS_PER_CLIENT
    rss = report["rss"]
    assert rss["samples"] >= SECONDS // 2  # the sampler ran all along
    bound = max(GROWTH_SHARE * rss["at_10s_mb"], GROWTH_FLOOR_MB)
    assert rss["growth_mb"] < bound, f"RSS grew {rss['growth_mb']:.0f} MB after the 10 s mark (bound {bound:.0f} MB)"


ALONE = {"answer": "首批30%的启动资金一次性拨付[1]。", "refused": False,
         "citations": [{"n": 1, "source": "00.txt", "quote": "首批30%的启动资金一次性拨付"}], "verified": None}


def test_an_answer_under_load_must_be_the_single_client_answer():
    assert answer_problem(dict(ALONE), ALONE) == ""
    refused = {"answer": "抱歉，没有找到。", "refused": True, "citations": [], "verified": None}
    assert answer_problem(refused, ALONE) == "refused is True under load, False alone"
    other = dict(ALONE, answer="后续资金分三期拨付[1]。")
    assert answer_problem(other, ALONE).startswith("another answer under load")
    moved = dict(ALONE, citations=[dict(ALONE["citations"][0], source="01.txt")])
    assert answer_problem(moved, ALONE).startswith("other citations under load")
    assert answer_problem(dict(ALONE, citations=[]), None) == "answered without a citation"
    assert answer_problem("text", ALONE) == "not a JSON object but str"
