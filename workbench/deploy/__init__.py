"""Deploy."""

__all__: list[str] = []
