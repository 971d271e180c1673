"""The report's families live in DuckDB (soepel_etl/report/records.py): every count, distinct value,
earliest month and percentile asked of them equals the same figure computed record by record in
Python, nulls included; the workspace leaves nothing behind."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest

from soepel_etl.report import write_report
from soepel_etl.report.model import key
from soepel_etl.report.records import Workspace
from soepel_etl.report.tables import nearest_rank

DIMS = {"cohort": [2018, 2019, 2020, None], "m6": ["werk", "geen", "onbekend", None], "flag": [True, False, None]}


@pytest.fixture()
def family():
    rng = random.Random(14)
    rows = [{"cohort": rng.choice(DIMS["cohort"]), "m6": rng.choice(DIMS["m6"]), "flag": rng.choice(DIMS["flag"]),
             "obs": rng.choice([None, *range(-3, 30)]), "wage": rng.choice([None, *[rng.uniform(100, 3000)] * 3])}
            for _ in range(500)]
    space = Workspace()
    values = ", ".join(
        "(" + ", ".join("NULL" if r[c] is None else repr(r[c]) if not isinstance(r[c], str) else f"'{r[c]}'"
                        for c in ("cohort", "m6", "flag", "obs", "wage")) + ")" for r in rows)
    records = space.materialise(f"SELECT * FROM (VALUES {values}) AS t(cohort, m6, flag, obs, wage)",
                                marginals={"m1": {"werk": 3, "geen": 2}})
    yield rows, records
    space.close()
    assert not space.folder.exists()


def test_counts_equal_python_counting_nulls_count_for_nothing(family):
    rows, records = family
    assert len(records) == len(rows)
    for cohort in DIMS["cohort"]:
        for m6 in DIMS["m6"]:
            for flag in DIMS["flag"]:
                for k in (key(("cohort", cohort)), key(("cohort", cohort), ("m6", m6)),
                          key(("cohort", cohort), ("m6", m6), ("flag", flag)), key(("flag", flag))):
                    expected = sum(all(v is not None and r[d] == v for d, v in k) for r in rows)
                    assert records.count(k) == expected, k
    assert records.count(()) == len(rows)


def test_values_minimum_and_pooling(family):
    rows, records = family
    assert sorted(records.values("cohort")) == sorted({r["cohort"] for r in rows} - {None})
    for cohort in DIMS["cohort"][:-1]:
        obs = [r["obs"] for r in rows if r["cohort"] == cohort and r["obs"] is not None]
        assert records.minimum("obs", by="cohort")[cohort] == min(obs)
        assert (cohort in records.any_below("obs", 0, by="cohort")) == any(o < 0 for o in obs)
    pooled = records.replaced({"cohort": "cohort // 2 * 2"})
    assert pooled.count(key(("cohort", 2018))) == sum(r["cohort"] in (2018, 2019) for r in rows)
    assert records.count(key(("cohort", 2018))) == sum(r["cohort"] == 2018 for r in rows)


def test_percentiles_by_nearest_rank_equal_the_rule(family):
    rows, records = family
    where = key(("m6", "werk"))
    ranks = records.nearest_rank("wage", where, "cohort", (25, 50, 75))
    for cohort in DIMS["cohort"][:-1]:
        wages = [r["wage"] for r in rows if r["cohort"] == cohort and r["m6"] == "werk" and r["wage"] is not None]
        assert ranks[cohort] == {p: nearest_rank(wages, p) for p in (25, 50, 75)}
        by_hand = sorted(wages)
        assert ranks[cohort][50] == by_hand[-(-50 * len(by_hand) // 100) - 1]


def test_marginal_dimensions_are_counts_only(family):
    _, records = family
    assert "m1" in records and records.count(key(("m1", "werk"))) == 3 and records.count(key(("m1", "x"))) == 0
    assert sorted(records.values("m1")) == ["geen", "werk"]
    with pytest.raises(ValueError, match="m1"):
        records.count(key(("m1", "werk"), ("cohort", 2018)))


def test_write_report_leaves_no_workspace(warehouse, tmp_path, monkeypatch):
    # a temporary folder of this test's own: reports written by other test processes come and go
    # in the shared one
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    made = []
    real_mkdtemp = tempfile.mkdtemp
    monkeypatch.setattr(tempfile, "mkdtemp", lambda *a, **kw: made.append(real_mkdtemp(*a, **kw)) or made[-1])
    write_report(warehouse, tmp_path / "out", "intern", pilot="IJV")
    assert [Path(m).parent for m in made if Path(m).name.startswith("soepel-report-")] == [private]
    assert not list(private.glob("soepel-report-*"))
