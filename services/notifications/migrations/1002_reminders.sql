-- The reminders before an offer expires and while completed VTEs await their label.

-- Each offer's status and the day it expires (its application deadline, else its start date),
-- and which expiry day its company was last reminded of: a deadline pushed back is reminded
-- again as it nears.
ALTER TABLE offers ADD COLUMN status text NOT NULL DEFAULT '';
ALTER TABLE offers ADD COLUMN expires_on date;
ALTER TABLE offers ADD COLUMN expiry_reminded_for date;
CREATE INDEX offers_expiring ON offers (expires_on) WHERE status = 'PUBLISHED';

-- Completed VTEs whose label Bpifrance has not decided yet: the offer's facts for the text
-- (no person's data), from the completion until the decision.
CREATE TABLE placements_awaiting_label (
    placement_id uuid        PRIMARY KEY,
    offer_title  text        NOT NULL,
    company_name text        NOT NULL,
    commune      text        NOT NULL,
    completed_at timestamptz NOT NULL,
    -- When Bpifrance was reminded of it (once).
    reminded_at  timestamptz
);
CREATE INDEX placements_awaiting_label_due ON placements_awaiting_label (completed_at)
    WHERE reminded_at IS NULL;
