"""Ports a service may not take: one another service already shares, 0 across workers, out of range."""

from __future__ import annotations

import socket

import pytest

from workbench.cli import main
from workbench.deploy.workers import _check_port, _listening_socket, serve
from workbench.exceptions import ServingError


def test_a_port_another_service_shares_is_refused() -> None:
    other = _listening_socket("127.0.0.1", 0)  # a running `workbench serve --workers` listens like this
    other.listen(5)
    try:
        port = other.getsockname()[1]
        with pytest.raises(ServingError, match=rf"cannot listen on 127\.0\.0\.1:{port}"):
            _check_port("127.0.0.1", port)
    finally:
        other.close()
    with socket.socket() as probe:  # a free port passes
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    _check_port("127.0.0.1", free)


def test_port_zero_cannot_be_shared_by_several_workers() -> None:
    with pytest.raises(ServingError, match=r"--port 0 \(any free port\) cannot be shared by several workers"):
        serve(None, host="127.0.0.1", port=0, workers=2)  # type: ignore[arg-type]  # refused before use


@pytest.mark.parametrize("port", ["70000", "-1", "eighty"])
def test_a_port_out_of_range_is_a_usage_error(port: str, capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["serve", "models:/m@champion", "--port", port])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "--port" in err and "port number" in err and "Traceback" not in err
