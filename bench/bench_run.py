"""Benchmark: ``soepel-etl run`` on the demo landing zone against DuckDB's own CSV→Parquet of its files.

    PYTHONPATH=. .venv/bin/python bench/bench_run.py [--persons 5000] [--landing DIR] [--out FILE] [--before REV]

The landing zone is generated (``soepel-etl generate``, the demo's defaults) unless ``--landing``
is given. Both contenders run as fresh processes, timed from outside (interpreter start and
imports included, as a person running the command sees it):

* baseline: one DuckDB connection copying every ``.csv`` of the landing zone to Parquet, all
  columns as text, DuckDB's dialect sniffing, bad lines skipped (``ignore_errors``); files DuckDB
  cannot read at all are counted, not copied. The ``.xlsx`` files are not in the baseline (DuckDB
  reads them only with an extension that must be downloaded), which makes the ratio stricter.
* run: ``soepel-etl run`` (``cli.main``) with timers around its stages, and the ingest's own
  seconds per step (``IngestResult.seconds``) and the build's per model.

``--before REV`` also runs the package as it was at git revision REV (``git archive``) on the same
landing zone in the same run, for a before/after at the same load.

Targets (issue 14, point 1): at most 15 s and at most 8x the baseline. Prints JSON; with ``--out``
also writes it there. The load average is recorded at start and end: the machine is shared.
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
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import _package_at, emit  # noqa: E402

BASELINE = r"""
import duckdb, pathlib, sys
landing, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
con = duckdb.connect(config={"threads": 2})
copied = failed = 0
for i, path in enumerate(sorted(landing.rglob("*.csv"))):
    try:
        con.execute(f"COPY (SELECT * FROM read_csv(?, all_varchar=true, ignore_errors=true)) "
                    f"TO '{out / f'{i}.parquet'}' (FORMAT parquet, COMPRESSION zstd)", [str(path)])
        copied += 1
    except duckdb.Error:
        failed += 1
print("BASELINE", copied, failed, file=sys.stderr)
"""

RUN = r"""
import json, sys, time
started = time.perf_counter()
from soepel_etl import cli, pipeline, quality
from soepel_etl.quality import runner
from soepel_etl.warehouse.transaction import Transaction
spent = {"import": time.perf_counter() - started}
captured = {}

def timed(owner, name, label, keep=None):
    real = getattr(owner, name)
    def wrapper(*a, **k):
        t = time.perf_counter()
        try:
            out = real(*a, **k)
            if keep:
                captured[label] = keep(out)
            return out
        finally:
            spent[label] = spent.get(label, 0.0) + time.perf_counter() - t
    setattr(owner, name, wrapper)

timed(quality, "open_run", "quality_open")
timed(pipeline, "ingest", "ingest", keep=lambda r: getattr(r, "seconds", None))
timed(pipeline, "build", "build_models", keep=lambda r: r.seconds)
timed(quality, "check_build", "build_quality")
timed(pipeline, "build_stage", "build_stage")
timed(runner.QualityRun, "publish", "quality_publish")
timed(Transaction, "commit", "commit_and_catalog")
code = cli.main(["run", "--landing", sys.argv[1], "--warehouse", sys.argv[2]])
spent["in_process"] = time.perf_counter() - started
print("SPLIT " + json.dumps({"seconds": spent, "ingest_steps": captured.get("ingest"),
                              "build_steps": captured.get("build_models")}), file=sys.stderr)
