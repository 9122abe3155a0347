"""The Jupyter server extension behind the Workbench side panel.

``jupyter lab`` loads it (``pip install`` enables it with a ``jupyter_server_config.d`` file);
it adds an authenticated REST API under ``/workbench/api/`` that calls the same package
functions as the ``workbench`` command line: project status, notebooks with their approval
state, approve / revoke, pipeline runs and the latest reports. Every path is confined to the
server's root folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["load_jupyter_server_extension"]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "workbench.jupyter"}]


def load_jupyter_server_extension(server_app: Any) -> None:
    """Register the ``/workbench/api/`` handlers on ``server_app``."""
    from workbench.jupyter.api import WorkbenchAPI
    from workbench.jupyter.handlers import handlers

    web_app = server_app.web_app
    root = Path(server_app.root_dir).expanduser()
    web_app.settings["workbench_api"] = WorkbenchAPI(root)
    web_app.add_handlers(".*$", handlers(web_app.settings["base_url"]))
    server_app.log.info("MLOps Workbench API enabled at %sworkbench/api/", web_app.settings["base_url"])


_load_jupyter_server_extension = load_jupyter_server_extension
