"""Shared by the install tests: the supported Pythons, interpreters, the wheel, fresh venvs (uv)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SUPPORTED = ("3.11", "3.12", "3.13")
CURRENT = "%d.%d" % sys.version_info[:2]
# the suite itself runs on CURRENT; the installed wheel is tried on the other two
OTHERS = tuple(v for v in SUPPORTED if v != CURRENT)
UV = Path(sys.executable).with_name("uv")
TEST_KEY_TEXT = "install-test-key-" + "0123456789abcdef" * 3


def constraints(version: str) -> Path:
    return REPO / "constraints" / f"constraints-{version}.txt"


def find_python(version: str) -> str:
    """The interpreter scripts/find_python.sh finds; fails (never skips) when there is none."""
    proc = subprocess.run(["bash", str(REPO / "scripts/find_python.sh"), version], capture_output=True, text=True)
    assert proc.returncode == 0, (f"Python {version} is supported but no interpreter for it was found on this "
                                  f"machine, so the installed wheel cannot be tested on it: {proc.stderr.strip()}")
    return proc.stdout.strip()


def run(args: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600,
        shell: bool = False) -> subprocess.CompletedProcess:
    started = time.perf_counter()
    proc = subprocess.run(args, cwd=str(cwd), env=env, capture_output=True, text=True, timeout=timeout, shell=shell,
                          executable="/bin/bash" if shell else None)
    proc.seconds = time.perf_counter() - started  # type: ignore[attr-defined]
    return proc


def check(proc: subprocess.CompletedProcess, what: str) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, f"{what} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a new user's shell: no soepel or Airflow settings, no virtualenv active."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SOEPEL_", "AIRFLOW", "VIRTUAL_ENV", "PYTHON", "GX_"))}
    env.update(extra)
    return env


def build_wheel(dest: Path) -> Path:
    proc = check(run(["bash", str(REPO / "scripts/build_wheel.sh"), str(dest)], cwd=REPO,
                     env=clean_env(UV=str(UV))), "scripts/build_wheel.sh")
    return Path(proc.stdout.strip().splitlines()[-1])


def make_venv(python: str, where: Path) -> Path:
    check(run([str(UV), "venv", "-q", "--python", python, str(where)], cwd=where.parent, env=clean_env()),
          f"uv venv {python}")
    return where / "bin" / "python"


def install(venv_python: Path, requirement: str, version: str) -> subprocess.CompletedProcess:
    return check(run([str(UV), "pip", "install", "-q", "--python", str(venv_python), "-c", str(constraints(version)),
                      requirement], cwd=venv_python.parents[2], env=clean_env()), f"installing {requirement}")
