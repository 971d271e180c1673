"""Hand-built scenarios for the rule tests: a few people, a few deliveries, one real run.

    s = Scenario(tmp_path, coverage="2021-12")          # both coverage months 2021-12 unless split
    p = s.person()                                       # a valid BSN
    s.enrol(p, start="2019-08-01", end="2020-06-30", niveau=2, leerweg="BOL")
    s.work(p, "2020-07", hours=20)
    s.run()
    s.status(p, "2020-07") == "werk"
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import duckdb

from tests.conftest import ONDERWIJS_HEADER, TEST_KEY, run_pipeline, write_delivery

_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)


def make_bsn(n: int) -> str:
    """The n-th valid BSN of a deterministic series (eleven-test)."""
    for base in itertools.count(10_000_000 + n * 13):
        digits = f"{base:08d}"
        check = sum(w * int(d) for w, d in zip(_WEIGHTS, digits)) % 11
        if check < 10:
            return digits + str(check)


class Scenario:
    def __init__(self, root: Path, coverage: str = "2021-12", employment_coverage: str | None = None,
                 education_coverage: str | None = None):
        self.root = root
        self.landing = root / "landing"
        self.warehouse = root / "warehouse"
        self.education_coverage = education_coverage or coverage
        self.employment_coverage = employment_coverage or coverage
        self._people = 0
        self.enrolments: list[dict] = []
        self.werk: dict[str, list[dict]] = {}      # delivery date -> rows
        self.uitkeringen: list[dict] = []
        self.deelnemers: list[dict] = []
        self.extra_onderwijs: dict[str, list[dict]] = {}
        self._anchor = self.person()             # fixes employment coverage with one row

    WERK_OPTIONAL = ("contractsoort", "sv_loon", "sbi")   # werk columns a delivery carries only when used

    def person(self) -> str:
        self._people += 1
        return make_bsn(self._people)

    def key(self, bsn: str) -> str:
        return TEST_KEY.pseudonym("bsn", bsn)

    @staticmethod
    def employer_key(werkgever: str) -> str:
        """The employer's pseudonym as staging computes it: ``werkgever:<value as delivered, trimmed>``."""
        return TEST_KEY.pseudonym("werkgever", werkgever.strip())

    def enrol(self, bsn: str, start: str, end: str | None = None, *, niveau: int = 2, leerweg: str = "BOL",
              diploma: bool = False, brin: str = "25PZ", birth: str = "2002-05-15", gemeente: str = "GM0363",
              enrolment_id: str | None = None, delivery: str | None = None, mutatie: str = "N") -> str:
        enrolment_id = enrolment_id or f"E{len(self.enrolments) + sum(map(len, self.extra_onderwijs.values())) + 1}"
        row = dict(bsn=bsn, geboortedatum=birth, woongemeente=gemeente, brin=brin, inschrijving_id=enrolment_id,
                   crebo="25254", niveau=str(niveau), leerweg=leerweg, datum_inschrijving=start,
                   datum_uitschrijving=end or "", diploma="J" if diploma else "N",
                   datum_diploma=end if diploma else "", mutatie=mutatie)
        if delivery:
            self.extra_onderwijs.setdefault(delivery, []).append(row)
        else:
            self.enrolments.append(row)
        return enrolment_id

    def work(self, bsn: str, month: str, hours: float | str = 20, employer: str = "LH1", delivery: str | None = None,
             *, sv_loon: float | str | None = None, contractsoort: str | None = None, sbi: str | None = None):
        """One werk record. ``sv_loon``, ``contractsoort`` and ``sbi`` are optional columns: a delivery
        file gets such a column only when one of its rows sets it (None: delivered empty)."""
        delivery = delivery or self._month_end(self.employment_coverage)
        row = dict(bsn=bsn, periode=month, werkgever=employer, uren=str(hours))
        for name, value in (("contractsoort", contractsoort), ("sv_loon", sv_loon), ("sbi", sbi)):
            if value is not None:
                row[name] = str(value)
        self.werk.setdefault(delivery, []).append(row)

    def benefit(self, bsn: str, start: str, end: str | None = None, kind: str = "PW"):
        self.uitkeringen.append(dict(bsn=bsn, uitkering=kind, datum_start=start, datum_eind=end or ""))

    def participant(self, bsn: str, pilot: str = "AMS", deelname: str = "ondersteund", consent_date: str | None = None,
                    withdrawn: str | None = None, consent: bool = True):
        self.deelnemers.append(dict(bsn=bsn, pilot=pilot, deelname=deelname, toestemming="J" if consent else "N",
                                    datum_toestemming=consent_date or "", datum_intrekking=withdrawn or ""))

    @staticmethod
    def _month_end(month: str) -> str:
        y, m = int(month[:4]), int(month[5:7])
        nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
        return (nxt - dt.timedelta(days=1)).isoformat()

    def run(self, reference_date: str | None = None, reference=None):
        edu = self._month_end(self.education_coverage).replace("-", "")
        header = [h for h in ONDERWIJS_HEADER]
        write_delivery(self.landing / "onderwijs" / f"onderwijs_25PZ_{edu}.csv", header, self.enrolments)
        for delivery, rows in self.extra_onderwijs.items():
            write_delivery(self.landing / "onderwijs" / f"onderwijs_25PZ_{delivery.replace('-', '')}.csv", header, rows)
        anchor_delivery = self._month_end(self.employment_coverage)
        anchor_row = dict(bsn=self._anchor, periode=self.employment_coverage, werkgever="ANCHOR", uren="1")
        if anchor_row not in self.werk.get(anchor_delivery, []):      # a second run rewrites the same files
            self.werk.setdefault(anchor_delivery, []).append(anchor_row)
        for delivery, rows in self.werk.items():
            header = ["bsn", "periode", "werkgever", "uren"]
            header += [c for c in self.WERK_OPTIONAL if any(c in r for r in rows)]
            write_delivery(self.landing / "werk" / f"werk_GM0363_{delivery.replace('-', '')}.csv", header, rows)
        if self.uitkeringen:
            write_delivery(self.landing / "uitkeringen" / f"uitkeringen_GM0363_{edu}.csv",
                           ["bsn", "uitkering", "datum_start", "datum_eind"], self.uitkeringen)
        if self.deelnemers:
            write_delivery(self.landing / "deelnemers" / f"deelnemers_AMS_{edu}.csv",
                           ["bsn", "pilot", "deelname", "toestemming", "datum_toestemming", "datum_intrekking"],
                           self.deelnemers)
        return run_pipeline(self.landing, self.warehouse, reference_date=reference_date, reference=reference)

    # -- reading ---------------------------------------------------------------------------
    def table(self, name: str) -> list[dict]:
        return duckdb.sql(f"SELECT * FROM read_parquet('{self.warehouse / name}/**/*.parquet')").to_arrow_table().to_pylist()

    def timeline(self, bsn: str) -> dict[str, dict]:
        key = self.key(bsn)
        return {r["month"]: r for r in self.table("core/person_month") if r["person_key"] == key}

    def status(self, bsn: str, month: str) -> str | None:
        row = self.timeline(bsn).get(month)
        return None if row is None else row["status"]

    def outflows(self, bsn: str) -> list[dict]:
        key = self.key(bsn)
        return sorted((r for r in self.table("marts/outflow_outcomes") if r["person_key"] == key),
                      key=lambda r: r["outflow_date"])

    def work_rows(self, bsn: str) -> list[dict]:
        """The person's rows of marts/outflow_work, by outflow date."""
        key = self.key(bsn)
        return sorted((r for r in self.table("marts/outflow_work") if r["person_key"] == key),
                      key=lambda r: r["outflow_date"])

    def risk(self, bsn: str) -> dict | None:
        key = self.key(bsn)
        rows = [r for r in self.table("marts/risk_monitor") if r["person_key"] == key]
        return rows[0] if rows else None


