"""Helpers of the extension tests: a one-step pipeline a test project can run quickly."""

from __future__ import annotations

from pathlib import Path

CHECK_PIPELINE = """\
pipelines:
  check:
    description: One quick step that prints a greeting.
    parameters:
      repeat: {type: int, default: 2, help: how many times to greet}
      greeting: {type: choice, choices: [hello, hi], default: hello}
    steps:
      - name: greet
        notebook: notebooks/check.ipynb
        parameters: {repeat: "${repeat}", greeting: "${greeting}"}
"""


def add_check_pipeline(root: Path) -> Path:
    """Give the project at ``root`` a one-step pipeline ``check`` and its quick notebook."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell('greeting = "hello"\nrepeat = 2', metadata={"tags": ["parameters"]})
    nb.cells = [parameters, nbformat.v4.new_code_cell("print(' '.join([greeting] * repeat))")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["workbench"] = {"phase": "monitor"}
    path = root / "notebooks" / "check.ipynb"
    nbformat.write(nb, path)
    (root / "pipeline.yaml").write_text(CHECK_PIPELINE)
    return path

