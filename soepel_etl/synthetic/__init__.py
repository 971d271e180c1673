"""Synthetic landing zone generator for Soepel ETL.

``generate(out_dir, persons=5000, seed=20240401)`` writes deliveries for the five sources
(``onderwijs``, ``werk``, ``uitkeringen``, ``deelnemers``, ``interventies``) in every dialect the
extract contract allows, plus a few percent of bad rows and bad files, and returns a summary.
``person_table(persons, seed)`` returns the generator's person-level truth (for tests only; it is
never written into the landing zone).  See ``docs/synthetic-data.md``.
"""

from .generator import SOURCES, generate, person_table

__all__ = ["SOURCES", "generate", "person_table"]
