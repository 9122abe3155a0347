"""Peak resident memory of this process while a block runs, shared by the benchmark scripts."""

from __future__ import annotations

import threading
import time


class PeakRss:
    """Samples this process's RSS every 5 ms; ``start`` and ``peak`` are in bytes.

    ``growth`` is the peak above the RSS at entry (what the block added, imports included).
    """

    def __init__(self) -> None:
        import psutil  # imported here: the Evidently side of benchmarks/drift.py runs in its own venv

        self.process, self.start, self.peak, self._stop = psutil.Process(), 0, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.005)

    def __enter__(self) -> PeakRss:
        self.start = self.peak = self.process.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)

    @property
    def growth(self) -> int:
        return self.peak - self.start
