"""Benchmark: the quality layer's share of ingesting one big ``werk`` file, cold and warm process.

    .venv/bin/python bench/bench_validation.py [--rows 1000000 10000000] [--out FILE]

For each size, the same generated CSV (bench_ingest.py's generator) is ingested three times in fresh
subprocesses: once with the file profiles and the quality run's file check and publishing replaced
by no-ops (the baseline: ingest without validation), once with validation as the pipeline runs it in
a *cold* process (GX imported and its context built during the run), and once in a *warm* process
(one that already ran an ingest of a small ``werk`` file, as a long-lived worker, ``airflow dags
test`` or a test session has: GX imported, its context built once per process,
soepel_etl/quality/context.py). Reported: wall time and peak memory of each, the time spent in the
quality layer (DuckDB reductions + GX validation + Data Docs), and validation / (ingest without
validation), cold and warm.
Target (issue 14, point 3): at most 25% at 1M and at 10M rows, peak memory within the ingest target
(4 GB). Only ingest is measured (``pipeline.ingest_files``), not the build.
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
key = PseudonymKey.from_text("bench-" + "k" * 40)
if len(sys.argv) > 4:     # warm: this process ran an ingest before (untimed)
    pipeline.ingest_files(Settings.resolve(landing=sys.argv[4], warehouse=sys.argv[2] + "-warmup", key=key, environ={}))
    spent[0] = 0.0
t0 = time.perf_counter()
s = Settings.resolve(landing=sys.argv[1], warehouse=sys.argv[2], key=key, environ={})
summary = pipeline.ingest_files(s)
print("INGEST", time.perf_counter() - t0, file=sys.stderr)
print("\\n".join(summary.lines()), file=sys.stderr)
print("QUALITY", spent[0], file=sys.stderr)
"""


def _figure(log: str, tag: str) -> float:
    return float([line for line in log.splitlines() if line.startswith(tag)][-1].split()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--out", type=Path, default=None, help="write the JSON here too")
    args = parser.parse_args()
    import duckdb

    load_start = [round(x, 2) for x in os.getloadavg()]
    results = []
    for rows in args.rows:
        with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
            tmp = Path(tmp)
            landing = tmp / "landing" / "werk"
            landing.mkdir(parents=True)
            csv_path = landing / "werk_GM0363_20210301.csv"
            duckdb.connect().execute(MAKE_CSV.format(rows=rows, path=csv_path))
            small = tmp / "small" / "werk"
            small.mkdir(parents=True)
            duckdb.connect().execute(MAKE_CSV.format(rows=1000, path=small / "werk_GM0363_20210201.csv"))
            off = run_measured(INGEST, str(tmp / "landing"), str(tmp / "wh_off"), "off")
            cold = run_measured(INGEST, str(tmp / "landing"), str(tmp / "wh_cold"), "on")
            warm = run_measured(INGEST, str(tmp / "landing"), str(tmp / "wh_warm"), "on", str(tmp / "small"))
            base = _figure(off["log"], "INGEST")
            r = {"rows": rows, "ingest_without_validation": {"wall_s": round(base, 2), "peak_rss_mb": off["peak_rss_mb"]}}
            for name, m in (("cold", cold), ("warm", warm)):
                quality_s = _figure(m["log"], "QUALITY")
                r[name] = {"ingest_wall_s": round(_figure(m["log"], "INGEST"), 2), "peak_rss_mb": m["peak_rss_mb"],
                           "validation_s": round(quality_s, 2),
                           "ratio_validation_to_ingest": round(quality_s / base, 3)}
                r[name]["met"] = r[name]["ratio_validation_to_ingest"] <= 0.25 and m["peak_rss_mb"] <= 4096
            results.append(r)
            print(json.dumps(r), flush=True)
    out = {"benchmark": "quality layer vs ingest of one werk file (cold and warm process)", "results": results,
           "targets": {"ratio_max": 0.25, "peak_rss_mb_max": 4096},
           "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
           "load_average_start": load_start, "load_average_end": [round(x, 2) for x in os.getloadavg()]}
    text = json.dumps(out, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
