"""The quality layer: each suite broken on purpose, severities and their effect, and a privacy scan."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from soepel_etl.models import catalog
from soepel_etl.quality import QualityFailure
from soepel_etl.quality.project import SUITES, shipped_project, suite_texts
from soepel_etl.quality.suites import all_suites, suite_json
from tests.conftest import (ONDERWIJS_HEADER, TEST_KEY_TEXT, load_of, onderwijs_row, pseudonym, run_pipeline, tree_state,
                            write_delivery)


def valid_bsns(n: int, start: int = 23456780) -> list[str]:
    out, base = [], start
    while len(out) < n:
        s = f"{base:08d}"
        check = sum(w * int(c) for w, c in zip(range(9, 1, -1), s)) % 11
        if check < 10:
            out.append(s + str(check))
        base += 7
    return out


def rows(n: int, prefix: str = "E", bsns: list[str] | None = None) -> list[dict]:
    bsns = bsns or valid_bsns(n)
    return [onderwijs_row(bsn=b, inschrijving_id=f"{prefix}{i}", geboortedatum=f"{1 + i % 28:02d}-03-2002")
            for i, b in enumerate(bsns[:n])]


def deliver(landing: Path, name: str, data: list[dict]) -> Path:
    return write_delivery(landing / "onderwijs" / name, ONDERWIJS_HEADER, data)


def last_results(warehouse: Path) -> dict:
    runs = sorted((warehouse / "_meta/quality/runs").glob("*.json"))
    return json.loads(runs[-1].read_text())


def failures(results: dict) -> list[dict]:
    return [f for s in results["suites"] for f in s["failures"]]


def test_suites_are_the_reviewed_json():
    shipped = suite_texts(shipped_project())
    suites = all_suites()
    assert sorted(shipped) == sorted(suites)
    for name, ex in suites.items():
        on_disk = json.loads(shipped[name])
        assert on_disk == json.loads(json.dumps(suite_json(name, ex))), f"regenerate {name}.json"
        for e in on_disk["expectations"]:
            assert e["meta"]["severity"] in ("critical", "warning") and e["severity"] == e["meta"]["severity"]


def test_clean_run_validates_every_stage_and_writes_data_docs(landing, warehouse):
    deliver(landing, "onderwijs_25PZ_20200315.csv", rows(25))
    summary = run_pipeline(landing, warehouse)
    docs = warehouse / "_meta/quality/data_docs/index.html"
    assert summary.data_docs == docs and docs.is_file()
    assert any("quality:" in line and str(docs) in line for line in summary.lines())
    results = last_results(warehouse)
    suites = {s["suite"] for s in results["suites"]}
    assert {"raw_onderwijs", "staged_onderwijs", "core_person_month", "marts_outflow_outcomes"} <= suites
    assert not [f for f in failures(results) if f["severity"] == "critical"]
    html = docs.read_text(encoding="utf-8")
    assert "raw_onderwijs" in html and "marts_risk_monitor" in html


def test_a_third_of_the_rows_missing_is_a_warning_and_the_run_completes(landing, warehouse):
    bsns = valid_bsns(30)
    deliver(landing, "onderwijs_25PZ_20200315.csv", rows(30, bsns=bsns))
    run_pipeline(landing, warehouse)
    deliver(landing, "onderwijs_25PZ_20200415.csv", rows(20, prefix="F", bsns=bsns))
    summary = run_pipeline(landing, warehouse)
    assert summary.files("loaded") == 1                       # loaded: a warning does not stop the run
    failed = [f for f in failures(last_results(warehouse)) if "rows_vs_previous" in f["expectation"]]
    assert len(failed) == 1
    assert failed[0]["severity"] == "warning" and failed[0]["suite"] == "raw_onderwijs"
    assert failed[0]["batches"] == ["onderwijs_25PZ_20200415.csv"]
    assert (warehouse / "staging/onderwijs").exists() and len(list((warehouse / "staging/onderwijs").glob("*"))) == 2


def _fails_critically(landing, warehouse, *expected: str) -> str:
    before = tree_state(warehouse)
    with pytest.raises(QualityFailure) as info:
        run_pipeline(landing, warehouse)
    assert tree_state(warehouse) == before                    # the warehouse stays as it was
    message = str(info.value)
    for text in expected:
        assert text in message, message
    return message


def _rejected(landing, warehouse, file_name: str, *expected: str) -> str:
    """A critical failure on a file's own contents rejects that file; the run completes (extracts.md)."""
    staged_before = {k: v for k, v in tree_state(warehouse).items() if k.startswith("staging/")}
    run_pipeline(landing, warehouse)
    record = load_of(warehouse, file_name)
    assert record["outcome"] == "rejected", record
    for text in expected:
        assert text in record["reason"], record["reason"]
    assert {k: v for k, v in tree_state(warehouse).items() if k.startswith("staging/")} == staged_before
    return record["reason"]


