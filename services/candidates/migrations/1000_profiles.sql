-- Students' profiles pushed by schools. A profile is keyed by the platform's candidate id and,
-- for the school, by (school_id, school_student_ref). Its parts are kept as JSON documents
-- written and read by the service's domain types; `status` and `matchable` are copied out for
-- listing.
CREATE TABLE profiles (
    id                 uuid        PRIMARY KEY,
    school_id          uuid        NOT NULL,
    school_student_ref text        NOT NULL,
    status             text        NOT NULL CHECK (status IN ('student', 'graduate')),
    matchable          boolean     NOT NULL,
    schooling          jsonb       NOT NULL,
    preferences        jsonb       NOT NULL,
    consent            jsonb       NOT NULL,
    labels             jsonb       NOT NULL DEFAULT '[]',
    revision           bigint      NOT NULL CHECK (revision >= 1),
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    UNIQUE (school_id, school_student_ref)
);

-- Personal contact data, apart from the profile: read only by LookupContact (the candidate
-- themself and the platform's services), never in an event or a log.
CREATE TABLE contacts (
    candidate_id uuid        PRIMARY KEY REFERENCES profiles (id) ON DELETE CASCADE,
    first_name   text        NOT NULL,
    last_name    text        NOT NULL,
    email        text        NOT NULL,
    phone        text,
    updated_at   timestamptz NOT NULL
);

-- GDPR erasures. The profile and the contact data are deleted; what remains is an opaque
-- candidate id, the school, who asked and when, and a digest of the school's reference so that
-- a school's nightly re-push does not bring the person back.
CREATE TABLE erasures (
    id                  uuid        PRIMARY KEY,
    candidate_id        uuid        NOT NULL UNIQUE,
    school_id           uuid        NOT NULL,
    school_ref_digest   bytea       NOT NULL,
    requested_by_role   integer     NOT NULL,
    requested_by_sub    text        NOT NULL,
    requested_by_tenant text,
    requested_at        timestamptz NOT NULL,
    completed_at        timestamptz,
    UNIQUE (school_id, school_ref_digest)
);

-- Each service's confirmation of an erasure (NULL until it confirms).
CREATE TABLE erasure_service_confirmations (
    erasure_id   uuid        NOT NULL REFERENCES erasures (id),
    service      integer     NOT NULL,
    confirmed_at timestamptz,
    PRIMARY KEY (erasure_id, service)
);
