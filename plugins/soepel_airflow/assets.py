"""The assets the three DAGs exchange: one per staged source, one per mart.

The ingest DAG emits a source asset only for sources that actually loaded a file in that run
(through the alias ``soepel_staged_sources``); the build DAG runs when any of them changed and
emits the mart assets (through ``soepel_published_marts``) only when it really rebuilt; the
report DAG runs when all three marts were published again.
"""

from __future__ import annotations

from airflow.sdk import Asset, AssetAlias, AssetAll, AssetAny

# the sources of spec/extracts.md (tests check this equals soepel_etl.schema.contracts.SOURCES)
SOURCES = ("onderwijs", "werk", "uitkeringen", "deelnemers", "interventies")
# the marts of spec/warehouse.md
MARTS = ("outflow_outcomes", "cohort_outcomes", "risk_monitor")


def source_asset(source: str) -> Asset:
    return Asset(name=f"soepel_staging_{source}", uri=f"soepel://warehouse/staging/{source}", group="soepel-staging")


def mart_asset(mart: str) -> Asset:
    return Asset(name=f"soepel_mart_{mart}", uri=f"soepel://warehouse/marts/{mart}", group="soepel-marts")


SOURCE_ASSETS = {s: source_asset(s) for s in SOURCES}
MART_ASSETS = {m: mart_asset(m) for m in MARTS}

STAGED_SOURCES = AssetAlias(name="soepel_staged_sources", group="soepel-staging")
PUBLISHED_MARTS = AssetAlias(name="soepel_published_marts", group="soepel-marts")

# what the downstream DAGs are scheduled on
ANY_SOURCE_CHANGED = AssetAny(*SOURCE_ASSETS.values())
ALL_MARTS_PUBLISHED = AssetAll(*MART_ASSETS.values())
