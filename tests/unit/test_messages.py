"""Error messages keep their detail: scrubbing masks identifiers and birth dates only, the CLI shows
the whole cause and names the command that failed, a reference file in the wrong encoding is named."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from soepel_etl.privacy import mask_identifiers, scrub
from soepel_etl.reference import shipped_reference_dir
from tests.conftest import ONDERWIJS_HEADER, TEST_KEY_TEXT, onderwijs_row, write_delivery


def _cli(*args):
    env = {**os.environ, "SOEPEL_PSEUDONYM_KEY": TEST_KEY_TEXT}
    env.pop("SOEPEL_REFERENCE_DIR", None)
    return subprocess.run([sys.executable, "-m", "soepel_etl.cli", *args], capture_output=True, text=True, env=env)


def test_scrub_masks_identifiers_and_birth_dates_only():
    assert scrub("reference date '2021-13-01' is not a date") == "reference date '2021-13-01' is not a date"
    assert scrub("werk_GM0363_20200315.csv line 1234567: 2 errors") == "werk_GM0363_20200315.csv line 1234567: 2 errors"
    assert scrub("bsn 123456782, onr 101222331, 12345672 (8 digits), born 15-05-2003 / 2003-05-15") == \
        "bsn ******782, onr ******331, *****672 (8 digits), born <date> / <date>"
    assert mask_identifiers("leerlingen_123456782.csv") == "leerlingen_******782.csv"
    assert scrub(scrub("bsn 123456782 on 15-05-2003")) == scrub("bsn 123456782 on 15-05-2003")   # idempotent


def test_invalid_reference_date_is_echoed_as_typed(tmp_path):
    result = _cli("run", "--landing", str(tmp_path), "--warehouse", str(tmp_path / "wh"),
                  "--reference-date", "2021-13-01")
    assert result.returncode == 2
    assert "2021-13-01" in result.stderr and "<date>" not in result.stderr


def test_sql_error_names_the_command_and_keeps_every_line(tmp_path):
    from soepel_etl.warehouse.marker import claim

    claim(tmp_path / "wh")          # an empty warehouse: the query itself is what fails
    result = _cli("sql", "--warehouse", str(tmp_path / "wh"), "SELEC 1")
    assert result.returncode == 1
    assert result.stderr.startswith("soepel-etl: sql failed"), result.stderr
    assert "LINE 1: SELEC 1" in result.stderr          # the parser's second line: where it broke


def test_report_error_names_the_command(tmp_path):
    result = _cli("report", "--warehouse", str(tmp_path / "none"), "--out", str(tmp_path / "out"))
    assert result.returncode != 0 and result.stderr.startswith("soepel-etl report"), result.stderr


def test_reference_file_in_the_wrong_encoding_is_named(tmp_path):
    reference = tmp_path / "reference"
    shutil.copytree(shipped_reference_dir(), reference)
    gemeenten = reference / "gemeenten.csv"
    gemeenten.write_bytes(gemeenten.read_bytes() + "GM9999;Súdwest-Fryslân;RMC99;Fryslân;X\n".encode("cp1252"))
    landing = tmp_path / "landing"
    write_delivery(landing / "onderwijs" / "onderwijs_25PZ_20200315.csv", ONDERWIJS_HEADER, [onderwijs_row()])
    result = _cli("run", "--landing", str(landing), "--warehouse", str(tmp_path / "wh"), "--reference", str(reference))
    assert result.returncode == 2
    assert "gemeenten.csv" in result.stderr and "UTF-8" in result.stderr, result.stderr
