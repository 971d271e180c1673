"""Benchmark: the demo landing zone through Airflow, against ``soepel-etl run`` in the same run.

    .venv/bin/python bench/bench_airflow.py [--persons 5000] [--seed 20240401] [--stack [--warm-up-baseline]]
        [--skip-dags-test] [--out FILE]

1. Generates the README's demo landing zone (``soepel-etl generate``: ~340 files, 5 000 persons).
2. Baseline: ``soepel-etl run`` on it, in a fresh process.
3. The three DAGs with ``airflow dags test`` on SQLite metadata, as ``scripts/airflow_run.sh`` runs
   them (settle period 0, lineage as files in the warehouse): wall time per DAG, and from the
   metadata database every task's duration, so that per-task and per-file cost and the time outside
   tasks (the ``airflow`` command's start, DAG parsing, scheduling) are separate.
4. Fixed cost per task, where it goes: cold imports (``airflow.sdk``, ``soepel_etl.pipeline``, GX),
   the GX context, and a warm process loading the same small files one transaction per file
   against one transaction for all of them, with the time in lock, quality (GX validation, Data
   Docs), commit and catalog measured inside.
5. ``--stack``: the ingest DAG under the real stack of docker-compose.yml with the LocalExecutor
   (PostgreSQL; tests/stack/stack.py's harness, ``scripts/install_services.sh`` installs it):
   the DAG run's duration and its tasks'. ``--warm-up-baseline`` first runs the same stack with
   ``SOEPEL_WARM_UP=false`` (every task process imports GX itself), the baseline of the scheduler's
   warm-up (docs/airflow.md, "Task start-up").

Targets (issue 14, point 1): the three DAGs under ``airflow dags test`` in at most 60 s together;
the stack's ingest DAG in at most 120 s. The machine is shared: the load average at start and end is
in the result, and the baseline ran in the same conditions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
KEY = "bench-" + "k" * 58
PROBE_FILES = 20          # small files loaded one by one and together in the fixed-cost probe

IMPORTS = {
    "airflow.sdk": "import airflow.sdk",
    "soepel_etl.pipeline": "import soepel_etl.pipeline",
    "great_expectations": "import great_expectations",
    "gx_context": "from soepel_etl.quality import context; import time; t = time.perf_counter(); "
                  "context.warm_up(); print('INNER', time.perf_counter() - t)",
}

PROBE = r"""
import json, sys, time, logging
from soepel_etl import pipeline, quality
from soepel_etl.quality import context
from soepel_etl.settings import Settings
from soepel_etl.identity.pseudonyms import PseudonymKey
from soepel_etl.warehouse import transaction, catalog
spent = {}
def timed(owner, name, label):
    f = getattr(owner, name)
    def g(*a, **k):
        t = time.perf_counter()
        try:
            return f(*a, **k)
        finally:
            spent[label] = spent.get(label, 0.0) + time.perf_counter() - t
    setattr(owner, name, g)
timed(transaction.Transaction, "begin", "lock_and_begin")
timed(quality.QualityRun, "check_files", "quality_validation")
timed(quality.QualityRun, "publish", "quality_data_docs")
timed(transaction.Transaction, "commit", "commit_incl_catalog")
timed(pipeline, "write_catalog", "catalog")
landing, files = sys.argv[1], json.loads(sys.argv[3])
key = PseudonymKey.from_text(sys.argv[4])
context.warm_up()            # a warm process: GX imported, context built
out = {}
for mode in ("one_per_file", "one_for_all"):
    spent.clear()
    s = Settings.resolve(landing=landing, warehouse=sys.argv[2] + "-" + mode, key=key, environ={})
    t = time.perf_counter()
    if mode == "one_per_file":
        for f in files:
            pipeline.ingest_files(s, [f])
    else:
        pipeline.ingest_files(s, files)
    out[mode] = {"seconds": round(time.perf_counter() - t, 3), **{k: round(v, 3) for k, v in spent.items()}}
