-- Why each erasure was made: a person's request (every erasure made before this column) or the
-- retention sweep (a graduate past the recency window, idle for the retention period).
ALTER TABLE erasures
    ADD COLUMN reason text NOT NULL DEFAULT 'request' CHECK (reason IN ('request', 'retention'));

-- The retention sweep looks for graduates unchanged for a long time, oldest first.
CREATE INDEX profiles_idle_graduates ON profiles (updated_at) WHERE status = 'graduate';
