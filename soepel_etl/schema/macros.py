"""The rules of :mod:`.rules` and :mod:`.versions` as DuckDB macros.

A model's SQL names the rule it applies — ``status_code(observed, bbl, enrolled, employed,
benefit)``, ``consent_valid(...)``, ``risk_level(risk_score)`` — instead of receiving a fragment
spliced in from Python. Each macro's body is generated from the one Python definition of the rule,
so the rule still lives in one place; DuckDB inlines macros when it binds a query, so a macro costs
nothing at run time (a constant macro is a constant in the plan, and filters on it reach Parquet
row-group statistics).

Two kinds:

* :func:`rule_macros` — the rules of definitions.md, the same for every build;
* :func:`build_macros` — the values of one build (reference date, coverage months, the month
  labels), created by the model runner before the first model runs.
"""

from __future__ import annotations

import datetime as dt

from . import rules as r
from .versions import consent_valid_sql

_CODE = {status: code for code, status in enumerate(r.STATUS_PRIORITY)}


def _macro(signature: str, body: str) -> str:
    return f"CREATE OR REPLACE TEMP MACRO {signature} AS {body}"


def rule_macros() -> list[str]:
    """``CREATE MACRO`` statements for every rule a model names (definitions.md)."""
    flags = ("observed", "bbl", "enrolled", "employed", "benefit")
    return [
        # months
        _macro("month_index(day)", r.month_index_sql("day")),
        _macro("month_text(month_index)", r.month_text_sql("month_index")),
        _macro("month_text_index(text)", r.month_text_index_sql("text")),
        # monthly status, by the spec's priority
        _macro(f"status({', '.join(flags)})", r.status_sql(*flags)),
        _macro(f"status_code({', '.join(flags)})", r.status_code_sql(*flags)),
        _macro("status_text(code)", r.status_text_sql("code")),
        _macro("status_code_of(status)", f"CAST(list_position({list(r.STATUS_PRIORITY)!r}, status) - 1 AS UTINYINT)"),
        _macro("active_status_codes()", repr([_CODE[s] for s in r.ACTIVE_STATUSES])),
        _macro("work_status_codes()", repr([_CODE[s] for s in r.WORK_STATUSES])),
        # outcomes
        _macro("outcome_window()", str(r.WINDOW)),
        _macro("sustained_last()", str(r.SUSTAINED_LAST)),
        _macro("sustained_min()", str(r.SUSTAINED_MIN)),
        _macro("no_registration()", f"'{r.NO_REGISTRATION}'"),
        _macro("no_code()", f"'{r.NO_CODE}'"),
        # work after outflow
        _macro("hours_work_min()", str(r.HOURS_WORK_MIN)),
        _macro("durable_months()", str(r.DURABLE_MONTHS)),
        _macro("hours_band(hours)", r.hours_band_sql("hours")),
        _macro("nearest_rank(sorted_values, p)", r.nearest_rank_sql("sorted_values", "p")),
        # consent (definitions.md, "Consent and purpose")
        _macro("consent_valid(consent, consent_date, consent_withdrawn_date, reference_date)",
               consent_valid_sql("reference_date")),
        # risk monitor
        _macro("risk_age_min()", str(r.RISK_AGE_MIN)),
        _macro("risk_age_max()", str(r.RISK_AGE_MAX)),
        _macro("vsv_age_below()", str(r.VSV_AGE_BELOW)),
        _macro("neet_months_min()", str(r.NEET_MONTHS_MIN)),
        _macro("job_loss_lookback()", str(r.JOB_LOSS_LOOKBACK)),
        _macro("risk_score(without_start_qualification_not_enrolled, neet_3m, op_uitkering, baanverlies_6m)",
               r.risk_score_sql("without_start_qualification_not_enrolled", "neet_3m", "op_uitkering",
                                "baanverlies_6m")),
        _macro("risk_level(risk_score)", r.risk_level_sql("risk_score")),
    ]


def build_macros(reference_date: dt.date, last_month_index: int, observed_until_index: int,
                 reference_month: str, first_label: int, last_label: int) -> list[str]:
    """The values of one build as constant macros.

    ``month_label(month_index)`` is ``month_text`` as a lookup in the list of the build's months
    (``first_label`` … ``last_label``):
    the big per-person tables label hundreds of millions of rows, and a list lookup is several times
    faster than formatting each one."""
    first = first_label
    labels = [r.month_text(i) for i in range(first_label, last_label + 1)]
    return [
        _macro("reference_date()", f"DATE '{reference_date.isoformat()}'"),
        _macro("last_month_index()", str(last_month_index)),
        _macro("observed_until_index()", str(observed_until_index)),
        _macro("reference_month()", f"'{reference_month}'"),
        _macro("reference_index()", str(r.month_text_index(reference_month))),
        _macro("month_label(month_index)", f"{labels!r}[month_index - {first - 1}]"),
    ]


def person_range_macro(low: int, high: int) -> str:
    """``in_person_range(person_id)``: the range of persons the per-person models build now."""
    return _macro("in_person_range(person_id)", f"person_id BETWEEN {low} AND {high}")
