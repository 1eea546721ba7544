"""The two learned judgements of the answer pipeline.

* Which sentence answers: each candidate sentence is described by a few
  measurements (``SENTENCE_FEATURES``: meaning, words and figures covered,
  rank…) and scored by a logistic regression fitted on dev questions
  (label: the sentence holds an expected fact).
* Whether to answer at all: the chosen sentences are described by
  ``Evidence`` and judged by a second logistic regression (label: the dev
  question is answerable), with its threshold chosen by cross-validation.

``python -m evals.fit_decision --write`` fits both on the dev split and
writes ``decision.json`` beside this module. Applying them needs no
library: a standardised dot product and a sigmoid.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path

PARAMS = Path(__file__).with_name("decision.json")

SENTENCE_FEATURES = [
    "similarity",  # cosine of the sentence to the question
    "lead",  # its cosine less the closest candidate's (0 for the closest): nearer in meaning than the rest
    "gain",  # share of the question's facets the sentence covers (its document's title and heading half)
    "words",  # share of the question's word weight in the sentence itself
    "kinds",  # share of the asked kinds of figure (sum, date, count, share) the sentence holds
    "years",  # 1 when every year the question names holds for the sentence
    "rank",  # 1 / (1 + rank of its passage)
    "dense",  # cosine of its passage to the question
    "length",  # log of its length in characters
    "heading",  # 1 for a short heading-like sentence
]


@dataclass
class Evidence:
    """What the answer pipeline measured about its best answer."""

    similarity: float  # cosine of the best chosen sentence to the question
    dense: float  # cosine of the closest passage to the question
    coverage: float  # share of the question's facets (words, kinds, years) the chosen sentences cover
    coverage_all: float  # share of all the question's word weight covered, unknown words counted as missed
    passages_cover: float  # share of the question's word weight found anywhere in the answer passages (titles too)
    absent_top: float  # weight of the heaviest question word absent from those passages, relative to the heaviest
    kinds_ok: float  # 1 when every asked kind of figure (sum, date, count, share) is quoted
    missing_top: float  # weight of the heaviest question word not covered, relative to the heaviest word
    unknown: float  # share of the question's word weight the index has never seen
    agree: float  # 1 when dense and keyword search put the same passage first
    fit: float  # the sentence model's probability for the best chosen sentence
    kind_words: float = 0.0  # share of the question's word weight in the best sentence holding every asked kind

    def vector(self) -> list[float]:
        return [float(getattr(self, f.name)) for f in fields(self)]

    def to_json(self) -> dict:
        return {k: round(v, 4) for k, v in asdict(self).items()}


EVIDENCE_FEATURES = [f.name for f in fields(Evidence)]


@dataclass
class LinearModel:
    """Standardised logistic regression."""

    features: list[str]
    mean: list[float]
    scale: list[float]
    weights: list[float]
    bias: float

    def probability(self, vector: list[float]) -> float:
        z = self.bias + sum(w * (x - m) / s for w, x, m, s in zip(self.weights, vector, self.mean, self.scale))
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    @classmethod
    def from_json(cls, data: dict, expected: list[str]) -> LinearModel:
        if data["features"] != expected:
            raise ValueError(f"fitted on {data['features']}, not {expected}: run python -m evals.fit_decision --write")
        return cls(data["features"], data["mean"], data["scale"], data["weights"], data["bias"])

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Models:
    sentence: LinearModel
    answerable: LinearModel
    threshold: float

    @classmethod
    def load(cls, path: Path = PARAMS) -> Models:
        data = json.loads(Path(path).read_text("utf-8"))
        return cls(
            LinearModel.from_json(data["sentence"], SENTENCE_FEATURES),
            LinearModel.from_json(data["answerable"], EVIDENCE_FEATURES),
            float(data["threshold"]),
        )

    def answers(self, evidence: Evidence) -> bool:
        return self.answerable.probability(evidence.vector()) >= self.threshold
