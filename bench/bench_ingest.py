"""Benchmark: ingest of one 5-million-row ``werk`` file against DuckDB copying the same CSV to Parquet.

    PYTHONPATH=. .venv/bin/python bench/bench_ingest.py [--rows 5000000] [--persons 500000] [--before REV] [--out FILE]

Both contenders run in fresh subprocesses so their peak memory (max RSS) is measured separately.
The baseline reads the CSV with DuckDB and writes it to Parquet untouched; the ingest is the real
pipeline (parse, validate, pseudonymise, write staging + quarantine + loads). Targets (issue 14,
point 2): ingest <= 3x the baseline's wall time and <= 4 GB peak memory.

The file: without ``--persons`` every row is another person (the first version of this benchmark);
with it, the rows are spread over that many persons, one row per person per month, as a
municipality's ``werk`` extract is. ``--before REV`` also ingests the file with the package as it
was at git revision REV, in the same run. The load average is recorded at start and end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# One werk file of {rows} rows. By default every row is another person (the first version of this
# benchmark); MAKE_CSV_PERSONS has {persons} persons with one row per month each (rows / persons months),
# as a municipality's extract has. The key (bsn, werkgever, periode) stays unique either way.
_WERK_CSV = """
COPY (
  WITH p AS (
    SELECT i, (10000000 + ({person} * 7919) % 89999999) AS base, {month} AS m FROM range(0, {{rows}}) t(i)
  ), d AS (
    SELECT i, m, lpad(CAST(base AS VARCHAR), 8, '0') AS s FROM p
  ), c AS (
    SELECT i, m, s, (9*CAST(s[1] AS INT) + 8*CAST(s[2] AS INT) + 7*CAST(s[3] AS INT) + 6*CAST(s[4] AS INT)
                  + 5*CAST(s[5] AS INT) + 4*CAST(s[6] AS INT) + 3*CAST(s[7] AS INT) + 2*CAST(s[8] AS INT)) % 11 AS chk
    FROM d
  )
  SELECT
    CASE WHEN chk = 10 THEN s || '0' ELSE s || CAST(chk AS VARCHAR) END AS bsn,   -- check 10: invalid row
    strftime(DATE '2019-01-01' + INTERVAL (m) MONTH, '%Y%m') AS periode,
    'LH' || CAST(100000 + (i * 31) % 50000 AS VARCHAR) || 'L01' AS werkgever,
    replace(CAST(round(((i * 13) % 1600) / 10.0, 1) AS VARCHAR), '.', ',') AS uren,
    CASE i % 4 WHEN 0 THEN 'onbepaald' WHEN 1 THEN 'bepaald' WHEN 2 THEN 'oproep' ELSE 'uitzend' END AS contractsoort,
    CAST((i * 17) % 400000 / 100.0 AS VARCHAR) AS sv_loon,
    CAST(4711 + i % 50 AS VARCHAR) AS sbi
  FROM c
) TO '{{path}}' (FORMAT csv, DELIMITER ';', HEADER true)
"""
MAKE_CSV = _WERK_CSV.format(person="i", month="i % 24")
MAKE_CSV_PERSONS = _WERK_CSV.format(person="(i % {persons})", month="i // {persons}")

BASELINE = """
import duckdb, sys
con = duckdb.connect(config={"threads": 2})
con.execute("COPY (SELECT * FROM read_csv(?, delim=';', header=true, all_varchar=true)) TO '" + sys.argv[2] + "' (FORMAT parquet, COMPRESSION zstd)", [sys.argv[1]])
"""

INGEST = """
import sys, logging
logging.basicConfig(level=logging.INFO, stream=sys.stderr)   # the run's "ingest seconds per step" line
from soepel_etl import pipeline
from soepel_etl.settings import Settings
from soepel_etl.identity.pseudonyms import PseudonymKey
s = Settings.resolve(landing=sys.argv[1], warehouse=sys.argv[2], key=PseudonymKey.from_text("bench-" + "k" * 40), environ={})
summary = pipeline.ingest_files(s)
print("\\n".join(summary.lines()), file=sys.stderr)
"""




def emit(result: dict, out: str | os.PathLike | None) -> None:
    """Print a benchmark's JSON result, and write it to ``out`` too when given (bench/results/...)."""
    text = json.dumps(result, indent=1)
    print(text)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text + "\n", encoding="utf-8")


