"""The container recipe, checked structurally: Dockerfile instructions, Kubernetes manifests, probes."""

from __future__ import annotations

import json
import re
import shlex

import pytest
import yaml
from fastapi.testclient import TestClient

from workbench.cli import build_parser
from workbench.deploy import create_app
from workbench.package.container import ContainerSpec, dockerfile
from workbench.package.manifest import MANIFEST_NAME, file_sha256
from workbench.project import Project

from .conftest import copy_bundle


def parse_dockerfile(text: str) -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` pairs, continuation lines joined and comments dropped."""
    instructions, pending = [], ""
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip()[:-1] + " " if line.rstrip().endswith("\\") else line
        if not line.rstrip().endswith("\\"):
            keyword, _, args = pending.strip().partition(" ")
            instructions.append((keyword.upper(), " ".join(args.split())))
            pending = ""
    return instructions


@pytest.fixture(scope="module")
def recipe(demo_bundle):
    root = demo_bundle.path
    instructions = parse_dockerfile((root / "Dockerfile").read_text())
    manifests = {name: yaml.safe_load((root / "k8s" / name).read_text()) for name in ("deployment.yaml", "service.yaml")}
    return root, instructions, manifests


def _one(instructions, keyword):
    found = [args for key, args in instructions if key == keyword]
    assert len(found) == 1, (keyword, found)
    return found[0]


def test_dockerfile_pins_runs_as_non_root_and_serves(recipe):
    root, instructions, _ = recipe
    environment = json.loads((root / "environment.json").read_text())
    assert instructions[0] == ("FROM", f"python:{environment['python']}-slim")
    installs = [args for key, args in instructions if key == "RUN" and "pip install" in args]
    assert len(installs) == 1 and "--no-deps" in installs[0] and "-r requirements.txt" in installs[0]
    user = _one(instructions, "USER").split(":")[0]
    assert user not in ("root", "0") and int(user) > 0
    assert [k for k, _ in instructions].index("USER") > [k for k, _ in instructions].index("RUN")
    for key, args in instructions:
        if key == "COPY":
            source = next(a for a in shlex.split(args) if not a.startswith("--"))
            assert (root / source).exists(), f"COPY source {source} is not in the bundle"
    command = json.loads(_one(instructions, "CMD"))
    assert command[:3] == ["workbench", "serve", "/srv/bundle/model"]
    port = _one(instructions, "EXPOSE")
    assert command[command.index("--port") + 1] == port
    health = _one(instructions, "HEALTHCHECK")
    options, _, probe = health.partition(" CMD ")
    assert "--interval=" in options and f"127.0.0.1:{port}/health" in " ".join(json.loads(probe))


def test_the_container_command_parses_as_workbench_serve(recipe):
    _, instructions, _ = recipe
    command = json.loads(_one(instructions, "CMD"))
    args = build_parser().parse_args(command[1:])
    assert args.command == "serve" and args.model == "/srv/bundle/model" and args.host == "0.0.0.0"
    assert args.project == "/srv/bundle/serve" and args.handler.__module__ == "workbench.cli.deploy"


def test_the_build_verifies_the_bundle_strictly():
    instructions = parse_dockerfile(dockerfile(ContainerSpec(name="m", version="3", image="m:v3", python="3.11.9")))
    (verify,) = [args for key, args in instructions if key == "RUN" and "workbench verify" in args]
    args = build_parser().parse_args(shlex.split(verify)[1:])
    assert (args.command, str(args.bundle), args.strict) == ("verify", "/srv/bundle", True)
    keys = [key for key, _ in instructions]
    assert keys.index("USER") < next(i for i, (_, a) in enumerate(instructions) if a == verify) < keys.index("CMD")


def test_deployment_and_service_have_the_required_fields(recipe):
    _, instructions, manifests = recipe
    deployment, service = manifests["deployment.yaml"], manifests["service.yaml"]
    assert (deployment["apiVersion"], deployment["kind"]) == ("apps/v1", "Deployment")
    assert (service["apiVersion"], service["kind"]) == ("v1", "Service")
    spec = deployment["spec"]
    pod_labels = spec["template"]["metadata"]["labels"]
    assert spec["selector"]["matchLabels"].items() <= pod_labels.items()
    assert service["spec"]["selector"].items() <= pod_labels.items()
    (container,) = spec["template"]["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["http"] == int(_one(instructions, "EXPOSE"))
    assert service["spec"]["ports"][0]["targetPort"] in ports
    for kind in ("requests", "limits"):
        assert set(container["resources"][kind]) == {"cpu", "memory"}
    assert container["securityContext"]["runAsNonRoot"] is True
    assert container["livenessProbe"]["httpGet"]["port"] in ports
    assert f"127.0.0.1:{ports['http']}/ready" in " ".join(container["readinessProbe"]["exec"]["command"])


def test_probes_hit_real_endpoints_of_the_service(recipe, tmp_path):
    root, instructions, manifests = recipe
    bundle = copy_bundle(root, tmp_path / "bundle")  # the service writes its log under serve/.workbench
    command = json.loads(_one(instructions, "CMD"))
    project = Project.load(bundle / "serve", check_data=False)
    app = create_app(project, str(bundle / command[2].removeprefix("/srv/bundle/")),
                     expected_sha256=file_sha256(bundle / MANIFEST_NAME))  # as the image's build argument sets it
    routes = {route.path for route in app.routes}
    (container,) = manifests["deployment.yaml"]["spec"]["template"]["spec"]["containers"]
    ready = re.search(r"127\.0\.0\.1:\d+(/\w+)", " ".join(container["readinessProbe"]["exec"]["command"]))
    paths = {container["livenessProbe"]["httpGet"]["path"], ready.group(1)}
    assert paths == {"/ready", "/health"} and paths <= routes
    with TestClient(app) as client:
        for path in paths:
            assert client.get(path).status_code == 200, path
