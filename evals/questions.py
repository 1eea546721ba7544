"""The question files: one reader for the harness, the benchmarks and the
load generator.

A question file is JSONL: one object per line with ``id``, ``question``,
``answerable``, ``expected_sources``, ``expected_facts`` and optionally
``kind`` and ``note``. Blank lines and lines starting with ``#`` (a header
saying how the file was written) are skipped.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from assistant.config import PROJECT_ROOT

EVALS = PROJECT_ROOT / "evals"
DEFAULT_QUESTIONS = EVALS / "questions.jsonl"

REQUIRED_FIELDS: dict[str, type] = {
    "id": str,
    "question": str,
    "answerable": bool,
    "expected_sources": list,
    "expected_facts": list,
}


class QuestionFormatError(ValueError):
    """A question file that cannot be used; names the file and line."""

    def __init__(self, path: Path, line: int, problem: str):
        super().__init__(f"{path}:{line}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answerable: bool
    expected_sources: list[str] = field(default_factory=list)
    expected_facts: list[str] = field(default_factory=list)
    kind: str = ""


def load_questions(path: Path | str = DEFAULT_QUESTIONS, limit: int | None = None) -> list[Question]:
    """Every question of a JSONL file, validated; the first ``limit`` are
    returned. Raises QuestionFormatError."""
    path = Path(path)
    questions: list[Question] = []
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8-sig") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            question = parse_question(line, path, number)
            if question.id in seen:
                raise QuestionFormatError(path, number, f"duplicate id {question.id!r} (first on line {seen[question.id]})")
            seen[question.id] = number
            questions.append(question)
    if not questions:
        raise QuestionFormatError(path, 0, "no questions in file")
    return questions[:limit] if limit is not None else questions


def question_texts(path: Path | str = DEFAULT_QUESTIONS, limit: int | None = None) -> list[str]:
    return [q.question for q in load_questions(path, limit)]


def parse_question(line: str, path: Path, number: int) -> Question:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise QuestionFormatError(path, number, f"invalid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(data, dict):
        raise QuestionFormatError(path, number, f"expected a JSON object, got {type(data).__name__}")
    for name, kind in REQUIRED_FIELDS.items():
        check_field(data, name, kind, path, number)
    return Question(
        id=data["id"],
        question=data["question"],
        answerable=data["answerable"],
        expected_sources=list(data["expected_sources"]),
        expected_facts=list(data["expected_facts"]),
        kind=str(data.get("kind", "")),
    )


def check_field(data: dict, name: str, kind: type, path: Path, number: int) -> None:
    if name not in data:
        raise QuestionFormatError(path, number, f"missing field {name!r}")
    value = data[name]
    if not isinstance(value, kind):
        raise QuestionFormatError(path, number, f"field {name!r} must be {kind.__name__}, got {type(value).__name__}")
    if kind is str and not value.strip():
        raise QuestionFormatError(path, number, f"field {name!r} is empty")
    if kind is list and not all(isinstance(x, str) and x.strip() for x in value):
        raise QuestionFormatError(path, number, f"field {name!r} must be a list of non-empty strings")
