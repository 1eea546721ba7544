"""Mutation testing of the modules that decide what users see or what is
kept: each module is mutated by mutmut and run against its own fast test
file, and the killed/survived counts are printed per module.

    python -m evals.mutation [module ...] [--children N] [--keep]

Each run works in a temporary copy of the project (assistant/, tests/,
corpus/, pyproject.toml with the [tool.mutmut] section narrowed to that
module and its test file), so mutmut's ``mutants/`` folder never lands in
the work tree. ``--keep`` leaves the copies for ``mutmut show NAME`` and
``mutmut results`` (run in the copy). Not part of CI: the nine modules take
about half an hour on two cores.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# module → its own fast test file
MODULES = {
    "chunking": "tests/test_chunking.py",
    "numbers": "tests/test_numbers.py",
    "question": "tests/test_question.py",
    "accounts": "tests/test_accounts.py",
    "manifest": "tests/test_manifest.py",
    "normalize": "tests/test_normalize.py",
    "reading": "tests/test_reading.py",
    "corrections": "tests/test_corrections.py",
    "constraints": "tests/test_constraints.py",
}
# Where only part of a module decides (chunking: how text becomes
# paragraphs), only the mutants of these functions are run and counted.
FUNCTIONS = {
    "chunking": ("paragraphs", "_lines", "_furniture", "_heading_level", "_heading_title", "_inline_points"),
}
COPIED = ("assistant", "tests", "corpus", "evals")
SURVIVED = "survived"
# What counts as a mutant the tests detected (a mutant that hangs the tests
# into mutmut's time limit is detected too: a caller would notice).
DETECTED = ("killed", "timeout", "segfault")


def narrowed_pyproject(module: str, tests: str) -> str:
    """pyproject.toml with [tool.mutmut] mutating only ``module`` against ``tests``."""
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    text = re.sub(r"(?ms)^only_mutate = \[.*?\]\n", f'only_mutate = ["assistant/{module}.py"]\n', text)
    text = re.sub(r"(?ms)^pytest_add_cli_args_test_selection = \[.*?\]\n",
                  f'pytest_add_cli_args_test_selection = ["{tests}"]\n', text)
    return text


def work_copy(module: str, tests: str) -> Path:
    work = Path(tempfile.mkdtemp(prefix=f"mutmut-{module}-"))
    for name in COPIED:
        shutil.copytree(ROOT / name, work / name, ignore=shutil.ignore_patterns("__pycache__", "out", "mutants"))
    (work / "pyproject.toml").write_text(narrowed_pyproject(module, tests), "utf-8")
    return work


def statuses(work: Path) -> dict[str, str]:
    """mutant name → status, read from mutmut's own result files."""
    found: dict[str, str] = {}
    for meta in (work / "mutants").rglob("*.meta"):
        data = json.loads(meta.read_text("utf-8"))
        for name, code in (data.get("exit_code_by_key") or {}).items():
            found[name] = status_of(code)
    return found


def status_of(code: int | None) -> str:
    """mutmut's own name for a test run's exit code."""
    from mutmut.stats import status_by_exit_code

    return status_by_exit_code[code]


def show(work: Path, name: str) -> str:
    """The diff of one mutant, as ``mutmut show`` prints it."""
    done = subprocess.run([sys.executable, "-m", "mutmut", "show", name], cwd=work, capture_output=True, text=True)
    return done.stdout.strip()


def run_module(module: str, children: int, keep: bool) -> dict:
    tests = MODULES[module]
    work = work_copy(module, tests)
    patterns = [f"assistant.{module}.x_{name}__mutmut_*" for name in FUNCTIONS.get(module, ())]
    done = subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(children), *patterns],
                          cwd=work, capture_output=True, text=True)
    found = {name: status for name, status in statuses(work).items()
             if not patterns or any(fnmatch.fnmatch(name, p) for p in patterns)}
    killed = sum(1 for s in found.values() if s in DETECTED)
    survivors = sorted(n for n, s in found.items() if s == SURVIVED)
    # Not detected either: mutants no test reached ("no tests"), and anything odd.
    other = sorted(f"{n}: {s}" for n, s in found.items() if s not in DETECTED and s != SURVIVED)
    result = {"module": module, "tests": tests, "mutants": len(found), "killed": killed, "survived": len(survivors),
              "score": killed / len(found) if found else None, "survivors": survivors, "other": other,
              "work": str(work), "returncode": done.returncode}
    if not found:
        result["log"] = (done.stdout + done.stderr)[-3000:]
    result["diffs"] = {name: show(work, name) for name in survivors}
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.mutation", description="逐模块变异测试（mutmut）")
    parser.add_argument("modules", nargs="*", help=f"模块名（默认全部）：{'、'.join(MODULES)}")
    parser.add_argument("--children", type=int, default=2, help="并行进程数（默认 2）")
    parser.add_argument("--keep", action="store_true", help="保留临时副本，以便 mutmut show 查看存活的变异体")
    parser.add_argument("--diffs", action="store_true", help="打印每个存活变异体的差异")
    parser.add_argument("--out", type=Path, default=ROOT / "evals" / "out" / "mutation.json", help="JSON 报告路径")
    args = parser.parse_args(argv)
    results = []
    unknown = sorted(set(args.modules) - set(MODULES))
    if unknown:
        parser.error(f"未知模块：{'、'.join(unknown)}")
    for module in args.modules or list(MODULES):
        result = run_module(module, args.children, args.keep)
        results.append(result)
        score = "—" if result["score"] is None else f"{result['score']:.1%}"
        print(f"{module:12} {result['tests']:28} mutants {result['mutants']:4}  killed {result['killed']:4}  "
              f"survived {result['survived']:3}  score {score}", flush=True)
        for name in result["survivors"]:
            print(f"    survived: {name}")
            if args.diffs:
                print("      " + "\n      ".join(line for line in result["diffs"][name].splitlines()
                                                if line[:1] in "+-" and line[:3] not in ("---", "+++")))
        for line in result["other"]:
            print(f"    {line}")
        if "log" in result:
            print(result["log"])
        if args.keep:
            print(f"    copy: {result['work']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
