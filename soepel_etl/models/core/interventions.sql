-- model: core/interventions
-- inputs: staging/interventies, core/participants
-- core/interventions: interventions of participants with valid consent for that pilot at the
-- reference date (consent withdrawn since the rows were loaded removes them here).
SELECT i.person_key, i.pilot_code, i.intervention, i.start_date, i.end_date, i.hours,
       i.delivery_date, i.file_name, i.load_id
FROM current_interventies AS i
SEMI JOIN core_participants AS p
    ON p.person_key = i.person_key AND p.pilot_code = i.pilot_code AND p.consent_valid
