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

from ..extracts.contracts import SOURCES, Source
from ..models import definitions as d
from .policy import CRITICAL, WARNING

NAMESPACE = uuid.UUID("5b0e6f6e-5e1a-4c51-9a43-7e7a8f0a7b11")
MIN_ROWS_FOR_RATES = 20         # critical rate rules judge files with at least this many rows
TOLERANCE = 1e-9                # shares are doubles


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
def reason_columns(source: Source) -> dict[str, tuple[str, str]]:
    """Reason code (docs/ingest.md) → (profile column, rule kind) for the rules that can hit this source."""
    out = {}
    for c in source.columns:
        if c.kind == "identifier":
            continue
        if c.required or c.required_when:
            out[f"missing:{c.name}"] = (f"missing_rate_{c.name}", "missing")
        if c.kind in ("date", "month", "integer", "number"):
            out[f"unparseable:{c.name}"] = (f"unparseable_rate_{c.name}", "type")
        if (c.kind == "code" and c.domain) or c.kind == "pattern" or c.minimum is not None or c.maximum is not None:
            out[f"out_of_domain:{c.name}"] = (f"out_of_domain_rate_{c.name}", "domain")
    for _, end in source.start_end:
        out[f"end_before_start:{end}"] = (f"end_before_start_rate_{end}", "order")
    return out


def range_columns(source: Source) -> list[str]:
    """Date and month columns whose range is profiled (never the birth date: it is personal)."""
    return [c.name for c in source.columns if c.kind in ("date", "month") and c.name != "geboortedatum"]


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


# -- core and marts ----------------------------------------------------------------------------
def _unique(what: str) -> list[dict]:
    return [columns("batch", "rows", "distinct_keys"),
            equal("rows", "distinct_keys", CRITICAL, f"one row per {what}")]


STATUSES = list(d.STATUS_PRIORITY)

CORE = {
    "enrolments": _unique("enrolment (brin, enrolment_id)") + [
        zero("missing_person_keys", CRITICAL, "an enrolment without a person_key"),
        zero("unknown_pilots", CRITICAL, "pilot_code outside the six pilots and '-'")],
    # one row per person and month holds by construction (a GROUP BY person, month; the rule tests
    # check it): counting 88 M distinct keys at national scale cost 7 s of the build's 60
    "employment_months": [
        columns("batch", "rows", "negative_hours", "employed_mismatch"),
        zero("negative_hours", CRITICAL, "hours below 0"),
        zero("employed_mismatch", CRITICAL, "employed is not 'hours > 0'")],
    "benefit_spells": _unique("benefit spell (person, benefit, start)") + [
        zero("end_before_start", CRITICAL, "a spell that ends before it starts")],
    "participants": _unique("person and pilot") + [
        zero("consent_valid_without_consent", CRITICAL, "consent_valid while toestemming is N or missing")],
    "interventions": _unique("intervention (person, pilot, intervention, start)") + [
        zero("without_valid_consent", CRITICAL, "an intervention of a person without valid consent for that pilot")],
    "persons": _unique("person") + [
        zero("bad_birth_months", CRITICAL, "birth_month not YYYY-MM (or a full date slipped through)")],
    "person_month": [
        columns("batch", "month_index", "rows", "persons", "without_status", "unknown_status",
                "status_observed_mismatch"),
        equal("rows", "persons", CRITICAL, "one row per person-month: per month as many rows as persons whose timeline includes it"),
        zero("without_status", CRITICAL, "exactly one status: no person-month without one"),
        zero("unknown_status", CRITICAL, f"status is one of {', '.join(STATUSES)}"),
        zero("status_observed_mismatch", CRITICAL, "status 'onbekend' exactly when the month is not observed"),
    ],
}

_MONTHS = [f"months_{s}_24" for s in ("werk", "onderwijs", "werkend_lerend", "uitkering", "geen", "onbekend")]
_FINAL = dict(row_condition="final_24 == True", condition_parser="pandas")

MARTS = {
    "outflow_outcomes": [
        columns("batch", "final_24", "status_24", "sustained_unknown", "duplicate_outflows", "n", *_MONTHS),
        zero("duplicate_outflows", CRITICAL, "one row per outflow (brin, enrolment_id)"),
        _e("expect_multicolumn_sum_to_equal", CRITICAL, "the six month counts add up to 24",
           column_list=_MONTHS, sum_total=24),
        _e("expect_column_values_to_be_in_set", CRITICAL, "status_24 is one of the six statuses",
           column="status_24", value_set=STATUSES),
        between("months_onbekend_24", CRITICAL, "no final figure without coverage: a final outflow has no "
                "unknown month", min_value=0, max_value=0, **_FINAL),
        _e("expect_column_values_to_be_in_set", CRITICAL,
           "no final figure without coverage: a final outflow has sustained_* known", column="sustained_unknown",
           value_set=[False], **_FINAL),
    ],
    "cohort_outcomes": [
        columns("batch", "horizon", "share_sum", "cohort_total", "outflow_rows", "final_with_provisional"),
        between("share_sum", CRITICAL, "shares per group (cohort … participation_type, horizon) add up to 1",
                min_value=1 - TOLERANCE, max_value=1 + TOLERANCE),
        equal("cohort_total", "outflow_rows", CRITICAL,
              "per horizon the counts n add up to the number of outflow_outcomes rows"),
        zero("final_with_provisional", CRITICAL, "no final figure without coverage: a group marked final "
             "counts only outflows whose month u+horizon is observed"),
    ],
    "risk_monitor": [
        columns("batch", "age", "risk_score", "flags_true", "risk_level", "neet_3m", "neet_rule",
                "duplicate_persons", "n"),
        between("age", CRITICAL, f"ages within {d.RISK_AGE_MIN}–{d.RISK_AGE_MAX}",
                min_value=d.RISK_AGE_MIN, max_value=d.RISK_AGE_MAX),
        equal("risk_score", "flags_true", CRITICAL, "risk_score is the number of true flags"),
        _e("expect_column_pair_values_to_be_in_set", CRITICAL, "risk_level follows risk_score",
           column_A="risk_score", column_B="risk_level",
           value_pairs_set=[[s, next(lv for n, lv in d.RISK_LEVELS if s >= n)] for s in range(5)]),
        equal("neet_3m", "neet_rule", CRITICAL, f"neet_3m is neet_months >= {d.NEET_MONTHS_MIN}"),
        zero("duplicate_persons", CRITICAL, "one row per person"),
    ],
    "participants": _unique("participant (person, pilot)") + [
        zero("without_valid_consent", CRITICAL, "a participant without valid consent at the reference date")],
    "interventions": _unique("intervention (person, pilot, intervention, start)") + [
        zero("without_valid_consent", CRITICAL, "an intervention of a person without valid consent for that pilot")],
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
    written = []
    for name, ex in all_suites().items():
        path = folder / f"{name}.json"
        path.write_text(json.dumps(suite_json(name, ex), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for p in write():
        print(p)