def run_measured(code: str, *args: str, cwd: Path = ROOT, env: dict | None = None) -> dict:
    wrapper = (
        "import resource, runpy, sys, time\n"
        "t = time.perf_counter()\n"
        f"exec(compile({code!r}, 'bench', 'exec'))\n"
        "w = time.perf_counter() - t\n"
        "u = resource.getrusage(resource.RUSAGE_SELF)\n"
        "print('BENCH', w, u.ru_maxrss, u.ru_utime + u.ru_stime, file=sys.stderr)\n"
    )
    # ``cwd``: not the repository root when another package than its own is measured
    # (``python -c`` puts the working directory first on sys.path)
    proc = subprocess.run([sys.executable, "-c", wrapper, *args], capture_output=True, text=True, cwd=cwd, env=env)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    line = [l for l in proc.stderr.splitlines() if l.startswith("BENCH")][-1]
    _, wall, rss_kb, cpu = line.split()
    # CPU seconds (all threads) move less than wall time when other processes share the cores
    return {"wall_s": round(float(wall), 2), "peak_rss_mb": round(int(rss_kb) / 1024),
            "cpu_s": round(float(cpu), 2), "log": proc.stderr}


def _package_at(rev: str, into: Path) -> Path:
    """The repository as it was at ``rev``, to measure its package before and after in one run. The
    whole tree, not only ``soepel_etl/``: older revisions read files beside the package (the GX project
    lived in ``expectations/`` at the root until issue 13)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev],
                             capture_output=True, check=True)
    into.mkdir()
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def _ingest(code_root: Path, landing: Path, warehouse: Path) -> dict:
    out = run_measured(INGEST, str(landing), str(warehouse), cwd=warehouse.parent,
                       env=dict(os.environ, PYTHONPATH=str(code_root)))
    summary = [l for l in out["log"].splitlines() if l.startswith("rows:")]
    steps = [l.split("): ", 1)[1] for l in out["log"].splitlines() if "ingest seconds per step" in l]
    return {"wall_s": out["wall_s"], "peak_rss_mb": out["peak_rss_mb"], "cpu_s": out["cpu_s"],
            "summary": summary[0] if summary else None,
            **({"steps_s": json.loads(steps[-1])} if steps else {})}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--persons", type=int, help="spread the rows over this many persons (default: one each)")
    parser.add_argument("--before", help="git revision whose package is also measured on the same file")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    import duckdb

    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        tmp = Path(tmp)
        landing = tmp / "landing" / "werk"
        landing.mkdir(parents=True)
        csv_path = landing / "werk_GM0363_20210301.csv"
        make = MAKE_CSV_PERSONS if args.persons else MAKE_CSV
        duckdb.connect().execute(make.format(rows=args.rows, path=csv_path, persons=args.persons))
        size_mb = csv_path.stat().st_size / 2**20
        # the baseline runs before and after the ingest; the ratio uses their mean (the load moves)
        bases = [run_measured(BASELINE, str(csv_path), str(tmp / "baseline.parquet"))]
        ingest = _ingest(ROOT, tmp / "landing", tmp / "warehouse")
        bases.append(run_measured(BASELINE, str(csv_path), str(tmp / "baseline.parquet")))
        base = {k: round(sum(b[k] for b in bases) / 2, 2) for k in ("wall_s", "cpu_s")}
        base["peak_rss_mb"] = max(b["peak_rss_mb"] for b in bases)
        base["wall_s_each"] = [b["wall_s"] for b in bases]
        gx = ingest.get("steps_s", {}).get("check_files", 0)
        result = {
            "benchmark": "ingest one werk file",
            "rows": args.rows, "persons": args.persons or args.rows, "csv_mb": round(size_mb),
            "baseline_duckdb_csv_to_parquet": base,
            "ingest": ingest,
            "ratio_wall": round(ingest["wall_s"] / base["wall_s"], 2),
            "ratio_cpu": round(ingest["cpu_s"] / base["cpu_s"], 2),
            # the quality layer's file check (GX import, context, two suites) is issue 14 point 3's
            "ratio_wall_without_gx_file_check": round((ingest["wall_s"] - gx) / base["wall_s"], 2),
            "targets": {"ratio_wall_max": 3.0, "peak_rss_mb_max": 4096},
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        }
        result["met"] = result["ratio_wall"] <= 3.0 and ingest["peak_rss_mb"] <= 4096
        if args.before:
            before = _ingest(_package_at(args.before, tmp / "before"), tmp / "landing", tmp / "warehouse_before")
            result["before"] = {"revision": args.before, **before,
                                "ratio_wall": round(before["wall_s"] / base["wall_s"], 2),
                                "ratio_cpu": round(before["cpu_s"] / base["cpu_s"], 2)}
        result["load_average_start"] = [round(x, 2) for x in load_start]
        result["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
        result["date"] = time.strftime("%Y-%m-%d")
        emit(result, args.out)


if __name__ == "__main__":
    main()
