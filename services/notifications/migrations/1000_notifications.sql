-- The notifications service's own schema: notifications (the in-app list and what every channel
-- delivers), deliveries (one per notification and channel, with retries: the delivery log),
-- recipients' preferences, school and Bpifrance webhooks, and the read models the texts and
-- reminders need (offers, applications, erased candidates).

-- A recipient is (recipient_role, recipient_tenant): 'company' + SIREN, 'school' + school id,
-- 'candidate' + candidate id, 'bpifrance' + ''.

CREATE TABLE notifications (
    id               uuid        PRIMARY KEY,
    -- The event it came from, or for a reminder the application it is about.
    source_id        uuid        NOT NULL,
    recipient_role   text        NOT NULL,
    recipient_tenant text        NOT NULL,
    kind             text        NOT NULL,
    title            text        NOT NULL,
    body             text        NOT NULL,
    link             text        NOT NULL DEFAULT '',
    subject_id       uuid,
    occurred_at      timestamptz NOT NULL,
    -- The fact in full for webhooks: 'application' or 'placement', encoded as on the wire.
    subject_type     text,
    subject          bytea,
    -- Whether it shows in the recipient's in-app list (their preferences allowed it).
    in_app           boolean     NOT NULL,
    created_at       timestamptz NOT NULL,
    read_at          timestamptz,
    -- Exactly one notification per (fact, recipient, kind), whatever the redeliveries.
    CONSTRAINT notifications_once UNIQUE (source_id, recipient_role, recipient_tenant, kind)
);
-- A recipient's in-app list, newest first, by a (created_at, id) cursor.
CREATE INDEX notifications_inbox ON notifications
    (recipient_role, recipient_tenant, created_at DESC, id DESC) WHERE in_app;
CREATE INDEX notifications_unread ON notifications (recipient_role, recipient_tenant)
    WHERE in_app AND read_at IS NULL;

CREATE TABLE webhooks (
    id           uuid        PRIMARY KEY,
    owner_role   text        NOT NULL,
    owner_tenant text        NOT NULL,
    url          text        NOT NULL,
    -- The signing secret as given to the owner (base64url of 32 random bytes).
    secret       text        NOT NULL,
    -- Kinds delivered; empty means every kind the owner receives.
    kinds        text[]      NOT NULL,
    created_at   timestamptz NOT NULL,
    deleted_at   timestamptz
);
CREATE INDEX webhooks_owner ON webhooks (owner_role, owner_tenant, created_at)
    WHERE deleted_at IS NULL;

-- One delivery of one notification over one channel (and webhook). No message body, address
-- or personal data: the worker composes the message at delivery time.
CREATE TABLE deliveries (
    id               uuid        PRIMARY KEY,
    notification_id  uuid        NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    kind             text        NOT NULL,
    recipient_role   text        NOT NULL,
    recipient_tenant text        NOT NULL,
    channel          text        NOT NULL,   -- IN_APP, EMAIL, WEBHOOK
    webhook_id       uuid        REFERENCES webhooks (id),
    status           text        NOT NULL,   -- PENDING, RETRYING, DELIVERED, FAILED
    -- Emails gathered into the recipient's daily digest of the kind.
    digest           boolean     NOT NULL DEFAULT false,
    attempts         integer     NOT NULL DEFAULT 0,
    -- When it is due (pending, retrying, digest) or until when a worker holds it.
    next_attempt_at  timestamptz,
    first_attempt_at timestamptz,
    last_attempt_at  timestamptz,
    delivered_at     timestamptz,
    last_http_status integer     NOT NULL DEFAULT 0,
    -- A class of error ("timeout", "http_status", "smtp_rejected", "recipient_unknown"), never
    -- a payload or an address.
    last_error       text        NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL,
    -- Exactly one delivery per (notification, channel, webhook).
    CONSTRAINT deliveries_once UNIQUE NULLS NOT DISTINCT (notification_id, channel, webhook_id)
);
-- The worker's queue: due deliveries, soonest first.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at)
    WHERE status IN ('PENDING', 'RETRYING');
-- Dead letters of an owner's webhooks, most recent first.
CREATE INDEX deliveries_dead_letters ON deliveries
    (recipient_role, recipient_tenant, last_attempt_at DESC, id DESC)
    WHERE channel = 'WEBHOOK' AND status = 'FAILED';

-- A recipient's choice for one kind; absent means enabled and immediate.
CREATE TABLE preferences (
    recipient_role   text    NOT NULL,
    recipient_tenant text    NOT NULL,
    kind             text    NOT NULL,
    enabled          boolean NOT NULL,
    cadence          text    NOT NULL,       -- IMMEDIATE, DAILY_DIGEST
    PRIMARY KEY (recipient_role, recipient_tenant, kind)
);

-- What vte.offers.v1 said of each offer, for the texts.
CREATE TABLE offers (
    id            uuid   PRIMARY KEY,
    company_siren text   NOT NULL,
    title         text   NOT NULL,
    company_name  text   NOT NULL,
    commune       text   NOT NULL,
    revision      bigint NOT NULL
);

-- What vte.applications.v1 said of each application, for the reminders.
CREATE TABLE applications (
    id            uuid        PRIMARY KEY,
    offer_id      uuid        NOT NULL,
    company_siren text        NOT NULL,
    -- Cleared when the candidate is erased.
    candidate_id  uuid,
    status        text        NOT NULL,
    submitted_at  timestamptz NOT NULL,
    revision      bigint      NOT NULL,
    -- When the company was reminded of it (once).
    reminded_at   timestamptz
);
CREATE INDEX applications_unanswered ON applications (submitted_at)
    WHERE status = 'SUBMITTED' AND reminded_at IS NULL;
CREATE INDEX applications_candidate ON applications (candidate_id);

-- Candidates erased: never notified again, whatever event arrives late about them. Only the
-- opaque id is kept.
CREATE TABLE erased_candidates (
    candidate_id uuid        PRIMARY KEY,
    erased_at    timestamptz NOT NULL
);
