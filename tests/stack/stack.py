"""docker-compose.yml, started as processes on this machine (no Docker engine here).

The services, their commands, environment, volumes, dependencies and healthchecks are read from
the compose file itself, so the test cannot drift from it. What Docker would do is replaced as
little as possible:

- a container path (``/data/landing``, ``/opt/airflow/...``) becomes the same path under a
  temporary root; bind mounts become symlinks to the host folder, named volumes empty folders;
- a service name used as a host (``postgres``, ``redis``, ``airflow-apiserver``) becomes 127.0.0.1
  on a free port, as do the fixed ports of the log and health servers (all processes share one host);
- ``postgres`` is Debian's PostgreSQL as a throw-away cluster (``initdb`` as the ``postgres`` user),
  ``redis`` Debian's ``redis-server``; the Airflow services run ``airflow <command>`` from the test
  venv, with the project's wheel installed into a separate folder put first on ``PYTHONPATH`` (the
  image installs the same wheel);
- healthchecks are run as written (``CMD``/``CMD-SHELL``), against those ports.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
VENV_BIN = Path(sys.executable).parent
PG_BIN = max(Path("/usr/lib/postgresql").glob("*/bin"), default=None, key=lambda p: int(p.parent.name))
AIRFLOW_HOME_IN_IMAGE = "/opt/airflow"     # the official image's AIRFLOW_HOME
# fixed ports of processes that, in compose, each have a container (and so a host) of their own
PER_PROCESS_PORTS = ("AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT", "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT",
                     "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT")

_VAR = re.compile(r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:-|:\?|-|\?)(?P<arg>[^}]*))?\}"
                  r"|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)")


def interpolate(value: str, variables: Mapping[str, str]) -> str:
    """Compose's variable syntax: ``${X}``, ``${X:-default}``, ``${X:?error}``, ``$X``, ``$$``."""
    def one(m: re.Match) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m["name"] or m["bare"]
        value = variables.get(name)
        op = m["op"]
        if op in (":-", "-") and (value is None or (op == ":-" and value == "")):
            return m["arg"]
        if op in (":?", "?") and (value is None or (op == ":?" and value == "")):
            raise ValueError(f"compose: {name}: {m['arg']}")
        return value or ""
    return _VAR.sub(one, value)


def _interpolate_all(node, variables):
    if isinstance(node, str):
        return interpolate(node, variables)
    if isinstance(node, list):
        return [_interpolate_all(v, variables) for v in node]
    if isinstance(node, dict):
        return {k: _interpolate_all(v, variables) for k, v in node.items()}
    return node


def load(variables: Mapping[str, str], profiles: tuple[str, ...] = ()) -> dict[str, dict]:
    """The services compose would start with these variables (its .env) and profiles."""
    compose = _interpolate_all(yaml.safe_load(COMPOSE.read_text(encoding="utf-8")), variables)
    return {name: svc for name, svc in compose["services"].items()
            if not svc.get("profiles") or set(svc["profiles"]) & set(profiles)}


def _text(output: str | bytes | None) -> str:
    return output.decode(errors="replace") if isinstance(output, bytes) else (output or "")


