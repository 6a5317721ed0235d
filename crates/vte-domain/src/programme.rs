//! The generations of the Territoires d'industrie programme, which a territory, an offer's
//! location and the scheme's rules are dated by.

use std::fmt;

/// A generation of the Territoires d'industrie programme; the current one is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Programme {
    /// The first programme, 2018-2022 (149 territories), kept for history.
    Ti2018_2022,
    /// The current programme, 2023-2027 (183 territories).
    #[default]
    Ti2023_2027,
}

impl Programme {
    /// Both programmes, oldest first.
    pub const ALL: [Programme; 2] = [Self::Ti2018_2022, Self::Ti2023_2027];

    /// The years it covers, e.g. `"2023-2027"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ti2018_2022 => "2018-2022",
            Self::Ti2023_2027 => "2023-2027",
        }
    }

    /// The first and last year of validity.
    pub const fn years(self) -> (u16, u16) {
        match self {
            Self::Ti2018_2022 => (2018, 2022),
            Self::Ti2023_2027 => (2023, 2027),
        }
    }

    /// Its position in [`Programme::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }
}

impl Programme {
    /// Parses the years as written by [`as_str`](Self::as_str), e.g. `"2018-2022"`.
    pub fn parse(raw: &str) -> Result<Self, crate::InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|programme| programme.as_str() == raw.trim())
            .ok_or_else(|| crate::InvalidValue::new("must be \"2018-2022\" or \"2023-2027\""))
    }
}

crate::serde_str::serde_as_str!(Programme);

impl fmt::Display for Programme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
