"""The exceptions and warnings of MLOps Workbench.

Every error a user can cause derives from :class:`WorkbenchError`. Subclasses carry structured
fields (which key, which column, which notebook) so that the CLI, the REST handlers and the
JupyterLab panel can show the problem and its fix without parsing the message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = [
    "ApprovalError",
    "ConfigError",
    "DataError",
    "DuplicateLabelError",
    "EnvironmentMismatchError",
    "EnvironmentMismatchWarning",
    "InputError",
    "LabelError",
    "ModelError",
    "NotebookExecutionError",
    "OptionalDependencyError",
    "ParameterError",
    "PipelineError",
    "PredictionLogError",
    "ReportError",
    "SchemaValidationError",
    "ServingError",
    "TamperedBundleError",
    "TrackingError",
    "UnanchoredBundleError",
    "WorkbenchError",
    "WorkbenchWarning",
]


class WorkbenchWarning(UserWarning):
    """A problem that does not stop the work but that the user should see."""


class WorkbenchError(Exception):
    """The root of every error MLOps Workbench raises on purpose.

    Parameters
    ----------
    message
        One readable paragraph: what is wrong, with the bad value.
    hint
        What to do about it. Appended to the message when shown.
    """

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message

    def to_dict(self) -> dict[str, Any]:
        """Structured form for JSON responses and run records."""
        fields = {k: _plain(v) for k, v in vars(self).items() if k not in ("message", "hint")}
        return {"error": type(self).__name__, "message": self.message, "hint": self.hint, **fields}


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class ConfigError(WorkbenchError):
    """``workbench.toml`` (or another configuration file) is invalid."""

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        key: str | None = None,
        value: Any = None,
        expected: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.key = key
        self.value = value
        self.expected = expected
        super().__init__(message, hint=hint)


class DataError(WorkbenchError):
    """A dataset cannot be read or does not have the expected shape."""

    def __init__(
        self,
        message: str,
        *,
        column: str | None = None,
        path: Path | str | None = None,
        hint: str | None = None,
    ) -> None:
        self.column = column
        self.path = Path(path) if path is not None else None
        super().__init__(message, hint=hint)


class SchemaValidationError(DataError):
    """Input does not satisfy a recorded schema; ``failures`` lists each problem."""

    def __init__(
        self, message: str, *, failures: list[dict[str, Any]] | None = None, hint: str | None = None
    ) -> None:
        self.failures = failures or []
        super().__init__(message, hint=hint)


class LabelError(DataError):
    """Feedback labels that are not answers the model could have given; ``problems`` names each.

    Each problem is ``{"row": int | None, "label": str, "error": str}`` (``label`` is a short
    rendering of what was sent). ``count`` is how many labels were refused in all (``problems``
    keeps the first few). ``too_many`` is True when the body holds more labels than allowed
    (the service answers 413 for it, 422 otherwise).
    """

    def __init__(
        self,
        message: str,
        *,
        problems: list[dict[str, Any]] | None = None,
        count: int = 0,
        too_many: bool = False,
        hint: str | None = None,
    ) -> None:
        self.problems = problems or []
        self.count = count or len(self.problems)
        self.too_many = too_many
        super().__init__(message, hint=hint)


class DuplicateLabelError(DataError):
    """Feedback for rows that already have a label (the service answers 409); ``rows`` lists them."""

    def __init__(self, message: str, *, rows: list[int] | None = None, hint: str | None = None) -> None:
        self.rows = rows or []
        super().__init__(message, hint=hint)


class InputError(WorkbenchError):
    """Model input the robust inference pipeline refuses; ``problems`` lists each one.

    Each problem is ``{"row": int | None, "field": str | None, "error": str}`` (``row`` is None
    for a problem with the whole input, such as a missing column). ``reason`` is ``"invalid"``,
    or ``"too_many_rows"`` when the batch is over the cap (the service answers 413 for it).
    """

    def __init__(
        self,
        message: str,
        *,
        problems: list[dict[str, Any]] | None = None,
        reason: str = "invalid",
        hint: str | None = None,
    ) -> None:
        self.problems = problems or []
        self.reason = reason
        super().__init__(message, hint=hint)


class ModelError(WorkbenchError):
    """A model cannot be loaded, or cannot do what a review needs (e.g. no predict_proba)."""


class TrackingError(WorkbenchError):
    """MLflow tracking or the model registry could not be reached or used."""


class ReportError(WorkbenchError):
    """A report file or dictionary is not a report this version can read."""


class NotebookExecutionError(WorkbenchError):
    """A notebook failed while running; the executed notebook is kept at ``output_path``."""

    def __init__(
        self,
        message: str,
        *,
        notebook: str,
        output_path: Path | str | None = None,
        cell_index: int | None = None,
        ename: str | None = None,
        evalue: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.notebook = notebook
        self.output_path = Path(output_path) if output_path is not None else None
        self.cell_index = cell_index
        self.ename = ename
        self.evalue = evalue
        super().__init__(message, hint=hint)


class ApprovalError(WorkbenchError):
    """Notebooks are not approved, or changed since their approval."""

    def __init__(self, message: str, *, notebooks: list[str] | None = None, hint: str | None = None):
        self.notebooks = notebooks or []
        super().__init__(message, hint=hint)


class ParameterError(WorkbenchError):
    """A pipeline or command parameter has a wrong name, type or value."""

    def __init__(
        self, message: str, *, name: str | None = None, value: Any = None, hint: str | None = None
    ) -> None:
        self.name = name
        self.value = value
        super().__init__(message, hint=hint)


class PipelineError(WorkbenchError):
    """A pipeline specification is invalid or a pipeline run failed."""


class ServingError(WorkbenchError):
    """The model service cannot start or cannot serve the requested model."""


class PredictionLogError(ServingError):
    """The prediction log cannot be opened or written; ``url`` names it with its password masked."""

    def __init__(self, message: str, *, url: str, hint: str | None = None) -> None:
        self.url = url
        super().__init__(message, hint=hint)


class TamperedBundleError(ModelError):
    """A model bundle's files do not match the sha256 recorded when it was packaged; ``files`` names them."""

    def __init__(self, message: str, *, files: list[str], hint: str | None = None) -> None:
        self.files = files
        super().__init__(message, hint=hint)


class UnanchoredBundleError(TamperedBundleError):
    """Nothing outside a bundle vouches for its manifest (no expected sha256, no registry record), so
    its model is not loaded: the bundle's own manifest could have been rewritten with its files."""


class EnvironmentMismatchError(ModelError):
    """Strict loading of a bundle found running library versions that differ from its pins."""

    def __init__(self, message: str, *, mismatches: list[dict[str, Any]], hint: str | None = None) -> None:
        self.mismatches = mismatches
        super().__init__(message, hint=hint)


class EnvironmentMismatchWarning(WorkbenchWarning):
    """A bundle was loaded with library versions that differ from its pins."""


class OptionalDependencyError(WorkbenchError, ImportError):
    """A feature needs an optional dependency that is not installed."""

    def __init__(self, *, feature: str, package: str, extra: str) -> None:
        self.feature = feature
        self.package = package
        self.extra = extra
        super().__init__(
            f"{feature} needs the optional package '{package}', which is not installed.",
            hint=f'Install it with: pip install "mlops-workbench[{extra}]"',
        )


def require(module: str, *, feature: str, extra: str, package: str | None = None) -> Any:
    """Import an optional dependency or raise :class:`OptionalDependencyError` naming the extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise OptionalDependencyError(
            feature=feature, package=package or module.split(".")[0], extra=extra
        ) from err
