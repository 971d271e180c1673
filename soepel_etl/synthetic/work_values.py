"""What a synthetic ``werk`` record says about the job: contract type, wage and industry (SBI).

These values never change *whether* or *how many hours* someone works: hours come from
``model.job_hours`` as before (its zero-hour ``oproep`` months still follow the spell's contract at
its start), so ``employed`` and every existing mart number stay as they were. Every value here is a
stateless hash of (job spell, month) — no draw from the generator's random streams, whose order
decides everything else — so the same seed still gives the same bytes.

- contract: a spell starts as drawn (``onbepaald``, ``bepaald``, ``oproep``, ``uitzend``); a
  temporary one turns ``onbepaald`` after a number of months in the job that is exponential with a
  mean of 12 (``bepaald``), 18 (``uitzend``) or 24 (``oproep``) months; a third never converts.
- hourly wage: the statutory youth minimum for the person's age in that month
  (``reference/national/minimumjeugdloon.csv``) times a premium per spell: 45 % of spells pay the
  minimum or up to 4 % above it, the rest 4–35 % above; plus 2 % per year in the job.
  ``sv_loon`` = hours × hourly wage, rounded to cents; 3 % of records carry no ``sv_loon``.
- SBI: an employer's code is drawn once from industries typical of entree and level-2 leavers
  (retail, hospitality, logistics, care, construction, cleaning); every ``uitzend`` spell is at a
  temporary-work agency (78). 3 % of records carry no ``sbi``.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources

import numpy as np

from . import model as M

ONBEPAALD, BEPAALD, OPROEP, UITZEND = range(4)
# mean months in the job until a temporary contract becomes permanent, per contract at the start
MEAN_MONTHS_TO_PERMANENT = np.array([0.0, 12.0, 24.0, 18.0])
NEVER_PERMANENT_SHARE = 1 / 3
AT_MINIMUM_SHARE = 0.45
RAISE_PER_YEAR = 0.02
MISSING_WAGE_SHARE = 0.03
MISSING_SBI_SHARE = 0.03
YOUNGEST_WITH_MINIMUM = 15     # no statutory minimum below 15

# SBI 2008 codes (5 digits) and their weight among the employers: retail 47, hospitality 55/56,
# logistics 49/52, temporary agencies 78, care 86/87/88, construction 41/43, cleaning 81
SBI_CODES = np.array([
    "47111", "47190", "47721", "47591",          # supermarkets, department stores, shoes, furniture
    "56101", "56102", "56302", "55101",          # restaurants, fast food, cafés, hotels
    "49410", "52101", "52291",                   # road haulage, warehousing, forwarding
    "78201", "78202",                            # temporary-work agencies, payrolling
    "86101", "87101", "88101",                   # hospitals, nursing homes, home care
    "41200", "43221", "43341",                   # building, plumbing, painting
    "81211", "81221",                            # office cleaning, window cleaning
])
SBI_WEIGHTS = np.array([14, 5, 2, 2, 9, 6, 3, 2, 5, 5, 2, 6, 2, 4, 4, 4, 3, 3, 2, 4, 1], dtype=float)
AGENCY_CODES = np.array(["78201", "78202"])


def _hash(*parts: np.ndarray) -> np.ndarray:
    """Uniform [0, 1) from integer arrays, via the generator's splitmix64."""
    x = np.zeros(np.broadcast(*parts).shape, dtype=np.uint64)
    for i, p in enumerate(parts):
        x = x * np.uint64(1_000_003 + 2 * i) + np.asarray(p).astype(np.uint64)
    return M._hash01(x)


# --- contract ---------------------------------------------------------------------------------
def months_to_permanent(job_idx: np.ndarray, start_contract: np.ndarray) -> np.ndarray:
    """Months in the job after which the spell's contract is ``onbepaald`` (a large number: never)."""
    u = _hash(job_idx, np.uint64(11))
    never = _hash(job_idx, np.uint64(12)) < NEVER_PERMANENT_SHARE
    months = np.ceil(-np.log1p(-u) * MEAN_MONTHS_TO_PERMANENT[start_contract])
    return np.where((start_contract == ONBEPAALD), 0, np.where(never, 10**6, months)).astype(np.int64)


