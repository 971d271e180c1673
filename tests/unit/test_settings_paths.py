"""Every path setting is made absolute where it enters (settings.py), against the working directory."""

from __future__ import annotations

import shutil

from soepel_etl.reference import shipped_reference_dir
from soepel_etl.settings import Settings, expectations_override
from tests.conftest import TEST_KEY


def test_relative_options_and_environment_become_absolute(tmp_path, monkeypatch):
    shutil.copytree(shipped_reference_dir(), tmp_path / "ref")
    monkeypatch.chdir(tmp_path)
    from_options = Settings.resolve(landing="in", warehouse="out/wh", reference="ref", key=TEST_KEY, environ={})
    environ = {"SOEPEL_LANDING_DIR": "in", "SOEPEL_WAREHOUSE_DIR": "out/wh", "SOEPEL_REFERENCE_DIR": "ref",
               "SOEPEL_EXPECTATIONS_DIR": "gx"}
    from_env = Settings.resolve(key=TEST_KEY, environ=environ)
    for s in (from_options, from_env):
        assert (s.landing, s.warehouse, s.reference) == (tmp_path / "in", tmp_path / "out/wh", tmp_path / "ref")
    assert expectations_override(environ) == tmp_path / "gx"
    defaults = Settings.resolve(key=TEST_KEY, environ={})
    assert (defaults.landing, defaults.warehouse) == (tmp_path / "landing", tmp_path / "warehouse")
    assert defaults.reference.is_absolute()
