"""Deploy: the durable prediction log and promotion/rollback of the champion alias."""

from workbench.deploy.app import create_app
from workbench.deploy.batch import BatchSummary, score_batch
from workbench.deploy.predlog import (
    log_batch,
    read_feedback,
    read_prediction_log,
    read_requests,
    write_feedback,
)
from workbench.deploy.registry import alias_history, promote, rollback

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
