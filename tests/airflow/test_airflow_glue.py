"""The Airflow glue in plugins/soepel_airflow, without a running Airflow: precedence, key, errors, batches."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest

import tests.airflow.helpers  # noqa: F401  (sets up the Airflow environment and sys.path first)
from tests.conftest import ONDERWIJS_HEADER, TEST_KEY_TEXT, onderwijs_row, write_delivery

from soepel_airflow import config, errors, steps  # noqa: E402  (plugins/ is on sys.path via conftest)


def _vars(**values):
    return lambda name: values.get(name)


def _no_conn(name):
    return None


def test_location_precedence_param_variable_env_default():
    env = {"SOEPEL_WAREHOUSE_DIR": "/env/wh"}
    var = _vars(soepel_warehouse_dir="/var/wh")
    assert config.location("warehouse", {"warehouse_dir": "/param/wh"}, var, env) == "/param/wh"
    assert config.location("warehouse", {"warehouse_dir": None}, var, env) == "/var/wh"
    assert config.location("warehouse", {}, _vars(), env) == "/env/wh"
    assert config.location("warehouse", {}, _vars(), {}) == "warehouse"
    assert config.location("reference", {}, _vars(), {}) is None          # the package's shipped default
    assert config.location("reports", {"out_dir": ""}, _vars(), {"SOEPEL_REPORT_DIR": "/r"}) == "/r"


def test_settle_period_precedence_param_variable_env_default():
    env = {"SOEPEL_SETTLE_SECONDS": "30"}
    assert config.settle_seconds({"settle_seconds": 0}, _vars(soepel_settle_seconds="10"), env) == 0
    assert config.settle_seconds({}, _vars(soepel_settle_seconds="10"), env) == 10
    assert config.settle_seconds({"settle_seconds": None}, _vars(), env) == 30
    assert config.settle_seconds({}, _vars(), {}) == 60
    with pytest.raises(ValueError):
        config.settle_seconds({"settle_seconds": -1}, _vars(), {})


def _settled(landing: Path, seconds: float = 120) -> None:
    """Age every file: a finished copy, older than the scheduled ingest's settle period."""
    then = time.time() - seconds
    for path in landing.rglob("*"):
        if path.is_file():
            os.utime(path, (then, then))


def test_find_batches_leaves_files_that_are_not_settled_or_still_copied(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    settled = write_delivery(landing / "onderwijs/onderwijs_25PZ_20240101.csv", ONDERWIJS_HEADER, [onderwijs_row()])
    _settled(landing)
    write_delivery(landing / "onderwijs/onderwijs_25PZ_20240115.csv", ONDERWIJS_HEADER,
                   [onderwijs_row(inschrijving_id="E2")])                       # just written
    (landing / "onderwijs/onderwijs_25PZ_20240201.csv.part").write_bytes(settled.read_bytes())
    monkeypatch.setenv("SOEPEL_PSEUDONYM_KEY", TEST_KEY_TEXT)
    monkeypatch.setattr(steps, "resolve_settings", lambda params: config.resolve_settings(
        params, variable=lambda n: None, connection=lambda n: None))
    monkeypatch.setattr(steps, "settle_seconds", lambda params: config.settle_seconds(params, lambda n: None, {}))
    params = {"landing_dir": str(landing), "warehouse_dir": str(tmp_path / "wh")}
    found = steps.find_batches(params)
    assert [b["files"] for b in found["registers"]] == [["onderwijs/onderwijs_25PZ_20240101.csv"]]
    found = steps.find_batches({**params, "settle_seconds": 0})
    assert [b["files"] for b in found["registers"]] == [
        ["onderwijs/onderwijs_25PZ_20240101.csv", "onderwijs/onderwijs_25PZ_20240115.csv"]]


def test_key_precedence_connection_variable_env():
    env = {"SOEPEL_PSEUDONYM_KEY": "from-env"}
    assert config.key_text(_vars(soepel_pseudonym_key="from-var"), lambda n: "from-conn", env) == "from-conn"
    assert config.key_text(_vars(soepel_pseudonym_key="from-var"), _no_conn, env) == "from-var"
    assert config.key_text(_vars(), _no_conn, env) == "from-env"
    assert config.key_text(_vars(), _no_conn, {}) is None


def test_resolve_settings_uses_params_and_never_shows_the_key(tmp_path):
    s = config.resolve_settings({"landing_dir": str(tmp_path / "l"), "reference_date": "2024-03-01"},
                                variable=_vars(soepel_warehouse_dir=str(tmp_path / "w")), connection=_no_conn,
                                environ={"SOEPEL_PSEUDONYM_KEY": TEST_KEY_TEXT})
    assert s.landing == tmp_path / "l" and s.warehouse == tmp_path / "w"
    assert s.reference_date == dt.date(2024, 3, 1)
    assert TEST_KEY_TEXT not in repr(s) and TEST_KEY_TEXT not in str(s)


def test_missing_key_is_a_configuration_failure_not_retried(tmp_path):
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException, match="configuration error.*PseudonymKeyError"):
        with errors.stage("ingest", tmp_path):
            config.resolve_settings({}, variable=_vars(), connection=_no_conn, environ={})


