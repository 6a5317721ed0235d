-- Invitations to apply (issue 15, item 7): a company that found a candidate in a ranking
-- invites them to apply to one of its published offers; the candidate decides. No contact data
-- here: the candidate is named by id, as in rankings. PENDING ends ACCEPTED (with the
-- application made after it), DECLINED or EXPIRED (the offer ended first).
CREATE TABLE invitations (
    id                uuid        PRIMARY KEY,
    offer_id          uuid        NOT NULL REFERENCES offers (id),
    company_siren     text        NOT NULL,
    candidate_id      uuid        NOT NULL,
    status            text        NOT NULL
        CHECK (status IN ('PENDING', 'ACCEPTED', 'DECLINED', 'EXPIRED')),
    message           text        NOT NULL DEFAULT '',
    invited_role      text        NOT NULL,
    invited_subject   text        NOT NULL,
    invited_tenant    text        NOT NULL DEFAULT '',
    invited_at        timestamptz NOT NULL,
    answered_role     text,
    answered_subject  text,
    answered_tenant   text,
    answered_at       timestamptz,
    application_id    uuid        REFERENCES applications (id),
    decline_reason    text        NOT NULL DEFAULT '',
    revision          bigint      NOT NULL CHECK (revision >= 1),
    updated_at        timestamptz NOT NULL,
    CHECK ((status = 'ACCEPTED') = (application_id IS NOT NULL))
);
-- One pending invitation per offer and candidate.
CREATE UNIQUE INDEX invitations_one_pending_per_offer ON invitations (offer_id, candidate_id)
    WHERE status = 'PENDING';
-- Lists are most recently changed first, by an (updated_at, id) cursor.
CREATE INDEX invitations_offer ON invitations (offer_id, updated_at DESC, id DESC);
CREATE INDEX invitations_candidate ON invitations (candidate_id, updated_at DESC, id DESC);
-- The company's daily allowance counts what it sent in the last 24 hours.
CREATE INDEX invitations_company_sent ON invitations (company_siren, invited_at);
