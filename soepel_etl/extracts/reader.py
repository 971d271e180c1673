"""The shared reader: a delivered CSV or xlsx file → a DuckDB table of text values with line numbers.

Everything is read as text; parsing and checking happen afterwards in SQL (``rows.py``), so the
reader's only jobs are the file's encoding, dialect and structure. What it cannot read it rejects
with a reason (:class:`Unreadable`); rows it cannot split into fields come back as *malformed* with
their line number, to be quarantined.

Decisions (see docs/ingest.md):
- encoding: UTF-8 (with or without BOM) when the whole file decodes as UTF-8, else Windows-1252;
  a file with NUL bytes or bytes undefined in Windows-1252 is unreadable;
- delimiter: ``;`` or ``,``, whichever splits the header line into more fields;
- line numbers count the header as line 1; a quoted field spanning lines shifts the numbers of
  later rows (DuckDB reports records, not physical lines).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from ..privacy import scrub

_CHUNK = 1 << 22


class Unreadable(ValueError):
    """The whole file is rejected; the message is the stored reason (never holds a value)."""


@dataclass
class ReadResult:
    table: str                          # name of the DuckDB table: header columns + line_number
    columns: list[str]                  # normalised header names, in file order
    encoding: str
    delimiter: str | None
    malformed: list[tuple[int, str]] = field(default_factory=list)  # (line, error type)
    rows_read: int = 0


def normalise_header(name: str) -> str:
    return name.strip().strip('"').strip().lower()


def _detect_encoding(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(_CHUNK)
        if not head.strip(b"\xef\xbb\xbf \t\r\n"):
            raise Unreadable("empty file")
        if head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff"):
            raise Unreadable("unreadable encoding: UTF-16 is not accepted (use UTF-8 or Windows-1252)")
        for encoding in ("utf-8", "cp1252"):
            fh.seek(0)
            decoder = codecs.getincrementaldecoder(encoding)()
            try:
                while chunk := fh.read(_CHUNK):
                    if b"\x00" in chunk:
                        raise Unreadable("unreadable structure: the file holds binary data (NUL bytes)")
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
                return "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else encoding
            except UnicodeDecodeError:
                continue
    raise Unreadable("unreadable encoding: neither UTF-8 nor Windows-1252")


def _transcode(path: Path, encoding: str, out: Path) -> Path:
    with path.open("r", encoding=encoding, newline="") as src, out.open("w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(_CHUNK):
            dst.write(chunk)
    return out


def _header(path: Path, encoding: str) -> tuple[list[str], str]:
    with path.open("r", encoding=encoding, newline="") as fh:
        line = fh.readline().lstrip("\ufeff").rstrip("\r\n")
    if not line.strip():
        raise Unreadable("unreadable structure: the first line (the header) is empty")
    best: tuple[list[str], str] | None = None
    for delimiter in (";", ","):
        try:
            fields = next(csv.reader([line], delimiter=delimiter, quotechar='"'))
        except csv.Error as exc:   # e.g. a header field beyond the csv module's limit (found by fuzzing)
            raise Unreadable(f"unreadable structure: the header line cannot be split ({scrub(str(exc))})") from None
        if best is None or len(fields) > len(best[0]):
            best = (fields, delimiter)
    assert best is not None
    return [normalise_header(f) for f in best[0]], best[1]


def _check_header(columns: list[str]) -> None:
    seen: set[str] = set()
    for name in columns:
        if not name:
            raise Unreadable("unreadable structure: the header has an empty column name")
        if name in seen:
            raise Unreadable(f"unreadable structure: column {name!r} appears twice in the header")
        seen.add(name)


def read_csv(con: duckdb.DuckDBPyConnection, path: Path, workdir: Path, table: str = "raw") -> ReadResult:
    encoding = _detect_encoding(path)
    columns, delimiter = _header(path, encoding)
    _check_header(columns)
    source = path
    if encoding == "cp1252":  # DuckDB reads UTF-8; Windows-1252 is transcoded once, streaming
        source = _transcode(path, encoding, workdir / "delivery.utf8")   # the name may hold an identifier
    spec = "{" + ", ".join(f"'{c.replace(chr(39), chr(39) * 2)}': 'VARCHAR'" for c in columns) + "}"
    # the rejects go to tables of this read's own (DuckDB appends to existing ones), dropped with it
    con.execute(f"DROP TABLE IF EXISTS {table}_rejects; DROP TABLE IF EXISTS {table}_reject_scans")
    try:
        # CREATE TABLE AS answers with the number of rows it stored
        [(good,)] = con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {table}_unnumbered AS
                SELECT * FROM read_csv(?, delim=?, quote='"', escape='"', header=true,
                    auto_detect=false, columns={spec}, store_rejects=true, rejects_table='{table}_rejects',
                    rejects_scan='{table}_reject_scans', strict_mode=true, max_line_size=1048576)""",
            [str(source), delimiter],
        ).fetchall()
        rejects = con.execute(
            f"SELECT line, error_type FROM {table}_rejects ORDER BY line"
        ).fetchall()
    except duckdb.Error as exc:
        raise Unreadable(f"unreadable structure: {scrub(str(exc).splitlines()[0])}") from None
    finally:
        if source is not path:
            source.unlink(missing_ok=True)
    # one reason per malformed line (DuckDB can report several errors for one line)
    malformed: dict[int, str] = {}
    for line, error_type in rejects:
        malformed.setdefault(int(line), str(error_type).lower().replace(" ", "_"))
    if malformed:
        # data rows are numbered from line 2 on; the good rows take the lines the rejects did not
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {table}_lines AS
                SELECT range AS line_number, row_number() OVER (ORDER BY range) - 1 AS ordinal
                FROM range(2, ?) WHERE range NOT IN (SELECT unnest(?::BIGINT[]))""",
            [good + len(malformed) + 2, sorted(malformed)],
        )
        con.execute(
            f"""CREATE OR REPLACE TEMP VIEW {table} AS
                SELECT u.* EXCLUDE (ordinal), l.line_number
                FROM (SELECT *, rowid AS ordinal FROM {table}_unnumbered) u JOIN {table}_lines l USING (ordinal)"""
        )
    else:
        # a view, not a copy: the rowid of a freshly loaded table is the record's position in the file
        con.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT *, rowid + 2 AS line_number FROM {table}_unnumbered")
    return ReadResult(table, columns, encoding, delimiter, sorted(malformed.items()), good + len(malformed))


def _cell_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "J" if value else "N"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # a BSN or crebo stored as a number is shown without decimals, as Excel shows it
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def read_xlsx(con: duckdb.DuckDBPyConnection, path: Path, table: str = "raw") -> ReadResult:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    if path.stat().st_size == 0:
        raise Unreadable("empty file")
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise Unreadable(f"not an xlsx workbook ({type(exc).__name__})") from None
    except Exception as exc:  # a damaged zip member (zlib.error), broken XML, …: found by fuzzing
        raise Unreadable(f"not a readable xlsx workbook ({type(exc).__module__}.{type(exc).__name__})") from None
    try:
        if not workbook.worksheets:
            raise Unreadable("the workbook has no sheet")
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None or all(v is None for v in header):
            raise Unreadable("empty file: the first sheet has no header row")
        # trailing empty header cells are formatting, not columns
        width = max(i for i, v in enumerate(header) if v is not None) + 1
        columns = [normalise_header(_cell_text(v) or "") for v in header[:width]]
        _check_header(columns)
        values: list[list[str | None]] = [[] for _ in columns]
        lines: list[int] = []
        for line, row in enumerate(rows, start=2):
            cells = [_cell_text(v) for v in row[:width]] + [None] * max(0, width - len(row))
            if all(c is None or not c.strip() for c in cells):
                continue
            for i, cell in enumerate(cells):
                values[i].append(cell)
            lines.append(line)
    except Unreadable:
        raise
    except Exception as exc:  # a damaged sheet inside a valid zip
        raise Unreadable(f"not a readable xlsx workbook ({type(exc).__name__})") from None
    finally:
        workbook.close()
    arrow = pa.table({**{c: pa.array(v, pa.string()) for c, v in zip(columns, values)},
                      "line_number": pa.array(lines, pa.int64())})
    con.register("xlsx_arrow", arrow)
    # the same objects as a CSV leaves: a table of rows and a view ``table`` over it
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table}_unnumbered AS SELECT * FROM xlsx_arrow")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT * FROM {table}_unnumbered")
    con.unregister("xlsx_arrow")
    return ReadResult(table, columns, "xlsx", None, [], len(lines))


def read_delivery(con: duckdb.DuckDBPyConnection, path: Path, extension: str, workdir: Path,
                  table: str = "raw") -> ReadResult:
    """Read one file into ``table`` (a view; its rows in ``<table>_unnumbered``, see :func:`read_csv`)."""
    if extension == "xlsx":
        return read_xlsx(con, path, table)
    return read_csv(con, path, workdir, table)
