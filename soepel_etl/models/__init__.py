"""The SQL that turns staging into core and marts (dbt-style: staging → core → marts)."""
