"""Between builds: what the new build (in the run's folder) says against the committed one.

The model checks in ``suites.py`` ask whether a build agrees with itself; these ask whether it agrees
with the build before it, which is where real regressions show (a lost staging file, a model that
drops rows, a coverage rule gone wrong). Each is a small DuckDB reduction — counts per coverage
kind, per cohort, per build — handed to GX like every other reduction; no identifier value leaves
DuckDB (person keys are only joined on, never returned).

The previous build is the committed warehouse (``tx.root``): its latest ``_meta/builds`` row and its
``marts/outflow_outcomes``. A first build has nothing to compare with and skips these suites.
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import pandas as pd

from ..schema.rules import optional_month_index
from ..schema.sql import parquet
from ..warehouse.builds import BUILDS, COVERAGE
from ..warehouse.loads import LOADS
from ..warehouse.transaction import Transaction
from .policy import BATCH_COLUMN

log = logging.getLogger(__name__)

OUTFLOWS = "marts/outflow_outcomes"
# the 24-month figures of an outflow that are final once final_24 is (warehouse/changes.py)
FINAL_24 = ("status_24", "months_werk_24", "months_onderwijs_24", "months_werkend_lerend_24", "months_uitkering_24",
            "months_geen_24", "months_onbekend_24", "sustained_destination_24", "sustained_work_24", "final_24",
            "statuses_24")


def _parquet(folder: Path) -> list[str]:
    return sorted(str(p) for p in Path(folder).rglob("*.parquet")) if Path(folder).is_dir() else []


def previous_build(root: Path) -> dict | None:
    files = _parquet(Path(root) / BUILDS)
    if not files:
        return None
    rows = duckdb.sql(f"SELECT * FROM {parquet(files, union_by_name='true')} ORDER BY built_at DESC LIMIT 1"
                      ).to_arrow_table().to_pylist()
    return rows[0] if rows else None


def previously_active_senders(root: Path, previous: dict) -> set[str] | None:
    """The werk senders the previous build counted as active (None: that build kept no record)."""
    path = Path(root) / COVERAGE / f"{previous.get('run_id')}.parquet"
    if not path.is_file():
        return None
    return {r[0] for r in duckdb.sql(f"SELECT sender FROM {parquet(path)} WHERE active").fetchall()}


def joined_senders_holding_back(coverage, previously_active: set[str] | None) -> list[str]:
    """Senders that hold the employment month back now and were not active in the previous build:
    a municipality that starts (or resumes) delivering with data that end earlier than the others'.
    The spec makes the month wait for it (extracts.md, werk), so the month moving back is expected,
    not a regression; a sender that was active before and now covers less is one."""
    if previously_active is None:
        return []
    holding = [s.sender for s in getattr(coverage, "holding_back", [])]
    return [s for s in holding if s not in previously_active] if holding and all(
        s not in previously_active for s in holding) else []


def coverage_frame(previous: dict, coverage, joined: list[str] = ()) -> pd.DataFrame:
    rows = []
    for kind, before, now in (("employment", previous.get("employment_coverage_month"), coverage.employment_month),
                              ("education", previous.get("education_coverage_month"), coverage.education_month)):
        if before is None:
            continue
        b, n = optional_month_index(before), optional_month_index(now)
        n = -1 if n is None else n
        back = max(b - n, 0)
        # explained: the employment month waits for a sender that joined since (named in the log)
        explained = back if kind == "employment" and joined else 0
        rows.append({BATCH_COLUMN: f"coverage/{kind}", "previous_month_index": b, "month_index": n,
                     "months_back": back - explained, "months_back_explained": explained})
    return pd.DataFrame(rows, columns=[BATCH_COLUMN, "previous_month_index", "month_index", "months_back",
                                       "months_back_explained"])


def _touched_relation(con, tx: Transaction, previous: dict) -> str:
    """Person keys of every record loaded since the previous build: this run's staged files, and
    committed ones whose load came after that build (ingest and build can be separate runs)."""
    files = _parquet(tx.tmp / "staging")
    loads = _parquet(tx.root / LOADS)
    if loads:
        later = con.execute(f"SELECT DISTINCT source, load_id FROM {parquet(loads, union_by_name='true')} "
                            "WHERE outcome = 'loaded' AND loaded_at > ?", [previous["built_at"]]).fetchall()
        files += [str(p) for source, load_id in later
                  if (p := tx.root / "staging" / str(source) / f"{load_id}.parquet").is_file()]
    if not files:
        return "(SELECT CAST(NULL AS VARCHAR) AS person_key WHERE false)"
    return f"(SELECT DISTINCT person_key FROM {parquet(sorted(set(files)), union_by_name='true')})"


def final_figures_frame(con, tx: Transaction, previous: dict, joined: list[str] = ()) -> pd.DataFrame | None:
    old = _parquet(tx.root / OUTFLOWS)
    if not old:
        return None
    old_columns = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {parquet(old, union_by_name='true')}"
                                             ).fetchall()}
    new_columns = {r[0] for r in con.execute("DESCRIBE marts_outflow_outcomes").fetchall()}
    compared = [c for c in FINAL_24 if c in old_columns and c in new_columns]
    if "final_24" not in compared:
        return None
    figures = ", ".join(compared)
    row = con.execute(f"""
        WITH before AS (
            SELECT brin, enrolment_id, person_key, hash({figures}) AS h
            FROM {parquet(old, union_by_name='true')} WHERE final_24
        ), now AS (
            SELECT brin, enrolment_id, final_24, hash({figures}) AS h FROM marts_outflow_outcomes
        ), changed AS (
            -- with a sender that joined holding the month back, an outflow that is no longer final
            -- follows that expected move (extracts.md, werk): only one final in both builds counts
            SELECT b.person_key FROM before AS b LEFT JOIN now AS n USING (brin, enrolment_id)
            WHERE n.h IS DISTINCT FROM b.h AND (NOT {bool(joined)} OR n.h IS NULL OR n.final_24)
        )
        SELECT count(*) AS changed,
               count(*) FILTER (WHERE person_key IN (SELECT person_key FROM {_touched_relation(con, tx, previous)}))
                   AS explained
        FROM changed""").fetchone()
    changed, explained = int(row[0]), int(row[1])
    return pd.DataFrame([{BATCH_COLUMN: OUTFLOWS, "changed": changed, "explained": explained,
                          "unexplained": changed - explained}])


def outflows_frame(con, tx: Transaction, drop_share_max: float) -> pd.DataFrame | None:
    old = _parquet(tx.root / OUTFLOWS)
    if not old:
        return None
    df = con.execute(f"""
        WITH before AS (SELECT cohort, count(*) AS n FROM {parquet(old, union_by_name='true')} GROUP BY cohort),
             now AS (SELECT cohort, count(*) AS n FROM marts_outflow_outcomes GROUP BY cohort)
        SELECT '{OUTFLOWS} cohort ' || b.cohort AS {BATCH_COLUMN}, b.n AS previous_outflows,
               coalesce(n.n, 0) AS outflows,
               greatest(b.n - coalesce(n.n, 0), 0) / b.n AS drop_share, ? AS drop_share_max
        FROM before AS b LEFT JOIN now AS n USING (cohort) ORDER BY b.cohort""", [float(drop_share_max)]).fetchdf()
    return df


def onbekend_frame(con, previous: dict, onbekend_share_max: float,
                   observed_until: int | None = None) -> pd.DataFrame | None:
    """'onbekend' among the person-months of the months the previous build observed.

    Observation is per month and the same for everyone (definitions.md: m ≤ both coverage months), so
    the person-months the previous build had observed are the rows of months up to its observed-until
    month, and none of them was 'onbekend' there (status 'onbekend' ⇔ not observed). Their share of
    'onbekend' now is therefore the rise. Counted from the new build's per-month profile (no rescan).
    """
    e, o = (optional_month_index(previous.get("employment_coverage_month")),
            optional_month_index(previous.get("education_coverage_month")))
    if e is None or o is None:
        return None
    # with a sender that joined holding the month back (``observed_until``: the new build's month),
    # the months it no longer observes are 'onbekend' as the spec wants: compare the months both observe
    bound = min(e, o, observed_until) if observed_until is not None else min(e, o)
    row = con.execute("SELECT coalesce(sum(rows), 0), coalesce(sum(onbekend), 0) FROM person_month_profile "
                      "WHERE month_index <= ?", [bound]).fetchone()
    observed, unknown = int(row[0]), int(row[1])
    return pd.DataFrame([{BATCH_COLUMN: "core/person_month", "previously_observed": observed, "onbekend": unknown,
                          "onbekend_share": unknown / observed if observed else 0.0,
                          "onbekend_share_max": float(onbekend_share_max)}])


def regression_frames(con, tx: Transaction, coverage, outflow_drop_max: float,
                      onbekend_rise_max: float) -> dict[str, pd.DataFrame]:
    """``regression_<check>`` → reduction, for every check that has a previous build to compare with."""
    previous = previous_build(tx.root)
    if previous is None:
        return {}
    joined = joined_senders_holding_back(coverage, previously_active_senders(tx.root, previous))
    if joined:
        log.warning("the employment coverage month moved back to %s: it waits for werk sender(s) %s, active now "
                    "and not in the previous build (extracts.md, werk)", coverage.employment_month, ", ".join(joined))
    observed_until = coverage.observed_until_index if joined else None
    frames = {"regression_coverage": coverage_frame(previous, coverage, joined),
              "regression_final_figures": final_figures_frame(con, tx, previous, joined),
              "regression_outflows_per_cohort": outflows_frame(con, tx, outflow_drop_max),
              "regression_onbekend": onbekend_frame(con, previous, onbekend_rise_max, observed_until)}
    return {name: frame for name, frame in frames.items() if frame is not None and len(frame)}
