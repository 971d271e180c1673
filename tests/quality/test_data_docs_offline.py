"""Data Docs render completely with the network off: real pipeline, real GX pages, real Chromium.

Before issue 16 the pages loaded jQuery, Bootstrap, bootstrap-table etc. from CDNs: offline, every
script failed and bootstrap-table never built a table. Here every request that is not a local file
is blocked and counted, and the script-built tables must have rows.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest

from soepel_etl import pipeline
from soepel_etl.quality.offline_docs import CDN, TARGET, external_references, localise
from soepel_etl.settings import Settings
from soepel_etl.synthetic import generate
from tests.browser import offline_chromium
from tests.conftest import TEST_KEY

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
LOCAL_SCHEMES = {"file", "data", "blob", "about"}


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("docs")
    # the generated landing zone has bad files: failed validations (the pages with the most on them)
    generate(root / "landing", persons=150, seed=16)
    pipeline.run(Settings.resolve(landing=root / "landing", warehouse=root / "warehouse", key=TEST_KEY))
    return root / "warehouse" / "_meta" / "quality" / "data_docs"


def _open(page_path: Path, shot: str, check) -> dict:
    """Load one page in headless Chromium with the network blocked; run ``check(page)``."""
    seen = {"requests": [], "failed": [], "errors": [], "external": []}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with offline_chromium() as context:
        # belt and braces beside offline=True: anything over http(s) or ws is refused here and counted
        context.route(lambda url: urlparse(url).scheme not in LOCAL_SCHEMES, lambda route: route.abort())
        page = context.new_page()
        page.on("request", lambda r: seen["requests"].append(r.url))
        page.on("requestfailed", lambda r: seen["failed"].append(f"{r.url} ({r.failure})"))
        page.on("pageerror", lambda e: seen["errors"].append(str(e)))
        page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
        page.goto(page_path.resolve().as_uri(), wait_until="load")
        page.wait_for_timeout(300)     # bootstrap-table builds on document ready
        seen.update(check(page))
        page.screenshot(path=str(ARTIFACTS / f"data-docs-offline-{shot}.png"), full_page=True)
    seen["external"] = [u for u in seen["requests"] if urlparse(u).scheme not in LOCAL_SCHEMES]
    return seen


def _built_rows(page) -> int:
    """Body rows of tables bootstrap-table built (it wraps each in div.bootstrap-table)."""
    return page.eval_on_selector_all("div.bootstrap-table table tbody tr:not(.no-records-found)", "els => els.length")


def _assert_offline(seen: dict) -> None:
    assert seen["external"] == [], "the page asked the network"
    assert seen["failed"] == [], "requests failed"
    assert seen["errors"] == [], "script errors"


def test_static_pages_have_no_external_resources(docs):
    pages = sorted(docs.rglob("*.html"))
    assert len(pages) > 20
    left = {p.relative_to(docs).as_posix(): external_references(p.read_text(encoding="utf-8")) for p in pages}
    assert {k: v for k, v in left.items() if v} == {}
    assert (docs / "static/soepel/THIRD_PARTY.md").is_file()
    assert (docs / "static/soepel/vendor/jquery-3.7.1/LICENSE.txt").is_file()
    # no page of ours draws a vega chart: the site gets no copy of vega
    assert not list((docs / "static/soepel/vendor").glob("vega*"))


def test_a_page_with_a_chart_keeps_vega_and_every_address_has_a_shipped_file():
    shipped = Path(__file__).resolve().parents[2] / "soepel_etl/quality/static"
    assert all((shipped / local).is_file() for local in CDN.values())
    head = "".join(f'<script src="{url}"></script>\n' for url in CDN if url.endswith(("@5", "@6")))
    assert "vega" not in localise(head, "../")
    chart = localise(head + "<script>vegaEmbed('#c', spec)</script>", "../")
    assert f'<script src="../{TARGET}/vendor/vega-5.33.1/build/vega.min.js"></script>' in chart
    assert external_references(chart) == []


def test_index_lists_every_validation_offline(docs):
    results = sorted((docs / "validations").rglob("*.html"))
    assert len(results) >= 10

    def check(page):
        data = page.evaluate("() => $('table.ge-index-page-validation-results-table').bootstrapTable('getData')"
                             ".map(r => r._table_row_link_path)")
        return {"listed": data, "rows": _built_rows(page)}

    seen = _open(docs / "index.html", "index", check)
    _assert_offline(seen)
    assert sorted(seen["listed"]) == sorted(p.relative_to(docs).as_posix() for p in results)
    assert seen["rows"] > 0


def test_validation_result_page_offline(docs):
    # a failed raw suite: its page has the most tables (failures, statistics, every expectation)
    page_path = sorted((docs / "validations" / "raw_onderwijs").rglob("*.html"))[-1]

    def check(page):
        return {"rows": _built_rows(page), "icons": page.evaluate(
            "() => getComputedStyle(document.querySelector('i.fas'), '::before').fontFamily")}

    seen = _open(page_path, "validation", check)
    _assert_offline(seen)
    assert seen["rows"] >= 5
    assert "Font Awesome" in seen["icons"]     # the local font-awesome stylesheet applied


def test_suite_page_offline(docs):
    def check(page):
        return {"rows": _built_rows(page),
                "info": page.inner_text("div.bootstrap-table"),
                "expectations": page.eval_on_selector_all("li", "els => els.length")}

    seen = _open(docs / "expectations" / "raw_onderwijs.html", "suite", check)
    _assert_offline(seen)
    assert seen["rows"] >= 2 and "raw_onderwijs" in seen["info"]   # the Info table bootstrap-table built
    assert seen["expectations"] >= 30
