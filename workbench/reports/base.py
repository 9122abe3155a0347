"""The report base: a plain, immutable, versioned result that renders three ways.

A review computes a report once. The report is data only; it renders as

* JSON (:meth:`Report.to_dict`, :meth:`Report.to_json`): logged to MLflow, read by gates and the
  JupyterLab panel;
* static HTML (:meth:`Report.to_html`): papermill output, Binder, CI artefacts;
* a live widget (:meth:`Report.widget`): ipywidgets + plotly in JupyterLab.

Nothing in this module imports plotly or ipywidgets; the renderings live in
``workbench.render`` and are imported only when asked for. A report kind ``K`` finds its
renderings in ``workbench.render.K`` (functions ``blocks(report)`` and ``widget(report)``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import json
import math
import sys
from pathlib import Path, PurePath
from typing import Any, ClassVar, Self

from workbench._io import write_json, write_text
from workbench.exceptions import ReportError

__all__ = ["Report", "jsonable", "load_report"]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Report:
    """Base class of every report.

    Subclasses are frozen keyword-only dataclasses that set ``kind`` (the name of their
    rendering module) and ``schema_version`` (raise it when the fields change meaning), and
    hold only JSON-able data: numbers, strings, lists, dicts, or nested frozen dataclasses.
    """

    kind: ClassVar[str] = "report"
    schema_version: ClassVar[int] = 1
    title: ClassVar[str] = "Report"

    created_at: str = dataclasses.field(default_factory=_now)

    # -- JSON ---------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-able data, with its kind, class and schema version."""
        payload = {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}
        cls = type(self)
        return {
            "kind": self.kind,
            "schema_version": self.schema_version,
            "report_class": f"{cls.__module__}:{cls.__qualname__}",
            **payload,
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """The report as a strict JSON string (NaN and infinities become null)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Rebuild a report from :meth:`to_dict` output, checking its kind and version."""
        if not isinstance(data, dict):
            raise ReportError(f"A report must be a JSON object, got {type(data).__name__}.")
        if data.get("kind") != cls.kind:
            raise ReportError(f"Expected a '{cls.kind}' report, got kind {data.get('kind')!r}.")
        version = data.get("schema_version")
        if version != cls.schema_version:
            raise ReportError(
                f"This '{cls.kind}' report has schema version {version!r}; this version of "
                f"MLOps Workbench reads version {cls.schema_version}.",
                hint="Recompute the report with this version.",
            )
        names = {f.name for f in dataclasses.fields(cls)}
        payload = {k: v for k, v in data.items() if k in names}
        try:
            return cls._from_payload(payload)
        except (TypeError, KeyError, ValueError) as err:
            raise ReportError(f"The '{cls.kind}' report is incomplete or malformed: {err}.") from err

    @classmethod
    def _from_payload(cls, payload: dict[str, Any]) -> Self:
        """Build from the field values; override to rebuild nested dataclasses."""
        return cls(**payload)

    # -- saving ------------------------------------------------------------------------------
    def save(self, path: Path | str) -> Path:
        """Write the report atomically: ``.json`` as JSON, ``.html`` as a self-contained page."""
        target = Path(path)
        if target.suffix == ".json":
            return write_json(target, self.to_dict())
        if target.suffix in (".html", ".htm"):
            return write_text(target, self.to_html())
        raise ReportError(f"Cannot save a report as '{target.suffix}': use .json or .html.")

    # -- renderings --------------------------------------------------------------------------
    def to_html(self, *, full_page: bool = True, plotlyjs: str = "inline") -> str:
        """Static HTML: a self-contained page (or a fragment for embedding)."""
        from workbench.render.html import render_report

        return render_report(self, full_page=full_page, plotlyjs=plotlyjs)

    def widget(self) -> Any:
        """A live ipywidgets view of this report (JupyterLab)."""
        from workbench.render.widgets import report_widget

        return report_widget(self)

    def summary(self) -> str:
        """A one-line plain-text summary, for terminals and logs."""
        return f"{self.title} ({self.created_at})"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """Display as the live widget in a Jupyter kernel, else as HTML; never as a JSON tree.

        JSON is not offered as a display type: JupyterLab prefers ``application/json`` over
        HTML and would show a collapsible tree. Tools read :meth:`to_dict` / :meth:`to_json`.
        """
        from workbench.render.widgets import in_widget_kernel

        if in_widget_kernel():
            bundle = dict(self.widget()._repr_mimebundle_(include=include, exclude=exclude))
            bundle["text/plain"] = self.summary()
            return bundle
        from workbench.render.html import render_report

        return {"text/plain": self.summary(), "text/html": render_report(self, full_page=False, plotlyjs="once")}


def jsonable(value: Any) -> Any:
    """Convert ``value`` to plain JSON data (NaN/inf to None, numpy and pandas to Python)."""
    if value is None or isinstance(value, (str, bool)):
        return value
    # A numpy value exists only once numpy is imported: reading a report (status) needs no numpy.
    np = sys.modules.get("numpy")
    if isinstance(value, int) or (np is not None and isinstance(value, np.integer)):
        return int(value)
    if isinstance(value, float) or (np is not None and isinstance(value, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else None
    if np is not None and isinstance(value, np.bool_):
        return bool(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if isinstance(value, Report):
            return value.to_dict()
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if np is not None and isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, PurePath):
        return value.as_posix()
    if hasattr(value, "isoformat"):  # pandas Timestamp
        return value.isoformat()
    if hasattr(value, "item"):  # other numpy scalars
        return jsonable(value.item())
    raise TypeError(f"Cannot store a {type(value).__name__} in a report: {value!r}")


def load_report(source: Path | str | dict[str, Any]) -> Report:
    """Load any report from a JSON file, a JSON string or a dictionary.

    The report's class is found from its ``report_class`` field and must live in the
    ``workbench`` package.
    """
    data = _read_source(source)
    target = data.get("report_class", "") if isinstance(data, dict) else ""
    module_name, _, class_name = str(target).partition(":")
    if not module_name.startswith("workbench.") or not class_name:
        raise ReportError(f"Not a Workbench report (report_class = {target!r}).")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as err:
        raise ReportError(f"Unknown report class {target!r}.") from err
    if not (isinstance(cls, type) and issubclass(cls, Report)):
        raise ReportError(f"{target!r} is not a report class.")
    return cls.from_dict(data)


def _read_source(source: Path | str | dict[str, Any]) -> Any:
    if isinstance(source, dict):
        return source
    if isinstance(source, str) and source.lstrip().startswith("{"):
        try:
            return json.loads(source)
        except json.JSONDecodeError as err:
            raise ReportError(f"Not valid report JSON: {err.msg}.") from err
    path = Path(source)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ReportError(f"No report file at {path}.") from err
    except json.JSONDecodeError as err:
        raise ReportError(f"{path} is not valid JSON: {err.msg}.") from err
