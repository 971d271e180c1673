"""Fixtures shared by the reliability tests: one small generated landing zone, split into a base and
a delta, with the warehouse before and after a run over the delta (tests/reliability/crash.py)."""

from __future__ import annotations

import pytest

from tests.reliability import crash


@pytest.fixture(scope="session")
def prepared_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reliability")
    crash.prepare(folder)
    return folder


@pytest.fixture(scope="session")
def prepared(prepared_dir):
    """(delta landing, warehouse before, warehouse after, seconds of one run over the delta)."""
    return crash.prepare(prepared_dir)
