-- A row without a payload is a tombstone: the relay publishes it with a null value, so that a
-- compacted topic forgets the key's earlier records (an erased candidate's events).
ALTER TABLE outbox ALTER COLUMN payload DROP NOT NULL;
