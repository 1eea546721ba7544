"""Evaluation harness: retrieval, answer, citation, refusal and latency metrics
for the assistant on a JSONL question set, optionally against a naive
LangChain baseline.

    python -m evals --questions evals/questions.jsonl [--baseline] [--out report.json]
"""
from __future__ import annotations

from .harness import format_table, run_eval
from .questions import Question, QuestionFormatError, load_questions

__all__ = ["Question", "QuestionFormatError", "format_table", "load_questions", "run_eval"]
