"""Tests of the ``/workbench/api/`` handlers through a real Jupyter server (pytest-jupyter)."""
