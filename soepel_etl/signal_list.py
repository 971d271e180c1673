"""The RMC's signal list (definitions.md, "Signal list for the RMC").

An RMC that holds the key brings a list of its residents' BSNs and gets back, per BSN, the risk-monitor
row of that person. The list and its answer never enter the warehouse: the warehouse is only read (the
``marts/risk_monitor`` Parquet, nothing else), DuckDB runs in memory with its spill folder in a private
temporary folder outside the warehouse, and the answer is written only to the file the RMC names,
created owner-only (0600) before a byte is written. Nothing here logs a BSN: the summary holds counts.

Validation and pseudonyms come from the identity layer: the eleven-test and the 8-digit rule as the
vectorised SQL that ``tests/unit/test_identifiers.py`` proves equal to python-stdnum, and the HMAC as
:func:`~soepel_etl.identity.pseudonyms.hmac_sql` with the key's pads as bound parameters — the same
expression ingest uses, so a person's ``person_key`` here is the one in the warehouse.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .extracts.reader import Unreadable, read_delivery
from .identity.identifiers import bsn_valid_sql, normalised_sql
from .identity.pseudonyms import PseudonymKey, hmac_sql
from .schema.sql import parquet

BSN_COLUMN = "bsn"
FORMATS = ("csv", "xlsx")
RISK_MONITOR = Path("marts") / "risk_monitor"
# internal to the warehouse: the pseudonym would turn the answer into a BSN → person_key table, the
# surrogate is meaningless outside one build
LEFT_OUT = ("person_key", "person_id")
ANSWER_MODE = 0o600


class SignalListError(ValueError):
    """The list or the request cannot be answered; the message never quotes a value of the list."""


@dataclass(frozen=True)
class SignalListSummary:
    out: Path
    rows: int
    invalid: int
    in_monitor: int
    reference_month: str | None

    def lines(self) -> list[str]:
        return [f"signal list: {self.rows} BSN(s) read, {self.invalid} invalid, {self.in_monitor} in the risk monitor"
                + (f" (reference month {self.reference_month})" if self.reference_month else ""),
                f"answer written to {self.out} (readable by its owner only)"]


def list_format(path: Path) -> str:
    fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise SignalListError(f"{Path(path).name}: the BSN list must be a .csv or .xlsx file")
    return fmt


def _risk_monitor_source(warehouse: Path) -> str:
    if not Path(warehouse).is_dir():
        raise FileNotFoundError(f"warehouse {warehouse} does not exist")
    folder = Path(warehouse) / RISK_MONITOR
    if not folder.is_dir() or not any(folder.rglob("*.parquet")):
        raise FileNotFoundError(f"the warehouse {warehouse} has no {RISK_MONITOR.as_posix()}: "
                                "run `soepel-etl run` first")
    return parquet(folder / "**" / "*.parquet", hive_partitioning="true", union_by_name="true")


def _read_list(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, workdir: Path):
    if not Path(path).is_file():
        raise FileNotFoundError(f"BSN list {path} does not exist")
    try:
        read = read_delivery(con, Path(path), fmt, workdir)
    except Unreadable as exc:
        raise SignalListError(f"the BSN list {Path(path).name} cannot be read: {exc}") from None
    if BSN_COLUMN not in read.columns:
        raise SignalListError(f"the BSN list {Path(path).name} has no column named 'bsn' "
                              f"(found: {', '.join(read.columns) or 'none'}); name the column with the BSNs 'bsn'")
    if read.malformed:
        lines = ", ".join(str(line) for line, _ in read.malformed[:10])
        raise SignalListError(f"the BSN list {Path(path).name} has lines that cannot be split into fields: "
                              f"line(s) {lines}")
    return read


def answer_sql(risk_monitor: str, monitor_columns: list[str]) -> str:
    """One row per list row, in list order: the BSN as given, its validity, and the person's monitor row."""
    shown = ", ".join(f"m.{duckdb_identifier(c)}" for c in monitor_columns)
    given = f"l.{duckdb_identifier(BSN_COLUMN)}"
    return f"""
        WITH list AS (
            SELECT line_number, {given} AS bsn, {normalised_sql(given)} AS normalised FROM bsn_list l
        ), checked AS (
            SELECT *, {bsn_valid_sql('normalised')} AS bsn_valid FROM list
        ), keyed AS (
            -- only valid BSNs are pseudonymised (definitions.md)
            SELECT *, CASE WHEN bsn_valid THEN {hmac_sql("'bsn:' || normalised")} END AS person_key FROM checked
        )
        SELECT k.bsn, k.bsn_valid,
               CASE WHEN k.bsn_valid THEN m.person_key IS NOT NULL END AS in_monitor,
               {shown}
        FROM keyed k LEFT JOIN {risk_monitor} m ON m.person_key = k.person_key
        ORDER BY k.line_number"""


