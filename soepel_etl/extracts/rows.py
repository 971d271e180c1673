"""Row checks and typing, as SQL generated from the source contract.

One query turns a batch's text rows (``batch_raw``: the files of one source, each row with its
``file_no``, ``line_number`` and the file's ``delivery_date``, :mod:`.batch`) into ``checked``: per
row the parsed values, the chosen identifier, the list of reasons the row fails (empty when it is
good), and whether it is an exact duplicate of an earlier row of the same file. The rules are those
of extracts.md, "Bad input"; every reason is a stable code ``<rule>:<column>`` documented in
docs/ingest.md. Every rule is judged per file: duplicates and record-key conflicts never cross files,
and the date rules use each row's own delivery date.
"""

from __future__ import annotations

from ..identity.identifiers import bsn_valid_sql, normalised_sql, onderwijsnummer_valid_sql
from ..schema.contracts import Column, Source

MIN_AGE, MAX_AGE = 12, 40


def quoted(name: str) -> str:
    """A column name as a SQL identifier (header names come from the delivered file)."""
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def value_sql(column: Column) -> str:
    """The trimmed delivered text; NULL for empty, the literal NULL, or a column not delivered
    (``batch_raw`` has every column of the source, NULL in the rows of a file without it)."""
    trimmed = f"trim({quoted(column.name)})"
    return f"(CASE WHEN {trimmed} IN ('', 'NULL') THEN NULL ELSE {trimmed} END)"


def parsed_sql(column: Column, v: str) -> str:
    """The typed value, NULL when missing or unparseable (domain checks come separately)."""
    if column.kind == "date":
        return (
            f"(CASE WHEN regexp_full_match({v}, '[0-9]{{1,2}}-[0-9]{{1,2}}-[0-9]{{4}}') "
            f"THEN CAST(try_strptime({v}, '%d-%m-%Y') AS DATE) "
            f"WHEN regexp_full_match({v}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
            f"THEN CAST(try_strptime({v}, '%Y-%m-%d') AS DATE) END)"
        )
    if column.kind == "month":
        return (
            f"(CASE WHEN regexp_full_match({v}, '[0-9]{{4}}-?(0[1-9]|1[0-2])') "
            f"THEN substr({v}, 1, 4) || '-' || right({v}, 2) END)"
        )
    if column.kind == "integer":
        return f"(CASE WHEN regexp_full_match({v}, '-?[0-9]{{1,9}}') THEN CAST({v} AS BIGINT) END)"
    if column.kind == "number":
        return (
            f"(CASE WHEN regexp_full_match({v}, '-?[0-9]{{1,15}}([.,][0-9]{{1,15}})?') "
            f"THEN CAST(replace({v}, ',', '.') AS DOUBLE) END)"
        )
    if column.kind in ("code", "pattern"):
        # codes and patterned codes (BRIN, municipality, postcode) are case-insensitive: 25pz is 25PZ,
        # so two rows differing only in that case are duplicates and one record key (not a conflict)
        return f"{column.case}({v})"
    return v


def _reasons(source: Source) -> list[str]:
    """SQL expressions, each a reason code or NULL."""
    out: list[str] = ["CASE WHEN id_type IS NULL THEN 'no_valid_identifier' END"]
    for c in source.columns:
        if c.kind == "identifier":
            continue
        v, p = f"v_{c.name}", f"p_{c.name}"
        if c.required:
            out.append(f"CASE WHEN {v} IS NULL THEN 'missing:{c.name}' END")
        if c.required_when:
            other, value = c.required_when
            out.append(f"CASE WHEN p_{other} = {_lit(value)} AND {v} IS NULL THEN 'missing:{c.name}' END")
        if c.kind in ("date", "month", "integer", "number"):
            out.append(f"CASE WHEN {v} IS NOT NULL AND {p} IS NULL THEN 'unparseable:{c.name}' END")
        if c.kind == "code" and c.domain:
            domain = ", ".join(_lit(d) for d in c.domain)
            out.append(f"CASE WHEN {p} NOT IN ({domain}) THEN 'out_of_domain:{c.name}' END")
        if c.kind == "pattern":
            out.append(f"CASE WHEN NOT regexp_full_match({v}, {_lit(c.pattern)}) THEN 'out_of_domain:{c.name}' END")
        if c.minimum is not None:
            out.append(f"CASE WHEN {p} < {c.minimum} THEN 'out_of_domain:{c.name}' END")
        if c.maximum is not None:
            out.append(f"CASE WHEN {p} > {c.maximum} THEN 'out_of_domain:{c.name}' END")
    for start, end in source.start_end:
        out.append(f"CASE WHEN p_{end} < p_{start} THEN 'end_before_start:{end}' END")
    if source.checks_month_after_delivery:
        month = source.checks_month_after_delivery
        out.append(f"CASE WHEN p_{month} > strftime(delivery_date, '%Y-%m') THEN 'after_delivery_month:{month}' END")
    if source.checks_age:
        # age in whole years at the file's delivery date
        age = ("(year(delivery_date) - year(p_geboortedatum) - CASE WHEN month(p_geboortedatum) > month(delivery_date) "
               "OR (month(p_geboortedatum) = month(delivery_date) AND day(p_geboortedatum) > day(delivery_date)) "
               "THEN 1 ELSE 0 END)")
        out.append(f"CASE WHEN {age} < {MIN_AGE} OR {age} > {MAX_AGE} THEN 'age_out_of_range:geboortedatum' END")
    return out


