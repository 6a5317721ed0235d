-- Where a company, a school or Bpifrance receives email, as they registered it themselves
-- (UpdatePreferences). Read at delivery time, never copied into deliveries, events or logs.
-- Candidates have no row: their address is their contact data in the candidates service.
CREATE TABLE email_addresses (
    recipient_role   text        NOT NULL CHECK (recipient_role <> 'candidate'),
    recipient_tenant text        NOT NULL,
    email            text        NOT NULL,
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (recipient_role, recipient_tenant)
);
