"""A real `workbench serve` subprocess on 127.0.0.1 for the reliability tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

import workbench


def start_server(root: Path, model_uri: str, port: int, token_file: Path, *, options: Sequence[str] = (),
                 env: Mapping[str, str] | None = None, wait: float = 120) -> subprocess.Popen:
    """Start `workbench serve` (with ``options`` and ``env`` added) and wait until /health answers."""
    env = {**os.environ, "PYTHONPATH": str(Path(workbench.__file__).resolve().parents[1]), **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", "serve", model_uri, "--port", str(port), "-P", str(root),
         "--token-file", str(token_file), *options],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    deadline = time.time() + wait
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    stop_server(proc)
    raise RuntimeError(f"the server did not answer /health within {wait:.0f} s")


def stop_server(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    if proc.stderr:
        proc.stderr.close()
