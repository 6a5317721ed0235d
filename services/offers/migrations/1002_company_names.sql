-- The name each company (by SIREN) first gave on an offer. No verified register of companies is
-- reachable from the platform, so this binds the name to the SIREN on first use: a later offer of
-- the same SIREN must carry the same name (compared without case and runs of spaces), which stops
-- one company's token from posting under another company's name. Renaming is an operator's edit
-- of this row.
CREATE TABLE company_names (
    siren         text        PRIMARY KEY,
    name          text        NOT NULL,
    registered_at timestamptz NOT NULL
);

-- Offers written before this table: each SIREN keeps the name of its oldest offer that has one.
INSERT INTO company_names (siren, name, registered_at)
SELECT DISTINCT ON (company_siren) company_siren, btrim(spec->>'company_name'), created_at
FROM offers
WHERE btrim(coalesce(spec->>'company_name', '')) <> ''
ORDER BY company_siren, created_at, id;
