"""The GX project the pipeline runs: shipped inside the package (``soepel_etl/quality/expectations/``).

The suites are package data, read with :mod:`importlib.resources`, so an installed wheel (or a zip)
finds them without a source checkout. ``$SOEPEL_EXPECTATIONS_DIR`` points at another GX project
folder of the same layout (``<dir>/expectations/<suite>.json``) instead.

GX's filesystem stores write into the folder they read from (a ``.ge_store_backend_id``), and an
installed package may be read-only or shared: the process's GX context (:mod:`.context`) therefore
reads a copy of the suites in a private temporary folder, and the project itself is only ever read.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

from ..settings import expectations_override

SUITES = "expectations"      # the suites' folder inside a GX project


def shipped_project() -> Traversable:
    return resources.files(__package__) / "expectations"


def project() -> Traversable:
    """The GX project in use: ``$SOEPEL_EXPECTATIONS_DIR`` (made absolute), else the shipped one."""
    return expectations_override() or shipped_project()


def suite_texts(folder: Traversable | None = None) -> dict[str, str]:
    """Suite name → its JSON text, from ``<project>/expectations/*.json``."""
    suites = (folder or project()) / SUITES
    if not suites.is_dir():
        raise FileNotFoundError(f"GX project {folder or project()} has no {SUITES}/ folder of suites")
    return {f.name.removesuffix(".json"): f.read_text(encoding="utf-8")
            for f in suites.iterdir() if f.name.endswith(".json") and f.is_file()}

