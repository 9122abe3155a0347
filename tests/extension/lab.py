"""JupyterLab for the browser tests: started on 127.0.0.1 with a known token and every Jupyter
folder in a temporary place, with this checkout's extension; stopped by whoever started it."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

from conftest import wait_for_port

REPO = Path(__file__).resolve().parents[2]
BUILT = REPO / "extensions" / "labextension"
QUIET_NOTIFICATIONS = {"fetchNews": "false", "checkForUpdates": False}


def built_extension() -> Path | None:
    """This checkout's built extension, or None when only an installed copy can be used."""
    return BUILT if (BUILT / "package.json").is_file() else None


def installed_extension() -> Path | None:
    """The extension installed with the package (``pip install .``), if any."""
    from jupyter_core.paths import jupyter_path

    for folder in jupyter_path("labextensions"):
        if (Path(folder) / "mlops-workbench" / "package.json").is_file():
            return Path(folder) / "mlops-workbench"
    return None


def _environment(home: Path) -> dict[str, str]:
    config = home / ".jupyter"
    config.mkdir(parents=True, exist_ok=True)
    # The server extension is enabled the way the installed config file enables it.
    (config / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {"workbench.jupyter": True}}})
    )
    settings = home / "lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps(QUIET_NOTIFICATIONS))
    return {
        **os.environ,
        "HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "lab-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "IPYTHONDIR": str(home / ".ipython"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")])),
    }


@contextmanager
def running_lab(root: Path, scratch: Path, port: int) -> Iterator[SimpleNamespace]:
    """JupyterLab serving ``root`` on 127.0.0.1:``port``; yields ``url``, ``token``, ``log``."""
    token = secrets.token_hex(16)
    env = _environment(scratch / "home")
    args = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}", "--ServerApp.allow_root=True",
        "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
    ]
    built = built_extension()
    if built is not None:
        extra = scratch / "labextensions"
        extra.mkdir(exist_ok=True)
        (extra / "mlops-workbench").symlink_to(built)
        args.append(f"--LabApp.extra_labextensions_path={extra}")
    elif installed_extension() is None:
        raise AssertionError(
            "The JupyterLab extension is neither installed nor built: run `pip install .`, or "
            "`cd extensions && jlpm install && jlpm build:prod`."
        )
    log = scratch / "lab.log"
    with log.open("w") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_port(port, proc, "jupyter lab", timeout=90, log=log)
        yield SimpleNamespace(url=f"http://127.0.0.1:{port}", token=token, log=log, proc=proc)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
