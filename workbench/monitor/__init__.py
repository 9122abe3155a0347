"""Monitor."""

__all__: list[str] = []
