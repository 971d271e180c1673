"""Fuzzing ingest: valid seed deliveries, mutations of them, and one check for any input.

``check_one`` puts one file in an otherwise empty landing zone, runs the package's ingest on it
inside a Transaction (rolled back afterwards, so every input meets an empty warehouse) and checks:

* nothing raises (any exception is a bug: bad input must end as data, not as a crash);
* the file ends ``loaded`` or ``rejected``; a rejection has a reason, scrubbed of digit runs;
* for a loaded file the loads invariant holds (read = loaded + quarantined + duplicate + excluded),
  and the staged and quarantined Parquet hold exactly rows_loaded and rows_quarantined rows;
* a rejected file leaves nothing staged or quarantined.

Used by tests/reliability/test_fuzz.py (hypothesis) and tests/reliability/fuzz_atheris.py.
"""

from __future__ import annotations

import csv
import io
import random
import shutil
import zipfile
from pathlib import Path

import pyarrow.parquet as pq

from soepel_etl.extracts.ingest import ingest_landing
from soepel_etl.privacy import scrub
from soepel_etl.quality import QualityRun
from soepel_etl.reference import shipped_reference_dir
from soepel_etl.warehouse.transaction import Transaction
from tests.conftest import ONDERWIJS_HEADER, TEST_KEY, onderwijs_row

SEED_ROWS = {
    "onderwijs": (ONDERWIJS_HEADER, [onderwijs_row(), onderwijs_row(bsn="012345672", inschrijving_id="E2",
                                                                     diploma="J", datum_diploma="30-06-2019"),
                                     onderwijs_row(bsn="", onderwijsnummer="101222331", inschrijving_id="E3",
                                                   opleiding="Hoëvenaars; \"Özdemir\"")]),
    "werk": (["bsn", "periode", "werkgever", "uren", "contractsoort", "sv_loon"],
             [dict(bsn="123456782", periode="2020-01", werkgever="LH1", uren="12,5", contractsoort="oproep",
                   sv_loon="400.10"),
              dict(bsn="12345672", periode="202002", werkgever="LH2", uren="40", contractsoort="", sv_loon="NULL")]),
    "uitkeringen": (["bsn", "uitkering", "datum_start", "datum_eind"],
                    [dict(bsn="123456782", uitkering="PW", datum_start="2020-01-01", datum_eind="")]),
    "deelnemers": (["bsn", "pilot", "deelname", "toestemming", "datum_toestemming", "datum_intrekking"],
                   [dict(bsn="123456782", pilot="AMS", deelname="ondersteund", toestemming="J",
                         datum_toestemming="1-2-2019", datum_intrekking="")]),
    "interventies": (["bsn", "pilot", "interventie", "datum_start", "datum_eind", "uren"],
                     [dict(bsn="123456782", pilot="AMS", interventie="jobcoach", datum_start="01-03-2019",
                           datum_eind="", uren="3")]),
}
SENDERS = {"onderwijs": "25PZ", "werk": "GM0363", "uitkeringen": "GM0363", "deelnemers": "AMS", "interventies": "AMS"}
XLSX_SOURCES = ("onderwijs", "deelnemers", "interventies")
DELIVERY = "20200315"
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "utf-16-le", "cp437", "ascii")


def csv_bytes(source: str, delimiter: str = ";") -> bytes:
    header, rows = SEED_ROWS[source]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(c, "") for c in header])
    return out.getvalue().encode("utf-8")


