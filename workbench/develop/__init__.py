"""Develop."""

__all__: list[str] = []
