"""The data dictionary's tables, generated from the column declarations beside the models.

Each published model ``<layer>/<table>.sql`` has ``<layer>/<table>.toml`` beside it: a title, the
columns in table order with their DuckDB type and meaning, and optional notes. Those files are
the one place a column is described: ``docs/data-dictionary.md`` gets its ``core`` and ``marts``
sections from here (between the ``generated`` markers; the prose around them is written by
hand), and the tests check the declarations against the tables a build writes.

    python -m soepel_etl.models.dictionary docs/data-dictionary.md    # rewrite the sections
"""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .catalog import models

BEGIN = "<!-- generated from soepel_etl/models/{layer}/*.toml by soepel_etl.models.dictionary: do not edit -->"
END = "<!-- end of generated {layer} tables -->"


@dataclass(frozen=True)
class TableDoc:
    name: str
    title: str
    columns: dict[str, tuple[str, str]]     # column → (type, meaning), in table order
    notes: str | None = None


def declared(name: str) -> TableDoc:
    """The declaration beside model ``name``."""
    layer, table = name.split("/")
    text = resources.files("soepel_etl.models").joinpath(layer, f"{table}.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    return TableDoc(name, data["title"], {c: (v["type"], v["meaning"]) for c, v in data["columns"].items()},
                    data.get("notes"))


def published_models(layer: str) -> list[str]:
    return sorted(m.name for m in models().values() if m.layer == layer and m.published)


def section(doc: TableDoc) -> str:
    lines = [f"### `{doc.name}` — {doc.title}", "| column | type | meaning and rule |", "|---|---|---|"]
    lines += [f"| `{c}` | {t} | {m} |" for c, (t, m) in doc.columns.items()]
    if doc.notes:
        lines += ["", doc.notes]
    return "\n".join(lines)


def render(layer: str) -> str:
    return "\n\n".join(section(declared(name)) for name in published_models(layer))


def regenerate(text: str) -> str:
    """``text`` (the data dictionary) with every generated section rewritten."""
    for layer in ("marts", "core"):
        begin, end = BEGIN.format(layer=layer), END.format(layer=layer)
        pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
        if not pattern.search(text):
            raise ValueError(f"the data dictionary has no generated section for {layer} ({begin})")
        text = pattern.sub(lambda _: f"{begin}\n{render(layer)}\n{end}", text)
    return text


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "docs/data-dictionary.md")
    path.write_text(regenerate(path.read_text(encoding="utf-8")), encoding="utf-8")
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