def test_mostly_invalid_identifiers_reject_the_file(landing, warehouse):
    deliver(landing, "onderwijs_25PZ_20200315.csv", rows(25))
    run_pipeline(landing, warehouse)
    bad = [onderwijs_row(bsn=f"{100000000 + i * 1111:09d}"[:8] + "0", inschrijving_id=f"B{i}") for i in range(25)]
    bad = [r for r in bad if r["bsn"] not in valid_bsns(1000, 10000000)] or bad
    deliver(landing, "onderwijs_25PZ_20200415.csv", bad)
    _rejected(landing, warehouse, "onderwijs_25PZ_20200415.csv", "raw_onderwijs", "valid_identifier_rate")


def test_a_raw_bsn_column_left_in_staging_rejects_the_file(landing, warehouse, monkeypatch):
    from soepel_etl.extracts import ingest

    deliver(landing, "onderwijs_25PZ_20200315.csv", rows(25))
    run_pipeline(landing, warehouse)
    deliver(landing, "onderwijs_25PZ_20200415.csv", rows(25, prefix="G"))
    original = ingest.staging_select
    monkeypatch.setattr(ingest, "staging_select", lambda source: original(source) + ",\n  n_bsn AS bsn")
    message = _rejected(landing, warehouse, "onderwijs_25PZ_20200415.csv", "staged_onderwijs", "raw_identifier_columns")
    assert valid_bsns(25)[0] not in message


def _patch_sql(monkeypatch, model: str, wrap: str) -> None:
    """Plant a fault in one model's SELECT (what the later models and the checks read)."""
    shipped = catalog.models()
    planted = {**shipped, model: dataclasses.replace(shipped[model], sql=wrap.replace("{q}", shipped[model].sql))}
    monkeypatch.setattr(catalog, "models", lambda: planted)


@pytest.mark.parametrize("model, expected", [
    ("core/person_month", ("core_person_month", "one row per person-month", "core/person_month")),
    ("marts/outflow_work", ("marts_outflow_work", "one row per outflow", "the same outflows")),
])
def test_a_row_counted_twice_stops_the_run(landing, warehouse, monkeypatch, model, expected):
    deliver(landing, "onderwijs_25PZ_20200315.csv", rows(25))
    run_pipeline(landing, warehouse)
    deliver(landing, "onderwijs_25PZ_20200415.csv", rows(5, prefix="H"))
    _patch_sql(monkeypatch, model, "SELECT * FROM ({q}) UNION ALL (SELECT * FROM ({q}) LIMIT 1)")
    _fails_critically(landing, warehouse, *expected)


def test_no_identifier_birth_date_or_key_in_any_gx_output(landing, warehouse):
    good = valid_bsns(22)
    invalid = ["123456789", "987654321", "111111111"]           # fail the eleven-test: quarantined, flagged
    data = rows(22, bsns=good) + [onderwijs_row(bsn=b, inschrijving_id=f"X{i}", geboortedatum="17-11-2001")
                                  for i, b in enumerate(invalid)]
    deliver(landing, "onderwijs_25PZ_20200315.csv", data)
    run_pipeline(landing, warehouse)
    results = last_results(warehouse)
    assert any("valid_identifier_rate" in f["expectation"] for f in failures(results))   # a warning fired
    secrets = set(good + invalid) | {g[1:] for g in good if g.startswith("0")}
    secrets |= {"17-11-2001", "2001-11-17", "1-03-2002", "01-03-2002", "2002-03-01", TEST_KEY_TEXT}
    secrets |= {pseudonym("bsn", b) for b in good}
    scanned = 0
    project = Path(str(shipped_project()))
    for root in (warehouse / "_meta/quality", project):
        for path in root.rglob("*"):
            if path.is_file():
                text = path.read_bytes().decode("utf-8", errors="replace")
                scanned += 1
                leaked = [s for s in secrets if s in text]
                assert not leaked, f"{path}: {leaked}"
    assert scanned > 20


def test_a_run_reads_the_packaged_gx_project_and_never_writes_into_it(landing, warehouse):
    # an installed package may be read-only or shared by several users: GX gets a copy of the suites
    project = Path(str(shipped_project()))
    before = {p: p.stat().st_mtime_ns for p in project.rglob("*")}
    deliver(landing, "onderwijs_25PZ_20200315.csv", rows(25))
    summary = run_pipeline(landing, warehouse)
    assert summary.quality[0] > 0
    assert {p: p.stat().st_mtime_ns for p in project.rglob("*")} == before
    assert sorted(p.name for p in (project / SUITES).iterdir()) == sorted(f"{n}.json" for n in all_suites())


