"""A file name can carry an identifier: it is masked wherever the name is written (_meta/loads,
rejected/, logs, and the reports that read them), and the privacy scan looks at names as well as contents."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ONDERWIJS_HEADER, TEST_KEY_TEXT, load_of, onderwijs_row, write_delivery
from tests.privacy import scan_text, scan_tree, secrets_of_landing

IN_NAME = "876543210"


def _cli(*args):
    import os
    env = {**os.environ, "SOEPEL_PSEUDONYM_KEY": TEST_KEY_TEXT}
    return subprocess.run([sys.executable, "-m", "soepel_etl.cli", *args], capture_output=True, text=True, env=env)


def test_the_scan_finds_identifiers_in_names(tmp_path):
    landing = tmp_path / "landing"
    write_delivery(landing / "onderwijs" / f"leerlingen_{IN_NAME}.csv", ONDERWIJS_HEADER, [onderwijs_row()])
    write_delivery(landing / "onderwijs" / "onderwijs_25PZ_20200315.csv", ONDERWIJS_HEADER, [onderwijs_row()])
    secrets = secrets_of_landing(landing, TEST_KEY_TEXT)
    assert IN_NAME in secrets.identifiers and "20200315" not in secrets.identifiers
    out = tmp_path / "out"
    (out / f"copy_{IN_NAME}").mkdir(parents=True)
    assert scan_tree(out, secrets)                  # a folder named with it is a finding


def test_identifier_in_a_rejected_file_name_is_masked_everywhere(landing, warehouse, tmp_path):
    write_delivery(landing / "onderwijs" / f"leerlingen_{IN_NAME}.csv", ONDERWIJS_HEADER, [onderwijs_row()])
    write_delivery(landing / "onderwijs" / "onderwijs_25PZ_20200315.csv", ONDERWIJS_HEADER, [onderwijs_row()])
    write_delivery(landing / "onderwijs" / "onderwijs_25LG_2020-03-18.csv", ONDERWIJS_HEADER, [onderwijs_row()])
    run = _cli("run", "--landing", str(landing), "--warehouse", str(warehouse))
    assert run.returncode == 0, run.stderr
    record = load_of(warehouse, "leerlingen_******210.csv")
    assert record["outcome"] == "rejected" and IN_NAME not in record["load_id"]
    assert load_of(warehouse, "onderwijs_25PZ_20200315.csv")["outcome"] == "loaded"    # its date is kept
    # a date in a file name is a delivery date, not a birth date: the reason shows the name as it is
    assert "'onderwijs_25LG_2020-03-18.csv'" in load_of(warehouse, "onderwijs_25LG_2020-03-18.csv")["reason"]

    secrets = secrets_of_landing(landing, TEST_KEY_TEXT)
    assert IN_NAME in secrets.identifiers
    # the report lists rejected files from _meta/loads, scanned here with the rest of the warehouse
    findings = scan_tree(warehouse, secrets) + scan_text(run.stdout + run.stderr, secrets, "run output")
    assert not findings, findings
    # a second run knows the file by its masked name: it is not read again
    again = _cli("run", "--landing", str(landing), "--warehouse", str(warehouse))
    assert "0 rejected, 0 duplicate, 3 skipped" in again.stdout, again.stdout
