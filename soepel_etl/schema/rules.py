"""Definitions that live once (definitions.md): the status priority, the outcome windows, the risk
flags' thresholds, and month arithmetic. Every model asks this module; none repeats a rule.
"""

from __future__ import annotations

# Monthly status, the first that applies (definitions.md, "Months and observation").
STATUS_PRIORITY = ("onbekend", "werkend_lerend", "onderwijs", "werk", "uitkering", "geen")
ACTIVE_STATUSES = ("werk", "onderwijs", "werkend_lerend")       # sustained destination
WORK_STATUSES = ("werk", "werkend_lerend")                     # sustained work

HORIZONS = (6, 12, 24)
WINDOW = 24                       # months u+1 … u+24
SUSTAINED_LAST = 6                # the last 6 months of the window: u+19 … u+24
SUSTAINED_MIN = 5                 # at least 5 of those 6

RISK_AGE_MIN, RISK_AGE_MAX = 16, 27
VSV_AGE_BELOW = 23
NEET_MONTHS_MIN = 3
JOB_LOSS_LOOKBACK = 6             # employed in at least one of R-6 … R-1
RISK_LEVELS = ((2, "hoog"), (1, "verhoogd"), (0, "laag"))
# the risk monitor's flags, in the order the report shows them (definitions.md, "Risk monitor")
RISK_FLAGS = ("zonder_startkwalificatie", "vsv", "neet_3m", "op_uitkering", "baanverlies_6m")

# Work after outflow (definitions.md, "Work after outflow")
WORK_HORIZONS = (12, 24)
HOURS_WORK_MIN = 52               # hours a month: 12 a week, CBS's threshold for having work
HOURS_FULL_TIME = 152             # 35 hours a week
HOURS_BANDS = ("geen", "klein", "deeltijd", "voltijd")   # 0 | > 0 and < 52 | 52 ≤ h < 152 | ≥ 152
DURABLE_MONTHS = 6                # the same employer in every month u+19 … u+24
WAGE_PERCENTILES = (25, 50, 75)   # by nearest rank
WAGE_PUBLISH_MIN = 20             # publiek: a wage percentile needs at least 20 outflows …
WAGE_PUBLISH_ROUND = 10           # … and is rounded to the nearest 10 euros

NO_CODE = "-"                     # pilot or region unknown / none
NO_REGISTRATION = "geen_registratie"


def status_sql(observed: str, bbl: str, enrolled: str, employed: str, benefit: str) -> str:
    """The monthly status as one SQL CASE, in the spec's priority order."""
    return (
        f"CASE WHEN NOT {observed} THEN 'onbekend' "
        f"WHEN {bbl} THEN 'werkend_lerend' "
        f"WHEN {enrolled} THEN 'onderwijs' "
        f"WHEN {employed} THEN 'werk' "
        f"WHEN {benefit} THEN 'uitkering' "
        f"ELSE 'geen' END"
    )


def status_code_sql(observed: str, bbl: str, enrolled: str, employed: str, benefit: str) -> str:
    """The monthly status as its position in STATUS_PRIORITY (0 = onbekend … 5 = geen), a UTINYINT.

    The big per-person tables keep the code; text is attached when a table is published. That 0 is
    'onbekend' is used on purpose: a month with no row at all decodes as unknown.
    """
    sql = status_sql(observed, bbl, enrolled, employed, benefit)
    for code, name in enumerate(STATUS_PRIORITY):
        sql = sql.replace(f"'{name}'", str(code))
    return f"CAST({sql} AS UTINYINT)"


def status_text_sql(code: str) -> str:
    """STATUS_PRIORITY code → status text."""
    return f"{list(STATUS_PRIORITY)!r}[{code} + 1]"


def month_index(day) -> int:
    """A date → months since year 0 (the Python twin of month_index_sql)."""
    return day.year * 12 + day.month - 1


def month_text_index(text: str) -> int:
    """'YYYY-MM' → months since year 0 (the Python twin of month_text_index_sql)."""
    return int(text[:4]) * 12 + int(text[5:7]) - 1


def optional_month_index(text: str | None) -> int | None:
    """:func:`month_text_index`, or None where there is no month (a coverage nobody delivered yet)."""
    return None if text is None else month_text_index(text)


def month_index_sql(date_expr: str) -> str:
    """A date (or 'YYYY-MM' text) → months since year 0: year*12 + month-1; plain integer arithmetic."""
    return f"(year({date_expr}) * 12 + month({date_expr}) - 1)"


def month_text_index_sql(text_expr: str) -> str:
    return f"(CAST(substr({text_expr}, 1, 4) AS INTEGER) * 12 + CAST(substr({text_expr}, 6, 2) AS INTEGER) - 1)"


def month_text(index: int) -> str:
    """months since year 0 → 'YYYY-MM' (the inverse of month_index_sql), in Python."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_text_sql(index_expr: str) -> str:
    return f"printf('%04d-%02d', ({index_expr}) // 12, ({index_expr}) % 12 + 1)"


def risk_score_sql(without_start_qualification_not_enrolled: str, neet_3m: str, op_uitkering: str,
                   baanverlies_6m: str) -> str:
    """risk_score: how many of the four are true (definitions.md; vsv is a flag, not a term: its
    age limit does not count towards the score)."""
    terms = (without_start_qualification_not_enrolled, neet_3m, op_uitkering, baanverlies_6m)
    return f"CAST({' + '.join(f'({t})::INTEGER' for t in terms)} AS INTEGER)"


def risk_level_sql(score: str) -> str:
    cases = " ".join(f"WHEN {score} >= {n} THEN '{level}'" for n, level in RISK_LEVELS)
    return f"CASE {cases} END"


def surrogate_id_sql(pseudonym: str) -> str:
    """SQL: a 60-bit integer from the first 15 hex digits of a pseudonym (``person_key``, ``employer_key``).

    Staging stores it beside the pseudonym so the build joins and groups on integers instead of
    64-character strings (hashing those is what does not scale). It is no way back to an identifier:
    it is a prefix of the pseudonym. The build checks that no two person_keys share one and fails
    loudly rather than merge two people; at national scale the chance is about 1 in 370 000.
    """
    return f"CAST(CAST('0x' || substr({pseudonym}, 1, 15) AS UBIGINT) AS BIGINT)"


def hours_band_sql(hours: str) -> str:
    """The hours band of a month's hours (all jobs together)."""
    geen, klein, deeltijd, voltijd = HOURS_BANDS
    return (f"CASE WHEN {hours} >= {HOURS_FULL_TIME} THEN '{voltijd}' WHEN {hours} >= {HOURS_WORK_MIN} "
            f"THEN '{deeltijd}' WHEN {hours} > 0 THEN '{klein}' ELSE '{geen}' END")


def nearest_rank_sql(sorted_values: str, p: str) -> str:
    """The p-th percentile by nearest rank of an ascending SQL list: x_⌈p·n/100⌉ (NULL when empty)."""
    return (f"CASE WHEN len({sorted_values}) > 0 THEN "
            f"{sorted_values}[CAST(ceil({p} * len({sorted_values}) / 100.0) AS BIGINT)] END")
