"""Package: a versioned bundle of a model with its environment, lineage, card and container recipe.

* :func:`package_model` — write a bundle (MLflow pyfunc with robust inference, exact pins,
  lineage, model card, Dockerfile, Kubernetes manifests, sha256 manifest) and register the
  model as the ``challenger``;
* :func:`load_bundle` — verify a bundle's sha256 manifest, compare running library versions
  with its pins (warning, or error when ``strict``) and load its model;
* :func:`reproduce` — re-run the training notebook with the recorded parameters and compare
  the data fingerprint and the metrics within a stated tolerance.
"""

from workbench.package.bundle import Bundle, load_bundle, package_model
from workbench.package.card import ModelCard, build_model_card
from workbench.package.reproduce import ReproduceReport, reproduce

__all__ = [
    "Bundle",
    "ModelCard",
    "ReproduceReport",
    "build_model_card",
    "load_bundle",
    "package_model",
    "reproduce",
]
