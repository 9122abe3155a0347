"""Explore: profile a dataset, infer and validate its schema, fingerprint it."""

from workbench.explore.fingerprint import Fingerprint, fingerprint

__all__ = ["Fingerprint", "fingerprint"]
