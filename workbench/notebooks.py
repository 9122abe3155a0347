"""Phase notebooks: reading them, their phase tag, their parameters, and their content hash.

The content hash covers what a notebook *does*: the source of its code cells, which cell holds
the parameters, and the kernel. Outputs, execution counts, cell ids and other volatile metadata
are ignored, so re-running a notebook keeps its hash while editing its code changes it.

Cells tagged ``injected-parameters`` (papermill's, left in a notebook that was saved after a run)
are left out of the hash, so they are never executed either: every execution path runs
:func:`without_injected_cells` first, and papermill then injects the one cell holding the run's
parameters. Whatever else a cell so tagged holds is therefore neither approved nor run.
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path
from typing import Any

import nbformat

from workbench.exceptions import PipelineError

__all__ = [
    "content_hash", "notebook_phase", "parameter_defaults", "parameters_cell", "read_notebook",
    "without_injected_cells",
]

PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"


def read_notebook(path: Path | str) -> nbformat.NotebookNode:
    """Read a notebook (nbformat 4), with an error naming the file when it is not one."""
    source = Path(path)
    try:
        return nbformat.read(source, as_version=4)
    except FileNotFoundError as err:
        raise PipelineError(f"No such notebook: {source}.") from err
    # nbformat raises all of these on a file that is not a notebook (bad JSON, wrong structure).
    except (OSError, ValueError, nbformat.NBFormatError, nbformat.ValidationError,
            AttributeError, KeyError, TypeError) as err:
        raise PipelineError(f"{source} is not a readable notebook: {err}.") from err


def _tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def notebook_phase(notebook: nbformat.NotebookNode | Path | str) -> str | None:
    """The phase a notebook is tagged with (``metadata.workbench.phase``), if any."""
    nb = notebook if isinstance(notebook, nbformat.NotebookNode) else read_notebook(notebook)
    phase = nb.metadata.get("workbench", {}).get("phase")
    return str(phase) if phase else None


def parameters_cell(notebook: nbformat.NotebookNode) -> Any | None:
    """The cell tagged ``parameters`` (papermill's convention), if any."""
    for cell in notebook.cells:
        if cell.cell_type == "code" and PARAMETERS_TAG in _tags(cell):
            return cell
    return None


def without_injected_cells(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``notebook`` without any cell tagged ``injected-parameters``.

    papermill replaces only the *first* such cell with the run's parameters; any other one would
    run although :func:`content_hash` leaves it out. Execute only what this returns.
    """
    copy = nbformat.from_dict(notebook)
    copy.cells = [cell for cell in copy.cells if INJECTED_TAG not in _tags(cell)]
    return copy


def content_hash(notebook: nbformat.NotebookNode | Path | str) -> str:
    """``sha256:<hex>`` of the notebook's code, parameters cell and kernel name.

    Cells tagged ``injected-parameters`` are left out: they are stripped before every execution
    (:func:`without_injected_cells`).
    """
    nb = notebook if isinstance(notebook, nbformat.NotebookNode) else read_notebook(notebook)
    kernel = nb.metadata.get("kernelspec", {}).get("name", "")
    digest = hashlib.sha256(f"kernel:{kernel}\n".encode())
    for cell in nb.cells:
        if cell.cell_type != "code" or INJECTED_TAG in _tags(cell):
            continue
        source = "\n".join(line.rstrip() for line in cell.source.replace("\r\n", "\n").split("\n")).strip()
        marker = "P" if PARAMETERS_TAG in _tags(cell) else "C"
        digest.update(f"{marker}:{len(source)}:".encode())
        digest.update(source.encode())
    return f"sha256:{digest.hexdigest()}"


def parameter_defaults(notebook: nbformat.NotebookNode | Path | str) -> dict[str, Any]:
    """The literal defaults assigned in the parameters cell (``name = literal`` lines)."""
    nb = notebook if isinstance(notebook, nbformat.NotebookNode) else read_notebook(notebook)
    cell = parameters_cell(nb)
    if cell is None:
        return {}
    defaults: dict[str, Any] = {}
    for node in ast.parse(cell.source).body:
        target = value = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        if isinstance(target, ast.Name) and value is not None:
            try:
                defaults[target.id] = ast.literal_eval(value)
            except ValueError:
                continue
    return defaults
