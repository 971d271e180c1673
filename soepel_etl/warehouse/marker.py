"""The warehouse marker: ``<warehouse>/.soepel-warehouse`` says "this folder is a Soepel warehouse".

A run deletes, moves and chmods inside its warehouse (the run's temporary folder, replaced tables,
owner-only permissions), so it must never do that to a folder that merely happens to be named by
``--warehouse``. The marker is written when a warehouse is created; a folder that is not empty and
has no marker is refused before anything in it changes.

A warehouse written before markers existed (soepel-etl 0.1.0 without this module) is recognised by
its loads manifest (``_meta/loads/``): the first run on it adopts it by writing the marker.
Readers (report, sql, catalog) accept it as it is and write no marker.
"""

from __future__ import annotations

import json
import os
import uuid
from importlib.metadata import version
from pathlib import Path

MARKER = ".soepel-warehouse"
FORMAT_VERSION = 1            # raise when the layout changes in a way an older version must not write
PRE_MARKER_SIGN = "_meta/loads"
DIR_MODE = 0o700              # owner-only, as every warehouse folder (transaction.DIR_MODE)


class NotAWarehouse(ValueError):
    """``--warehouse`` names a folder that is not a Soepel warehouse (or one this version cannot use)."""


def _refuse(root: Path, why: str) -> NotAWarehouse:
    return NotAWarehouse(f"{root} is not a Soepel warehouse: {why}. Nothing in it was changed. "
                         "Point --warehouse at an existing warehouse, or at a new or empty folder to create one.")


def read_marker(root: Path) -> dict | None:
    """The marker's content, None when there is none; refuses one this version cannot use."""
    path = Path(root) / MARKER
    if not path.is_file():
        return None
    try:
        marker = json.loads(path.read_text(encoding="utf-8"))
        version = int(marker["format_version"])
    except (ValueError, KeyError, TypeError) as exc:
        raise _refuse(root, f"its {MARKER} is unreadable ({exc})") from None
    if version > FORMAT_VERSION:
        raise NotAWarehouse(f"{root} is a Soepel warehouse of format {version}, written by "
                            f"{marker.get('created_by', 'a newer soepel-etl')}; this soepel-etl reads format "
                            f"{FORMAT_VERSION} and up to it only. Upgrade soepel-etl. Nothing was changed.")
    return marker


def package_version() -> str:
    """The installed soepel-etl's version (from its metadata: the storage layer does not import the
    package's top)."""
    return version("soepel-etl")


def _is_pre_marker(root: Path) -> bool:
    return (root / PRE_MARKER_SIGN).is_dir()


def _write_marker(root: Path, adopted: bool) -> None:
    marker = {"format_version": FORMAT_VERSION, "created_by": f"soepel-etl {package_version()}"}
    if adopted:
        marker["adopted"] = "written before warehouse markers existed; adopted by this version"
    tmp = root / f".{MARKER}.{uuid.uuid4().hex}.tmp"
    tmp.write_text(json.dumps(marker, indent=1) + "\n", encoding="utf-8")
    os.chmod(tmp, 0o600)
    os.replace(tmp, root / MARKER)


def check(root: str | os.PathLike) -> Path:
    """For readers: ``root`` (absolute) when it is a warehouse, marked or written before markers."""
    root = Path(os.path.abspath(root))
    if not root.exists():
        raise FileNotFoundError(f"warehouse {root} does not exist")
    if not root.is_dir():
        raise _refuse(root, "it is not a folder")
    if read_marker(root) is None and not _is_pre_marker(root):
        raise _refuse(root, f"it has no {MARKER}" + ("" if any(root.iterdir()) else " (it is empty: run "
                                                        "`soepel-etl run` to create a warehouse in it)"))
    return root


def claim(root: str | os.PathLike) -> Path:
    """For a run that writes: ``root`` (absolute) as a warehouse, created in a missing or empty folder,
    adopted when written before markers; any other folder is refused before anything changes in it."""
    root = Path(os.path.abspath(root))
    if root.exists() and not root.is_dir():
        raise _refuse(root, "it is not a folder")
    if read_marker(root) is not None:
        return root
    if root.is_dir() and any(root.iterdir()):
        if not _is_pre_marker(root):
            raise _refuse(root, f"it is not empty and has no {MARKER}")
        _write_marker(root, adopted=True)
        return root
    root.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    _write_marker(root, adopted=False)
    return root
