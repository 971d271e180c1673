"""``soepel-etl status`` on small generated landing zones, through the real CLI and pipeline.

The base: a generated landing zone without its bad files and without the sender that stops
delivering (Utrecht's `werk`), loaded with the March 2024 `werk` delivery of the one monthly sender
(the largest municipality, monthly from April 2023) held back. Each test copies it, changes one thing, runs again, and reads the status: the
window is "since the previous build", so the base's history never counts.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from soepel_etl.cli import main
from soepel_etl.synthetic import generate
from tests.conftest import ONDERWIJS_HEADER, TEST_KEY_TEXT, run_pipeline, write_delivery
from tests.scenario import make_bsn

@pytest.fixture(scope="module")
def base(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("status-base")
    landing, held = root / "landing", root / "held"
    summary = generate(landing, persons=120, seed=16)
    for name in summary["bad_file_kinds"]:
        for path in landing.rglob(name):
            path.unlink()
    for path in (landing / "werk").glob("werk_GM0344_*.csv"):     # stops in June 2023: inactive, missing
        path.unlink()
    # the monthly sender: the one with the most werk files (which one depends on the persons drawn)
    werk = Counter(p.name.split("_")[1] for p in (landing / "werk").glob("werk_*.csv"))
    monthly = werk.most_common(1)[0][0]
    files = sorted((landing / "werk").glob(f"werk_{monthly}_*.csv"))
    assert [p.stem[-8:-2] for p in files[-3:]] == ["202401", "202402", "202403"], "the generator's cadence changed"
    held.mkdir()
    shutil.move(files[-1], held / files[-1].name)
    run_pipeline(landing, root / "warehouse")
    return {"root": root, "march": held / files[-1].name, "monthly": monthly}


@pytest.fixture
def zone(base, tmp_path, monkeypatch) -> dict:
    for name in ("landing", "warehouse"):
        shutil.copytree(base["root"] / name, tmp_path / name)
    monkeypatch.setenv("SOEPEL_PSEUDONYM_KEY", TEST_KEY_TEXT)
    return {"landing": tmp_path / "landing", "warehouse": tmp_path / "warehouse", "march": base["march"],
            "monthly": base["monthly"]}


def deliver_march(zone: dict) -> None:
    shutil.copy(zone["march"], zone["landing"] / "werk" / zone["march"].name)


def status(zone: dict, capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["status", "--warehouse", str(zone["warehouse"])])
    out = capsys.readouterr().out
    page = zone["warehouse"] / "_meta/quality/status.html"
    assert page.is_file()
    html = page.read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href)\s*=|url\(|@import|<script""", html), "the status page loads something"
    assert_private(zone, out + html)
    return code, out


def assert_private(zone: dict, text: str) -> None:
    """No BSN, birth date, person key or key text in what status shows."""
    assert TEST_KEY_TEXT not in text
    assert not re.search(r"(?<![\d.,])\d{9}(?![\d.,])", text), "a 9-digit number (BSN?)"
    keys = {k for (k,) in duckdb.sql(
        f"SELECT DISTINCT person_key FROM read_parquet('{zone['warehouse']}/core/persons/**/*.parquet')").fetchall()}
    assert not set(re.findall(r"[0-9a-f]{64}", text)) & keys
    # the warehouse keeps no full birth date; the full dates status may show are a sender's last
    # delivery and a corrected outflow date (as in the run summary)
    shown = re.sub(r"last delivery \d{4}-\d\d-\d\d|outflow_date \S+→\S+", "", text)
    assert not re.search(r"\b(19|20)\d\d-\d\d-\d\d\b", shown), "a full date other than a delivery date"


def run(zone: dict) -> None:
    run_pipeline(zone["landing"], zone["warehouse"])


def test_clean_month_exits_0(zone, capsys):
    deliver_march(zone)
    run(zone)
    code, out = status(zone, capsys)
    assert code == 0, out
    assert "verdict: all well" in out
    assert re.search(rf"werk\s+{zone['monthly']}\s+1 loaded, 0 rejected, 0 duplicate", out)
    assert len(re.findall(r"^\S+\s+\S+\s+\d+ loaded", out, flags=re.M)) == 1   # the window: this run only
    assert "missing:" not in out and "rejected " not in out
    assert re.search(r"employment coverage: \d{4}-\d\d → \d{4}-\d\d", out)
    assert re.search(r"provisional outflows: \d+ → \d+", out)


def test_intern_report_links_the_status_page(zone, capsys, tmp_path):
    from soepel_etl.report import write_report

    page = zone["warehouse"] / "_meta/quality/status.html"
    before = write_report(zone["warehouse"], tmp_path / "before", "intern")["html"].read_text(encoding="utf-8")
    assert "soepel-etl status --warehouse" in before and page.as_uri() not in before   # not written yet
    status(zone, capsys)
    intern = write_report(zone["warehouse"], tmp_path / "out", "intern")["html"].read_text(encoding="utf-8")
    kwaliteit = re.search(r'<section class="part" id="kwaliteit".*?</section>', intern, flags=re.S).group(0)
    assert f'<a href="{page.as_uri()}">status.html</a>' in kwaliteit
    publiek = write_report(zone["warehouse"], tmp_path / "out", "publiek")["html"].read_text(encoding="utf-8")
    assert "status.html" not in publiek and "soepel-etl status" not in publiek


def test_missing_monthly_sender_exits_1(zone, capsys):
    code, out = status(zone, capsys)     # the base: the monthly sender delivered in January and February only
    assert code == 1
    assert "1 missing sender(s)" in out and "rejected file" not in out and "critical" not in out
    assert f"missing: werk {zone['monthly']}: monthly sender, last delivery 2024-02, nothing in 2024-03" in out


def test_rejected_file_exits_1(zone, capsys):
    deliver_march(zone)
    (zone["landing"] / "uitkeringen" / "uitkeringen_GM0363_20240320.csv").write_bytes(b"")
    run(zone)
    code, out = status(zone, capsys)
    assert code == 1
    assert "NEEDS A PERSON: 1 rejected file(s)" in out
    assert "rejected uitkeringen_GM0363_20240320.csv: empty file" in out
    assert re.search(r"uitkeringen\s+GM0363\s+0 loaded, 1 rejected", out)


def test_critical_quality_result_exits_1(zone, capsys, monkeypatch):
    """A critical raw check (over half the rows quarantined) waived for one run: the file loads, no
    file is rejected, and status still wants a person to look."""
    deliver_march(zone)
    name = "onderwijs_25PZ_20240325.csv"
    rows = [dict(bsn=make_bsn(900 + i) if i < 8 else "123456789", geboortedatum="15-05-2004", postcode="1012 AB",
                 woongemeente="GM0363", brin="25PZ", inschrijving_id=f"S{i}", crebo="25254", opleiding="Entree",
                 niveau="1", leerweg="BOL", datum_inschrijving="01-08-2023", diploma="N", mutatie="N")
            for i in range(24)]
    write_delivery(zone["landing"] / "onderwijs" / name, ONDERWIJS_HEADER, rows)
    monkeypatch.setenv("SOEPEL_QUALITY_WAIVE", name)
    run(zone)
    code, out = status(zone, capsys)
    assert code == 1
    assert re.search(r"NEEDS A PERSON: \d+ critical quality result\(s\)\n", out), out
    assert re.search(r"onderwijs\s+25PZ\s+1 loaded, 0 rejected", out)
    assert re.search(r"\[waived\] (valid_identifier_rate|quarantine_rate)", out)
    assert re.search(r"onderwijs\s+no_valid_identifier: 16", out)
