"""The project's default OpenLineage transport: one JSON file per event in ``<warehouse>/_meta/lineage/``.

Set with ``[openlineage] transport = {"type": "soepel_airflow.lineage_transport.WarehouseFileTransport"}``
(``AIRFLOW__OPENLINEAGE__TRANSPORT``); the OpenLineage client imports this module by that name, in
the scheduler (DAG-run events) and in each task's process (task events). A module of its own so that
parsing a DAG never imports the OpenLineage client.

Why not the client's own ``file`` transport: its path is fixed in the configuration and its folder
must exist, while the warehouse is a Soepel setting and may be new; and the warehouse is owner-only,
so the event files are too.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from pathlib import Path
from typing import Any

from openlineage.client.serde import Serde
from openlineage.client.transport.transport import Config, Transport

from .config import LOCATIONS

FOLDER = "_meta/lineage"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class WarehouseFileConfig(Config):
    """``warehouse``: the warehouse folder; empty: ``SOEPEL_WAREHOUSE_DIR``, else ``warehouse``."""

    def __init__(self, warehouse: str | None = None) -> None:
        self.warehouse = warehouse

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> WarehouseFileConfig:
        return cls(warehouse=params.get("warehouse") or None)


class WarehouseFileTransport(Transport):
    """Writes each event as ``<warehouse>/_meta/lineage/<UTC time>-<job>-<event type>-<random>.json``.

    The warehouse is the transport's ``warehouse`` setting, else the environment's
    ``SOEPEL_WAREHOUSE_DIR`` (what a deployment sets for every component; the transport is built
    outside any task, so a DAG param ``warehouse_dir`` or the Airflow Variable do not reach it), else
    ``warehouse`` in the working directory. Files are owner-only like the rest of the warehouse, and
    written outside its transaction: lineage is a log of what ran, not a table. A missing or empty
    folder is made a warehouse first (``claim_warehouse``, as a run would); any other folder without
    the warehouse marker is refused (the OpenLineage client logs the error; the task goes on).
    """

    kind = "soepel_warehouse_file"
    config_class = WarehouseFileConfig

    def __init__(self, config: WarehouseFileConfig) -> None:
        self.config = config

    def folder(self) -> Path:
        loc = LOCATIONS["warehouse"]
        warehouse = self.config.warehouse or os.environ.get(loc.env or "") or loc.default
        return Path(warehouse) / FOLDER

    def emit(self, event) -> None:
        folder = self.folder()
        if not folder.is_dir():
            # the first event may come before the first run made the warehouse: make it the way a run
            # does (marker first), so that the run then finds a warehouse, not a foreign non-empty
            # folder; a folder that is not a warehouse is refused, and nothing is written into it
            from soepel_etl.pipeline import claim_warehouse

            claim_warehouse(folder.parents[1])
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        job = getattr(getattr(event, "job", None), "name", None) or "event"
        kind = getattr(getattr(event, "eventType", None), "value", None) or "event"
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S.%f")
        path = folder / f"{stamp}-{_UNSAFE.sub('_', job)}-{kind}-{uuid.uuid4().hex[:8]}.json"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(Serde.to_json(event) + "\n")