def test_expectations_dir_setting_is_another_gx_project_and_may_be_relative(landing, warehouse, tmp_path,
                                                                           monkeypatch):
    # the same suites with one critical rule made impossible: the run must stop on it
    other = tmp_path / "gx-project"
    (other / SUITES).mkdir(parents=True)
    for name, text in suite_texts(shipped_project()).items():
        suite = json.loads(text)
        if name == "raw_onderwijs":
            suite["expectations"][0]["kwargs"]["column_set"].append("a_column_no_reduction_has")
        (other / SUITES / f"{name}.json").write_text(json.dumps(suite), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOEPEL_EXPECTATIONS_DIR", "gx-project")
    deliver(landing, "onderwijs_25PZ_20200315.csv", rows(25))
    with pytest.raises(QualityFailure, match="raw_onderwijs"):
        run_pipeline(landing, warehouse)


def test_gx_context_is_built_once_per_process_and_each_run_keeps_its_own_results(tmp_path, monkeypatch):
    # importing GX and building its context costs seconds: a second run in the same process (a
    # worker, `airflow dags test`, this test session) must reuse it, yet write only into its own warehouse
    import great_expectations as gx

    from soepel_etl.quality import context

    first, second = tmp_path / "wh-first", tmp_path / "wh-second"
    for folder, n in ((tmp_path / "landing-first", 25), (tmp_path / "landing-second", 30)):
        deliver(folder, "onderwijs_25PZ_20200315.csv", rows(n))
    run_pipeline(tmp_path / "landing-first", first)
    built, pointed = [], []
    real = gx.get_context
    monkeypatch.setattr(gx, "get_context", lambda *a, **k: built.append(1) or real(*a, **k))
    with context.lock():
        ctx = context.shared().ctx
    real_update = ctx.update_data_docs_site
    monkeypatch.setattr(ctx, "update_data_docs_site", lambda *a, **k: pointed.append(1) or real_update(*a, **k))
    summary = run_pipeline(tmp_path / "landing-second", second)
    assert built == []
    # the run's folders are set on the context once, not again for each of its suites
    assert len(pointed) == 1 and len(last_results(second)["suites"]) > 10
    assert summary.data_docs == second / "_meta/quality/data_docs/index.html" and summary.data_docs.is_file()
    for warehouse, n in ((first, 25), (second, 30)):
        results = last_results(warehouse)
        validated = {s["suite"] for s in results["suites"]}
        on_disk = {p.relative_to(warehouse / "_meta/quality/validations").parts[0]
                   for p in (warehouse / "_meta/quality/validations").rglob("*.json")}
        assert on_disk == validated, warehouse       # nothing of the other run's results
        raw = next(s for s in results["suites"] if s["suite"] == "raw_onderwijs")
        assert raw["batches"] == 1
        assert results["data_docs_seconds"] > 0      # each run's own Data Docs time (bench/suite_quality_time.py)
        html = (warehouse / "_meta/quality/data_docs/index.html").read_text(encoding="utf-8")
        assert "raw_onderwijs" in html
    assert load_of(second, "onderwijs_25PZ_20200315.csv")["rows_loaded"] == 30


def test_a_context_whose_suites_copy_was_removed_is_built_again(tmp_path):
    # a scheduler or Celery worker keeps the context for days (soepel_airflow/warm_up.py); GX reads
    # the suites from the context's copy in /tmp at every validation, and a /tmp cleaner may remove it
    import shutil

    from soepel_etl.quality import context

    deliver(tmp_path / "landing", "onderwijs_25PZ_20200315.csv", rows(5))
    run_pipeline(tmp_path / "landing", tmp_path / "wh-first")
    with context.lock():
        before = context.shared()
    shutil.rmtree(before._suites)
    deliver(tmp_path / "landing-2", "onderwijs_25PZ_20200315.csv", rows(6))
    summary = run_pipeline(tmp_path / "landing-2", tmp_path / "wh-second")
    with context.lock():
        assert context.shared() is not before
    assert load_of(tmp_path / "wh-second", "onderwijs_25PZ_20200315.csv")["rows_loaded"] == 6
    assert {s["suite"] for s in last_results(tmp_path / "wh-second")["suites"]} >= {"raw_onderwijs"}
    assert summary.data_docs.is_file()


# GX gives each collapsible block of a page a random id (uuid4) on every render
_RANDOM_ID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def _data_docs_pages(docs: Path) -> dict[str, bytes]:
    return {p.relative_to(docs).as_posix(): _RANDOM_ID.sub(b"<id>", p.read_bytes()) for p in docs.rglob("*.html")
            if not p.relative_to(docs).as_posix().startswith("static/")}


@pytest.fixture
def data_docs_builds(monkeypatch) -> list:
    """The ``resource_identifiers`` of every Data Docs build from here on (None: every page)."""
    from great_expectations.data_context import AbstractDataContext

    built = []
    real = AbstractDataContext.build_data_docs
    monkeypatch.setattr(AbstractDataContext, "build_data_docs",
                        lambda self, *a, **k: built.append(k.get("resource_identifiers")) or real(self, *a, **k))
    return built


def test_data_docs_render_only_this_runs_validations_and_equal_a_full_rebuild(landing, warehouse, tmp_path,
                                                                               request):
    # a run renders the pages of what it validated and keeps the others' from the last run; the
    # site must be the one a full rebuild from the same validation results gives, page for page
    from soepel_etl import pipeline
    from soepel_etl.quality import context
    from soepel_etl.quality.offline_docs import make_offline
    from tests.conftest import settings_for

    deliver(landing, "onderwijs_25PZ_20200315.csv", rows(25))
    run_pipeline(landing, warehouse)
    quality = warehouse / "_meta/quality"
    build_suites = {s["suite"] for s in last_results(warehouse)["suites"] if not s["suite"].startswith(("raw_", "staged_"))}
    assert build_suites
    built = request.getfixturevalue("data_docs_builds")

    deliver(landing, "onderwijs_25PZ_20200415.csv", rows(27, prefix="F"))
    pipeline.ingest_files(settings_for(landing, warehouse))
    (rendered,) = built
    assert rendered is not None and {k.expectation_suite_identifier.name for k in rendered} == {
        "raw_onderwijs", "staged_onderwijs"}
    pages = _data_docs_pages(quality / "data_docs")
    # one page per suite's last validation: the build suites' pages are kept, none is doubled
    validated = {p.split("/")[1] for p in pages if p.startswith("validations/")}
    assert build_suites | {"raw_onderwijs", "staged_onderwijs"} <= validated
    assert len([p for p in pages if p.startswith("validations/")]) == len(list((quality / "validations").rglob("*.json")))

    full = tmp_path / "full-rebuild"
    with context.lock():
        shared = context.shared()
        shared.use(quality / "validations", full)
        shared.ctx.build_data_docs()
    make_offline(full)
    assert built[-1] is None     # the rebuild above: every page
    assert pages == _data_docs_pages(full)


def test_data_docs_compile_their_page_templates_once_per_process(landing, warehouse, monkeypatch):
    """GX makes its page views anew at every build, each with a Jinja environment of its own; the
    site's views share one (soepel_etl/quality/docs_views.py), so a later run compiles no template.
    The pages stay GX's own: the full-rebuild test above compares a run's pages with GX's."""
    import jinja2

    deliver(landing, "onderwijs_25PZ_20200315.csv", rows(25))
    run_pipeline(landing, warehouse)
    compiled = []
    real = jinja2.Environment.compile
    monkeypatch.setattr(jinja2.Environment, "compile",
                        lambda self, source, name=None, *a, **k: compiled.append(name) or real(self, source, name, *a, **k))
    deliver(landing, "onderwijs_25PZ_20200415.csv", rows(27, prefix="F"))
    run_pipeline(landing, warehouse)
    pages = warehouse / "_meta/quality/data_docs/validations"
    assert {"raw_onderwijs", "staged_onderwijs"} <= {p.relative_to(pages).parts[0] for p in pages.rglob("*.html")}
    assert compiled == []


def test_data_docs_from_other_suites_are_rendered_again_from_scratch(landing, warehouse, request):
    from soepel_etl.quality.runner import DOCS_SUITES

    deliver(landing, "onderwijs_25PZ_20200315.csv", rows(25))
    run_pipeline(landing, warehouse)
    docs = warehouse / "_meta/quality/data_docs"
    # pages rendered from other suites (the stamp says so), one of a suite that no longer exists
    (docs / DOCS_SUITES).write_text("0" * 64, encoding="utf-8")
    stale = docs / "validations" / "a_suite_since_removed" / "page.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("<html></html>", encoding="utf-8")
    built = request.getfixturevalue("data_docs_builds")
    deliver(landing, "onderwijs_25PZ_20200415.csv", rows(27, prefix="F"))
    run_pipeline(landing, warehouse)
    assert built == [None]
    assert not stale.parent.exists()
    assert (docs / DOCS_SUITES).read_text(encoding="utf-8") != "0" * 64
    assert "marts_risk_monitor" in (docs / "index.html").read_text(encoding="utf-8")
