"""Which failures are worth a retry, and what a failed task says.

* Transient: :class:`~soepel_etl.warehouse.transaction.WarehouseBusy` (another run held the lock
  longer than the task waited) and other ``OSError`` (a network share hiccup, a full temp disk) are
  re-raised unchanged; the task's ``retry_policy`` retries them with exponential back-off.
* Configuration: a path that does not exist, is not a folder or may not be read
  (``FileNotFoundError``, ``NotADirectoryError``, ``IsADirectoryError``, ``PermissionError``), a
  missing or short key, a broken reference folder. Retrying cannot help: the task fails at once.
* Data: anything else the pipeline raises while reading staged data or building (a corrupt Parquet
  file, a broken row-count invariant, a failed check). Retrying cannot help either: the task fails
  at once with :class:`AirflowFailException`.

In every failed case the pipeline already rolled its transaction back: the warehouse is as it was.
Messages are passed through :func:`soepel_etl.privacy.scrub` (no identifiers or dates from rows).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import traceback
from collections.abc import Iterator
from pathlib import Path

from airflow.sdk import ExceptionRetryPolicy, RetryAction, RetryRule
from airflow.sdk.exceptions import AirflowException, AirflowFailException

log = logging.getLogger(__name__)

WAREHOUSE_BUSY = "soepel_etl.warehouse.transaction.WarehouseBusy"
CONFIGURATION_OS_ERRORS = (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError)

RETRY_POLICY = ExceptionRetryPolicy(
    rules=[
        RetryRule(exception=WAREHOUSE_BUSY, action=RetryAction.RETRY,
                  reason="the warehouse lock is held by another run; retrying with back-off"),
        RetryRule(exception=list(CONFIGURATION_OS_ERRORS), action=RetryAction.FAIL,
                  reason="a configured path is missing or unreadable; retrying cannot help"),
        RetryRule(exception=OSError, action=RetryAction.RETRY,
                  reason="transient I/O error; retrying with back-off"),
    ],
    default=RetryAction.DEFAULT,
)

# defaults every task of the three DAGs shares
RETRIES = 3
RETRY_DELAY = dt.timedelta(minutes=1)
RETRY_EXPONENTIAL_BACKOFF = 2.0
MAX_RETRY_DELAY = dt.timedelta(minutes=30)


def _is_transient(exc: BaseException) -> bool:
    from soepel_etl.pipeline import WarehouseBusy

    if isinstance(exc, WarehouseBusy):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, CONFIGURATION_OS_ERRORS)


@contextlib.contextmanager
def stage(what: str, warehouse: Path | str | None = None) -> Iterator[None]:
    """Run one pipeline stage: transient errors propagate (retried), the rest fail the task at once."""
    try:
        yield
    except AirflowException:
        raise
    except Exception as exc:
        from soepel_etl.privacy import scrub

        if _is_transient(exc):
            raise
        message = scrub(str(exc))
        kind = "configuration error" if _configuration(exc) else "data error"
        where = f"the warehouse {warehouse} is unchanged (the run rolled back); " if warehouse else ""
        # the original message may quote delivered values: log where it happened (frames only), not what
        log.error("%s raised %s at:\n%s", what, type(exc).__name__, "".join(traceback.format_tb(exc.__traceback__)))
        raise AirflowFailException(
            f"{what} failed on a {kind}, not retried: {type(exc).__name__}: {message}\n"
            f"{where}see this task's log and docs/airflow.md ('When a run fails')"
        ) from None


def _configuration(exc: BaseException) -> bool:
    from soepel_etl.settings import PseudonymKeyError, ReferenceError

    return isinstance(exc, CONFIGURATION_OS_ERRORS + (PseudonymKeyError, ReferenceError))
