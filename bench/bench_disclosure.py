"""Benchmark: what disclosure control costs the publiek report, before and after issue 17, per pilot and
per RMC region, on the demo landing zone (5 000 persons) and on a 200 000-person one.

    .venv/bin/python bench/bench_disclosure.py --workdir DIR [--old-ref REF] [--sizes 5000 200000]

DIR keeps the generated landing zones and warehouses (generating and loading 200 000 persons takes
several minutes; reruns reuse them). The *before* is the disclosure module as it was at ``--old-ref``
(read from git and imported under another name), applied to the same tables in the same run; it
reads per-outflow month statuses that the report has not held since session 7, so ``--keep-before``
keeps the *before* rows of the existing results file instead (marked ``from_earlier_run``).

Per selection and method: count cells published (shown as a number), primary suppressed (1–9, and
for the old rule also 0), secondary suppressed, withheld (cells of tables left out), persons hidden
(sum of the suppressed cells, a person counted in every cell he is in), the share of cells with 10
or more persons that is suppressed secondarily (target ≤ 10 %), and the solve time. Then the time of
``write_report`` for a publiek report of the largest region of the biggest warehouse (target ≤ 60 s).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from soepel_etl import pipeline  # noqa: E402
from soepel_etl.report import disclosure, write_report  # noqa: E402
from soepel_etl.report.build import build_report  # noqa: E402
from soepel_etl.report.inputs import Selection, read_inputs  # noqa: E402
from soepel_etl.settings import Settings  # noqa: E402
from soepel_etl.synthetic import generate  # noqa: E402

KEY = "bench-key-" + "0123456789abcdef" * 3
OLD_REF = "8574d8c"   # the last commit before issue 17
# the old method takes minutes on large selections: measured for the three pilots the issue names
BEFORE = {"pilot RIJ", "pilot IJV", "pilot AMS"}


def old_disclosure(ref: str):
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{ref}:soepel_etl/report/disclosure.py"],
                            check=True, capture_output=True, text=True).stdout
    path = Path(os.environ.get("TMPDIR", "/tmp")) / "soepel_old_disclosure.py"
    # the old module imports its siblings relatively: load it as a member of the report package
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("soepel_etl.report._old_disclosure", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def warehouse(workdir: Path, persons: int) -> Path:
    landing, wh = workdir / f"landing-{persons}", workdir / f"wh-{persons}"
    if not (wh / "marts").exists():
        if not landing.exists():
            generate(landing, persons=persons) if persons != 5000 else generate(landing)
        os.environ.setdefault("SOEPEL_PSEUDONYM_KEY", KEY)
        pipeline.run(Settings.resolve(landing=landing, warehouse=wh))
    return wh


def selections(wh: Path) -> list[tuple[str, Selection]]:
    import duckdb
    src = f"read_parquet('{wh}/marts/outflow_outcomes/**/*.parquet', hive_partitioning=true)"
    con = duckdb.connect()
    pilots = [r[0] for r in con.sql(f"SELECT DISTINCT pilot_code FROM {src} WHERE pilot_code IS NOT NULL "
                                     "AND pilot_code <> '-' ORDER BY 1").fetchall()]   # '-': no pilot
    regions = [r[0] for r in con.sql(f"SELECT rmc_region_code FROM {src} GROUP BY 1 ORDER BY count(*) DESC, 1")
               .fetchall()]
    con.close()
    return [(f"pilot {p}", Selection(pilot=p)) for p in pilots] + [(f"regio {r}", Selection(rmc_region=r))
                                                                  for r in regions]


def measure(report, seconds: float) -> dict:
    cells = [c for t in report.tables() if t.family for c in t.cells() if c.key is not None]
    withheld = report.disclosure.get("withheld", [])
    published = sum(not c.suppressed for c in cells)
    primary = sum(c.suppressed and c.value < 10 for c in cells)
    secondary = sum(c.suppressed and c.value >= 10 for c in cells)
    big = sum(c.value >= 10 for c in cells)
    return {"cells": len(cells), "published": published, "primary": primary, "secondary": secondary,
            "withheld_rows_or_tables": len(withheld), "withheld_cells": 0,
            "persons_hidden": int(sum(c.value for c in cells if c.suppressed)),
            "secondary_share_of_10plus": round(secondary / big, 4) if big else 0.0,
            "seconds": round(seconds, 2)}


def run_method(inputs, method: str, old) -> dict:
    if method == "before":
        report = build_report(inputs, "intern")
        start = time.perf_counter()
        old.apply(report)
        return measure(report, time.perf_counter() - start)
    pool = 2 if method == "after, pooled 2" else None
    start = time.perf_counter()
    report = build_report(inputs, "publiek", pool=pool)
    elapsed = time.perf_counter() - start
    result = measure(report, sum(f.seconds for f in report.disclosure["families"])
                     + report.disclosure.get("withheld_seconds", 0.0))
    result["build_seconds"] = round(elapsed, 2)
    # cells of withheld rows and tables are not published: the exact report has them
    if report.disclosure.get("withheld"):
        exact = build_report(inputs, "intern", pool=None) if pool is None else None
        if exact is None:
            exact = build_report(inputs, "publiek", pool=pool, secondary=False)
        result["withheld_cells"] = sum(1 for t in exact.tables() if t.family for c in t.cells()
                                       if c.key is not None) - result["cells"]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--old-ref", default=OLD_REF)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 200000])
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "disclosure.json"))
    parser.add_argument("--keep-before", action="store_true",
                        help="take the 'before' rows from the existing --out file instead of running the old "
                             "module: since the report reads families from DuckDB (session 7) it no longer "
                             "holds the per-outflow month statuses the old module reads")
    args = parser.parse_args()
    os.environ.setdefault("SOEPEL_PSEUDONYM_KEY", KEY)
    old = None if args.keep_before else old_disclosure(args.old_ref)
    earlier = []
    if args.keep_before and Path(args.out).exists():
        earlier = [{**r, "from_earlier_run": True} for r in json.loads(Path(args.out).read_text())["runs"]
                   if r["method"] == "before"]
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    results = {"machine": {"platform": platform.platform(), "python": platform.python_version(),
                           "cpus": os.cpu_count(), "load_average_at_start": os.getloadavg()},
               "old_ref": args.old_ref, "runs": []}
    # every measurement is appended to <out>.jsonl as it is taken; a rerun skips what is there
    progress = Path(args.out).with_suffix(".jsonl")
    done = [json.loads(line) for line in progress.read_text().splitlines()] if progress.exists() else []
    results["runs"] = earlier + done
    have = {(r["persons"], r["selection"], r["method"]) for r in results["runs"]}
    for persons in args.sizes:
        wh = warehouse(workdir, persons)
        for label, sel in selections(wh):
            methods = ("after", "after, pooled 2")
            if label in BEFORE and old is not None:
                methods = ("before", *methods)
            if all((persons, label, m) in have for m in methods):
                continue
            inputs = read_inputs(wh, sel)
            for method in methods:
                if (persons, label, method) in have:
                    continue
                row = {"persons": persons, "selection": label, "method": method, **run_method(inputs, method, old)}
                results["runs"].append(row)
                with progress.open("a") as f:
                    f.write(json.dumps(row) + "\n")
                print(json.dumps(row), flush=True)
    biggest = max(args.sizes)
    wh = warehouse(workdir, biggest)
    region = next(sel.rmc_region for _, sel in selections(wh) if sel.rmc_region)   # ordered by size
    start = time.perf_counter()
    write_report(wh, workdir / "reports", "publiek", rmc_region=region)
    results["largest_region_report"] = {"persons": biggest, "region": region,
                                        "seconds": round(time.perf_counter() - start, 2), "target_seconds": 60}
    print(json.dumps(results["largest_region_report"]), flush=True)
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
