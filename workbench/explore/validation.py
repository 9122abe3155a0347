"""Validate a dataset against a recorded :class:`~workbench.explore.schema.Schema`.

Checks are vectorised pandas operations (one pass per column); every failure is listed with
the column, the check, how many rows fail and a few example values.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import numpy as np
import pandas as pd

from workbench._io import read_json, write_json
from workbench.exceptions import DataError
from workbench.explore._columns import text_columns
from workbench.explore.schema import ColumnSchema, Schema
from workbench.reports.base import Report

if TYPE_CHECKING:
    from workbench.project import Project

__all__ = ["ValidationFailure", "ValidationReport", "load_schema", "save_schema", "validate"]

MAX_EXAMPLES = 5


@dataclasses.dataclass(frozen=True, kw_only=True)
class ValidationFailure:
    """One failed check: which column, which check, how many rows, example values."""

    column: str
    check: str
    failing_count: int
    examples: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, kw_only=True)
class ValidationReport(Report):
    """The outcome of validating a dataset against a schema."""

    kind = "validation"
    title = "Data validation"
    n_rows: int
    n_checks: int
    failures: tuple[ValidationFailure, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        if self.passed:
            return f"Validation passed: {self.n_checks} checks on {self.n_rows} rows"
        return f"Validation failed: {len(self.failures)} of {self.n_checks} checks on {self.n_rows} rows"

    @classmethod
    def _from_payload(cls, payload: dict[str, Any]) -> Self:
        failures = tuple(
            ValidationFailure(**{**f, "examples": tuple(f.get("examples", ()))}) for f in payload.pop("failures", ())
        )
        return cls(failures=failures, **payload)


def _failure(column: str, check: str, bad: pd.Series) -> ValidationFailure | None:
    count = len(bad)
    if not count:
        return None
    examples = tuple(str(v) for v in pd.unique(bad.to_numpy())[:MAX_EXAMPLES])
    return ValidationFailure(column=column, check=check, failing_count=count, examples=examples)


def _check_column(series: pd.Series, spec: ColumnSchema) -> tuple[int, list[ValidationFailure]]:
    """Run the checks of one column; return (number of checks, failures)."""
    failures: list[ValidationFailure | None] = []
    present = series.dropna()
    n_checks = 1
    if not spec.nullable:
        failures.append(_failure(spec.name, "not_nullable", series[series.isna()].astype(object).fillna("<missing>")))
    if spec.kind in ("numeric", "integer", "boolean"):
        n_checks += 1
        numbers = pd.to_numeric(present, errors="coerce")
        failures.append(_failure(spec.name, f"dtype_{spec.kind}", present[numbers.isna()]))
        if spec.kind == "integer":
            n_checks += 1
            finite = numbers.dropna()
            failures.append(_failure(spec.name, "integer_values", finite[np.floor(finite) != finite]))
        infinite = numbers.isin([np.inf, -np.inf])
        n_checks += 1
        failures.append(_failure(spec.name, "finite_values", numbers[infinite]))
        numbers = numbers[~infinite]
        if spec.kind == "boolean":
            n_checks += 1
            known = numbers.dropna()
            failures.append(_failure(spec.name, "boolean_values", known[~known.isin([0, 1])]))
        if spec.minimum is not None:
            n_checks += 1
            failures.append(_failure(spec.name, f"greater_than_or_equal_to({spec.minimum:g})", numbers[numbers < spec.minimum]))
        if spec.maximum is not None:
            n_checks += 1
            failures.append(_failure(spec.name, f"less_than_or_equal_to({spec.maximum:g})", numbers[numbers > spec.maximum]))
    elif spec.kind == "datetime":
        n_checks += 1
        parsed = pd.to_datetime(present, errors="coerce")
        failures.append(_failure(spec.name, "dtype_datetime", present[parsed.isna()]))
    if spec.categories is not None:
        n_checks += 1
        text = present.astype(str)
        failures.append(_failure(spec.name, "isin(categories)", text[~text.isin(spec.categories)]))
    return n_checks, [f for f in failures if f is not None]


def validate(frame: pd.DataFrame, schema: Schema) -> ValidationReport:
    """Check ``frame`` against ``schema`` and list every failure.

    Parameters
    ----------
    frame
        The data to check.
    schema
        The recorded schema (see :func:`~workbench.explore.schema.infer_schema`).

    Returns
    -------
    ValidationReport
        ``.passed`` and ``.failures`` (column, check, failing_count, examples).

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.explore.schema import infer_schema
    >>> schema = infer_schema(pd.DataFrame({"x": [1.0, 2.0]}), tolerance=0.0)
    >>> validate(pd.DataFrame({"x": [5.0]}), schema).failures[0].check
    'less_than_or_equal_to(2)'
    """
    frame = text_columns(frame)
    failures: list[ValidationFailure] = []
    n_checks = 0
    for spec in schema.columns:
        n_checks += 1
        if spec.name not in frame.columns:
            failures.append(ValidationFailure(column=spec.name, check="column_present", failing_count=len(frame)))
            continue
        count, found = _check_column(frame[spec.name], spec)
        n_checks += count
        failures.extend(found)
    return ValidationReport(n_rows=len(frame), n_checks=n_checks, failures=tuple(failures))


def _schema_dir(project: Project) -> Path:
    return project.resolve("schemas")


def _versions(folder: Path) -> dict[int, Path]:
    found: dict[int, Path] = {}
    for path in folder.glob("schema-v*.json"):
        number = path.stem.removeprefix("schema-v")
        if number.isdigit():
            found[int(number)] = path
    return found


def save_schema(project: Project, schema: Schema) -> Path:
    """Write ``schema`` as the next version ``schemas/schema-v<N>.json`` of the project."""
    folder = _schema_dir(project)
    folder.mkdir(parents=True, exist_ok=True)
    version = max(_versions(folder), default=0) + 1
    return write_json(folder / f"schema-v{version}.json", schema.to_dict())


def load_schema(project_or_path: Project | Path | str, version: int | None = None) -> Schema:
    """Load a saved schema: a file path, or a project's version ``version`` (latest when None)."""
    if isinstance(project_or_path, str | Path):
        return Schema.from_dict(read_json(project_or_path))
    versions = _versions(_schema_dir(project_or_path))
    if not versions:
        raise DataError("The project has no saved schema yet.", hint="Run workbench schema infer or save_schema().")
    number = max(versions) if version is None else version
    if number not in versions:
        raise DataError(f"The project has no schema version {number}; saved: {sorted(versions)}.")
    return Schema.from_dict(read_json(versions[number]))
