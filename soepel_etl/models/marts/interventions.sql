-- model: marts/interventions
-- inputs: core/interventions, marts/participants
-- marts/interventions: every intervention recorded for a participant with valid consent, with the
-- participation type and region the report groups by.
SELECT i.pilot_code, i.person_key, p.participation_type, p.rmc_region_code,
       i.intervention, i.start_date, i.end_date, i.hours
FROM core_interventions AS i
JOIN marts_participants AS p USING (person_key, pilot_code)
