"""The stakeholder page of a finished project: gathered afresh versus read back while nothing changed.

Each figure is a fresh Python process running what the Voila dashboard's notebook runs
(``cached_stakeholder_html(project_dir)``), imports included, as a visitor's kernel does: once
with no stored page (MLflow, the reports and the records are read and the page rendered), then
again with the page stored and its sources unchanged. A floor measured in the same run puts them
in context: a process that only starts Python and imports ``workbench``. The browser's DOM-ready
time in Voila is printed by ``tests/stakeholder/test_voila.py``.

    python benchmarks/stakeholder.py PROJECT_DIR [--repeat N]

PROJECT_DIR is a finished project (``workbench demo --dir DIR`` builds one). Its stored page,
``.workbench/stakeholder/page.html``, is removed before the first run and rewritten by it.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from workbench.stakeholder.cache import PAGE_FILE

_PAGE = "from workbench.stakeholder.cache import cached_stakeholder_html; cached_stakeholder_html({root!r})"
_FLOOR = "import workbench"


def _seconds(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root = args.project.resolve()
    code = _PAGE.format(root=str(root))
    cold = []
    for _ in range(args.repeat):
        (root / PAGE_FILE).unlink(missing_ok=True)
        cold.append(_seconds(code))
    stored = [_seconds(code) for _ in range(args.repeat)]
    floor = [_seconds(_FLOOR) for _ in range(args.repeat)]
    size = (root / PAGE_FILE).stat().st_size
    print(f"page gathered afresh: median {statistics.median(cold):.2f} s over {args.repeat} processes")
    print(f"page read back:       median {statistics.median(stored):.2f} s")
    print(f"floor (import workbench): median {statistics.median(floor):.2f} s")
    print(f"read back / afresh: {statistics.median(stored) / statistics.median(cold):.3f}; page {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
