"""The package commands: `workbench package`, `workbench verify` and `workbench reproduce`."""

from __future__ import annotations

from workbench.cli import main


def test_package_verify_and_refuse_to_overwrite(packaged, tmp_path, capsys):
    project = str(packaged.project.root)
    out = tmp_path / "bundle"
    assert main(["package", packaged.uri, "--out", str(out), "-P", project]) == 1  # gates fail: no reviews
    printed = capsys.readouterr().out
    assert "package gates FAILED" in printed and "FAIL the training run logged no gates" in printed
    assert "k8s/: 1 replica(s); prediction log: SQLite in the pod, on the volume claim" in printed
    assert (out / "MANIFEST.sha256").is_file()
    assert main(["verify", str(out), "-P", project]) == 0
    assert "sha256 verified; inference: robust" in capsys.readouterr().out
    assert main(["package", packaged.uri, "--out", str(out), "-P", project]) == 2
    assert "already holds files" in capsys.readouterr().err
    (out / "Dockerfile").write_text("FROM scratch\n")
    assert main(["verify", str(out)]) == 2
    assert "changed: Dockerfile" in capsys.readouterr().err
    assert main(["package", packaged.uri, "--out", str(out), "--force", "--no-register", "-P", project]) == 1
    assert main(["verify", str(out)]) == 0  # intact, but unregistered: nothing anchors it, so its model is not loaded
    assert "so the model was not loaded" in capsys.readouterr().out


def test_package_errors_name_the_problem(packaged, tmp_path, capsys):
    project = str(packaged.project.root)
    assert main(["package", "s3://bucket/model", "--out", str(tmp_path / "b"), "-P", project]) == 2
    assert "is not a model URI this command understands" in capsys.readouterr().err
    assert main(["package", "models:/nope@champion", "--out", str(tmp_path / "b"), "-P", project]) == 2
    assert "is not in the tracking store" in capsys.readouterr().err
    wheel = tmp_path / "not-a-wheel.txt"
    wheel.write_text("x")
    assert main(["package", packaged.uri, "--out", str(tmp_path / "b"), "--wheel", str(wheel), "-P", project]) == 2
    assert "is not a wheel file" in capsys.readouterr().err
    assert main(["reproduce", packaged.uri, "-P", project]) == 2
    assert "records no notebook" in capsys.readouterr().err
