-- The matching service's read model, built from vte.offers.v1, vte.candidates.v1 and
-- vte.applications.v1. Every row keeps the revision of the event it came from: an older or
-- repeated event never overwrites a newer one. The in-memory index is rebuilt from these tables
-- at start-up and follows `index_changes` afterwards.

-- Every offer the service has heard of, with its full last state (the vte.offers.v1.Offer
-- message, as published): only open ones (published, positions remaining) are indexed.
CREATE TABLE offers (
    offer_id      uuid PRIMARY KEY,
    company_siren text NOT NULL,
    revision      bigint NOT NULL,
    occurred_at   timestamptz NOT NULL,
    is_open       boolean NOT NULL,
    offer         bytea NOT NULL
);

-- Every candidate the service has heard of, with what decides whether they may be ranked.
CREATE TABLE candidates (
    candidate_id  uuid PRIMARY KEY,
    school_id     uuid,
    revision      bigint NOT NULL,
    occurred_at   timestamptz NOT NULL,
    consent_given boolean NOT NULL,
    paused        boolean NOT NULL,
    matchable     boolean NOT NULL
);

-- The profile of each matchable candidate, in the columns matching uses; deleted as soon as the
-- profile stops being matchable (consent withdrawn, search paused) or is erased. Only the home
-- commune is kept, never an address; home_lat/home_lon are its centre.
CREATE TABLE candidate_profiles (
    candidate_id        uuid PRIMARY KEY REFERENCES candidates (candidate_id) ON DELETE CASCADE,
    academic_status     smallint NOT NULL,
    level               smallint NOT NULL,
    field_of_study      text NOT NULL,
    skills              text[] NOT NULL,
    language_codes      text[] NOT NULL,
    language_levels     smallint[] NOT NULL,
    home_insee          text NOT NULL,
    home_lat            double precision,
    home_lon            double precision,
    home_region         text NOT NULL,
    mission_weights     smallint[] NOT NULL,
    mobility_radius_km  integer NOT NULL,
    open_to_relocation  boolean NOT NULL,
    preferred_regions   text[] NOT NULL,
    contract_kinds      smallint[] NOT NULL,
    available_from      date NOT NULL,
    labels_count        integer NOT NULL
);

CREATE INDEX candidate_profiles_level ON candidate_profiles (level);

-- Candidates erased: nothing but the pseudonymous id, so that no late or replayed event brings
-- them back.
CREATE TABLE erased_candidates (
    candidate_id uuid PRIMARY KEY,
    erased_at    timestamptz NOT NULL
);

-- Who applied to what (any status): RankCandidates may leave applicants out.
CREATE TABLE applications (
    application_id uuid PRIMARY KEY,
    offer_id       uuid NOT NULL,
    candidate_id   uuid NOT NULL,
    revision       bigint NOT NULL
);

CREATE INDEX applications_offer ON applications (offer_id);
CREATE INDEX applications_candidate ON applications (candidate_id);

-- Every (offer, candidate) pair ever suggested on vte.matching.v1: each is suggested once.
CREATE TABLE suggestions (
    offer_id     uuid NOT NULL,
    candidate_id uuid NOT NULL,
    suggested_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (offer_id, candidate_id)
);

CREATE INDEX suggestions_candidate ON suggestions (candidate_id);

-- The aggregates whose read-model rows changed, in commit order (mostly): every instance of the
-- service follows it to refresh its in-memory index, woken by NOTIFY vte_matching_index.
-- Rows are kept an hour.
CREATE TABLE index_changes (
    seq          bigserial PRIMARY KEY,
    aggregate    text NOT NULL CHECK (aggregate IN ('offer', 'candidate')),
    aggregate_id uuid NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
