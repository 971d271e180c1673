"""OpenLineage through real Airflow: the three DAGs emit events, and they can be followed.

One module-scoped run, as in test_airflow_e2e.py (``airflow dags test``, SQLite metadata, one
pilot's deliveries), with the provider switched on the way docs/airflow.md says — the one setting
``AIRFLOW__OPENLINEAGE__TRANSPORT`` naming the project's file transport — so every event lands in
``<warehouse>/_meta/lineage/``. Then: a landing file leads, event by event, to ``staging/werk``,
``marts/outflow_outcomes`` and the report; the facets say what ``_meta`` and the Parquet files say
(schema, rows, Great Expectations outcome); and no identifier, birth date, pseudonym or the key is in
any event.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from tests.airflow.helpers import airflow_env, run_airflow
from tests.airflow.test_airflow_e2e import _keep_one_pilot
from tests.conftest import TEST_KEY_TEXT
from tests.privacy import LINEAGE, pseudonyms_of, scan_lineage, scan_text, secrets_of_landing

pytestmark = pytest.mark.slow

TRANSPORT = json.dumps({"type": "soepel_airflow.lineage_transport.WarehouseFileTransport"})
DAGS = ("soepel_ingest", "soepel_build", "soepel_report")


@pytest.fixture(scope="module")
def lineage(airflow_home, tmp_path_factory):
    from soepel_etl.synthetic import generate

    root = tmp_path_factory.mktemp("lineage")
    landing, warehouse, reports = root / "landing", root / "warehouse", root / "reports"
    generate(landing, persons=300, seed=2)
    _keep_one_pilot(landing)
    then = time.time() - 300            # older than the ingest's settle period
    for path in landing.rglob("*"):
        os.utime(path, (then, then))
    env = airflow_env(AIRFLOW_VAR_SOEPEL_PSEUDONYM_KEY=TEST_KEY_TEXT, SOEPEL_LANDING_DIR=str(landing),
                      SOEPEL_WAREHOUSE_DIR=str(warehouse), SOEPEL_REPORT_DIR=str(reports),
                      AIRFLOW__OPENLINEAGE__TRANSPORT=TRANSPORT)
    runs = {dag_id: run_airflow(["dags", "test", dag_id], env) for dag_id in DAGS}
    print(f"\nlineage timings (s): { {k: round(v.seconds, 1) for k, v in runs.items()} }")
    events = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((warehouse / LINEAGE).glob("*.json"))]
    return {"root": root, "landing": landing, "warehouse": warehouse, "reports": reports, "runs": runs,
            "events": events, "env": env}


def _output(proc) -> str:
    return proc.stdout + proc.stderr


def _completed(events: list[dict]) -> list[dict]:
    return [e for e in events if e.get("eventType") == "COMPLETE" and e.get("job", {}).get("name", "").count(".") >= 1]


def _task(event: dict) -> str:
    return event["job"]["name"]          # "<dag_id>.<task_id>"


def _find(datasets: list[dict], name: str) -> dict | None:
    return next((d for d in datasets if d["namespace"] == "file" and d["name"] == name), None)


def test_the_dags_succeed_and_emit_events(lineage):
    for dag_id, proc in lineage["runs"].items():
        assert proc.returncode == 0, f"{dag_id}: {_output(proc)[-4000:]}"
    jobs = {_task(e) for e in lineage["events"]}
    for job in ("soepel_ingest.ingest_registers", "soepel_ingest.ingest_interventies",
                "soepel_build.build_core_and_marts", "soepel_report.write_reports"):
        assert job in jobs, sorted(jobs)
    kinds = {e["eventType"] for e in lineage["events"]}
    assert {"START", "COMPLETE"} <= kinds


def test_a_landing_file_leads_to_outflow_outcomes_and_the_report(lineage):
    """Follow the events' edges (input → output of each completed task) from one landing file."""
    from soepel_etl.warehouse.loads import read_loads

    wh = lineage["warehouse"].resolve()
    loaded = sorted((r for r in read_loads(wh).to_pylist() if r["source"] == "werk" and r["outcome"] == "loaded"
                     and r["rows_loaded"] > 0), key=lambda r: r["file_name"])
    assert loaded, "no werk file loaded"
    start = str(lineage["landing"].resolve() / "werk" / loaded[0]["file_name"])
    edges: dict[str, set[str]] = defaultdict(set)
    via: dict[tuple[str, str], str] = {}
    for event in _completed(lineage["events"]):
        for i in event.get("inputs", []):
            for o in event.get("outputs", []):
                edges[i["name"]].add(o["name"])
                via[(i["name"], o["name"])] = _task(event)
    reached, frontier = {start}, [start]
    while frontier:
        for nxt in edges[frontier.pop()] - reached:
            reached.add(nxt)
            frontier.append(nxt)
    staging, mart = str(wh / "staging/werk"), str(wh / "marts/outflow_outcomes")
    assert staging in reached and mart in reached, sorted(reached)
    assert via[(start, staging)].startswith("soepel_ingest.ingest_registers")
    assert via[(staging, mart)] == "soepel_build.build_core_and_marts"
    html = [str(p.resolve()) for p in lineage["reports"].glob("*.html")]
    xlsx = [str(p.resolve()) for p in lineage["reports"].glob("*.xlsx")]
    assert html and xlsx
    assert set(html + xlsx) <= reached, (html, xlsx, sorted(reached))
    assert via[(mart, html[0])] == "soepel_report.write_reports"


