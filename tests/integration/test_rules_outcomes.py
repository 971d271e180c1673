"""marts/outflow_outcomes and marts/cohort_outcomes, rule by rule (definitions.md, "Outflow and
cohorts", "Outcomes after outflow", "Consent and purpose").

A pipeline run is slow, so cases with the same coverage and reference date share one run
(``tests/scenario.py: SharedRun``): each case (a function marked ``@<run>.case`` above its test)
adds its own hand-built persons to that run's scenario and returns them. The outcomes of an
outflow are per person (and, for participation, per person and pilot), so one person's rows cannot
move another's. Cases with coverage of their own, and the cohort counts (which add up every
outflow), have their own run.
"""

import pytest

from tests.scenario import Scenario, SharedRun, one_each

AT_2022_12 = SharedRun(coverage="2022-12")
CONSENT_AT_2021_05_31 = SharedRun(coverage="2021-12", reference_date="2021-05-31")


@pytest.fixture(scope="module")
def coverage_2022_12(tmp_path_factory):
    return AT_2022_12.run(tmp_path_factory.mktemp("coverage_2022_12"))


@pytest.fixture(scope="module")
def consent_at_2021_05_31(tmp_path_factory):
    return CONSENT_AT_2021_05_31.run(tmp_path_factory.mktemp("consent"))


@AT_2022_12.case
def year_ends(s):
    p = s.person()
    s.enrol(p, "2018-08-01", "2019-11-15", niveau=1)
    s.work(p, "2020-05", 10)      # u+6 = 2020-05
    s.work(p, "2020-11", 10)      # u+12 = 2020-11
    s.benefit(p, "2021-11-01", "2021-11-30")   # u+24 = 2021-11
    return p


def test_outflow_month_arithmetic_across_year_ends(coverage_2022_12):
    s, people = coverage_2022_12
    [o] = s.outflows(people["year_ends"])
    assert (o["outflow_month"], o["cohort"]) == ("2019-11", 2019)
    assert (o["status_6"], o["status_12"], o["status_24"]) == ("werk", "werk", "uitkering")
    assert o["months_werk_24"] == 2 and o["months_uitkering_24"] == 1 and o["months_geen_24"] == 21
    assert o["final_24"] is True


def test_several_outflows_for_one_person(tmp_path):
    s = Scenario(tmp_path, coverage="2023-12")
    p = s.person()
    s.enrol(p, "2018-08-01", "2019-06-30", niveau=1, diploma=True)
    s.enrol(p, "2019-08-01", "2021-06-30", niveau=2)
    s.run()
    first, second = s.outflows(p)
    assert (first["outflow_month"], first["niveau"], first["diploma"]) == ("2019-06", 1, True)
    assert (second["outflow_month"], second["niveau"], second["diploma"]) == ("2021-06", 2, False)
    assert first["status_6"] == "onderwijs"            # in the level-2 programme by 2019-12
    assert first["months_onderwijs_24"] == 23          # 2019-08 … 2021-06 of the window 2019-07 … 2021-06


SUSTAINED = [(4, False), (5, True), (6, True)]


@AT_2022_12.case
def five_of_six(s):
    def add(p, active):
        s.enrol(p, "2018-08-01", "2019-06-30")             # u = 2019-06; last six: 2021-01 … 2021-06
        for month in ["2021-01", "2021-02", "2021-03", "2021-04", "2021-05", "2021-06"][:active]:
            s.work(p, month, 20)
    return one_each(s, [active for active, _ in SUSTAINED], add)


@pytest.mark.parametrize("active, expected", SUSTAINED)
def test_sustained_destination_five_of_six(coverage_2022_12, active, expected):
    s, people = coverage_2022_12
    [o] = s.outflows(people["five_of_six"][active])
    assert o["sustained_destination_24"] is expected
    assert o["sustained_work_24"] is expected


@AT_2022_12.case
def education_in_the_last_six(s):
    p = s.person()
    s.enrol(p, "2018-08-01", "2019-06-30")
    s.enrol(p, "2020-12-01", "2021-12-31", leerweg="BOL")   # BOL through the last six months
    return p


def test_sustained_counts_education_for_destination_not_for_work(coverage_2022_12):
    s, people = coverage_2022_12
    [o, _later] = s.outflows(people["education_in_the_last_six"])
    assert o["sustained_destination_24"] is True and o["sustained_work_24"] is False


def test_sustained_unknown_when_a_month_is_onbekend(tmp_path):
    # u = 2019-06, u+24 = 2021-06, but employment is only known until 2021-05
    s = Scenario(tmp_path, employment_coverage="2021-05", education_coverage="2021-12")
    p = s.person()
    s.enrol(p, "2018-08-01", "2019-06-30")
    for month in ["2021-01", "2021-02", "2021-03", "2021-04", "2021-05"]:
        s.work(p, month, 20, delivery="2021-05-31")
    s.run()
    [o] = s.outflows(p)
    assert o["sustained_destination_24"] is None and o["sustained_work_24"] is None
    assert o["status_24"] == "onbekend" and o["final_24"] is False
    assert o["months_onbekend_24"] == 1 and o["months_werk_24"] == 5
    assert sum(o[f"months_{st}_24"] for st in
               ("werk", "onderwijs", "werkend_lerend", "uitkering", "geen", "onbekend")) == 24