def duckdb_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _private_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a new file that is owner-only from its creation on.

    O_EXCL on a fresh name in the same folder, then an atomic rename: an existing answer with wider
    permissions is replaced, never written into, and a reader never sees half an answer.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, ANSWER_MODE)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _csv_bytes(columns: list[str], rows: list[tuple], delimiter: str) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return text.getvalue().encode("utf-8")


def _xlsx_bytes(columns: list[str], rows: list[tuple]) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("signaallijst")
    sheet.write_row(0, 0, columns)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if columns[c] == BSN_COLUMN:
                sheet.write_string(r, c, str(value))      # text, so a leading zero stays
            elif isinstance(value, (bool, int, float)):
                sheet.write(r, c, value)
            else:
                sheet.write_string(r, c, str(value))
    book.close()
    return buffer.getvalue()


def write_signal_list(warehouse: Path, bsn_list: Path, out: Path, key: PseudonymKey) -> SignalListSummary:
    """Answer the RMC's BSN list from ``marts/risk_monitor``; the answer goes to ``out`` only."""
    fmt = list_format(bsn_list)
    if list_format(out) != fmt:
        raise SignalListError(f"the answer is written in the list's format: give --out a .{fmt} name")
    out = Path(out)
    if not out.parent.is_dir():
        raise FileNotFoundError(f"the folder of {out} does not exist")
    risk_monitor = _risk_monitor_source(warehouse)
    if out.resolve().is_relative_to(Path(warehouse).resolve()):
        # it pairs BSNs with risk flags: the warehouse is shared with analysts and backed up
        raise SignalListError("the answer never enters the warehouse: give --out a path outside it")
    ipad, opad = key.pads()
    # the list may spill or be transcoded: only ever inside a private (0700) folder outside the warehouse
    with tempfile.TemporaryDirectory(prefix="soepel-signal-") as work:
        con = duckdb.connect(":memory:")
        try:
            con.execute("SET temp_directory = ?", [str(Path(work) / "spill")])
            read = _read_list(con, Path(bsn_list), fmt, Path(work))
            con.execute(f"CREATE OR REPLACE TEMP VIEW bsn_list AS SELECT * FROM {read.table}")
            monitor_columns = [d[0] for d in con.execute(f"SELECT * FROM {risk_monitor} LIMIT 0").description
                               if d[0] not in LEFT_OUT]
            relation = con.execute(answer_sql(risk_monitor, monitor_columns), {"ipad": ipad, "opad": opad})
            columns = [d[0] for d in relation.description]
            rows = relation.fetchall()
            reference_month = (con.execute(f"SELECT max(reference_month) FROM {risk_monitor}").fetchone()[0]
                               if "reference_month" in monitor_columns else None)
        finally:
            con.close()
    data = _xlsx_bytes(columns, rows) if fmt == "xlsx" else _csv_bytes(columns, rows, read.delimiter or ";")
    _private_file(out, data)
    valid_at, in_at = columns.index("bsn_valid"), columns.index("in_monitor")
    return SignalListSummary(out=out, rows=len(rows), invalid=sum(1 for r in rows if not r[valid_at]),
                             in_monitor=sum(1 for r in rows if r[in_at]), reference_month=reference_month)
