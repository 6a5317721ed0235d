-- The scheme's eligibility verdict (issue 14): what the offers service keeps of each candidate to
-- judge a pair at apply and at hire, and what a placement froze at its hire.

-- The facts the rules read, from the candidate's latest profile event applied (never contact
-- data): status (1 student, 2 graduate, 0 not stated), level (years after the bac), graduation
-- date (expected or actual), contract kinds sought (ContractKind codes) and first day available.
-- NULL until a profile event carrying them is applied, and again once the candidate is erased.
ALTER TABLE candidates
    ADD COLUMN academic_status smallint,
    ADD COLUMN level           smallint,
    ADD COLUMN graduation_date date,
    ADD COLUMN contract_kinds  text[],
    ADD COLUMN available_from  date;

-- What a placement was told at its hire, never recomputed on read: the scheme's rule set id, the
-- programme and territory, the facts of the offer and of the candidate used, the verdict with
-- every check and every aid with its reason (JSON written by vte_rules). NULL for placements
-- made before this column: the service freezes those at start-up from the rules of their start
-- date and their offer's facts (their candidate's facts were not kept then).
ALTER TABLE placements ADD COLUMN frozen jsonb;

-- The Territoires d'industrie programme the rule data names for each offer's start date, which
-- its `territory_id` belongs to (the search's territory filters read both). Offers written before
-- were located in 2023-2027; those starting before 2023 have all ended.
ALTER TABLE offers ADD COLUMN territory_programme text;
UPDATE offers SET territory_programme = '2023-2027' WHERE start_date IS NOT NULL;
