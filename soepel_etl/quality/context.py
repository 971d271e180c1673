"""One Great Expectations context per process, lent to each run.

Importing GX and building its context costs seconds; a pipeline run validates in a fraction of
that. A process that runs several pipeline runs (``airflow dags test``, a long-lived worker, a test
session) therefore builds the context once and keeps it: the suites, the pandas data source and
one checkpoint per (stage, suite) are made once. What is the run's own — where validation results
and Data Docs are written — is pointed at the run's transaction each time the context is used, so
results still commit (or vanish) with the run.

The context is rebuilt when the suites change (``$SOEPEL_EXPECTATIONS_DIR``, another GX project):
it is keyed by a digest of the suites' texts. Use is serialised by a lock, because the run's paths
are set on the shared object; runs in one process are rare and short in their GX part.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from .policy import RESULT_FORMAT
from .project import suite_texts

log = logging.getLogger(__name__)

SITE = "soepel"
DATA_SOURCE = "soepel"

_lock = threading.RLock()
_shared: "SharedContext | None" = None


def _digest(texts: dict[str, str]) -> str:
    h = hashlib.sha256()
    for name in sorted(texts):
        h.update(name.encode() + b"\0" + texts[name].encode() + b"\0")
    return h.hexdigest()


def _fs(base: Path) -> dict:
    # GX refuses a relative base_directory without a project root
    return {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(Path(base).absolute())}


def _site(docs: Path) -> dict:
    # GX's own page views, but with their Jinja templates compiled once per process (docs_views.py)
    from . import docs_views   # imports GX: only when a context is built

    sections = {name: {"view": docs_views.page_view()} for name in ("expectations", "validations", "profiling")}
    return {"class_name": "SiteBuilder", "show_how_to_buttons": False, "store_backend": _fs(docs),
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder", "view": docs_views.index_page_view()},
            "site_section_builders": sections}


def _remove_if_mine(folder: Path, owner: int) -> None:
    # a context built before a fork (Airflow's task parents, soepel_airflow/warm_up.py) is shared
    # by the forked processes: only the process that made the folder removes it
    if os.getpid() == owner:
        shutil.rmtree(folder, ignore_errors=True)


class SharedContext:
    """An ephemeral GX context with the project's suites, its data source and checkpoints."""

    def __init__(self, texts: dict[str, str], digest: str):
        started = time.perf_counter()
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx  # noqa: F401  (slow import: only when something is validated)
        from great_expectations.data_context.types.base import DataContextConfig, ProgressBarsConfig

        self.digest = digest
        # GX's filesystem stores write into the folder they read from and the project may be
        # read-only: the context reads a private copy of the suites (package data, no personal data)
        self._suites = Path(tempfile.mkdtemp(prefix="soepel-gx-suites-"))
        atexit.register(_remove_if_mine, self._suites, os.getpid())
        for name, text in texts.items():
            (self._suites / f"{name}.json").write_text(text, encoding="utf-8")
        # results and docs go to the run's transaction (use()); until then, to an empty placeholder
        placeholder = self._suites / "unused"
        memory = {"class_name": "InMemoryStoreBackend"}
        config = DataContextConfig(
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
            stores={
                "expectations_store": {"class_name": "ExpectationsStore", "store_backend": _fs(self._suites)},
                "validation_results_store": {"class_name": "ValidationResultsStore",
                                             "store_backend": _fs(placeholder)},
                "checkpoint_store": {"class_name": "CheckpointStore", "store_backend": memory},
                "validation_definition_store": {"class_name": "ValidationDefinitionStore", "store_backend": memory},
            },
            expectations_store_name="expectations_store",
            validation_results_store_name="validation_results_store",
            checkpoint_store_name="checkpoint_store",
            data_docs_sites={SITE: _site(placeholder)},
        )
        self.ctx = gx.get_context(project_config=config, mode="ephemeral")
        self._source = self.ctx.data_sources.add_pandas(DATA_SOURCE)
        self._checkpoints: dict[str, object] = {}
        self._folders: tuple[str, str] | None = None     # where use() last pointed results and docs
        self.seconds = time.perf_counter() - started
        log.info("quality: GX context built in %.2fs (kept for this process)", self.seconds)

    def has_suites(self, texts: dict[str, str]) -> bool:
        """Its private copy of the suites is still on disk. GX reads a suite from it at every
        validation, and a context may now live as long as a scheduler or Celery worker
        (soepel_airflow/warm_up.py): a /tmp cleaner may remove the copy meanwhile."""
        return all((self._suites / f"{name}.json").is_file() for name in texts)

    def use(self, results: Path, docs: Path) -> None:
        """Point validation results and Data Docs at this run's folders (call with the lock held)."""
        folders = (str(Path(results).absolute()), str(Path(docs).absolute()))
        # a run validates ~20 suites into the same folders; GX's site update (it builds a new site
        # configuration and its page views) was 0.4 s of a small run's 6 s when repeated for each
        if folders == self._folders:
            return
        # GX has no public way to move a store: its filesystem backend keeps the folder here
        self.ctx.validation_results_store.store_backend.full_base_directory = folders[0]
        self.ctx.update_data_docs_site(SITE, _site(docs))
        self._folders = folders

    def checkpoint(self, stage: str, suite_name: str):
        """The checkpoint validating a whole DataFrame against ``suite_name`` (made once)."""
        import great_expectations as gx

        # a suite belongs to one stage (raw_/staged_: ingest; the others: build), so it names its
        # asset and validation definition, as it did when each run had a context of its own
        found = self._checkpoints.get(suite_name)
        if found is None:
            suite = self.ctx.suites.get(suite_name)
            asset = self._source.add_dataframe_asset(suite_name)
            batch = asset.add_batch_definition_whole_dataframe("reduction")
            vd = self.ctx.validation_definitions.add(gx.ValidationDefinition(name=suite_name, data=batch, suite=suite))
            found = self.ctx.checkpoints.add(gx.Checkpoint(name=f"{stage}.{suite_name}", validation_definitions=[vd],
                                                           actions=[], result_format=RESULT_FORMAT))
            self._checkpoints[suite_name] = found
        return found


def lock() -> threading.RLock:
    """Held while a run uses the shared context (its folders are set on it)."""
    return _lock


def shared() -> SharedContext:
    """This process's context for the current suites (built on first use, or when they changed).
    Call with :func:`lock` held."""
    global _shared
    texts = suite_texts()
    digest = _digest(texts)
    if _shared is None or _shared.digest != digest or not _shared.has_suites(texts):
        _shared = SharedContext(texts, digest)
    return _shared


def warm_up() -> float:
    """Import GX and build the context now, in a process that forks task processes (Airflow's
    scheduler for the LocalExecutor, a Celery worker: soepel_airflow/warm_up.py), so that each of
    them inherits it; returns the seconds it took (0 when it was ready)."""
    with _lock:
        ready = _shared is not None
        started = time.perf_counter()
        shared()
    return 0.0 if ready else time.perf_counter() - started
