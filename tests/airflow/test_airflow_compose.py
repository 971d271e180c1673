"""docker-compose.yml: the structure Airflow 3 needs, consistent with the repo, and no secret in it.

Docker does not run on the development machine, so the stack is checked, not started.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.airflow.helpers import REPO

AIRFLOW_SERVICES = {"airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                    "airflow-triggerer"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))


def _env_example() -> dict[str, str]:
    out = {}
    for line in (REPO / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            out[name.strip()] = value.strip()
    return out


def test_services_airflow_3_needs(compose):
    default = {name for name, svc in compose["services"].items() if not svc.get("profiles")}
    assert default == AIRFLOW_SERVICES | {"postgres"}
    celery = {name for name, svc in compose["services"].items() if "celery" in (svc.get("profiles") or [])}
    assert celery == {"redis", "airflow-worker"}
    assert compose["services"]["airflow-worker"]["command"] == "celery worker"
    commands = {name: compose["services"][name].get("command") for name in AIRFLOW_SERVICES}
    assert commands["airflow-apiserver"] == "api-server"
    assert commands["airflow-scheduler"] == "scheduler"
    assert commands["airflow-dag-processor"] == "dag-processor"
    assert commands["airflow-triggerer"] == "triggerer"
    assert "db migrate" in " ".join(commands["airflow-init"])


def test_image_is_the_official_airflow_3_3_2_with_the_project(compose):
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    # the Python version is a build argument (3.11 by default), the base image always Airflow 3.3.2
    assert re.search(r"^ARG PYTHON_VERSION=3\.11\s*$", dockerfile, re.M)
    assert re.search(r"^FROM apache/airflow:3\.3\.2-python\$\{PYTHON_VERSION\}\s*$", dockerfile, re.M)
    assert re.search(r"constraints/constraints-\$\{PYTHON_VERSION\}\.txt", dockerfile)
    assert re.search(r"pip install .*-c \S*constraints\.txt", dockerfile)
    for name in AIRFLOW_SERVICES:
        service = compose["services"][name]
        assert service["image"].startswith("apache/airflow:3.3.2")
        assert service["build"]["dockerfile"] == "Dockerfile"
        assert (REPO / service["build"]["context"] / service["build"]["dockerfile"]).is_file()
    # every file the image copies from the build context exists in the repository (not those a
    # build stage made: COPY --from=...)
    for line in re.findall(r"^COPY (.+)$", dockerfile, re.M):
        words = line.split()
        if any(w.startswith("--from=") for w in words):
            continue
        for src in [w for w in words if not w.startswith("--")][:-1]:
            if not src.endswith("*"):
                assert (REPO / src).exists(), src


def test_postgres_metadata_and_local_executor(compose):
    env = compose["services"]["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
    # LocalExecutor unless AIRFLOW_EXECUTOR says otherwise (CeleryExecutor with the celery profile)
    assert env["AIRFLOW__CORE__EXECUTOR"] == "${AIRFLOW_EXECUTOR:-LocalExecutor}"
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql+psycopg2://")
    assert compose["services"]["postgres"]["image"].startswith("postgres:")
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        depends = compose["services"][name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["airflow-init"]["condition"] == "service_completed_successfully"


def test_every_service_has_a_healthcheck(compose):
    for name, service in compose["services"].items():
        check = service.get("healthcheck")
        assert check and check.get("test"), name


def test_mounted_paths_exist_or_come_from_the_env_file(compose):
    example = _env_example()
    mounts = {m for name in AIRFLOW_SERVICES for m in compose["services"][name]["volumes"]}
    assert any(m.endswith(":/opt/airflow/dags:ro") for m in mounts)
    assert any(":/data/landing" in m for m in mounts) and any(":/data/warehouse" in m for m in mounts)
    for mount in mounts:
        source = mount.split(":")[0] if not mount.startswith("${") else mount[:mount.index("}") + 1]
        if source.startswith("${"):
            assert source[2:].split(":")[0] in example, f"{source} is not documented in .env.example"
        elif source.startswith((".", "/")):
            assert (REPO / source).resolve().exists(), source
        else:
            assert source in compose["volumes"], source
    env = compose["services"]["airflow-scheduler"]["environment"]
    assert {env["SOEPEL_LANDING_DIR"], env["SOEPEL_WAREHOUSE_DIR"], env["SOEPEL_REPORT_DIR"]} == {
        "/data/landing", "/data/warehouse", "/data/reports"}


def test_no_secret_in_the_file_and_the_env_file_is_not_committed(compose):
    text = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    for service in compose["services"].values():
        for name, value in (service.get("environment") or {}).items():
            if re.search(r"KEY|SECRET|PASSWORD|TOKEN", name) or "://" in str(value):
                secret_part = re.sub(r"\$\{[^}]*\}", "", str(value))
                assert not re.search(r"://[^/@]*:[^/@$]+@", secret_part), f"{name} has a literal credential"
                if re.search(r"KEY|SECRET|PASSWORD|TOKEN", name):
                    assert str(value).startswith("${"), f"{name} is set in the file, not from .env"
    assert not re.search(r"[0-9a-f]{32,}", text), "something that looks like a key is in the file"
    assert "path: .env" in text
    gitignore = (REPO / ".gitignore").read_text(encoding="utf-8").split()
    assert ".env" in gitignore
    example = _env_example()
    for secret in ("SOEPEL_PSEUDONYM_KEY", "POSTGRES_PASSWORD", "AIRFLOW__CORE__FERNET_KEY",
                   "AIRFLOW__API_AUTH__JWT_SECRET"):
        assert secret in example and example[secret] == "", f"{secret} must be in .env.example, empty"
