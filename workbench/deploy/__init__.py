"""Deploy: the REST service, batch scoring, the durable prediction log, promotion and rollback.

The service (:func:`create_app`) loads the serving stack (FastAPI, orjson) only when it is
asked for, so the prediction log, the registry and batch scoring import without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench.deploy.batch import BatchSummary, score_batch
from workbench.deploy.predlog import (
    log_batch,
    read_feedback,
    read_prediction_log,
    read_requests,
    write_feedback,
)
from workbench.deploy.registry import alias_history, promote, rollback

if TYPE_CHECKING:
    from workbench.deploy.app import create_app

__all__ = [
    "BatchSummary",
    "alias_history",
    "create_app",
    "log_batch",
    "promote",
    "read_feedback",
    "read_prediction_log",
    "read_requests",
    "rollback",
    "score_batch",
    "write_feedback",
]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from workbench.deploy.app import create_app

        return create_app
    raise AttributeError(f"module 'workbench.deploy' has no attribute {name!r}")
