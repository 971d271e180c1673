"""Privacy scan of the written files, and the page in a real headless Chromium with network off."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import duckdb
import pytest

from tests.browser import offline_chromium
from tests.report.helpers import parse_tables

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "report-screenshots"


def _texts(paths: dict) -> list[str]:
    html = paths["html"].read_text(encoding="utf-8")
    with zipfile.ZipFile(paths["xlsx"]) as z:
        xml = [z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml")]
    return [html, *xml]


@pytest.mark.parametrize("which", ["intern", "publiek", "publiek_pilot"])
def test_no_identifiers(warehouse, reports, which):
    keys = {k for (k,) in duckdb.sql(
        f"SELECT DISTINCT person_key FROM read_parquet('{warehouse}/marts/outflow_outcomes/**/*.parquet') UNION "
        f"SELECT DISTINCT person_key FROM read_parquet('{warehouse}/marts/risk_monitor/**/*.parquet')").fetchall()}
    for text in _texts(reports[which]):
        hexes = set(re.findall(r"[0-9a-f]{64}", text))
        assert not hexes & keys
        assert not re.search(r"(?<![\d.,])\d{9}(?![\d.,])", text), "a 9-digit number (BSN/onderwijsnummer?)"
        assert "person_key" not in text
        # no full date of birth: every full date shown is a delivery date (the data run from 2016)
        for d, m, y in re.findall(r"\b(\d{1,2})[-/](\d{1,2})[-/](\d{4})\b", text):
            assert int(y) >= 2015, f"a full date {d}-{m}-{y}"
        for y, m, d in re.findall(r"\b(\d{4})-(\d{2})-(\d{2})\b", text):
            assert int(y) >= 2015, f"a full date {y}-{m}-{d}"


def test_intern_notice_in_every_section(reports):
    html = reports["intern"]["html"].read_text(encoding="utf-8")
    sections = re.findall(r'<section class="part".*?</section>', html, flags=re.S)
    assert len(sections) >= 9
    for s in sections:
        assert "Niet verspreiden buiten de organisatie" in s


def test_self_contained(reports):
    html = reports["publiek"]["html"].read_text(encoding="utf-8")
    assert "<script" not in html
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?!#)""", html), "an external reference"
    assert not re.search(r"url\((?!#)", html) and "@import" not in html
    assert 'lang="nl"' in html


@pytest.mark.parametrize("which", ["intern", "publiek_pilot"])
def test_in_chromium_offline(reports, which):
    path = reports[which]["html"]
    errors, requests = [], []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with offline_chromium() as context:
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
        url = path.resolve().as_uri()
        page.goto(url, wait_until="load")
        assert page.title().startswith("RMC-monitor")
        ids = page.eval_on_selector_all("section.part", "els => els.map(e => e.id)")
        assert ids[:2] == ["samenvatting", "uitkomsten"] and "definities" in ids
        svg_count = page.eval_on_selector_all("figure svg", "els => els.length")
        assert svg_count >= 15
        tables_in_page = page.eval_on_selector_all("table.data", "els => els.length")
        assert tables_in_page == len(parse_tables(path.read_text(encoding="utf-8")))
        page.screenshot(path=str(SCREENSHOTS / f"{which}-top.png"))
        for sid in ids:
            page.locator(f"section#{sid}").screenshot(path=str(SCREENSHOTS / f"{which}-{sid}.png"))
    assert errors == []
    assert [u for u in requests if u != url] == [], "the page fetched something"
