"""What the quality run sees of a build: the reductions of every core table and mart, computed on
the build's connection while each table is at hand (:mod:`.reductions`), and the between-builds
regressions (:mod:`.regressions`). The pipeline passes an instance to the build as its observer
and hands the frames to the quality run afterwards; the build itself knows nothing of GX."""

from __future__ import annotations

import pandas as pd

from ..warehouse.transaction import Transaction
from .reductions import core_frame, core_profile_sql, mart_frame
from .regressions import regression_frames


class BuildChecks:
    def __init__(self, tx: Transaction, outflow_drop_max: float, onbekend_rise_max: float):
        self.tx = tx
        self.outflow_drop_max, self.onbekend_rise_max = outflow_drop_max, onbekend_rise_max
        self.frames: dict[str, pd.DataFrame] = {}

    def _keep(self, name: str, frame: pd.DataFrame | None) -> None:
        if frame is not None:
            self.frames[name] = frame

    def table_built(self, con, model) -> None:
        reduce = core_frame if model.layer == "core" else mart_frame
        self._keep(model.relation, reduce(con, model.table))

    def range_built(self, con, model, part: int) -> None:
        """Accumulate the reduction the core suites check, range by range (persons never span ranges)."""
        query = core_profile_sql(model.table, model.relation)
        if query is None:
            return
        if part == 0:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {model.table}_profile AS {query}")
        else:
            con.execute(f"INSERT INTO {model.table}_profile {query}")

    def build_finished(self, con, coverage) -> None:
        """Against the committed build: coverage, final figures, outflows per cohort, onbekend."""
        self.frames.update(regression_frames(con, self.tx, coverage, self.outflow_drop_max, self.onbekend_rise_max))
