-- Erasure reaches every recipient, and a deleted webhook keeps no secret.

-- The candidate a notification's fact (an application, a placement) is about, whoever
-- receives it: erasing the candidate finds here the company's, the school's and Bpifrance's
-- notifications that carry them, clears the fact they carry and this column.
ALTER TABLE notifications ADD COLUMN about_candidate uuid;
CREATE INDEX notifications_about_candidate ON notifications (about_candidate)
    WHERE about_candidate IS NOT NULL;
-- Notifications written before the column carry their fact without it: an erasure searches
-- their bytes for the candidate's id, through this index of them only (it empties as they are
-- erased or expire; new rows never enter it).
CREATE INDEX notifications_fact_unattributed ON notifications (id)
    WHERE about_candidate IS NULL AND subject IS NOT NULL;

-- A deleted webhook's signing secret is forgotten (deletion overwrites it from now on).
UPDATE webhooks SET secret = '' WHERE deleted_at IS NOT NULL;