def env_file(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            out[name.strip()] = value.strip()
    return out


@functools.cache
def airflow_hostname() -> str:
    """The host name Airflow records for its jobs (``[core] hostname_callable``, default getfqdn)."""
    return subprocess.run([str(VENV_BIN / "python"), "-c", "from airflow.utils.net import get_hostname; "
                           "print(get_hostname())"], capture_output=True, text=True, check=True,
                          env={**os.environ, "AIRFLOW_HOME": tempfile.mkdtemp(prefix="soepel-airflow-host-")},
                          timeout=120).stdout.strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_order(services: Mapping[str, dict]) -> list[str]:
    """Services in an order that honours ``depends_on`` (optional dependencies on absent services dropped)."""
    order, placed = [], set()
    while len(order) < len(services):
        for name, svc in services.items():
            deps = {d for d in (svc.get("depends_on") or {}) if d in services}
            if name not in placed and deps <= placed:
                order.append(name)
                placed.add(name)
                break
        else:
            raise ValueError(f"compose: dependency cycle among {set(services) - placed}")
    return order


class Stack:
    """The compose services as local processes under ``root``; ``stop()`` ends every one of them."""

    def __init__(self, root: Path, variables: Mapping[str, str], profiles: tuple[str, ...], site: Path,
                 replicas: Mapping[str, int] | None = None):
        self.root, self.variables, self.site = root, dict(variables), site
        self.services = load(variables, profiles)
        self.replicas = dict(replicas or {})
        self.rootfs = root / "rootfs"
        self.logs = root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.ports = {"postgres": free_port(), "redis": free_port(), "airflow-apiserver": free_port()}
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.envs: dict[str, dict[str, str]] = {}
        self.pgdata: Path | None = None
        self.started: dict[str, float] = {}

    # --- paths -----------------------------------------------------------------------------------
    def container_path(self, path: str) -> Path:
        return self.rootfs / path.lstrip("/")

    def mount_volumes(self, svc: dict) -> None:
        for spec in svc.get("volumes") or []:
            source, target = spec.split(":")[:2]
            where = self.container_path(target)
            if where.exists() or where.is_symlink():
                continue
            where.parent.mkdir(parents=True, exist_ok=True)
            if source.startswith((".", "/")):          # bind mount
                host = (REPO / source).resolve() if source.startswith(".") else Path(source)
                host.mkdir(parents=True, exist_ok=True)
                where.symlink_to(host, target_is_directory=True)
            else:                                       # named volume
                where.mkdir(parents=True)

    def _local(self, value: str) -> str:
        value = value.replace("@postgres/", f"@127.0.0.1:{self.ports['postgres']}/")
        value = value.replace("@redis:6379", f"@127.0.0.1:{self.ports['redis']}")
        value = value.replace("http://airflow-apiserver:8080", f"http://127.0.0.1:{self.ports['airflow-apiserver']}")
        if value.startswith(("/data/", "/opt/airflow")):
            value = str(self.container_path(value))
        return value

    def environment(self, svc: dict, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SOEPEL_", "AIRFLOW", "PYTEST", "PG", "PYTHONPATH"))}
        for entry in svc.get("env_file") or []:
            path = entry["path"] if isinstance(entry, dict) else entry
            assert path == ".env", f"compose reads {path}; the test provides .env's variables only"
            env.update(self.variables)
        env.update({k: self._local(str(v)) for k, v in (svc.get("environment") or {}).items()})
        env.update({
            "AIRFLOW_HOME": str(self.container_path(AIRFLOW_HOME_IN_IMAGE)),
            "AIRFLOW__API__PORT": str(self.ports["airflow-apiserver"]),
            "PYTHONPATH": str(self.site),
            "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        })
        env.update({name: str(free_port()) for name in PER_PROCESS_PORTS})
        env.update(extra)
        return env

    # --- processes -------------------------------------------------------------------------------
    def _spawn(self, name: str, cmd: list[str], env: dict[str, str], cwd: Path | None = None,
               user_prefix: list[str] | None = None) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")
        proc = subprocess.Popen((user_prefix or []) + cmd, env=env, cwd=str(cwd or self.root), stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append((name, proc))
        self.envs[name] = env
        self.started[name] = time.monotonic()
        return proc

    def log_tail(self, name: str, chars: int = 4000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def airflow_command(self, svc: dict) -> list[str]:
        command = svc["command"]
        args = shlex.split(command) if isinstance(command, str) else list(command)
        # the image's entrypoint: bash/python commands run as they are, anything else is `airflow <args>`
        return args if args[0] in ("bash", "python", "sh") else ["airflow", *args]

    def start(self, timeout: float = 900) -> None:
        deadline = time.monotonic() + timeout
        for name in start_order(self.services):
            svc = self.services[name]
            if name == "postgres":
                self._start_postgres(svc)
            elif name == "redis":
                self._start_redis()
            elif name == "airflow-init":
                self.mount_volumes(svc)
                proc = subprocess.run(self.airflow_command(svc), env=self.environment(svc), cwd=str(self.root),
                                      capture_output=True, text=True, timeout=300)
                (self.logs / f"{name}.log").write_text(proc.stdout + proc.stderr)
                assert proc.returncode == 0, f"{name} failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
                continue
            else:
                self.mount_volumes(svc)
                for i in range(1, self.replicas.get(name, 1) + 1):
                    label = name if self.replicas.get(name, 1) == 1 else f"{name}-{i}"
                    extra, cmd = {"HOSTNAME": label}, self.airflow_command(svc)
                    if cmd[1:3] == ["celery", "worker"]:
                        cmd += ["--celery-hostname", f"celery@{label}"]
                    else:
                        extra["HOSTNAME"] = airflow_hostname()   # what `airflow jobs check --hostname` compares
                    self._spawn(label, cmd, self.environment(svc, **extra))
            if self._needed_healthy(name):
                self.wait_healthy(name, deadline)
        # as `docker compose up --wait`: every service with a healthcheck healthy
        for name, svc in self.services.items():
            if name != "airflow-init" and svc.get("healthcheck"):
                self.wait_healthy(name, deadline)

    def _needed_healthy(self, name: str) -> bool:
        return any((svc.get("depends_on") or {}).get(name, {}).get("condition") == "service_healthy"
                   for svc in self.services.values())

    def _start_postgres(self, svc: dict) -> None:
        env = svc["environment"]
        self.pgdata = Path(tempfile.mkdtemp(prefix="soepel-stack-pg-"))
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if as_postgres:
            shutil.chown(self.pgdata, "postgres", "postgres")
        pwfile = self.pgdata / "pw"
        pwfile.write_text(env["POSTGRES_PASSWORD"] + "\n")
        if as_postgres:
            shutil.chown(pwfile, "postgres", "postgres")
        data = self.pgdata / "data"
        subprocess.run(as_postgres + [str(PG_BIN / "initdb"), "-D", str(data), "-U", env["POSTGRES_USER"],
                                      f"--pwfile={pwfile}", "--auth=scram-sha-256", "-E", "UTF8"],
                       check=True, capture_output=True, timeout=120)
        subprocess.run(as_postgres + [str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(self.pgdata / "pg.log"),
                                      "-w", "-o", f"-p {self.ports['postgres']} -k {self.pgdata} "
                                      "-c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                       check=True, capture_output=True, timeout=120)
        subprocess.run([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.ports["postgres"]),
                        "-U", env["POSTGRES_USER"], env["POSTGRES_DB"]],
                       env={**os.environ, "PGPASSWORD": env["POSTGRES_PASSWORD"]}, check=True, timeout=60)
        self._pg_ctl = as_postgres + [str(PG_BIN / "pg_ctl"), "-D", str(data)]

    def _start_redis(self) -> None:
        self._spawn("redis", ["redis-server", "--port", str(self.ports["redis"]), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no", "--dir", str(self.root)], dict(os.environ))

    # --- healthchecks ----------------------------------------------------------------------------
    def healthcheck(self, name: str) -> subprocess.CompletedProcess:
        svc = self.services[name]
        test = list(svc["healthcheck"]["test"])
        kind, args = test[0], test[1:]
        env = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
        if name == "postgres":
            env |= {"PGHOST": "127.0.0.1", "PGPORT": str(self.ports["postgres"])}
            args[0] = str(PG_BIN / args[0]) if kind == "CMD" else args[0]
        if name == "redis":
            args[1:1] = ["-p", str(self.ports["redis"])]
        if name.startswith("airflow-"):
            env = dict(self.envs[name if name in self.envs else f"{name}-1"])
        if kind == "CMD-SHELL":
            cmd = ["bash", "-c", " ".join(args)]
        else:
            cmd = args
        cmd = [c.replace("localhost:8080", f"127.0.0.1:{self.ports['airflow-apiserver']}") for c in cmd]
        if name == "airflow-scheduler":
            port = self.envs[name]["AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT"]
            cmd = [c.replace("localhost:8974", f"127.0.0.1:{port}") for c in cmd]
        try:
            return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired as slow:
            # as Docker does: a check that outlives its timeout counts as one failed check, not as
            # the end of the wait (`airflow jobs check` imports Airflow, ~60 s on a loaded 2-core box)
            return subprocess.CompletedProcess(cmd, 124, _text(slow.stdout), _text(slow.stderr) + "\n[timed out]")

    def wait_healthy(self, name: str, deadline: float) -> None:
        while True:            # at least once, however late
            self.assert_running()
            last = self.healthcheck(name)
            if last.returncode == 0:
                return
            if time.monotonic() > deadline:
                break
            time.sleep(1)
        raise AssertionError(f"{name} not healthy: {(last.stdout + last.stderr)[-2000:]}\n"
                             f"{self.log_tail(name)}")

    def assert_running(self) -> None:
        for name, proc in self.procs:
            assert proc.poll() is None, f"{name} exited with {proc.returncode}:\n{self.log_tail(name)}"

    def stop(self) -> None:
        for name, proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for name, proc in reversed(self.procs):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        if self.pgdata is not None:
            subprocess.run(self._pg_ctl + ["-m", "immediate", "stop"], capture_output=True, timeout=60)
            shutil.rmtree(self.pgdata, ignore_errors=True)

    # --- the REST API ----------------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['airflow-apiserver']}"

    def admin_password(self, user: str) -> str:
        """The simple auth manager's generated password, where compose's header says to find it."""
        path = self.container_path(AIRFLOW_HOME_IN_IMAGE) / "simple_auth_manager_passwords.json.generated"
        deadline = time.monotonic() + 60
        while not (path.is_file() and path.stat().st_size) and time.monotonic() < deadline:
            time.sleep(1)
        assert path.is_file(), (f"no {path.name}: {sorted(os.listdir(path.parent))}\n"
                                f"{self.log_tail('airflow-apiserver')}")
        return json.loads(path.read_text())[user]
