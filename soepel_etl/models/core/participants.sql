-- model: core/participants
-- inputs: staging/deelnemers
-- keep: person_key, person_id, pilot_code, participation_type, consent_valid
-- core/participants: the pilot register (current version per person and pilot), with consent
-- judged at the reference date: given, dated on or before it, not withdrawn on or before it.
SELECT
    person_key, pilot_code, participation_type, consent, consent_date, consent_withdrawn_date,
    consent_valid(consent, consent_date, consent_withdrawn_date, reference_date()) AS consent_valid,
    reference_date() AS consent_reference_date,
    delivery_date, file_name, load_id, person_id
FROM current_deelnemers
