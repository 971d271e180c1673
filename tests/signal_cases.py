"""The hand-built case of the signal-list tests (CLI and Airflow): a warehouse and a BSN list.

R = 2021-06. In the list: a person at high risk, one delivered with a leading zero and listed with 8
digits, an enrolled person (in the monitor, low risk), a person in the warehouse but too old for the
monitor, a valid BSN nobody delivered, invalid values, and the first BSN again.
"""

from __future__ import annotations

import csv
from pathlib import Path

from tests.conftest import BSN_B
from tests.scenario import Scenario, make_bsn

R = "2021-06"
AT_RISK, ENROLLED, TOO_OLD, UNKNOWN = make_bsn(101), make_bsn(102), make_bsn(103), make_bsn(104)
LEADING_ZERO = BSN_B                      # 012345672, listed as 12345672
INVALID = ["123456789", "abc", "", "000000000"]
LIST = [AT_RISK, LEADING_ZERO[1:], ENROLLED, TOO_OLD, UNKNOWN, *INVALID, AT_RISK]


def build_signal_warehouse(root: Path) -> Path:
    """The hand-built warehouse the signal-list tests answer from (also used by the Airflow test)."""
    s = Scenario(root, coverage=R)
    s.enrol(AT_RISK, "2019-08-01", "2021-03-31", birth="2002-05-15")          # geen since April: neet_3m
    s.enrol(LEADING_ZERO, "2019-08-01", "2021-02-28", birth="2003-01-10")
    s.enrol(ENROLLED, "2019-08-01", None, birth="2003-09-01")
    s.enrol(TOO_OLD, "2016-08-01", "2017-06-30", birth="1990-03-01")
    s.run()
    return s.warehouse


def write_csv_list(path: Path, values: list[str], header: str = "BSN", delimiter: str = ";") -> Path:
    lines = [f"volgnummer{delimiter}{header}"] + [f"{i}{delimiter}{v}" for i, v in enumerate(values, 1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_csv_answer(path: Path, delimiter: str = ";") -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))
