"""Scaffold tests (a package, so its conftest and modules do not shadow other test folders)."""
