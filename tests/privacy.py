"""The privacy scan: what was delivered that must never appear in what the system writes.

``scan_lineage`` covers the OpenLineage events in ``<warehouse>/_meta/lineage/`` (also scanned as
text by ``scan_tree``), decoded as JSON, and, with ``pseudonyms_of``, the pseudonyms too.

Parquet files are read with pyarrow (values, not bytes: compressed pages would hide a BSN from a
byte grep); every other file is scanned as text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

_DIGITS = re.compile(r"(?<!\d)\d{8,9}(?!\d)")
_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_DMY = re.compile(r"(?<!\d)(\d{1,2})-(\d{1,2})-(\d{4})(?!\d)")


@dataclass
class Secrets:
    identifiers: set[str] = field(default_factory=set)     # 9-digit values and their 8-digit forms
    birth_dates: set[dt.date] = field(default_factory=set)
    key: str = ""
    # the keyed pseudonyms (person_key, employer_key …) of the staged rows: they belong in the
    # warehouse's tables, never in what describes them (lineage events); see pseudonyms_of
    pseudonyms: set[str] = field(default_factory=set)

    def add_identifier(self, value: str) -> None:
        value = value.strip()
        if re.fullmatch(r"\d{8,9}", value):
            full = value.zfill(9)
            self.identifiers.add(full)
            if full.startswith("0"):
                self.identifiers.add(full[1:])


def _date(text: str) -> dt.date | None:
    for pattern, order in ((_ISO, "ymd"), (_DMY, "dmy")):
        m = pattern.fullmatch(text.strip())
        if m:
            a, b, c = (int(x) for x in m.groups())
            try:
                return dt.date(a, b, c) if order == "ymd" else dt.date(c, b, a)
            except ValueError:
                return None
    return None


def _identifier_in_name(digits: str) -> bool:
    """A digit run in a file name that is (or could be) a BSN or onderwijsnummer: nine digits, or
    eight that pass the BSN eleven-test and are not a calendar date (a delivery date)."""
    from stdnum.nl import bsn

    if len(digits) == 9:
        return True
    try:
        dt.datetime.strptime(digits, "%Y%m%d")
        return False
    except ValueError:
        return bsn.is_valid("0" + digits)


def secrets_of_landing(landing: Path, key: str) -> Secrets:
    """Every identifier and birth date in the delivered files (CSV in any encoding, xlsx), and every
    identifier in their names (``leerlingen_123456782.csv``)."""
    found = Secrets(key=key)
    for path in landing.rglob("*"):
        for m in _DIGITS.finditer(path.name):
            if _identifier_in_name(m.group()):
                found.add_identifier(m.group())
        if not path.is_file():
            continue
        for row in _rows(path):
            for name, value in row.items():
                if value is None:
                    continue
                name = (name or "").strip().lower()
                if name in ("bsn", "onderwijsnummer"):
                    found.add_identifier(str(value))
                elif name == "geboortedatum":
                    d = value if isinstance(value, dt.date) else _date(str(value))
                    if isinstance(d, dt.datetime):
                        d = d.date()
                    if d:
                        found.birth_dates.add(d)
    return found


def _rows(path: Path):
    if path.suffix == ".xlsx":
        try:
            import openpyxl
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            rows = wb.worksheets[0].iter_rows(values_only=True)
            header = [str(h) if h is not None else "" for h in next(rows)]
            for r in rows:
                yield {h: (str(int(v)) if isinstance(v, float) and v.is_integer() else v) for h, v in zip(header, r)}
        except Exception:
            return
        return
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    try:
        yield from csv.DictReader(io.StringIO(text), delimiter=delimiter)
    except csv.Error:
        return


def _strings(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    return [str(value)]


def _text_findings(text: str, secrets: Secrets, where: str) -> list[str]:
    out = []
    for m in _DIGITS.finditer(text):
        if m.group() in secrets.identifiers:
            out.append(f"{where}: identifier {m.group()[:2]}…")
    for pattern in (_ISO, _DMY):
        for m in pattern.finditer(text):
            d = _date(m.group())
            if d in secrets.birth_dates:
                out.append(f"{where}: birth date {m.group()}")
    if secrets.key and secrets.key in text:
        out.append(f"{where}: the pseudonymisation key")
    if secrets.pseudonyms:
        for m in _TOKEN.finditer(text):
            if m.group() in secrets.pseudonyms:
                out.append(f"{where}: pseudonym {m.group()[:4]}…")
    return out


# a pseudonym is a keyed HMAC-SHA256 in hex: compare whole hex runs (a set look-up per run, not a
# substring search per pseudonym)
_TOKEN = re.compile(r"[0-9a-fA-F]{32,}")
KEY_COLUMNS = ("person_key", "employer_key")


def pseudonyms_of(warehouse: Path) -> set[str]:
    """Every pseudonym in the warehouse's staging (the ``*_key`` columns)."""
    found: set[str] = set()
    for path in (Path(warehouse) / "staging").rglob("*.parquet"):
        table = pq.read_table(path)
        for column in KEY_COLUMNS:
            if column in table.column_names:
                found.update(str(v) for v in table.column(column).to_pylist() if v)
    return found


LINEAGE = "_meta/lineage"


def scan_lineage(warehouse: Path, secrets: Secrets) -> list[str]:
    """Findings for the OpenLineage events in ``<warehouse>/_meta/lineage/``: each file must be one
    JSON event, and no string in it (keys, values, the raw text) may hold a secret. No folder or no
    event is a finding too: an empty scan proves nothing."""
    import json

    folder = Path(warehouse) / LINEAGE
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not files:
        return [f"{folder}: no lineage events to scan"]
    findings: list[str] = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        findings += _text_findings(text, secrets, str(path))
        try:
            event = json.loads(text)
        except ValueError:
            findings.append(f"{path}: not one JSON event")
            continue
        # values again after JSON decoding: an escaped string (\u0031…) would hide from the raw text
        for s in _json_strings(event):
            findings += _text_findings(s, secrets, f"{path}: a value")
    return findings


def _json_strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [str(k), *_json_strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in _json_strings(v)]
    return [] if value is None else [str(value)]


def scan_tree(root: Path, secrets: Secrets) -> list[str]:
    """Findings (empty = clean) for every file below ``root``."""
    findings: list[str] = []
    for path in sorted(root.rglob("*")):
        findings += _text_findings(path.relative_to(root).as_posix(), secrets, f"{path}: its name")
        if not path.is_file():
            continue
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            for column in table.column_names:
                arr = table.column(column)
                if pa.types.is_date(arr.type) or pa.types.is_timestamp(arr.type):
                    for v in arr.to_pylist():
                        d = v.date() if isinstance(v, dt.datetime) else v
                        if d in secrets.birth_dates:
                            findings.append(f"{path}:{column}: birth date value")
                    continue
                for v in arr.to_pylist():
                    for s in _strings(v):
                        findings += _text_findings(s, secrets, f"{path}:{column}")
        else:
            findings += _text_findings(path.read_bytes().decode("latin-1"), secrets, str(path))
    return findings


def scan_text(text: str, secrets: Secrets, where: str = "log") -> list[str]:
    return _text_findings(text, secrets, where)
