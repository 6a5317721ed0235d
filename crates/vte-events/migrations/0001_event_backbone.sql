-- The event backbone's tables. Every service applies this migration: vte-events merges it into
-- the service's own migrator (versions below 1000 belong to the backbone, a service's own
-- migrations are numbered from 1000), so it exists once, here.

-- Events committed with the state change they describe, waiting for the relay to publish them.
-- `id` follows commit order within one key: appending takes a per-key transaction lock.
CREATE TABLE outbox (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic       text        NOT NULL,  -- logical topic (vte.offers.v1); the relay adds the namespace
    message_key text        NOT NULL,  -- the aggregate id, also the Kafka key
    event_id    uuid        NOT NULL UNIQUE,
    payload     bytea       NOT NULL,  -- the encoded protobuf envelope
    traceparent text,                  -- W3C trace context of the transaction that appended it
    tracestate  text,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Events a consumer of this service has handled, recorded in the handler's own transaction so a
-- redelivered event changes nothing.
CREATE TABLE processed_events (
    event_id     uuid        PRIMARY KEY,
    topic        text        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX processed_events_processed_at ON processed_events (processed_at);
