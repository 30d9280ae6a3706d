"""The JSON guard every output uses: NaN and infinities never reach a document."""

from __future__ import annotations

import json
import math

import pytest
from flask import Flask, jsonify

from syncd.jsonout import dumps, finite
from syncd.web.jsonprovider import FiniteJSONProvider


def test_non_finite_numbers_become_null_at_any_depth():
    document = {
        "value": math.nan,
        "score": 0.5,
        "krs": [{"forecast": math.inf}, {"forecast": -math.inf, "n": 3}],
        "pair": (1.5, math.nan),
    }
    assert finite(document) == {
        "value": None,
        "score": 0.5,
        "krs": [{"forecast": None}, {"forecast": None, "n": 3}],
        "pair": [1.5, None],
    }
    text = dumps(document, indent=2)
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text)["krs"][1] == {"forecast": None, "n": 3}


def test_a_non_finite_number_the_guard_cannot_see_is_refused():
    class Opaque:
        pass

    def default(value):
        return math.nan  # what a careless `default` hook might return

    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        dumps({"x": Opaque()}, default=default)


def test_the_flask_provider_writes_null():
    app = Flask("t")
    app.json = FiniteJSONProvider(app)
    with app.app_context():
        response = jsonify({"attainment": math.nan, "values": [1.0, math.inf]})
    assert json.loads(response.get_data(as_text=True)) == {
        "attainment": None,
        "values": [1.0, None],
    }
