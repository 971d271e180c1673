"""core/person_month: one rule, one test, each with its expected value worked out here (definitions.md,
"Months and observation").

A pipeline run is slow, so the cases with coverage 2021-12 share one run (``tests/scenario.py:
SharedRun``): each case (the function marked ``@case`` above its test) adds its own hand-built
persons to the module's scenario and returns them. Every rule here is per person, or per person,
employer and month, so one person's rows cannot move another's. The case that needs other coverage
months has a run of its own.
"""

import pytest

from tests.scenario import Scenario, SharedRun

RUN = SharedRun(coverage="2021-12")
case = RUN.case


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One run for every case: (scenario, {case name: its persons})."""
    return RUN.run(tmp_path_factory.mktemp("timeline"))


def _employment_months(s, p) -> dict[str, dict]:
    # employment_months is keyed on person_id; core/persons maps it to the pseudonym
    (person_id,) = [r["person_id"] for r in s.table("core/persons") if r["person_key"] == s.key(p)]
    return {r["month"]: r for r in s.table("core/employment_months") if r["person_id"] == person_id}


@case
def each_status(s):
    bbl, bol, worker, benefit, neet = (s.person() for _ in range(5))
    # BBL beats everything: enrolled (BBL) + working + benefit in 2021-03
    s.enrol(bbl, "2020-08-01", "2021-07-31", leerweg="BBL")
    s.work(bbl, "2021-03", 30)
    s.benefit(bbl, "2021-03-01", "2021-03-31")
    # BOL beats work and benefit
    s.enrol(bol, "2020-08-01", "2021-07-31", leerweg="BOL")
    s.work(bol, "2021-03", 12)
    s.benefit(bol, "2021-03-01", "2021-03-31")
    # work beats benefit, after the enrolment ended
    s.enrol(worker, "2019-08-01", "2020-06-30")
    s.work(worker, "2021-03", 40)
    s.benefit(worker, "2021-03-01", "2021-03-31")
    # benefit alone
    s.enrol(benefit, "2019-08-01", "2020-06-30")
    s.benefit(benefit, "2021-03-01", "2021-03-31")
    # nothing at all
    s.enrol(neet, "2019-08-01", "2020-06-30")
    return bbl, bol, worker, benefit, neet


def test_each_status_and_the_priority_between_them(shared):
    s, people = shared
    bbl, bol, worker, benefit, neet = people["each_status"]
    assert s.status(bbl, "2021-03") == "werkend_lerend"
    assert s.status(bol, "2021-03") == "onderwijs"
    assert s.status(worker, "2021-03") == "werk"
    assert s.status(benefit, "2021-03") == "uitkering"
    assert s.status(neet, "2021-03") == "geen"
    row = s.timeline(bbl)["2021-03"]
    assert (row["enrolled"], row["bbl"], row["employed"], row["hours"], row["benefit"], row["observed"]) == (
        True, True, True, 30.0, True, True)


@case
def one_day_overlap(s):
    p, q = s.person(), s.person()
    s.enrol(p, "2019-08-01", "2020-07-01")          # ends on the first day of July
    s.enrol(q, "2019-08-01", "2020-06-30")
    s.benefit(q, "2020-09-30", "2020-10-01")        # last day of September, first of October
    return p, q


def test_a_spell_overlapping_a_month_by_one_day_counts(shared):
    s, people = shared
    p, q = people["one_day_overlap"]
    assert s.status(p, "2020-07") == "onderwijs"
    assert s.status(p, "2020-08") == "geen"
    assert s.status(q, "2020-07") == "geen"
    assert s.status(q, "2020-09") == "uitkering" and s.status(q, "2020-10") == "uitkering"
    assert s.status(q, "2020-11") == "geen"


@case
def start_on_last_day(s):
    p = s.person()
    s.enrol(p, "2019-08-31", "2020-06-30")
    return p


def test_enrolment_starting_on_last_day_of_month(shared):
    s, people = shared
    timeline = s.timeline(people["start_on_last_day"])
    assert min(timeline) == "2019-08"                 # the first enrolment month starts the timeline
    assert timeline["2019-08"]["enrolled"]


@case
def two_employers(s):
    p, q = s.person(), s.person()
    s.enrol(p, "2019-08-01", "2020-06-30")
    s.enrol(q, "2019-08-01", "2020-06-30")
    s.work(p, "2020-09", 2.5, employer="A")
    s.work(p, "2020-09", 3, employer="B")
    s.work(q, "2020-09", 0, employer="A")
    s.work(q, "2020-09", 0, employer="B")
    return p, q


def test_two_employers_add_up_and_zero_hours_is_not_work(shared):
    s, people = shared
    p, q = people["two_employers"]
    assert s.timeline(p)["2020-09"]["hours"] == 5.5 and s.status(p, "2020-09") == "werk"
    assert s.timeline(q)["2020-09"]["employed"] is False and s.status(q, "2020-09") == "geen"
    assert _employment_months(s, p)["2020-09"]["employers"] == 2
    assert _employment_months(s, q)["2020-09"]["employers"] == 0     # employers with hours > 0


@case
def restated_to_zero(s):
    p = s.person()
    s.enrol(p, "2019-08-01", "2020-06-30")
    s.work(p, "2020-09", 40, delivery="2020-12-31")
    s.work(p, "2020-10", 40, delivery="2020-12-31")
    s.work(p, "2020-09", 0, delivery="2021-03-31")     # the later delivery restates September
    return p


def test_a_month_restated_to_zero_hours_is_not_work(shared):
    s, people = shared
    p = people["restated_to_zero"]
    assert s.status(p, "2020-09") == "geen"
    assert s.status(p, "2020-10") == "werk"


@case
def restated_per_employer(s):
    # the record key is (person, employer, periode): a later file restating employer A leaves
    # employer B's row of the same month, delivered earlier, in place
    p = s.person()
    s.enrol(p, "2019-08-01", "2020-06-30")
    s.work(p, "2020-09", 10, employer="A", delivery="2020-12-31")
    s.work(p, "2020-09", 20, employer="B", delivery="2020-12-31")
    s.work(p, "2020-09", 4, employer="A", delivery="2021-03-31")
    s.work(p, "2020-11", 6, employer="C", delivery="2021-03-31")     # a new employer, another file
    s.work(p, "2020-11", 5, employer="A", delivery="2020-12-31")
    return p


def test_a_later_delivery_replaces_only_its_own_employers_month(shared):
    s, people = shared
    p = people["restated_per_employer"]
    assert s.timeline(p)["2020-09"]["hours"] == 24
    assert s.timeline(p)["2020-11"]["hours"] == 11


@case
def restated_without_wage(s):
    # the later delivery is the current version of the record as a whole: a restatement that leaves
    # sv_loon empty has no wage, it does not keep the earlier version's wage
    p = s.person()
    s.enrol(p, "2019-08-01", "2020-06-30")
    s.work(p, "2020-09", 40, employer="A", delivery="2020-12-31", sv_loon=1800)
    s.work(p, "2020-09", 32, employer="A", delivery="2021-03-31", sv_loon="")
    s.work(p, "2020-10", 40, employer="A", delivery="2020-12-31", sv_loon=1800)
    s.work(p, "2020-10", 36, employer="A", delivery="2021-03-31", sv_loon=1700)
    return p


def test_a_restated_month_without_sv_loon_has_no_wage(shared):
    s, people = shared
    months = _employment_months(s, people["restated_without_wage"])
    assert (months["2020-09"]["hours"], months["2020-09"]["sv_wage"]) == (32, None)
    assert (months["2020-10"]["hours"], months["2020-10"]["sv_wage"]) == (36, 1700)


def test_coverage_and_onbekend(tmp_path):
    # employment known until 2021-06, education until 2021-12: observed until 2021-06
    s = Scenario(tmp_path, employment_coverage="2021-06", education_coverage="2021-12")
    p = s.person()
    s.enrol(p, "2020-08-01", None, leerweg="BOL")     # still enrolled
    s.run()
    timeline = s.timeline(p)
    assert max(timeline) == "2021-12"                  # until the later coverage month
    assert timeline["2021-06"]["status"] == "onderwijs" and timeline["2021-06"]["observed"]
    assert timeline["2021-07"]["status"] == "onbekend" and not timeline["2021-07"]["observed"]
    assert timeline["2021-07"]["enrolled"]             # the flags stay true; only the status is unknown
    assert all(r["status"] == "onbekend" for m, r in timeline.items() if m > "2021-06")


@case
def withdrawn_and_corrected(s):
    p, q = s.person(), s.person()
    s.enrol(p, "2019-08-01", "2020-06-30", enrolment_id="X1", delivery="2020-07-31")
    s.enrol(p, "2019-08-01", "2020-06-30", enrolment_id="X1", delivery="2020-10-31", mutatie="V")
    s.enrol(p, "2020-09-01", None, enrolment_id="X2", delivery="2020-10-31")
    s.enrol(q, "2019-08-01", "2020-06-30", enrolment_id="Y1", delivery="2020-07-31")
    s.enrol(q, "2019-08-01", "2020-12-31", enrolment_id="Y1", delivery="2021-01-31", mutatie="W")  # end corrected
    return p, q


def test_withdrawn_enrolment_does_not_exist_and_later_delivery_wins(shared):
    s, people = shared
    p, q = people["withdrawn_and_corrected"]
    assert min(s.timeline(p)) == "2020-09"             # X1 is gone, so the timeline starts with X2
    assert s.status(q, "2020-10") == "onderwijs"
    assert [o["outflow_month"] for o in s.outflows(q)] == ["2020-12"]
    assert s.outflows(p) == []
