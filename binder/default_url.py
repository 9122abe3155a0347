"""Make the stakeholder view of the demo the default URL of `jupyter lab` and `jupyter server`.

Binder serves from $HOME; postBuild runs this with the demo's folder. When the demo lives below
$HOME, the Voila URL of its notebooks/stakeholder.ipynb becomes the default URL, written to the
user's Jupyter config folder; otherwise nothing is written.

    python binder/default_url.py DEMO_DIR
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main(demo_dir: str) -> str | None:
    home, demo = Path.home().resolve(), Path(demo_dir).resolve()
    if not demo.is_relative_to(home):
        return None
    url = "/voila/render/" + (demo / "notebooks" / "stakeholder.ipynb").relative_to(home).as_posix()
    config_dir = Path(os.environ.get("JUPYTER_CONFIG_DIR") or home / ".jupyter")
    # `jupyter server` reads ServerApp's; `jupyter lab` (Binder's command) sets its own from
    # LabApp's, which it reads from jupyter_lab_config.json only (not from a .d folder).
    server_dir = config_dir / "jupyter_server_config.d"
    server_dir.mkdir(parents=True, exist_ok=True)
    (server_dir / "workbench-binder.json").write_text(json.dumps({"ServerApp": {"default_url": url}}) + "\n")
    lab_file = config_dir / "jupyter_lab_config.json"
    lab = json.loads(lab_file.read_text()) if lab_file.is_file() else {}
    lab.setdefault("LabApp", {})["default_url"] = url
    lab_file.write_text(json.dumps(lab, indent=2) + "\n")
    return url


if __name__ == "__main__":
    chosen = main(sys.argv[1])
    print(f"default URL: {chosen}" if chosen else "default URL unchanged: the demo is outside $HOME")
