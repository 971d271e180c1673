"""Late consent (extracts.md): interventies rows excluded for lack of consent are loaded in the run
that finds the consent valid, re-read from their delivered files in the landing zone.

The warehouse never kept the excluded rows, nor whose they were. So a run compares consent now (the
participant register with this run's deliveries, at this run's reference date) with consent as the
previous judgement saw it (the committed register at the reference date that judgement used, kept in
``_meta/late_consent.json``; before that file existed, the latest delivery date loaded); only when some
person-pilot pair became valid are the earlier ``interventies`` files with excluded rows re-read.
A file that could not be re-read is named in that file too, and tried again in every later run until
it is re-read or no longer has excluded rows. A file is found
by its name in ``interventies/`` and trusted only when its bytes still have the SHA-256 in
``_meta/loads``; a file that is gone or changed is reported and skipped. The rows re-read that now
have valid consent and are not staged yet go to ``staging/interventies/<load_id>.late-<run_id>.parquet``
(same ``load_id`` and lineage as the file's other rows), and the file's ``_meta/loads`` row gets a
new version counting them as loaded instead of excluded.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ..identity.pseudonyms import PseudonymKey
from ..schema.versions import current_sql, valid_consent_sql
from ..warehouse.loads import LoadRecord, read_loads
from ..warehouse.transaction import Transaction
from ..schema.contracts import SOURCES
from ..schema.sql import literal, parquet
from . import batch
from .reader import Unreadable, read_delivery
from .rows import make_checked
from .staging import staging_select

log = logging.getLogger(__name__)
SOURCE = "interventies"
# the last judgement: {"reference_date": "YYYY-MM-DD", "not_reread": [file names]}
JUDGEMENT = "_meta/late_consent.json"


@dataclass
class LateConsent:
    revisions: list[LoadRecord] = field(default_factory=list)   # new versions of earlier files' rows
    not_reread: list[str] = field(default_factory=list)         # "<file>: why"
    rows: int = 0                                                # rows late consent brought in


def _consent(con, name: str, register: list[str], reference_date: dt.date) -> None:
    if register:
        relation = f"(SELECT * FROM {parquet(register, union_by_name='true')})"
        current = f"({current_sql('deelnemers', relation)})"
        con.execute(f"CREATE TEMP TABLE {name} AS {valid_consent_sql(current, reference_date)}")
    else:
        con.execute(f"CREATE TEMP TABLE {name} (person_key VARCHAR, pilot_code VARCHAR, participation_type VARCHAR)")


def _staged_rows(con, path: Path, record: dict, key: PseudonymKey, workdir: Path, out: Path) -> None:
    """The file's good rows as staging would hold them (pseudonymised), before consent: the file
    goes through ingest's SQL as a batch of one."""
    from .filenames import parse_delivery_name

    source = SOURCES[SOURCE]
    name = parse_delivery_name(path, SOURCE)
    read = read_delivery(con, path, name.extension, workdir, "raw_0")
    files = [batch.BatchFile(0, record["load_id"], record["file_name"], record["sender"], record["delivery_date"], read)]
    batch.stack(con, source, files)
    make_checked(con, source)
    batch.stage(con, source, staging_select(source), key.pads())
    batch.write_staged(con, source, files, {0: out})


