"""Benchmark: build of core tables and marts from staging at national scale, against copying the
finished ``core/person_month`` table (the floor: writing the output once), in the same run.

    .venv/bin/python bench/bench_build.py [--persons 2500000] [--workdir DIR] [--keep] [--before REV]

1.4 M persons give 97.7 M person-months (the issue's "national scale" in rows), 2.5 M give 174.5 M.
Generating takes ~2-3 min and ingest ~9-11 min at those scales; --workdir keeps them for reruns.

Steps: generate a synthetic landing zone, ingest it (not timed as part of the build), then run the
build in a fresh subprocess (wall time, peak RSS, seconds per table from the build log), then copy
core/person_month Parquet → Parquet with DuckDB in another fresh subprocess. Targets (issue 3):
build <= 60 s, peak memory <= 4 GB, build <= 4x the copy.

``--before REV`` first builds the same staging with the package as it was at REV (``git archive``,
run from a folder of its own so ``python -c`` does not import the checkout), then with this
checkout, and compares the row counts of every table both builds write (issue 13: same row counts
at no worse time). The current build runs last, so the warehouse ends with its tables.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import _package_at, run_measured  # noqa: E402

KEY = "bench-key-" + "0123456789abcdef" * 3

INGEST = """
import sys
from soepel_etl import pipeline
from soepel_etl.settings import Settings
s = Settings.resolve(landing=sys.argv[1], warehouse=sys.argv[2])
print("\\n".join(pipeline.ingest_files(s).lines()), file=sys.stderr)
"""

BUILD = """
import sys, json, time
from soepel_etl import pipeline
from soepel_etl.settings import Settings
s = Settings.resolve(landing=sys.argv[1], warehouse=sys.argv[2])
summary = pipeline.build_only(s, force=True)
print("BUILDJSON " + json.dumps({"seconds": summary.build.seconds, "rows": summary.build.rows}), file=sys.stderr)
"""

COPY = """
import duckdb, sys
con = duckdb.connect(config={"threads": 2})
con.execute(f"COPY (SELECT * FROM read_parquet('{sys.argv[1]}/*.parquet')) TO '{sys.argv[2]}' (FORMAT parquet, COMPRESSION zstd)")
"""


def measured(code: str, *args: str, code_root: Path | None = None) -> dict:
    """bench_ingest.run_measured (fresh subprocess, wall time, max RSS) plus the build's own figures and
    the child's CPU time (user + system): on a shared machine wall time grows with the load, CPU time
    far less, so both are kept."""
    os.environ["SOEPEL_PSEUDONYM_KEY"] = KEY
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    if code_root is None:
        result = run_measured(code, *args)
    else:   # another revision's package: from its folder, so the checkout is not on sys.path first
        result = run_measured(code, *args, cwd=code_root, env=dict(os.environ, PYTHONPATH=str(code_root)))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result["cpu_s"] = round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1)
    result["load_average"] = round(os.getloadavg()[0], 1)
    lines = result["log"].splitlines()
    extra = [json.loads(l[len("BUILDJSON "):]) for l in lines if l.startswith("BUILDJSON ")]
    result["wall_s"] = round(result["wall_s"], 1)
    result["detail"] = extra[0] if extra else None
    result["log"] = [l for l in lines if l.startswith(("files:", "rows:", "quality:"))]
    return result


def _inputs_only(warehouse: Path, into: Path) -> Path:
    """A warehouse holding only what a build reads (staging, hard-linked, and the load records), for
    REV to build as if for the first time. In the real one REV's build would be judged against today's
    last build (the regression checks; REV's rules differ in places, issue 18) and compare every final
    figure with it, and the current build after it would be judged against REV's."""
    into.mkdir()
    shutil.copy2(warehouse / ".soepel-warehouse", into / ".soepel-warehouse")
    shutil.copytree(warehouse / "staging", into / "staging", copy_function=os.link)
    (into / "_meta").mkdir()
    shutil.copytree(warehouse / "_meta" / "loads", into / "_meta" / "loads")
    return into


def prepare(landing: Path, warehouse: Path, persons: int, result: dict, measure) -> None:
    """Generate the landing zone and ingest it, unless a reused workdir has them (timed into result)."""
    if not landing.exists():
        t = time.perf_counter()
        from soepel_etl.synthetic import generate
        generate(landing, persons=persons, seed=2024)
        result["generate_s"] = round(time.perf_counter() - t, 1)
    if not (warehouse / "staging").exists():
        ingest = measure(INGEST, str(landing), str(warehouse))
        result["ingest"] = {k: ingest[k] for k in ("wall_s", "peak_rss_mb")} | {"summary": ingest.get("log")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=2_500_000)
    parser.add_argument("--workdir", help="reuse a folder: an existing landing/ and warehouse/ are kept")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--before", help="git revision whose package also builds the same staging (first)")
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench_build_"))
    landing, warehouse = work / "landing", work / "warehouse"
    result: dict = {"benchmark": "build core + marts", "persons": args.persons,
                    "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"}
    try:
        prepare(landing, warehouse, args.persons, result, measured)
        if args.before:
            with tempfile.TemporaryDirectory(prefix="bench_build_before_", dir=work) as tmp:
                old = measured(BUILD, str(landing), str(_inputs_only(warehouse, Path(tmp) / "warehouse")),
                               code_root=_package_at(args.before, Path(tmp) / "pkg"))
            result["before"] = {"revision": args.before, "wall_s": old["wall_s"], "cpu_s": old["cpu_s"],
                                "peak_rss_mb": old["peak_rss_mb"], "load_average_after": old["load_average"],
                                "seconds_per_table": old["detail"]["seconds"], "rows": old["detail"]["rows"]}
        build = measured(BUILD, str(landing), str(warehouse))
        copy = measured(COPY, str(warehouse / "core" / "person_month"), str(work / "person_month_copy.parquet"))
        result["build"] = {"wall_s": build["wall_s"], "cpu_s": build["cpu_s"], "peak_rss_mb": build["peak_rss_mb"],
                           "load_average_after": build["load_average"],
                           "seconds_per_table": build["detail"]["seconds"], "rows": build["detail"]["rows"]}
        result["copy_person_month"] = {k: copy[k] for k in ("wall_s", "cpu_s", "peak_rss_mb", "load_average")}
        result["ratio_build_to_copy"] = round(build["wall_s"] / copy["wall_s"], 2)
        result["ratio_build_to_copy_cpu"] = round(build["cpu_s"] / copy["cpu_s"], 2)
        if args.before:
            before, now = result["before"]["rows"], result["build"]["rows"]
            shared = sorted(set(before) & set(now))
            result["before"]["rows_equal_on_shared_tables"] = all(before[t] == now[t] for t in shared)
            result["before"]["tables_only_now"] = sorted(set(now) - set(before))
            result["before"]["tables_only_before"] = sorted(set(before) - set(now))
            seconds = lambda r: round(sum(v for t, v in r["seconds_per_table"].items() if t in shared), 1)  # noqa: E731
            result["before"]["seconds_on_shared_tables"] = {"before": seconds(result["before"]),
                                                            "now": seconds(result["build"])}
        result["targets"] = {"build_s_max": 60, "peak_rss_mb_max": 4096, "ratio_max": 4}
        result["met"] = (build["wall_s"] <= 60 and build["peak_rss_mb"] <= 4096 and result["ratio_build_to_copy"] <= 4)
        print(json.dumps(result, indent=1))
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
