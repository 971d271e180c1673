"""Every ``soepel-etl`` command in README.md runs exactly as written, from a copy of the repository
root and from another working directory.

The test reads README.md's ```` ```sh ```` blocks; the blocks that have a line starting with
``soepel-etl`` run whole (key export and comments included), in README order, in one bash shell per
working directory, as a reader types them into one terminal: with the installed console script
(``.venv/bin`` first on PATH) and an environment without any ``SOEPEL_`` setting. The repository
copy holds exactly the tracked files (``git ls-files``), so a committed file that would get in the
way (e.g. something in ``warehouse/``) shows up here. The blocks without ``soepel-etl`` lines are not
run here: ``bash scripts/test.sh`` is CI itself (``.ci/run``), ``bash scripts/demo.sh`` (the Airflow
path, ~9 minutes) is run on a fresh clone by hand with its time in the README while its DAGs run in
``tests/airflow``, and the install commands are what ``test_installed_wheel.py`` does.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.install.helpers import REPO, check, clean_env

BLOCK = re.compile(r"^```sh\n(.*?)^```$", re.S | re.M)
COMMANDS = ("generate", "run", "sql", "report", "catalog", "signal-list", "status")


def readme_script() -> str:
    blocks = [b for b in BLOCK.findall((REPO / "README.md").read_text(encoding="utf-8"))
              if re.search(r"^soepel-etl ", b, re.M)]
    return "\n".join(blocks)


def commands_in(script: str) -> set[str]:
    return set(re.findall(r"(?:^|&& )soepel-etl ([\w-]+)", script, re.M))


def repository_copy(dest: Path) -> Path:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for rel in filter(None, files.decode().split("\0")):
        src = REPO / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


def test_the_readme_names_every_command():
    assert commands_in(readme_script()) == set(COMMANDS)


@pytest.mark.slow
def test_readme_commands_run_as_written_from_the_repository_root_and_elsewhere(tmp_path):
    script = "set -euo pipefail\n" + readme_script()
    env = clean_env(PATH=f"{Path(sys.executable).parent}:{clean_env()['PATH']}")
    places = {"repository root": repository_copy(tmp_path / "repo"), "another folder": tmp_path / "elsewhere" / "deep"}
    places["another folder"].mkdir(parents=True)
    # both at once: each is mostly one process waiting on its own files
    procs = {name: subprocess.Popen(["bash", "-c", script], cwd=cwd, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for name, cwd in places.items()}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=900)
        check(subprocess.CompletedProcess(proc.args, proc.returncode, out, err), f"the README's commands from {name}")
        cwd = places[name]
        loaded = [int(n) for n in re.findall(r"^files: (\d+) loaded", out, re.M)]
        assert loaded[0] > 100 and loaded[1:] == [0] * (len(loaded) - 1), (name, loaded)   # a second run loads nothing
        assert (cwd / "warehouse/.soepel-warehouse").is_file()
        assert (cwd / "reports/rmc-monitor-alle-intern.html").is_file() and str(cwd / "reports") in out
        assert re.search(r"^cohort +\| status_12 +\| count_star\(\)", out, re.M), out[-2000:]
        assert str(cwd / "warehouse/catalog.duckdb") in out.splitlines()
        assert (cwd / "antwoord.csv").stat().st_mode & 0o077 == 0          # the signal list's answer: owner-only
