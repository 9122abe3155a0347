"""Which Evaluate model moves on: the model the user chose, never just the newest run.

A choice is recorded on the Evaluate run that logged the model, as tags in the tracking store:
``workbench.selected`` (``"true"``, or ``"false"`` for a side experiment),
``workbench.selected_at`` (UTC time of the choice) and ``workbench.selected_by``.

* ``run.log_model(model, ..., select=True)`` chooses the model it logs: notebook 02's
  ``select_model`` parameter, on in the lifecycle pipeline. ``select=False`` logs a side
  experiment: it is tracked and reviewed, and changes nothing that Develop, Package or status use.
* ``workbench select RUN_ID`` (or ``--version V``, a registered version) chooses by hand,
  also an older model.

The chosen model is the finished run chosen most recently; when no run was ever chosen (a
store from before choices were recorded), the registered ``challenger`` stands in.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import os
from typing import TYPE_CHECKING, Any

from workbench.exceptions import ModelError, TrackingError

if TYPE_CHECKING:
    from workbench.tracking import RunInfo, Tracker

__all__ = ["ChosenModel", "chosen_model", "chosen_uri", "select_run", "select_version", "selection_tags"]

TAG = "workbench."
SELECTED = TAG + "selected"
SELECTED_AT = TAG + "selected_at"
SELECTED_BY = TAG + "selected_by"
CHALLENGER = "challenger"
CHOOSE_HINT = ("Choose one with `workbench select RUN_ID` (`workbench select` lists the Evaluate runs), or run "
               "notebooks/02_evaluate.ipynb with select_model = True.")


@dataclasses.dataclass(frozen=True)
class ChosenModel:
    """The Evaluate model that moves on: its run, its URI, when and how it was chosen.

    ``versions`` are the registered versions made from its run (by packaging) and ``aliases``
    the registry aliases those versions hold (``challenger``, ``champion``).
    """

    run_id: str
    uri: str
    chosen_at: str | None
    chosen_by: str
    versions: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    def describe(self) -> str:
        """One plain sentence, for ``workbench status``, the panel and the card."""
        when = f" at {self.chosen_at}" if self.chosen_at else ""
        text = f"run {self.run_id} ({self.uri}), chosen by {self.chosen_by}{when}"
        if self.versions:
            held = f", the {' and '.join(self.aliases)}" if self.aliases else ""
            text += f"; registered as version {', '.join(self.versions)}{held}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "versions": list(self.versions), "aliases": list(self.aliases),
                "description": self.describe()}


def selection_tags(*, select: bool, by: str) -> dict[str, str]:
    """The tags that record a choice (``select``) or a side experiment (not ``select``)."""
    if not select:
        return {SELECTED: "false"}
    return {SELECTED: "true", SELECTED_AT: _now(), SELECTED_BY: by}


def _now() -> str:
    # Milliseconds and a fixed UTC offset: the tag sorts as text in the order of time.
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def is_side_experiment(run: RunInfo) -> bool:
    """A finished run that logged its model with ``select=False``."""
    return run.tags.get(SELECTED) == "false"


def chosen_model(tracker: Tracker) -> ChosenModel | None:
    """The chosen Evaluate model (see the module's description), or None when there is none."""
    experiment = tracker.read_experiment_id()
    found = [] if experiment is None else tracker.reader.search_runs(
        experiment, tags={SELECTED: "true", TAG + "phase": "evaluate"}, status="FINISHED",
        order_by_tag=SELECTED_AT, max_results=1)
    if found:
        run = found[0]
        return _with_registry(tracker, ChosenModel(run.run_id, f"runs:/{run.run_id}/model", run.tags.get(SELECTED_AT),
                                                   run.tags.get(SELECTED_BY) or "run.log_model"))
    return _challenger(tracker)


def chosen_uri(tracker: Tracker) -> str:
    """The chosen model's URI; a :class:`TrackingError` says why there is none and how to choose."""
    chosen = chosen_model(tracker)
    if chosen is not None:
        return chosen.uri
    logged = [r for r in tracker.runs(phase="evaluate", max_results=100)
              if r.status == "FINISHED" and r.tags.get(TAG + "model") == "model"]
    if not logged:
        raise TrackingError(
            "No finished 'evaluate' run has logged a model yet.",
            hint="Run the evaluate notebook (notebooks/02_evaluate.ipynb) first.",
        )
    raise TrackingError(
        f"No Evaluate model is chosen: the {len(logged)} Evaluate run(s) that logged a model are side "
        "experiments (logged with select=False).",
        hint=CHOOSE_HINT,
    )


def _challenger(tracker: Tracker) -> ChosenModel | None:
    name = tracker.project.config.model_name
    version = tracker.reader.version_by_alias(name, CHALLENGER)
    if version is None or not version.run_id:  # no registered model, or no challenger: nothing stands in
        return None
    chosen = ChosenModel(version.run_id, f"models:/{name}/{version.version}", None,
                         f"the registry (the {CHALLENGER} alias; no Evaluate run was chosen)")
    return _with_registry(tracker, chosen)


def _with_registry(tracker: Tracker, chosen: ChosenModel) -> ChosenModel:
    """``chosen`` with the registered versions made from its run and the aliases they hold."""
    name = tracker.project.config.model_name
    found = tracker.reader.model_versions(name, run_id=chosen.run_id)
    held = tracker.reader.aliases(name) if found else {}
    versions = tuple(sorted((v.version for v in found), key=int))
    aliases = tuple(sorted(alias for alias, version in held.items() if version in versions))
    return dataclasses.replace(chosen, versions=versions, aliases=aliases)


def select_run(tracker: Tracker, run_id: str, *, by: str | None = None) -> ChosenModel:
    """Choose the model logged by Evaluate run ``run_id`` (a unique prefix of it is enough).

    Raises
    ------
    ModelError
        When the run is not a finished Evaluate run that logged a model.

    Examples
    --------
    >>> select_run(tracker, "0a1b2c3d").describe()  # doctest: +SKIP
    'run 0a1b2c3d… (runs:/0a1b2c3d…/model), chosen by workbench select (ada) at 2026-…'
    """
    run = _evaluate_run(tracker, run_id)
    if run.status != "FINISHED":
        raise ModelError(f"Evaluate run {run.run_id} is {run.status}, so its model cannot be chosen.",
                         hint="Choose a finished Evaluate run (`workbench select` lists them).")
    if run.tags.get(TAG + "model") != "model":
        raise ModelError(f"Evaluate run {run.run_id} logged no model, so there is nothing to choose.",
                         hint="Choose an Evaluate run that logged one (`workbench select` lists them).")
    for key, value in selection_tags(select=True, by=by or f"workbench select ({_user()})").items():
        tracker.client.set_tag(run.run_id, key, value)
    chosen = chosen_model(tracker)
    assert chosen is not None  # the run was just chosen
    return chosen


def select_version(tracker: Tracker, version: str | int, *, by: str | None = None) -> ChosenModel:
    """Choose the model of registered version ``version`` of the project's model (its run)."""
    name = tracker.project.config.model_name
    try:
        found = tracker.client.get_model_version(name, str(version))
    except Exception as err:
        raise ModelError(f"Model {name!r} has no version {version}.",
                         hint="List the versions with `workbench history`, or choose a run id instead.") from err
    if not found.run_id:
        raise ModelError(f"Version {version} of {name!r} was not logged by a run, so it cannot be chosen.",
                         hint="Choose an Evaluate run id instead.")
    return select_run(tracker, found.run_id, by=by or f"workbench select --version {version} ({_user()})")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        return os.environ.get("USER") or "unknown user"


def _evaluate_run(tracker: Tracker, run_id: str) -> RunInfo:
    """The Evaluate run with id ``run_id``, or the only one whose id starts with it."""
    text = str(run_id).strip().lower()
    if len(text) < 6 or any(ch not in "0123456789abcdef" for ch in text):
        raise ModelError(f"{run_id!r} is not a run id (at least 6 hex digits).",
                         hint="Copy the id from `workbench select` or `workbench status`.")
    runs = [r for r in tracker.runs(phase="evaluate", max_results=1000) if r.run_id.startswith(text)]
    if len(runs) > 1 and not any(r.run_id == text for r in runs):
        raise ModelError(f"{len(runs)} Evaluate runs have ids starting with {run_id!r}.",
                         hint="Give more of the id.")
    if not runs:
        raise ModelError(f"No Evaluate run of project {tracker.project.name!r} has the id {run_id!r}.",
                         hint="`workbench select` lists the Evaluate runs with their ids.")
    return next((r for r in runs if r.run_id == text), runs[0])


def model_run_id(tracker: Tracker, uri: str | None) -> str | None:
    """The run that logged the model ``uri`` names (None when it cannot be told)."""
    if not uri:
        return None
    if uri.startswith("runs:/"):
        return uri[len("runs:/"):].split("/")[0] or None
    from workbench.tracking_read import registry_reference

    reference = registry_reference(uri.strip())
    if reference is not None:  # a registered version: read from the store, MLflow not needed
        name, version, alias = reference
        found = tracker.reader.model_version(name, version) if version else tracker.reader.version_by_alias(name, alias or "")
        return found.run_id if found else None
    from workbench.package.source import resolve_model

    try:
        return resolve_model(tracker, uri).run_id or None
    except ModelError:
        return None


def choice_summary(chosen: ChosenModel | None) -> str:
    """What status says about the choice."""
    if chosen is not None:
        return chosen.describe()
    return "none yet: choose one with workbench select RUN_ID, or run notebooks/02_evaluate.ipynb with select_model = True."
