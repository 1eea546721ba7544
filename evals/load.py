"""Load benchmark: many API clients asking at once against a running app.

    python -m evals.load --url URL [--clients 20] [--seconds 60] [--pid PID] [--out evals/out/load.json]

First one client alone asks every eval question (``evals/questions.jsonl``)
once: its answers are the reference. Then each of ``--clients`` threads has
its own ``gradio_client.Client`` and asks the same questions (cycled, each
client starting at a different offset) through the named ``/ask`` endpoint
with no filters, back to back, until ``--seconds`` have passed. Every
request is recorded: latency, whether it raised, and whether it returned
the single-client answer to the same question (text, refusal and cited
passages), so a server that refuses everything under load, or mixes up
answers between requests, shows as bad answers. With
``--pid`` the RSS of that process and its descendants is sampled once a
second, so that memory that keeps growing under steady load shows.
Prints a summary and writes every figure as JSON. Other work on the machine
shows in the figures: the load average before and after is recorded.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .questions import question_texts
from .stats import percentile

WARM_UP_S = 10.0  # RSS growth is measured from this mark, after caches and thread arenas have filled
FIRST_FEW = 5  # error and bad-answer messages kept in the report


@dataclass
class Request:
    """One /ask call: ``error`` when it raised, ``problem`` when it returned
    something that is not a well-formed answer."""

    client: int
    latency_ms: float
    error: str = ""
    problem: str = ""


def answer_problem(result: object, expected: dict | None = None) -> str:
    """Why an /ask result is not a well-formed answer, or not the answer
    ``expected`` (the single-client answer to the same question); '' when
    it is."""
    problem = _malformed(result)
    if problem or expected is None:
        return problem
    assert isinstance(result, dict)
    if result["refused"] != expected["refused"]:
        return f"refused is {result['refused']} under load, {expected['refused']} alone"
    if result["answer"] != expected["answer"]:
        return f"another answer under load: {result['answer'][:60]!r} instead of {expected['answer'][:60]!r}"
    if _cited(result) != _cited(expected):
        return f"other citations under load: {_cited(result)} instead of {_cited(expected)}"
    return ""


def _cited(result: dict) -> list[tuple]:
    return [(c.get("source"), c.get("quote")) for c in result["citations"]]


def _malformed(result: object) -> str:
    """Why an /ask result is not a well-formed answer, or '' when it is."""
    if not isinstance(result, dict):
        return f"not a JSON object but {type(result).__name__}"
    text, refused, citations = result.get("answer"), result.get("refused"), result.get("citations")
    if not isinstance(text, str) or not text.strip():
        return "no answer text"
    if not isinstance(refused, bool):
        return f"refused is {refused!r}, not a bool"
    if not isinstance(citations, list):
        return f"citations is {type(citations).__name__}, not a list"
    if not refused and not citations:
        return "answered without a citation"
    return ""


# --- memory of the server ----------------------------------------------------------


def _status_kb(pid: int, field: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def _children(pid: int) -> list[int]:
    """Direct children of any thread of ``pid`` (a child is listed under
    the thread that forked it, not always the main one)."""
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as fh:
                found += [int(x) for x in fh.read().split()]
    except OSError:
        pass
    return found


def tree_rss_mb(pid: int) -> float | None:
    """VmRSS of ``pid`` plus all its descendants, in MB; None once it is gone."""
    own = _status_kb(pid, "VmRSS")
    if own is None:
        return None
    return own / 1024 + sum(tree_rss_mb(child) or 0.0 for child in _children(pid))


class RssSampler:
    """Samples ``tree_rss_mb(pid)`` once a second in a daemon thread, as
    (monotonic time, MB) pairs."""

    def __init__(self, pid: int, interval_s: float = 1.0):
        self.pid, self.interval_s = pid, interval_s
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def start(self) -> RssSampler:
        self.sample()
        self._thread.start()
        return self

    def sample(self) -> None:
        mb = tree_rss_mb(self.pid)
        if mb is not None:
            self.samples.append((time.monotonic(), mb))

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sample()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()  # the figure at the end, after the last request


def rss_figures(samples: list[tuple[float, float]], load_start: float) -> dict:
    """RSS at start / at the warm-up mark / at end / peak, and the growth
    from the mark to the end (the part that would show a leak)."""
    if not samples:
        return {}
    mark = next((mb for t, mb in samples if t >= load_start + WARM_UP_S), samples[-1][1])
    end = samples[-1][1]
    return {
        "start_mb": samples[0][1], "at_10s_mb": mark, "end_mb": end,
        "peak_mb": max(mb for _, mb in samples), "growth_mb": end - mark,
        "growth_pct": (end - mark) / mark * 100 if mark else None, "samples": len(samples),
        "trace": [[round(t - load_start, 1), round(mb, 1)] for t, mb in samples],  # (s since load start, MB)
    }


# --- the clients ---------------------------------------------------------------


@dataclass
class Window:
    """When the load runs: set once, by the last client to be connected."""

    seconds: float
    start: float = 0.0

    def open(self) -> None:
        self.start = time.monotonic()

    @property
    def deadline(self) -> float:
        return self.start + self.seconds


def ask_once(client, question: str, index: int, expected: dict | None = None) -> tuple[Request, object]:
    started = time.perf_counter()
    try:
        result = client.predict(question, "", "", 0, 0, api_name="/ask")
    except Exception as exc:  # every failure is a finding, recorded with its message
        return Request(index, (time.perf_counter() - started) * 1000, error=f"{type(exc).__name__}: {exc}"), None
    return Request(index, (time.perf_counter() - started) * 1000, problem=answer_problem(result, expected)), result


def reference_answers(url: str, questions: list[str]) -> tuple[dict[str, dict], dict]:
    """Each question asked once by a single client: question → its answer,
    and a summary (how many answered, refused, failed)."""
    from gradio_client import Client

    client = Client(url, verbose=False, analytics_enabled=False)
    answers: dict[str, dict] = {}
    problems: list[str] = []
    try:
        for question in dict.fromkeys(questions):
            request, result = ask_once(client, question, -1)
            if request.error or request.problem:
                problems.append(f"{question}: {request.error or request.problem}")
            else:
                assert isinstance(result, dict)
                answers[question] = result
    finally:
        client.close()
    summary = {"questions": len(dict.fromkeys(questions)), "answered": sum(not a["refused"] for a in answers.values()),
               "refused": sum(a["refused"] for a in answers.values()), "failed": len(problems),
               "first_failures": problems[:FIRST_FEW]}
    return answers, summary


def client_loop(index: int, url: str, questions: list[str], ready: threading.Barrier, window: Window,
                records: list[Request], expected: dict[str, dict]) -> None:
    """Connect, wait until every client is connected, then ask back to back
    until the deadline. A client that cannot connect counts as one error."""
    from gradio_client import Client

    client, offset = None, index * len(questions) // ready.parties
    try:
        client = Client(url, verbose=False, analytics_enabled=False)
    except Exception as exc:
        records.append(Request(index, 0.0, error=f"connect: {type(exc).__name__}: {exc}"))
    ready.wait()
    if client is None:
        return
    try:
        asked = 0
        while time.monotonic() < window.deadline:
            question = questions[(offset + asked) % len(questions)]
            records.append(ask_once(client, question, index, expected.get(question))[0])
            asked += 1
    finally:
        client.close()


def run_load(url: str, clients: int = 20, seconds: float = 60.0, pid: int | None = None,
             questions: list[str] | None = None) -> dict:
    """Run the load and return the report (see ``summarize``)."""
    questions = questions or question_texts()
    expected, reference = reference_answers(url, questions)
    window, records = Window(seconds), []  # list.append is atomic: no lock needed
    ready = threading.Barrier(clients, action=window.open)
    load_before = os.getloadavg()
    sampler = RssSampler(pid).start() if pid else None
    threads = [
        threading.Thread(target=client_loop, args=(i, url, questions, ready, window, records, expected),
                         name=f"client-{i}")
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall_s = time.monotonic() - window.start
    if sampler:
        sampler.stop()
    report = summarize(records, clients, seconds, wall_s)
    report["rss"] = rss_figures(sampler.samples, window.start) if sampler else {}
    report["reference"] = reference
    report |= {"url": url, "pid": pid, "questions": len(questions), "cpus": os.cpu_count(),
               "load_average_before": load_before, "load_average_after": os.getloadavg()}
    return report


def summarize(records: list[Request], clients: int, seconds: float, wall_s: float) -> dict:
    """Counts, throughput and latency (latency of the requests that returned)."""
    errors = [r.error for r in records if r.error]
    bad = [r.problem for r in records if r.problem]
    answered = [r for r in records if not r.error]
    ms = [r.latency_ms for r in answered]
    per_client = [sum(1 for r in answered if r.client == i and not r.problem) for i in range(clients)]
    return {
        "clients": clients, "seconds": seconds, "wall_s": wall_s, "requests": len(answered) + len(errors),
        "errors": {"count": len(errors), "first": errors[:FIRST_FEW]},
        "bad_answers": {"count": len(bad), "first": bad[:FIRST_FEW]},
        "answers_per_client": {"min": min(per_client, default=0), "max": max(per_client, default=0)},
        "throughput_rps": len(answered) / wall_s if wall_s > 0 else 0.0,
        "latency_ms": {"p50": percentile(ms, 50), "p95": percentile(ms, 95), "max": max(ms, default=None)},
    }


# --- output -----------------------------------------------------------------------


def _num(value: float | None, unit: str = "", decimals: int = 0) -> str:
    return "—" if value is None else f"{value:.{decimals}f}{unit}"


def format_summary(report: dict) -> str:
    lat, rss, per = report["latency_ms"], report["rss"], report["answers_per_client"]
    ref = report.get("reference") or {}
    lines = [
        f"single client first: {ref.get('questions', 0)} questions, {ref.get('answered', 0)} answered, "
        f"{ref.get('refused', 0)} refused, {ref.get('failed', 0)} failed (the reference answers)",
        f"{report['clients']} clients × {report['seconds']:.0f} s (wall {report['wall_s']:.1f} s, "
        f"{report['cpus']} CPUs, load {report['load_average_before'][0]:.1f} → {report['load_average_after'][0]:.1f})",
        f"requests {report['requests']}  errors {report['errors']['count']}  bad answers {report['bad_answers']['count']}"
        f"  answers per client {per['min']}–{per['max']}",
        f"throughput {report['throughput_rps']:.2f} req/s",
        f"latency p50 {_num(lat['p50'], ' ms')}  p95 {_num(lat['p95'], ' ms')}  max {_num(lat['max'], ' ms')}",
    ]
    if rss:
        lines.append(
            f"RSS start {rss['start_mb']:.0f} MB  at 10 s {rss['at_10s_mb']:.0f} MB  end {rss['end_mb']:.0f} MB"
            f"  peak {rss['peak_mb']:.0f} MB  growth 10 s → end {rss['growth_mb']:+.0f} MB"
            f" ({_num(rss['growth_pct'], ' %', 1)})"
        )
    lines += [f"error: {e}" for e in report["errors"]["first"]]
    lines += [f"bad answer: {p}" for p in report["bad_answers"]["first"]]
    return "\n".join(lines)


def write_report(report: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.load", description="并发负载基准（调用运行中的 /ask 接口）")
    parser.add_argument("--url", required=True, help="运行中的问答页地址，例如 http://127.0.0.1:7860/")
    parser.add_argument("--clients", type=int, default=20, help="并发客户端数（默认 20）")
    parser.add_argument("--seconds", type=float, default=60.0, help="持续时间，秒（默认 60）")
    parser.add_argument("--pid", type=int, help="服务进程号：每秒记录其内存（含子进程）")
    parser.add_argument("--out", type=Path, default=Path("evals/out/load.json"), help="JSON 报告路径")
    args = parser.parse_args(argv)
    report = run_load(args.url, args.clients, args.seconds, args.pid)
    write_report(report, args.out)
    print(format_summary(report))
    print(f"\nJSON: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
