"""The three DAGs through real Airflow (``airflow dags test``, SQLite metadata) on a generated landing zone.

One module-scoped run: generate → ingest DAG → build DAG → report DAG, while the CLI's
``pipeline.run`` builds a reference warehouse from the same landing zone in a thread. Then: the
marts are equal, the key is nowhere in Airflow's database or output, a second ingest finds nothing
and changes nothing, and a planted corrupt staging file fails the build at the right task with a
message that names it, leaving the warehouse as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import duckdb
import pytest

from tests.airflow.helpers import airflow_env, run_airflow
from tests.conftest import TEST_KEY, TEST_KEY_TEXT, tree_state

pytestmark = pytest.mark.slow

MARTS = ("outflow_outcomes", "cohort_outcomes", "risk_monitor")


def _has_report() -> bool:
    try:
        from soepel_etl.report import write_report  # noqa: F401
    except ImportError:
        return False
    return True


def _rows(warehouse: Path, table: str) -> tuple[list[str], list[tuple]]:
    rel = duckdb.sql(f"SELECT * FROM read_parquet('{warehouse}/marts/{table}/**/*.parquet', hive_partitioning=true)")
    return rel.columns, sorted(rel.fetchall(), key=repr)


def _db(home: Path, sql: str, params=()):
    con = sqlite3.connect(home / "airflow.db")
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def _last_run(home: Path, dag_id: str) -> tuple[str, str]:
    return _db(home, "SELECT run_id, state FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1", (dag_id,))[0]


# The generator writes ~300 files whatever the number of persons; the e2e run keeps one pilot's
# deliveries (Zuidoost-Drenthe: its institutions, its region's municipalities and its register) plus
# every deliberately bad file, so that each file's own ingest work stays small.
ONE_PILOT_SENDERS = {"ZOD", "01NJ", "25PW", "30ME", "GM0109", "GM0114", "GM1681"}


def _keep_one_pilot(landing: Path) -> None:
    import re

    pattern = re.compile(r"[a-z]+_(?P<sender>[A-Za-z0-9]+)_[0-9]{8}[.](csv|xlsx)")
    for path in sorted(p for p in landing.rglob("*") if p.is_file()):
        match = pattern.fullmatch(path.name)
        if match and match["sender"] not in ONE_PILOT_SENDERS and path.stat().st_size > 0:
            path.unlink()


@pytest.fixture(scope="module")
def e2e(airflow_home, tmp_path_factory):
    from soepel_etl import pipeline
    from soepel_etl.settings import Settings
    from soepel_etl.synthetic import generate

    root = tmp_path_factory.mktemp("e2e")
    landing, warehouse, reports, reference_wh = root / "landing", root / "warehouse", root / "reports", root / "cli"
    generate(landing, persons=300, seed=1)
    _keep_one_pilot(landing)
    # delivered a while ago: older than the scheduled ingest's settle period (60 s)
    then = time.time() - 300
    for path in landing.rglob("*"):
        os.utime(path, (then, then))

    # the CLI's job on the same input, in parallel with Airflow (its own warehouse)
    reference: dict = {}

    def cli_run():
        started = time.perf_counter()
        try:
            pipeline.run(Settings.resolve(landing=landing, warehouse=reference_wh, key=TEST_KEY, environ={}))
        except BaseException as exc:  # surfaced in the test
            reference["error"] = exc
        reference["seconds"] = time.perf_counter() - started

    thread = threading.Thread(target=cli_run)
    thread.start()

    # configuration as an operator would set it: key and landing zone as Airflow Variables
    # (env-var secrets backend), the warehouse and report folder from the environment
    env = airflow_env(AIRFLOW_VAR_SOEPEL_PSEUDONYM_KEY=TEST_KEY_TEXT, AIRFLOW_VAR_SOEPEL_LANDING_DIR=str(landing),
                      SOEPEL_WAREHOUSE_DIR=str(warehouse), SOEPEL_REPORT_DIR=str(reports))
    runs = {}
    for dag_id in ("soepel_ingest", "soepel_build", "soepel_report"):
        if dag_id == "soepel_report" and not _has_report():
            continue
        runs[dag_id] = run_airflow(["dags", "test", dag_id], env)
    thread.join()
    timings = {k: round(v.seconds, 1) for k, v in runs.items()} | {"cli_run": round(reference.get("seconds", 0), 1)}
    print(f"\ne2e timings (s): {timings}")
    return {"root": root, "landing": landing, "warehouse": warehouse, "reports": reports, "cli": reference_wh,
            "reference": reference, "runs": runs, "env": env, "home": airflow_home}


def _output(proc) -> str:
    return proc.stdout + proc.stderr


@pytest.mark.parametrize("dag_id", ["soepel_ingest", "soepel_build"])
def test_dag_run_succeeds(e2e, dag_id):
    proc = e2e["runs"][dag_id]
    assert proc.returncode == 0, _output(proc)[-4000:]
    assert _last_run(e2e["home"], dag_id)[1] == "success"


def test_ingest_maps_one_task_per_source_and_reports_every_file(e2e):
    from soepel_etl.warehouse.loads import read_loads

    run_id, _ = _last_run(e2e["home"], "soepel_ingest")
    states = _db(e2e["home"], "SELECT task_id, map_index, state FROM task_instance WHERE dag_id='soepel_ingest' "
                              "AND run_id=?", (run_id,))
    mapped = [s for s in states if s[0] in ("ingest_registers", "ingest_interventies")]
    assert all(state == "success" for _, _, state in states), states
    files = sorted(str(p.relative_to(e2e["landing"])) for p in e2e["landing"].rglob("*") if p.is_file())
    loads = read_loads(e2e["warehouse"]).to_pylist()
    assert sorted(r["file_name"] for r in loads) == sorted(Path(f).name for f in files)
    # the landing zone is far below the size budget: one task per source folder, not per file
    sources = {Path(f).parts[0] for f in files}
    assert len(mapped) == len(sources), mapped
    assert {r["outcome"] for r in loads} == {"loaded", "rejected", "duplicate_file"}
    # each file's outcome is in its task's return value (XCom) and log line
    returned = [r for (value,) in _db(e2e["home"], "SELECT value FROM xcom WHERE dag_id='soepel_ingest' AND run_id=? "
                                                   "AND key='return_value' AND task_id IN "
                                                   "('ingest_registers', 'ingest_interventies')", (run_id,))
                for r in json.loads(value)]
    assert sorted(r["path"] for r in returned) == files
    assert {(r["file_name"], r["outcome"]) for r in returned} == {(r["file_name"], r["outcome"]) for r in loads}
    log = _output(e2e["runs"]["soepel_ingest"])
    assert all(f"file {f}: " in log for f in files), [f for f in files if f"file {f}: " not in log]


def test_assets_emitted_for_loaded_sources_and_marts(e2e):
    events = _db(e2e["home"], "SELECT a.name, e.extra FROM asset_event e JOIN asset a ON a.id = e.asset_id")
    names = {n for n, _ in events}
    assert {f"soepel_staging_{s}" for s in ("onderwijs", "werk", "uitkeringen", "deelnemers", "interventies")} <= names
    assert {f"soepel_mart_{m}" for m in MARTS} <= names
    extra = json.loads(next(e for n, e in events if n == "soepel_staging_werk"))
    assert extra["reference_date"] and extra["files"] and extra["rows_loaded"] > 0


def test_marts_equal_those_of_the_cli_run(e2e):
    assert "error" not in e2e["reference"], e2e["reference"].get("error")
    for table in MARTS:
        cols_airflow, rows_airflow = _rows(e2e["warehouse"], table)
        cols_cli, rows_cli = _rows(e2e["cli"], table)
        assert cols_airflow == cols_cli, table
        assert len(rows_airflow) > 0, table
        assert rows_airflow == rows_cli, table


def test_report_dag_writes_the_report(e2e):
    if not _has_report():
        pytest.skip("soepel_etl.report.write_report does not exist yet")
    proc = e2e["runs"]["soepel_report"]
    assert proc.returncode == 0, _output(proc)[-4000:]
    assert _last_run(e2e["home"], "soepel_report")[1] == "success"
    written = list(e2e["reports"].rglob("*"))
    assert any(p.suffix == ".html" for p in written) and any(p.suffix == ".xlsx" for p in written), written


def test_key_is_nowhere_in_airflow(e2e):
    needle = TEST_KEY_TEXT.encode()
    assert needle not in (e2e["home"] / "airflow.db").read_bytes()
    for path in e2e["home"].rglob("*"):
        if path.is_file() and path.name != "airflow.db":
            assert needle not in path.read_bytes(), path
    for proc in e2e["runs"].values():
        assert TEST_KEY_TEXT not in _output(proc)


def test_second_ingest_finds_nothing_and_changes_nothing(e2e):
    before = tree_state(e2e["warehouse"])
    proc = run_airflow(["dags", "test", "soepel_ingest"], e2e["env"])
    assert proc.returncode == 0, _output(proc)[-4000:]
    run_id, state = _last_run(e2e["home"], "soepel_ingest")
    assert state == "success"
    states = dict(_db(e2e["home"], "SELECT task_id, state FROM task_instance WHERE dag_id='soepel_ingest' "
                                   "AND run_id=?", (run_id,)))
    assert states["ingest_registers"] == "skipped" and states["publish_source_assets"] == "success"
    assert tree_state(e2e["warehouse"]) == before


def test_corrupt_staging_file_fails_the_build_task_and_leaves_the_warehouse(e2e):
    planted = e2e["root"] / "planted"
    shutil.copytree(e2e["warehouse"], planted, symlinks=True)
    (planted / "staging/werk/werk_corrupt.parquet").write_bytes(b"this is not a parquet file\n" * 10)
    before = tree_state(planted)
    conf = json.dumps({"warehouse_dir": str(planted), "force": True})
    proc = run_airflow(["dags", "test", "soepel_build", "--conf", conf], e2e["env"])
    output = _output(proc)
    run_id, state = _last_run(e2e["home"], "soepel_build")
    assert state == "failed", output[-4000:]
    tis = _db(e2e["home"], "SELECT task_id, state, try_number FROM task_instance WHERE dag_id='soepel_build' "
                           "AND run_id=?", (run_id,))
    assert tis == [("build_core_and_marts", "failed", 1)]          # a data error: failed at once, no retry
    assert "build of core tables and marts failed on a data error" in output
    assert "werk_corrupt.parquet" in output
    assert "SOEPEL FAILURE: DAG soepel_build, task build_core_and_marts" in output
    assert tree_state(planted) == before