sys.exit(code)
"""


def _process(code: str, *args: str, env: dict | None = None, cwd: Path = ROOT) -> tuple[float, str, float]:
    """Wall seconds, output, and CPU seconds (all threads; they move less than wall time when other
    processes share the cores)."""
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    # not from the repository root: `python -c` puts the working directory first on sys.path
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=cwd,
                          env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return wall, done.stderr + done.stdout, (after.ru_utime + after.ru_stime) - (cpu.ru_utime + cpu.ru_stime)


def measure(landing: Path, work: Path, code: Path = ROOT, name: str = "warehouse",
            baseline: tuple | None = None) -> dict:
    load_start = os.getloadavg()
    def base():
        (work / "baseline").mkdir(exist_ok=True)
        wall, out, cpu = _process(BASELINE, str(landing), str(work / "baseline"))
        _, copied, failed = next(line for line in out.splitlines() if line.startswith("BASELINE")).split()
        return wall, cpu, int(copied), int(failed)

    env = dict(os.environ, PYTHONPATH=str(code))
    env.setdefault("SOEPEL_PSEUDONYM_KEY", "bench-" + "k" * 40)
    # the baseline runs before and after the run; the ratio uses their mean (the load moves)
    bases = [baseline or base()]
    run_wall, run_log, run_cpu = _process(RUN, str(landing), str(work / name), env=env, cwd=work)
    if baseline is None:
        bases.append(base())
    base_wall, base_cpu = (sum(b[i] for b in bases) / len(bases) for i in (0, 1))
    copied, failed = bases[0][2], bases[0][3]
    split = json.loads(next(line for line in run_log.splitlines() if line.startswith("SPLIT "))[6:])
    load_end = os.getloadavg()
    s = split["seconds"]
    files = [line for line in run_log.splitlines() if line.startswith("files:")]
    steps = split["ingest_steps"] or {}
    read = sum(1 for p in landing.rglob("*") if p.is_file())
    per_file_steps = {k: v for k, v in steps.items()
                      if k not in ("discover", "check_files", "consent", "late_consent")}
    ingest_without_gx = s["ingest"] - steps.get("check_files", 0)
    gx = steps.get("check_files", 0) + s.get("build_quality", 0) + s.get("quality_publish", 0) + s.get("quality_open", 0)
    stages = {
        "python start + imports (process wall minus in-process)": run_wall - s["in_process"],
        "imports of the CLI and pipeline": s["import"],
        "ingest without the file check (read, check, stage, profiles)": ingest_without_gx,
        "of which per-file steps": sum(per_file_steps.values()),
        "file check: raw + staged GX suites": steps.get("check_files", 0),
        "build (models)": s.get("build_models", 0),
        "build quality (GX)": s.get("build_quality", 0),
        "build stage rest (fingerprint, final figures)": s.get("build_stage", 0) - s.get("build_models", 0)
        - s.get("build_quality", 0),
        "quality publish (Data Docs)": s.get("quality_publish", 0),
        "commit + catalog": s.get("commit_and_catalog", 0),
    }
    return {
        "benchmark": "soepel-etl run on the demo landing zone vs DuckDB CSV->Parquet of its CSV files",
        "files_in_landing": read,
        "baseline_duckdb_csv_to_parquet": {"wall_s": round(base_wall, 2), "cpu_s": round(base_cpu, 2),
                                           "wall_s_each": [round(b[0], 2) for b in bases],
                                           "csv_copied": copied, "csv_unreadable_by_duckdb": failed},
        "run": {"wall_s": round(run_wall, 2), "cpu_s": round(run_cpu, 2), "summary": files[0] if files else None},
        "ratio_wall": round(run_wall / base_wall, 2),
        "ratio_cpu": round(run_cpu / base_cpu, 2),
        "stages_s": {k: round(v, 2) for k, v in stages.items()},
        "gx_share_of_run": round(gx / run_wall, 3),
        "build_share_of_run": round(s.get("build_models", 0) / run_wall, 3),
        "ingest_steps_s": steps,
        "per_file_ms": {k: round(1000 * v / max(read, 1), 1) for k, v in per_file_steps.items()},
        "build_steps_s": split["build_steps"],
        "targets": {"wall_s_max": 15, "ratio_wall_max": 8},
        "met": run_wall <= 15 and run_wall / base_wall <= 8,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in load_end],
        "date": time.strftime("%Y-%m-%d"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=5000)
    parser.add_argument("--landing", type=Path, help="an existing landing zone (default: generate one)")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    parser.add_argument("--before", help="git revision whose package is also measured, same landing zone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        work = Path(tmp)
        landing = args.landing
        if landing is None:
            landing = work / "landing"
            subprocess.run([sys.executable, "-m", "soepel_etl.cli", "generate", "--out", str(landing),
                            "--persons", str(args.persons)], check=True, capture_output=True, cwd=ROOT,
                           env=dict(os.environ, PYTHONPATH=str(ROOT)))
        result = measure(landing.resolve(), work)
        if args.before:
            b = result["baseline_duckdb_csv_to_parquet"]
            before = measure(landing.resolve(), work, _package_at(args.before, work / "before"), "warehouse_before",
                             (b["wall_s"], b["cpu_s"], b["csv_copied"], b["csv_unreadable_by_duckdb"]))
            result["before"] = {"revision": args.before, **{k: before[k] for k in (
                "run", "ratio_wall", "ratio_cpu", "stages_s", "load_average_start", "load_average_end")}}
    emit(result, args.out)


if __name__ == "__main__":
    main()
