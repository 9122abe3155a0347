"""Explore: profile a dataset, infer and validate a dataset's schema, fingerprint it, gate it."""

from workbench.explore.fingerprint import Fingerprint, fingerprint
from workbench.explore.gates import explore_gates
from workbench.explore.profile import ColumnProfile, ProfileReport, ProfileWarning, profile
from workbench.explore.schema import ColumnSchema, Schema, infer_schema
from workbench.explore.validation import (
    ValidationFailure,
    ValidationReport,
    load_schema,
    save_schema,
    validate,
)

__all__ = [
    "ColumnProfile",
    "ColumnSchema",
    "Fingerprint",
    "ProfileReport",
    "ProfileWarning",
    "Schema",
    "ValidationFailure",
    "ValidationReport",
    "explore_gates",
    "fingerprint",
    "infer_schema",
    "load_schema",
    "profile",
    "save_schema",
    "validate",
]
