"""Run-level behaviour: idempotence, all-or-nothing, the key, the lock, the reference folder."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from soepel_etl.warehouse.transaction import Transaction, WarehouseBusy
from tests.conftest import (
    TEST_KEY_TEXT, onderwijs_row, load_of, loads, run_pipeline, staged, tree_state, write_delivery, ONDERWIJS_HEADER,
)


def _deliver(landing, name="onderwijs_25PZ_20200315.csv", **kw):
    return write_delivery(landing / "onderwijs" / name, ONDERWIJS_HEADER, [onderwijs_row(**kw)])


def test_second_run_loads_nothing_and_changes_nothing(landing, warehouse):
    _deliver(landing)
    (landing / "werk").mkdir()
    (landing / "werk" / "bad name.csv").write_text("x")
    first = run_pipeline(landing, warehouse)
    assert first.files("loaded") == 1 and first.files("rejected") == 1
    before = tree_state(warehouse)
    second = run_pipeline(landing, warehouse)
    assert second.records == [] and second.skipped == 2
    assert tree_state(warehouse) == before


def test_new_file_in_later_run_is_loaded(landing, warehouse):
    _deliver(landing)
    run_pipeline(landing, warehouse)
    _deliver(landing, name="onderwijs_25PZ_20200615.csv", inschrijving_id="E2")
    summary = run_pipeline(landing, warehouse)
    assert [r.file_name for r in summary.records] == ["onderwijs_25PZ_20200615.csv"]
    assert len(staged(warehouse, "onderwijs")) == 2
    assert len(loads(warehouse)) == 2


def test_failed_run_leaves_warehouse_as_it_was(landing, warehouse, monkeypatch):
    _deliver(landing)
    run_pipeline(landing, warehouse)
    before = tree_state(warehouse)
    _deliver(landing, name="onderwijs_25PZ_20200615.csv", inschrijving_id="E2")
    from soepel_etl.extracts import ingest

    def boom(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(ingest, "exclude_without_consent", boom)
    with pytest.raises(OSError, match="simulated"):
        run_pipeline(landing, warehouse)
    assert tree_state(warehouse) == before
    monkeypatch.undo()
    run_pipeline(landing, warehouse)
    assert load_of(warehouse, "onderwijs_25PZ_20200615.csv")["outcome"] == "loaded"
    assert not any((warehouse / ".tmp").iterdir())


def test_commit_interrupted_after_journal_is_rolled_forward(tmp_path):
    root = tmp_path / "wh"
    tx = Transaction.begin(root)
    tx.add_file("staging/werk/a.parquet").write_bytes(b"new")
    table = tx.replace_table("core/t")
    (table / "part.parquet").write_bytes(b"v2")
    # simulate a crash right after the journal was written: apply nothing, drop the lock
    import json
    from soepel_etl.warehouse.transaction import JOURNAL, write_atomic
    write_atomic(root / JOURNAL, json.dumps({"run_id": tx.run_id, "moves": [m.to_json() for m in tx._moves]}).encode())
    tx._release_lock()
    Transaction.begin(root).rollback()       # the next run recovers first
    assert (root / "staging/werk/a.parquet").read_bytes() == b"new"
    assert (root / "core/t/part.parquet").read_bytes() == b"v2"
    assert not (root / JOURNAL).exists()


def test_second_concurrent_run_refuses(tmp_path):
    tx = Transaction.begin(tmp_path / "wh")
    try:
        with pytest.raises(WarehouseBusy, match="another soepel-etl run"):
            Transaction.begin(tmp_path / "wh")
    finally:
        tx.rollback()
    Transaction.begin(tmp_path / "wh").rollback()


def _cli(args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k != "SOEPEL_PSEUDONYM_KEY"}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "soepel_etl.cli", *args], capture_output=True, text=True, env=env)


@pytest.mark.parametrize("key", [None, "too-short"])
def test_cli_refuses_without_a_proper_key(landing, warehouse, key):
    _deliver(landing)
    result = _cli(["run", "--landing", str(landing), "--warehouse", str(warehouse)],
                  {"SOEPEL_PSEUDONYM_KEY": key} if key else {})
    assert result.returncode == 2
    assert "SOEPEL_PSEUDONYM_KEY" in result.stderr
    assert not warehouse.exists()


def test_cli_run_prints_summary(landing, warehouse):
    _deliver(landing)
    result = _cli(["run", "--landing", str(landing), "--warehouse", str(warehouse)],
                  {"SOEPEL_PSEUDONYM_KEY": TEST_KEY_TEXT})
    assert result.returncode == 0, result.stderr
    assert "files: 1 loaded, 0 rejected, 0 duplicate, 0 skipped" in result.stdout
    assert "rows:  1 read = 1 loaded + 0 quarantined + 0 duplicate + 0 excluded" in result.stdout


def test_reference_folder_from_option_and_environment(landing, warehouse, tmp_path):
    ref = tmp_path / "ref"
    ref.mkdir()
    (ref / "gemeenten.csv").write_text("gemeente_code;gemeente_naam;rmc_regio_code;rmc_regio_naam;arbeidsmarktregio\nGM0001;X;R1;R;A\n")
    (ref / "instellingen.csv").write_text("brin;naam;pilot\n25PZ;ROC;AMS\n")
    (ref / "pilots.csv").write_text("pilot;naam;doelgroep\nAMS;Amsterdam;entree\n")
    _deliver(landing)
    env = {"SOEPEL_PSEUDONYM_KEY": TEST_KEY_TEXT, "SOEPEL_REFERENCE_DIR": str(ref)}
    result = _cli(["run", "--landing", str(landing), "--warehouse", str(warehouse)], env)
    assert result.returncode == 0, result.stderr
    assert load_of(warehouse, "onderwijs_25PZ_20200315.csv")["unknown_codes"] == "woongemeente: 1 code(s) not in the reference"
    (ref / "pilots.csv").write_text("wrong;header\n")
    result = _cli(["run", "--landing", str(landing), "--warehouse", str(warehouse), "--reference", str(ref)], env)
    assert result.returncode == 2 and "pilots.csv lacks column" in result.stderr


def test_warehouse_files_are_owner_only(landing, warehouse):
    _deliver(landing)
    run_pipeline(landing, warehouse)
    assert (warehouse.stat().st_mode & 0o077) == 0


def test_a_quote_in_every_folder_name_runs_reports_and_queries(tmp_path):
    # paths reach DuckDB as SQL text (read_parquet, COPY … TO): every one must be quoted as a literal
    from soepel_etl import pipeline
    from soepel_etl.report import write_report
    from soepel_etl.synthetic import generate
    from tests.conftest import settings_for

    root = tmp_path / "o'brien's data"
    generate(root / "landing", persons=40, seed=3)
    summary = pipeline.run(settings_for(root / "landing", root / "warehouse"))
    assert summary.build is not None and summary.files("loaded") > 0
    out = write_report(root / "warehouse", root / "reports", "intern")
    assert out["html"].is_file()
    result = subprocess.run([sys.executable, "-m", "soepel_etl.cli", "sql", "--warehouse", str(root / "warehouse"),
                             "SELECT count(*) AS n FROM marts.outflow_outcomes"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