def test_months_beyond_the_timeline_are_onbekend(tmp_path):
    s = Scenario(tmp_path, coverage="2021-03")
    p = s.person()
    s.enrol(p, "2019-08-01", "2020-12-31")             # u = 2020-12; u+6 = 2021-06 lies beyond all coverage
    s.run()
    [o] = s.outflows(p)
    assert (o["status_6"], o["status_12"], o["status_24"]) == ("onbekend",) * 3
    assert o["months_onbekend_24"] == 21 and o["months_geen_24"] == 3
    assert (o["final_6"], o["final_24"]) == (False, False)


CONSENT = [
    ("2020-01-01", None, "ondersteund"),
    ("2021-06-01", None, "geen_registratie"),        # consent given after the reference date
    ("2020-01-01", "2021-03-01", "geen_registratie"),  # withdrawn before it
    ("2020-01-01", "2021-05-31", "geen_registratie"),  # withdrawn on it
    ("2020-01-01", "2021-06-01", "ondersteund"),       # withdrawn after it
    ("2021-05-31", None, "ondersteund"),               # given on it
]


@CONSENT_AT_2021_05_31.case
def consent(s):
    def add(p, dates):
        s.enrol(p, "2018-08-01", "2019-06-30", brin="25PZ")      # ROC van Amsterdam: pilot AMS
        s.participant(p, "AMS", "ondersteund", consent_date=dates[0], withdrawn=dates[1])
    return one_each(s, [(consent_date, withdrawn) for consent_date, withdrawn, _ in CONSENT], add)


@pytest.mark.parametrize("consent_date, withdrawn, expected", CONSENT)
def test_participation_type_needs_valid_consent_at_the_reference_date(consent_at_2021_05_31, consent_date,
                                                                      withdrawn, expected):
    s, people = consent_at_2021_05_31
    [o] = s.outflows(people["consent"][consent_date, withdrawn])
    assert (o["pilot_code"], o["participation_type"]) == ("AMS", expected)


@CONSENT_AT_2021_05_31.case
def refused_and_other_pilot(s):
    p, q = s.person(), s.person()
    s.enrol(p, "2018-08-01", "2019-06-30", brin="25PZ")
    s.participant(p, "AMS", "in_beeld", consent=False)
    s.enrol(q, "2018-08-01", "2019-06-30", brin="25PZ")
    s.participant(q, "IJV", "ondersteund", consent_date="2019-01-01")   # registered with another pilot
    return p, q


def test_refused_consent_and_other_pilot_register(consent_at_2021_05_31):
    s, people = consent_at_2021_05_31
    p, q = people["refused_and_other_pilot"]
    assert s.outflows(p)[0]["participation_type"] == "geen_registratie"
    assert s.outflows(q)[0]["participation_type"] == "geen_registratie"


def test_pilot_and_region_from_the_reference(tmp_path):
    s = Scenario(tmp_path, coverage="2021-12")
    p, q = s.person(), s.person()
    s.enrol(p, "2018-08-01", "2019-06-30", brin="25PJ", gemeente="GM0193")   # Deltion, Zwolle
    s.enrol(q, "2018-08-01", "2019-06-30", brin="99ZZ", gemeente="GM9999")   # unknown to the reference
    s.run()
    o = s.outflows(p)[0]
    assert o["pilot_code"] == "IJV" and o["rmc_region_code"] not in ("-", None)
    o = s.outflows(q)[0]
    assert (o["pilot_code"], o["rmc_region_code"]) == ("-", "-")


def test_cohort_outcomes_counts_and_shares(tmp_path):
    s = Scenario(tmp_path, coverage="2022-12")
    people = [s.person() for _ in range(4)]
    for p in people:
        s.enrol(p, "2018-08-01", "2019-06-30", niveau=1, leerweg="BOL")
    s.work(people[0], "2019-12", 10)
    s.work(people[1], "2019-12", 10)
    s.benefit(people[2], "2019-12-01", "2019-12-31")
    s.run()
    rows = [r for r in s.table("marts/cohort_outcomes") if r["horizon"] == 6 and r["cohort"] == 2019]
    got = {r["status"]: (r["n"], r["share"]) for r in rows}
    assert got == {"werk": (2, 0.5), "uitkering": (1, 0.25), "geen": (1, 0.25)}
    assert all(r["final"] and r["n_final"] == r["n"] for r in rows)
    assert {(r["pilot_code"], r["niveau"], r["leerweg"], r["diploma"], r["participation_type"]) for r in rows} == {
        ("AMS", 1, "BOL", False, "geen_registratie")}
