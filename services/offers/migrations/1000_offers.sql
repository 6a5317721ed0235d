-- The offers service's own schema: offers, applications with their transition log, placements,
-- Bpifrance's label decisions, and what it knows of candidates (from vte.candidates.v1).

-- A company's offer. `spec` is the content in the edge's shape (`NewOffer`), checked again when
-- read; it is complete exactly when the offer was published. The columns after
-- `positions_filled` are copies of what browsing filters and sorts on, set on every write.
CREATE TABLE offers (
    id                  uuid        PRIMARY KEY,
    company_siren       text        NOT NULL,
    status              text        NOT NULL,   -- DRAFT, PUBLISHED, FILLED, CLOSED, EXPIRED
    revision            bigint      NOT NULL,
    spec                jsonb       NOT NULL,
    positions_filled    integer     NOT NULL DEFAULT 0,
    positions           integer     NOT NULL DEFAULT 0,
    positions_remaining integer     NOT NULL DEFAULT 0,
    close_reason        text        NOT NULL DEFAULT '',
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    published_at        timestamptz,
    ended_at            timestamptz,
    -- search copies, set from the content on every write
    primary_mission     text,
    secondary_mission   text,
    contract_kind       text,
    min_level           smallint,
    max_level           smallint,
    insee               text,
    departement         text,
    region              text,
    territory_id        text,                   -- Territoire d'industrie 2023-2027, if any
    position            point,                  -- (longitude, latitude) of the commune's centre
    ecological_transition boolean   NOT NULL DEFAULT false,
    start_date          date,
    application_deadline date
);
-- A company's offers, most recently updated first, by an (updated_at, id) cursor.
CREATE INDEX offers_company ON offers (company_siren, updated_at DESC, id DESC);
-- The expiry sweep: published offers by their last day to apply.
CREATE INDEX offers_published_last_day ON offers ((coalesce(application_deadline, start_date)))
    WHERE status = 'PUBLISHED';
-- Browsing reads published offers newest first, by a (published_at, id) cursor.
CREATE INDEX offers_published ON offers (published_at DESC, id DESC) WHERE status = 'PUBLISHED';
CREATE INDEX offers_published_mission ON offers (primary_mission, published_at DESC, id DESC)
    WHERE status = 'PUBLISHED';
CREATE INDEX offers_published_region ON offers (region, published_at DESC, id DESC)
    WHERE status = 'PUBLISHED';
CREATE INDEX offers_published_position ON offers USING gist (position) WHERE status = 'PUBLISHED';

-- What the candidates service published about each candidate, as far as offers need it; an
-- event is applied only when its revision is above the stored one.
CREATE TABLE candidates (
    id        uuid        PRIMARY KEY,
    school_id uuid,
    erased_at timestamptz,
    revision  bigint      NOT NULL
);

CREATE TABLE applications (
    id            uuid        PRIMARY KEY,
    offer_id      uuid        NOT NULL REFERENCES offers (id),
    company_siren text        NOT NULL,
    candidate_id  uuid        NOT NULL,
    school_id     uuid,
    status        text        NOT NULL,
    revision      bigint      NOT NULL,
    message       text        NOT NULL DEFAULT '',
    interview_at  timestamptz,
    placement_id  uuid,
    submitted_at  timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
-- A candidate has at most one open application per offer.
CREATE UNIQUE INDEX applications_one_open_per_offer ON applications (offer_id, candidate_id)
    WHERE status IN ('SUBMITTED', 'IN_REVIEW', 'INTERVIEW');
-- Lists are most recently updated first, by an (updated_at, id) cursor.
CREATE INDEX applications_offer ON applications (offer_id, updated_at DESC, id DESC);
CREATE INDEX applications_candidate ON applications (candidate_id, updated_at DESC, id DESC);
CREATE INDEX applications_school ON applications (school_id, updated_at DESC, id DESC);
CREATE INDEX applications_unanswered ON applications (submitted_at)
    WHERE status = 'SUBMITTED';

-- Every change of an application, appended, never changed (but erasing the candidate blanks the
-- free text people wrote).
CREATE TABLE application_transitions (
    application_id uuid        NOT NULL REFERENCES applications (id),
    seq            integer     NOT NULL,
    from_status    text,
    to_status      text        NOT NULL,
    actor_role     text        NOT NULL,
    actor_subject  text        NOT NULL,
    actor_tenant   text        NOT NULL DEFAULT '',
    at             timestamptz NOT NULL,
    reason         text        NOT NULL DEFAULT '',
    PRIMARY KEY (application_id, seq)
);

-- The VTE itself, created when an application is accepted. The workplace is kept by its INSEE
-- code and resolved again when read; the aids are recomputed from it and the contract kind.
CREATE TABLE placements (
    id               uuid        PRIMARY KEY,
    application_id   uuid        NOT NULL UNIQUE REFERENCES applications (id),
    offer_id         uuid        NOT NULL REFERENCES offers (id),
    company_siren    text        NOT NULL,
    company_name     text        NOT NULL,
    offer_title      text        NOT NULL,
    mission_type     text        NOT NULL,   -- MissionType code
    candidate_id     uuid        NOT NULL,
    school_id        uuid,
    status           text        NOT NULL,   -- ACTIVE, COMPLETED, ENDED_EARLY
    contract_kind    text        NOT NULL,
    duration_months  integer,
    start_date       date        NOT NULL,
    planned_end_date date        NOT NULL,
    insee            text        NOT NULL,
    ended_on         date,
    end_reason       text,                   -- EarlyEndReason code
    end_note         text        NOT NULL DEFAULT '',
    revision         bigint      NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
-- Lists are most recently updated first, by an (updated_at, id) cursor.
CREATE INDEX placements_recent ON placements (updated_at DESC, id DESC);
CREATE INDEX placements_company ON placements (company_siren, updated_at DESC, id DESC);
CREATE INDEX placements_candidate ON placements (candidate_id, updated_at DESC, id DESC);
CREATE INDEX placements_school ON placements (school_id, updated_at DESC, id DESC);

-- Bpifrance's decisions on completed placements: never updated; a reconsideration is a new row
-- naming the decision it reconsiders, and only the latest one can be reconsidered.
CREATE TABLE label_decisions (
    id              uuid        PRIMARY KEY,
    placement_id    uuid        NOT NULL REFERENCES placements (id),
    candidate_id    uuid        NOT NULL,   -- copied from the placement
    outcome         text        NOT NULL,   -- GRANTED, REFUSED
    reason          text        NOT NULL DEFAULT '',
    reconsiders     uuid        UNIQUE REFERENCES label_decisions (id),
    actor_role      text        NOT NULL,
    actor_subject   text        NOT NULL,
    actor_tenant    text        NOT NULL DEFAULT '',
    decided_at      timestamptz NOT NULL
);
CREATE INDEX label_decisions_placement ON label_decisions (placement_id, decided_at, id);
CREATE INDEX label_decisions_candidate ON label_decisions (candidate_id, decided_at, id);
-- At most one first decision per placement; later ones each reconsider a distinct decision.
CREATE UNIQUE INDEX label_decisions_first ON label_decisions (placement_id) WHERE reconsiders IS NULL;
