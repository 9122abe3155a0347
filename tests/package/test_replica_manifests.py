"""Kubernetes manifests for several replicas: one PostgreSQL log whose URL comes from the Secret.

The manifests are parsed as YAML. A database log gives every pod ``WORKBENCH_PREDICTION_LOG``
from the model's Secret (never the URL itself) and its pod name as ``WORKBENCH_REPLICA``; no
volume claim is written. Several replicas on the SQLite log are refused with the fix.
"""

from __future__ import annotations

import pytest
import yaml

from workbench.exceptions import ConfigError, PredictionLogError
from workbench.package.container import LOG_KEY, ContainerSpec, kubernetes_manifests
from workbench.project import Project

URL = "postgresql://serve:s3cret-pw@db.example:5432/predictions"


def _spec(**changes) -> ContainerSpec:
    return ContainerSpec(**{"name": "credit-model", "version": "3", "image": "credit-model:v3", "python": "3.11.9",
                            **changes})


def _pod(manifests: dict[str, str]) -> dict:
    return yaml.safe_load(manifests["deployment.yaml"])["spec"]["template"]["spec"]


def _env(pod: dict) -> dict[str, dict]:
    (container,) = pod["containers"]
    return {item["name"]: item["valueFrom"] for item in container["env"]}


def test_replicas_share_the_database_log_named_by_the_secret():
    spec = _spec(replicas=3, database_log=True)
    manifests = kubernetes_manifests(spec)
    assert set(manifests) == {"deployment.yaml", "service.yaml"}  # no volume claim: the log is not in the pod
    deployment = yaml.safe_load(manifests["deployment.yaml"])
    assert deployment["spec"]["replicas"] == 3 and deployment["spec"]["strategy"]["type"] == "RollingUpdate"
    pod = _pod(manifests)
    env = _env(pod)
    assert env["WORKBENCH_PREDICTION_LOG"] == {"secretKeyRef": {"name": spec.name, "key": LOG_KEY}}
    assert env["WORKBENCH_REPLICA"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["state"] == {"name": "state", "emptyDir": {}}  # scratch for MLflow's store, not the log
    assert not any("persistentVolumeClaim" in v for v in volumes.values())
    assert "PostgreSQL" in spec.log_description() and repr(spec.name) in spec.log_description()


def test_one_replica_on_sqlite_keeps_its_claim_and_records_its_pod_name():
    manifests = kubernetes_manifests(_spec())
    pod = _pod(manifests)
    assert "WORKBENCH_PREDICTION_LOG" not in _env(pod)
    assert _env(pod)["WORKBENCH_REPLICA"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    claim = yaml.safe_load(manifests["pvc.yaml"])
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["state"]["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert _spec().log_description() == f"SQLite in the pod, on the volume claim {claim['metadata']['name']!r} (one replica)"


def test_several_replicas_on_the_sqlite_log_are_refused_with_the_fix():
    with pytest.raises(ConfigError) as caught:
        _spec(replicas=2)
    assert caught.value.key == "package.replicas" and caught.value.value == 2
    message = str(caught.value)
    assert "[package] replicas = 2 needs one prediction log that every pod writes to" in message
    assert "set [deploy] prediction_log (or WORKBENCH_PREDICTION_LOG when you package) to a postgresql:// URL" in message
    assert "Or set [package] replicas = 1" in message


def _with_replicas(root, replicas: int, log: str | None = None) -> Project:
    config = root / "workbench.toml"
    text = config.read_text().replace("[package]\n", f"[package]\nreplicas = {replicas}\n", 1)
    assert f"replicas = {replicas}" in text
    if log is not None:
        text += f'\n[deploy]\nprediction_log = "{log}"\n'
    config.write_text(text)
    return Project.load(root, check_data=False)


def test_the_project_s_configured_log_decides_the_manifests(project, monkeypatch):
    monkeypatch.delenv("WORKBENCH_PREDICTION_LOG", raising=False)
    with pytest.raises(ConfigError, match=r"\[package\] replicas = 3 needs one prediction log"):
        ContainerSpec.for_project(_with_replicas(project.root, 3), version="1", python="3.11.9")
    monkeypatch.setenv("WORKBENCH_PREDICTION_LOG", URL)  # as when packaging with the production log's URL
    spec = ContainerSpec.for_project(Project.load(project.root, check_data=False), version="1", python="3.11.9")
    assert spec.replicas == 3 and spec.database_log
    text = "".join(kubernetes_manifests(spec).values())
    assert "s3cret-pw" not in text and "db.example" not in text  # the URL stays in the Secret
    assert "s3cret-pw" not in spec.log_description()


def test_a_bad_log_url_is_refused_when_packaging_with_its_password_masked(project, monkeypatch):
    monkeypatch.delenv("WORKBENCH_PREDICTION_LOG", raising=False)
    configured = _with_replicas(project.root, 2, log="mysql://serve:s3cret-pw@db.example/log")
    with pytest.raises(PredictionLogError) as caught:
        ContainerSpec.for_project(configured, version="1", python="3.11.9")
    assert "mysql://serve:***@db.example/log" in str(caught.value) and "s3cret-pw" not in str(caught.value)
