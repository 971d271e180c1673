"""The RMC's signal list (definitions.md, "Signal list for the RMC") on a hand-built warehouse.

R = 2021-06. In the list: a person at high risk, one delivered with a leading zero and listed with 8
digits, an enrolled person (in the monitor, low risk), a person in the warehouse but too old for the
monitor, a valid BSN nobody delivered, and invalid values. The answer must keep the list's order and
values, pseudonymise only valid BSNs, write nothing into the warehouse, log no BSN, and be owner-only.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from soepel_etl.cli import main
from tests.conftest import TEST_KEY, TEST_KEY_TEXT, tree_state
from tests.privacy import Secrets, scan_text, scan_tree
from tests.signal_cases import (AT_RISK, ENROLLED, INVALID, LEADING_ZERO, LIST, R, TOO_OLD, UNKNOWN,
                                build_signal_warehouse, read_csv_answer, write_csv_list)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return build_signal_warehouse(tmp_path_factory.mktemp("signal"))


@pytest.fixture
def key_env(monkeypatch):
    monkeypatch.setenv("SOEPEL_PSEUDONYM_KEY", TEST_KEY_TEXT)


def test_round_trip_csv(warehouse, tmp_path, key_env, capsys):
    bsn_list = write_csv_list(tmp_path / "inwoners.csv", LIST)
    out = tmp_path / "antwoord.csv"
    assert main(["signal-list", "--warehouse", str(warehouse), "--bsn-list", str(bsn_list), "--out", str(out)]) == 0
    rows = read_csv_answer(out)
    assert [r["bsn"] for r in rows] == LIST                                   # as given, in list order
    assert list(rows[0])[:3] == ["bsn", "bsn_valid", "in_monitor"]
    assert "person_key" not in rows[0] and "person_id" not in rows[0]
    by = {r["bsn"]: r for r in rows}

    risk = by[AT_RISK]
    assert (risk["bsn_valid"], risk["in_monitor"], risk["reference_month"]) == ("true", "true", R)
    assert (risk["neet_months"], risk["neet_3m"], risk["zonder_startkwalificatie"]) == ("3", "true", "true")
    assert (risk["risk_score"], risk["risk_level"], risk["age"], risk["vsv"]) == ("2", "hoog", "19", "true")
    assert risk["rmc_region_code"] not in ("", "-")
    assert rows[-1] == rows[0]                                               # a repeated BSN is answered twice

    zero = by[LEADING_ZERO[1:]]                                              # 8 digits: leading zero restored
    assert (zero["bsn_valid"], zero["in_monitor"], zero["risk_level"]) == ("true", "true", "hoog")
    assert zero["neet_months"] == "4"

    enrolled = by[ENROLLED]
    assert (enrolled["in_monitor"], enrolled["risk_level"], enrolled["risk_score"]) == ("true", "laag", "0")

    for absent in (TOO_OLD, UNKNOWN):                                        # valid, not in the monitor
        assert (by[absent]["bsn_valid"], by[absent]["in_monitor"]) == ("true", "false")
        assert by[absent]["risk_level"] == "" and by[absent]["reference_month"] == ""

    for bad in INVALID:                                                      # invalid: not pseudonymised
        assert (by[bad]["bsn_valid"], by[bad]["in_monitor"], by[bad]["risk_level"]) == ("false", "", "")

    printed = capsys.readouterr()
    assert "10 BSN(s) read, 4 invalid, 4 in the risk monitor (reference month 2021-06)" in printed.out


def test_round_trip_xlsx_with_numeric_cells(warehouse, tmp_path, key_env):
    bsn_list = tmp_path / "inwoners.xlsx"
    book = xlsxwriter.Workbook(str(bsn_list))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["naam_kolom", "Bsn"])
    values = [int(AT_RISK), int(LEADING_ZERO), UNKNOWN, "12x"]        # numbers as Excel keeps them: no zero
    for i, value in enumerate(values, start=1):
        sheet.write(i, 0, f"r{i}")
        sheet.write(i, 1, value)
    book.close()
    out = tmp_path / "antwoord.xlsx"
    assert main(["signal-list", "--warehouse", str(warehouse), "--bsn-list", str(bsn_list), "--out", str(out)]) == 0
    sheet = openpyxl.load_workbook(out, read_only=True).worksheets[0]
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    got = [dict(zip(header, r)) for r in rows]
    assert [r["bsn"] for r in got] == [AT_RISK, "12345672", UNKNOWN, "12x"]   # text cells, as given
    assert [(r["bsn_valid"], r["in_monitor"]) for r in got] == [(True, True), (True, True), (True, False),
                                                                  (False, None)]
    assert got[0]["risk_level"] == "hoog" and got[0]["risk_score"] == 2


def test_answer_is_owner_only_from_creation_even_over_an_open_file(warehouse, tmp_path, key_env):
    bsn_list = write_csv_list(tmp_path / "inwoners.csv", [AT_RISK], delimiter=",")
    out = tmp_path / "antwoord.csv"
    out.write_text("old answer\n")
    os.chmod(out, 0o644)
    old_umask = os.umask(0)                   # even a process that would create files world-readable
    try:
        assert main(["signal-list", "--warehouse", str(warehouse), "--bsn-list", str(bsn_list),
                     "--out", str(out)]) == 0
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert read_csv_answer(out, ",")[0]["risk_level"] == "hoog"               # the list's delimiter is kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["antwoord.csv", "inwoners.csv"]   # no partial left


def test_nothing_enters_the_warehouse_or_the_output_of_the_command(warehouse, tmp_path):
    bsn_list = write_csv_list(tmp_path / "inwoners.csv", LIST)
    out = tmp_path / "antwoord.csv"
    before = tree_state(warehouse)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOEPEL_")}
    env["SOEPEL_PSEUDONYM_KEY"] = TEST_KEY_TEXT
    done = subprocess.run([sys.executable, "-m", "soepel_etl.cli", "--debug", "signal-list", "--warehouse",
                           str(warehouse), "--bsn-list", str(bsn_list), "--out", str(out)],
                          cwd=warehouse, env=env, capture_output=True, text=True)   # cwd: DuckDB's default spill
    assert done.returncode == 0, done.stderr[-2000:]
    assert tree_state(warehouse) == before                   # not one byte written, no temp file left
    secrets = Secrets(key=TEST_KEY_TEXT)
    for value in LIST:
        secrets.add_identifier(value)
    assert scan_tree(warehouse, secrets) == []
    assert scan_text(done.stdout + done.stderr, secrets, "command output") == []
    assert scan_tree(out.parent, secrets) != []              # the control: the answer does hold them …
    assert [f for f in scan_tree(out.parent, secrets) if not f.startswith((str(out), str(bsn_list)))] == []


def test_without_the_key_it_refuses(warehouse, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("SOEPEL_PSEUDONYM_KEY", raising=False)
    bsn_list = write_csv_list(tmp_path / "inwoners.csv", [AT_RISK])
    out = tmp_path / "antwoord.csv"
    assert main(["signal-list", "--warehouse", str(warehouse), "--bsn-list", str(bsn_list), "--out", str(out)]) == 2
    assert "SOEPEL_PSEUDONYM_KEY" in capsys.readouterr().err and not out.exists()
    monkeypatch.setenv("SOEPEL_PSEUDONYM_KEY", "short")
    assert main(["signal-list", "--warehouse", str(warehouse), "--bsn-list", str(bsn_list), "--out", str(out)]) == 2
    assert "at least 32" in capsys.readouterr().err and not out.exists()


def test_a_list_without_a_bsn_column_is_refused(warehouse, tmp_path, key_env, capsys):
    bsn_list = write_csv_list(tmp_path / "inwoners.csv", [AT_RISK], header="burgerservicenr")
    out = tmp_path / "antwoord.csv"
    assert main(["signal-list", "--warehouse", str(warehouse), "--bsn-list", str(bsn_list), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no column named 'bsn'" in err and "burgerservicenr" in err and not out.exists()
    assert AT_RISK not in err


@pytest.mark.parametrize("case, message", [
    ("no warehouse", "does not exist"),
    ("no risk monitor", "has no marts/risk_monitor"),
    ("other format out", "give --out a .csv name"),
    ("not a list format", "must be a .csv or .xlsx file"),
    ("no list", "does not exist"),
    ("out in the warehouse", "never enters the warehouse"),
])
def test_other_errors_exit_non_zero_with_a_clear_message(warehouse, tmp_path, key_env, capsys, case, message):
    bsn_list = write_csv_list(tmp_path / "inwoners.csv", [AT_RISK])
    args = {"--warehouse": str(warehouse), "--bsn-list": str(bsn_list), "--out": str(tmp_path / "antwoord.csv")}
    if case == "no warehouse":
        args["--warehouse"] = str(tmp_path / "nowhere")
    elif case == "no risk monitor":
        from soepel_etl.warehouse.marker import claim

        claim(tmp_path / "empty")              # a warehouse, but nothing built in it yet
        args["--warehouse"] = str(tmp_path / "empty")
    elif case == "other format out":
        args["--out"] = str(tmp_path / "antwoord.xlsx")
    elif case == "out in the warehouse":
        args["--out"] = str(warehouse / "marts" / "antwoord.csv")
    elif case == "not a list format":
        args["--bsn-list"] = str(bsn_list.rename(tmp_path / "inwoners.txt"))
    else:
        args["--bsn-list"] = str(tmp_path / "missing.csv")
    assert main(["signal-list", *[x for pair in args.items() for x in pair]]) == 2
    assert message in capsys.readouterr().err
    assert not Path(args["--out"]).exists()


def test_pseudonyms_are_those_of_the_identity_layer(warehouse, tmp_path, key_env):
    """The SQL HMAC of the answer joins on the same person_key as PseudonymKey.pseudonym gives."""
    import duckdb

    keys = {r[0] for r in duckdb.sql(f"SELECT person_key FROM read_parquet('{warehouse}/marts/risk_monitor/**/*.parquet')")
            .fetchall()}
    assert TEST_KEY.pseudonym("bsn", AT_RISK) in keys and TEST_KEY.pseudonym("bsn", LEADING_ZERO) in keys
