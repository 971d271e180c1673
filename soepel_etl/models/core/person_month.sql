-- core/person_month: one row per person and month, from the person's first enrolment month until
-- the later coverage month, with every monthly flag and the status by the spec's priority.
-- Built for one range of persons at a time: the spans of person_spans, one row per month, with
--   employed(m): hours over all employers in m add up to more than 0 (core/employment_months)
--   observed(m): m <= both coverage months
-- The status is kept as its position in the priority (status_code); publishing adds the text.
WITH months AS (
    SELECT person_id, CAST(unnest(generate_series(span_first, span_last)) AS INTEGER) AS month_index, enrolled, bbl, benefit
    FROM person_spans
    WHERE ${person_range}
), flags AS (
    SELECT m.person_id, m.month_index, m.enrolled, m.bbl,
           coalesce(e.hours, 0) > 0 AS employed, coalesce(e.hours, 0) AS hours,
           m.benefit, m.month_index <= ${observed_until_index} AS observed
    FROM months AS m
    LEFT JOIN employment_months_part AS e USING (person_id, month_index)
)
SELECT person_id, month_index, ${status_code} AS status_code, enrolled, bbl, employed, hours, benefit, observed
FROM flags
