"""marts/risk_monitor at its boundaries (definitions.md, "The 16–27 risk monitor").
Coverage 2021-06 for both sources, so R = 2021-06 and its last day is 2021-06-30.

A pipeline run is slow, so the cases share one run (``tests/scenario.py: SharedRun``): each case
(the function marked ``@case`` above its test) adds its own hand-built persons to the module's
scenario and returns them; the risk monitor is per person, so one person's rows cannot move another's.
"""

import pytest

from tests.scenario import SharedRun, one_each

R = "2021-06"
RUN = SharedRun(coverage=R)
case = RUN.case


@pytest.fixture(scope="module")
def risk(tmp_path_factory):
    """One run for every case: (scenario, {case name: its persons})."""
    return RUN.run(tmp_path_factory.mktemp("risk"))


AGES = [
    ("2005-07-20", 15, False),     # turns 16 in July: the birth day counts as the 1st of the birth month
    ("2005-06-30", 16, True),      # the 1st of June 2005 → 16 on 30 June 2021
    ("1993-06-01", 28, False),
    ("1993-07-15", 27, True),
]


@case
def population_age_boundaries(s):
    return one_each(s, [birth for birth, _, _ in AGES],
                    lambda p, birth: s.enrol(p, "2019-08-01", "2020-06-30", birth=birth))


@pytest.mark.parametrize("birth, age, in_population", AGES)
def test_population_age_boundaries(risk, birth, age, in_population):
    s, people = risk
    row = s.risk(people["population_age_boundaries"][birth])
    assert (row is not None) is in_population
    if row:
        assert row["age"] == age and row["reference_month"] == R


@case
def latest_municipality(s):
    inside, outside = s.person(), s.person()
    s.enrol(inside, "2017-08-01", "2018-06-30", gemeente="GM9999")
    s.enrol(inside, "2018-08-01", "2020-06-30", gemeente="GM0363")      # latest start: Amsterdam
    s.enrol(outside, "2017-08-01", "2018-06-30", gemeente="GM0363")
    s.enrol(outside, "2018-08-01", "2020-06-30", gemeente="GM9999")     # latest start: unknown municipality
    return inside, outside


def test_population_needs_latest_municipality_in_an_rmc_region(risk):
    s, people = risk
    inside, outside = people["latest_municipality"]
    assert s.risk(inside) is not None and s.risk(inside)["rmc_region_code"] != "-"
    assert s.risk(outside) is None


@case
def latest_municipality_tie(s):
    p = s.person()
    # same start date; the enrolment delivered later decides
    s.enrol(p, "2019-08-01", "2020-06-30", gemeente="GM0363", brin="25PZ", enrolment_id="A", delivery="2020-07-31")
    s.enrol(p, "2019-08-01", "2020-06-30", gemeente="GM9999", brin="25PZ", enrolment_id="B", delivery="2020-08-31")
    return p


def test_latest_municipality_tie_goes_to_later_delivery_then_higher_brin(risk):
    s, people = risk
    p = people["latest_municipality_tie"]
    assert s.risk(p) is None
    persons = [r for r in s.table("core/persons") if r["person_key"] == s.key(p)]
    assert persons[0]["municipality_code"] == "GM9999"


# Same start and the same delivery (one file): the higher brin decides, then the higher
# inschrijving_id (text: compared as text). Each tie both ways round, so the winner's municipality,
# not the order of the rows in the file, decides who is in the population. The ids are the case's
# own: (brin, inschrijving_id) is a record key, and a shared id would restate another person's row.
TIES = {
    "higher_brin_outside": [("25PZ", "TIE1", "GM0363"), ("30ME", "TIE1", "GM9999")],
    "higher_brin_inside": [("25PZ", "TIE2", "GM9999"), ("30ME", "TIE2", "GM0363")],
    "higher_id_outside": [("25PZ", "TIE3-A", "GM0363"), ("25PZ", "TIE3-B", "GM9999")],
    "higher_id_inside": [("25PZ", "TIE4-B", "GM0363"), ("25PZ", "TIE4-A", "GM9999")],
}


@case
def latest_municipality_same_delivery(s):
    def add(p, enrolments):
        for brin, enrolment_id, gemeente in enrolments:
            s.enrol(p, "2019-08-01", "2020-06-30", gemeente=gemeente, brin=brin, enrolment_id=enrolment_id,
                    delivery="2020-08-31")
    return one_each(s, list(TIES), lambda p, name: add(p, TIES[name]))


@pytest.mark.parametrize("name", list(TIES))
def test_latest_municipality_tie_in_one_delivery_goes_to_higher_brin_then_higher_enrolment_id(risk, name):
    s, people = risk
    p = people["latest_municipality_same_delivery"][name]
    expected = "GM9999" if name.endswith("outside") else "GM0363"
    persons = [r for r in s.table("core/persons") if r["person_key"] == s.key(p)]
    assert persons[0]["municipality_code"] == expected
    assert (s.risk(p) is None) is name.endswith("outside")


NEET = [
    ("2021-03-31", 3, True),       # geen in April, May, June
    ("2021-04-30", 2, False),      # geen in May, June
    ("2021-06-01", 0, False),      # enrolled at R
]


@case
def neet_months(s):
    return one_each(s, [until for until, _, _ in NEET], lambda p, until: s.enrol(p, "2019-08-01", until))


