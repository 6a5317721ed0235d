-- The label as practised since 2020 (issue 14, item 6): the company requests the label with a
-- dossier, within the window of the scheme's rule set; Bpifrance grants, refuses or asks for the
-- fiche de poste to be reworked; the company or the young person may appeal a refusal. Every
-- request, acknowledgement, decision and appeal is appended, never changed; `label_cases` is the
-- one row per placement the queue and the reminders read, written in the same transaction.

-- Each version of a company's dossier.
CREATE TABLE label_requests (
    id               uuid        PRIMARY KEY,
    placement_id     uuid        NOT NULL REFERENCES placements (id),
    version          integer     NOT NULL CHECK (version >= 1),
    responsibilities text        NOT NULL,
    management_link  text        NOT NULL,
    company_charter  boolean     NOT NULL CHECK (company_charter),
    -- The REWORK_REQUESTED decision a resubmission answers (NULL for version 1).
    answers_decision uuid        REFERENCES label_decisions (id),
    actor_role       text        NOT NULL,
    actor_subject    text        NOT NULL,
    actor_tenant     text        NOT NULL DEFAULT '',
    requested_at     timestamptz NOT NULL,
    UNIQUE (placement_id, version)
);

-- The young person's acknowledgement of the VTE charter, once per placement.
CREATE TABLE label_charter_acknowledgements (
    placement_id    uuid        PRIMARY KEY REFERENCES placements (id),
    actor_role      text        NOT NULL,
    actor_subject   text        NOT NULL,
    actor_tenant    text        NOT NULL DEFAULT '',
    acknowledged_at timestamptz NOT NULL
);

-- Appeals against refusals: one per refusal.
CREATE TABLE label_appeals (
    id              uuid        PRIMARY KEY,
    placement_id    uuid        NOT NULL REFERENCES placements (id),
    appeals         uuid        NOT NULL UNIQUE REFERENCES label_decisions (id),
    reason          text        NOT NULL,
    actor_role      text        NOT NULL,
    actor_subject   text        NOT NULL,
    actor_tenant    text        NOT NULL DEFAULT '',
    appealed_at     timestamptz NOT NULL
);
CREATE INDEX label_appeals_placement ON label_appeals (placement_id, appealed_at, id);

-- A decision names the dossier version or the appeal it answers. Each dossier version gets one
-- decision, each appeal one; the old rule of one first decision per placement gives way to them
-- (a reworked dossier is decided again). Decisions recorded before this migration name neither.
ALTER TABLE label_decisions ADD COLUMN request_id uuid REFERENCES label_requests (id);
ALTER TABLE label_decisions ADD COLUMN appeal_id uuid REFERENCES label_appeals (id);
DROP INDEX label_decisions_first;
CREATE UNIQUE INDEX label_decisions_per_request ON label_decisions (request_id)
    WHERE appeal_id IS NULL AND reconsiders IS NULL;
CREATE UNIQUE INDEX label_decisions_per_appeal ON label_decisions (appeal_id);

-- Where each requested label stands (NOT_REQUESTED cases have no row), with the window it was
-- requested in: the queue reads the pending ones by their window's last day.
CREATE TABLE label_cases (
    placement_id  uuid        PRIMARY KEY REFERENCES placements (id),
    status        text        NOT NULL,   -- REQUESTED, REWORK_REQUESTED, GRANTED, REFUSED, APPEALED
    rule_set_id   text        NOT NULL DEFAULT '',
    window_months integer     NOT NULL,
    closes_on     date        NOT NULL,
    pending_since timestamptz,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX label_queue ON label_cases (closes_on, placement_id)
    WHERE status IN ('REQUESTED', 'APPEALED');

-- The reminders sent to a company before its window closes, once per threshold (30, 7 days).
CREATE TABLE label_request_reminders (
    placement_id uuid        NOT NULL REFERENCES placements (id),
    days_before  integer     NOT NULL,
    closes_on    date        NOT NULL,
    reminded_at  timestamptz NOT NULL,
    PRIMARY KEY (placement_id, days_before)
);
-- The reminder sweep looks placements up by their start.
CREATE INDEX placements_start ON placements (start_date) WHERE status <> 'ENDED_EARLY';
