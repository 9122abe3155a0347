"""Jupyter."""

__all__: list[str] = []
