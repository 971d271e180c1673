"""``soepel-etl status``: what arrived since the previous build, and whether a person must look.

Everything comes from what the warehouse already records — ``_meta/loads`` (files and their row
counts), ``_meta/builds`` (coverage, provisional outflows), ``_meta/changes`` (final figures a
correction changed), ``_meta/quality/runs`` (this window's failed expectations) and the core
tables built from the reference folder (which senders exist). The *window* is every run after the
previous build: with ``soepel-etl run`` that is the last run; with the Airflow DAGs (ingest
batches, then a build) it is all batches since. Nothing is read from the landing zone.

Needs a person (exit 1): a rejected file, a missing sender, a critical (or waived critical) quality
result. Output holds file names (identifiers masked), codes, counts and reasons: no BSN, no name,
no birth date, no person key.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from .extracts.werk_senders import missing_senders, werk_senders
from .privacy import mask_identifiers, scrub
from .quality.policy import CRITICAL
from .quality.runner import QUALITY, STATUS_PAGE
from .schema.rules import month_index, month_text, month_text_index
from .schema.sql import literal, parquet
from .warehouse.builds import BUILDS, COVERAGE
from .warehouse.changes import CHANGES, OUTFLOWS
from .warehouse.loads import read_load_history

OUTCOMES = ("loaded", "rejected", "duplicate_file")


def _parquet_rows(folder: Path, sql: str = "SELECT * FROM t") -> list[dict]:
    files = sorted(folder.rglob("*.parquet")) if folder.is_dir() else []
    if not files:
        return []
    con = duckdb.connect()
    try:
        con.execute(f"CREATE VIEW t AS SELECT * FROM {parquet([str(f) for f in files], union_by_name='true')}")
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]
    finally:
        con.close()


def _month(day: dt.date) -> str:
    return month_text(month_index(day))


def _shift(month: str, by: int) -> str:
    return month_text(month_text_index(month) + by)


@dataclass
class Status:
    since: dict | None                  # the previous build (None: everything, no earlier build)
    latest: dict | None                 # the latest build
    runs: list[str]                     # run ids in the window
    month: str | None                   # "this month" for the senders check
    files: dict = field(default_factory=dict)          # (source, sender) -> Counter of outcomes
    rejected: list[tuple[str, str]] = field(default_factory=list)
    quarantined: Counter = field(default_factory=Counter)   # (source, reason) -> rows
    unbuilt: int = 0                    # files loaded after the latest build
    changes: list[str] = field(default_factory=list)   # one line per changed outflow
    corrections: dict = field(default_factory=dict)    # changed-outflow line -> files that corrected it
    quality: dict = field(default_factory=dict)        # suite -> list of (severity, expectation, files)
    missing: list[str] = field(default_factory=list)

    # -- the verdict ---------------------------------------------------------------------------
    def critical(self) -> list[str]:
        return [f"{suite}: {exp}" for suite, found in self.quality.items() for sev, exp, _ in found
                if sev in (CRITICAL, "waived")]

    def needs_person(self) -> list[str]:
        out = [f"{len(self.rejected)} rejected file(s)"] if self.rejected else []
        out += [f"{len(self.missing)} missing sender(s)"] if self.missing else []
        out += [f"{len(self.critical())} critical quality result(s)"] if self.critical() else []
        return out

    def exit_code(self) -> int:
        return 1 if self.needs_person() else 0

    # -- text ------------------------------------------------------------------------------------
    def sections(self) -> list[tuple[str, list[str]]]:
        """(title, lines) pairs: the text output and the HTML page show the same."""
        b, p = self.latest or {}, self.since or {}
        window = (f"since the build of run {p['run_id']}" if p else "since the first run (no earlier build)")
        head = [f"window: {window}; {len(self.runs)} run(s), last run {self.runs[-1] if self.runs else '-'}",
                f"verdict: {'NEEDS A PERSON: ' + ', '.join(self.needs_person()) if self.needs_person() else 'all well'}"]
        files = []
        for (source, sender), c in sorted(self.files.items()):
            files.append(f"{source:<12} {sender:<8} {c['loaded']} loaded, {c['rejected']} rejected, "
                         f"{c['duplicate_file']} duplicate")
        files += [f"  rejected {name}: {reason}" for name, reason in self.rejected]
        if self.unbuilt:
            files.append(f"{self.unbuilt} file(s) loaded after the last build: not in the figures yet")
        rows = [f"{source:<12} {reason}: {n}" for (source, reason), n in sorted(self.quarantined.items())]
        build = [
            f"employment coverage: {p.get('employment_coverage_month') or '-'} → {b.get('employment_coverage_month') or '-'}",
            f"education coverage:  {p.get('education_coverage_month') or '-'} → {b.get('education_coverage_month') or '-'}",
            f"provisional outflows: {_n(p.get('provisional_outflows'), p)} → {_n(b.get('provisional_outflows'), b)}",
            f"final figures changed: {len(self.changes)} outflow(s)"]
        for line in self.changes:
            fixes = self.corrections.get(line) or ["(no file of this window holds a record of the person)"]
            build.append(f"  {line}  ← {', '.join(fixes)}")
        quality = []
        for suite, found in sorted(self.quality.items()):
            counts = Counter(sev for sev, _, _ in found)
            quality.append(f"{suite}: " + ", ".join(f"{n} {sev}" for sev, n in sorted(counts.items())))
            quality += [f"  [{sev}] {_short(exp)} ({len(files)} file(s)/table(s))" for sev, exp, files in found]
        senders = [f"this month: {self.month or '-'}"] + [f"  missing: {m}" for m in self.missing]
        return [("Status", head), ("Files per source and sender", files or ["no files in this window"]),
                ("Rows quarantined per reason", rows or ["none"]), ("Build", build),
                ("Quality warnings per suite", quality or ["none"]), ("Senders", senders)]

    def lines(self) -> list[str]:
        out = []
        for title, lines in self.sections():
            out += [f"== {title}", *lines]
        return [mask_identifiers(line) for line in out]

    def html(self) -> str:
        body = "".join(f"<section><h2>{html.escape(title)}</h2><pre>"
                       f"{html.escape(chr(10).join(mask_identifiers(x) for x in lines))}</pre></section>"
                       for title, lines in self.sections())
        state = "needs" if self.needs_person() else "well"
        return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
                "<title>Soepel ETL status</title><style>body{font-family:sans-serif;margin:2em;max-width:70em}"
                "pre{background:#f4f4f4;padding:.7em;white-space:pre-wrap}.needs{color:#a00}.well{color:#070}</style>"
                f"</head><body><h1 class=\"{state}\">Soepel ETL status</h1>{body}</body></html>\n")


def _n(value, build: dict) -> str:
    """A count of a build: '-' without a build, '?' for a build recorded before the count was kept."""
    return "-" if not build else "?" if value is None else str(value)


def _short(expectation: str) -> str:
    """``expect_column_values_to_be_between(quarantine_rate)`` → ``quarantine_rate``: in the raw and
    staged suites the profile column names the check."""
    prefix = "expect_column_values_to_be_between("
    return expectation[len(prefix):-1] if expectation.startswith(prefix) else expectation


def _builds(warehouse: Path) -> list[dict]:
    return _parquet_rows(warehouse / BUILDS, "SELECT * FROM t ORDER BY built_at, run_id")


def _sender_codes(warehouse: Path) -> set[str]:
    """Every sender code of the reference folder the warehouse was built with (its core tables)."""
    codes = set()
    for table, column in (("institutions", "brin"), ("municipalities", "municipality_code"), ("pilots", "pilot_code")):
        codes |= {r["c"] for r in _parquet_rows(warehouse / "core" / table, f"SELECT DISTINCT {column} AS c FROM t")}
    return {str(c).upper() for c in codes if c}


def _missing(history: list[dict], known: set[str], month: str | None, current_code: dict,
             build_senders: list[dict] | None) -> list[str]:
    """Monthly senders (known to the reference, delivered in each of the two months before) with no file
    this month; and the `werk` senders extracts.md calls inactive (no delivery for six months): as the
    latest build judged them (``build_senders``, its ``_meta/coverage`` rows), so status and the build
    never disagree; only a warehouse built before that record existed judges them from the loads."""
    out = []
    delivered: dict[tuple, set] = defaultdict(set)
    for r in history:
        if r["source"] and r["sender"] and r["delivery_date"]:
            sender = current_code.get(r["sender"].upper(), r["sender"].upper())
            delivered[(r["source"], sender)].add(_month(r["delivery_date"]))
    if month:
        for (source, sender), months in sorted(delivered.items()):
            if sender in known and {_shift(month, -1), _shift(month, -2)} <= months and month not in months:
                out.append(f"{source} {sender}: monthly sender, last delivery {max(months)}, nothing in {month}")
    if build_senders is not None:
        inactive = [(r["sender"], r["latest_delivery"]) for r in build_senders if r["source"] == "werk" and not r["active"]]
    else:
        werk = [r for r in history if r["source"] == "werk" and r["outcome"] == "loaded" and r["delivery_date"]]
        inactive = [(s.sender, s.latest_delivery) for s in missing_senders(werk_senders(werk, current_code))]
    for sender, latest_delivery in sorted(inactive):
        out.append(f"werk {sender}: inactive, last delivery {latest_delivery} (more than 6 months before the "
                   "latest werk delivery; no longer holds employment coverage back)")
    return out


def _build_senders(warehouse: Path, build: dict | None) -> list[dict] | None:
    path = warehouse / COVERAGE / f"{build['run_id']}.parquet" if build else None
    return pq.read_table(path).to_pylist() if path is not None and path.is_file() else None


def _corrections(warehouse: Path, changed: list[dict], load_ids: set[str]) -> dict[tuple, list[str]]:
    """(brin, enrolment_id) -> the files of this window holding a record of that outflow's person:
    the corrections (definitions.md: final figures change only through them). Joined in DuckDB; only
    file names come back."""
    outflows = sorted((warehouse / OUTFLOWS).rglob("*.parquet"))
    staged = [p for p in sorted((warehouse / "staging").rglob("*.parquet")) if p.name.split(".")[0] in load_ids]
    if not changed or not outflows or not staged:
        return {}
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE changed (brin VARCHAR, enrolment_id VARCHAR)")
        con.executemany("INSERT INTO changed VALUES (?, ?)", sorted({(c["brin"], c["enrolment_id"]) for c in changed}))
        rows = con.execute(f"""
            WITH o AS (SELECT brin, enrolment_id, person_key FROM {parquet(outflows, union_by_name='true')}
                       SEMI JOIN changed USING (brin, enrolment_id)),
                 s AS (SELECT DISTINCT person_key, file_name FROM {parquet(staged, union_by_name='true')})
            SELECT DISTINCT o.brin, o.enrolment_id, s.file_name FROM o JOIN s USING (person_key) ORDER BY ALL""").fetchall()
    finally:
        con.close()
    out: dict[tuple, list[str]] = defaultdict(list)
    for brin, enrolment_id, name in rows:
        out[(brin, enrolment_id)].append(mask_identifiers(name))
    return out


def _quality(warehouse: Path, runs: set[str]) -> dict:
    found: dict[str, list] = defaultdict(list)
    for path in sorted((warehouse / QUALITY / "runs").glob("*.json")):
        if path.stem not in runs:
            continue
        for suite in json.loads(path.read_text(encoding="utf-8"))["suites"]:
            for f in suite["failures"]:
                found[suite["suite"]].append((f["severity"], f["expectation"], f["batches"]))
    return dict(found)


def read_status(warehouse: Path, current_code: dict | None = None, month: str | None = None) -> Status:
    """The status of ``warehouse`` (checked by the caller). ``current_code``: old municipality code →
    today's (the reference folder's mergers); ``month`` ('YYYY-MM'): "this month", by default the
    month of the latest delivery loaded (like the reference date: never today's date)."""
    if month is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise ValueError(f"--month {month!r} is not a month YYYY-MM")
    current_code = current_code or {}
    builds = _builds(warehouse)
    latest = builds[-1] if builds else None
    since = builds[-2] if len(builds) > 1 else None
    history = read_load_history(warehouse).to_pylist()
    first = [r for r in history if r["version"] == 1]
    in_window = [r for r in first if since is None or r["run_id"] > since["run_id"]]
    runs = sorted(({r["run_id"] for r in history if since is None or r["run_id"] > since["run_id"]}
                   | ({latest["run_id"]} if latest else set())) - ({since["run_id"]} if since else set()))
    loaded_dates = [r["delivery_date"] for r in first if r["outcome"] == "loaded" and r["delivery_date"]]
    status = Status(since, latest, runs, month or (_month(max(loaded_dates)) if loaded_dates else None))
    for r in in_window:
        key = (r["source"] or "?", mask_identifiers(r["sender"] or "?"))
        status.files.setdefault(key, Counter())[r["outcome"]] += 1
        if r["outcome"] == "rejected":
            status.rejected.append((mask_identifiers(r["file_name"]), scrub(r["reason"] or "")))
        if r["outcome"] == "loaded":
            for reason, n in json.loads(r["quarantine_reasons"] or "{}").items():
                status.quarantined[(r["source"], reason)] += int(n)
    status.unbuilt = sum(1 for r in first if r["outcome"] == "loaded" and latest and r["run_id"] > latest["run_id"])
    if latest and (since is None or latest["run_id"] > since["run_id"]):
        changed = _parquet_rows(warehouse / CHANGES, f"SELECT * FROM t WHERE run_id = {literal(latest['run_id'])} ORDER BY ALL")
        window_loads = {r["load_id"] for r in history if since is None or r["run_id"] > since["run_id"]}
        fixes = _corrections(warehouse, changed, window_loads)
        for (brin, enrolment_id), line in _describe(changed).items():
            status.changes.append(line)
            status.corrections[line] = fixes.get((brin, enrolment_id), [])
    status.quality = _quality(warehouse, set(runs))
    status.missing = _missing(first, _sender_codes(warehouse), status.month, current_code,
                              _build_senders(warehouse, latest))
    return status


def _describe(changes: list[dict]) -> dict[tuple, str]:
    """(brin, enrolment_id) -> ``brin/enrolment_id: column old→new, …``; a long value (the 24 monthly
    statuses) is only named: ``_meta/changes`` and the run log have it whole."""
    parts: dict[tuple, list[str]] = defaultdict(list)
    for c in changes:
        old, new = c["old"] if c["old"] is not None else "-", c["new"] if c["new"] is not None else "-"
        parts[(c["brin"], c["enrolment_id"])].append(
            f"{c['column']} changed" if len(old) + len(new) > 30 else f"{c['column']} {old}→{new}")
    return {k: f"{k[0]}/{k[1]}: {', '.join(v)}" for k, v in parts.items()}


def write_status_page(warehouse: Path, status: Status) -> Path:
    """``<warehouse>/_meta/quality/status.html``, beside the Data Docs: owner-only, like the warehouse,
    written whole (a reader never sees half a page)."""
    path = Path(warehouse) / STATUS_PAGE
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".status.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(status.html())
    os.replace(tmp, path)
    return path
