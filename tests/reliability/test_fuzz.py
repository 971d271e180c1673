"""Fuzzed input through ingest (hypothesis): random bytes, and valid deliveries mutated — bytes
flipped, inserted, deleted, truncated; re-encoded (UTF-16, cp437, …); delimiters and line ends
swapped; stray quotes; huge fields (beyond DuckDB's line limit); lines duplicated; xlsx zip members
truncated, replaced with junk or dropped. Every input must end loaded or rejected with a reason,
nothing may raise, and the loads invariant must hold (tests/reliability/fuzz.py, check_one).

SOEPEL_FUZZ_EXAMPLES sets the number of examples per test (default 60; scripts/crash_soak.sh runs
more, with SOEPEL_FUZZ_RANDOM=1 for fresh examples each time). The atheris entry point is
tests/reliability/fuzz_atheris.py (not part of the suite).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from soepel_etl.extracts.reader import Unreadable, read_csv
from tests.conftest import run_pipeline
from tests.reliability import fuzz

EXAMPLES = int(os.environ.get("SOEPEL_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get("SOEPEL_FUZZ_RANDOM"),
                database=None, suppress_health_check=list(HealthCheck))
SEEDS = fuzz.seeds()
SOURCES = sorted(fuzz.SEED_ROWS)


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    h = fuzz.Harness(tmp_path_factory.mktemp("fuzz"))
    yield h
    print(f"fuzz: {h.count} inputs, outcomes {h.outcomes}")


def test_seeds_load(harness):
    for source, ext, data in SEEDS:
        rec = harness.check_one(fuzz.file_name(source, ext), data)
        assert rec.outcome == "loaded" and rec.rows_quarantined == 0, rec


@FUZZ
@given(source=st.sampled_from(SOURCES), ext=st.sampled_from(["csv", "xlsx"]), data=st.binary(max_size=4000))
def test_random_bytes(harness, source, ext, data):
    if ext == "xlsx" and source not in fuzz.XLSX_SOURCES:
        ext = "csv"
    harness.check_one(fuzz.file_name(source, ext), data)


@FUZZ
@given(seed=st.sampled_from(range(len(SEEDS))), mutation_seed=st.integers(0, 2**32), n=st.integers(1, 6))
def test_mutated_deliveries(harness, seed, mutation_seed, n):
    source, ext, data = SEEDS[seed]
    harness.check_one(fuzz.file_name(source, ext), fuzz.mutate(data, mutation_seed, n))


@FUZZ
@given(source=st.sampled_from(SOURCES),
       cells=st.lists(st.lists(st.text(max_size=40), min_size=1, max_size=8), min_size=0, max_size=6),
       delimiter=st.sampled_from([";", ","]), encoding=st.sampled_from(["utf-8", "cp1252", "utf-16"]))
def test_text_in_every_cell(harness, source, cells, delimiter, encoding):
    """Any text (quotes, delimiters, newlines, emoji, NUL) in the cells of a valid header."""
    import csv
    import io

    header = fuzz.SEED_ROWS[source][0]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(cells)
    harness.check_one(fuzz.file_name(source, "csv"), out.getvalue().encode(encoding, errors="replace"))


def test_a_whole_run_over_fuzzed_files(tmp_path):
    """Thirty mutated files in one landing zone: the run completes and accounts for every file."""
    from tests.conftest import loads

    landing = tmp_path / "landing"
    for i in range(30):
        source, ext, data = SEEDS[i % len(SEEDS)]
        path = landing / source / f"{source}_{fuzz.SENDERS[source]}_202003{i % 28 + 1:02d}.{ext}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(fuzz.mutate(data, 1000 + i, 1 + i % 5))
    summary = run_pipeline(landing, tmp_path / "warehouse")
    records = loads(tmp_path / "warehouse")
    assert len(records) == 30 == len(summary.records)
    for r in records:
        assert r["outcome"] in ("loaded", "rejected", "duplicate_file")
        assert r["outcome"] == "loaded" or r["reason"]
        if r["outcome"] == "loaded":
            assert r["rows_read"] == r["rows_loaded"] + r["rows_quarantined"] + r["rows_duplicate"] + r["rows_excluded"]


@pytest.mark.parametrize("data, reason", [
    (b"\xff\xfeb\x00s\x00n\x00", "UTF-16"),
    (b"bsn;periode\n\x00\x00\n", "NUL"),
    (b"\n\n\n", "empty"),
    (b'bsn;bsn\n1;2\n', "appears twice"),
    (b';periode\n1;2\n', "empty column name"),
])
def test_unreadable_files_say_why(tmp_path, data, reason):
    import duckdb

    path = tmp_path / "werk_GM0363_20200315.csv"
    path.write_bytes(data)
    with pytest.raises(Unreadable, match=reason):
        read_csv(duckdb.connect(), path, tmp_path)