def _key_part(name: str) -> str:
    if name == "identifier":
        return "id_type || ':' || id_value"
    return f"CAST(p_{name} AS VARCHAR)"


def checked_sql(source: Source, raw: str = "batch_raw") -> list[str]:
    """SQL statements creating ``checked`` (a view over the temp table ``typed``) from the batch's ``raw``.

    Exact duplicates and record-key conflicts need whole-row comparisons. Windows over every row of
    a wide table are slow, so rows are first grouped by a 64-bit hash of the compared values; only
    rows whose hash occurs more than once (all true duplicates, plus the odd collision) go through
    the exact comparison. The result is exact; the hash only narrows the search.
    """
    values = ",\n  ".join(f"{value_sql(c)} AS v_{c.name}" for c in source.columns)
    parsed = ",\n  ".join(
        f"{parsed_sql(c, 'v_' + c.name)} AS p_{c.name}" for c in source.columns if c.kind != "identifier"
    )
    bsn, onr = normalised_sql("v_bsn"), normalised_sql("v_onderwijsnummer")
    reasons = ",\n    ".join(_reasons(source))
    # duplicates are judged on the values as understood (12,5 equals 12.5; 8-digit BSN equals 9)
    dedup = ", ".join(
        f"coalesce(n_{c.name}, v_{c.name})" if c.kind == "identifier"
        else f"coalesce(CAST(p_{c.name} AS VARCHAR), v_{c.name})"
        for c in source.columns
    )
    key_parts = [_key_part(k) for k in source.record_key]
    key_complete = " AND ".join(f"({k}) IS NOT NULL" for k in key_parts)
    key = ", ".join(key_parts)
    typed = f"""
CREATE OR REPLACE TEMP TABLE typed AS
WITH v AS (
  SELECT file_no, line_number, delivery_date,
  {values}
  FROM {raw}
), p AS (
  SELECT *,
  {parsed},
  {bsn} AS n_bsn,
  {onr} AS n_onderwijsnummer
  FROM v
), ids AS (
  SELECT *,
    CASE WHEN {bsn_valid_sql('n_bsn')} THEN 'bsn'
         WHEN {onderwijsnummer_valid_sql('n_onderwijsnummer')} THEN 'onderwijsnummer' END AS id_type
  FROM p
), r AS (
  SELECT *,
    CASE id_type WHEN 'bsn' THEN n_bsn WHEN 'onderwijsnummer' THEN n_onderwijsnummer END AS id_value
  FROM ids
)
SELECT *,
  -- most rows are good: the list of reasons is only built for a row with at least one
  CASE WHEN coalesce({reasons}) IS NULL THEN []::VARCHAR[] ELSE list_filter([
    {reasons}
  ], lambda x: x IS NOT NULL) END AS row_reasons,
  -- a row's place in the batch: the file's number in the high bits, its line in the low ones
  (CAST(file_no AS BIGINT) << 40) | line_number AS row_id,
  hash(file_no, {dedup}) AS row_hash,
  CASE WHEN {key_complete} THEN hash(file_no, {key}) END AS key_hash
FROM r
"""
    duplicates = f"""
CREATE OR REPLACE TEMP TABLE duplicate_lines AS
SELECT row_id FROM typed
WHERE row_hash IN (SELECT row_hash FROM typed GROUP BY row_hash HAVING count(*) > 1)
QUALIFY line_number <> min(line_number) OVER (PARTITION BY file_no, {dedup})
"""
    conflicts = f"""
CREATE OR REPLACE TEMP TABLE conflict_lines AS
WITH distinct_rows AS (
  SELECT * FROM typed WHERE key_hash IS NOT NULL AND row_id NOT IN (SELECT row_id FROM duplicate_lines)
)
SELECT row_id FROM distinct_rows
WHERE key_hash IN (SELECT key_hash FROM distinct_rows GROUP BY key_hash HAVING count(*) > 1)
QUALIFY count(*) OVER (PARTITION BY file_no, {key}) > 1
"""
    # a view, not a second copy of every row: the two line sets it looks up are small (usually empty)
    checked = """
CREATE OR REPLACE TEMP VIEW checked AS
SELECT * EXCLUDE (row_reasons, row_hash, key_hash),
  row_id IN (SELECT row_id FROM duplicate_lines) AS is_duplicate,
  CASE WHEN row_id IN (SELECT row_id FROM conflict_lines)
       THEN list_append(row_reasons, 'conflicting_record_key') ELSE row_reasons END AS reasons
FROM typed
"""
    return [typed, duplicates, conflicts, checked]


# the clean file's ``checked`` (no row repeats a row or a record key): nothing to look up
_CLEAN = """
CREATE OR REPLACE TEMP VIEW checked AS
SELECT * EXCLUDE (row_reasons, row_hash, key_hash), false AS is_duplicate, row_reasons AS reasons FROM typed
"""


def make_checked(con, source: Source, raw: str = "batch_raw") -> None:
    """Create ``checked`` (:func:`checked_sql`) on ``con``. Most files repeat no row and no record
    key; one count of distinct hashes finds those, and they skip the duplicate and conflict searches."""
    typed, duplicates, conflicts, checked = checked_sql(source, raw)
    con.execute(typed)
    repeats = con.execute("SELECT count(DISTINCT row_hash) < count(*) OR count(DISTINCT key_hash) < count(key_hash) "
                          "FROM typed").fetchone()[0]
    for statement in ([duplicates, conflicts, checked] if repeats else [_CLEAN]):
        con.execute(statement)

