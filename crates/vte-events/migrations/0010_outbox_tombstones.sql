-- Version 10: versions 2 to 9 are left to vte-service's pieces (its erasure table is 2).
-- A row without a payload is a tombstone: the relay publishes it with a null value, so that a
-- compacted topic forgets the key's earlier records (an erased candidate's events).
ALTER TABLE outbox ALTER COLUMN payload DROP NOT NULL;
