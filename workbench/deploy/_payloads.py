"""Request payloads: MLflow's scoring protocol, and the OpenAPI description of a model's records."""

from __future__ import annotations

from typing import Any

from workbench.exceptions import DataError

_JSON_TYPES = {"numeric": "number", "integer": "number", "boolean": "boolean", "categorical": "string",
               "text": "string", "datetime": "string"}


def records_from_invocations(payload: Any) -> list[Any]:
    """MLflow's ``dataframe_split``, ``dataframe_records`` and ``inputs`` payloads as records."""
    if not isinstance(payload, dict):
        raise DataError("the payload must be a JSON object")
    if "dataframe_split" in payload:
        split = payload["dataframe_split"]
        if not isinstance(split, dict) or not isinstance(split.get("columns"), list) or not isinstance(split.get("data"), list):
            raise DataError("dataframe_split needs a list of columns and a list of data rows")
        columns = [str(c) for c in split["columns"]]
        if not all(isinstance(row, list) and len(row) == len(columns) for row in split["data"]):
            raise DataError(f"every dataframe_split row must be a list of {len(columns)} values")
        return [dict(zip(columns, row, strict=True)) for row in split["data"]]
    if "dataframe_records" in payload:
        return _list(payload["dataframe_records"], "dataframe_records")
    if "inputs" in payload:
        inputs = payload["inputs"]
        if isinstance(inputs, dict):
            return _columns_to_records(inputs)
        return _list(inputs, "inputs")
    raise DataError("expected one of dataframe_split, dataframe_records or inputs")


def _list(value: Any, key: str) -> list[Any]:
    if not isinstance(value, list):
        raise DataError(f"{key} must be a list of records")
    return value


def _columns_to_records(columns: dict[str, Any]) -> list[dict[str, Any]]:
    lengths = {len(v) if isinstance(v, list) else -1 for v in columns.values()}
    if len(lengths) != 1 or -1 in lengths:
        raise DataError("inputs as columns must map each name to a list, all of one length")
    names, values = list(columns), list(columns.values())
    return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]


def record_schema(schema: Any) -> dict[str, Any]:
    """JSON Schema of one record of the model's input (nullable columns accept null)."""
    properties = {}
    for col in schema.columns:
        kind = _JSON_TYPES.get(col.kind, "string")
        properties[col.name] = {"type": [kind, "null"] if col.nullable else kind}
    return {"type": "object", "properties": properties, "required": list(schema.names)}


def request_body_schema(schema: Any, style: str) -> dict[str, Any]:
    """``openapi_extra`` describing the request body of ``/v1/predict`` or ``/invocations``."""
    records: dict[str, Any] = {"type": "array", "items": record_schema(schema), "minItems": 1}
    body: dict[str, Any]
    if style == "invocations":
        body = {"type": "object", "properties": {"dataframe_records": records}, "required": ["dataframe_records"]}
    else:
        body = records
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": body}}}}
