"""Exports of a pipeline spec to other engines (Airflow)."""