def _event_of(lineage, job: str, pred) -> dict:
    found = [e for e in _completed(lineage["events"]) if _task(e) == job and pred(e)]
    assert len(found) == 1, (job, len(found))
    return found[0]


def test_ingest_facets_say_what_the_manifest_and_the_staged_file_say(lineage):
    from soepel_etl.warehouse.loads import read_loads

    wh, landing = lineage["warehouse"].resolve(), lineage["landing"].resolve()
    record = sorted((r for r in read_loads(wh).to_pylist() if r["source"] == "werk" and r["outcome"] == "loaded"
                     and r["rows_loaded"] > 0), key=lambda r: r["file_name"])[0]
    name = str(landing / "werk" / record["file_name"])
    event = _event_of(lineage, "soepel_ingest.ingest_registers", lambda e: _find(e["inputs"], name))
    landing_in = _find(event["inputs"], name)
    assert landing_in["inputFacets"]["inputStatistics"]["rowCount"] == record["rows_read"]
    raw = landing_in["inputFacets"]["dataQualityAssertions"]["assertions"]
    assert any(a["name"] == "raw_werk" and a["assertion"] == "raw_werk" for a in raw), raw

    # one task loads a source's batch of files: the folder it writes into gained the rows of all of them
    loaded = read_loads(wh).to_pylist()
    batch = [r for r in loaded if r["source"] == "werk" and r["outcome"] == "loaded"
             and _find(event["inputs"], str(landing / "werk" / r["file_name"]))]
    assert record in batch
    staged = _find(event["outputs"], str(wh / "staging/werk"))
    assert staged["outputFacets"]["outputStatistics"]["rowCount"] == sum(r["rows_loaded"] for r in batch)
    part = wh / "staging/werk" / f"{record['load_id']}.parquet"
    columns = [r[0] for r in duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{part}')").fetchall()]
    assert [f["name"] for f in staged["facets"]["schema"]["fields"]] == columns
    checks = staged["facets"]["dataQualityAssertions"]["assertions"]
    assert {"name": "staged_werk", "assertion": "staged_werk", "success": True}.items() <= checks[0].items(), checks


def test_build_facets_say_what_the_marts_and_the_quality_run_say(lineage):
    wh = lineage["warehouse"].resolve()
    event = _event_of(lineage, "soepel_build.build_core_and_marts", lambda e: e.get("outputs"))
    mart = _find(event["outputs"], str(wh / "marts/outflow_outcomes"))
    rel = duckdb.sql(f"SELECT * FROM read_parquet('{wh}/marts/outflow_outcomes/**/*.parquet', hive_partitioning=true)")
    assert mart["outputFacets"]["outputStatistics"]["rowCount"] == len(rel.fetchall()) > 0
    assert [f["name"] for f in mart["facets"]["schema"]["fields"]] == rel.columns
    # the Great Expectations outcome is the one the run recorded in _meta/quality/runs
    runs = [json.loads(p.read_text()) for p in (wh / "_meta/quality/runs").glob("*.json")]
    suite = next(s for r in runs for s in r["suites"] if s["suite"] == "marts_outflow_outcomes")
    assertions = mart["facets"]["dataQualityAssertions"]["assertions"]
    assert {"name": "marts_outflow_outcomes", "success": suite["success"]}.items() <= assertions[0].items()
    inputs = {d["name"] for d in event["inputs"]}
    assert {str(wh / f"staging/{s}") for s in ("onderwijs", "werk", "uitkeringen", "deelnemers")} <= inputs
    assert all("schema" in d["facets"] for d in event["inputs"])
    outputs = {d["name"] for d in event["outputs"]}
    assert {str(wh / f"core/{t}") for t in ("persons", "person_month")} <= outputs


def test_report_reads_the_marts_it_names(lineage):
    wh = lineage["warehouse"].resolve()
    event = _event_of(lineage, "soepel_report.write_reports", lambda e: True)
    names = {d["name"] for d in event["inputs"]}
    assert {str(wh / "marts/outflow_outcomes"), str(wh / "marts/risk_monitor")} <= names
    assert {Path(d["name"]).suffix for d in event["outputs"]} == {".html", ".xlsx"}


def test_no_identifier_pseudonym_or_key_in_any_event(lineage):
    secrets = secrets_of_landing(lineage["landing"], TEST_KEY_TEXT)
    secrets.pseudonyms = pseudonyms_of(lineage["warehouse"])
    assert secrets.identifiers and secrets.pseudonyms        # else the scan below proves nothing
    assert scan_lineage(lineage["warehouse"], secrets) == []
    for proc in lineage["runs"].values():
        assert scan_text(_output(proc), secrets, "airflow output") == []


def test_the_lineage_scan_sees_a_planted_identifier(lineage, tmp_path):
    """The control: the same scan over a copy of the events with one identifier and one pseudonym in."""
    secrets = secrets_of_landing(lineage["landing"], TEST_KEY_TEXT)
    secrets.pseudonyms = pseudonyms_of(lineage["warehouse"])
    shutil.copytree(lineage["warehouse"] / LINEAGE, tmp_path / LINEAGE)
    event = sorted((tmp_path / LINEAGE).glob("*.json"))[0]
    data = json.loads(event.read_text())
    identifier, pseudonym = sorted(secrets.identifiers)[0], sorted(secrets.pseudonyms)[0]
    data["planted"] = {"name": f"werk_{identifier}.csv", "escaped": "PLANTED"}
    # the pseudonym with its last character as a JSON escape: only the decoded value shows it
    escaped = f"{pseudonym[:-1]}\\u{ord(pseudonym[-1]):04x}"
    event.write_text(json.dumps(data).replace("PLANTED", escaped), encoding="utf-8")
    assert pseudonym not in event.read_text()
    findings = scan_lineage(tmp_path, secrets)
    assert any("identifier" in f for f in findings), findings
    assert any("pseudonym" in f for f in findings), findings
    assert scan_lineage(tmp_path / "nowhere", secrets) != []


def _event(job: str):
    import datetime as dt
    import uuid

    from openlineage.client.event_v2 import Job, Run, RunEvent, RunState

    return RunEvent(eventType=RunState.START, eventTime=dt.datetime.now(dt.timezone.utc).isoformat(),
                    run=Run(runId=str(uuid.uuid4())), job=Job(namespace="default", name=job), producer="test")


def test_the_transport_makes_a_new_folder_a_warehouse_and_refuses_a_foreign_one(tmp_path):
    """The first event of a deployment may come before the first run: the folder it makes must be a
    warehouse the run accepts, and a folder that is not one must stay untouched."""
    from soepel_airflow.lineage_transport import WarehouseFileConfig, WarehouseFileTransport
    from soepel_etl.warehouse.marker import MARKER, claim

    new = tmp_path / "new"
    WarehouseFileTransport(WarehouseFileConfig(str(new))).emit(_event("soepel_ingest.find_new_files"))
    (written,) = (new / LINEAGE).glob("*.json")
    assert written.name.endswith(".json") and "-soepel_ingest.find_new_files-START-" in written.name
    assert json.loads(written.read_text())["job"]["name"] == "soepel_ingest.find_new_files"
    assert (written.stat().st_mode & 0o777) == 0o600
    assert (new / MARKER).is_file()
    assert claim(new) == new.resolve()              # what a run does first: it accepts the folder

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("not a warehouse\n")
    with pytest.raises(ValueError, match="not a Soepel warehouse"):
        WarehouseFileTransport(WarehouseFileConfig(str(foreign))).emit(_event("soepel_ingest.find_new_files"))
    assert sorted(p.name for p in foreign.rglob("*")) == ["notes.txt"]
