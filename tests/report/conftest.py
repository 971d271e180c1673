"""One small warehouse per session (generate + run), and the reports written from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from soepel_etl import pipeline
from soepel_etl.report import write_report
from soepel_etl.settings import Settings
from soepel_etl.synthetic import generate
from tests.conftest import TEST_KEY

PILOT = "IJV"


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report")
    generate(root / "landing", persons=1500, seed=7)
    settings = Settings.resolve(landing=root / "landing", warehouse=root / "warehouse", key=TEST_KEY)
    pipeline.run(settings)
    return root / "warehouse"


@pytest.fixture(scope="session")
def reports(warehouse, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("out")
    return {
        "intern": write_report(warehouse, out, "intern"),
        "publiek": write_report(warehouse, out, "publiek"),
        "publiek_pilot": write_report(warehouse, out, "publiek", pilot=PILOT),
    }


