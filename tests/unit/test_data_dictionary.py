"""docs/data-dictionary.md's core and marts tables are generated from the declarations beside the
models; every column has a meaning. (That the declarations match the tables a build writes is
checked in tests/integration/test_generated_warehouse.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from soepel_etl.models import catalog
from soepel_etl.models.dictionary import declared, published_models, regenerate

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-dictionary.md"


def test_the_data_dictionary_is_up_to_date():
    text = DOC.read_text(encoding="utf-8")
    assert regenerate(text) == text, "run: python -m soepel_etl.models.dictionary docs/data-dictionary.md"


@pytest.mark.parametrize("name", published_models("core") + published_models("marts"))
def test_every_column_has_a_type_and_a_meaning(name):
    doc = declared(name)
    assert doc.title.strip() and doc.columns, name
    for column, (kind, meaning) in doc.columns.items():
        assert kind.strip() and len(meaning.strip()) >= 3, (name, column)


def test_every_published_model_is_declared_and_nothing_else():
    root = Path(catalog.__file__).parent
    declared_files = {f"{p.parent.name}/{p.stem}" for p in root.glob("*/*.toml")}
    assert declared_files == set(published_models("core") + published_models("marts"))


def test_a_stale_dictionary_is_noticed():
    text = DOC.read_text(encoding="utf-8")
    stale = text.replace("| `hours` | DOUBLE | sum of `uren` over employers |", "| `hours` | DOUBLE | hours |")
    assert stale != text and regenerate(stale) != stale
