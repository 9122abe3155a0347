"""The robustness check: throw hostile and malformed input at a robust model and report.

:func:`check_robustness` draws cases from each attack (hypothesis, derandomised so a run is
repeatable), sends them through :meth:`RobustModel.predict`, and judges each outcome:

* **crash** — an exception other than :class:`~workbench.exceptions.InputError`;
* **accepted** — input that must be refused was scored;
* **silent** — a repaired or suspicious row came back without a warning;
* **nonsense** — an answer that cannot be right for the model's task (wrong length; for a
  classifier, probabilities that are not finite, not one per class, or do not sum to one over
  all classes, or classes the model does not have; for a regressor, probabilities at all, or
  predictions that are not finite numbers; answers that change when the columns are reordered).

Anything else is a refusal with a named problem or a prediction with warnings: both fine.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from workbench.develop._attacks import Case, attacks, valid_records
from workbench.develop._literal import literal
from workbench.develop.answers import model_task
from workbench.exceptions import InputError, ParameterError
from workbench.reports.base import Report

__all__ = ["AttackResult", "Finding", "RobustnessReport", "check_robustness"]

OUTCOMES = ("crash", "accepted", "silent", "nonsense")
_KEEP = 3  # findings kept per attack
_SAMPLES = 2  # passing cases kept per attack, as guards


@dataclasses.dataclass(frozen=True, kw_only=True)
class Finding:
    """One case the pipeline got wrong: the attack, the outcome, what happened and the payload."""

    attack: str
    outcome: str
    detail: str
    expect: str
    row: int | None
    field: str | None
    payload: str  # Python source of the payload (long strings as 'x' * n)


@dataclasses.dataclass(frozen=True, kw_only=True)
class AttackResult:
    """How the pipeline fared against one attack."""

    name: str
    description: str
    cases: int
    rejected: int
    repaired: int
    clean: int
    findings: int
    samples: tuple[Finding, ...] = ()  # passing cases kept to guard against regressions

    @property
    def passed(self) -> bool:
        return self.findings == 0


@dataclasses.dataclass(frozen=True, kw_only=True)
class RobustnessReport(Report):
    """What the robustness check found; renders as HTML and JSON, exports pytest tests."""

    kind = "robustness"
    title = "Robustness check"
    model: str
    policy: dict[str, Any]
    examples: int
    attacks: tuple[AttackResult, ...]
    findings: tuple[Finding, ...]
    task: str | None = None  # the task the answers were judged for (None in reports before tasks)

    @property
    def passed(self) -> bool:
        """True when no attack found a crash, an accepted bad input, a silent repair or nonsense."""
        return not self.findings and all(a.passed for a in self.attacks)

    @property
    def cases(self) -> int:
        return sum(a.cases for a in self.attacks)

    def counts(self) -> dict[str, int]:
        """Findings by outcome."""
        return {o: sum(1 for f in self.findings if f.outcome == o) for o in OUTCOMES}

    def summary(self) -> str:
        found = sum(a.findings for a in self.attacks)
        verdict = "no findings" if found == 0 else f"{found} finding(s)"
        task = f" ({self.task})" if self.task else ""
        return (f"Robustness of {self.model}{task}: {self.cases} hostile cases in {len(self.attacks)} attacks, "
                f"{verdict}")

    def to_pytest(self, *, model_uri: str, project_dir: str = "..") -> str:
        """A pytest module that replays the findings (failing until fixed) and the kept samples."""
        from workbench.develop._pytest import pytest_module

        return pytest_module(self, model_uri=model_uri, project_dir=project_dir)

    @classmethod
    def _from_payload(cls, payload: dict[str, Any]) -> RobustnessReport:
        attacks_ = tuple(
            AttackResult(**{**a, "samples": tuple(Finding(**s) for s in a.get("samples", ()))})
            for a in payload.pop("attacks")
        )
        findings = tuple(Finding(**f) for f in payload.pop("findings"))
        return cls(attacks=attacks_, findings=findings, **payload)


def judge(robust: Any, case: Case, task: str | None = None) -> tuple[str, str]:
    """The outcome of one case: ``(outcome, detail)``; outcome is a finding or rejected/repaired/clean."""
    try:
        result = robust.predict(case.payload)
    except InputError as err:
        if case.expect == "ok":
            return "crash", f"valid input refused: {err.message}"
        if case.expect == "reject" and not _names(err, case):
            return "nonsense", f"refused without naming row {case.row} and field {case.field}: {err.message}"
        return "rejected", err.message
    except Exception as err:
        return "crash", f"{type(err).__name__}: {str(err)[:300]}"
    if case.expect == "reject":
        return "accepted", "input that must be refused was scored"
    problem = sanity_problem(robust, case, result, task=task)
    if problem:
        return "nonsense", problem
    if case.expect == "warn" and case.row is not None and not result.warnings[case.row]:
        return "silent", f"row {case.row} ({case.field}) was scored without a warning"
    return ("repaired" if any(result.warnings) else "clean"), ""


def _names(err: InputError, case: Case) -> bool:
    """Whether a refusal names the case's bad row and field (when the case has both)."""
    if case.row is None or case.field is None:
        return True
    return any(p.get("row") == case.row and p.get("field") == case.field for p in err.problems)


