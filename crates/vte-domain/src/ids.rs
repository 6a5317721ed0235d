//! Typed identifiers: one UUID newtype per aggregate so an offer id can never be passed where an
//! application id is expected. New ids are UUIDv7 (time-ordered, index-friendly); any non-nil
//! UUID is accepted when parsing ids that clients or other services send.

use crate::InvalidValue;
use std::fmt;
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[derive(serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        // No `Default`: a default that silently mints a fresh id would hide where ids come from.
        #[allow(clippy::new_without_default)]
        impl $name {
            /// A fresh, time-ordered id (UUIDv7).
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Parses the textual form of a UUID (hyphenated, simple, braced or URN); the nil
            /// UUID is rejected because it is what an unset field decodes to.
            pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
                parse_uuid(raw).map(Self)
            }

            /// Wraps a UUID read from storage.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The underlying UUID, e.g. to bind in a query.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidValue;

            fn from_str(raw: &str) -> Result<Self, InvalidValue> {
                Self::parse(raw)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }
    };
}

fn parse_uuid(raw: &str) -> Result<Uuid, InvalidValue> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(InvalidValue::new("must not be empty"));
    }
    let uuid = Uuid::try_parse(raw).map_err(|_| {
        InvalidValue::new("must be a UUID such as 0190f5a2-3c4d-7e8f-9a0b-1c2d3e4f5a6b")
    })?;
    if uuid.is_nil() {
        return Err(InvalidValue::new("must not be the nil UUID"));
    }
    Ok(uuid)
}

typed_id!(
    /// Identifies a company's job offer.
    OfferId
);
typed_id!(
    /// Identifies a candidate's application to an offer.
    ApplicationId
);
typed_id!(
    /// Identifies a placement: the VTE contract that follows a hire.
    PlacementId
);
typed_id!(
    /// Identifies a candidate (a student or young graduate) across services.
    CandidateId
);
typed_id!(
    /// Identifies a school that pushes its students' profiles.
    SchoolId
);
typed_id!(
    /// Identifies an event in the envelope of every Kafka message.
    EventId
);
typed_id!(
    /// Identifies one Bpifrance label decision on a completed placement.
    LabelDecisionId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_id_is_a_version_7_uuid() {
        assert_eq!(OfferId::new().as_uuid().get_version_num(), 7);
    }

    #[test]
    fn new_ids_are_ordered_by_creation() {
        let first = EventId::new();
        let second = EventId::new();
        assert!(first < second);
    }

    #[test]
    fn an_id_survives_display_and_parse() {
        let id = ApplicationId::new();
        assert_eq!(ApplicationId::parse(&id.to_string()), Ok(id));
    }

    #[test]
    fn an_id_accepts_surrounding_spaces_and_uppercase() {
        let id = CandidateId::parse(" 0190F5A2-3C4D-7E8F-9A0B-1C2D3E4F5A6B ");
        assert_eq!(
            id.map(|id| id.to_string()),
            Ok("0190f5a2-3c4d-7e8f-9a0b-1c2d3e4f5a6b".to_owned())
        );
    }

    #[test]
    fn an_id_rejects_text_that_is_not_a_uuid() {
        let error = SchoolId::parse("school-42").unwrap_err();
        assert!(error.rule().starts_with("must be a UUID"));
    }

    #[test]
    fn an_id_rejects_empty_and_nil() {
        assert_eq!(
            PlacementId::parse("").unwrap_err().rule(),
            "must not be empty"
        );
        assert_eq!(
            LabelDecisionId::parse("00000000-0000-0000-0000-000000000000")
                .unwrap_err()
                .rule(),
            "must not be the nil UUID"
        );
    }

    #[test]
    fn an_id_serializes_as_a_bare_uuid_string() {
        let id = OfferId::parse("0190f5a2-3c4d-7e8f-9a0b-1c2d3e4f5a6b").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"0190f5a2-3c4d-7e8f-9a0b-1c2d3e4f5a6b\"");
        assert_eq!(serde_json::from_str::<OfferId>(&json).unwrap(), id);
    }
}