def load_late_consent(landing: Path, tx: Transaction, key: PseudonymKey, records: list[LoadRecord],
                      reference_date: dt.date | None, sha256_of) -> LateConsent:
    result = LateConsent()
    previous = read_loads(tx.root).to_pylist()
    candidates = [r for r in previous if r["source"] == SOURCE and r["outcome"] == "loaded" and r["rows_excluded"]]
    if reference_date is None:
        return result
    if not candidates:
        if any(r.rows_excluded for r in records):    # this run's exclusions were judged at reference_date
            _write_judgement(tx, reference_date, [])
        return result
    judged = _last_judgement(tx.root)
    before_dates = [r["delivery_date"] for r in previous if r["outcome"] == "loaded" and r["delivery_date"]]
    judged_at = dt.date.fromisoformat(judged["reference_date"]) if judged else max(before_dates)
    committed = [str(p) for p in (tx.root / "staging/deelnemers").glob("*.parquet")]
    now = committed + [str(tx.tmp / r.staged_relpath) for r in records
                       if r.source == "deelnemers" and r.outcome == "loaded" and r.staged_relpath]
    con = duckdb.connect(config={"threads": 2, "temp_directory": str(tx.scratch / "late_consent")})
    try:
        _consent(con, "consent_now", now, reference_date)
        _consent(con, "consent_before", committed, judged_at)
        newly = con.execute("SELECT count(*) FROM (SELECT person_key, pilot_code FROM consent_now "
                            "EXCEPT SELECT person_key, pilot_code FROM consent_before)").fetchone()[0]
        retry = set(judged.get("not_reread", [])) if judged else set()
        reread = candidates if newly else [r for r in candidates if r["file_name"] in retry]
        for r in reread:
            path = Path(landing) / SOURCE / r["file_name"]
            if not path.is_file():
                result.not_reread.append(f"{r['file_name']}: no longer in the landing zone")
                continue
            if sha256_of(path) != r["sha256"]:
                result.not_reread.append(f"{r['file_name']}: its bytes changed since it was loaded")
                continue
            workdir = tx.scratch / f"late-{r['load_id']}"
            workdir.mkdir(mode=0o700, exist_ok=True)
            reread = workdir / "staged.parquet"
            file_con = duckdb.connect(config={"threads": 2, "temp_directory": str(workdir / "duckdb_tmp")})
            try:
                _staged_rows(file_con, path, r, key, workdir, reread)
            except (Unreadable, duckdb.Error) as exc:
                result.not_reread.append(f"{r['file_name']}: could not be re-read ({type(exc).__name__})")
                continue
            finally:
                file_con.close()
            staged = [str(p) for p in (tx.root / "staging" / SOURCE).glob(f"{r['load_id']}*.parquet")]
            staged += [str(p) for p in (tx.tmp / "staging" / SOURCE).glob(f"{r['load_id']}*.parquet")]
            late = (f"SELECT s.* FROM {parquet(reread)} s SEMI JOIN consent_now c "
                    f"ON s.person_key = c.person_key AND s.pilot_code = c.pilot_code "
                    f"WHERE s.line_number NOT IN (SELECT line_number FROM {parquet(staged)})"
                    if staged else
                    f"SELECT s.* FROM {parquet(reread)} s SEMI JOIN consent_now c "
                    f"ON s.person_key = c.person_key AND s.pilot_code = c.pilot_code")
            n = con.execute(f"SELECT count(*) FROM ({late})").fetchone()[0]
            if n:
                target = tx.add_file(f"staging/{SOURCE}/{r['load_id']}.late-{tx.run_id}.parquet")
                con.execute(f"COPY ({late} ORDER BY s.line_number) TO {literal(target)} (FORMAT parquet, COMPRESSION zstd)")
                fields = {f.name for f in dataclasses.fields(LoadRecord)}
                revision = LoadRecord(**{k: v for k, v in r.items() if k in fields})
                revision.rows_loaded += n
                revision.rows_excluded -= n
                revision.version = (r.get("version") or 1) + 1
                revision.run_id = tx.run_id
                revision.reason = f"late consent: {n} row(s) excluded before loaded in run {tx.run_id}"
                result.revisions.append(revision)
                result.rows += n
                log.info("%s: late consent, %d row(s) loaded", r["file_name"], n)
            shutil.rmtree(workdir, ignore_errors=True)
    finally:
        con.close()
    for line in result.not_reread:
        log.warning("late consent: %s; not re-read", line)
    if judged_at != reference_date or reread or retry or any(r.rows_excluded for r in records):
        _write_judgement(tx, reference_date, sorted({line.split(": ", 1)[0] for line in result.not_reread}))
    return result


def _write_judgement(tx: Transaction, reference_date: dt.date, not_reread: list[str]) -> None:
    # only a committed run's judgement counts: the file commits with the run
    path = tx.add_file(JUDGEMENT)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"reference_date": reference_date.isoformat(), "not_reread": not_reread}),
                    encoding="utf-8")


def _last_judgement(root: Path) -> dict | None:
    path = Path(root) / JUDGEMENT
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

