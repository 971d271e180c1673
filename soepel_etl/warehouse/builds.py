"""``_meta/builds``: one row per build of core and marts, with what it was built from.

The fingerprint covers everything a build reads or follows — the staged files, the reference
folder's bytes, the reference date, the package version and the bytes of the build's code (every
model SQL file and rule module in ``soepel_etl/models/``, and the quality suites and reductions that
judge the build) — so a run that finds the same fingerprint skips the build and leaves the warehouse
byte for byte as it was, and installing a fixed version rebuilds the marts on the next run even when
no data changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ..reference import FILES as REFERENCE_FILES, OPTIONAL_FILES as OPTIONAL_REFERENCE_FILES
from ..schema.sql import parquet
from .marker import package_version
from .transaction import Transaction

BUILDS = "_meta/builds"
# one row per werk sender and build: its coverage, activity and whether it holds the employment
# coverage month back, so the report reads the senders from the warehouse (never the landing zone)
COVERAGE = "_meta/coverage"
COVERAGE_SCHEMA = pa.schema([
    ("run_id", pa.string()),
    ("source", pa.string()),
    ("sender", pa.string()),                    # today's municipality code
    ("codes", pa.list_(pa.string())),           # every code it delivered under (old codes of a merger)
    ("latest_delivery", pa.date32()),
    ("coverage_month", pa.string()),            # latest periode in its valid werk rows, YYYY-MM
    ("active", pa.bool_()),
    ("holds_back", pa.bool_()),                 # its coverage is the employment coverage month
])
PACKAGE = Path(__file__).resolve().parents[1]
# the code a build's result depends on, relative to the package (a change in any of them rebuilds)
BUILD_CODE = ("models/**/*.sql", "models/**/*.py", "schema/*.py", "quality/suites.py", "quality/reductions.py",
              "reference/*.py", "reference/national/*.csv",     # region lookups, the SBI sections
              "extracts/werk_senders.py")                        # which werk sender holds coverage back


def code_digest(package: Path | None = None) -> str:
    package = package or PACKAGE
    digest = hashlib.sha256()
    files = sorted({p for pattern in BUILD_CODE for p in Path(package).glob(pattern) if p.is_file()})
    for path in files:
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def build_fingerprint(tx: Transaction, reference_dir: Path, reference_date: dt.date) -> str:
    digest = hashlib.sha256()
    digest.update(f"{package_version()}|{code_digest()}|{reference_date.isoformat()}|".encode())
    # one sorted list over committed and this run's staged files: the same set of files gives the same
    # fingerprint whichever run staged them (else a run after a two-run history would rebuild for nothing)
    staged = sorted([p.relative_to(tx.root).as_posix() for p in (tx.root / "staging").rglob("*.parquet")]
                    + [p.relative_to(tx.tmp).as_posix() for p in (tx.tmp / "staging").rglob("*.parquet")])
    digest.update("\n".join(staged).encode())
    for name in REFERENCE_FILES:
        digest.update((Path(reference_dir) / f"{name}.csv").read_bytes())
    # an optional file counts only when present, so a folder without it keeps its old fingerprint
    for name in OPTIONAL_REFERENCE_FILES:
        path = Path(reference_dir) / f"{name}.csv"
        if path.is_file():
            digest.update(f"|{name}|".encode() + path.read_bytes())
    return digest.hexdigest()


def last_fingerprint(root: Path) -> str | None:
    folder = Path(root) / BUILDS
    if not any(folder.glob("*.parquet")):
        return None
    row = duckdb.sql(f"SELECT fingerprint FROM {parquet(folder / '*.parquet')} ORDER BY built_at DESC LIMIT 1"
                     ).fetchall()
    return row[0][0] if row else None


def write_build_record(tx: Transaction, result, fingerprint: str) -> None:
    record = {
        "run_id": tx.run_id,
        "built_at": dt.datetime.now(dt.timezone.utc),
        "reference_date": result.reference_date,
        "employment_coverage_month": result.coverage.employment_month,
        "education_coverage_month": result.coverage.education_month,
        "risk_reference_month": result.coverage.reference_month,
        # inactive werk senders, named as missing (spec/extracts.md); the detail is in _meta/coverage
        "missing_werk_senders": ",".join(s.sender for s in getattr(result.coverage, "senders", []) if not s.active),
        "fingerprint": fingerprint,
        # for `soepel-etl status` (before → after); builds recorded before this column read as unknown
        "provisional_outflows": result.provisional_outflows,
        "rows": json.dumps(result.rows, sort_keys=True),
        "seconds": json.dumps(result.seconds, sort_keys=True),
    }
    pq.write_table(pa.Table.from_pylist([record]), tx.add_file(f"{BUILDS}/{tx.run_id}.parquet"))
    write_coverage_record(tx, result.coverage)


def write_coverage_record(tx: Transaction, coverage) -> None:
    """``_meta/coverage/<run_id>.parquet``: the build's werk senders (``coverage.senders``)."""
    month = coverage.employment_month
    rows = [{"run_id": tx.run_id, "source": "werk", "sender": s.sender, "codes": list(s.codes),
             "latest_delivery": s.latest_delivery, "coverage_month": s.coverage_month, "active": s.active,
             "holds_back": bool(s.active and month is not None and s.coverage_month == month)}
            for s in getattr(coverage, "senders", [])]
    pq.write_table(pa.Table.from_pylist(rows, schema=COVERAGE_SCHEMA), tx.add_file(f"{COVERAGE}/{tx.run_id}.parquet"))
