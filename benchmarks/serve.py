"""Single-row REST throughput and latency: ``workbench serve`` against ``mlflow models serve``.

Both serve the same demo model (a scikit-learn Pipeline with HistGradientBoosting over the credit
data's 20 features) on 127.0.0.1 and get the same load: single-row ``/invocations`` requests
(``dataframe_records``) at concurrency 8 and 32 for ``--seconds`` each. Ours validates every
field and writes every request to the prediction log; MLflow's does neither.

MLflow runs twice: with its default threads, and at its best on this machine, with
``OMP_NUM_THREADS=1`` (the model's OpenMP threads otherwise spin against the server's own work on
2 cores; our server limits OpenMP to one thread itself). Both rows are printed against ours,
with the load average at each measurement (the machine is shared).

    python benchmarks/serve.py [--seconds 15] [--concurrency 8 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_model(folder: Path) -> tuple[Path, str, Path, dict]:
    """A demo project with a logged model; returns (project root, model URI, local model dir, one record)."""
    import mlflow

    from workbench.evaluate import split_data, train_model
    from workbench.explore.schema import infer_schema
    from workbench.scaffold import init_project
    from workbench.tracking import Tracker

    project = init_project(folder / "proj", rows=5000)
    split = split_data(project, project.load_data())
    model = train_model(split, seed=0)
    with Tracker(project).start_run("evaluate") as run:
        uri = run.log_model(
            model, input_example=split.X_test.head(3), schema=infer_schema(split.X_train)
        )
    local = Path(mlflow.artifacts.download_artifacts(uri, dst_path=str(folder / "model")))
    row = split.X_test.head(1)
    record = row.astype(object).where(row.notna(), None).to_dict(orient="records")[0]
    return project.root, uri, local, record


def start(cmd: list[str], port: int, env: dict[str, str]) -> subprocess.Popen:
    proc = subprocess.Popen(
        cmd, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    stop(proc)
    raise RuntimeError(f"{cmd[:4]} did not answer /health on port {port} within 120 s")


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def load(port: int, payload: dict, concurrency: int, seconds: float) -> dict[str, float]:
    """Single-row POSTs to /invocations over ``concurrency`` keep-alive connections for ``seconds``."""
    from workbench.deploy._loadgen import drive

    begin = time.perf_counter()
    results = asyncio.run(drive("127.0.0.1", port, "/invocations", [payload], concurrency=concurrency,
                                seconds=seconds, parse=False))
    elapsed = time.perf_counter() - begin
    ms = np.array([latency for status, _, latency in results if status == 200]) * 1000
    return {
        "rps": len(ms) / elapsed,
        "p50": float(np.percentile(ms, 50)) if ms.size else float("nan"),
        "p99": float(np.percentile(ms, 99)) if ms.size else float("nan"),
        "failures": sum(1 for status, _, _ in results if status != 200),
    }


def load_average() -> str:
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


SERVERS = ("workbench", "mlflow", "mlflow-1-thread")


def commands(root: Path, uri: str, local: Path, ports: dict[str, int]) -> dict[str, list[str]]:
    mlflow = [sys.executable, "-m", "mlflow", "models", "serve", "-m", str(local), "--env-manager", "local",
              "-h", "127.0.0.1", "-p"]
    return {
        "workbench": [sys.executable, "-m", "workbench", "serve", uri, "--port", str(ports["workbench"]),
                      "-P", str(root)],
        "mlflow": [*mlflow, str(ports["mlflow"])],
        "mlflow-1-thread": [*mlflow, str(ports["mlflow-1-thread"])],
    }


def measure(cmd: list[str], port: int, env: dict[str, str], payload: dict, levels: list[int],
            seconds: float) -> dict[int, dict[str, float]]:
    proc = start(cmd, port, env)
    try:
        load(port, payload, 1, 2)  # warm-up
        results = {}
        for concurrency in levels:
            results[concurrency] = load(port, payload, concurrency, seconds)
            results[concurrency]["load"] = os.getloadavg()[0]
        return results
    finally:
        stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32])
    args = parser.parse_args()
    print(f"load average at the start: {load_average()} (1/5/15 min, 2 cores)")
    with tempfile.TemporaryDirectory() as tmp:
        root, uri, local, record = build_model(Path(tmp))
        payload = {"dataframe_records": [record]}
        # mlflow starts ``uvicorn`` by name: the interpreter's bin folder must be on PATH.
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        envs = {"workbench": env, "mlflow": env, "mlflow-1-thread": {**env, "OMP_NUM_THREADS": "1"}}
        ports = {name: _free_port() for name in SERVERS}
        results = {name: measure(cmd, ports[name], envs[name], payload, args.concurrency, args.seconds)
                   for name, cmd in commands(root, uri, local, ports).items()}
    print(f"{'concurrency':>11} | {'server':<38} | {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} | {'ours ÷':>6} | load")
    labels = {"workbench": "workbench serve (ours)", "mlflow": "mlflow models serve (default)",
              "mlflow-1-thread": "mlflow models serve OMP_NUM_THREADS=1"}
    for c in args.concurrency:
        ours = results["workbench"][c]
        for name in SERVERS:
            row = results[name][c]
            ratio = "" if name == "workbench" else f"{ours['rps'] / row['rps']:.1f}×"
            print(f"{c:>11} | {labels[name]:<38} | {row['rps']:>7.0f} {row['p50']:>7.1f} {row['p99']:>7.1f} | "
                  f"{ratio:>6} | {row['load']:.1f}")
            if row["failures"]:
                print(f"{'':>11}   {row['failures']} failed requests")
    print(f"load average at the end: {load_average()}")


if __name__ == "__main__":
    main()
