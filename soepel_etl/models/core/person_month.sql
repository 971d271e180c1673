-- model: core/person_month
-- inputs: core/person_spans, core/employment_months, core/persons
-- built: per person range
-- settings: disabled_optimizers = 'build_side_probe_side'
--   (months stay in person order when the spans are the probe side of the join — DuckDB would
--   build on them, the larger side; ordered rows let Parquet dictionary-encode person_key in the
--   published table: files ~8x smaller, written faster)
-- core/person_month: one row per person and month, from the person's first enrolment month until
-- the later coverage month, with every monthly flag and the status by the spec's priority.
-- Built for one range of persons at a time: the spans of person_spans, one row per month, with
--   employed(m): hours over all employers in m add up to more than 0 (core/employment_months)
--   observed(m): m <= both coverage months
-- The status is kept as its position in the priority (status_code); publishing adds the text.
WITH months AS (
    SELECT person_id, CAST(unnest(generate_series(span_first, span_last)) AS INTEGER) AS month_index, enrolled, bbl, benefit
    FROM core_person_spans
    WHERE in_person_range(person_id)
), flags AS (
    SELECT m.person_id, m.month_index, m.enrolled, m.bbl,
           coalesce(e.hours, 0) > 0 AS employed, coalesce(e.hours, 0) AS hours,
           m.benefit, m.month_index <= observed_until_index() AS observed
    FROM months AS m
    LEFT JOIN core_employment_months AS e USING (person_id, month_index)
)
SELECT person_id, month_index, status_code(observed, bbl, enrolled, employed, benefit) AS status_code, enrolled, bbl, employed, hours, benefit, observed
FROM flags
-- publish:
-- the pseudonym and the status as text are attached when a range is written; month_index and
-- person_id stay (month arithmetic; joining core/employment_months directly)
SELECT p.person_key, month_label(t.month_index) AS month, status_text(t.status_code) AS status,
       t.* EXCLUDE (person_id, month_index, status_code), t.month_index, t.person_id
FROM core_person_month AS t JOIN core_persons AS p USING (person_id)
