"""atheris entry point for fuzzing ingest (not part of the test suite; needs `pip install atheris`).

    .venv/bin/python tests/reliability/fuzz_atheris.py -atheris_runs=5000 [corpus_dir]

Each input picks a source and an extension, then either a seed delivery mutated by atheris' own
bytes, or the raw bytes themselves; tests/reliability/fuzz.py's check_one must hold for every input
(an unhandled exception or a failed check is reported by atheris as a crash, with the input saved).
At exit it prints how many inputs were checked and their outcomes.
"""

from __future__ import annotations

import atexit
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import atheris  # noqa: E402

with atheris.instrument_imports():
    from soepel_etl.extracts import reader, ingest  # noqa: F401,E402

from tests.reliability import fuzz  # noqa: E402

SEEDS = fuzz.seeds()
HARNESS = fuzz.Harness(Path(tempfile.mkdtemp(prefix="soepel-atheris-")))


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    source, ext, seed = SEEDS[fdp.ConsumeIntInRange(0, len(SEEDS) - 1)]
    mode = fdp.ConsumeIntInRange(0, 2)
    if mode == 0:
        body = fdp.ConsumeBytes(fdp.remaining_bytes())                                  # raw bytes
    elif mode == 1:
        body = fuzz.mutate(seed, fdp.ConsumeIntInRange(0, 2**31), fdp.ConsumeIntInRange(1, 6))
    else:                                                                               # splice into a seed
        at = fdp.ConsumeIntInRange(0, len(seed))
        body = seed[:at] + fdp.ConsumeBytes(fdp.remaining_bytes()) + seed[at:]
    HARNESS.check_one(fuzz.file_name(source, ext), body)


@atexit.register
def _figures() -> None:
    print(f"atheris: {HARNESS.count} inputs checked, outcomes {HARNESS.outcomes}", flush=True)


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
