"""marts/outflow_work and marts/cohort_work, rule by rule (definitions.md, "Work after outflow";
warehouse.md, `marts/outflow_work`, `marts/cohort_work`).

Every expected number below is worked out from the spec by hand (or, for roundings, with Python's
Decimal), never read back from the SQL. A pipeline run is slow, so one hand-built person per rule
shares one run (the module's `work` scenario); rules that need their own coverage or their own
cohort groups get their own run.

Unless said otherwise an outflow ends on 2019-06-30: u = 2019-06, u+12 = 2020-06, u+24 = 2021-06,
and the durable-work window u+19 … u+24 is 2021-01 … 2021-06; coverage is 2022-12.
"""

from __future__ import annotations

import functools
import math
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soepel_etl.schema.macros import rule_macros
from tests.scenario import Scenario

U12, U24 = "2020-06", "2021-06"
WINDOW = ["2021-01", "2021-02", "2021-03", "2021-04", "2021-05", "2021-06"]     # u+19 … u+24
WORK_COLUMNS = [f"{c}_{k}" for k in (12, 24) for c in
                ("employed", "hours", "hours_band", "contract", "wage", "hourly_wage", "sbi_section")]


def r2(x) -> float:
    """Round half away from zero to 2 decimals, on the decimal value as delivered (the spec's round)."""
    return float(Decimal(str(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _employers_keyed_against_their_names():
    """Two werkgever values whose pseudonyms sort the other way round from the values themselves, so
    a tie broken on the delivered value (or on delivery order) gives the wrong main job."""
    names = [f"WG{i}" for i in range(20)]
    for a in names:
        for b in names:
            if a < b and Scenario.employer_key(a) > Scenario.employer_key(b):
                return a, b          # a sorts first by name, b by employer_key
    raise AssertionError("no such pair")  # pragma: no cover


NAME_FIRST, KEY_FIRST = _employers_keyed_against_their_names()

# SBI code as delivered -> section (NACE Rev. 2 division ranges, definitions.md)
SBI_CASES = [
    ("01", "A"), ("03", "A"), ("04", None), ("05", "B"), ("09", "B"), ("33", "C"), ("34", None), ("35", "D"),
    ("36", "E"), ("39", "E"), ("40", None), ("41", "F"), ("43", "F"), ("44", None), ("99", "U"), ("00", None),
    ("AB", None), ("A1", None), ("47.11", "G"), ("4711", "G"), ("47 11", "G"), ("4 711", "G"), ("4.711", "G"),
    ("6.4", "K"), ("86.10.1", "Q"),
]
HOURS_BAND_CASES = [(0, "geen"), (0.01, "klein"), (51.99, "klein"), (52, "deeltijd"), (151.99, "deeltijd"),
                    (152, "voltijd"), (200, "voltijd")]


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """One run, one person per rule; returns (scenario, {case: bsn})."""
    s = Scenario(tmp_path_factory.mktemp("work"), coverage="2022-12")
    people: dict = {}

    def outflow(case, start="2018-08-01", end="2019-06-30", **kw):
        p = people[case] = s.person()
        s.enrol(p, start, end, **kw)
        return p

    # -- main job ------------------------------------------------------------------------------
    p = outflow("most_hours")                      # the one with more hours wins, whatever its wage
    s.work(p, U12, 30, "LH-A", sv_loon=900, contractsoort="onbepaald", sbi="85")
    s.work(p, U12, 50, "LH-B", sv_loon=400, contractsoort="oproep", sbi="47.11")
    s.work(p, U12, 49.99, "LH-C", sv_loon=2000, contractsoort="bepaald", sbi="01")
    p = outflow("tie_higher_wage")                 # equal hours: the higher sv_loon
    s.work(p, U12, 40, "LH-A", sv_loon=600, contractsoort="onbepaald", sbi="85")
    s.work(p, U12, 40, "LH-B", sv_loon=500, contractsoort="bepaald", sbi="41")
    p = outflow("tie_empty_wage_lowest")           # equal hours: an empty sv_loon loses even to 0
    s.work(p, U12, 40, "LH-A", contractsoort="onbepaald", sbi="85")
    s.work(p, U12, 40, "LH-B", sv_loon=0, contractsoort="uitzend", sbi="78")
    p = outflow("tie_lower_employer_key")          # equal hours and sv_loon: the lower employer_key
    s.work(p, U12, 40, NAME_FIRST, sv_loon=500, contractsoort="onbepaald", sbi="85")
    s.work(p, U12, 40, KEY_FIRST, sv_loon=500, contractsoort="bepaald", sbi="41")
    p = outflow("tie_both_wages_empty")            # equal hours, both sv_loon empty: the lower employer_key
    s.work(p, U12, 40, NAME_FIRST, contractsoort="onbepaald", sbi="85")
    s.work(p, U12, 40, KEY_FIRST, contractsoort="uitzend", sbi="41")
    p = outflow("main_job_without_contract")       # the main job's empty contractsoort is 'onbekend'
    s.work(p, U12, 100, "LH-A", sv_loon=1000, sbi="85")
    s.work(p, U12, 20, "LH-B", sv_loon=200, contractsoort="onbepaald", sbi="41")

    # -- sums --------------------------------------------------------------------------------
    p = outflow("two_employers")
    s.work(p, U12, 30.25, "LH-A", sv_loon=300.10, contractsoort="bepaald", sbi="85")
    s.work(p, U12, 50.5, "LH-B", sv_loon=500.2, contractsoort="oproep", sbi="56")
    p = outflow("one_record_without_wage")         # any record of W(m) without sv_loon: no wage
    s.work(p, U12, 100, "LH-A", sv_loon=1000, contractsoort="onbepaald", sbi="85")
    s.work(p, U12, 10, "LH-B", contractsoort="oproep", sbi="56")
    p = outflow("rounding")                        # decimals as delivered, half away from zero
    s.work(p, U12, "10.005", "LH-A", sv_loon="1000.005", contractsoort="bepaald", sbi="85")
    s.work(p, U24, "10", "LH-A", sv_loon="26.75", contractsoort="bepaald", sbi="85")   # 2.675 an hour
    p = outflow("decimal_comma")                   # 12,5 is 12.5
    s.work(p, U12, "12,5", "LH-A", sv_loon="250,25", contractsoort="bepaald", sbi="85")

    # -- a month restated to zero hours ------------------------------------------------------
    p = outflow("restated_to_zero")
    s.work(p, U12, 120, "LH-A", sv_loon=2000, contractsoort="onbepaald", sbi="85", delivery="2020-07-31")
    s.work(p, U12, 0, "LH-A", sv_loon=0, contractsoort="onbepaald", sbi="85")          # restated: not employed
    p = outflow("restated_main_job")               # the restated job is out of W(m); the other job is the main job
    s.work(p, U12, 120, "LH-A", sv_loon=2000, contractsoort="onbepaald", sbi="85", delivery="2020-07-31")
    s.work(p, U12, 10, "LH-B", contractsoort="oproep", sbi="56", delivery="2020-07-31")
    s.work(p, U12, 0, "LH-A", sv_loon=2000, contractsoort="onbepaald", sbi="85")
    p = outflow("restated_up")                     # a restatement can also add hours
    s.work(p, U12, 0, "LH-A", contractsoort="onbepaald", sbi="85", delivery="2020-07-31")
    s.work(p, U12, 60, "LH-A", sv_loon=600, contractsoort="onbepaald", sbi="85")

    # -- SBI sections and hours bands ----------------------------------------------------------
    for code, _section in SBI_CASES:
        p = outflow(("sbi", code))
        s.work(p, U12, 80, "LH-A", sv_loon=800, contractsoort="bepaald", sbi=code)
    p = outflow(("sbi", "empty"))
    s.work(p, U12, 80, "LH-A", sv_loon=800, contractsoort="bepaald")
    p = outflow(("sbi", "main_job_only"))          # the main job's sbi, not the first or any other
    s.work(p, U12, 10, "LH-A", sv_loon=100, contractsoort="bepaald", sbi="85")
    s.work(p, U12, 70, "LH-B", sv_loon=700, contractsoort="bepaald", sbi="AB")
    for hours, _band in HOURS_BAND_CASES:
        p = outflow(("band", hours))
        s.work(p, U24, hours, "LH-A", sv_loon=100, contractsoort="bepaald", sbi="85")
    p = outflow(("band", "two_jobs"))              # the band of all jobs together
    s.work(p, U24, 26, "LH-A", sv_loon=100, contractsoort="bepaald", sbi="85")
    s.work(p, U24, 26, "LH-B", sv_loon=100, contractsoort="bepaald", sbi="85")

    # -- durable work and the same employer ---------------------------------------------------
    p = outflow("durable")
    for m in WINDOW:
        s.work(p, m, 60, "LH-A", sv_loon=600, contractsoort="onbepaald", sbi="85")
    p = outflow("durable_employer_change")         # 160 hours every month, but two employers in turn
    for m in WINDOW[:3]:
        s.work(p, m, 160, "LH-A", sv_loon=1600, contractsoort="onbepaald", sbi="85")
    for m in WINDOW[3:]:
        s.work(p, m, 160, "LH-B", sv_loon=1600, contractsoort="onbepaald", sbi="85")
    p = outflow("durable_51_hours")                # the same employer, but 51 hours in u+24
    for m in WINDOW:
        s.work(p, m, 51 if m == U24 else 160, "LH-A", sv_loon=1000, contractsoort="onbepaald", sbi="85")
    p = outflow("durable_51_plus_1")               # 51 + 1 = 52 hours in u+24 over all jobs: durable
    for m in WINDOW:
        s.work(p, m, 51 if m == U24 else 160, "LH-A", sv_loon=1000, contractsoort="onbepaald", sbi="85")
    s.work(p, U24, 1, "LH-B", sv_loon=10, contractsoort="oproep", sbi="56")
    p = outflow("durable_gap")                     # no work at all in one month of the six
    for m in WINDOW:
        if m != "2021-03":
            s.work(p, m, 160, "LH-A", sv_loon=1600, contractsoort="onbepaald", sbi="85")
    p = outflow("durable_zero_month")              # one of the six restated to 0 hours
    for m in WINDOW:
        s.work(p, m, 0 if m == "2021-03" else 160, "LH-A", sv_loon=1600, contractsoort="onbepaald", sbi="85")
    p = outflow("durable_window_starts_at_u19")    # u+18 does not count: work u+18 … u+23 and a new job at u+24
    for m in ["2020-12"] + WINDOW[:5]:
        s.work(p, m, 160, "LH-A", sv_loon=1600, contractsoort="onbepaald", sbi="85")
    s.work(p, U24, 160, "LH-B", sv_loon=1600, contractsoort="onbepaald", sbi="85")

    p = outflow("same_employer")                   # LH-A in u+12 and u+24 (with another job besides)
    s.work(p, U12, 40, "LH-A", sv_loon=400, contractsoort="bepaald", sbi="85")
    s.work(p, U24, 100, "LH-B", sv_loon=1000, contractsoort="onbepaald", sbi="41")
    s.work(p, U24, 5, "LH-A", sv_loon=50, contractsoort="oproep", sbi="85")
    p = outflow("other_employer")
    s.work(p, U12, 40, "LH-A", sv_loon=400, contractsoort="bepaald", sbi="85")
    s.work(p, U24, 40, "LH-B", sv_loon=400, contractsoort="bepaald", sbi="85")
    p = outflow("same_employer_restated_away")
    s.work(p, U12, 40, "LH-A", sv_loon=400, contractsoort="bepaald", sbi="85")
    s.work(p, U24, 40, "LH-A", sv_loon=400, contractsoort="bepaald", sbi="85", delivery="2021-07-31")
    s.work(p, U24, 0, "LH-A", sv_loon=0, contractsoort="bepaald", sbi="85")
    p = outflow("same_employer_not_in_between")    # the same employer at u+13 and u+23 does not count
    s.work(p, "2020-07", 40, "LH-A", sv_loon=400, contractsoort="bepaald", sbi="85")
    s.work(p, "2021-05", 40, "LH-A", sv_loon=400, contractsoort="bepaald", sbi="85")
    outflow("no_work")

    # -- not observed -----------------------------------------------------------------------
    p = outflow("u24_not_observed", end="2021-06-30")      # u+12 = 2022-06 observed, u+24 = 2023-06 not
    s.work(p, "2022-06", 160, "LH-A", sv_loon=2400, contractsoort="onbepaald", sbi="85")
    for m in ["2022-07", "2022-08", "2022-09", "2022-10", "2022-11", "2022-12"]:
        s.work(p, m, 160, "LH-A", sv_loon=2400, contractsoort="onbepaald", sbi="85")
    p = outflow("nothing_observed", end="2022-03-31")      # u+12 = 2023-03
    s.work(p, "2022-12", 160, "LH-A", sv_loon=2400, contractsoort="onbepaald", sbi="85")
    p = outflow("u24_last_observed", end="2020-12-31")     # u+24 = 2022-12: observed, the last month that is
    s.work(p, "2022-12", 80, "LH-A", sv_loon=800, contractsoort="bepaald", sbi="85")

    s.run()
    return s, people


def row(work, case):
    s, people = work
    [r] = s.work_rows(people[case])
    return r


def key_fields(r, k, *names):
    return tuple(r[f"{n}_{k}"] for n in names)


# -- main job ---------------------------------------------------------------------------------------

def test_main_job_has_the_most_hours(work):
    r = row(work, "most_hours")
    assert (r["contract_12"], r["sbi_section_12"]) == ("oproep", "G")


def test_main_job_tie_goes_to_the_higher_sv_loon(work):
    r = row(work, "tie_higher_wage")
    assert (r["contract_12"], r["sbi_section_12"]) == ("onbepaald", "P")


def test_main_job_tie_an_empty_sv_loon_is_lowest(work):
    r = row(work, "tie_empty_wage_lowest")
    assert (r["contract_12"], r["sbi_section_12"]) == ("uitzend", "N")
    assert r["wage_12"] is None and r["hourly_wage_12"] is None       # one record lacks sv_loon


def test_main_job_tie_goes_to_the_lower_employer_key(work):
    assert Scenario.employer_key(KEY_FIRST) < Scenario.employer_key(NAME_FIRST) and NAME_FIRST < KEY_FIRST
    r = row(work, "tie_lower_employer_key")
    assert (r["contract_12"], r["sbi_section_12"]) == ("bepaald", "F")
    r = row(work, "tie_both_wages_empty")
    assert (r["contract_12"], r["sbi_section_12"]) == ("uitzend", "F")


def test_main_job_without_contractsoort_is_onbekend(work):
    r = row(work, "main_job_without_contract")
    assert (r["employed_12"], r["contract_12"], r["sbi_section_12"]) == (True, "onbekend", "P")


# -- sums ---------------------------------------------------------------------------------------------

def test_two_employers_add_up_hours_and_wage(work):
    r = row(work, "two_employers")
    assert key_fields(r, 12, "employed", "hours", "hours_band", "wage", "hourly_wage") == \
        (True, 80.75, "deeltijd", 800.3, r2(Decimal("800.30") / Decimal("80.75")))
    assert (r["contract_12"], r["sbi_section_12"]) == ("oproep", "I")     # 50.5 hours at LH-B


def test_a_record_without_sv_loon_makes_the_wage_null(work):
    r = row(work, "one_record_without_wage")
    assert key_fields(r, 12, "employed", "hours", "hours_band", "contract", "wage", "hourly_wage", "sbi_section") == \
        (True, 110.0, "deeltijd", "onbepaald", None, None, "P")


def test_sums_round_half_away_from_zero_on_the_delivered_decimals(work):
    r = row(work, "rounding")
    assert (r["hours_12"], r["wage_12"]) == (r2("10.005"), r2("1000.005")) == (10.01, 1000.01)
    assert r["hourly_wage_12"] == r2(Decimal("1000.01") / Decimal("10.01"))      # of the rounded values
    assert (r["hours_24"], r["wage_24"], r["hourly_wage_24"]) == (10.0, 26.75, 2.68)  # 26.75 / 10 = 2.675


def test_decimal_comma(work):
    r = row(work, "decimal_comma")
    assert key_fields(r, 12, "hours", "wage", "hourly_wage") == (12.5, 250.25, r2(Decimal("250.25") / Decimal("12.5")))


# -- restated months ------------------------------------------------------------------------------

def test_a_month_restated_to_zero_hours_is_not_employed(work):
    r = row(work, "restated_to_zero")
    assert key_fields(r, 12, *("employed", "hours", "hours_band", "contract", "wage", "hourly_wage", "sbi_section")) == \
        (False, 0.0, "geen", None, None, None, None)


def test_a_restated_job_is_no_main_job(work):
    r = row(work, "restated_main_job")
    assert key_fields(r, 12, "employed", "hours", "hours_band", "contract", "wage", "sbi_section") == \
        (True, 10.0, "klein", "oproep", None, "I")


def test_a_month_restated_upwards(work):
    r = row(work, "restated_up")
    assert key_fields(r, 12, "employed", "hours", "wage", "hourly_wage") == (True, 60.0, 600.0, 10.0)


# -- SBI and hours bands --------------------------------------------------------------------------

@pytest.mark.parametrize("code, section", SBI_CASES)
def test_sbi_section_by_division_range(work, code, section):
    r = row(work, ("sbi", code))
    assert r["employed_12"] is True and r["sbi_section_12"] == section


def test_sbi_section_empty_and_of_the_main_job_only(work):
    assert row(work, ("sbi", "empty"))["sbi_section_12"] is None
    assert row(work, ("sbi", "main_job_only"))["sbi_section_12"] is None     # the main job's 'AB'; not LH-A's 85


@pytest.mark.parametrize("hours, band", HOURS_BAND_CASES)
def test_hours_band_edges(work, hours, band):
    r = row(work, ("band", hours))
    assert (r["employed_24"], r["hours_24"], r["hours_band_24"]) == (hours > 0, float(hours), band)
    if hours == 0:     # a record with 0 uren is no work: W(m) is empty
        assert (r["contract_24"], r["wage_24"], r["hourly_wage_24"], r["sbi_section_24"]) == (None,) * 4
    else:
        assert r["wage_24"] == 100.0 and r["hourly_wage_24"] == r2(Decimal(100) / Decimal(str(hours)))


def test_hours_band_of_all_jobs_together(work):
    r = row(work, ("band", "two_jobs"))
    assert (r["hours_24"], r["hours_band_24"], r["wage_24"]) == (52.0, "deeltijd", 200.0)


# -- durable work and the same employer -------------------------------------------------------------

@pytest.mark.parametrize("case, expected", [
    ("durable", True),
    ("durable_employer_change", False),
    ("durable_51_hours", False),
    ("durable_51_plus_1", True),
    ("durable_gap", False),
    ("durable_zero_month", False),
    ("durable_window_starts_at_u19", False),
    ("no_work", False),
])
def test_durable_work_24(work, case, expected):
    assert row(work, case)["durable_work_24"] is expected


def test_durable_work_hours_are_those_of_u24(work):
    r = row(work, "durable_51_hours")
    assert (r["hours_24"], r["hours_band_24"]) == (51.0, "klein")
    r = row(work, "durable_51_plus_1")
    assert (r["hours_24"], r["contract_24"], r["same_employer_12_24"]) == (52.0, "onbepaald", False)


@pytest.mark.parametrize("case, expected", [
    ("same_employer", True),
    ("other_employer", False),
    ("same_employer_restated_away", False),
    ("same_employer_not_in_between", False),
    ("no_work", False),
    ("durable", False),          # LH-A only in u+19 … u+24, not in u+12
])
def test_same_employer_12_24(work, case, expected):
    assert row(work, case)["same_employer_12_24"] is expected


def test_no_work_at_all_is_observed_not_employed(work):
    r = row(work, "no_work")
    for k in (12, 24):
        assert key_fields(r, k, "employed", "hours", "hours_band", "contract", "wage", "hourly_wage", "sbi_section") == \
            (False, 0.0, "geen", None, None, None, None)


# -- not observed -----------------------------------------------------------------------------------

def test_every_24_column_is_null_when_u24_is_not_observed(work):
    r = row(work, "u24_not_observed")
    assert key_fields(r, 12, "employed", "hours", "hours_band", "contract", "wage", "hourly_wage", "sbi_section") == \
        (True, 160.0, "voltijd", "onbepaald", 2400.0, 15.0, "P")
    assert all(r[c] is None for c in WORK_COLUMNS if c.endswith("_24"))
    assert r["same_employer_12_24"] is None and r["durable_work_24"] is None


def test_every_column_is_null_when_nothing_is_observed(work):
    r = row(work, "nothing_observed")
    assert all(r[c] is None for c in WORK_COLUMNS + ["same_employer_12_24", "durable_work_24"])
    assert (r["cohort"], r["pilot_code"], r["niveau"], r["diploma"]) == (2022, "AMS", 2, False)


def test_the_last_observed_month_is_observed(work):
    r = row(work, "u24_last_observed")
    assert key_fields(r, 24, "employed", "hours", "hours_band", "contract", "wage") == (True, 80.0, "deeltijd",
                                                                                        "bepaald", 800.0)
    assert (r["same_employer_12_24"], r["durable_work_24"]) == (False, False)


def test_observed_needs_both_coverage_months(tmp_path):
    # werk is known until 2022-12, onderwijs only until 2021-05: u+24 = 2021-06 is not observed
    s = Scenario(tmp_path, employment_coverage="2022-12", education_coverage="2021-05")
    p = s.person()
    s.enrol(p, "2018-08-01", "2019-06-30")
    s.work(p, U12, 160, "LH-A", sv_loon=1600, contractsoort="onbepaald", sbi="85")
    for m in WINDOW:
        s.work(p, m, 160, "LH-A", sv_loon=1600, contractsoort="onbepaald", sbi="85")
    s.run()
    [r] = s.work_rows(p)
    assert (r["employed_12"], r["hours_12"], r["same_employer_12_24"], r["durable_work_24"]) == (True, 160.0, None, None)
    assert all(r[c] is None for c in WORK_COLUMNS if c.endswith("_24"))


def test_one_row_per_outflow(work):
    s, people = work
    rows = s.table("marts/outflow_work")
    assert len({(r["brin"], r["inschrijving_id"]) for r in rows}) == len(rows) == len(s.table("marts/outflow_outcomes"))
    assert {r["person_key"] for r in rows} == {s.key(p) for p in people.values()}


# -- marts/cohort_work: percentiles by nearest rank ---------------------------------------------------

def nearest_rank(values, p):
    values = sorted(values)
    return values[math.ceil(p * len(values) / 100) - 1] if values else None


@pytest.fixture(scope="module")
def cohorts(tmp_path_factory):
    """Cohort 2019, pilot AMS, no diploma; one group per niveau with 1, 2, 4 and 5 wages at u+12."""
    s = Scenario(tmp_path_factory.mktemp("cohorts"), coverage="2022-12")
    groups = {   # niveau -> (wage, hours) per outflow, delivered out of order
        1: [(1000, 100)],
        2: [(2000, 100), (1000, 100)],
        3: [(300, 10), (100, 10), (400, 10), (200, 40)],
        4: [(500, 20), (100, 10), (400, 100), (200, 40), (300, 15)],
    }
    for niveau, jobs in groups.items():
        for wage, hours in jobs:
            p = s.person()
            s.enrol(p, "2018-08-01", "2019-06-30", niveau=niveau)
            s.work(p, U12, hours, "LH-A", sv_loon=wage, contractsoort="onbepaald" if wage >= 300 else "bepaald")
    # niveau 3: one person with two outflows (2019-05 and 2019-06) counts twice; u+12 = 2020-05 and 2020-06
    p = s.person()
    s.enrol(p, "2018-08-01", "2019-05-31", niveau=3)
    s.enrol(p, "2018-09-01", "2019-06-30", niveau=3)
    s.work(p, "2020-05", 50, "LH-A", sv_loon=250, contractsoort="bepaald")
    s.work(p, U12, 60, "LH-A", sv_loon=350, contractsoort="uitzend")
    groups[3] += [(250, 50), (350, 60)]
    # niveau 4: employed without a wage, and not employed: counted, but not among the wages
    p = s.person()
    s.enrol(p, "2018-08-01", "2019-06-30", niveau=4)
    s.work(p, U12, 160, "LH-A", contractsoort="onbepaald")
    p = s.person()
    s.enrol(p, "2018-08-01", "2019-06-30", niveau=4)
    # niveau 1, cohort 2022: nothing observed at either horizon
    p = s.person()
    s.enrol(p, "2018-08-01", "2022-03-31", niveau=1)
    s.run()
    return s, groups


def cohort_row(s, cohort, niveau, horizon):
    [r] = [r for r in s.table("marts/cohort_work") if (r["cohort"], r["pilot_code"], r["niveau"], r["diploma"],
                                                       r["horizon"]) == (cohort, "AMS", niveau, False, horizon)]
    return r


@pytest.mark.parametrize("niveau, n, p25, p50, p75, hourly_p50", [
    (1, 1, 1000, 1000, 1000, 10.0),         # ⌈0.25⌉ = ⌈0.5⌉ = ⌈0.75⌉ = 1
    (2, 2, 1000, 1000, 2000, 10.0),         # ⌈0.5⌉ = 1, ⌈1⌉ = 1, ⌈1.5⌉ = 2; hourly 10 20
    (3, 6, 200, 250, 350, 5.83),            # 100 200 250 300 350 400: ⌈1.5⌉=2, ⌈3⌉=3, ⌈4.5⌉=5; hourly 5 5 5.83 10 30 40
    (4, 5, 200, 300, 400, 10.0),            # ⌈1.25⌉=2, ⌈2.5⌉=3, ⌈3.75⌉=4; hourly 4 5 10 20 25 (the median wage's is 20)
])
def test_wage_percentiles_by_nearest_rank(cohorts, niveau, n, p25, p50, p75, hourly_p50):
    s, groups = cohorts
    wages = [w for w, _ in groups[niveau]]
    hourly = [r2(Decimal(w) / Decimal(h)) for w, h in groups[niveau]]
    assert len(wages) == n
    assert (nearest_rank(wages, 25), nearest_rank(wages, 50), nearest_rank(wages, 75)) == (p25, p50, p75)
    r = cohort_row(s, 2019, niveau, 12)
    assert r["with_wage"] == n
    assert (r["wage_p25"], r["wage_p50"], r["wage_p75"]) == (p25, p50, p75)
    # the hourly median is the median of the hourly wages, not the hourly wage of the median wage
    assert r["hourly_wage_p50"] == nearest_rank(hourly, 50) == hourly_p50


def test_cohort_counts(cohorts):
    s, _ = cohorts
    r = cohort_row(s, 2019, 4, 12)
    # 5 with a wage, 1 employed without, 1 not employed
    assert (r["outflows_observed"], r["employed"], r["with_wage"]) == (7, 6, 5)
    assert r["hours_52_plus"] == 2                 # 100 and 160 hours
    assert r["contract_onbepaald"] == 4            # wages 500, 400, 300 and the one without a wage
    assert r["durable_work"] is None               # horizon 12
    r = cohort_row(s, 2019, 3, 12)
    assert (r["outflows_observed"], r["employed"], r["with_wage"], r["hours_52_plus"]) == (6, 6, 6, 1)
    assert r["contract_onbepaald"] == 2            # 300 and 400
    r = cohort_row(s, 2019, 4, 24)                 # observed, nobody at work in u+24
    assert (r["outflows_observed"], r["employed"], r["with_wage"], r["durable_work"]) == (7, 0, 0, 0)
    assert (r["wage_p25"], r["wage_p50"], r["wage_p75"], r["hourly_wage_p50"]) == (None,) * 4


def test_cohort_group_with_nothing_observed_has_zero_counts(cohorts):
    s, _ = cohorts
    for horizon in (12, 24):
        r = cohort_row(s, 2022, 1, horizon)
        assert (r["outflows_observed"], r["employed"], r["hours_52_plus"], r["contract_onbepaald"], r["with_wage"]) \
            == (0, 0, 0, 0, 0)
        assert (r["wage_p25"], r["wage_p50"], r["wage_p75"], r["hourly_wage_p50"]) == (None,) * 4
        assert r["durable_work"] == (0 if horizon == 24 else None)


# -- the nearest-rank macro, as a property ----------------------------------------------------------

@functools.cache
def _macro_database() -> duckdb.DuckDBPyConnection:
    """The rule macros (temporary: they live in this connection) made once: a new database per
    example cost ~25 ms."""
    con = duckdb.connect()
    for statement in rule_macros():
        con.execute(statement)
    return con


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.decimals(min_value=0, max_value=100000, places=2), max_size=40),
       p=st.sampled_from([1, 10, 25, 50, 75, 90, 99, 100]))
def test_nearest_rank_macro_is_x_ceil_pn_over_100(values, p):
    got = _macro_database().execute("SELECT nearest_rank(list_sort(?::DOUBLE[]), ?)",
                                    [[float(v) for v in values], p]).fetchone()[0]
    expected = None if not values else float(sorted(values)[math.ceil(p * len(values) / 100) - 1])
    assert got == expected


# -- properties over a generated landing zone -------------------------------------------------------

@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from soepel_etl.synthetic import generate
    from tests.conftest import run_pipeline

    root = tmp_path_factory.mktemp("generated_work")
    generate(root / "landing", persons=300, seed=15)
    warehouse = root / "warehouse"
    run_pipeline(root / "landing", warehouse)

    def table(name):
        return duckdb.sql(f"SELECT * FROM read_parquet('{warehouse / name}/**/*.parquet')").to_arrow_table().to_pylist()

    return table("marts/outflow_work"), table("marts/cohort_work"), table("marts/outflow_outcomes")


def test_generated_outflow_work_rows_follow_the_rules(generated):
    work_rows, _, outcomes = generated
    assert len(work_rows) == len(outcomes) > 0
    assert any(r["employed_24"] for r in work_rows) and any(r["wage_12"] is not None for r in work_rows)
    for r in work_rows:
        for k in (12, 24):
            e = r[f"employed_{k}"]
            if e is None:
                assert all(r[f"{c}_{k}"] is None for c in ("hours", "hours_band", "contract", "wage", "hourly_wage",
                                                          "sbi_section"))
                continue
            h = r[f"hours_{k}"]
            assert e == (h > 0)
            band = "geen" if h == 0 else "klein" if h < 52 else "deeltijd" if h < 152 else "voltijd"
            assert r[f"hours_band_{k}"] == band
            if not e:
                assert (r[f"contract_{k}"], r[f"wage_{k}"], r[f"sbi_section_{k}"]) == (None, None, None)
            else:
                assert r[f"contract_{k}"] in ("onbepaald", "bepaald", "oproep", "uitzend", "onbekend")
            w = r[f"wage_{k}"]
            assert (r[f"hourly_wage_{k}"] is None) == (w is None)
            if w is not None:
                assert r[f"hourly_wage_{k}"] == r2(Decimal(str(w)) / Decimal(str(h)))
        if r["employed_24"] is None:
            assert r["same_employer_12_24"] is None and r["durable_work_24"] is None
        else:
            assert r["same_employer_12_24"] in (True, False) and r["durable_work_24"] in (True, False)
            if r["durable_work_24"]:
                assert r["hours_24"] >= 52


def test_generated_cohort_work_counts_equal_counts_over_outflow_work(generated):
    work_rows, cohort_rows, _ = generated
    expected = {}
    for r in work_rows:
        for k in (12, 24):
            g = (r["cohort"], r["pilot_code"], r["niveau"], r["diploma"], k)
            e = expected.setdefault(g, dict(outflows_observed=0, employed=0, hours_52_plus=0, contract_onbepaald=0,
                                            with_wage=0, durable_work=0 if k == 24 else None, wages=[], hourly=[]))
            if r[f"employed_{k}"] is None:
                continue
            e["outflows_observed"] += 1
            if r[f"employed_{k}"]:
                e["employed"] += 1
                e["hours_52_plus"] += r[f"hours_{k}"] >= 52
                e["contract_onbepaald"] += r[f"contract_{k}"] == "onbepaald"
                if r[f"wage_{k}"] is not None:
                    e["with_wage"] += 1
                    e["wages"].append(r[f"wage_{k}"])
                    e["hourly"].append(r[f"hourly_wage_{k}"])
            if k == 24:
                e["durable_work"] += bool(r["durable_work_24"])
    got = {(r["cohort"], r["pilot_code"], r["niveau"], r["diploma"], r["horizon"]): r for r in cohort_rows}
    assert set(got) == set(expected)
    assert sum(e["with_wage"] for e in expected.values()) > 20
    for g, e in expected.items():
        r = got[g]
        for c in ("outflows_observed", "employed", "hours_52_plus", "contract_onbepaald", "with_wage", "durable_work"):
            assert r[c] == e[c], (g, c)
        assert (r["wage_p25"], r["wage_p50"], r["wage_p75"]) == \
            tuple(nearest_rank(e["wages"], p) for p in (25, 50, 75)), g
        assert r["hourly_wage_p50"] == nearest_rank(e["hourly"], 50), g
        if r["wage_p25"] is not None:
            assert r["wage_p25"] <= r["wage_p50"] <= r["wage_p75"]
        else:
            assert r["with_wage"] == 0 and r["wage_p50"] is None and r["wage_p75"] is None
