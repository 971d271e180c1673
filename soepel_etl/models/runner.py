"""The model runner: runs the models of :mod:`.catalog` in the order their inputs give, into a
Transaction.

Whole tables are built, written and checked one by one; afterwards only what later models read
stays in memory. The per-person models then run range by range of ``person_id`` (each range small
enough for memory, see docs/architecture.md), each writing its part; the whole tables that read
them (``marts/cohort_outcomes``, ``marts/cohort_work``) come last, reading the written parts back. A quality observer,
passed in by the caller, sees every table while it is at hand; the runner knows nothing of GX.
"""

from __future__ import annotations

import logging
import time
from typing import Callable, Protocol

from ..warehouse.transaction import Transaction
from ..schema.sql import literal, parquet
from . import catalog
from .catalog import Model

log = logging.getLogger(__name__)


class BuildObserver(Protocol):
    """What the caller (the pipeline, with the quality run's reductions) sees of a build."""

    def table_built(self, con, model: Model) -> None:
        """``model``'s whole table exists as ``<layer>_<table>`` (a per-range table: all its parts)."""

    def range_built(self, con, model: Model, part: int) -> None:
        """One range of a per-range ``model`` exists as ``<layer>_<table>``."""

    def build_finished(self, con, coverage) -> None:
        """Every table exists; ``coverage`` is the build's (the between-builds checks need it)."""


class PersonIdCollision(RuntimeError):
    """Two pseudonyms share the 60-bit surrogate the build joins on; the build refuses to merge them."""


def check_person_ids(con) -> None:
    # every pseudonym the build links on: enrolments, benefit spells, the pilot register
    shared = con.execute("""
        SELECT count(*) FROM (
            SELECT person_id FROM (SELECT person_id, person_key FROM core_enrolments
                                   UNION ALL SELECT person_id, person_key FROM core_benefit_spells
                                   UNION ALL SELECT person_id, person_key FROM core_participants)
            GROUP BY person_id HAVING min(person_key) <> max(person_key))""").fetchone()[0]
    if shared:
        raise PersonIdCollision(
            f"{shared} surrogate id(s) shared by more than one person_key; widen schema.rules.surrogate_id_sql")


#: the checks a model's ``-- after:`` header may name
AFTER: dict[str, Callable] = {"check_person_ids": check_person_ids}


class Runner:
    """Runs the models into ``tx``; ``rows`` and ``seconds`` per table as it goes."""

    def __init__(self, con, tx: Transaction, observer: BuildObserver | None = None):
        self.con, self.tx, self.observer = con, tx, observer
        self.rows: dict[str, int] = {}
        self.seconds: dict[str, float] = {}
        self.first, self.ranged, self.last = catalog.stages(catalog.models())

    def _timed(self, name: str, work: Callable[[], None]) -> None:
        started = time.perf_counter()
        work()
        self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - started, 2)

    def _create(self, model: Model) -> None:
        for name, value in model.settings:
            self.con.execute(f"SET {name} = {value}")
        try:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {model.relation} AS {model.sql}")
        finally:
            for name, _ in model.settings:
                self.con.execute(f"RESET {name}")

    def _whole(self, model: Model) -> None:
        self._create(model)
        if model.published:
            out = self.tx.replace_table(model.name)
            self.rows[model.name] = self.con.execute(
                f"COPY {model.relation} TO {literal(out / 'data.parquet')} (FORMAT parquet, COMPRESSION zstd)").fetchone()[0]
        if model.after:
            AFTER[model.after](self.con)
        if self.observer is not None and model.published:
            self.observer.table_built(self.con, model)

    def run_whole(self) -> None:
        """The whole tables that need nothing built per range; then keep only what later models read."""
        for model in self.first:
            self._timed(model.name, lambda: self._whole(model))
        later = {i for m in self.ranged + self.last for i in m.inputs}
        for model in self.first:
            if model.name not in later:
                self.con.execute(f"DROP TABLE {model.relation}")
            elif model.keep:
                self.con.execute(f"CREATE OR REPLACE TEMP TABLE {model.relation} AS "
                                 f"SELECT {model.keep} FROM {model.relation}")

    def run_ranges(self, ranges: list[tuple[int, int]], range_macro: Callable[[int, int], str]) -> None:
        """The per-person models, range by range, each range's part written as ``part-<i>.parquet``."""
        outputs = {m.name: self.tx.replace_table(m.name) for m in self.ranged}
        for i, (low, high) in enumerate(ranges):
            self.con.execute(range_macro(low, high))
            for model in self.ranged:
                def step(model: Model = model) -> None:
                    self._create(model)
                    published = model.publish_sql or f"SELECT * FROM {model.relation}"
                    written = self.con.execute(f"COPY ({published}) TO {literal(outputs[model.name] / f'part-{i:04d}.parquet')} "
                                               f"(FORMAT parquet, COMPRESSION zstd)").fetchone()[0]
                    self.rows[model.name] = self.rows.get(model.name, 0) + written
                    if self.observer is not None:
                        self.observer.range_built(self.con, model, i)
                self._timed(model.name, step)
        for model in self.ranged:
            # later steps and the checks read the written parts (the marts are small)
            self.con.execute(f"DROP TABLE IF EXISTS {model.relation}")
            self.con.execute(f"CREATE OR REPLACE TEMP VIEW {model.relation} AS "
                             f"SELECT * FROM {parquet(outputs[model.name] / '*.parquet')}")
        for model in self.ranged:     # once every per-range table is whole: a check may compare two
            if self.observer is not None:
                self.observer.table_built(self.con, model)

    def run_last(self) -> None:
        for model in self.last:
            self._timed(model.name, lambda: self._whole(model))

    def log_times(self) -> None:
        for name, took in self.seconds.items():
            log.info("built %s: %s rows in %.1fs", name, self.rows.get(name, "-"), took)

