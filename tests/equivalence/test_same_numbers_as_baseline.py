"""The numbers do not move when the code is reorganised or made faster.

A refactoring (issue 13) or a speed-up (issue 14) must leave every table's content exactly as it
was. This test builds one generated landing zone twice — with the package as it is now, and with
the package as it was at ``BASELINE_REV`` (taken from this repository's own git history with
``git archive``) — and requires every core table and mart of the baseline to hold the same rows,
columns and types in the new warehouse.

``BASELINE_REV`` moves forward only when a change is *meant* to change numbers (a rule in the spec
changed); the commit that moves it says which rule. Tables that exist only in the new warehouse
(new marts) are not compared here; they have rule tests of their own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import io
from pathlib import Path

import duckdb
import pytest

from tests.conftest import TEST_KEY_TEXT

# Moved from 8574d8c (before the layering redesign and the performance work, issues 13 and 14) to
# the tip of issue 18's branch, before the model runner: issue 18 meant to change numbers — the
# employment coverage month now waits for the slowest active werk sender, and municipality codes
# that disappeared in a reorganisation map to today's municipality (spec extracts.md, "werk").
# The runner (issue 13) was checked equal to 8574d8c before that merge.
BASELINE_REV = "6932890"
PERSONS = 3000
SEED = 20240401
REFERENCE_DATE = "2024-06-30"
REPO = Path(__file__).resolve().parents[2]


def _baseline_tree(into: Path) -> Path:
    """The repository as it was at BASELINE_REV, unpacked from git (fails loudly without history)."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", BASELINE_REV],
                             capture_output=True, check=False)
    assert archive.returncode == 0, (
        f"git history must hold {BASELINE_REV} (a shallow clone cannot run this test): "
        f"{archive.stderr.decode(errors='replace')}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into


def _run(python_path: Path | None, landing: Path, warehouse: Path, cwd: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOEPEL_")}
    env["SOEPEL_PSEUDONYM_KEY"] = TEST_KEY_TEXT
    if python_path is not None:
        # the baseline package shadows the installed one: PYTHONPATH comes before site-packages
        env["PYTHONPATH"] = str(python_path)
    code = "import sys; from soepel_etl.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run([sys.executable, "-c", code, "run", "--landing", str(landing), "--warehouse", str(warehouse),
                           "--reference-date", REFERENCE_DATE], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]


def _tables(warehouse: Path) -> dict[str, Path]:
    out = {}
    for layer in ("core", "marts"):
        for folder in sorted((warehouse / layer).iterdir()):
            if any(folder.rglob("*.parquet")):
                out[f"{layer}/{folder.name}"] = folder
    return out


def _relation(folder: Path) -> str:
    return f"read_parquet('{folder}/**/*.parquet', hive_partitioning=true)"


@pytest.fixture(scope="module")
def both_warehouses(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("equivalence")
    baseline = _baseline_tree(root / "baseline")
    landing = root / "landing"
    from soepel_etl.synthetic import generate
    generate(landing, persons=PERSONS, seed=SEED)
    _run(None, landing, root / "now", cwd=root)
    _run(baseline, landing, root / "before", cwd=root)
    # the run above must really have used the baseline's code, not the installed package
    probe = subprocess.run([sys.executable, "-c", "import soepel_etl; print(soepel_etl.__file__)"],
                           env={**os.environ, "PYTHONPATH": str(baseline)}, cwd=root, capture_output=True, text=True)
    assert probe.stdout.strip().startswith(str(baseline)), probe.stdout + probe.stderr
    return root / "before", root / "now"


def test_every_baseline_table_has_the_same_rows(both_warehouses):
    before, now = both_warehouses
    old, new = _tables(before), _tables(now)
    assert set(old) <= set(new), f"tables the new build lost: {sorted(set(old) - set(new))}"
    con = duckdb.connect()
    differences = {}
    for name, folder in old.items():
        a, b = _relation(folder), _relation(new[name])
        old_columns = con.execute(f"DESCRIBE SELECT * FROM {a}").fetchall()
        new_columns = con.execute(f"DESCRIBE SELECT * FROM {b}").fetchall()
        if [c[:2] for c in old_columns] != [c[:2] for c in new_columns]:
            differences[name] = f"columns {[c[:2] for c in old_columns]} became {[c[:2] for c in new_columns]}"
            continue
        counts = con.execute(f"SELECT (SELECT count(*) FROM {a}), (SELECT count(*) FROM {b})").fetchone()
        missing = con.execute(f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b})").fetchone()[0]
        extra = con.execute(f"SELECT count(*) FROM (SELECT * FROM {b} EXCEPT ALL SELECT * FROM {a})").fetchone()[0]
        if missing or extra or counts[0] != counts[1]:
            differences[name] = f"{counts[0]} rows before, {counts[1]} now; {missing} lost, {extra} new"
    assert not differences, differences
    # the comparison is not vacuous: the generated landing zone fills the marts
    rows = con.execute(f"SELECT count(*) FROM {_relation(new['marts/outflow_outcomes'])}").fetchone()[0]
    assert rows > 1000


def test_a_changed_number_is_caught(both_warehouses, tmp_path):
    """Control: the comparison above notices a single changed status in one outflow."""
    _, now = both_warehouses
    con = duckdb.connect()
    table = _relation(_tables(now)["marts/outflow_outcomes"])
    changed = tmp_path / "changed.parquet"
    con.execute(f"""COPY (SELECT * REPLACE (CASE WHEN row_number() OVER () = 1 THEN
                        (CASE WHEN status_12 = 'werk' THEN 'geen' ELSE 'werk' END) ELSE status_12 END AS status_12)
                        FROM {table}) TO '{changed}' (FORMAT parquet)""")
    missing = con.execute(f"SELECT count(*) FROM (SELECT * FROM {table} EXCEPT ALL "
                          f"SELECT * FROM read_parquet('{changed}'))").fetchone()[0]
    assert missing == 1
