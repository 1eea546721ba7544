"""The two learned models: the shipped parameters load, match the features
the pipeline measures, and decide as a logistic regression does."""
from __future__ import annotations

import json
import math

import pytest

from assistant.decision import EVIDENCE_FEATURES, PARAMS, SENTENCE_FEATURES, Evidence, LinearModel, Models


def test_shipped_parameters_load_and_name_the_features_in_order():
    models = Models.load()
    assert models.sentence.features == SENTENCE_FEATURES
    assert models.answerable.features == EVIDENCE_FEATURES == list(Evidence.__dataclass_fields__)
    data = json.loads(PARAMS.read_text("utf-8"))
    assert data["fitted_on"] == "evals/dev.jsonl" and 0.0 < models.threshold < 1.0
    assert "cross_validated_dev" in data  # the figures that chose the threshold travel with it


def test_a_linear_model_is_a_standardised_logistic_regression():
    model = LinearModel(["a", "b"], mean=[1.0, 0.0], scale=[2.0, 1.0], weights=[3.0, -1.0], bias=0.5)
    z = 0.5 + 3.0 * (5.0 - 1.0) / 2.0 - 1.0 * 2.0
    assert model.probability([5.0, 2.0]) == pytest.approx(1 / (1 + math.exp(-z)))
    assert model.probability([1e9, 0.0]) == pytest.approx(1.0) and model.probability([-1e9, 0.0]) == pytest.approx(0.0)


def test_parameters_fitted_on_other_features_are_refused(tmp_path):
    data = json.loads(PARAMS.read_text("utf-8"))
    data["answerable"]["features"] = data["answerable"]["features"][:-1]
    stale = tmp_path / "decision.json"
    stale.write_text(json.dumps(data), "utf-8")
    with pytest.raises(ValueError, match="fit_decision"):
        Models.load(stale)


def test_the_decision_answers_clear_evidence_and_refuses_none():
    models = Models.load()
    strong = Evidence(similarity=0.8, dense=0.75, coverage=1.0, coverage_all=0.9, passages_cover=1.0, absent_top=0.0,
                      kinds_ok=1.0, missing_top=0.0, unknown=0.0, agree=1.0, fit=0.95)
    empty = Evidence(similarity=0.15, dense=0.25, coverage=0.0, coverage_all=0.0, passages_cover=0.1, absent_top=1.0,
                     kinds_ok=0.0, missing_top=1.0, unknown=1.0, agree=0.0, fit=0.01)
    assert models.answers(strong) and not models.answers(empty)
