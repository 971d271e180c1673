"""Concurrency: two runs against one warehouse never interleave. The second refuses at once with a
clear message (the CLI: exit code 2), or — the DAG path, pipeline functions with ``wait_seconds`` —
waits for the first to finish and then runs; the warehouse ends exactly as after one run.
"""

from __future__ import annotations

import time

import pytest

from soepel_etl import pipeline
from soepel_etl.warehouse.transaction import LOCK, WarehouseBusy
from tests.conftest import settings_for
from tests.reliability import helpers as h

BUSY = "another soepel-etl run is using the warehouse"


@pytest.fixture
def case(prepared):
    """(delta landing, warehouse before, state after one complete run)."""
    delta, wh_base, wh_after, _ = prepared
    return delta, wh_base, h.state(wh_after)


def _wait_for_lock(wh, pid: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lock = wh / LOCK
        if lock.exists() and lock.read_text().startswith(f"pid {pid} "):
            return
        time.sleep(0.02)
    raise AssertionError("the first run never took the lock")


def test_two_cli_runs_at_once_one_refuses(case, tmp_path):
    delta, wh_base, after = case
    wh = h.copy_warehouse(wh_base, tmp_path / "wh")
    first = h.start_cli(delta, wh)
    second = h.start_cli(delta, wh)
    results = [h.output(p) for p in (first, second)]
    codes = sorted(r[2] for r in results)
    assert codes == [0, 2], [r[1][-400:] for r in results]
    refused = next(r for r in results if r[2] == 2)
    assert BUSY in refused[1] and "try again" in refused[1]
    assert refused[0] == ""                               # no half summary on stdout
    assert h.state(wh) == after
    assert h.orphans(wh) == []
    again = h.run_cli(delta, wh)                          # the refused run, retried: nothing left to do
    assert again.returncode == 0 and "0 loaded" in again.stdout and "skipped" in again.stdout
    assert h.state(wh) == after


def test_dag_path_refuses_or_waits_while_cli_runs(case, tmp_path):
    delta, wh_base, after = case
    wh = h.copy_warehouse(wh_base, tmp_path / "wh")
    settings = settings_for(delta, wh)
    cli = h.start_cli(delta, wh)
    try:
        _wait_for_lock(wh, cli.pid)
        started = time.monotonic()
        with pytest.raises(WarehouseBusy, match=BUSY):
            pipeline.build_only(settings, wait_seconds=0)
        with pytest.raises(WarehouseBusy, match=BUSY):
            pipeline.ingest_files(settings, wait_seconds=0.6)
        assert time.monotonic() - started >= 0.5          # it did wait before refusing
        # the Airflow tasks wait (LOCK_WAIT_SECONDS): this one starts once the CLI run committed
        summary = pipeline.run(settings, wait_seconds=300)
        stdout, stderr, code = h.output(cli, timeout=120)
        assert code == 0, stderr[-2000:]
    finally:
        if cli.poll() is None:
            cli.kill()
            h.output(cli)
    assert summary.records == [] and summary.build is None   # everything was done by the CLI run
    assert h.state(wh) == after
    assert h.orphans(wh) == []
