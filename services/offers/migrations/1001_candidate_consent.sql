-- Whether each candidate consents, as their profile's latest event applied here says: a school or
-- an operator applies for a candidate only while they consent, and a company reads the contact
-- data of an application only while the candidate consents or when they applied themself.
-- NULL until a profile event carrying consent is applied (rows from before this column, and
-- erased candidates): treated as no consent.
ALTER TABLE candidates ADD COLUMN consent_given boolean;