def contract_codes(t: M.Truth, job_idx: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Contract index (into ``model.CONTRACTS``) of each (spell, month)."""
    j = t.job
    start = j["contract"][job_idx].astype(np.int64)
    tenure = months.astype(np.int64) - j["m0"][job_idx].astype(np.int64)
    return np.where(tenure >= months_to_permanent(job_idx, start), ONBEPAALD, start)


# --- wage -------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def minimum_wage_table() -> tuple[np.ndarray, np.ndarray]:
    """(first month of each period, hourly minimum [period, age 0..max]) from the shipped table.

    Within a period an age above the oldest listed takes the oldest's figure ("… and older"); a
    figure the table lacks (it ships only verified ones) is carried over from the previous period.
    """
    path = resources.files("soepel_etl.reference") / "national" / "minimumjeugdloon.csv"
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    periods = sorted({r["geldig_vanaf"] for r in rows})
    ages = 1 + max(int(r["leeftijd"]) for r in rows)
    table = np.full((len(periods), ages), np.nan)
    for r in rows:
        table[periods.index(r["geldig_vanaf"]), int(r["leeftijd"])] = float(r["minimum_uurloon"])
    for p in range(len(periods)):
        listed = np.flatnonzero(~np.isnan(table[p]))
        table[p, listed.max() + 1:] = table[p, listed.max()]
        missing = np.flatnonzero(np.isnan(table[p]))
        missing = missing[missing >= YOUNGEST_WITH_MINIMUM]
        if p > 0:
            table[p, missing] = table[p - 1, missing]
    starts = np.array([M.month_of(np.array([M.day(d)]))[0] for d in periods], dtype=np.int64)
    return starts, table


def minimum_hourly_wage(ages: np.ndarray, months: np.ndarray) -> np.ndarray:
    starts, table = minimum_wage_table()
    period = np.clip(np.searchsorted(starts, months, side="right") - 1, 0, len(starts) - 1)
    age = np.clip(ages, YOUNGEST_WITH_MINIMUM, table.shape[1] - 1)
    return table[period, age]


def age_in_month(t: M.Truth, pid: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Whole years at the first day of the month."""
    birth = t.birth[pid].astype("datetime64[D]")
    first = months.astype("datetime64[M]").astype("datetime64[D]")
    by, bm, bd = (birth.astype("datetime64[Y]").astype(np.int64) + 1970,
                  birth.astype("datetime64[M]").astype(np.int64) % 12, (birth - birth.astype("datetime64[M]")).astype(np.int64))
    fy, fm = first.astype("datetime64[Y]").astype(np.int64) + 1970, first.astype("datetime64[M]").astype(np.int64) % 12
    return fy - by - ((fm < bm) | ((fm == bm) & (bd > 0))).astype(np.int64)


def hourly_wages(t: M.Truth, job_idx: np.ndarray, months: np.ndarray) -> np.ndarray:
    j = t.job
    minimum = minimum_hourly_wage(age_in_month(t, j["pid"][job_idx], months), months)
    u = _hash(job_idx, np.uint64(21))
    premium = np.where(u < AT_MINIMUM_SHARE, 1 + 0.04 * (u / AT_MINIMUM_SHARE),
                       1.04 + 0.31 * (u - AT_MINIMUM_SHARE) / (1 - AT_MINIMUM_SHARE))
    years = np.maximum(months.astype(np.int64) - j["m0"][job_idx].astype(np.int64), 0) // 12
    return minimum * premium * (1 + RAISE_PER_YEAR * years)


def sv_loon(t: M.Truth, job_idx: np.ndarray, months: np.ndarray, hours: np.ndarray) -> np.ndarray:
    """Gross wage of each record (NaN: delivered without ``sv_loon``)."""
    wage = np.round(hours * hourly_wages(t, job_idx, months), 2)
    return np.where(_hash(job_idx, months, np.uint64(31)) < MISSING_WAGE_SHARE, np.nan, wage)


# --- industry ---------------------------------------------------------------------------------
def employer_sbi(employers: np.ndarray) -> np.ndarray:
    cumulative = np.cumsum(SBI_WEIGHTS) / SBI_WEIGHTS.sum()
    pick = np.searchsorted(cumulative, _hash(employers, np.uint64(41)), side="right")
    return SBI_CODES[np.minimum(pick, len(SBI_CODES) - 1)]


def sbi_codes(t: M.Truth, job_idx: np.ndarray, months: np.ndarray) -> np.ndarray:
    """SBI code of each record ('' : delivered without ``sbi``)."""
    j = t.job
    employers = j["emp"][job_idx]
    codes = employer_sbi(employers)
    agency = j["contract"][job_idx] == UITZEND
    codes = np.where(agency, AGENCY_CODES[(employers % 2).astype(np.int64)], codes)
    return np.where(_hash(job_idx, months, np.uint64(51)) < MISSING_SBI_SHARE, "", codes)

