"""Auth at start-up: a token file that is missing or empty, and a public address without a token, are refused."""

from __future__ import annotations

import pytest

from workbench.cli import main
from workbench.deploy import create_app
from workbench.deploy._auth import check_exposure, is_loopback
from workbench.exceptions import ServingError


def test_a_missing_or_empty_token_file_is_refused_naming_the_file(tmp_path, capsys):
    nowhere = str(tmp_path / "no-project")  # the token is checked before anything is loaded
    missing = tmp_path / "missing-token"
    assert main(["serve", "models:/m@champion", "--token-file", str(missing), "-P", nowhere]) == 2
    assert f"the token file {missing} does not exist" in capsys.readouterr().err
    empty = tmp_path / "empty-token"
    empty.write_text("  \n")
    assert main(["serve", "models:/m@champion", "--token-file", str(empty), "-P", nowhere]) == 2
    assert f"the token file {empty} is empty, which would switch auth off" in capsys.readouterr().err
    with pytest.raises(ServingError, match="an empty bearer token would switch auth off"):
        create_app(None, "models:/m@champion", token="")


def test_a_public_host_without_a_token_needs_insecure(tmp_path, capsys):
    assert main(["serve", "models:/m@champion", "--host", "0.0.0.0", "-P", str(tmp_path / "no-project")]) == 2
    err = capsys.readouterr().err
    assert "--host 0.0.0.0 would accept predictions from other machines without any authentication" in err
    assert "--token-file" in err and "--insecure" in err
    check_exposure("0.0.0.0", token=None, insecure=True)
    check_exposure("0.0.0.0", token="s3cret", insecure=False)
    assert all(is_loopback(host) for host in ("127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"))
    assert not any(is_loopback(host) for host in ("0.0.0.0", "::", "10.0.0.5", "example.org"))
