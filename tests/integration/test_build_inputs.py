"""The build follows its inputs and nothing else: the loads (not the landing zone) give the default
reference date, and a change in the build's code rebuilds the marts (warehouse.md)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import duckdb

from soepel_etl import cli, pipeline
from soepel_etl.warehouse import builds
from tests.conftest import (
    BSN_C, ONDERWIJS_HEADER, TEST_KEY_TEXT, onderwijs_row, run_pipeline, settings_for, write_delivery,
)

PACKAGE = Path(pipeline.__file__).resolve().parent


def _deliver(landing, name="onderwijs_25PZ_20200315.csv", **kw):
    return write_delivery(landing / "onderwijs" / name, ONDERWIJS_HEADER, [onderwijs_row(**kw)])


def _build_dates(warehouse) -> list[dt.date]:
    return [r[0] for r in duckdb.sql(f"SELECT reference_date FROM read_parquet('{warehouse}/_meta/builds/*.parquet') "
                                     "ORDER BY built_at").fetchall()]


def test_build_only_needs_no_landing_zone(landing, warehouse):
    _deliver(landing)
    run_pipeline(landing, warehouse)
    shutil.rmtree(landing)              # archived after loading
    summary = pipeline.build_only(settings_for(landing, warehouse), force=True)
    assert summary.build is not None
    assert summary.reference_date == dt.date(2020, 3, 15)
    assert _build_dates(warehouse) == [dt.date(2020, 3, 15)] * 2


def test_default_reference_date_is_the_latest_delivery_loaded(landing, warehouse):
    _deliver(landing)
    (landing / "werk").mkdir()
    (landing / "werk" / "werk_GM0363_20200901.csv").write_bytes(b"")      # rejected: it counts for nothing
    summary = run_pipeline(landing, warehouse)
    assert summary.files("rejected") == 1
    assert summary.reference_date == dt.date(2020, 3, 15)
    assert _build_dates(warehouse) == [dt.date(2020, 3, 15)]
    _deliver(landing, "onderwijs_25PZ_20200415.csv", bsn=BSN_C, inschrijving_id="E2")
    assert run_pipeline(landing, warehouse).reference_date == dt.date(2020, 4, 15)   # this run's load counts
    assert _build_dates(warehouse)[-1] == dt.date(2020, 4, 15)


def test_no_clock_in_the_numbers():
    """No date.today()/now() fallback decides a figure (run ids and load timestamps are lineage)."""
    allowed = {"warehouse/transaction.py", "warehouse/builds.py", "extracts/ingest.py"}
    found = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("synthetic/"):
            continue
        for line in path.read_text().splitlines():
            if re.search(r"\btoday\(\)", line) or (re.search(r"\bnow\(", line) and rel not in allowed):
                found.append(f"{rel}: {line.strip()}")
    assert not found, found


def test_a_change_in_the_build_code_rebuilds(landing, warehouse, tmp_path, monkeypatch):
    _deliver(landing)
    run_pipeline(landing, warehouse)
    copy = tmp_path / "package"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "synthetic", "report"))
    monkeypatch.setattr(builds, "PACKAGE", copy)
    assert run_pipeline(landing, warehouse).build_skipped            # the same code: nothing to do
    sql = copy / "models" / "marts" / "risk_monitor.sql"
    sql.write_text(sql.read_text() + "\n-- a fixed version\n")
    summary = run_pipeline(landing, warehouse)
    assert not summary.build_skipped and summary.build is not None
    rules = copy / "schema" / "rules.py"
    rules.write_text(rules.read_text() + "\n# a changed rule\n")
    assert run_pipeline(landing, warehouse).build is not None
    # what the build reads besides models and rules: the national tables, region lookups, the sender rule
    for read in ("reference/national/sbi_secties.csv", "reference/__init__.py", "extracts/werk_senders.py"):
        assert run_pipeline(landing, warehouse).build_skipped
        path = copy / read
        path.write_text(path.read_text() + ("\n" if read.endswith(".csv") else "\n# changed\n"))
        assert run_pipeline(landing, warehouse).build is not None, read


def test_run_force_rebuilds(landing, warehouse, monkeypatch, capsys):
    _deliver(landing)
    monkeypatch.setenv("SOEPEL_PSEUDONYM_KEY", TEST_KEY_TEXT)
    args = ["run", "--landing", str(landing), "--warehouse", str(warehouse)]
    assert cli.main(args) == 0
    assert cli.main(args) == 0
    assert "nothing changed since the last build" in capsys.readouterr().out
    assert cli.main(args + ["--force"]) == 0
    out = capsys.readouterr().out
    assert "nothing changed since the last build" not in out and "built: " in out
    assert len(_build_dates(warehouse)) == 2
