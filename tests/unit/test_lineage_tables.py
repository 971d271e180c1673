"""Every between-builds suite names the table its lineage facts belong to."""

from soepel_etl.lineage import REGRESSION_TABLES
from soepel_etl.models.catalog import models
from soepel_etl.quality.suites import REGRESSIONS


def test_every_regression_suite_has_a_table_and_the_table_exists():
    assert set(REGRESSION_TABLES) == {f"regression_{name}" for name in REGRESSIONS}
    published = {m.name for m in models().values() if m.published}
    assert set(REGRESSION_TABLES.values()) <= published
