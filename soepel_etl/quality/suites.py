"""The expectation suites, as readable code; ``soepel_etl/quality/expectations/expectations/*.json`` is
generated from here.

    .venv/bin/python -m soepel_etl.quality.suites     # rewrite the JSON after changing a rule

The JSON is what runs (the pipeline reads the GX project shipped in the package, see ``project.py``;
with an editable install that is the source tree, which is where this writes) and what a reviewer
reads in a pull request; ``tests/quality`` checks that code and JSON agree. Every expectation has a
``meta.severity`` (``critical`` | ``warning``) and a ``meta.why``. Each suite validates one
*reduction* (see ``reductions.py`` and docs/quality.md): a small DataFrame computed in DuckDB with a
``batch`` column naming the file or table each row describes.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from ..schema.contracts import SOURCES, Source
from ..schema import rules as d
from ..schema.profiles import range_columns, reason_columns
from .policy import CRITICAL, WARNING

NAMESPACE = uuid.UUID("5b0e6f6e-5e1a-4c51-9a43-7e7a8f0a7b11")
MIN_ROWS_FOR_RATES = 20         # critical rate rules judge files with at least this many rows


def _e(kind: str, severity: str, why: str, **kwargs) -> dict:
    return {"type": kind, "kwargs": kwargs, "meta": {"severity": severity, "why": why}}


def between(column: str, severity: str, why: str, min_value=None, max_value=None, **kw) -> dict:
    args = {"column": column}
    if min_value is not None:
        args["min_value"] = min_value
    if max_value is not None:
        args["max_value"] = max_value
    return _e("expect_column_values_to_be_between", severity, why, **args, **kw)


def zero(column: str, severity: str, why: str) -> dict:
    return between(column, severity, why, min_value=0, max_value=0)


def equal(a: str, b: str, severity: str, why: str) -> dict:
    return _e("expect_column_pair_values_to_be_equal", severity, why, column_A=a, column_B=b)


def columns(*names: str) -> dict:
    return _e("expect_table_columns_to_match_set", CRITICAL,
              "the reduction has the shape this suite was written for", column_set=list(names), exact_match=False)


# -- raw: one row per delivered file, after parsing, before pseudonymisation ----------------------
def raw_suite(source: Source) -> list[dict]:
    big = f"rows_read >= {MIN_ROWS_FOR_RATES}"
    ex = [
        columns("batch", "rows_read", "rows_loaded", "rows_vs_previous", "extra_columns", "duplicate_rate",
                "quarantine_rate", "valid_identifier_rate"),
        between("valid_identifier_rate", CRITICAL,
                "half the rows without a valid BSN/onderwijsnummer: columns swapped or not this source",
                min_value=0.5, row_condition=big, condition_parser="pandas"),
        between("valid_identifier_rate", WARNING, "more than 2% of the identifiers fail the eleven-test",
                min_value=0.98),
        between("quarantine_rate", CRITICAL, "more than half the rows quarantined: the delivery is broken",
                max_value=0.5, row_condition=big, condition_parser="pandas"),
        between("quarantine_rate", WARNING, "more than 5% of the rows quarantined", max_value=0.05),
        between("duplicate_rate", WARNING, "more than 5% exact duplicate rows", max_value=0.05),
        between("rows_loaded", WARNING, "nothing from this delivery loads", min_value=1),
        between("rows_vs_previous", WARNING,
                "fewer than 70% of the rows of the sender's previous delivery (a third missing?). Deliveries "
                "are incremental, so this is a signal to look, not a reason to stop", min_value=0.7),
        zero("extra_columns", WARNING, "columns the contract does not know (ignored at load)"),
    ]
    for reason, (column, kind) in reason_columns(source).items():
        ex.append(between(column, WARNING, f"more than 1% of the rows fail '{reason}' ({kind})", max_value=0.01))
    for name in range_columns(source):
        earliest = 2000 if source.name == "werk" else 1990
        ex.append(between(f"earliest_year_{name}", WARNING, f"{name} before {earliest}: a date format mix-up?",
                          min_value=earliest))
        limit = 0 if source.checks_month_after_delivery == name else 12
        ex.append(between(f"latest_months_after_delivery_{name}", WARNING,
                          f"{name} more than {limit} months after the delivery date", max_value=limit))
    return ex


# -- staged: one row per staged file, after pseudonymisation -------------------------------------
def staged_suite(source: Source) -> list[dict]:
    ex = [
        columns("batch", "rows", "duplicate_keys", "bad_person_keys", "bad_identifier_types",
                "raw_identifier_columns", "unexpected_columns", "missing_columns"),
        zero("raw_identifier_columns", CRITICAL,
             "a raw identifier or quasi-identifier column (bsn, onderwijsnummer, geboortedatum, postcode, "
             "werkgever or a parsed copy) reached staging"),
        zero("duplicate_keys", CRITICAL, "the record key is not unique within the staged file"),
        zero("bad_person_keys", CRITICAL, "a person_key that is not a 64-character HMAC-SHA256 hex digest"),
        zero("bad_identifier_types", CRITICAL, "identifier_type other than bsn / onderwijsnummer"),
        zero("missing_columns", CRITICAL, "a staging column the build expects is missing"),
        zero("unexpected_columns", WARNING, "a column in staging that the data dictionary does not list"),
    ]
    if source.name == "onderwijs":
        ex.append(zero("bad_birth_months", CRITICAL, "birth date not coarsened to YYYY-MM"))
        ex.append(zero("bad_postcodes", CRITICAL, "postcode not coarsened to its 4 digits"))
    if source.name == "werk":
        ex.append(zero("bad_employer_keys", CRITICAL, "werkgever not pseudonymised to a 64-character key"))
    return ex


# -- core and marts: the few invariants worth a check (docs/quality.md, "What the build checks") ---
# Most rules of the models are restated by nothing here on purpose: an expectation that repeats the
# SQL that made the column (employed = hours > 0, shares add up to one, level from score) cannot fail
# unless the same line is wrong twice. What stays relates independently computed things, or guards
# a promise whose breach is a privacy incident or a published figure that is wrong.
STATUSES = list(d.STATUS_PRIORITY)


def _consent(table: str) -> list[dict]:
    return [columns("batch", "rows", "without_valid_consent"),
            zero("without_valid_consent", CRITICAL,
                 f"a {table} row of a person without valid consent for that pilot: processing the law does not "
                 "allow, and the register reaches the report")]


CORE = {
    "enrolments": [
        columns("batch", "rows", "unknown_pilots"),
        zero("unknown_pilots", CRITICAL, "pilot_code outside the six pilots and '-': the reference folder "
             "(user-supplied) maps an institution to a pilot the project does not know")],
    "interventions": _consent("core/interventions"),
    "persons": [
        columns("batch", "rows", "bad_birth_months"),
        zero("bad_birth_months", CRITICAL, "birth_month not YYYY-MM: a full birth date would be personal data in "
             "the warehouse")],
    "person_month": [
        columns("batch", "month_index", "rows", "persons"),
        equal("rows", "persons", CRITICAL, "one row per person-month: per month as many rows as persons whose "
              "timeline (from core/persons) includes it; a join that fans out inflates every published count"),
    ],
}

MARTS = {
    "outflow_outcomes": [
        columns("batch", "final_24", "months_onbekend_24", "duplicate_outflows", "n"),
        zero("duplicate_outflows", CRITICAL, "one row per outflow (brin, enrolment_id): a join that fans out "
             "inflates every published count"),
        between("months_onbekend_24", CRITICAL, "a final figure is fully observed: a final_24 outflow (flag from the "
                "coverage months) has no unknown month in its window (counted from core/person_month)",
                min_value=0, max_value=0, row_condition="final_24 == True", condition_parser="pandas"),
    ],
    "risk_monitor": [
        columns("batch", "rows", "duplicate_persons"),
        zero("duplicate_persons", CRITICAL, "one row per person: a join that fans out inflates every count"),
    ],
    "outflow_work": [
        columns("batch", "rows", "outflows", "duplicate_outflows", "employed_without_hours"),
        zero("duplicate_outflows", CRITICAL, "one row per outflow (brin, inschrijving_id): a join over the werk "
             "records that fans out inflates every work figure"),
        equal("rows", "outflows", CRITICAL, "the same outflows as marts/outflow_outcomes: the two marts describe "
              "one outflow each and must not disagree on which outflows exist"),
        zero("employed_without_hours", CRITICAL, "an employed month has hours > 0 (W(m) holds only records with "
             "uren > 0; a restated month to zero hours must not count as work)"),
    ],
    "participants": _consent("marts/participants"),
    "interventions": _consent("marts/interventions"),
}


# -- between builds: the new build (still in the run's folder) against the committed one ----------
# One row per thing compared; see regressions.py for the reductions and docs/quality.md for why
# each severity. Thresholds that are settings travel in the reduction (column *_max), so a setting
# changes the check without regenerating this JSON.
REGRESSIONS = {
    "coverage": [
        columns("batch", "previous_month_index", "month_index", "months_back", "months_back_explained"),
        zero("months_back", CRITICAL,
             "a coverage month moved backwards since the previous build, and no werk sender that joined since "
             "holds it back: months published as observed (and final figures) would turn unknown again. "
             "Staging lost files, a sender's own data went backwards, or the build is broken"),
        zero("months_back_explained", WARNING,
             "the employment coverage month moved back because a werk sender that was not active in the "
             "previous build (new, or delivering again) holds it back (extracts.md, werk): final figures of "
             "the months it does not cover become provisional until it catches up"),
    ],
    "final_figures": [
        columns("batch", "changed", "explained", "unexplained"),
        zero("unexplained", CRITICAL,
             "a final figure (an outflow final at 24 months in the previous build: status_24, months_*_24, "
             "sustained_*_24, final_24, the monthly path) changed although no record of that person was "
             "loaded since the previous build; final figures change only through a correction to their "
             "records (definitions.md)"),
    ],
    "outflows_per_cohort": [
        columns("batch", "previous_outflows", "outflows", "drop_share", "drop_share_max"),
        _e("expect_column_pair_values_a_to_be_greater_than_b", WARNING,
           "the number of outflows of a cohort dropped by more than the set share since the previous build "
           "(SOEPEL_OUTFLOW_DROP_MAX): withdrawals can be right, a sender's broken delivery or a broken model "
           "look the same; judged for cohorts of at least 20 outflows",
           column_A="drop_share_max", column_B="drop_share", or_equal=True,
           row_condition=f"previous_outflows >= {MIN_ROWS_FOR_RATES}", condition_parser="pandas"),
    ],
    "onbekend": [
        columns("batch", "previously_observed", "onbekend", "onbekend_share", "onbekend_share_max"),
        _e("expect_column_pair_values_a_to_be_greater_than_b", CRITICAL,
           "status 'onbekend' rose among the person-months the previous build had observed (months up to its "
           "observed-until month; none of them was 'onbekend' then): published statuses would turn unknown "
           "(SOEPEL_ONBEKEND_RISE_MAX)",
           column_A="onbekend_share_max", column_B="onbekend_share", or_equal=True),
    ],
}


def all_suites() -> dict[str, list[dict]]:
    suites = {}
    for name, source in SOURCES.items():
        suites[f"raw_{name}"] = raw_suite(source)
        suites[f"staged_{name}"] = staged_suite(source)
    for name, ex in CORE.items():
        suites[f"core_{name}"] = ex
    for name, ex in MARTS.items():
        suites[f"marts_{name}"] = ex
    for name, ex in REGRESSIONS.items():
        suites[f"regression_{name}"] = ex
    return suites


def suite_json(name: str, expectations: list[dict]) -> dict:
    out = []
    for i, e in enumerate(expectations):
        e = dict(e)
        e["id"] = str(uuid.uuid5(NAMESPACE, f"{name}:{i}:{e['type']}:{json.dumps(e['kwargs'], sort_keys=True)}"))
        e["severity"] = e["meta"]["severity"]      # GX 1.24's own field, kept equal to meta.severity
        out.append(e)
    return {"name": name, "id": str(uuid.uuid5(NAMESPACE, name)), "expectations": out,
            "meta": {"great_expectations_version": "1.24.1",
                     "generated_by": "soepel_etl/quality/suites.py"},
            "notes": None}


def expectations_dir() -> Path:
    """Where ``write`` puts the JSON: the GX project in use (a folder on disk when writing)."""
    from .project import SUITES, project
    return Path(str(project() / SUITES))


def write(folder: Path | None = None) -> list[Path]:
    folder = folder or expectations_dir()
    folder.mkdir(parents=True, exist_ok=True)
    suites = all_suites()
    # a suite dropped from this module goes from the project too (only files this generator wrote)
    for stale in folder.glob("*.json"):
        if stale.stem not in suites and json.loads(stale.read_text(encoding="utf-8")).get("meta", {}).get(
                "generated_by") == "soepel_etl/quality/suites.py":
            stale.unlink()
    written = []
    for name, ex in suites.items():
        path = folder / f"{name}.json"
        path.write_text(json.dumps(suite_json(name, ex), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for p in write():
        print(p)
