"""The one-way layers (docs/architecture.md) hold: `lint-imports` passes on the package and the
Airflow glue, fails on a planted backwards import, and the DAG files import only the door."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).parent / "lint-imports"
# what dags/ and plugins/ may import of soepel_etl (the import-linter contract "glue" says the same
# for plugins/; dags/ is not a package, so it is read here)
DOOR = ("soepel_etl.pipeline", "soepel_etl.settings", "soepel_etl.schema", "soepel_etl.privacy")


def lint(package_root: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """`lint-imports` with the contracts of pyproject.toml, over the soepel_etl found in package_root."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(package_root), str(ROOT / "plugins")]),
           "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run([str(LINT), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_the_layers_hold():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    """A copy of the package with backwards imports planted: the bottom layer importing the models,
    extracts importing quality, and the package importing Airflow and OpenLineage."""
    root = tmp_path_factory.mktemp("planted")
    shutil.copytree(ROOT / "soepel_etl", root / "soepel_etl",
                    ignore=shutil.ignore_patterns("__pycache__", "*.json", "*.csv", "data_docs"))
    for path, line in (("schema/rules.py", "from ..models import build as _backwards"),
                       ("extracts/reader.py", "from .. import quality as _backwards"),
                       ("warehouse/scratch.py", "import airflow as _backwards"),
                       ("lineage.py", "import openlineage.client as _backwards")):
        target = root / "soepel_etl" / path
        target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # noqa\n", encoding="utf-8")
    return root


def test_a_backwards_import_breaks_the_check(planted, tmp_path):
    result = lint(planted, cwd=tmp_path)   # not the checkout: the planted copy comes first on the path
    out = result.stdout
    assert result.returncode != 0, out
    assert "soepel_etl.schema.rules -> soepel_etl.models.build" in out, out
    assert "soepel_etl.extracts.reader -> soepel_etl.quality" in out, out
    assert "soepel_etl.warehouse.scratch -> airflow" in out, out
    assert "soepel_etl.lineage -> openlineage" in out, out


def soepel_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [node.module] if node.module != "soepel_etl" else [f"soepel_etl.{a.name}" for a in node.names]
    return [name for name in found if name == "soepel_etl" or name.startswith("soepel_etl.")]


def test_dags_and_glue_reach_the_package_only_through_its_door():
    files = sorted((ROOT / "dags").glob("*.py")) + sorted((ROOT / "plugins").rglob("*.py"))
    assert len(files) >= 3
    wrong = {f"{p.relative_to(ROOT)}: {name}" for p in files for name in soepel_imports(p)
             if not name.startswith(DOOR)}
    assert not wrong, sorted(wrong)


def test_the_door_check_sees_a_wrong_import(tmp_path):
    dag = tmp_path / "dag.py"
    dag.write_text("from soepel_etl.extracts.ingest import sha256_of\nfrom soepel_etl import pipeline, models\n")
    assert [n for n in soepel_imports(dag) if not n.startswith(DOOR)] == ["soepel_etl.extracts.ingest",
                                                                         "soepel_etl.models"]
