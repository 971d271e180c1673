"""Final figures that a build changed: ``_meta/changes/<run_id>.parquet``.

definitions.md: figures that are not final are provisional and change as data arrives; final figures
do not — unless a correction touches their records (an enrolment's end date corrected, a diploma
added later, an enrolment withdrawn, an employment month restated, late employment, consent
withdrawn). Such changes must be visible, so after every build the new ``marts/outflow_outcomes``
(still in the run's temporary folder) is compared with the committed one it is about to replace.

A figure is *final* in the previous build when its horizon's flag was true there: ``status_6`` with
``final_6``, ``status_12`` with ``final_12``, every ``*_24`` column with ``final_24``; the outflow's
own attributes (cohort, pilot, diploma, participation type, …) count as final once any horizon is.
Outflows are matched on (``brin``, ``enrolment_id``). An outflow whose final figures disappear (the
enrolment was withdrawn, or its end date removed) is recorded as column ``outflow``, ``present`` →
``removed``.

Each change is one row: ``run_id``, ``brin``, ``enrolment_id``, ``column``, ``old``, ``new`` (values
as text). No person_key and no value from a delivered identifier: these rows may be shown to
whoever checks why a published figure moved.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ..schema.sql import parquet

CHANGES = "_meta/changes"
OUTFLOWS = "marts/outflow_outcomes"
KEY = ("brin", "enrolment_id")
HORIZON_FLAGS = {"6": "final_6", "12": "final_12", "24": "final_24"}
NOT_COMPARED = {"person_key"}

SCHEMA = pa.schema([
    ("run_id", pa.string()),
    ("brin", pa.string()),
    ("enrolment_id", pa.string()),
    ("column", pa.string()),
    ("old", pa.string()),
    ("new", pa.string()),
])


def _files(table_dir: Path) -> list[str]:
    return sorted(str(f) for f in Path(table_dir).rglob("*.parquet")) if Path(table_dir).is_dir() else []


def _flag_of(column: str) -> str | None:
    """The final_* flag that makes ``column`` final (None: an attribute of the outflow)."""
    for suffix, flag in HORIZON_FLAGS.items():
        if column.endswith(f"_{suffix}") and column != flag:
            return flag
    return None


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def final_changes(previous_dir: Path, new_dir: Path) -> list[dict]:
    """Every final figure of the previous build that the new build changes (empty on a first build).

    The comparison runs in DuckDB (millions of outflows at national scale); only the changed values
    come back to Python, where they are turned into text.
    """
    old_files, new_files = _files(previous_dir), _files(new_dir)
    if not old_files or not new_files:
        return []
    con = duckdb.connect(config={"threads": 2, "memory_limit": "2GB"})
    try:
        con.execute(f"CREATE VIEW old AS SELECT * FROM {parquet(old_files, union_by_name='true')}")
        con.execute(f"CREATE VIEW new AS SELECT * FROM {parquet(new_files, union_by_name='true')}")
        old_columns = [r[0] for r in con.execute("DESCRIBE old").fetchall()]
        new_columns = {r[0] for r in con.execute("DESCRIBE new").fetchall()}
        if not set(KEY) <= set(old_columns) or not set(KEY) <= new_columns:
            return []
        flags = [f for f in HORIZON_FLAGS.values() if f in old_columns]
        if not flags:
            return []
        compared = [c for c in old_columns if c in new_columns and c not in KEY and c not in NOT_COMPARED]
        any_final = " OR ".join(f"coalesce(o.{f}, false)" for f in flags)
        branches = ["SELECT o.brin, o.enrolment_id, -1 AS position, 'outflow' AS column, "
                    "'present' AS old, 'removed' AS new FROM final AS o WHERE NOT o.matched"]
        for position, column in enumerate(compared):
            flag = column if column in flags else _flag_of(column)
            final = f"coalesce(o.{flag}, false)" if flag is not None else "true"
            branches.append(
                f"SELECT o.brin, o.enrolment_id, {position}, '{column}', o.{column}::VARCHAR, n.{column}::VARCHAR "
                f"FROM final AS o JOIN new_suspects AS n USING (brin, enrolment_id) "
                f"WHERE {final} AND o.{column} IS DISTINCT FROM n.{column}")
        # outflows final at some horizon in the previous build whose compared values hash differently
        # in the new build (or are gone): only these can have changed final figures; the column by
        # column comparison below runs on them alone
        row_hash = f"hash({', '.join(compared)})"
        con.execute(f"""CREATE TEMP TABLE suspects AS
            WITH o AS (SELECT brin, enrolment_id, {row_hash} AS h FROM old AS o WHERE {any_final}),
                 n AS (SELECT brin, enrolment_id, {row_hash} AS h FROM new)
            SELECT o.brin, o.enrolment_id, n.h IS NOT NULL AS matched
            FROM o LEFT JOIN n USING (brin, enrolment_id) WHERE o.h IS DISTINCT FROM n.h""")
        con.execute("""CREATE TEMP TABLE final AS
            SELECT o.*, s.matched FROM old AS o JOIN suspects AS s USING (brin, enrolment_id)""")
        con.execute("CREATE TEMP TABLE new_suspects AS SELECT * FROM new SEMI JOIN suspects USING (brin, enrolment_id)")
        changed = con.execute(" UNION ALL ".join(branches)).fetchall()
        rows = {(b, e, p): (c, ov, nv) for b, e, p, c, ov, nv in changed}
        if not rows:
            return []
        # the text of a value is Python's (_text): fetch the changed outflows' native rows in one go
        con.execute("CREATE TEMP TABLE changed_keys (brin VARCHAR, enrolment_id VARCHAR)")
        con.executemany("INSERT INTO changed_keys VALUES (?, ?)", sorted({(b, e) for b, e, _ in rows}))
        native = {}
        for side in ("old", "new"):
            cur = con.execute(f"SELECT * FROM {side} SEMI JOIN changed_keys USING (brin, enrolment_id)")
            names = [d[0] for d in cur.description]
            for values in cur.fetchall():
                row = dict(zip(names, values))
                native[(side, row["brin"], row["enrolment_id"])] = row
        out: list[dict] = []
        keys = sorted({(b, e) for b, e, _ in rows}, key=lambda k: tuple("" if v is None else str(v) for v in k))
        for brin, enrolment_id in keys:
            cells = sorted((p, c) for (b, e, p), (c, _, _) in rows.items() if (b, e) == (brin, enrolment_id))
            if cells[0][0] == -1:
                out.append(dict(brin=_text(brin), enrolment_id=_text(enrolment_id), column="outflow",
                                old="present", new="removed"))
                continue
            old, new = native[("old", brin, enrolment_id)], native[("new", brin, enrolment_id)]
            for _, name in cells:
                out.append(dict(brin=_text(brin), enrolment_id=_text(enrolment_id), column=name,
                                old=_text(old[name]), new=_text(new[name])))
        return out
    finally:
        con.close()


def outflows_changed(changes: list[dict]) -> int:
    return len({(c["brin"], c["enrolment_id"]) for c in changes})


def describe(changes: list[dict]) -> list[str]:
    """One line per outflow: ``<brin>/<enrolment_id>: column old→new, …``."""
    by_outflow: dict[tuple, list[str]] = {}
    for c in changes:
        by_outflow.setdefault((c["brin"], c["enrolment_id"]), []).append(
            f"{c['column']} {c['old'] if c['old'] is not None else '-'}→{c['new'] if c['new'] is not None else '-'}")
    return [f"{brin}/{enrolment_id}: {', '.join(parts)}" for (brin, enrolment_id), parts in by_outflow.items()]


def write_changes(changes: list[dict], run_id: str, path: Path) -> None:
    rows = [{"run_id": run_id, **c} for c in changes]
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), path)
