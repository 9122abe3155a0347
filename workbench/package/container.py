"""The container recipe: a Dockerfile and Kubernetes Deployment + Service manifests for a bundle.

The image installs the bundle's exact pins with ``--no-deps`` (nothing is resolved at build
time), runs as a non-root user, checks ``/health`` and runs ``workbench serve`` on the
bundle's model with the bundle's serving project (``serve/workbench.toml``). The Deployment's
readiness probe asks ``/ready`` and its liveness probe ``/health`` of that service.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from workbench.project import Project

__all__ = ["ContainerSpec", "dockerfile", "kubernetes_manifests", "serving_config"]

APP_DIR = "/srv/bundle"
USER_ID = 10001
HEALTH_PATH = "/health"
READY_PATH = "/ready"
STATE_DIR = f"{APP_DIR}/serve/.workbench"


@dataclasses.dataclass(frozen=True)
class ContainerSpec:
    """What the recipe needs: names, image, port, replicas and resources."""

    name: str
    version: str
    image: str
    python: str
    port: int = 8000
    replicas: int = 2
    cpu_request: str = "250m"
    memory_request: str = "512Mi"
    cpu_limit: str = "1"
    memory_limit: str = "1Gi"

    @classmethod
    def for_project(cls, project: Project, *, version: str | None, python: str) -> ContainerSpec:
        """The spec from the project's ``[package]`` section (image defaults to ``<name>:<version>``)."""
        section = dict(project.config.sections.get("package", {}))
        name = _dns_name(project.config.model_name)
        tag = f"v{version}" if version else "latest"
        keys = ("port", "replicas", "cpu_request", "memory_request", "cpu_limit", "memory_limit")
        return cls(
            name=name,
            version=version or "unregistered",
            image=section.get("image") or f"{name}:{tag}",
            python=python,
            **{k: section[k] for k in keys if section.get(k) not in (None, "")},
        )


def _dns_name(text: str) -> str:
    """A Kubernetes object name (RFC 1123 label) made from ``text``."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return (cleaned or "model")[:63].rstrip("-")


def _python_image(python: str) -> str:
    major_minor = ".".join(python.split(".")[:2])
    return f"python:{python}-slim" if python.count(".") == 2 else f"python:{major_minor}-slim"


def dockerfile(spec: ContainerSpec) -> str:
    """The Dockerfile of a bundle: pinned install, non-root user, HEALTHCHECK, ``workbench serve``."""
    probe = (
        "import sys, urllib.request; "
        f"sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:{spec.port}{HEALTH_PATH}', timeout=4).status == 200 else 1)"
    )
    return f"""\
# {spec.name} version {spec.version}: the model service, built from this bundle.
#   docker build -t {spec.image} .
#   docker run --rm -p {spec.port}:{spec.port} {spec.image}
FROM {_python_image(spec.python)}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN groupadd --system --gid {USER_ID} workbench \\
    && useradd --system --uid {USER_ID} --gid {USER_ID} --home-dir {APP_DIR} --shell /usr/sbin/nologin workbench
WORKDIR {APP_DIR}
COPY requirements.txt ./
COPY wheels/ ./wheels/
# Every package at its exact packaged version; --no-deps: nothing is resolved at build time.
RUN pip install --no-deps --find-links ./wheels -r requirements.txt && pip check
COPY --chown={USER_ID}:{USER_ID} . .
RUN mkdir -p {STATE_DIR} && chown {USER_ID}:{USER_ID} {STATE_DIR}
USER {USER_ID}:{USER_ID}
EXPOSE {spec.port}
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \\
    CMD ["python", "-c", "{probe}"]
CMD ["workbench", "serve", "{APP_DIR}/model", "--project", "{APP_DIR}/serve", "--host", "0.0.0.0", "--port", "{spec.port}"]
"""


DOCKERIGNORE = "serve/.workbench\n**/__pycache__\n"


def _labels(spec: ContainerSpec) -> dict[str, str]:
    return {"app.kubernetes.io/name": spec.name, "app.kubernetes.io/version": spec.version,
            "app.kubernetes.io/component": "model-service", "app.kubernetes.io/part-of": "mlops-workbench"}


def _probe(path: str, *, delay: int, period: int) -> dict[str, Any]:
    return {"httpGet": {"path": path, "port": "http"}, "initialDelaySeconds": delay,
            "periodSeconds": period, "timeoutSeconds": 5, "failureThreshold": 3}


def deployment(spec: ContainerSpec) -> dict[str, Any]:
    """The Deployment: probes on /ready and /health, resource requests and limits, non-root."""
    container = {
        "name": "model",
        "image": spec.image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": spec.port, "protocol": "TCP"}],
        "readinessProbe": _probe(READY_PATH, delay=10, period=10),
        "livenessProbe": _probe(HEALTH_PATH, delay=30, period=20),
        "resources": {
            "requests": {"cpu": spec.cpu_request, "memory": spec.memory_request},
            "limits": {"cpu": spec.cpu_limit, "memory": spec.memory_limit},
        },
        "securityContext": {"runAsNonRoot": True, "runAsUser": USER_ID, "allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True},
        "volumeMounts": [{"name": "state", "mountPath": STATE_DIR}, {"name": "tmp", "mountPath": "/tmp"}],
    }
    selector = {"app.kubernetes.io/name": spec.name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": spec.name, "labels": _labels(spec)},
        "spec": {
            "replicas": spec.replicas,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": _labels(spec)},
                "spec": {
                    "securityContext": {"runAsNonRoot": True, "runAsUser": USER_ID, "fsGroup": USER_ID},
                    "containers": [container],
                    "volumes": [{"name": "state", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}],
                },
            },
        },
    }


def service(spec: ContainerSpec) -> dict[str, Any]:
    """The ClusterIP Service in front of the Deployment's ``http`` port."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": spec.name, "labels": _labels(spec)},
        "spec": {
            "type": "ClusterIP",
            "selector": {"app.kubernetes.io/name": spec.name},
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def kubernetes_manifests(spec: ContainerSpec) -> dict[str, str]:
    """``{file name: YAML}`` for the Deployment and the Service."""
    def dump(doc: dict[str, Any]) -> str:
        return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)

    return {"deployment.yaml": dump(deployment(spec)), "service.yaml": dump(service(spec))}


def serving_config(project: Project) -> str:
    """``serve/workbench.toml``: the minimal project ``workbench serve`` opens inside the container.

    It names the model and the target; it holds no data (the service only scores and logs).
    """
    config = project.config
    return (
        "# The serving project inside the container: the prediction log lives in .workbench/.\n"
        f"[project]\nname = {_toml(config.name)}\n\n"
        f"[data]\npath = \"data/none.parquet\"  # no training data ships with the model\n"
        f"target = {_toml(config.data.target)}\ntask = {_toml(config.data.task)}\n\n"
        f"[model]\nname = {_toml(config.model_name)}\n"
    )


def _toml(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
