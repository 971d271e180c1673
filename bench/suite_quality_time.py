"""How much of a test-suite run went to Great Expectations: validation and Data Docs, summed over
every pipeline run the suite committed.

    bash scripts/test.sh                       # or any pytest run; pytest keeps its last 3 base folders
    .venv/bin/python bench/suite_quality_time.py /tmp/pytest-of-$USER/pytest-N

Every committed run leaves ``_meta/quality/runs/<run_id>.json`` in its warehouse: seconds per suite
validation, and the seconds its Data Docs took (``data_docs_seconds``; a run written before that
field existed counts 0 there). pytest's ``<name>current`` links point at folders counted already, so
files are counted once by their real path. A run's first validation in a fresh process also pays GX's import
and context (~4 s): those are counted apart, as "cold". Runs that failed or changed nothing leave no
record and are not counted. The figures are wall seconds inside the runs' processes, so under a
loaded machine they include waiting for a core.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

COLD_SECONDS = 2.0   # a first validation slower than this imported GX in its own process


def main(base: Path) -> dict:
    runs = {os.path.realpath(p) for p in base.glob("**/_meta/quality/runs/*.json")}
    validating, validations, docs, cold = 0.0, 0, 0.0, []
    for path in runs:
        summary = json.loads(Path(path).read_text(encoding="utf-8"))
        suites = summary["suites"]
        validating += sum(s["seconds"] for s in suites)
        validations += len(suites)
        docs += summary.get("data_docs_seconds", 0.0)
        if suites and suites[0]["seconds"] > COLD_SECONDS:
            cold.append(suites[0]["seconds"])
    total = validating + docs
    result = {"runs": len(runs), "validations": validations, "validation_s": round(validating, 1),
              "data_docs_s": round(docs, 1), "gx_total_s": round(total, 1),
              "cold_first_validations": len(cold), "cold_first_validation_s": round(sum(cold), 1),
              "gx_per_run_s": round(total / len(runs), 2) if runs else None}
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