def _class_nonsense(result: Any, classes: list[Any] | None) -> str | None:
    """What is impossible about a classifier's answers: probabilities per class, known classes."""
    if result.probabilities is not None:
        proba = np.asarray(result.probabilities, dtype=float)
        width = len(classes) if classes is not None else proba.shape[-1]
        if proba.ndim != 2 or proba.shape != (len(result.predictions), width):
            return f"probabilities of shape {proba.shape}, not one per class ({width}) for each row"
        if not np.isfinite(proba).all() or (proba < 0).any() or (proba > 1).any():
            return "probabilities that are not finite numbers in [0, 1]"
        if not np.allclose(proba.sum(axis=1), 1.0, atol=1e-6):
            return f"probabilities that do not sum to one over the {width} classes"
    if classes is not None and not np.isin(np.asarray(result.predictions), np.asarray(classes)).all():
        return "predictions that are not classes of the model"
    return None


def _number_nonsense(result: Any, classes: list[Any] | None) -> str | None:
    """What is impossible about a regressor's answers: probabilities, or predictions that are not finite numbers."""
    if result.probabilities is not None:
        return "class probabilities from a regressor"
    try:
        numbers = np.asarray(result.predictions, dtype=float)
    except (TypeError, ValueError):
        return "predictions that are not numbers"
    if not np.isfinite(numbers).all():
        return "predictions that are not finite numbers"
    return None


# What a task's answers must look like; a judge returns what is impossible about them, or None.
NONSENSE = {"binary": _class_nonsense, "multiclass": _class_nonsense, "regression": _number_nonsense}


def answer_nonsense(result: Any, *, task: str, classes: list[Any] | None, rows: int) -> str | None:
    """What is impossible about ``result`` (a :class:`Prediction`) for ``rows`` rows of a ``task`` model, or None."""
    if len(result.predictions) != rows or len(result.warnings) != rows:
        return f"{len(result.predictions)} predictions and {len(result.warnings)} warning lists for {rows} rows"
    return NONSENSE[task](result, classes)


def expected_task(robust: Any) -> str:
    """The task a pipeline's answers are judged for: its own, else its model's."""
    task = getattr(robust, "task", None)
    return str(task) if task else model_task(getattr(robust, "model", None))


def sanity_problem(robust: Any, case: Case, result: Any, *, task: str | None = None) -> str | None:
    """What is impossible about ``result`` for ``case``, or None."""
    rows = len(case.payload) if isinstance(case.payload, list) else 1
    problem = answer_nonsense(result, task=task or expected_task(robust), classes=robust.classes, rows=rows)
    if problem:
        return problem
    if case.clean is not None:
        clean = robust.predict(case.clean)
        if not np.array_equal(np.asarray(clean.predictions), np.asarray(result.predictions)):
            return "answers differ from the same records sent clean"
    return None


