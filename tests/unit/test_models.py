"""The models declare their inputs, and the runner's order follows from them alone."""

from __future__ import annotations

import re

import pytest

from soepel_etl.models import catalog
from soepel_etl.models.catalog import Model, ModelError, parse, stages

SOURCE_RELATIONS = {  # what an input from outside the models appears as in SQL
    "staging": lambda name: {f"stg_{name}", f"current_{name}", f"stg_{name}_ranked"},
    "reference": lambda name: {f"reference_{name}", f"ref_{name}"},
    "national": lambda name: {f"national_{name}"},
}
# a table read: after FROM or JOIN (CTE names have none of these prefixes)
RELATION = re.compile(r"\b(?:FROM|JOIN)\s+((?:core|marts|stg|current|reference|ref|national)_[a-z_]+)\b", re.I)


def _read(model: Model) -> set[str]:
    sql = "\n".join(line.split("--")[0] for line in (model.sql + (model.publish_sql or "")).splitlines())
    return {m.group(1) for m in RELATION.finditer(sql)}


def test_every_model_names_exactly_what_it_reads():
    for model in catalog.models().values():
        declared = set()
        for name in model.inputs:
            layer, table = name.split("/")
            declared |= SOURCE_RELATIONS[layer](table) if layer in SOURCE_RELATIONS else {name.replace("/", "_")}
        read = _read(model) - {model.relation}
        assert read <= declared, f"{model.name} reads {sorted(read - declared)} without declaring them"
        unused = [i for i in model.inputs if not (SOURCE_RELATIONS.get(i.split('/')[0], lambda t: {i.replace('/', '_')})(
            i.split("/")[1]) & read)]
        assert not unused, f"{model.name} declares {unused} but does not read them"


def test_no_model_is_filled_in_from_python():
    for model in catalog.models().values():
        assert "${" not in model.sql and "{" not in re.sub(r"--.*", "", model.sql), model.name


def test_the_order_puts_every_model_after_its_inputs():
    first, ranged, last = stages(catalog.models())
    seen: set[str] = set()
    for model in first + ranged + last:
        assert all(i in seen or i.split("/")[0] in catalog.SOURCES for i in model.inputs), model.name
        seen.add(model.name)
    assert [m.name for m in ranged] == ["core/employment_months", "marts/outflow_work", "core/person_month",
                                        "marts/outflow_outcomes", "marts/risk_monitor"]
    assert sorted(m.name for m in last) == ["marts/cohort_outcomes", "marts/cohort_work"]


def test_a_new_mart_is_one_file():
    found = dict(catalog.models())
    found["marts/outflow_per_region"] = parse(
        "-- model: marts/outflow_per_region\n-- inputs: marts/outflow_outcomes\n"
        "SELECT rmc_region_code, count(*) AS n FROM marts_outflow_outcomes GROUP BY ALL\n",
        "marts/outflow_per_region.sql")
    first, ranged, last = stages(found)
    assert "marts/outflow_per_region" in [m.name for m in last]


def test_an_unknown_input_or_a_cycle_is_refused():
    a = parse("-- model: marts/a\n-- inputs: marts/b\nSELECT 1\n", "marts/a.sql")
    b = parse("-- model: marts/b\n-- inputs: marts/a\nSELECT 1\n", "marts/b.sql")
    with pytest.raises(ModelError, match="cycle"):
        stages({"marts/a": a, "marts/b": b})
    with pytest.raises(ModelError, match="no model builds it"):
        stages({"marts/a": a})


def test_a_header_that_does_not_match_its_file_is_refused():
    with pytest.raises(ModelError, match="must be marts/b.sql"):
        parse("-- model: marts/b\nSELECT 1\n", "marts/a.sql")
    with pytest.raises(ModelError, match="no '-- model:' header"):
        parse("SELECT 1\n", "marts/a.sql")


def test_a_per_range_model_cannot_read_a_table_built_after_the_ranges():
    found = dict(catalog.models())
    found["marts/late"] = parse("-- model: marts/late\n-- inputs: marts/cohort_outcomes\n-- built: per person range\n"
                                "SELECT * FROM marts_cohort_outcomes\n", "marts/late.sql")
    with pytest.raises(ModelError, match="built after the ranges"):
        stages(found)