def xlsx_bytes(source: str) -> bytes:
    import openpyxl

    header, rows = SEED_ROWS[source]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append([int(v) if c == "bsn" and v.isdigit() else v for c, v in ((c, row.get(c, "")) for c in header)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def seeds() -> list[tuple[str, str, bytes]]:
    """(source, extension, bytes) of valid deliveries: every source as CSV, three as xlsx."""
    out = [(s, "csv", csv_bytes(s, d)) for s in SEED_ROWS for d in (";", ",")]
    out += [(s, "xlsx", xlsx_bytes(s)) for s in XLSX_SOURCES]
    return out


def file_name(source: str, extension: str) -> str:
    return f"{source}/{source}_{SENDERS[source]}_{DELIVERY}.{extension}"


# -- mutations (each takes a random.Random and bytes, returns bytes) ----------------------------------
def _flip(r, b):
    if not b:
        return b
    i = r.randrange(len(b))
    return b[:i] + bytes([b[i] ^ (1 << r.randrange(8))]) + b[i + 1:]


def _insert(r, b):
    i = r.randrange(len(b) + 1)
    junk = r.choice([b'"', b'""', b";", b",", b"\n", b"\r", b"\r\n", b"\x00", b"\xff\xfe", b"\xef\xbb\xbf",
                     b"NULL", b"\x81", b"\xe2\x82", bytes(r.randrange(256) for _ in range(r.randrange(1, 16)))])
    return b[:i] + junk + b[i:]


def _delete(r, b):
    if not b:
        return b
    i = r.randrange(len(b))
    return b[:i] + b[i + r.randrange(1, 64):]


def _truncate(r, b):
    return b[:r.randrange(len(b) + 1)]


def _huge_field(r, b):
    i = r.randrange(len(b) + 1)
    size = r.choice([5_000, 70_000, 1_100_000])       # the last one beyond DuckDB's max_line_size
    return b[:i] + (b'"' + b"x" * size + b'"' if r.random() < 0.5 else b"9" * size) + b[i:]


def _reencode(r, b):
    text = b.decode("utf-8", errors="replace")
    return text.encode(r.choice(ENCODINGS), errors="replace")


def _delimiter(r, b):
    a, c = r.sample([b";", b",", b"\t", b"|", b" "], 2)
    return b.replace(a, c)


def _line_ends(r, b):
    return b.replace(b"\r\n", r.choice([b"\r", b"\n", b"\n\n", b"\r\r\n", b""]))


def _duplicate_lines(r, b):
    lines = b.split(b"\n")
    i = r.randrange(len(lines))
    return b"\n".join(lines[:i + 1] + [lines[i]] * r.randrange(1, 4) + lines[i + 1:])


def _quotes(r, b):
    lines = b.split(b"\n")
    i = r.randrange(len(lines))
    lines[i] = b'"' + lines[i] if r.random() < 0.5 else lines[i].replace(b";", b'";"', 1)
    return b"\n".join(lines)


def _zip_member(r, b):
    """Rewrite one member of an xlsx (zip) with junk, or drop it."""
    try:
        zin = zipfile.ZipFile(io.BytesIO(b))
        names = zin.namelist()
    except Exception:
        return _flip(r, b)
    victim = r.choice(names)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zout:
        for name in names:
            try:
                data = zin.read(name)
            except Exception:          # already broken by an earlier mutation: keep it broken
                return _flip(r, b)
            if name == victim:
                choice = r.random()
                if choice < 0.3:
                    continue                                       # member missing
                data = (data[: r.randrange(len(data) + 1)] if choice < 0.6          # truncated XML
                        else bytes(r.randrange(256) for _ in range(r.randrange(1, 200))))   # junk
            zout.writestr(name, data)
    return out.getvalue()


MUTATIONS = [_flip, _insert, _delete, _truncate, _huge_field, _reencode, _delimiter, _line_ends, _duplicate_lines,
             _quotes, _zip_member]


def mutate(data: bytes, seed: int, n: int) -> bytes:
    r = random.Random(seed)
    for _ in range(n):
        data = r.choice(MUTATIONS)(r, data)
    return data


# -- the check ---------------------------------------------------------------------------------------
class Harness:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.landing = self.root / "landing"
        self.warehouse = self.root / "warehouse"
        self.reference = shipped_reference_dir()
        self.count = 0
        self.outcomes: dict[str, int] = {}

    def check_one(self, rel_name: str, data: bytes):
        self.count += 1
        shutil.rmtree(self.landing, ignore_errors=True)
        path = self.landing / rel_name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        tx = Transaction.begin(self.warehouse)
        try:
            result = ingest_landing(self.landing, tx, TEST_KEY, self.reference, __import__("datetime").date(2020, 3, 15),
                                    check_files=QualityRun(tx).check_files)
            assert len(result.records) == 1, result.records
            rec = result.records[0]
            self.outcomes[rec.outcome] = self.outcomes.get(rec.outcome, 0) + 1
            assert rec.outcome in ("loaded", "rejected"), rec
            assert rec.invariant_holds(), rec
            staged = list((tx.tmp / "staging").rglob("*.parquet"))
            quarantined = list((tx.tmp / "quarantine").rglob("*.parquet"))
            if rec.outcome == "rejected":
                assert rec.reason and rec.reason.strip(), rec
                assert scrub(rec.reason) == rec.reason, rec.reason
                assert not staged and not quarantined, (rec, staged, quarantined)
            else:
                n_staged = sum(_count(p) for p in staged)
                n_quarantined = sum(_count(p) for p in quarantined)
                assert n_staged == rec.rows_loaded, (rec, n_staged)
                assert n_quarantined == rec.rows_quarantined, (rec, n_quarantined)
            return rec
        finally:
            tx.rollback()


def _count(path: Path) -> int:
    return pq.read_metadata(path).num_rows
