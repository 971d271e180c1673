"""The models: one SQL file per table, each naming its inputs in a header the runner reads.

A model file starts with a header of ``-- key: value`` lines::

    -- model: marts/outflow_outcomes
    -- inputs: core/enrolments, core/participants, core/person_month
    -- built: per person range
    -- (then the model's own comment, then its SELECT)

==============  =========================================================================
``model``       the table it builds, ``<layer>/<name>``; in SQL it is ``<layer>_<name>``
``inputs``      the tables and sources it reads: other models, ``staging/<source>`` (as
                ``stg_<source>`` and its current versions ``current_<source>``; werk as
                ``stg_werk_ranked``) and ``reference/<file>`` (as ``reference_<file>``,
                gemeenten and instellingen also one row per code as ``ref_<file>``) and
                ``national/<file>`` (the tables shipped with the package, as ``national_<file>``)
``built``       ``whole`` (default) or ``per person range``: built for one range of
                ``person_id`` at a time (``in_person_range(person_id)``), so memory stays
                bounded by a range, not the country; during a range the model's inputs that
                are built per range hold that range's rows
``published``   ``no`` for an internal table the build uses but does not write
``keep``        the columns later models read: after the whole tables are written and
                checked, only these stay in memory (a table no later model reads is dropped)
``settings``    a DuckDB setting for this model only (``name = value``)
``after``       a check the runner runs once the table exists (see ``runner.AFTER``)
==============  =========================================================================

A ``-- publish:`` line may follow the SELECT: the query after it is what a per-range table writes
(e.g. the month as text), where the SELECT above is what later models read. Rules are DuckDB
macros (:mod:`soepel_etl.schema.macros`); a model never receives SQL from Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from graphlib import TopologicalSorter
from importlib import resources

KEYS = ("model", "inputs", "built", "published", "keep", "settings", "after")
LISTS = ("inputs", "keep")
SOURCES = ("staging", "reference", "national")   # inputs no model builds: the build provides them
PUBLISH = re.compile(r"^-- publish:.*$", re.M)


class ModelError(ValueError):
    """A model file the runner cannot use (bad header, unknown input, a cycle)."""


@dataclass(frozen=True)
class Model:
    name: str                               # "<layer>/<table>"
    inputs: tuple[str, ...]
    sql: str                                # the SELECT later models read
    publish_sql: str | None = None          # what a per-range table writes, when not the SELECT
    per_person_range: bool = False
    published: bool = True
    keep: str | None = None
    settings: tuple[tuple[str, str], ...] = ()
    after: str | None = None

    @property
    def layer(self) -> str:
        return self.name.split("/")[0]

    @property
    def table(self) -> str:
        return self.name.split("/")[1]

    @property
    def relation(self) -> str:
        """The model's name in SQL: ``core/person_month`` → ``core_person_month``."""
        return self.name.replace("/", "_")


def parse(text: str, file_name: str) -> Model:
    header: dict[str, str] = {}
    key = None
    for line in text.splitlines():
        m = re.match(r"^-- (\w+): (.*)$", line)
        if m and m.group(1) in KEYS:
            key = m.group(1)
            header[key] = m.group(2).strip()
        elif key in LISTS and re.match(r"^--\s{3,}\S", line):
            header[key] += " " + line[2:].strip()
        else:
            break
    if "model" not in header:
        raise ModelError(f"{file_name}: no '-- model:' header")
    name = header["model"]
    if name.replace("/", "_") + ".sql" != file_name.replace("/", "_"):
        raise ModelError(f"{file_name}: the header names {name!r}; the file must be {name}.sql")
    built = header.get("built", "whole")
    if built not in ("whole", "per person range"):
        raise ModelError(f"{file_name}: built must be 'whole' or 'per person range', not {built!r}")
    parts = PUBLISH.split(text, maxsplit=1)
    settings = tuple(tuple(x.strip() for x in s.split("=", 1)) for s in
                     filter(None, (x.strip() for x in header.get("settings", "").split(";"))))
    return Model(
        name=name,
        inputs=tuple(x.strip() for x in header.get("inputs", "").split(",") if x.strip()),
        sql=parts[0],
        publish_sql=parts[1] if len(parts) > 1 else None,
        per_person_range=built == "per person range",
        published=header.get("published", "yes") != "no",
        keep=header.get("keep"),
        settings=settings,
        after=header.get("after"),
    )


@cache
def models() -> dict[str, Model]:
    """Every model shipped in the package, by name."""
    found = {}
    for layer in ("core", "marts"):
        for entry in sorted(resources.files("soepel_etl.models").joinpath(layer).iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".sql"):
                model = parse(entry.read_text(encoding="utf-8"), f"{layer}/{entry.name}")
                found[model.name] = model
    return found


def build_order(found: dict[str, Model]) -> list[Model]:
    """The models in an order in which every model comes after its inputs; ties by name, so the
    order is the same on every run."""
    for model in found.values():
        for name in model.inputs:
            if name not in found and name.split("/")[0] not in SOURCES:
                raise ModelError(f"{model.name} reads {name!r}: no model builds it and it is not a source")
    graph = TopologicalSorter({m.name: [i for i in m.inputs if i in found] for m in found.values()})
    try:
        graph.prepare()
    except Exception as e:   # graphlib.CycleError
        raise ModelError(f"the models' inputs form a cycle: {e.args[1] if len(e.args) > 1 else e}") from e
    order = []
    while graph.is_active():
        ready = sorted(graph.get_ready())
        order += ready
        graph.done(*ready)
    return [found[name] for name in order]


def stages(found: dict[str, Model]) -> tuple[list[Model], list[Model], list[Model]]:
    """The build's three stages: whole tables first, then the per-range tables range by range, then
    the whole tables that read a per-range one (they read it back from its written parts)."""
    ordered = build_order(found)
    upstream_of_range: set[str] = set()
    for model in ordered:
        if model.per_person_range or any(i in upstream_of_range for i in model.inputs):
            upstream_of_range.add(model.name)
    first = [m for m in ordered if m.name not in upstream_of_range]
    ranged = [m for m in ordered if m.per_person_range]
    last = [m for m in ordered if m.name in upstream_of_range and not m.per_person_range]
    for model in ranged:
        late = [i for i in model.inputs if i in {m.name for m in last}]
        if late:
            raise ModelError(f"{model.name} is built per person range but reads {late}, built after the ranges")
    return first, ranged, last
