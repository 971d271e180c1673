"""Benchmark: the quality layer's share of ingesting one big ``werk`` file.

    .venv/bin/python bench/bench_validation.py [--rows 1000000 10000000]

For each size, the same generated CSV (bench_ingest.py's generator) is ingested twice in fresh
subprocesses: once with validation as the pipeline runs it, once with the file profiles and the
quality run's file check and publishing replaced by no-ops. Reported: wall time and peak memory of
both, the time spent in the quality layer (DuckDB reductions + GX validation + Data Docs), and
validation / (ingest without validation).
Target (issue 4): at most 25% at 1M and at 10M rows, peak memory within the ingest target (4 GB).
Only ingest is measured (``pipeline.ingest_files``), not the build.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import MAKE_CSV, run_measured  # noqa: E402

INGEST = """
import sys, time
from soepel_etl import pipeline
from soepel_etl.settings import Settings
from soepel_etl.identity.pseudonyms import PseudonymKey
from soepel_etl.extracts import profiles
from soepel_etl.quality import QualityRun
spent = [0.0]
def timed(f):
    def g(*a, **k):
        t = time.perf_counter()
        try:
            return f(*a, **k)
        finally:
            spent[0] += time.perf_counter() - t
    return g
HOOKS = ((profiles, "raw_profile"), (profiles, "staged_profile"), (QualityRun, "check_files"), (QualityRun, "publish"))
if sys.argv[3] == "off":
    for owner, name in HOOKS:
        setattr(owner, name, (lambda *a, **k: {}) if name == "check_files" else (lambda *a, **k: None))
else:
    for owner, name in HOOKS:
        setattr(owner, name, timed(getattr(owner, name)))
s = Settings.resolve(landing=sys.argv[1], warehouse=sys.argv[2], key=PseudonymKey.from_text("bench-" + "k" * 40), environ={})
summary = pipeline.ingest_files(s)
print("\\n".join(summary.lines()), file=sys.stderr)
print("QUALITY", spent[0], file=sys.stderr)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    args = parser.parse_args()
    import duckdb

    results = []
    for rows in args.rows:
        with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
            tmp = Path(tmp)
            landing = tmp / "landing" / "werk"
            landing.mkdir(parents=True)
            csv_path = landing / "werk_GM0363_20210301.csv"
            duckdb.connect().execute(MAKE_CSV.format(rows=rows, path=csv_path))
            off = run_measured(INGEST, str(tmp / "landing"), str(tmp / "wh_off"), "off")
            on = run_measured(INGEST, str(tmp / "landing"), str(tmp / "wh_on"), "on")
            quality_s = float([l for l in on["log"].splitlines() if l.startswith("QUALITY")][-1].split()[1])
            r = {
                "rows": rows,
                "ingest_without_validation": {k: off[k] for k in ("wall_s", "peak_rss_mb")},
                "ingest_with_validation": {k: on[k] for k in ("wall_s", "peak_rss_mb")},
                "validation_s": round(quality_s, 2),
                "ratio_validation_to_ingest": round(quality_s / off["wall_s"], 3),
                "ratio_wall_difference": round((on["wall_s"] - off["wall_s"]) / off["wall_s"], 3),
            }
            r["met"] = r["ratio_validation_to_ingest"] <= 0.25 and on["peak_rss_mb"] <= 4096
            results.append(r)
            print(json.dumps(r), flush=True)
    print(json.dumps({"benchmark": "quality layer vs ingest of one werk file", "results": results,
                      "targets": {"ratio_max": 0.25, "peak_rss_mb_max": 4096},
                      "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"},
                     indent=1))


if __name__ == "__main__":
    main()
