"""Write the reports of a warehouse for every selection, with whichever ``soepel_etl`` is importable, so
that two versions of the package can be compared file by file (the report's numbers must not move when
it is made faster; equal warehouse, equal bytes).

    PYTHONPATH=<checkout> python bench/write_reports.py --warehouse DIR --out DIR [--publiek-regions N]
    cmp -s old/x.html new/x.html        # or: python bench/write_reports.py --compare OLD NEW

Selections: intern for all pilots, per pilot and per RMC region (largest first); publiek for all pilots,
per pilot, per region and all pilots pooled by 2 cohorts. ``--publiek-regions N`` and ``--intern-regions N`` limit
the regions to the N largest (a publiek report per region costs a solve; at 200 000 persons there are 40
regions).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import sys
import time
from pathlib import Path


def selections(warehouse: Path) -> tuple[list[str], list[str]]:
    import duckdb
    src = f"read_parquet('{warehouse}/marts/outflow_outcomes/**/*.parquet', hive_partitioning=true)"
    con = duckdb.connect()
    try:
        pilots = [r[0] for r in con.sql(f"SELECT DISTINCT pilot_code FROM {src} WHERE pilot_code IS NOT NULL "
                                         "AND pilot_code <> '-' ORDER BY 1").fetchall()]
        regions = [r[0] for r in con.sql(f"SELECT rmc_region_code FROM {src} WHERE rmc_region_code <> '-' "
                                          "GROUP BY 1 ORDER BY count(*) DESC, 1").fetchall()]
    finally:
        con.close()
    return pilots, regions


def write_all(warehouse: Path, out: Path, publiek_regions: int | None, intern_regions: int | None = None) -> dict:
    from soepel_etl.report import write_report
    pilots, regions = selections(warehouse)
    jobs = [("intern", None, None, None)]
    jobs += [("intern", None, p, None) for p in pilots] + [("intern", r, None, None) for r in regions[:intern_regions]]
    jobs += [("publiek", None, None, None), ("publiek", None, None, 2)]
    jobs += [("publiek", None, p, None) for p in pilots]
    jobs += [("publiek", r, None, None) for r in regions[:publiek_regions]]
    seconds = {}
    for audience, region, pilot, pool in jobs:
        start = time.perf_counter()
        paths = write_report(warehouse, out, audience, rmc_region=region, pilot=pilot, pool_cohorts=pool)
        seconds[paths["html"].stem] = round(time.perf_counter() - start, 2)
    return seconds


def compare(old: Path, new: Path) -> dict:
    names = sorted(p.name for p in old.iterdir() if p.suffix in (".html", ".xlsx"))
    missing = [n for n in names if not (new / n).exists()]
    differ = [n for n in names if n not in missing and not filecmp.cmp(old / n, new / n, shallow=False)]
    return {"files": len(names), "identical": len(names) - len(missing) - len(differ), "missing": missing,
            "differ": differ}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--publiek-regions", type=int)
    parser.add_argument("--intern-regions", type=int)
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("OLD", "NEW"))
    args = parser.parse_args()
    if args.compare:
        result = compare(*args.compare)
        print(json.dumps(result, indent=1))
        sys.exit(0 if not result["missing"] and not result["differ"] else 1)
    print(json.dumps(write_all(args.warehouse, args.out, args.publiek_regions, args.intern_regions), indent=1))


if __name__ == "__main__":
    main()
