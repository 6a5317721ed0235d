-- Erasures a service has applied and still has to confirm to the candidates service
-- (CandidatesService.ConfirmErasure). A consumer of CandidateErased inserts the row in the same
-- transaction as its deletions; vte-service's confirmer calls the candidates service and removes
-- the row once confirmed. Shared by every service that holds candidate data, hence here, once.
CREATE TABLE erasure_confirmations (
    candidate_id    uuid        PRIMARY KEY,
    erasure_id      uuid        NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- Why the last attempt failed (a gRPC status, never personal data); NULL before any failure.
    last_error      text
);
CREATE INDEX erasure_confirmations_due ON erasure_confirmations (next_attempt_at);
