"""The container recipe: a Dockerfile and Kubernetes Deployment + Service manifests for a bundle.

The image installs the bundle's exact pins with ``--no-deps`` (nothing is resolved at build
time), refuses to build when ``workbench verify --strict --expect SHA`` fails on the copied bundle
(the build argument ``BUNDLE_SHA256`` is the anchor: the manifest's sha256 as the registry records
it; the bundle cannot vouch for itself, and the image keeps it for ``workbench serve``), runs as a
non-root user, checks ``/health`` and runs ``workbench serve`` on the bundle's model with the
bundle's serving project (``serve/workbench.toml``), requiring the bearer token read from a mounted
Secret file (:data:`TOKEN_FILE`). The Deployment mounts the
Secret named after the model there; its readiness probe asks ``/ready`` with that token and its
liveness probe ``/health`` (open) of that service.

Which prediction log a manifest expects follows the project's configured log
(``[deploy] prediction_log`` or ``WORKBENCH_PREDICTION_LOG`` when packaging): the SQLite file,
kept on a PersistentVolumeClaim, serves one replica; a PostgreSQL log serves any number, and
the Deployment then reads its URL from the same Secret (key :data:`LOG_KEY`) into
``WORKBENCH_PREDICTION_LOG``, never from the bundle. Several replicas without a database log are
refused: each pod would keep a log of its own, lost with the pod. Every pod records its name as
its replica id (``WORKBENCH_REPLICA``) in the rows it writes.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

import yaml

from workbench.package.verify import EXPECT_ENV, MANIFEST_TAG

if TYPE_CHECKING:
    from workbench.project import Project

__all__ = ["LOG_KEY", "TOKEN_FILE", "ContainerSpec", "dockerfile", "kubernetes_manifests", "ready_probe_command",
           "serving_config"]

APP_DIR = "/srv/bundle"
USER_ID = 10001
HEALTH_PATH = "/health"
READY_PATH = "/ready"
STATE_DIR = f"{APP_DIR}/serve/.workbench"
SECRET_DIR = "/run/secrets/workbench"
TOKEN_FILE = f"{SECRET_DIR}/token"
TOKEN_KEY = "token"
SHA_ARG = "BUNDLE_SHA256"
LOG_KEY = "prediction_log"  # the Secret's key holding the database log's URL
LOG_ENV = "WORKBENCH_PREDICTION_LOG"
REPLICA_ENV = "WORKBENCH_REPLICA"


@dataclasses.dataclass(frozen=True)
class ContainerSpec:
    """What the recipe needs: names, image, port, replicas, resources and where the log is.

    ``database_log`` True: the prediction log is a database whose URL the pods read from the
    Secret (any number of replicas); False: a SQLite file on a volume claim (one replica).
    """

    name: str
    version: str
    image: str
    python: str
    port: int = 8000
    replicas: int = 1
    database_log: bool = False
    log_storage: str = "1Gi"
    cpu_request: str = "250m"
    memory_request: str = "512Mi"
    cpu_limit: str = "1"
    memory_limit: str = "1Gi"

    def __post_init__(self) -> None:
        if self.replicas > 1 and not self.database_log:
            from workbench.exceptions import ConfigError

            raise ConfigError(
                f"[package] replicas = {self.replicas} needs one prediction log that every pod writes to, but "
                "this project's log is a SQLite file: each pod would keep its own, lost with the pod.",
                key="package.replicas", value=self.replicas,
                hint=f"set [deploy] prediction_log (or {LOG_ENV} when you package) to a postgresql:// URL; the "
                     f"Deployment reads it from the Secret {self.name!r}, key {LOG_KEY!r}, never from the bundle. "
                     "Or set [package] replicas = 1 (its SQLite log is kept on a volume claim).")

    def log_description(self) -> str:
        """Which prediction log the manifests expect, in one line (``workbench package`` prints it)."""
        if self.database_log:
            return (f"PostgreSQL, shared by the {self.replicas} replica(s): {LOG_ENV} from the Secret "
                    f"{self.name!r}, key {LOG_KEY!r}")
        return f"SQLite in the pod, on the volume claim {_claim_name(self)!r} (one replica)"

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
            database_log=_database_log(project),
            **{k: section[k] for k in keys if section.get(k) not in (None, "")},
        )


def _database_log(project: Project) -> bool:
    """Whether the project's configured prediction log is a database (a bad URL is refused, masked)."""
    from workbench.deploy.predlog import configured_log, log_url_of

    return log_url_of(configured_log(project), root=project.root).get_backend_name() != "sqlite"


