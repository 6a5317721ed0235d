-- What the candidates service hears of its candidates' placements on vte.placements.v1: whether
-- each VTE still runs and when it last moved (started, ended, a label step), so that the
-- retention sweep keeps a profile whose VTE runs or moved within the idle period. Ids only; the
-- rows go with the profile.
CREATE TABLE placement_activity (
    placement_id  uuid        PRIMARY KEY,
    candidate_id  uuid        NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    active        boolean     NOT NULL,
    last_event_at timestamptz NOT NULL
);
CREATE INDEX placement_activity_candidate ON placement_activity (candidate_id);
