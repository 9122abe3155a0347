"""The two sections a stakeholder reads first: the model card summary and the gate lights.

Both read what other phases recorded (the model card summary written by the Package phase,
the gate results of each phase's newest run); nothing is recomputed.
"""

from __future__ import annotations

import html as _html
import json
from pathlib import Path
from typing import Any

NOT_RUN = "not run yet"

#: Where the Package phase writes the model card (HTML, Markdown) and its JSON summary.
CARD_FILES = ("model_card.html", "model_card.md", "model_card.json")


def card_path(project: Any, name: str = "model_card.html") -> Path | None:
    """The newest model card file ``name`` of the project, or None when none was written."""
    for folder in (Path(project.state_dir) / "reports", Path(project.root)):
        if (folder / name).is_file():
            return folder / name
    return None


def read_card_summary(project: Any) -> dict[str, Any] | None:
    """The model card's JSON summary, or None when the model was not packaged yet."""
    path = card_path(project, "model_card.json")
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def card_summary_html(project: Any, *, link: str | None = None, status: Any = None) -> str:
    """Model card summary: intended use, version, the Package phase's state now (is the card
    still about the model that moves on?), headline metrics, top drivers, limitations.

    ``status`` is the project's :class:`~workbench.phases.ProjectStatus` when the caller has it.
    """
    from workbench.render.html import key_values, table, text

    summary = read_card_summary(project)
    if summary is None:
        return text(NOT_RUN, css="wb-missing")
    package = _package_state(project, status)
    head = {
        "Model": summary.get("name", ""),
        "Version": summary.get("version", ""),
        "Intended use": summary.get("intended_use", ""),
        "Package phase now": package,
    }
    parts = [key_values({k: v for k, v in head.items() if v not in (None, "")})]
    metrics = summary.get("metrics") or {}
    if isinstance(metrics, dict) and metrics:
        parts.append(table([_metric_row(k, v) for k, v in metrics.items()]))
    drivers = summary.get("top_drivers") or []
    if drivers:
        parts.append(text("Top drivers: " + ", ".join(_driver_name(d) for d in drivers[:5]) + "."))
    limitations = summary.get("limitations") or []
    if limitations:
        items = "".join(f"<li>{_html.escape(str(x))}</li>" for x in limitations)
        parts.append(f"<p>Limitations:</p><ul class='wb-limitations'>{items}</ul>")
    if link:
        parts.append(f"<p><a href='{link}'>Read the full model card</a></p>")
    return "".join(parts)


def _package_state(project: Any, status: Any) -> str:
    """The Package phase's state and reason, from :func:`workbench.phases.project_status`."""
    from workbench.phases import project_status

    try:
        phase = (status or project_status(project)).phase("package")
    except Exception as err:  # the tracking store is unreadable: the card still shows
        return f"unknown ({err})"
    return phase.state + (f" ({phase.reason})" if phase.reason else "")


def _metric_row(name: str, value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return {"metric": name, **{k: value[k] for k in ("value", "low", "high") if k in value}}
    return {"metric": name, "value": value}


def _driver_name(driver: Any) -> str:
    if isinstance(driver, dict):
        return str(driver.get("column") or driver.get("name") or driver)
    if isinstance(driver, list | tuple) and driver:
        return str(driver[0])
    return str(driver)


def gate_lights_html(project: Any, *, status: Any = None) -> str:
    """One light per gate of the run each phase's state comes from, and one per phase whose state
    the gates do not tell (not run, running, failed, stale, alerts fired); then the chosen model
    and the next step. Every verdict is :func:`workbench.phases.project_status`'s."""
    from workbench.phases import project_status
    from workbench.render.html import text
    from workbench.selection import choice_summary

    try:
        status = status or project_status(project)
    except Exception as err:  # the tracking store is unreadable: say so, keep the page
        return text(f"Gate results unavailable: {err}", css="wb-missing")
    lines: list[tuple[str, str]] = []
    for phase in status.phases:
        lines += [("pass" if g["passed"] else "fail", f"{phase.title}: {g['reason']}") for g in phase.gates]
        light = _PHASE_LIGHTS.get(phase.state)
        if light is not None and not (phase.gates and light == "pass"):
            why = f" ({phase.reason})" if phase.reason else ""
            lines.append((light, f"{phase.title}: {'ran, no gates' if light == 'pass' else phase.state}{why}"))
    return (_lights(lines) + text(f"Chosen model: {choice_summary(status.chosen_model)}")
            + text(f"Next: {status.next_step}"))


# The light a phase's own state shows (gates failed: its failed gates already show red).
_PHASE_LIGHTS = {"passed": "pass", "done": "pass", "not run": "wait", "running": "wait", "failed": "fail",
                 "stale": "stale", "alerts fired": "alert"}
_LIGHT_LOOKS = {"pass": ("wb-pass", "PASS"), "fail": ("wb-fail", "FAIL"), "wait": ("wb-warn", "WAIT"),
                "stale": ("wb-warn", "STALE"), "alert": ("wb-fail", "ALERT")}


def _lights(lines: list[tuple[str, str]]) -> str:
    """Gate lights: green pass, red fail or alert, amber for a phase without a current result."""
    out = []
    for light, reason in lines:
        css, word = _LIGHT_LOOKS[light]
        out.append(
            f'<div class="wb-gate"><span class="wb-light {css}" title="{word}"></span>'
            f"<strong>{word}</strong> {_html.escape(reason)}</div>"
        )
    return '<div class="wb-card">' + "".join(out) + "</div>"
