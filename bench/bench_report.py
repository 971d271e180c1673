"""Benchmark: the report at national scale, against DuckDB reading the marts the report reads, in the same run.

    .venv/bin/python bench/bench_report.py --warehouse DIR [--region CODE] [--out FILE] [--json FILE]

Three fresh subprocesses, one after the other, each with its wall time, CPU time (user + system,
all threads: less sensitive to other load than wall time) and peak RSS (max RSS of the process): the baseline (DuckDB reads every column of every mart the report reads, one aggregate per
mart: the floor for any report that looks at all of its input), ``write_report`` intern for all pilots,
and ``write_report`` publiek for one RMC region (default: the region with the most outflows). The
report's own steps are timed inside the same process by wrapping the functions ``write_report``
calls (read the inputs, build the tables with disclosure control, render the HTML, write the
workbook); the disclosure solve time per family comes from the report itself. The reports are
written to ``--out`` (a temporary folder by default), never into the warehouse.

The load average (``os.getloadavg()``) is recorded at the start and the end: other processes share
the machine, so the ratio to the same-run baseline says more than the seconds. Targets (issue 14,
point 5): each report at most 60 s and at most 2 GB peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S, TARGET_MB = 60, 2048

BASELINE = """
import duckdb, json, sys
from pathlib import Path
from soepel_etl.report.inputs import READS
con = duckdb.connect()
rows = {}
for rel in READS:
    glob = str(Path(sys.argv[1]) / rel / "**" / "*.parquet")
    # count(COLUMNS(*)): every column is read and decoded, as a report that looks at all its input would
    rows[rel] = con.execute(f"SELECT count(*), count(COLUMNS(*)) FROM read_parquet('{glob}', hive_partitioning=true)"
                            ).fetchall()[0][0]
print("RESULT " + json.dumps(rows))
"""

REPORT = """
import json, sys, time
from pathlib import Path
import soepel_etl.report as rep
steps, seen = {}, {}

def timed(name, fn):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            out = fn(*args, **kwargs)
        finally:
            steps[name] = round(steps.get(name, 0.0) + time.perf_counter() - start, 2)
        if name == "tables and disclosure control":
            seen["report"] = out
        return out
    return wrapper

rep.read_inputs = timed("read inputs (DuckDB: select, join, write the families)", rep.read_inputs)
rep.build_report = timed("tables and disclosure control", rep.build_report)
rep.render = timed("HTML with charts", rep.render)
rep.write_workbook = timed("workbook", rep.write_workbook)
audience, region = sys.argv[3], sys.argv[4] or None
paths = rep.write_report(Path(sys.argv[1]), Path(sys.argv[2]), audience, rmc_region=region)
report = seen["report"]
families = [{"family": f.name, "cells": f.cells, "primary": f.primary, "secondary": f.secondary,
             "solve_s": round(f.seconds, 2)} for f in report.disclosure.get("families", [])]
print("RESULT " + json.dumps({"steps": steps, "disclosure": families,
                              "html_kb": round(paths["html"].stat().st_size / 1024),
                              "xlsx_kb": round(paths["xlsx"].stat().st_size / 1024)}))
"""


def run(code: str, *args: str) -> dict:
    """A fresh Python process: wall time from its start to its end (imports included), its peak RSS and
    what it printed after ``RESULT``."""
    wrapper = ("import resource, sys\n"
               f"exec(compile({code!r}, 'bench', 'exec'))\n"
               "u = resource.getrusage(resource.RUSAGE_SELF)\n"
               "print('PEAK', u.ru_maxrss, u.ru_utime + u.ru_stime, file=sys.stderr)\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", wrapper, *args], capture_output=True, text=True, cwd=ROOT, env=env)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    _, peak_kb, cpu = [l for l in proc.stderr.splitlines() if l.startswith("PEAK")][-1].split()
    result = json.loads([l for l in proc.stdout.splitlines() if l.startswith("RESULT ")][-1][len("RESULT "):])
    return {"wall_s": round(wall, 1), "cpu_s": round(float(cpu), 1), "peak_rss_mb": round(int(peak_kb) / 1024),
            "detail": result}


def largest_region(warehouse: Path) -> tuple[str, int]:
    import duckdb
    src = f"read_parquet('{warehouse}/marts/outflow_outcomes/**/*.parquet', hive_partitioning=true)"
    return tuple(duckdb.connect().execute(
        f"SELECT rmc_region_code, count(*) FROM {src} WHERE rmc_region_code <> '-' GROUP BY 1 "
        "ORDER BY 2 DESC, 1 LIMIT 1").fetchall()[0])


def scale(warehouse: Path) -> dict:
    import duckdb
    con = duckdb.connect()
    out = {}
    for rel in ("core/persons", "marts/outflow_outcomes", "marts/risk_monitor", "marts/participants"):
        out[rel] = con.execute(f"SELECT count(*) FROM read_parquet('{warehouse}/{rel}/**/*.parquet', "
                               "hive_partitioning=true)").fetchall()[0][0]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--region", help="RMC region of the publiek report (default: the one with most outflows)")
    parser.add_argument("--out", type=Path, help="folder for the reports (default: a temporary folder)")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "report_national.json")
    args = parser.parse_args()
    warehouse = args.warehouse.resolve()
    result: dict = {
        "benchmark": "report at national scale: intern (all pilots) and publiek (one RMC region)",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
                   f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GB",
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
        "warehouse_rows": scale(warehouse),
    }
    region, outflows = (args.region, None) if args.region else largest_region(warehouse)
    result["publiek_region"] = {"code": region, "outflows": outflows}
    with tempfile.TemporaryDirectory(prefix="bench_report_") as tmp:
        out = args.out or Path(tmp)
        baseline = run(BASELINE, str(warehouse))
        intern = run(REPORT, str(warehouse), str(out), "intern", "")
        publiek = run(REPORT, str(warehouse), str(out), "publiek", region)
    result["baseline_duckdb_reads_the_marts"] = {k: baseline[k] for k in ("wall_s", "cpu_s", "peak_rss_mb")} | {
        "rows": baseline["detail"]}
    for name, r in (("intern_all_pilots", intern), ("publiek_one_region", publiek)):
        result[name] = {k: r[k] for k in ("wall_s", "cpu_s", "peak_rss_mb")} | {
            "ratio_to_baseline": round(r["wall_s"] / baseline["wall_s"], 1), **r["detail"]}
    result["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    result["targets"] = {"wall_s_max": TARGET_S, "peak_rss_mb_max": TARGET_MB}
    result["met"] = {name: result[name]["wall_s"] <= TARGET_S and result[name]["peak_rss_mb"] <= TARGET_MB
                     for name in ("intern_all_pilots", "publiek_one_region")}
    text = json.dumps(result, indent=1, default=str)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
