"""The bundle's ``model/`` folder: the MLflow model, re-pointed at the robust pyfunc loader.

The logged model is copied as it is (its ``sklearn`` flavor and file untouched); its
``python_function`` flavor is pointed at :mod:`workbench.package._pyfunc`, its signature is
rebuilt from the Explore schema with the pyfunc's output columns (every input column named,
optional and of MLflow's ``any`` type: MLflow's own enforcement refuses an integer where it
expects a double and NaN where it expects an integer, so the robust pipeline, which coerces and
reports per row, does the checking; the typed schema is ``schema/input_schema.json``), and its
``requirements.txt`` gains the workbench itself, whose loader it needs. The logged-model id is
moved into the metadata so the folder loads against any tracking store, which also records the
model's task and classes (``workbench_task``, ``workbench_classes``).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from workbench.develop.answers import model_classes, model_task
from workbench.exceptions import ModelError
from workbench.package._pyfunc import CLASSES_METADATA_KEY, TASK_METADATA_KEY, output_columns
from workbench.package.source import flavor

__all__ = ["LOADER_MODULE", "describe_estimator", "write_model_dir"]

LOADER_MODULE = "workbench.package._pyfunc"


def describe_estimator(estimator: Any) -> str:
    """``Pipeline(ColumnTransformer → HistGradientBoostingClassifier)``-style name of a model."""
    steps = getattr(estimator, "steps", None)
    if steps:
        return f"{type(estimator).__name__}({' → '.join(type(step).__name__ for _, step in steps)})"
    return type(estimator).__name__


def _signature(schema: Any, task: str, classes: list[Any] | None, *, probabilistic: bool) -> Any:
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec
    from mlflow.types import Schema as MlflowSchema
    from mlflow.types.schema import AnyType

    columns: list[Any] = [ColSpec(AnyType(), column.name, required=False) for column in schema.columns]
    inputs = MlflowSchema(columns)
    outputs: list[Any] = []
    for name in output_columns(task, classes, probabilistic=probabilistic):
        kind = "string" if name == "warnings" else "double" if name.startswith("probability") else None
        outputs.append(ColSpec(kind or _prediction_type(classes), name))
    return ModelSignature(inputs=inputs, outputs=MlflowSchema(outputs))


def _prediction_type(classes: list[Any] | None) -> str:
    if classes is None:
        return "double"
    sample = classes[0]
    if isinstance(sample, bool):
        return "boolean"
    if isinstance(sample, int):
        return "long"
    if isinstance(sample, float):
        return "double"
    return "string"


def write_model_dir(source_dir: Path, target: Path, *, schema: Any, estimator: Any, workbench_pin: str,
                    extra_requirements: tuple[str, ...] = ()) -> dict[str, Any]:
    """Copy the model into ``target`` and re-point its pyfunc flavor; returns the output schema.

    ``extra_requirements`` (``name==version``) join the model's ``requirements.txt`` with the
    workbench's own pin.
    """
    from mlflow.models import Model

    shutil.copytree(source_dir, target)
    mlmodel = Model.load(str(target / "MLmodel"))
    flavor(mlmodel, "sklearn")
    pyfunc = flavor(mlmodel, "python_function")
    if "model_path" not in pyfunc:
        raise ModelError("The model's python_function flavor names no model file.")
    pyfunc["loader_module"] = LOADER_MODULE
    mlmodel.flavors["python_function"] = pyfunc
    task, classes = model_task(estimator), model_classes(estimator)
    probabilistic = classes is not None and hasattr(estimator, "predict_proba")
    mlmodel.signature = _signature(schema, task, classes, probabilistic=probabilistic)
    mlmodel.metadata = {**(mlmodel.metadata or {}), TASK_METADATA_KEY: task, CLASSES_METADATA_KEY: classes}
    # A portable folder: MLflow 3 looks a model_id up in the tracking store it runs against
    # (get_model_info would fail in the container's fresh store); the id stays in the metadata.
    if mlmodel.model_id:
        mlmodel.metadata = {**mlmodel.metadata, "workbench_logged_model_id": mlmodel.model_id}
        mlmodel.model_id = None
    mlmodel.save(str(target / "MLmodel"))
    for pin in (*extra_requirements, workbench_pin):
        _add_requirement(target / "requirements.txt", pin)
    return {"columns": [
        {"name": spec.name, "type": spec.type.name if hasattr(spec.type, "name") else str(spec.type)}
        for spec in mlmodel.signature.outputs.inputs
    ], "task": task, "classes": classes}


def _add_requirement(path: Path, pin: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    name = pin.split("==")[0]
    lines = [line for line in lines if not line.startswith(name)] + [pin]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
