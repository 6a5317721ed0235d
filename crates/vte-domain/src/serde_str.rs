//! Serde support for value types written as strings: serialized with `Display`, deserialized
//! through `parse`, so a value read from JSON is checked by the same rules as one read at the edge.

/// Implements `Serialize` (via `Display`) and `Deserialize` (via `parse`) for a value type.
macro_rules! serde_as_str {
    ($type:ty) => {
        impl serde::Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                <$type>::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use serde_as_str;