print("PROBE " + json.dumps(out))
"""


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOEPEL_", "AIRFLOW"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def _timed(cmd: list[str], env: dict[str, str], cwd: Path, timeout: float = 3600) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{(proc.stdout + proc.stderr)[-4000:]}")
    return seconds, proc.stdout + proc.stderr


def _python_seconds(code: str) -> float:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], env=_env(GX_ANALYTICS_ENABLED="false"), cwd=ROOT,
                          capture_output=True, text=True, check=True)
    inner = [line for line in proc.stdout.splitlines() if line.startswith("INNER")]
    return float(inner[-1].split()[1]) if inner else time.perf_counter() - started


def _task_rows(home: Path, dag_id: str) -> list[dict]:
    con = sqlite3.connect(home / "airflow.db")
    try:
        run_id = con.execute("SELECT run_id FROM dag_run WHERE dag_id=? ORDER BY id DESC LIMIT 1", (dag_id,)).fetchone()[0]
        rows = con.execute("SELECT task_id, map_index, rendered_map_index, state, duration FROM task_instance "
                           "WHERE dag_id=? AND run_id=? ORDER BY start_date", (dag_id, run_id)).fetchall()
    finally:
        con.close()
    return [{"task": t, "map_index": m, "label": label, "state": s, "seconds": round(d or 0.0, 2)}
            for t, m, label, s, d in rows]


def airflow_dags(landing: Path, tmp: Path) -> dict:
    home, warehouse, reports = tmp / "airflow_home", tmp / "wh_airflow", tmp / "reports"
    env = _env(SOEPEL_PSEUDONYM_KEY=KEY, SOEPEL_LANDING_DIR=str(landing), SOEPEL_WAREHOUSE_DIR=str(warehouse),
               SOEPEL_REPORT_DIR=str(reports), SOEPEL_SETTLE_SECONDS="0", AIRFLOW_HOME=str(home),
               AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"), AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
               AIRFLOW__CORE__LOAD_EXAMPLES="False",
               AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
               AIRFLOW__OPENLINEAGE__TRANSPORT='{"type": "soepel_airflow.lineage_transport.WarehouseFileTransport"}')
    home.mkdir()
    migrate, _ = _timed([str(BIN / "airflow"), "db", "migrate"], env, tmp)
    out: dict = {"db_migrate_s": round(migrate, 1), "dags": {}}
    for dag_id, extra in (("soepel_ingest", []), ("soepel_build", []),
                          ("soepel_report", ["--conf", '{"audience": "intern"}'])):
        seconds, log = _timed([str(BIN / "airflow"), "dags", "test", dag_id, *extra], env, tmp)
        if "state=failed" in log:
            raise SystemExit(f"{dag_id} failed:\n{log[-4000:]}")
        tasks = _task_rows(home, dag_id)
        in_tasks = sum(t["seconds"] for t in tasks)
        out["dags"][dag_id] = {"wall_s": round(seconds, 1), "in_tasks_s": round(in_tasks, 1),
                               "outside_tasks_s": round(seconds - in_tasks, 1), "tasks": tasks}
    out["total_s"] = round(sum(d["wall_s"] for d in out["dags"].values()), 1)
    ingest = out["dags"]["soepel_ingest"]["tasks"]
    mapped = [t for t in ingest if t["task"] in ("ingest_registers", "ingest_interventies") and t["map_index"] >= 0]
    out["ingest_tasks"] = len(ingest)
    out["ingest_mapped_tasks"] = len(mapped)
    return out


def probe(landing: Path, tmp: Path) -> dict:
    """Warm process: PROBE_FILES small files, one transaction each, then one transaction for all."""
    files = sorted((p for p in (landing / "uitkeringen").glob("*.csv")), key=lambda p: p.stat().st_size)[:PROBE_FILES]
    rel = [str(p.relative_to(landing)) for p in files]
    proc = subprocess.run([sys.executable, "-c", PROBE, str(landing), str(tmp / "wh_probe"), json.dumps(rel), KEY],
                          env=_env(GX_ANALYTICS_ENABLED="false"), cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-4000:])
    result = json.loads([l for l in proc.stdout.splitlines() if l.startswith("PROBE ")][-1][6:])
    n = len(rel)
    one, all_ = result["one_per_file"], result["one_for_all"]
    result["files"] = n
    result["fixed_cost_per_transaction_s"] = round((one["seconds"] - all_["seconds"]) / (n - 1), 3)
    result["per_file_in_one_transaction_s"] = round(all_["seconds"] / n, 3)
    return result


def stack_ingest(landing: Path, tmp: Path, warm_up: bool = True) -> dict:
    """The ingest DAG under LocalExecutor + PostgreSQL (tests/stack harness), on the same landing zone.
    ``warm_up=False``: with ``SOEPEL_WARM_UP=false`` (each task process imports GX itself), the
    baseline of plugins/soepel_airflow/warm_up.py."""
    import shutil

    sys.path.insert(0, str(ROOT))
    from tests.stack.stack import Stack
    from tests.stack.test_stack import Api, _variables, _wait

    wheel_dir, site = tmp / "wheel", tmp / "site"
    if not site.is_dir():
        subprocess.run(["bash", str(ROOT / "scripts" / "build_wheel.sh"), str(wheel_dir)], cwd=ROOT, check=True,
                       capture_output=True, timeout=600)
        [wheel] = wheel_dir.glob("soepel_etl-*.whl")
        subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target",
                        str(site), str(wheel)], check=True, capture_output=True, timeout=600)
    root = tmp / ("stack" if warm_up else "stack-without-warm-up")
    root.mkdir()
    shutil.copytree(landing, root / "landing")
    then = time.time() - 600      # older than the settle period
    for path in (root / "landing").rglob("*"):
        os.utime(path, (then, then))
    variables = _variables(root, "LocalExecutor")
    variables["SOEPEL_PSEUDONYM_KEY"] = KEY
    if not warm_up:
        variables["SOEPEL_WARM_UP"] = "false"       # .env reaches every service (env_file)
    stack = Stack(root, variables, (), site)
    started = time.monotonic()
    try:
        stack.start()
        up = time.monotonic() - started
        api = Api(stack)
        _wait(lambda: api.client.get("/api/v2/dags/soepel_ingest").status_code == 200, stack, "DAG parsed", 300)
        assert api.client.patch("/api/v2/dags/soepel_ingest", json={"is_paused": False}).status_code == 200
        r = api.client.post("/api/v2/dags/soepel_ingest/dagRuns", json={"logical_date": None, "conf": {}})
        run_id = r.json()["dag_run_id"]
        triggered = time.monotonic()
        # unpausing also starts the schedule's own run (*/30), which may take the files before the
        # triggered one does: wait for every run, then measure the one that ingested (and all of them)
        runs = _wait(lambda: (lambda rs: rs if any(x["dag_run_id"] == run_id for x in rs)
                              and all(x["state"] in ("success", "failed") for x in rs) else None)(
                                  api.runs("soepel_ingest")), stack, "the ingest runs", 3600)
        wall = time.monotonic() - triggered
        per_run = []
        for run in runs:
            tasks = [{"task": t["task_id"], "map_index": t["map_index"], "label": t.get("rendered_map_index"),
                      "state": t["state"], "seconds": round(t.get("duration") or 0.0, 2)}
                     for t in api.task_instances("soepel_ingest", run["dag_run_id"])]
            per_run.append((run, tasks))
    finally:
        stack.stop()
    import datetime as dt

    import duckdb

    def seconds(run):
        return (dt.datetime.fromisoformat(run["end_date"]) - dt.datetime.fromisoformat(run["start_date"])).total_seconds()

    def ingested(tasks):
        return any(t["task"].startswith("ingest_") and t["map_index"] >= 0 and t["state"] == "success" for t in tasks)

    working = [(run, tasks) for run, tasks in per_run if ingested(tasks)]
    loads = root / "warehouse" / "_meta" / "loads"
    outcomes = dict(duckdb.sql(f"SELECT outcome, count(*) FROM read_parquet('{loads}/**/*.parquet', union_by_name=true) "
                               "GROUP BY ALL").fetchall()) if loads.exists() else {}
    if len(working) != 1:
        raise AssertionError(f"expected one ingest run that loaded the files, got {len(working)}: "
                             f"{[(r['dag_run_id'], r['state']) for r, _ in per_run]}")
    [(run, tasks)] = working
    return {"executor": "LocalExecutor", "warm_up": warm_up, "stack_start_s": round(up, 1), "state": run["state"],
            "run_id": run["dag_run_id"], "run_type": run.get("run_type"),
            "trigger_to_all_done_s": round(wall, 1), "dag_run_s": round(seconds(run), 1),
            "in_tasks_s": round(sum(t["seconds"] for t in tasks), 1), "tasks": tasks,
            "other_runs": [{"run_id": r["dag_run_id"], "state": r["state"], "dag_run_s": round(seconds(r), 1)}
                           for r, _ in per_run if r is not run],
            "load_outcomes": outcomes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=20240401)
    parser.add_argument("--stack", action="store_true", help="also the ingest DAG under LocalExecutor + PostgreSQL")
    parser.add_argument("--warm-up-baseline", action="store_true",
                        help="with --stack: first the same stack with SOEPEL_WARM_UP=false, the baseline of the "
                             "task parents' GX warm-up (docs/airflow.md, 'Task start-up')")
    parser.add_argument("--skip-dags-test", action="store_true", help="only the baseline, probe (and --stack)")
    parser.add_argument("--out", type=Path, default=None, help="write the JSON here too")
    args = parser.parse_args()

    result: dict = {"benchmark": "demo landing zone through Airflow vs soepel-etl run",
                    "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                    "load_average_start": _load(), "targets": {"dags_test_total_s_max": 60, "stack_ingest_s_max": 120}}
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP"), prefix="bench-airflow-") as tmp:
        tmp = Path(tmp)
        landing = tmp / "landing"
        cli = [sys.executable, "-m", "soepel_etl.cli"]
        _timed(cli + ["generate", "--out", str(landing), "--persons", str(args.persons), "--seed", str(args.seed)],
               _env(), tmp)
        files = [p for p in landing.rglob("*") if p.is_file()]
        result["landing"] = {"persons": args.persons, "files": len(files),
                             "mb": round(sum(p.stat().st_size for p in files) / 2**20, 1)}
        seconds, _ = _timed(cli + ["run", "--landing", str(landing), "--warehouse", str(tmp / "wh_cli")],
                            _env(SOEPEL_PSEUDONYM_KEY=KEY), tmp)
        result["baseline_soepel_etl_run_s"] = round(seconds, 1)
        result["cold_imports_s"] = {name: round(_python_seconds(code), 2) for name, code in IMPORTS.items()}
        result["fixed_cost_probe"] = probe(landing, tmp)
        if not args.skip_dags_test:
            dags = result["airflow_dags_test"] = airflow_dags(landing, tmp)
            dags["per_file_ingest_s"] = round(dags["dags"]["soepel_ingest"]["wall_s"] / len(files), 3)
            mapped = [t["seconds"] for t in dags["dags"]["soepel_ingest"]["tasks"]
                      if t["task"] in ("ingest_registers", "ingest_interventies") and t["map_index"] >= 0]
            dags["mapped_task_s"] = {"n": len(mapped), "median": round(statistics.median(mapped), 2) if mapped else None,
                                     "max": max(mapped, default=None)}
            dags["ratio_to_baseline"] = round(dags["total_s"] / result["baseline_soepel_etl_run_s"], 2)
            dags["met"] = dags["total_s"] <= 60
        if args.stack and args.warm_up_baseline:
            cold = result["stack_without_warm_up"] = stack_ingest(landing, tmp, warm_up=False)
            cold["per_file_s"] = round(cold["dag_run_s"] / len(files), 3)
        if args.stack:
            st = result["stack"] = stack_ingest(landing, tmp)
            st["per_file_s"] = round(st["dag_run_s"] / len(files), 3)
            st["met"] = (st["state"] == "success" and st["dag_run_s"] <= 120
                         and sum(st["load_outcomes"].values()) == len(files))
            if "stack_without_warm_up" in result:
                st["ratio_to_without_warm_up"] = round(st["dag_run_s"] / result["stack_without_warm_up"]["dag_run_s"], 2)
    result["load_average_end"] = _load()
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
