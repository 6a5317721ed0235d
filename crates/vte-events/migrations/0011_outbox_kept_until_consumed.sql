-- Version 11. On a broker that keeps nothing across a crash (the embedded one of `vte up`), the
-- relay does not delete a published row: it records where the row went (partition and offset),
-- the keeper deletes it once every consumer group reading its topic has committed past it, and
-- a relay that finds the broker without it (a fresh broker after a crash) publishes it again.
-- On a durable broker the relay deletes rows on acknowledgement and these columns stay NULL.
ALTER TABLE outbox
    ADD COLUMN published_at    timestamptz,
    ADD COLUMN kafka_partition integer,
    ADD COLUMN kafka_offset    bigint;
-- What the relay still has to publish.
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
-- What consumers have not yet committed past, by partition.
CREATE INDEX outbox_kept ON outbox (topic, kafka_partition, kafka_offset)
    WHERE published_at IS NOT NULL;
