"""Pipelines: approved notebooks executed by papermill, recorded, scheduled and exported."""

from workbench.pipelines.approval import (
    Approval,
    ApprovalState,
    approval_states,
    approve_notebook,
    revoke_approval,
)
from workbench.pipelines.execute import execute_notebook

__all__ = [
    "Approval",
    "ApprovalState",
    "approval_states",
    "approve_notebook",
    "execute_notebook",
    "revoke_approval",
]
