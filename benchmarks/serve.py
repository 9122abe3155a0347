"""Single-row REST throughput and latency: ``workbench serve`` against ``mlflow models serve``.

Both serve the same demo model (a scikit-learn Pipeline with HistGradientBoosting over the credit
data's 20 features) on 127.0.0.1 and get the same load: single-row ``/invocations`` requests
(``dataframe_records``) at concurrency 8 and 32 for ``--seconds`` each. Ours validates every
field and writes every request to the prediction log; MLflow's does neither.

    python benchmarks/serve.py [--seconds 15] [--concurrency 8 32]

MLflow runs twice: with its default threads, and at its best on this machine, with
``OMP_NUM_THREADS=1`` (the model's OpenMP threads otherwise spin against the server's own work on
2 cores; our server limits OpenMP to one thread itself). Both rows are printed against ours,
with the load average at each measurement (the machine is shared).

``--workers 2`` compares ``workbench serve --workers 2`` with one worker instead (no MLflow):
the same load at each concurrency (default 32 only), throughput ratio and the machine's load
average. The load driver is one more process on the same cores, so on a 2-core machine two
workers share the CPU with it: the ratio is a floor of what two dedicated cores give.

    python benchmarks/serve.py --workers 2 [--seconds 15] [--concurrency 32]

With ``--log`` it compares prediction logs instead: the same ``workbench serve`` with its log on
SQLite (the default file) and on PostgreSQL (``--log postgresql://...``, or ``--log both`` to start
a temporary server from Debian's binaries, fsync on, as tests/pg.py does), in the same run.

    python benchmarks/serve.py --log both [--seconds 15] [--concurrency 8 32]
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
    deadline = time.time() + 300
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


def _wait_listening(proc: subprocess.Popen, port: int, count: int) -> None:
    """Wait until ``count`` processes of the server listen on ``port``."""
    import psutil

    deadline = time.time() + 300
    while time.time() < deadline:
        family = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children()]
        listening = [p for p in family if any(c.status == psutil.CONN_LISTEN and c.laddr.port == port
                                              for c in p.net_connections("tcp"))]
        if len(listening) >= count:
            return
        time.sleep(0.2)
    raise RuntimeError(f"{count} workers did not listen on port {port} within 300 s")


def compare_workers(workers: int, concurrency: list[int], seconds: float) -> None:
    """``workbench serve --workers N`` against one worker: rps, p50 and p99 at each concurrency."""
    with tempfile.TemporaryDirectory() as tmp:
        root, uri, _, record = build_model(Path(tmp))
        payload = {"dataframe_records": [record]}
        results: dict[int, dict[int, dict[str, float]]] = {}
        for count in (1, workers):
            port = _free_port()
            cmd = [sys.executable, "-m", "workbench", "serve", uri, "--port", str(port), "-P", str(root),
                   "--workers", str(count)]
            proc = start(cmd, port, dict(os.environ))
            try:
                _wait_listening(proc, port, count)  # /health answers with the first worker
                load(port, payload, 8, 3)  # warm-up
                results[count] = {c: load(port, payload, c, seconds) for c in concurrency}
            finally:
                stop(proc)
            print(f"load average after {count} worker(s): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{os.cpu_count()} cores; the load driver runs on them too")
    print(f"{'concurrency':>11} | {'1 worker rps':>12} {'p50 ms':>7} {'p99 ms':>7} | {f'{workers} workers rps':>14} "
          f"{'p50 ms':>7} {'p99 ms':>7} | {'ratio':>5}")
    for c in concurrency:
        one, many = results[1][c], results[workers][c]
        print(f"{c:>11} | {one['rps']:>12.0f} {one['p50']:>7.1f} {one['p99']:>7.1f} | {many['rps']:>14.0f} "
              f"{many['p50']:>7.1f} {many['p99']:>7.1f} | {many['rps'] / one['rps']:>4.2f}×")


def compare_logs(args: argparse.Namespace) -> None:
    """``workbench serve`` with the SQLite log against the same with a PostgreSQL log."""
    server = None
    if args.log == "both":
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from pg import start_server  # the test suite's throwaway server, durable (fsync on) here

        started = start_server(durable=True)
        if isinstance(started, str):
            raise SystemExit(started)
        server, url = started, started.create_database("bench")
    else:
        url = args.log
    # PostgreSQL's default flushes the WAL to disk at every commit; SQLite's WAL mode with
    # synchronous=NORMAL does not. synchronous_commit=off (per connection, in the URL) is the
    # closer match: a crash of the service loses nothing, one of the database server may lose
    # its last ~0.6 s of commits.
    logs = {"sqlite": None, "postgresql": url, "pg, sync off": f"{url}{'&' if '?' in url else '?'}"
            "options=-csynchronous_commit%3Doff"}
    try:
        results = _serve_logs(logs, args)
    finally:
        if server is not None:
            server.cleanup()
    from workbench.deploy.predlog import masked

    print(f"PostgreSQL log: {masked(url)}; load average before/after: {args.load_before} / "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores shared with the load driver and the database)")
    print(f"{'log':>14} | {'concurrency':>11} | {'rps':>6} {'p50 ms':>7} {'p99 ms':>7} | {'of sqlite':>9}")
    for name in logs:
        for c in args.concurrency:
            found, lite = results[name][c], results["sqlite"][c]
            print(f"{name:>14} | {c:>11} | {found['rps']:>6.0f} {found['p50']:>7.1f} {found['p99']:>7.1f} | "
                  f"{found['rps'] / lite['rps']:>9.0%}" + (f"  ({found['failures']} failed)" if found["failures"] else ""))


def _serve_logs(logs: dict[str, str | None], args: argparse.Namespace) -> dict[str, dict[int, dict[str, float]]]:
    results: dict[str, dict[int, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root, uri, _, record = build_model(Path(tmp))
        payload = {"dataframe_records": [record]}
        base = {k: v for k, v in os.environ.items() if k != "WORKBENCH_PREDICTION_LOG"}
        for name, url in logs.items():
            env = base if url is None else {**base, "WORKBENCH_PREDICTION_LOG": url}
            port = _free_port()
            proc = start([sys.executable, "-m", "workbench", "serve", uri, "--port", str(port), "-P", str(root)],
                         port, env)
            try:
                load(port, payload, 1, 2)  # warm-up
                results[name] = {c: load(port, payload, c, args.seconds) for c in args.concurrency}
            finally:
                stop(proc)
    return results


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
    parser.add_argument("--concurrency", type=int, nargs="+")
    parser.add_argument("--workers", type=int, metavar="N", help="compare --workers N with one worker (no MLflow)")
    parser.add_argument("--log", metavar="URL", help="compare the SQLite log with this PostgreSQL log "
                                                     "('both': start a temporary PostgreSQL server)")
    args = parser.parse_args()
    if args.workers is not None:
        compare_workers(args.workers, args.concurrency or [32], args.seconds)
        return
    args.concurrency = args.concurrency or [8, 32]
    if args.log:
        args.load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
        compare_logs(args)
        return
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