def test_transient_errors_propagate_for_retry_and_data_errors_fail(tmp_path):
    from airflow.sdk import RetryAction
    from airflow.sdk.exceptions import AirflowFailException

    from soepel_etl.warehouse.transaction import WarehouseBusy

    for transient in (WarehouseBusy("busy"), OSError(5, "I/O error"), TimeoutError("slow share")):
        with pytest.raises(type(transient)):
            with errors.stage("ingest", tmp_path):
                raise transient
        assert errors.RETRY_POLICY.evaluate(transient, 1, 4).action == RetryAction.RETRY
    for config_error in (FileNotFoundError("no such folder"), PermissionError("denied")):
        with pytest.raises(AirflowFailException, match="configuration error"):
            with errors.stage("ingest", tmp_path):
                raise config_error
        assert errors.RETRY_POLICY.evaluate(config_error, 1, 4).action == RetryAction.FAIL
    with pytest.raises(AirflowFailException, match=r"build failed on a data error.*RuntimeError: .*\*\*\*\*\*\*782"):
        with errors.stage("build", tmp_path):
            raise RuntimeError("bad row for 123456782")      # the message is scrubbed


def test_find_batches_groups_identical_bytes_and_puts_interventies_last(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    first = write_delivery(landing / "onderwijs/onderwijs_25PZ_20240101.csv", ONDERWIJS_HEADER, [onderwijs_row()])
    (landing / "onderwijs/onderwijs_25PZ_20240201.csv").write_bytes(first.read_bytes())   # same bytes, later
    write_delivery(landing / "onderwijs/onderwijs_25PZ_20240115.csv", ONDERWIJS_HEADER,
                   [onderwijs_row(inschrijving_id="E2")])
    (landing / "interventies").mkdir()
    (landing / "interventies/interventies_AMS_20240101.csv").write_text("bsn;pilot_code\n", encoding="utf-8")
    _settled(landing)
    monkeypatch.setattr(config, "airflow_variable", lambda name: None)
    monkeypatch.setattr(config, "airflow_connection_password", lambda name: None)
    monkeypatch.setenv("SOEPEL_PSEUDONYM_KEY", TEST_KEY_TEXT)
    monkeypatch.setattr(steps, "resolve_settings", lambda params: config.resolve_settings(
        params, variable=lambda n: None, connection=lambda n: None))
    found = steps.find_batches({"landing_dir": str(landing), "warehouse_dir": str(tmp_path / "wh")})
    # one batch per source; byte-identical files together (load order within a group of the same bytes)
    assert [(b["source"], b["files"]) for b in found["registers"]] == [("onderwijs", [
        "onderwijs/onderwijs_25PZ_20240101.csv", "onderwijs/onderwijs_25PZ_20240201.csv",
        "onderwijs/onderwijs_25PZ_20240115.csv"])]
    same = found["registers"][0]["sha256"]
    assert same[0] == same[1] != same[2]
    assert [b["files"] for b in found["interventies"]] == [["interventies/interventies_AMS_20240101.csv"]]
    assert found["reference_date"] == "2024-02-01" and found["files"] == 4
    assert not (tmp_path / "wh").exists()

    # a source whose new files exceed the size budget is split, never inside a group of the same bytes
    monkeypatch.setattr(steps, "BATCH_BYTES", first.stat().st_size * 2 + 1)
    found = steps.find_batches({"landing_dir": str(landing), "warehouse_dir": str(tmp_path / "wh")})
    assert [b["files"] for b in found["registers"]] == [
        ["onderwijs/onderwijs_25PZ_20240101.csv", "onderwijs/onderwijs_25PZ_20240201.csv"],
        ["onderwijs/onderwijs_25PZ_20240115.csv"]]
    monkeypatch.setattr(steps, "BATCH_BYTES", 1)
    found = steps.find_batches({"landing_dir": str(landing), "warehouse_dir": str(tmp_path / "wh")})
    assert [len(b["files"]) for b in found["registers"]] == [2, 1]


def test_batch_label_names_the_source_and_masks_identifiers():
    one = {"source": "werk", "files": ["werk/werk_GM0363_20240101.csv"], "sha256": ["a"]}
    assert steps.batch_label(one) == "werk/werk_GM0363_20240101.csv"
    many = {"source": "werk", "files": ["werk/werk_GM0363_20240101.csv", "werk/x_123456782.csv",
                                        "werk/werk_GM0363_20240201.csv"], "sha256": ["a", "b", "c"]}
    label = steps.batch_label(many)
    assert label.startswith("werk: 3 files (werk_GM0363_20240101.csv") and label.endswith("20240201.csv)")
    assert "123456782" not in steps.batch_label({**many, "files": many["files"][1:]})


def test_loaded_sources_only_counts_loaded_files():
    results = [[{"file_name": "a", "source": "werk", "outcome": "loaded", "rows_loaded": 3}],
               [{"file_name": "b", "source": "werk", "outcome": "duplicate_file", "rows_loaded": 0},
                {"file_name": "c", "source": "deelnemers", "outcome": "rejected", "rows_loaded": 0},
                {"file_name": "d", "source": None, "outcome": "rejected", "rows_loaded": 0}]]
    assert steps.loaded_sources(results) == {"werk": {"files": ["a"], "rows_loaded": 3}}
    assert steps.outcome_counts(results) == {"duplicate_file": 1, "loaded": 1, "rejected": 2}


def test_reference_date_from_triggering_events_takes_the_latest():
    class Event:
        def __init__(self, extra):
            self.extra = extra

    events = {"soepel_staging_werk": [Event({"reference_date": "2024-02-01"}), Event({})],
              "soepel_staging_onderwijs": [Event({"reference_date": "2024-03-15"})]}
    assert steps.reference_date_from_events(events) == "2024-03-15"
    assert steps.reference_date_from_events({}) is None and steps.reference_date_from_events(None) is None


def test_a_failed_task_shows_the_whole_cause(tmp_path):
    from airflow.sdk.exceptions import AirflowFailException

    cause = ("ingest: critical expectation(s) failed:\n  [critical] raw_werk: quarantine_rate — "
             "werk_GM0363_20200315.csv line 12\n  [critical] staged_werk: duplicate_keys — werk_GM0363_20200415.csv")
    with pytest.raises(AirflowFailException) as info:
        with errors.stage("ingest", tmp_path):
            raise RuntimeError(cause)
    assert cause in str(info.value)          # every line, the delivery dates in the names unmasked


def test_find_batches_reads_each_new_file_once(tmp_path, monkeypatch):
    """Finding and grouping the new files hashes each of them once (a landing zone of gigabytes is
    read once by the finding task, not again to group byte-identical files)."""
    from collections import Counter

    landing = tmp_path / "landing"
    first = write_delivery(landing / "onderwijs/onderwijs_25PZ_20240101.csv", ONDERWIJS_HEADER, [onderwijs_row()])
    (landing / "onderwijs/onderwijs_25PZ_20240201.csv").write_bytes(first.read_bytes())
    write_delivery(landing / "onderwijs/onderwijs_25PZ_20240115.csv", ONDERWIJS_HEADER,
                   [onderwijs_row(inschrijving_id="E2")])
    _settled(landing)
    reads, real_open = Counter(), Path.open

    def counting_open(path, *args, **kwargs):
        if landing in path.parents:
            reads.update([path.name])
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(Path, "open", counting_open)
    monkeypatch.setenv("SOEPEL_PSEUDONYM_KEY", TEST_KEY_TEXT)
    monkeypatch.setattr(steps, "resolve_settings", lambda params: config.resolve_settings(
        params, variable=lambda n: None, connection=lambda n: None))
    found = steps.find_batches({"landing_dir": str(landing), "warehouse_dir": str(tmp_path / "wh")})
    assert found["files"] == 3
    assert reads == Counter({name: 1 for name in ("onderwijs_25PZ_20240101.csv", "onderwijs_25PZ_20240201.csv",
                                                  "onderwijs_25PZ_20240115.csv")})
