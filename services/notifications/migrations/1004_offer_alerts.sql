-- Offer alerts told: a new offer told to a candidate it fits (matching's OffersSuggested with
-- the trigger OFFER_PUBLISHED). What the frequency cap counts (notifications.offer_alerts:
-- per_day, per_week). A row lives and dies with its notification: the candidate's erasure,
-- which deletes their notifications, takes it too. Ids and times only.
CREATE TABLE offer_alerts (
    notification_id uuid        PRIMARY KEY REFERENCES notifications (id) ON DELETE CASCADE,
    candidate_id    uuid        NOT NULL,
    -- The offer told (the first, should an alert carry several).
    offer_id        uuid        NOT NULL,
    alerted_at      timestamptz NOT NULL
);
-- A candidate's alerts of the last week, newest first.
CREATE INDEX offer_alerts_recent ON offer_alerts (candidate_id, alerted_at DESC);
