"""The stakeholder view and evidence pack tests (a package, so `from conftest import` names tests/conftest.py)."""