@pytest.mark.parametrize("enrolled_until, neet_months, neet_3m", NEET)
def test_neet_months(risk, enrolled_until, neet_months, neet_3m):
    s, people = risk
    row = s.risk(people["neet_months"][enrolled_until])
    assert (row["neet_months"], row["neet_3m"]) == (neet_months, neet_3m)


@case
def neet_from_first_enrolment_month(s):
    p = s.person()
    s.enrol(p, "2020-10-15", "2020-10-16")         # one October day; geen from November 2020
    return p


def test_neet_months_count_back_to_the_first_enrolment_month(risk):
    s, people = risk
    assert s.risk(people["neet_from_first_enrolment_month"])["neet_months"] == 8    # 2020-11 … 2021-06


VSV = [("1998-06-10", False), ("1998-07-10", True)]   # 23 vs 22 at R


@case
def vsv_age(s):
    return one_each(s, [birth for birth, _ in VSV],
                    lambda p, birth: s.enrol(p, "2016-08-01", "2017-06-30", niveau=1, birth=birth))


@pytest.mark.parametrize("birth, vsv", VSV)
def test_vsv_age_below_23(risk, birth, vsv):
    s, people = risk
    row = s.risk(people["vsv_age"][birth])
    assert row["zonder_startkwalificatie"] is True and row["vsv"] is vsv


@case
def startkwalificatie(s):
    entree, level2, level2_no_diploma = s.person(), s.person(), s.person()
    s.enrol(entree, "2018-08-01", "2019-06-30", niveau=1, diploma=True)
    s.enrol(level2, "2018-08-01", "2020-06-30", niveau=2, diploma=True)
    s.enrol(level2_no_diploma, "2018-08-01", "2020-06-30", niveau=2, diploma=False)
    return entree, level2, level2_no_diploma


def test_startkwalificatie_needs_a_diploma_at_level_two(risk):
    s, people = risk
    entree, level2, level2_no_diploma = people["startkwalificatie"]
    assert s.risk(entree)["zonder_startkwalificatie"] is True
    assert s.risk(level2)["zonder_startkwalificatie"] is False
    assert s.risk(level2_no_diploma)["zonder_startkwalificatie"] is True


@case
def still_enrolled(s):
    p = s.person()
    s.enrol(p, "2020-08-01", None, niveau=1)
    return p


def test_still_enrolled_without_startkwalificatie_is_not_vsv_and_scores_nothing_for_it(risk):
    s, people = risk
    row = s.risk(people["still_enrolled"])
    assert row["zonder_startkwalificatie"] is True and row["vsv"] is False and row["risk_score"] == 0
    assert row["risk_level"] == "laag"


JOB_LOSS = [("2020-12", True), ("2021-05", True), ("2020-11", False)]


@case
def job_loss_lookback(s):
    def add(p, work_month):
        s.enrol(p, "2018-08-01", "2020-06-30", niveau=2, diploma=True)
        s.work(p, work_month, 20)
    return one_each(s, [work_month for work_month, _ in JOB_LOSS], add)


@pytest.mark.parametrize("work_month, expected", JOB_LOSS)
def test_job_loss_lookback_is_six_months(risk, work_month, expected):
    s, people = risk
    assert s.risk(people["job_loss_lookback"][work_month])["baanverlies_6m"] is expected


@case
def job_loss_at_r(s):
    working, on_benefit = s.person(), s.person()
    for p in (working, on_benefit):
        s.enrol(p, "2018-08-01", "2020-06-30", niveau=2, diploma=True)
        s.work(p, "2021-03", 20)
    s.work(working, R, 20)
    s.benefit(on_benefit, "2021-06-30")
    return working, on_benefit


def test_job_loss_needs_geen_or_uitkering_at_r(risk):
    s, people = risk
    working, on_benefit = people["job_loss_at_r"]
    assert s.risk(working)["baanverlies_6m"] is False
    row = s.risk(on_benefit)
    assert row["baanverlies_6m"] is True and row["op_uitkering"] is True
    assert row["neet_months"] == 0                   # uitkering is not geen


@case
def risk_score(s):
    p = s.person()
    s.enrol(p, "2018-08-01", "2019-06-30", niveau=1)   # zonder startkwalificatie, not enrolled
    s.work(p, "2021-01", 10)                           # job lost: geen Feb … Jun? no: benefit from April
    s.benefit(p, "2021-04-01")                         # op uitkering at R
    return p


def test_risk_score_and_level(risk):
    s, people = risk
    row = s.risk(people["risk_score"])
    assert row["zonder_startkwalificatie"] and row["op_uitkering"] and row["baanverlies_6m"]
    assert row["neet_3m"] is False                    # April … June are uitkering, not geen
    assert row["risk_score"] == 3 and row["risk_level"] == "hoog"


@case
def one_flag(s):
    p = s.person()
    s.enrol(p, "2018-08-01", "2020-06-30", niveau=2, diploma=True)   # a startkwalificatie
    s.benefit(p, "2021-06-01")                                        # op uitkering at R, nothing else
    return p


def test_one_flag_is_verhoogd(risk):
    s, people = risk
    row = s.risk(people["one_flag"])
    assert (row["zonder_startkwalificatie"], row["neet_3m"], row["op_uitkering"], row["baanverlies_6m"]) == (
        False, False, True, False)
    assert row["risk_score"] == 1 and row["risk_level"] == "verhoogd"
