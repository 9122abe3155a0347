"""Promotion and rollback of the registered model's ``champion`` alias, with a durable history.

Every alias move is appended to ``.workbench/promotions.jsonl`` (time, alias, version, previous,
user, reason); :func:`rollback` reads that history to restore the previous champion.
"""

from __future__ import annotations

import getpass
import json
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workbench._io import append_line
from workbench.exceptions import ModelError, WorkbenchWarning


def _history_path(project: Any) -> Path:
    return Path(project.state_dir) / "promotions.jsonl"


def _client(project: Any) -> Any:
    from workbench.tracking import Tracker

    return Tracker(project).client


def _alias_version(client: Any, name: str, alias: str) -> str | None:
    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except Exception:
        return None


def alias_history(project: Any) -> list[dict[str, Any]]:
    """Every alias move, oldest first: ``time, alias, version, previous, user, reason, action``."""
    path = _history_path(project)
    if not path.exists():
        return []
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            entry = None
        if isinstance(entry, dict):
            entries.append(entry)
        elif line.strip():  # a line a crash cut short: skipped, never fatal
            warnings.warn(WorkbenchWarning(f"{path} line {number} is not a JSON object and was skipped: {line[:80]!r}"),
                          stacklevel=2)
    return entries


def version_gates(project: Any, version: str) -> Any:
    """The gate report logged with the run that produced ``version`` (None when it logged none)."""
    from workbench.tracking import Tracker

    tracker = Tracker(project)
    try:
        run_id = tracker.client.get_model_version(project.config.model_name, str(version)).run_id
    except Exception as exc:
        raise ModelError(f"model {project.config.model_name!r} has no version {version}",
                         hint="register it first (notebook 04 / package_model)") from exc
    return tracker.load_gates(run_id) if run_id else None


def _gate_summary(project: Any, version: str) -> dict[str, Any]:
    """``{"passed": bool, "failures": [reason, ...]}`` for the gates logged with ``version``'s run."""
    gates = version_gates(project, version)
    if gates is None:
        failed = ["no gate results were logged with its run"]
    elif not gates.results:
        failed = ["its run logged an empty gate report"]
    else:
        failed = [r.reason for r in gates.failures]
    return {"passed": not failed, "failures": failed}


def _check_gates(project: Any, version: str, *, force: bool, reason: str) -> dict[str, Any]:
    """Refuse a version whose gates failed or are missing, unless forced with a reason."""
    summary = _gate_summary(project, version)
    failed = summary["failures"]
    if failed and not force:
        raise ModelError(
            f"version {version} did not pass its gates: {'; '.join(failed)}",
            hint="fix the model, or override with --force --reason '<why>' (the override is recorded)",
        )
    if failed and not reason.strip():
        raise ModelError("a forced promotion needs a reason", hint="pass --reason '<why>' with --force")
    return summary


def _move(project: Any, version: str, *, alias: str, reason: str, action: str,
          extra: dict[str, Any] | None = None) -> dict[str, Any]:
    client = _client(project)
    name = project.config.model_name
    try:
        client.get_model_version(name, str(version))
    except Exception as exc:
        raise ModelError(f"model {name!r} has no version {version}",
                         hint="register it first (notebook 04 / package_model)") from exc
    previous = _alias_version(client, name, alias)
    client.set_registered_model_alias(name, alias, str(version))
    entry = {"time": datetime.now(UTC).isoformat(timespec="seconds"), "alias": alias, "version": str(version),
             "previous": previous, "user": getpass.getuser(), "reason": reason, "action": action, "model": name,
             **(extra or {})}
    append_line(_history_path(project), json.dumps(entry))
    return entry


def promote(project: Any, version: str | int | None = None, *, alias: str = "champion",
            reason: str = "", force: bool = False) -> dict[str, Any]:
    """Point ``alias`` (default ``champion``) at ``version`` (default: the ``challenger``).

    For ``champion``, the version's run must have passed its gates; ``force=True`` (with a ``reason``) overrides
    a failed or missing gate and the override is recorded in the history. Returns the record of the move,
    which always has ``alias, version, previous, action, model, gates, forced``: ``gates`` is
    ``{"passed", "failures"}`` for ``champion`` (None for an ungated alias) and ``forced`` says whether a
    failed gate was overridden. When ``version`` already holds ``alias`` nothing moves and nothing is
    recorded: the record has ``action="unchanged"``, ``forced=False`` and a ``message`` saying so.

    Examples
    --------
    >>> entry = promote(project, reason="better AUC")  # doctest: +SKIP
    >>> entry["previous"], entry["version"], entry["gates"]["passed"], entry["forced"]  # doctest: +SKIP
    ('1', '2', True, False)
    """
    name = project.config.model_name
    if version is None:
        version = _alias_version(_client(project), name, "challenger")
        if version is None:
            raise ModelError(f"model {name!r} has no 'challenger' alias",
                             hint="pass a version, or register one with notebook 04")
    current = _alias_version(_client(project), name, alias)
    if current == str(version):  # a self-move in the history would make rollback go nowhere
        gates = _gate_summary(project, current) if alias == "champion" else None
        return {"alias": alias, "version": current, "previous": current, "action": "unchanged", "model": name,
                "gates": gates, "forced": False,
                "message": f"version {current} is already {alias}: nothing changed, no history entry"}
    if alias != "champion":  # e.g. packaging names a challenger: only the champion is gated
        return _move(project, str(version), alias=alias, reason=reason, action="promote",
                     extra={"gates": None, "forced": False})
    gates = _check_gates(project, str(version), force=force, reason=reason)
    return _move(project, str(version), alias=alias, reason=reason, action="promote",
                 extra={"gates": gates, "forced": bool(force and not gates["passed"])})


def rollback(project: Any, *, alias: str = "champion", reason: str = "") -> dict[str, Any]:
    """Move ``alias`` back to the version it pointed at before its latest move."""
    current = _alias_version(_client(project), project.config.model_name, alias)
    moves = [e for e in alias_history(project) if e.get("alias") == alias and e.get("version") == current
             and e.get("action") == "promote" and e.get("previous") != current]
    previous = moves[-1].get("previous") if moves else None
    if previous is None:
        raise ModelError(f"no earlier {alias} to roll back to", hint="see `workbench history`")
    return _move(project, previous, alias=alias, reason=reason, action="rollback")
