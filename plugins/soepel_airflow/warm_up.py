"""Task processes start with Great Expectations imported and its context built.

Under Airflow 3 on Linux every task runs in a process *forked* (no exec) from a long-lived parent:
the LocalExecutor's workers, which the scheduler forks when it starts, or the pool processes of a
Celery worker, forked from the worker's main process. Importing GX costs ~3 s of CPU, and every
ingest and build task paid it again in its own process (``soepel_etl.quality.context`` only keeps
the context for the life of one process). Imported once in that parent before it forks, every
task process inherits the import and the built context (docs/airflow.md, "Task start-up").

Two hooks, one per executor, both running before the fork:

- LocalExecutor: ``plugins/soepel_warm_up.py`` registers this module as an Airflow listener; its
  ``on_starting`` runs when the scheduler creates its job, before the executor starts its workers.
- CeleryExecutor: :mod:`.celery_config` connects Celery's ``import_modules`` signal, which Airflow
  itself uses to preload modules in a worker before the pool forks.

``SOEPEL_WARM_UP=false`` turns it off: the scheduler (or Celery worker) then stays ~200 MB smaller and
each task imports GX itself.
"""

from __future__ import annotations

import logging
import os
import sys

from airflow.listeners import hookimpl

log = logging.getLogger("soepel_airflow")

ENV = "SOEPEL_WARM_UP"


def enabled(environ=None) -> bool:
    value = (os.environ if environ is None else environ).get(ENV, "true").strip().lower()
    return value not in ("0", "false", "no", "off")


def warm_up() -> float:
    """Import GX and build the project's context in this process; the seconds it took (0: ready or off)."""
    if not enabled():
        return 0.0
    try:
        from soepel_etl import pipeline

        seconds = pipeline.warm_up()
    except Exception:     # never stop a scheduler or worker for it: each task then imports GX itself
        log.warning("soepel: could not import Great Expectations before task processes fork; each task "
                    "will import it itself", exc_info=True)
        return 0.0
    if seconds:
        log.info("soepel: Great Expectations imported and its context built in %.1fs, before task "
                 "processes fork (pid %d)", seconds, os.getpid())
    return seconds


def forks_local_workers(argv=None, executors: str | None = None) -> bool:
    """This process is a scheduler whose executors include the LocalExecutor (whose workers it forks).

    A listener's ``on_starting`` sees a bare ``Job`` (its runner sets the type later), so the command
    line tells the scheduler from the triggerer and the DAG processor."""
    argv = sys.argv if argv is None else argv
    if len(argv) < 2 or argv[1] != "scheduler":
        return False
    if executors is None:
        from airflow.configuration import conf

        executors = conf.get("core", "executor", fallback="")
    return any(name.strip().rsplit(".", 1)[-1] == "LocalExecutor" or name.strip().endswith(":LocalExecutor")
               for name in executors.split(","))


@hookimpl
def on_starting(component) -> None:
    # also called in every task process (component: a task-runner marker): not a job, nothing to do
    if type(component).__name__ == "Job" and forks_local_workers():
        warm_up()
