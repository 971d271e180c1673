"""Task processes inherit Great Expectations from the process that forks them
(plugins/soepel_airflow/warm_up.py). The stack test (tests/stack) checks it under a real scheduler
and real Celery workers; here: which process warms up, and that a forked child never removes the
suites folder of the context it inherited."""

from __future__ import annotations

import os

import pytest

import tests.airflow.helpers  # noqa: F401  (sets up the Airflow environment and sys.path first)

from soepel_airflow import warm_up  # noqa: E402


@pytest.mark.parametrize("argv, executors, expected", [
    (["airflow", "scheduler"], "LocalExecutor", True),
    (["/opt/venv/bin/airflow", "scheduler", "--skip-serve-logs"], "LocalExecutor", True),
    (["airflow", "scheduler"], "airflow.executors.local_executor.LocalExecutor", True),
    (["airflow", "scheduler"], "CeleryExecutor,LocalExecutor", True),
    (["airflow", "scheduler"], "CeleryExecutor", False),           # its workers warm up themselves
    (["airflow", "triggerer"], "LocalExecutor", False),
    (["airflow", "dag-processor"], "LocalExecutor", False),
    (["airflow", "dags", "test", "soepel_ingest"], "LocalExecutor", False),   # in-process, imports as it goes
    (["airflow"], "LocalExecutor", False),
])
def test_only_a_scheduler_that_forks_local_workers_warms_up(argv, executors, expected):
    assert warm_up.forks_local_workers(argv, executors) is expected


@pytest.mark.parametrize("value, expected", [(None, True), ("true", True), ("1", True), ("false", False),
                                             ("0", False), ("off", False), (" No ", False)])
def test_warm_up_can_be_turned_off(value, expected):
    environ = {} if value is None else {warm_up.ENV: value}
    assert warm_up.enabled(environ) is expected


def test_a_forked_child_leaves_the_inherited_suites_folder(tmp_path):
    from soepel_etl.quality.context import _remove_if_mine

    folder = tmp_path / "suites"
    folder.mkdir()
    pid = os.fork()
    if pid == 0:       # the child exits as a task process would, running the parent's exit handler
        _remove_if_mine(folder, os.getppid())
        os._exit(0)
    assert os.waitpid(pid, 0)[1] == 0
    assert folder.is_dir()
    _remove_if_mine(folder, os.getpid())
    assert not folder.exists()


def test_a_failed_warm_up_never_stops_the_scheduler_or_worker(monkeypatch, caplog):
    from soepel_etl import pipeline

    def broken():
        raise ImportError("great_expectations is broken here")
    monkeypatch.setattr(pipeline, "warm_up", broken)
    monkeypatch.delenv(warm_up.ENV, raising=False)
    assert warm_up.warm_up() == 0.0
    assert "each task will import it itself" in caplog.text
