"""Benchmark: the scale curve — ingest, build and report at several scales, time and peak memory per stage.

    .venv/bin/python bench/bench_scale.py [--scales 250000,1000000,2500000] [--workdir DIR] [--keep]

For each scale (persons the synthetic generator is asked for; core/persons holds the ones the
deliveries name: all of them at small scales, 1.4 M of 2.5 M, the national scale) the stages run one after another, each in a fresh subprocess so its peak
memory (max RSS) is its own:

  generate   the synthetic landing zone (not a pipeline stage; shown for planning)
  ingest     pipeline.ingest_files: landing → staging (with the quality run of the files)
  build      pipeline.build_only: staging → core → marts (with the build's quality run)
  intern     the intern report for all pilots
  publiek    the publiek report for the largest RMC region

The table at the end gives seconds and MB per stage and, per stage, the seconds per million
person-months relative to the smallest scale: 1.0 everywhere is linear growth, above 1 grows
faster than the data. ``--workdir`` keeps each scale's landing zone and warehouse for a rerun;
a stage whose output is already there is measured again only with ``--again``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import KEY  # noqa: E402
from bench_ingest import emit, run_measured  # noqa: E402

GENERATE = """
import sys
from soepel_etl.synthetic import generate
generate(__import__('pathlib').Path(sys.argv[1]), persons=int(sys.argv[2]), seed=2024)
"""

INGEST = """
import sys
from soepel_etl import pipeline
from soepel_etl.settings import Settings
s = Settings.resolve(landing=sys.argv[1], warehouse=sys.argv[2])
print("\\n".join(pipeline.ingest_files(s).lines()), file=sys.stderr)
"""

BUILD = """
import sys
from soepel_etl import pipeline
from soepel_etl.settings import Settings
s = Settings.resolve(landing=sys.argv[1], warehouse=sys.argv[2])
pipeline.build_only(s, force=True)
"""

REPORT = """
import sys
from pathlib import Path
from soepel_etl import pipeline
selection = {"audience": sys.argv[3]}
if sys.argv[4] != "-":
    selection["rmc_region"] = sys.argv[4]
pipeline.write_report(Path(sys.argv[1]), Path(sys.argv[2]), **selection)
"""

STAGES = ("generate", "ingest", "build", "intern", "publiek")


def _sizes(warehouse: Path) -> dict:
    import duckdb
    con = duckdb.connect()
    persons = con.execute(f"SELECT count(*) FROM read_parquet('{warehouse}/core/persons/*.parquet')").fetchone()[0]
    months = con.execute(f"SELECT count(*) FROM read_parquet('{warehouse}/core/person_month/*.parquet')").fetchone()[0]
    region = con.execute(
        f"SELECT rmc_region_code FROM read_parquet('{warehouse}/marts/outflow_outcomes/*.parquet') "
        f"WHERE rmc_region_code <> '-' GROUP BY ALL ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0]
    return {"core_persons": persons, "person_months": months, "publiek_region": region}


def run_scale(work: Path, persons: int, again: bool) -> dict:
    os.environ["SOEPEL_PSEUDONYM_KEY"] = KEY
    landing, warehouse, reports = work / "landing", work / "warehouse", work / "reports"
    figures: dict = {}

    def stage(name: str, code: str, *args: str) -> None:
        m = run_measured(code, *args)
        figures[name] = {"wall_s": round(m["wall_s"], 1), "peak_rss_mb": m["peak_rss_mb"]}
        print(f"  {persons:>9} {name:<8} {figures[name]['wall_s']:>8} s {figures[name]['peak_rss_mb']:>7} MB",
              file=sys.stderr, flush=True)

    if again or not landing.exists():
        shutil.rmtree(landing, ignore_errors=True)
        stage("generate", GENERATE, str(landing), str(persons))
    if again or not (warehouse / "staging").exists():
        shutil.rmtree(warehouse, ignore_errors=True)
        stage("ingest", INGEST, str(landing), str(warehouse))
    stage("build", BUILD, str(landing), str(warehouse))
    sizes = _sizes(warehouse)
    shutil.rmtree(reports, ignore_errors=True)
    stage("intern", REPORT, str(warehouse), str(reports / "intern"), "intern", "-")
    stage("publiek", REPORT, str(warehouse), str(reports / "publiek"), "publiek", sizes["publiek_region"])
    return {"persons": persons, **sizes, "stages": figures}


def _table(results: list[dict]) -> str:
    base = results[0]
    lines = ["| persons | core persons | person-months | " + " | ".join(STAGES) + " |",
             "|---:|---:|---:|" + "---:|" * len(STAGES)]
    for r in results:
        cells = []
        for s in STAGES:
            f = r["stages"].get(s)
            if f is None:
                cells.append("(kept)")
                continue
            cell = f"{f['wall_s']} s, {f['peak_rss_mb']} MB"
            b = base["stages"].get(s)
            if b and r is not base and b["wall_s"] > 0:
                per = (f["wall_s"] / r["person_months"]) / (b["wall_s"] / base["person_months"])
                cell += f" (×{per:.2f})"
            cells.append(cell)
        lines.append(f"| {r['persons']:,} | {r['core_persons']:,} | {r['person_months']:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", default="250000,1000000,2500000")
    parser.add_argument("--workdir", help="keep each scale's landing zone and warehouse here (reused on a rerun)")
    parser.add_argument("--again", action="store_true", help="regenerate and re-ingest even when kept")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--out", help="write the JSON result here too")
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench_scale_"))
    result: dict = {"benchmark": "scale curve: ingest, build, report",
                    "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                    "load_average_start": [round(x, 1) for x in os.getloadavg()], "scales": []}
    started = time.perf_counter()
    try:
        for persons in (int(s) for s in args.scales.split(",")):
            result["scales"].append(run_scale(work / str(persons), persons, args.again))
            if not args.keep and not args.workdir:
                shutil.rmtree(work / str(persons), ignore_errors=True)
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    result["load_average_end"] = [round(x, 1) for x in os.getloadavg()]
    result["total_s"] = round(time.perf_counter() - started, 1)
    result["table"] = _table(result["scales"])
    emit(result, args.out)
    print("\n" + result["table"], file=sys.stderr)


if __name__ == "__main__":
    main()
