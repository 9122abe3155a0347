"""The container recipe's auth and storage: the token from a mounted Secret, a probe that uses it, one replica."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml
from conftest import serving

from workbench.cli import build_parser
from workbench.deploy import create_app
from workbench.package.container import TOKEN_FILE, ContainerSpec, dockerfile, kubernetes_manifests

from .test_container import _one, parse_dockerfile


def _spec(**changes) -> ContainerSpec:
    return ContainerSpec(**{"name": "credit-model", "version": "3", "image": "credit-model:v3", "python": "3.11.9",
                            **changes})


def _manifests(spec: ContainerSpec) -> dict[str, dict]:
    return {name: yaml.safe_load(text) for name, text in kubernetes_manifests(spec).items()}


def test_the_container_serves_with_the_token_of_the_secret_named_after_the_model():
    spec = _spec()
    command = json.loads(_one(parse_dockerfile(dockerfile(spec)), "CMD"))
    args = build_parser().parse_args(command[1:])
    assert args.host == "0.0.0.0" and args.token_file == Path(TOKEN_FILE) and not args.insecure
    pod = _manifests(spec)["deployment.yaml"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    (volume,) = [v for v in pod["volumes"] if "secret" in v]
    assert volume["secret"]["secretName"] == spec.name
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == volume["name"]]
    (item,) = volume["secret"]["items"]
    assert f"{mount['mountPath']}/{item['path']}" == TOKEN_FILE and mount["readOnly"] is True


def test_one_replica_keeps_its_prediction_log_on_a_claim(trained):
    assert ContainerSpec.for_project(trained.project, version="1", python="3.11.9").replicas == 1
    manifests = _manifests(_spec())
    deployment, claim = manifests["deployment.yaml"], manifests["pvc.yaml"]
    assert deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"]["type"] == "Recreate"
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    assert volumes["state"]["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert claim["kind"] == "PersistentVolumeClaim" and claim["spec"]["accessModes"] == ["ReadWriteOnce"]


def test_the_readiness_probe_passes_with_the_mounted_token_and_fails_without(trained, tmp_path):
    token_file = tmp_path / "token"
    with serving(create_app(trained.project, trained.model_uri, token="s3cret")) as client:
        spec = _spec(port=client.base_url.port)
        (container,) = _manifests(spec)["deployment.yaml"]["spec"]["template"]["spec"]["containers"]
        program, flag, code = container["readinessProbe"]["exec"]["command"]
        assert (program, flag) == ("python", "-c") and TOKEN_FILE in code

        def probe() -> int:
            local = code.replace(TOKEN_FILE, str(token_file))
            return subprocess.run([sys.executable, "-c", local], capture_output=True, timeout=60).returncode

        token_file.write_text("s3cret\n")
        assert probe() == 0
        token_file.write_text("wrong")
        assert probe() != 0
