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


def card_summary_html(project: Any, *, link: str | None = None) -> str:
    """Model card summary: intended use, version, headline metrics, top drivers, limitations."""
    from workbench.render.html import key_values, table, text

    summary = read_card_summary(project)
    if summary is None:
        return text(NOT_RUN, css="wb-missing")
    head = {
        "Model": summary.get("name", ""),
        "Version": summary.get("version", ""),
        "Intended use": summary.get("intended_use", ""),
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


def gate_lights_html(project: Any) -> str:
    """One light per gate of each phase's newest run (amber: not run yet), then the next step."""
    from workbench.phases import DONE, FAILED, GATES_FAILED, PASSED, project_status
    from workbench.render.html import text

    try:
        status = project_status(project)
    except Exception as err:  # the tracking store is unreadable: say so, keep the page
        return text(f"Gate results unavailable: {err}", css="wb-missing")
    lines = []
    for phase in status.phases:
        if phase.gates:
            lines += [(g["passed"], f"{phase.title}: {g['reason']}") for g in phase.gates]
        elif phase.state in (DONE, PASSED):
            lines.append((True, f"{phase.title}: ran, no gates"))
        else:
            lines.append((False if phase.state in (FAILED, GATES_FAILED) else None,
                          f"{phase.title}: {phase.state}"))
    return _lights(lines) + text(f"Next: {status.next_step}")


def _lights(lines: list[tuple[bool | None, str]]) -> str:
    """Gate lights: green pass, red fail, amber for a phase that has no result yet."""
    out = []
    for passed, reason in lines:
        css, word = {True: ("wb-pass", "PASS"), False: ("wb-fail", "FAIL"), None: ("wb-warn", "WAIT")}[passed]
        out.append(
            f'<div class="wb-gate"><span class="wb-light {css}" title="{word}"></span>'
            f"<strong>{word}</strong> {_html.escape(reason)}</div>"
        )
    return '<div class="wb-card">' + "".join(out) + "</div>"
