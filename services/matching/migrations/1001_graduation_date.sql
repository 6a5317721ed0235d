-- The scheme's graduate recency rule (issue 14): a graduate qualifies while their diploma is
-- less than two years old at the offer's start date, so matching keeps the graduation date
-- (expected for a student, actual for a graduate) of every matchable profile. Profiles stored
-- before this column get NULL until their next event: a graduate without a date fails the rule
-- ("la date de diplôme n'est pas renseignée") rather than being ranked on a guess.
ALTER TABLE candidate_profiles ADD COLUMN graduation_date date;
