"""Phase notebooks: reading them, their phase tag, their parameters, and their content hash.

The content hash covers what a notebook *does*: the source of its code cells, which cell holds
the parameters, the kernel, and the cell tags and notebook metadata that change what runs:

* ``skip-execution`` (nbclient skips the cell: a gate that never runs), ``raises-exception``
  (nbclient carries on after the cell fails: the cells after a failed gate run) and
  ``papermill-error-cell-tag`` (papermill deletes such cells before running) on a code cell;
* the notebook's language (``language_info.name``, else ``kernelspec.language``) when it is not
  Python: papermill picks the syntax it writes the parameters in from it.

Everything else is left out because nothing reads it before or while cells run: outputs,
execution counts, cell ids, other tags, ``jupyter.source_hidden`` and ``collapsed`` (display
only), ``execution`` timings, and ``papermill`` metadata (papermill resets the notebook's and every
cell's ``papermill`` metadata when a run starts). A notebook with none of the tags above and a
Python language hashes as it did before they were included, so its approval stays valid; one
approved while carrying such a tag shows ``changed`` and needs approving again. Re-running a
notebook keeps its hash while editing its code, or tagging a cell to be skipped, changes it.

Cells tagged ``injected-parameters`` (papermill's, left in a notebook that was saved after a run)
are left out of the hash, so they are never executed either: every execution path runs
:func:`without_injected_cells` first, and papermill then injects the one cell holding the run's
parameters. Whatever else a cell so tagged holds is therefore neither approved nor run.
"""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.exceptions import PipelineError

if TYPE_CHECKING:  # nbformat takes seconds to import (its JSON schema formats): only where notebooks run
    import nbformat

__all__ = [
    "content_hash", "notebook_phase", "parameter_defaults", "parameters_cell", "read_notebook",
    "without_injected_cells",
]

PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"
# Tags that change whether a code cell runs or whether its failure stops the run (see above).
EXECUTION_TAGS = frozenset({"skip-execution", "raises-exception", "papermill-error-cell-tag"})


def read_notebook(path: Path | str) -> nbformat.NotebookNode:
    """Read a notebook (nbformat 4), with an error naming the file when it is not one."""
    import nbformat

    source = Path(path)
    try:
        return nbformat.read(source, as_version=4)
    except FileNotFoundError as err:
        raise PipelineError(f"No such notebook: {source}.") from err
    # nbformat raises all of these on a file that is not a notebook (bad JSON, wrong structure).
    except (OSError, ValueError, nbformat.NBFormatError, nbformat.ValidationError,
            AttributeError, KeyError, TypeError) as err:
        raise PipelineError(f"{source} is not a readable notebook: {err}.") from err


def _read_plain(path: Path | str) -> dict[str, Any]:
    """A notebook's content as nbformat reads it, for hashing and its phase tag.

    A well-formed nbformat 4 file is read with the json module (its multi-line sources joined,
    as nbformat joins them): ``approvals`` and ``status`` read every notebook, and importing
    nbformat costs more than the rest of those commands. Anything else (another version, a
    malformed file) goes through :func:`read_notebook`, so errors and conversions are nbformat's.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    if not _plain_v4(data):
        return dict(read_notebook(path))
    for cell in data["cells"]:
        if isinstance(cell["source"], list):
            cell["source"] = "".join(cell["source"])
    return data


def _plain_v4(data: Any) -> bool:
    """Is ``data`` an nbformat 4 notebook that nbformat would read without an error or a change?"""
    if not isinstance(data, dict) or data.get("nbformat") != 4 or not isinstance(data.get("nbformat_minor"), int):
        return False
    cells = data.get("cells")
    return isinstance(data.get("metadata"), dict) and isinstance(cells, list) and all(map(_plain_cell, cells))


def _plain_cell(cell: Any) -> bool:
    """A cell with a type, metadata, a text source, and outputs and attachments nbformat can rejoin."""
    if not (isinstance(cell, dict) and isinstance(cell.get("cell_type"), str) and isinstance(cell.get("metadata"), dict)):
        return False
    source = cell.get("source")
    if not (isinstance(source, str) or (isinstance(source, list) and all(isinstance(line, str) for line in source))):
        return False
    outputs, attachments = cell.get("outputs", []), cell.get("attachments", {})
    return (isinstance(outputs, list) and all(isinstance(o, dict) and isinstance(o.get("data", {}), dict) for o in outputs)
            and isinstance(attachments, dict) and all(isinstance(a, dict) for a in attachments.values()))


def _content(notebook: Any) -> Any:
    """``notebook`` itself when it is one already read, else the file's content (:func:`_read_plain`)."""
    return _read_plain(notebook) if isinstance(notebook, (str, Path)) else notebook


def _tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def notebook_phase(notebook: nbformat.NotebookNode | Path | str) -> str | None:
    """The phase a notebook is tagged with (``metadata.workbench.phase``), if any."""
    phase = _content(notebook)["metadata"].get("workbench", {}).get("phase")
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
    import nbformat

    copy = nbformat.from_dict(notebook)
    copy.cells = [cell for cell in copy.cells if INJECTED_TAG not in _tags(cell)]
    return copy


def content_hash(notebook: nbformat.NotebookNode | Path | str) -> str:
    """``sha256:<hex>`` of the notebook's code, parameters cell, kernel name and what changes execution.

    Execution-affecting cell tags (:data:`EXECUTION_TAGS`) and a non-Python language are included
    (see the module docstring for the list and why). Cells tagged ``injected-parameters`` are
    left out: they are stripped before every execution (:func:`without_injected_cells`).
    """
    nb = _content(notebook)
    kernel = nb["metadata"].get("kernelspec", {}).get("name", "")
    digest = hashlib.sha256(f"kernel:{kernel}\n".encode())
    language = _language(nb)
    if language != "python":  # Python notebooks keep the hash they had before the language counted
        digest.update(f"language:{len(language)}:{language}\n".encode())
    for cell in nb["cells"]:
        if cell["cell_type"] != "code" or INJECTED_TAG in _tags(cell):
            continue
        source = "\n".join(line.rstrip() for line in cell["source"].replace("\r\n", "\n").split("\n")).strip()
        marker = "P" if PARAMETERS_TAG in _tags(cell) else "C"
        digest.update(f"{marker}:{len(source)}:".encode())
        digest.update(source.encode())
        tags = ",".join(sorted(EXECUTION_TAGS.intersection(_tags(cell))))
        if tags:  # a cell without them hashes as it did before they counted
            digest.update(f"T:{len(tags)}:{tags}".encode())
    return f"sha256:{digest.hexdigest()}"


def _language(nb: Any) -> str:
    """The language papermill writes parameters in: ``language_info.name``, else ``kernelspec.language``."""
    metadata = nb["metadata"]
    language = metadata.get("language_info", {}).get("name") or metadata.get("kernelspec", {}).get("language")
    return str(language or "python").lower()


def parameter_defaults(notebook: nbformat.NotebookNode | Path | str) -> dict[str, Any]:
    """The literal defaults assigned in the parameters cell (``name = literal`` lines)."""
    nb = read_notebook(notebook) if isinstance(notebook, (str, Path)) else notebook
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
