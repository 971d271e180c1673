-- model: marts/participants
-- inputs: core/participants, core/persons
-- marts/participants: the pilot register of people whose consent is valid at the reference date
-- (only they may be followed as participants), with the region of their latest woongemeente.
SELECT p.pilot_code, p.person_key, p.participation_type, coalesce(s.rmc_region_code, no_code()) AS rmc_region_code
FROM core_participants AS p
LEFT JOIN core_persons AS s USING (person_key)
WHERE p.consent_valid
