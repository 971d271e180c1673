-- model: core/benefit_spells
-- inputs: staging/uitkeringen
-- keep: person_id, start_date, end_date
-- core/benefit_spells: the current version of every benefit spell.
SELECT person_key, benefit_type, start_date, end_date, delivery_date, file_name, load_id, person_id
FROM current_uitkeringen