def _dns_name(text: str) -> str:
    """A Kubernetes object name (RFC 1123 label) made from ``text``."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return (cleaned or "model")[:63].rstrip("-")


# What may be written into a Dockerfile line: an image reference, a version, a Python version.
_DOCKER_WORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,254}$")


def _docker_word(value: str, what: str) -> str:
    """``value`` when it is one plain word; a newline would start a Dockerfile instruction of its own."""
    if not _DOCKER_WORD.match(value):
        from workbench.exceptions import ModelError

        raise ModelError(f"The {what} {value!r} cannot be written into the Dockerfile: expected one word of "
                         "letters, digits and . _ : / @ + - (no spaces or control characters).",
                         hint=f"Fix the {what} ([package] image in workbench.toml for the image).")
    return value


def _python_image(python: str) -> str:
    major_minor = ".".join(python.split(".")[:2])
    return f"python:{python}-slim" if python.count(".") == 2 else f"python:{major_minor}-slim"


def dockerfile(spec: ContainerSpec) -> str:
    """The Dockerfile of a bundle: pinned install, non-root user, HEALTHCHECK, ``workbench serve``."""
    for value, what in ((spec.image, "image"), (spec.version, "version"), (spec.python, "Python version")):
        _docker_word(value, what)
    probe = (
        "import sys, urllib.request; "
        f"sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:{spec.port}{HEALTH_PATH}', timeout=4).status == 200 else 1)"
    )
    return f"""\
# {spec.name} version {spec.version}: the model service, built from this bundle.
#   docker build --build-arg {SHA_ARG}=<sha256> -t {spec.image} .
#   docker run --rm -p {spec.port}:{spec.port} -v "$PWD/secrets:{SECRET_DIR}:ro" {spec.image}
# where <sha256> is the manifest's sha256 as the registry records it (the tag {MANIFEST_TAG} of
# the version; `workbench package` prints it): the build refuses a bundle that does not match it, and
# secrets/{TOKEN_KEY} holds the bearer token (readable by uid {USER_ID}); the service refuses to start without it.
FROM {_python_image(spec.python)}
ARG {SHA_ARG}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
ENV {EXPECT_ENV}=${{{SHA_ARG}}}
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
# Refuse to build from a changed bundle, one whose manifest is not the expected one, or with other
# library versions than the pins; `workbench serve` checks the manifest against it again at start.
RUN workbench verify --strict --expect "${{{SHA_ARG}}}" {APP_DIR}
EXPOSE {spec.port}
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \\
    CMD ["python", "-c", "{probe}"]
