-- How many profiles each school created per UTC hour and per UTC day: each new profile sends
-- its student a consent email, so these counters bound both (candidates.new_profiles_per_*).
-- Incremented in the transaction of the push that creates the profiles; rows older than two
-- days are deleted when the school next creates profiles.
CREATE TABLE school_quota_counters (
    school_id        uuid        NOT NULL,
    period           text        NOT NULL CHECK (period IN ('hour', 'day')),
    period_start     timestamptz NOT NULL,
    profiles_created bigint      NOT NULL CHECK (profiles_created >= 0),
    PRIMARY KEY (school_id, period, period_start)
);
