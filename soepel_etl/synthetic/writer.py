"""Rendering row versions into delivery files in the many dialects real senders use.

A file is described by a ``Dialect`` drawn per file.  Columns arrive as typed numpy arrays
(``Col``) and are rendered with pyarrow compute kernels (no Python loop over rows); CSV bytes are
written by ``pyarrow.csv`` in chunks.  Only small files are transcoded to Windows-1252 or written as
``.xlsx`` (xlsxwriter, fixed document properties so the bytes are deterministic).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from . import ids
from .model import NA

XLSX_MAX_ROWS = 20_000       # larger deliveries are never Excel exports
CP1252_MAX_ROWS = 200_000    # Python-level transcoding only for small files
CHUNK_ROWS = 1_000_000
FIXED_TIME = dt.datetime(2024, 4, 1, 9, 0, 0)


@dataclass(frozen=True)
class Dialect:
    ext: str = "csv"
    delimiter: str = ";"
    encoding: str = "utf-8"       # utf-8 | utf-8-sig | cp1252
    eol: str = "\n"
    trailing_blank: bool = False
    quote: bool = False
    header_case: str = "lower"    # lower | upper | title | spaced
    shuffle: bool = False
    extra_col: bool = False
    date_fmt: str = "dmy"         # dmy (DD-MM-YYYY) | dmy_short (D-M-YYYY) | iso (YYYY-MM-DD)
    month_fmt: str = "yyyymm"     # yyyymm | yyyy-mm
    decimal: str = ","
    null: str = ""                # "" | "NULL"
    bsn8: bool = False            # leading zero lost (went through Excel)
    postcode_space: bool = False

    def variants(self) -> list[str]:
        v = [f"ext={self.ext}"]
        if self.ext == "csv":
            v += [f"delimiter={self.delimiter}", f"encoding={self.encoding}",
                  "eol=crlf" if self.eol == "\r\n" else "eol=lf"]
            if self.trailing_blank:
                v.append("trailing_blank_line")
            if self.quote:
                v.append("quoted")
            v += [f"decimal={self.decimal}", f"null={self.null or 'empty'}", f"date={self.date_fmt}",
                  f"periode={self.month_fmt}"]
            if self.bsn8:
                v.append("bsn_8_digits")
        v.append(f"header={self.header_case}")
        if self.shuffle:
            v.append("shuffled_columns")
        if self.extra_col:
            v.append("extra_column")
        return v


def draw_dialect(rng: np.random.Generator, source: str, n_rows: int) -> Dialect:
    r = rng.random(16)
    xlsx_ok = source in ("onderwijs", "deelnemers", "interventies") and n_rows <= XLSX_MAX_ROWS
    ext = "xlsx" if xlsx_ok and r[0] < 0.2 else "csv"
    delimiter = ";" if r[1] < 0.65 else ","
    enc_r = r[2]
    encoding = "utf-8" if enc_r < 0.55 else ("utf-8-sig" if enc_r < 0.8 else "cp1252")
    if encoding == "cp1252" and n_rows > CP1252_MAX_ROWS:
        encoding = "utf-8"
    quote = r[3] < 0.25
    decimal = "," if r[4] < 0.6 else "."
    if delimiter == "," and decimal == "," and not quote:
        quote = r[15] < 0.5
        decimal = "," if quote else "."
    d = Dialect(
        ext=ext, delimiter=delimiter, encoding=encoding,
        eol="\r\n" if r[5] < 0.45 else "\n",
        trailing_blank=r[6] < 0.3, quote=quote,
        header_case=("lower", "upper", "title", "spaced")[int(r[7] * 4)],
        shuffle=r[8] < 0.3, extra_col=r[9] < 0.15,
        date_fmt=("dmy", "dmy_short", "iso")[int(r[10] * 3)],
        month_fmt="yyyymm" if r[11] < 0.6 else "yyyy-mm",
        decimal=decimal, null="NULL" if r[12] < 0.2 else "",
        bsn8=r[13] < 0.1, postcode_space=r[14] < 0.4,
    )
    if ext == "xlsx":  # cells are typed: render text the way _write_xlsx parses it back
        d = replace(d, delimiter=";", encoding="utf-8", eol="\n", trailing_blank=False, quote=False,
                    date_fmt="iso", decimal=".", null="", bsn8=False)
    return d


# ---- columns --------------------------------------------------------------------------------
@dataclass
class Col:
    kind: str          # id | date | month | dec | int | text
    values: np.ndarray


def _mask(values: np.ndarray, kind: str) -> np.ndarray:
    if kind == "id":
        return values < 0
    if kind in ("date", "month"):
        return values == NA
    if kind == "dec":
        return np.isnan(values)
    if kind == "int":
        return values < 0
    return values == ""


def render(col: Col, d: Dialect) -> pa.Array:
    v, kind = col.values, col.kind
    mask = _mask(v, kind)
    if kind == "id":
        s = pa.array(np.where(mask, 0, v).astype(np.int64)).cast(pa.string())
        if not d.bsn8:
            s = pc.utf8_lpad(s, 9, "0")
    elif kind == "int":
        s = pa.array(np.where(mask, 0, v).astype(np.int64)).cast(pa.string())
    elif kind == "text":
        s = pa.array(v.astype(str) if v.dtype.kind != "U" else v, type=pa.string())
    elif kind == "month":
        mm = np.where(mask, 0, v).astype(np.int64)
        y = pa.array(mm // 12 + 1970).cast(pa.string())
        m = pc.utf8_lpad(pa.array(mm % 12 + 1).cast(pa.string()), 2, "0")
        s = pc.binary_join_element_wise(y, m, "-" if d.month_fmt == "yyyy-mm" else "")
    elif kind == "date":
        dd = pa.array(np.where(mask, 0, v).astype(np.int32)).cast(pa.date32())
        if d.date_fmt == "iso":
            s = dd.cast(pa.string())
        else:
            day = pc.day(dd).cast(pa.string())
            mon = pc.month(dd).cast(pa.string())
            if d.date_fmt == "dmy":
                day, mon = pc.utf8_lpad(day, 2, "0"), pc.utf8_lpad(mon, 2, "0")
            s = pc.binary_join_element_wise(day, mon, pc.year(dd).cast(pa.string()), "-")
    elif kind == "dec":
        cents = np.round(np.where(mask, 0, v) * 100).astype(np.int64)
        neg = cents < 0
        a = np.abs(cents)
        ip = pa.array(a // 100).cast(pa.string())
        ip = pc.if_else(pa.array(neg), pc.binary_join_element_wise("-", ip, ""), ip)
        fr = a % 100
        fr2 = pc.utf8_lpad(pa.array(fr).cast(pa.string()), 2, "0")
        fr1 = pa.array(fr // 10).cast(pa.string())
        frac = pc.if_else(pa.array(fr % 10 == 0), fr1, fr2)
        s = pc.if_else(pa.array(fr == 0), ip, pc.binary_join_element_wise(ip, frac, d.decimal))
    else:
        raise ValueError(kind)
    if mask.any():
        s = pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), s)
    return s


def header_name(name: str, d: Dialect, rng: np.random.Generator) -> str:
    if d.header_case == "upper":
        return name.upper()
    if d.header_case == "title":
        return name.title()
    if d.header_case == "spaced":
        return " " * int(rng.integers(0, 2)) + name.capitalize() + " " * int(rng.integers(1, 3))
    return name


# ---- files ----------------------------------------------------------------------------------
def write_table(path: Path, table: pa.Table, d: Dialect, kinds: dict[str, str]) -> int:
    """Write an all-string table in dialect ``d``; return the number of bytes written."""
    if d.ext == "xlsx":
        return _write_xlsx(path, table, kinds)
    return _write_csv(path, table, d)


def _write_csv(path: Path, table: pa.Table, d: Dialect) -> int:
    opts = pacsv.WriteOptions(
        include_header=True, delimiter=d.delimiter, eol=d.eol, null_string=d.null,
        quoting_style="needed" if d.quote else "none",
        quoting_header="needed" if d.quote else "none", batch_size=65536)
    if d.encoding == "cp1252":
        buf = io.BytesIO()
        pacsv.write_csv(table, buf, opts)
        data = buf.getvalue().decode("utf-8").encode("cp1252", errors="replace")
        if d.trailing_blank:
            data += d.eol.encode()
        path.write_bytes(data)
        return len(data)
    with open(path, "wb") as fh:
        if d.encoding == "utf-8-sig":
            fh.write(b"\xef\xbb\xbf")
        n = table.num_rows
        if n <= CHUNK_ROWS:
            pacsv.write_csv(table, fh, opts)
        else:
            with pacsv.CSVWriter(fh, table.schema, write_options=opts) as w:
                for off in range(0, n, CHUNK_ROWS):
                    w.write_table(table.slice(off, CHUNK_ROWS))
        if d.trailing_blank:
            fh.write(d.eol.encode())
        return fh.tell()


def _write_xlsx(path: Path, table: pa.Table, kinds: dict[str, str]) -> int:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"default_date_format": "dd-mm-yyyy",
                                         "strings_to_numbers": False, "in_memory": True})
    wb.set_properties({"title": path.stem, "author": "export", "company": "", "created": FIXED_TIME})
    ws = wb.add_worksheet("Blad1")
    for ci, name in enumerate(table.column_names):
        ws.write_string(0, ci, name)
        kind = kinds.get(name, "text")
        vals = table.column(ci).to_pylist()
        if kind == "id":
            vals = [int(x) if x is not None and x.isdigit() else x for x in vals]
        elif kind == "date":
            vals = [_parse_iso(x) for x in vals]
        elif kind == "dec":
            vals = [_parse_float(x) for x in vals]
        ws.write_column(1, ci, vals)
    wb.close()
    return path.stat().st_size


def _parse_float(x):
    try:
        return float(x) if x is not None else None
    except ValueError:
        return x


def _parse_iso(x):
    if x is None:
        return None
    try:
        return dt.date.fromisoformat(x)
    except ValueError:
        return x


# ---- bad rows -------------------------------------------------------------------------------
ROW_KINDS_COMMON = ("invalid_bsn", "no_identifier", "duplicate_row", "conflicting_key")
ROW_KINDS = {
    "onderwijs": ROW_KINDS_COMMON + ("missing_required", "bad_date", "bad_number", "bad_domain",
                                      "end_before_start", "age_out_of_range"),
    "werk": ROW_KINDS_COMMON + ("missing_required", "bad_date", "bad_number", "bad_domain",
                                 "periode_after_delivery"),
    "uitkeringen": ROW_KINDS_COMMON + ("missing_required", "bad_date", "bad_domain", "end_before_start"),
    "deelnemers": ROW_KINDS_COMMON + ("missing_required", "bad_date", "bad_domain"),
    "interventies": ROW_KINDS_COMMON + ("missing_required", "bad_date", "bad_number", "bad_domain",
                                         "end_before_start"),
}
_REQUIRED_TO_BLANK = {
    "onderwijs": ("crebo", "leerweg", "datum_inschrijving", "woongemeente", "brin"),
    "werk": ("werkgever", "uren", "periode"),
    "uitkeringen": ("uitkering", "datum_start"),
    "deelnemers": ("deelname", "toestemming"),
    "interventies": ("interventie", "datum_start"),
}
_DOMAIN = {
    "onderwijs": (("leerweg", "XYZ"), ("niveau", "7"), ("geslacht", "Q"), ("diploma", "ja")),
    "werk": (("uren", "-8"), ("contractsoort", "vast"), ("sv_loon", "-120")),
    "uitkeringen": (("uitkering", "ABC"), ("uitkering", "BIJSTAND")),
    "deelnemers": (("deelname", "gebeld"), ("pilot", "XXX"), ("toestemming", "misschien")),
    "interventies": (("interventie", "koffiedrinken"), ("uren", "-3"), ("pilot", "ABC")),
}
_BAD_DATES = ("31-02-2020", "2021-13-01", "00-00-0000", "gisteren", "20200231")
_BAD_NUMBERS = ("12x", "twaalf", "1.2.3", "--")
_DATE_COLS = {
    "onderwijs": ("geboortedatum", "datum_inschrijving", "datum_uitschrijving"),
    "werk": ("periode",),
    "uitkeringen": ("datum_start", "datum_eind"),
    "deelnemers": ("datum_toestemming",),
    "interventies": ("datum_start", "datum_eind"),
}
_NUMBER_COLS = {"onderwijs": ("niveau",), "werk": ("uren", "sv_loon"), "interventies": ("uren",)}
_CONFLICT_COL = {"onderwijs": "postcode", "werk": "uren", "uitkeringen": "datum_eind",
                 "deelnemers": "deelname", "interventies": "uren"}
_KEY_EXTRA = {"onderwijs": "inschrijving_id"}


class BadRowInjector:
    """Appends bad copies of real rows.  Except for exact duplicates, every bad row belongs to a
    phantom person (a fresh valid BSN nobody in the population has) or carries an invalid / no
    identifier, so the injected rows never change what the correct rows say about real people."""

    def __init__(self, population_bsn_sorted: np.ndarray):
        self.pop = population_bsn_sorted

    def phantom_bsns(self, rng: np.random.Generator, k: int) -> list[int]:
        cand = ids.bsn_numbers(rng, k * 2 + 8)
        pos = np.searchsorted(self.pop, cand).clip(0, max(len(self.pop) - 1, 0))
        fresh = cand[(self.pop[pos] != cand)] if len(self.pop) else cand
        return [int(x) for x in fresh[:k]]

    def inject(self, rng, source: str, table: pa.Table, kinds_wanted: list[str], d: Dialect,
               delivery_day: int) -> tuple[pa.Table, dict[str, int]]:
        n = table.num_rows
        if n == 0 or not kinds_wanted:
            return table, {}
        picks = rng.integers(0, n, len(kinds_wanted))
        base = table.take(pa.array(picks)).to_pylist()
        phantoms = self.phantom_bsns(rng, len(kinds_wanted) * 2)
        out, counts = [], {}
        for i, (kind, row) in enumerate(zip(kinds_wanted, base)):
            rows = self._make(rng, source, kind, dict(row), d, delivery_day, phantoms[2 * i: 2 * i + 2])
            if rows:
                out.extend(rows)
                counts[kind] = counts.get(kind, 0) + len(rows)
        if not out:
            return table, {}
        bad = pa.Table.from_pylist(out, schema=table.schema)
        # put the bad rows at random places in the file (zero-copy slices of the good rows)
        pos = np.sort(rng.integers(0, n + 1, len(out)))
        pieces, prev = [], 0
        for i, at in enumerate(pos):
            if at > prev:
                pieces.append(table.slice(prev, at - prev))
            pieces.append(bad.slice(i, 1))
            prev = at
        if prev < n:
            pieces.append(table.slice(prev, n - prev))
        return pa.concat_tables(pieces), counts

    def _fmt_id(self, x: int, d: Dialect) -> str:
        return str(x) if d.bsn8 else f"{x:09d}"

    def _make(self, rng, source, kind, row, d: Dialect, delivery_day: int, phantom: list[int]):
        cols = {c.strip().lower(): c for c in row}
        def get(c):
            return row.get(cols.get(c, c))
        def put(c, v):
            if c in cols:
                row[cols[c]] = v
        def to_phantom():
            put("bsn", self._fmt_id(phantom[0], d))
            put("onderwijsnummer", None)
            if source == "onderwijs":
                put("inschrijving_id", f"{get('inschrijving_id')}{int(rng.integers(10, 99))}")
        if kind == "duplicate_row":
            return [row]
        if kind == "invalid_bsn":
            b = get("bsn")
            if b is None:
                put("bsn", self._fmt_id(phantom[0], d))
                b = get("bsn")
            put("bsn", self._fmt_id(int(ids.break_checksum(np.array([int(b)]))[0]), d))
            put("onderwijsnummer", None)
            return [row]
        if kind == "no_identifier":
            put("bsn", None)
            put("onderwijsnummer", None)
            return [row]
        to_phantom()
        if kind == "conflicting_key":
            c = _CONFLICT_COL[source]
            other = dict(row)
            v = get(c)
            if c in ("uren",):
                alt = "99" if v != "99" else "98"
            elif c == "postcode":
                alt = "9999ZZ"
            elif c == "deelname":
                alt = "ondersteund" if v != "ondersteund" else "in_beeld"
            else:
                alt = "2099-01-01" if d.date_fmt == "iso" else "01-01-2099"
            other[cols.get(c, c)] = alt
            return [row, other]
        if kind == "missing_required":
            opts = [c for c in _REQUIRED_TO_BLANK[source] if c in cols]
            put(opts[int(rng.integers(0, len(opts)))], None)
            return [row]
        if kind == "bad_date":
            opts = [c for c in _DATE_COLS[source] if c in cols]
            c = opts[int(rng.integers(0, len(opts)))]
            bad = _BAD_DATES[int(rng.integers(0, len(_BAD_DATES)))] if c != "periode" else ("2021-13", "202300", "mei 2021")[int(rng.integers(0, 3))]
            put(c, bad)
            if source == "deelnemers":
                put("toestemming", "J")
            return [row]
        if kind == "bad_number":
            opts = [c for c in _NUMBER_COLS.get(source, ()) if c in cols]
            if not opts:
                return []
            put(opts[int(rng.integers(0, len(opts)))], _BAD_NUMBERS[int(rng.integers(0, len(_BAD_NUMBERS)))])
            return [row]
        if kind == "bad_domain":
            c, v = _DOMAIN[source][int(rng.integers(0, len(_DOMAIN[source])))]
            put(c, v)
            return [row]
        if kind == "end_before_start":
            s_col, e_col = (("datum_inschrijving", "datum_uitschrijving") if source == "onderwijs"
                            else ("datum_start", "datum_eind"))
            s = _parse_any(get(s_col))
            if s is None:
                return []
            put(s_col, _fmt_date(s + dt.timedelta(days=int(rng.integers(1, 20))), d))
            put(e_col, _fmt_date(s - dt.timedelta(days=int(rng.integers(20, 200))), d))
            return [row]
        if kind == "age_out_of_range":
            dd = dt.date(1970, 1, 1) + dt.timedelta(days=int(delivery_day))
            years = int(rng.choice([8, 10, 44, 52]))
            put("geboortedatum", _fmt_date(dd.replace(year=dd.year - years, day=1), d))
            return [row]
        if kind == "periode_after_delivery":
            dd = dt.date(1970, 1, 1) + dt.timedelta(days=int(delivery_day))
            m = dd.year * 12 + dd.month - 1 + int(rng.integers(1, 4))
            y, mo = divmod(m, 12)
            put("periode", f"{y}-{mo + 1:02d}" if d.month_fmt == "yyyy-mm" else f"{y}{mo + 1:02d}")
            return [row]
        raise ValueError(kind)


def _parse_any(s):
    if s is None:
        return None
    try:
        if len(s) == 10 and s[4] == "-":
            return dt.date.fromisoformat(s)
        dd, mm, yy = s.split("-")
        return dt.date(int(yy), int(mm), int(dd))
    except (ValueError, IndexError):
        return None


def _fmt_date(x: dt.date, d: Dialect) -> str:
    if d.date_fmt == "iso" or d.ext == "xlsx":
        return x.isoformat()
    if d.date_fmt == "dmy_short":
        return f"{x.day}-{x.month}-{x.year}"
    return f"{x.day:02d}-{x.month:02d}-{x.year}"


def with_ext(d: Dialect, ext: str) -> Dialect:
    return replace(d, ext=ext)