CMD ["workbench", "serve", "{APP_DIR}/model", "--project", "{APP_DIR}/serve", "--host", "0.0.0.0", "--port", "{spec.port}", "--token-file", "{TOKEN_FILE}"]
"""


DOCKERIGNORE = "serve/.workbench\n**/__pycache__\n"


def _labels(spec: ContainerSpec) -> dict[str, str]:
    return {"app.kubernetes.io/name": spec.name, "app.kubernetes.io/version": spec.version,
            "app.kubernetes.io/component": "model-service", "app.kubernetes.io/part-of": "mlops-workbench"}


def _probe(path: str, *, delay: int, period: int) -> dict[str, Any]:
    return {"httpGet": {"path": path, "port": "http"}, "initialDelaySeconds": delay,
            "periodSeconds": period, "timeoutSeconds": 5, "failureThreshold": 3}


def ready_probe_command(spec: ContainerSpec) -> list[str]:
    """The readiness check: ``GET /ready`` with the bearer token (a kubelet httpGet probe cannot read a Secret)."""
    code = (
        "import sys, urllib.request; "
        f"token = open({TOKEN_FILE!r}, encoding='utf-8').read().strip(); "
        f"request = urllib.request.Request('http://127.0.0.1:{spec.port}{READY_PATH}', "
        "headers={'Authorization': 'Bearer ' + token}); "
        "sys.exit(0 if urllib.request.urlopen(request, timeout=4).status == 200 else 1)"
    )
    return ["python", "-c", code]


def _claim_name(spec: ContainerSpec) -> str:
    return _dns_name(f"{spec.name}-predictions")


def _volumes(spec: ContainerSpec) -> list[dict[str, Any]]:
    """The state folder (the SQLite log's claim; scratch when the log is a database), the token Secret, /tmp."""
    # With a database log the folder keeps only the serving project's empty MLflow store.
    state: dict[str, Any] = {"emptyDir": {}} if spec.database_log \
        else {"persistentVolumeClaim": {"claimName": _claim_name(spec)}}
    secret = {"secretName": spec.name, "items": [{"key": TOKEN_KEY, "path": TOKEN_KEY}], "defaultMode": 0o440}
    return [{"name": "state", **state}, {"name": "token", "secret": secret}, {"name": "tmp", "emptyDir": {}}]


def _environment(spec: ContainerSpec) -> list[dict[str, Any]]:
    """The pod's name as its replica id; with a database log, the log's URL from the Secret."""
    found: list[dict[str, Any]] = [{"name": REPLICA_ENV, "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]
    if spec.database_log:
        found.append({"name": LOG_ENV, "valueFrom": {"secretKeyRef": {"name": spec.name, "key": LOG_KEY}}})
    return found


def deployment(spec: ContainerSpec) -> dict[str, Any]:
    """The Deployment: token (and a database log's URL) from a Secret, probes, resources, non-root."""
    ready = {"exec": {"command": ready_probe_command(spec)}, "initialDelaySeconds": 10, "periodSeconds": 10,
             "timeoutSeconds": 5, "failureThreshold": 3}
    container = {
        "name": "model",
        "image": spec.image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": spec.port, "protocol": "TCP"}],
        "env": _environment(spec),
        "readinessProbe": ready,
        "livenessProbe": _probe(HEALTH_PATH, delay=30, period=20),
        "resources": {
            "requests": {"cpu": spec.cpu_request, "memory": spec.memory_request},
            "limits": {"cpu": spec.cpu_limit, "memory": spec.memory_limit},
        },
        "securityContext": {"runAsNonRoot": True, "runAsUser": USER_ID, "allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True},
        "volumeMounts": [{"name": "state", "mountPath": STATE_DIR},
                         {"name": "token", "mountPath": SECRET_DIR, "readOnly": True},
                         {"name": "tmp", "mountPath": "/tmp"}],
    }
    selector = {"app.kubernetes.io/name": spec.name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": spec.name, "labels": _labels(spec)},
        "spec": {
            "replicas": spec.replicas,
            # one writer at a time on the log's volume: the old pod stops before the new one starts
            "strategy": {"type": "RollingUpdate"} if spec.database_log else {"type": "Recreate"},
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": _labels(spec)},
                "spec": {
                    "securityContext": {"runAsNonRoot": True, "runAsUser": USER_ID, "fsGroup": USER_ID},
                    "containers": [container],
                    "volumes": _volumes(spec),
                },
            },
        },
    }


def log_claim(spec: ContainerSpec) -> dict[str, Any]:
    """The PersistentVolumeClaim that keeps the single replica's prediction log across restarts."""
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": _claim_name(spec), "labels": _labels(spec)},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": spec.log_storage}}},
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
    """``{file name: YAML}`` for the Deployment, the Service and (a SQLite log) the log's volume claim."""
    def dump(doc: dict[str, Any]) -> str:
        return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)

    manifests = {"deployment.yaml": dump(deployment(spec)), "service.yaml": dump(service(spec))}
    if not spec.database_log:
        manifests["pvc.yaml"] = dump(log_claim(spec))
    return manifests


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
