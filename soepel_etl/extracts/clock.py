"""Seconds spent per ingest step, summed over the files of a run.

A run of hundreds of small files is dominated by fixed costs per file, not by rows; the run log's
``ingest seconds per step`` line (and ``bench/bench_run.py``) say which step they sit in.
"""

from __future__ import annotations

import time
from collections import defaultdict
from contextlib import contextmanager


class StepClock:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    @contextmanager
    def step(self, name: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - started

    def rounded(self) -> dict[str, float]:
        return {name: round(s, 3) for name, s in self.seconds.items()}
