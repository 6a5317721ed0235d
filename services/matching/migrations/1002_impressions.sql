-- Impressions and outcomes (issue 15, item 8): every ranking matching shows (RankCandidates,
-- RankOffers, the suggestions it publishes), and what became of the pairs it showed, so that
-- rankings can be judged by what people did with them. Pseudonymous ids, numbers and the
-- rules' version only: no name, no contact data, no free text. Impressions older than
-- `matching.impressions.retention_days` (400 by default) are purged by a sweep; a candidate's
-- erasure deletes their rows.

-- One ranking shown: to whom (the audience), about what (the subject: the offer ranked for a
-- company, the candidate ranked for), under which rules.
CREATE TABLE impressions (
    impression_id uuid PRIMARY KEY,
    shown_at      timestamptz NOT NULL,
    audience      text NOT NULL CHECK (audience IN
                      ('COMPANY', 'CANDIDATE', 'SUGGESTION_COMPANY', 'SUGGESTION_CANDIDATE')),
    subject_id    uuid NOT NULL,
    -- The scoring version and a hash of the matching rules' settings, then the scheme's rule
    -- sets the items were judged by, e.g. `scoring-1/3f9c0a7d12e4b856/vte-2023-ti-2023-2027`.
    rules_version text NOT NULL,
    item_count    integer NOT NULL CHECK (item_count >= 0)
);

CREATE INDEX impressions_shown_at ON impressions (shown_at);
CREATE INDEX impressions_subject ON impressions (subject_id);

-- Each pair shown, at its rank (1 first), with its score and its components (values and
-- weights, in the order of the contract's ScoreComponentKind).
CREATE TABLE impression_items (
    impression_id uuid NOT NULL REFERENCES impressions (impression_id) ON DELETE CASCADE,
    rank          integer NOT NULL CHECK (rank >= 1),
    offer_id      uuid NOT NULL,
    candidate_id  uuid NOT NULL,
    score         real NOT NULL,
    components    real[] NOT NULL,
    weights       real[] NOT NULL,
    PRIMARY KEY (impression_id, rank)
);

CREATE INDEX impression_items_candidate ON impression_items (candidate_id);
CREATE INDEX impression_items_pair ON impression_items (offer_id, candidate_id);

-- What became of a pair, each at its first time: the candidate applied, was invited to an
-- interview, was hired (the application accepted, the placement started), the VTE labelled.
CREATE TABLE outcomes (
    offer_id       uuid NOT NULL,
    candidate_id   uuid NOT NULL,
    applied_at     timestamptz,
    interviewed_at timestamptz,
    hired_at       timestamptz,
    labelled_at    timestamptz,
    PRIMARY KEY (offer_id, candidate_id)
);

CREATE INDEX outcomes_candidate ON outcomes (candidate_id);