class SharedRun:
    """Rule cases that share one pipeline run (a run is slow; the rules are per person).

        RUN = SharedRun(coverage="2021-12")

        @RUN.case
        def two_employers(s):             # adds the case's persons to the shared scenario
            p = s.person(); ...; return p

        @pytest.fixture(scope="module")
        def shared(tmp_path_factory):
            return RUN.run(tmp_path_factory.mktemp("timeline"))   # (scenario, {case name: its persons})

    Only cases with the same coverage and reference date can share a run, and only assertions about
    a case's own persons: a count over every outflow would see the other cases' persons too.
    """

    def __init__(self, reference_date: str | None = None, **scenario_args):
        self.reference_date = reference_date
        self.scenario_args = scenario_args
        self.cases: dict = {}

    def case(self, define):
        """Register ``define(s)``: it adds a case's persons to the scenario and returns them."""
        # a second case of the same name would replace the first, and its test read the wrong persons
        assert define.__name__ not in self.cases, f"two cases named {define.__name__}"
        self.cases[define.__name__] = define
        return define

    def run(self, root: Path) -> tuple[Scenario, dict]:
        s = Scenario(root, **self.scenario_args)
        people = {name: define(s) for name, define in self.cases.items()}
        s.run(reference_date=self.reference_date)
        return s, people


def one_each(s: Scenario, values, add) -> dict:
    """A person per value, ``add(person, value)`` giving each its records: ``{value: person}``."""
    people = {}
    for value in values:
        people[value] = s.person()
        add(people[value], value)
    return people
