"""Every DAG imports cleanly, quickly and without side effects, and carries what operators expect."""

from __future__ import annotations

import socket
import sys
import time
import warnings
from pathlib import Path

import pytest

from tests.airflow.helpers import DAGS

EXPECTED = {"soepel_ingest", "soepel_build", "soepel_report", "soepel_signal_list"}
HEAVY = ("duckdb", "pyarrow", "pandas", "great_expectations", "soepel_etl.pipeline", "soepel_etl.extracts")


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory, monkeypatch_module):
    from airflow.dag_processing.dagbag import DagBag

    # parse time must not touch the warehouse, the landing zone or the network
    nowhere = tmp_path_factory.mktemp("nowhere")
    for name in ("SOEPEL_LANDING_DIR", "SOEPEL_WAREHOUSE_DIR"):
        monkeypatch_module.setenv(name, str(nowhere / name))

    def no_network(*args, **kwargs):
        raise AssertionError("a DAG file opened a network connection at parse time")

    monkeypatch_module.setattr(socket.socket, "connect", no_network)
    before = set(sys.modules)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        started = time.perf_counter()
        bag = DagBag(dag_folder=str(DAGS))
        bag.parse_seconds = time.perf_counter() - started
    bag.caught = [w for w in caught if "dags" in str(w.filename) or "plugins" in str(w.filename)]
    bag.new_modules = set(sys.modules) - before
    bag.nowhere = nowhere
    return bag


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def test_every_dag_imports_without_errors_or_warnings(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dags) == EXPECTED
    assert all(not w for w in dagbag.captured_warnings.values()), dagbag.captured_warnings
    assert dagbag.caught == [], [str(w.message) for w in dagbag.caught]


def test_parsing_all_dags_takes_under_two_seconds(dagbag):
    per_file = {Path(s.file).name: s.duration.total_seconds() for s in dagbag.dagbag_stats}
    print(f"\nDAG parse time: {dagbag.parse_seconds:.3f} s in total; per file {per_file}")
    assert dagbag.parse_seconds < 2.0
    assert sum(per_file.values()) < 2.0


def test_parsing_touches_no_warehouse_and_imports_no_heavy_modules(dagbag):
    assert not any(dagbag.nowhere.iterdir()), "a DAG file created something at parse time"
    heavy = sorted(m for m in dagbag.new_modules if m.startswith(HEAVY))
    assert heavy == [], f"imported at parse time: {heavy}"


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_dag_has_owner_tags_docs_retries_and_callbacks(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    assert "soepel" in dag.tags and len(dag.tags) >= 2
    assert dag.doc_md and "###" in dag.doc_md
    assert dag.on_failure_callback
    assert dag.max_active_runs == 1 and not dag.catchup
    for task in dag.tasks:
        assert task.owner == "rmc-data-team"
        assert task.retries >= 2 and task.retry_exponential_backoff > 0 and task.max_retry_delay
        assert task.retry_policy is not None
        assert task.on_failure_callback
        assert task.doc_md, f"{dag_id}.{task.task_id} has no doc_md"
        assert task.execution_timeout


def test_key_is_never_a_param(dagbag):
    for dag in dagbag.dags.values():
        assert not any("key" in name for name in dag.params), dag.dag_id


def test_schedules_chain_through_assets(dagbag):
    from soepel_airflow.assets import MART_ASSETS, SOURCE_ASSETS

    build, report = dagbag.dags["soepel_build"], dagbag.dags["soepel_report"]
    assert {a.name for a in build.timetable.asset_condition.objects} == {a.name for a in SOURCE_ASSETS.values()}
    assert {a.name for a in report.timetable.asset_condition.objects} == {a.name for a in MART_ASSETS.values()}
    ingest = dagbag.dags["soepel_ingest"]
    mapped = {t.task_id for t in ingest.tasks if getattr(t, "_is_mapped", False) or type(t).__name__.endswith("Mapped")
              or hasattr(t, "expand_input")}
    assert {"ingest_registers", "ingest_interventies"} <= mapped
    assert "ingest_registers" in ingest.get_task("ingest_interventies").upstream_task_ids


def test_asset_sources_and_marts_match_the_package():
    from soepel_airflow.assets import MARTS, SOURCES

    from soepel_etl.schema.contracts import SOURCES as PACKAGE_SOURCES

    assert set(SOURCES) == set(PACKAGE_SOURCES)
    assert set(MARTS) == {"outflow_outcomes", "cohort_outcomes", "risk_monitor"}