def _run_attack(robust: Any, attack: Any, examples: int, task: str) -> tuple[AttackResult, list[Finding]]:
    from hypothesis import HealthCheck, Phase, given, settings

    tally = {"rejected": 0, "repaired": 0, "clean": 0}
    findings: list[Finding] = []
    samples: list[Finding] = []

    @settings(max_examples=examples, database=None, deadline=None, derandomize=True,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(attack.strategy)
    def probe(case: Case) -> None:
        outcome, detail = judge(robust, case, task)
        entry = Finding(attack=attack.name, outcome=outcome, detail=detail, expect=case.expect, row=case.row,
                        field=case.field, payload=literal(case.payload))
        if outcome in OUTCOMES:
            findings.append(entry)
        else:
            tally[outcome] += 1
            if len(samples) < _SAMPLES and entry.payload not in {s.payload for s in samples}:
                samples.append(entry)

    probe()
    result = AttackResult(name=attack.name, description=attack.description,
                          cases=sum(tally.values()) + len(findings), findings=len(findings),
                          samples=tuple(samples), **tally)
    return result, findings[:_KEEP]


def _oversize(robust: Any, base: list[dict], task: str) -> tuple[AttackResult, list[Finding]]:
    payload = [base[0]] * (robust.max_rows + 1)
    source = f"[{literal(base[0])}] * {robust.max_rows + 1}"
    case = Case(payload, None, None, "reject")
    outcome, detail = judge(robust, case, task)
    entry = Finding(attack="oversize", outcome=outcome, detail=detail, expect="reject", row=None, field=None,
                    payload=source)
    bad = outcome in OUTCOMES
    result = AttackResult(name="oversize", description=f"A batch over the {robust.max_rows:,}-row cap", cases=1,
                          rejected=int(outcome == "rejected"), repaired=0, clean=0, findings=int(bad),
                          samples=() if bad else (entry,))
    return result, [entry] if bad else []


def check_robustness(robust_model: Any, schema: Any = None, *, examples: int = 50, base: Any = None,
                     model: str = "model", seed: int = 0, task: str | None = None) -> RobustnessReport:
    """Attack ``robust_model`` with hostile and malformed input; report every finding.

    Parameters
    ----------
    robust_model : RobustModel
        The pipeline to attack (from :func:`wrap_model`).
    schema : Schema, optional
        The input schema (default: the one the model was wrapped with).
    examples : int
        Cases drawn per attack.
    base : DataFrame or list of records, optional
        Valid rows the attacks start from (default: rows drawn inside the schema).
    model : str
        A name for the model in the report (its URI, say).
    seed : int
        Seed of the default valid rows.
    task : {"binary", "multiclass", "regression"}, optional
        The task whose answers are judged sane (default: the pipeline's own task). A
        classifier's probabilities must be finite, one per class and sum to one over all its
        classes; a regressor must answer finite numbers and no probabilities.

    Examples
    --------
    >>> report = check_robustness(wrap_model(model, schema), schema, examples=30)  # doctest: +SKIP
    >>> report.passed  # doctest: +SKIP
    True
    """
    if examples < 1:
        raise ParameterError(f"examples must be at least 1, not {examples}.", name="examples", value=examples)
    from threadpoolctl import threadpool_limits

    from workbench.tasks import task_named

    judged = task_named(task).name if task is not None else expected_task(robust_model)
    schema = schema if schema is not None else robust_model.schema
    records = _base_records(schema, base, seed)
    results, findings = [], []
    with threadpool_limits(1):  # hundreds of tiny batches: thread start-up would dominate
        for attack in attacks(schema, records):
            result, found = _run_attack(robust_model, attack, examples, judged)
            results.append(result)
            findings += found
        result, found = _oversize(robust_model, records, judged)
    results.append(result)
    findings += found
    return RobustnessReport(model=model, policy={**dataclasses.asdict(robust_model.policy), "max_rows": robust_model.max_rows},
                            examples=examples, attacks=tuple(results), findings=tuple(findings), task=judged)


def _base_records(schema: Any, base: Any, seed: int) -> list[dict]:
    if base is None:
        return valid_records(schema, 20, seed)
    import pandas as pd

    frame = base if isinstance(base, pd.DataFrame) else pd.DataFrame(base)
    frame = frame[schema.names].head(20)
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
