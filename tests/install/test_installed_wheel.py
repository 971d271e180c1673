"""The built wheel, installed the way a user installs it, outside the repository, on the other Pythons.

The suite runs on one supported Python; here the wheel (``scripts/build_wheel.sh``, the one the
Dockerfile installs) goes into a fresh venv for each of the other two, with that Python's
constraints file, and then: without extras no Airflow is installed and every module of the package
imports; the README's job (generate → run → report → sql, relative paths, a small landing zone)
runs with the installed console script from a folder outside the repository; with the ``airflow``
extra added, the DAGs load in a DagBag in that venv. A missing interpreter fails the test.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from tests.install.helpers import (OTHERS, REPO, TEST_KEY_TEXT, build_wheel, check, clean_env, find_python, install,
                                   make_venv, run)

PERSONS = "300"
DAGS = {"soepel_ingest", "soepel_build", "soepel_report", "soepel_signal_list"}

IMPORT_EVERY_MODULE = """
import importlib, json, pkgutil, sys
import soepel_etl
names = [m.name for m in pkgutil.walk_packages(soepel_etl.__path__, "soepel_etl.")]
for name in names:
    importlib.import_module(name)
print(json.dumps({"file": soepel_etl.__file__, "modules": names,
                  "airflow": sorted(m for m in sys.modules if m.split(".")[0] == "airflow")}))
"""

DISTRIBUTIONS = """
import importlib.metadata as m, json, re
print(json.dumps(sorted({re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower() for d in m.distributions()})))
"""

DAGBAG = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
import soepel_airflow.steps, soepel_etl.pipeline   # the glue and the package the tasks call
print(json.dumps({"dags": sorted(bag.dags), "errors": {k: str(v) for k, v in bag.import_errors.items()},
                  "soepel_etl": soepel_etl.pipeline.__file__}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("dist"))


def _json(proc) -> object:
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("version", OTHERS)
def test_wheel_installs_and_runs_the_job_on_python(version, wheel, tmp_path):
    python = find_python(version)
    started = time.perf_counter()
    venv_python = make_venv(python, tmp_path / f"venv-{version}")
    assert check(run([str(venv_python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], cwd=tmp_path),
                 "python").stdout.strip() == version
    install(venv_python, str(wheel), version)
    seconds = {"venv + install": time.perf_counter() - started}
    site = venv_python.parents[1]

    # without extras: no Airflow, and the whole package imports from the venv, not from a checkout
    dists = _json(check(run([str(venv_python), "-c", DISTRIBUTIONS], cwd=tmp_path), "listing distributions"))
    assert "soepel-etl" in dists and "great-expectations" in dists and "duckdb" in dists
    assert not [d for d in dists if "airflow" in d], dists
    imported = _json(check(run([str(venv_python), "-c", IMPORT_EVERY_MODULE], cwd=tmp_path), "importing every module"))
    assert Path(imported["file"]).is_relative_to(site), imported["file"]
    assert "soepel_etl.quality.runner" in imported["modules"] and imported["airflow"] == []

    # the README's job, relative paths, from a folder outside the repository
    work = tmp_path / "work"
    work.mkdir()
    env = clean_env(SOEPEL_PSEUDONYM_KEY=TEST_KEY_TEXT)
    cli = str(venv_python.with_name("soepel-etl"))
    started = time.perf_counter()
    check(run([cli, "generate", "--out", "landing", "--persons", PERSONS], cwd=work, env=env), "generate")
    ran = check(run([cli, "run", "--landing", "landing", "--warehouse", "warehouse"], cwd=work, env=env), "run")
    loaded = int(ran.stdout.split("files: ")[1].split(" loaded")[0])
    assert loaded > 100, ran.stdout
    # a first build validates every shipped suite except the between-builds regressions (no previous build)
    shipped = [p for p in (Path(imported["file"]).parent / "quality/expectations/expectations").glob("*.json")
               if not p.name.startswith("regression_")]
    assert len(shipped) >= 18, shipped
    assert f"quality: {len(shipped)} suite validations" in ran.stdout, ran.stdout
    assert (work / "warehouse/_meta/quality/data_docs/index.html").is_file()
    reported = check(run([cli, "report", "--warehouse", "warehouse", "--out", "reports"], cwd=work, env=env), "report")
    assert reported.stdout.split() == [str(work / "reports/rmc-monitor-alle-intern.html"),
                                       str(work / "reports/rmc-monitor-alle-intern.xlsx")]
    queried = check(run([cli, "sql", "--warehouse", "warehouse", "--format", "csv",
                         "SELECT count(*) AS outflows FROM marts.outflow_outcomes"], cwd=work, env=env), "sql")
    assert queried.stdout.splitlines()[0] == "outflows" and int(queried.stdout.splitlines()[1]) > 0
    seconds["generate, run, report, sql"] = time.perf_counter() - started

    # with the airflow extra: the DAGs load in that venv, the glue calling the installed package
    started = time.perf_counter()
    install(venv_python, f"{wheel}[airflow]", version)
    seconds["install [airflow]"] = time.perf_counter() - started
    dags = tmp_path / "airflow" / "dags"
    shutil.copytree(REPO / "dags", dags, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "plugins", dags.parent / "plugins", ignore=shutil.ignore_patterns("__pycache__"))
    home = tmp_path / "airflow" / "home"
    airflow_env = clean_env(AIRFLOW_HOME=str(home), AIRFLOW__CORE__DAGS_FOLDER=str(dags),
                            AIRFLOW__CORE__PLUGINS_FOLDER=str(dags.parent / "plugins"),
                            AIRFLOW__CORE__LOAD_EXAMPLES="False",
                            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}")
    dagbag = check(run([str(venv_python), "-c", DAGBAG, str(dags)], cwd=tmp_path, env=airflow_env), "DagBag")
    seconds["DagBag"] = dagbag.seconds
    print(f"\nPython {version}: " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()))
    bag = _json(dagbag)
    assert bag["errors"] == {} and set(bag["dags"]) == DAGS, bag
    assert Path(bag["soepel_etl"]).is_relative_to(site), bag["soepel_etl"]
