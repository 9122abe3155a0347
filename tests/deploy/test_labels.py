"""Feedback labels are read as the model's answers: the documented coercion, and what is refused."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.deploy.labels import MAX_LABEL_CHARS, LabelKind, read_labels
from workbench.exceptions import LabelError

INTS = LabelKind.for_model("binary", [0, 1])
FLOATS = LabelKind.for_model("binary", [0.0, 1.0])
BOOLS = LabelKind.for_model("binary", [False, True])
TEXT = LabelKind.for_model("multiclass", ["cat", "dog", "7"])
NUMBERS = LabelKind.for_model("regression", None)

# (kind, what is sent, what is recorded): the table of workbench/deploy/labels.py
READ = [
    (INTS, 1, 1), (INTS, 1.0, 1), (INTS, True, 1), (INTS, False, 0), (INTS, "1", 1), (INTS, " 0.0 ", 0),
    (FLOATS, 1, 1.0), (FLOATS, "0", 0.0), (FLOATS, True, 1.0),
    (BOOLS, True, True), (BOOLS, 0, False), (BOOLS, "TRUE", True), (BOOLS, "0", False), (BOOLS, 1.0, True),
    (TEXT, "dog", "dog"), (TEXT, 7, "7"), (TEXT, 7.0, "7"),
    (NUMBERS, 3, 3.0), (NUMBERS, -2.5, -2.5), (NUMBERS, "1e3", 1000.0),
]
REFUSED = [
    (INTS, 2, "2 is not a class of the model (its classes: 0, 1)"),
    (INTS, 0.5, "0.5 is not a whole number"),
    (INTS, "yes", "text 'yes' is not a number"),
    (BOOLS, 2, "2 is not true or false"),
    (TEXT, "Dog", "'Dog' is not a class of the model (its classes: 'cat', 'dog', '7')"),
    (TEXT, True, "true is not a class name (send the class as text)"),
    (NUMBERS, True, "true is not a number"),
    (NUMBERS, math.nan, "nan is not a finite number"),
    (NUMBERS, math.inf, "inf is not a finite number"),
    (NUMBERS, "-Infinity", "'-Infinity' is not a finite number"),
    (NUMBERS, 10**400, "a number too large for a float"),
    (INTS, None, "null is not a label (leave the row out instead)"),
    (INTS, {"a": 1}, "an object is not a label"),
    (TEXT, ["cat"], "a list is not a label"),
    (TEXT, "x" * (MAX_LABEL_CHARS + 1), f"text of {MAX_LABEL_CHARS + 1:,} characters (a label has at most 256)"),
]


@pytest.mark.parametrize(("kind", "sent", "recorded"), READ)
def test_labels_are_read_as_the_models_class_type(kind, sent, recorded):
    [(row, label)] = read_labels([(0, sent)], kind, request_id="r")
    assert (row, label, type(label)) == (0, recorded, type(recorded))


@pytest.mark.parametrize(("kind", "sent", "error"), REFUSED)
def test_what_is_not_a_label_of_the_model_is_refused_by_name(kind, sent, error):
    with pytest.raises(LabelError) as err:
        valid = kind.classes[0] if kind.classes else 1.0
        read_labels([(0, valid), (3, sent)], kind, request_id="r")  # one good label, one refused
    assert err.value.problems == [{"row": 3, "label": err.value.problems[0]["label"], "error": error}]
    assert err.value.message == f"1 label(s) for request r refused; first: row 3: {error}."
    assert len(err.value.problems[0]["label"]) < 80  # a long label is never echoed whole


def test_many_refusals_are_counted_and_only_the_first_listed():
    with pytest.raises(LabelError) as err:
        read_labels([(row, "nope") for row in range(50_000)], INTS, request_id="r")
    assert err.value.count == 50_000 and len(err.value.problems) == 10
    assert err.value.message.startswith("50,000 label(s) for request r refused")


def test_legacy_logs_take_the_kind_of_their_predictions():
    assert LabelKind.for_model(None, None) is None
    assert LabelKind.like(1) == LabelKind("integer") and LabelKind.like("yes") == LabelKind("text")
    assert read_labels([(0, "1.0")], LabelKind.like(0), request_id="r") == [(0, 1)]


@given(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=300),
                 st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=2), st.integers(), max_size=2)))
def test_any_json_value_is_a_known_class_or_a_label_error(value):
    for kind in (INTS, TEXT, BOOLS):
        try:
            [(_, label)] = read_labels([(0, value)], kind, request_id="r")
        except LabelError:
            continue
        assert label in kind.classes
    try:
        [(_, number)] = read_labels([(0, value)], NUMBERS, request_id="r")
    except LabelError:
        return
    assert isinstance(number, float) and math.isfinite(number)
