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

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

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


def _rows(table_dir: Path) -> tuple[list[str], dict[tuple, dict]] | None:
    files = sorted(Path(table_dir).rglob("*.parquet")) if Path(table_dir).is_dir() else []
    if not files:
        return None
    table = ds.dataset([str(f) for f in files], format="parquet", partitioning="hive").to_table()
    if not set(KEY) <= set(table.column_names):
        return None
    columns = [c for c in table.column_names if c not in NOT_COMPARED]
    rows = {}
    for row in table.select(columns).to_pylist():
        rows[(row["brin"], row["enrolment_id"])] = row
    return columns, rows


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
    """Every final figure of the previous build that the new build changes (empty on a first build)."""
    previous = _rows(previous_dir)
    new = _rows(new_dir)
    if previous is None or new is None:
        return []
    old_columns, old_rows = previous
    new_columns, new_rows = new
    flags = [f for f in HORIZON_FLAGS.values() if f in old_columns]
    compared = [c for c in old_columns if c in new_columns and c not in KEY]
    out: list[dict] = []
    for key in sorted(old_rows, key=lambda k: tuple("" if v is None else str(v) for v in k)):
        old = old_rows[key]
        final = {f for f in flags if old.get(f)}
        if not final:
            continue            # provisional everywhere: free to change
        brin, enrolment_id = (_text(v) for v in key)
        current = new_rows.get(key)
        if current is None:
            out.append(dict(brin=brin, enrolment_id=enrolment_id, column="outflow", old="present", new="removed"))
            continue
        for column in compared:
            flag = column if column in flags else _flag_of(column)
            if flag is not None and flag not in final:
                continue        # a provisional figure of an outflow that is final at another horizon
            if _text(old[column]) != _text(current[column]):
                out.append(dict(brin=brin, enrolment_id=enrolment_id, column=column,
                                old=_text(old[column]), new=_text(current[column])))
    return out


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
