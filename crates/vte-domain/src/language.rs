//! Languages listed on offers and profiles: the language as an ISO 639-1 code and the level as a
//! CEFR level (A1 to C2), the scale schools and companies in France already use.

use crate::InvalidValue;
use crate::ascii;
use crate::serde_str::serde_as_str;
use std::fmt;

/// A level of the Common European Framework of Reference for Languages, A1 (lowest) to C2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CefrLevel {
    /// Breakthrough.
    A1,
    /// Waystage.
    A2,
    /// Threshold.
    B1,
    /// Vantage.
    B2,
    /// Effective operational proficiency.
    C1,
    /// Mastery.
    C2,
}

impl CefrLevel {
    /// Every level, lowest first.
    pub const ALL: [CefrLevel; 6] = [Self::A1, Self::A2, Self::B1, Self::B2, Self::C1, Self::C2];

    /// The level's code, e.g. `"B2"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::A1 => "A1",
            Self::A2 => "A2",
            Self::B1 => "B1",
            Self::B2 => "B2",
            Self::C1 => "C1",
            Self::C2 => "C2",
        }
    }

    /// Parses `B2` or `b2`.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(raw))
            .ok_or_else(|| InvalidValue::new("must be a CEFR level: A1, A2, B1, B2, C1 or C2"))
    }
}

impl fmt::Display for CefrLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for CefrLevel {
    type Err = InvalidValue;

    fn from_str(raw: &str) -> Result<Self, InvalidValue> {
        Self::parse(raw)
    }
}

serde_as_str!(CefrLevel);

/// An ISO 639-1 language code, two lowercase letters such as `en` or `de`.
///
/// Uppercase input is accepted and stored lowercase; codes outside ISO 639-1 are rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LanguageCode([u8; 2]);

impl LanguageCode {
    /// Parses a two-letter code that ISO 639-1 assigns.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let raw = raw.trim();
        let bytes = raw.as_bytes();
        if bytes.len() != 2 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return Err(InvalidValue::new(
                "must be a two-letter ISO 639-1 language code, e.g. en",
            ));
        }
        let code = [bytes[0].to_ascii_lowercase(), bytes[1].to_ascii_lowercase()];
        if ISO_639_1.binary_search(&code).is_err() {
            return Err(InvalidValue::new(format!(
                "{} is not an ISO 639-1 language code",
                ascii::as_str(&code)
            )));
        }
        Ok(Self(code))
    }

    /// The code, e.g. `"en"`.
    pub fn as_str(&self) -> &str {
        ascii::as_str(&self.0)
    }
}

impl fmt::Display for LanguageCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for LanguageCode {
    type Err = InvalidValue;

    fn from_str(raw: &str) -> Result<Self, InvalidValue> {
        Self::parse(raw)
    }
}

serde_as_str!(LanguageCode);

/// The ISO 639-1 codes, sorted (as listed by the Debian `iso-codes` 4.15 package).
const ISO_639_1: [[u8; 2]; 184] = {
    const CODES: &[u8; 184 * 2] = b"aaabaeafakamanarasavayazbabebgbhbibmbnbobrbscacechcocrcscucvcy\
dadedvdzeeeleneoeseteufafffifjfofrfygagdglgngugvhahehihohrhthuhyhzia\
idieigiiikioisitiujajvkakgkikjkkklkmknkokrkskukvkwkylalblglilnloltlu\
lvmgmhmimkmlmnmrmsmtmynanbndnengnlnnnonrnvnyocojomorospapiplpsptqurm\
rnrorurwsascsdsesgsiskslsmsnsosqsrssstsusvswtatetgthtitktltntotrtstt\
twtyugukuruzvevivowawoxhyiyozazhzu";
    let mut codes = [[0u8; 2]; 184];
    let mut i = 0;
    while i < 184 {
        codes[i] = [CODES[2 * i], CODES[2 * i + 1]];
        i += 1;
    }
    codes
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_table_is_sorted_so_binary_search_works() {
        assert!(ISO_639_1.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn a_language_code_is_stored_lowercase() {
        assert_eq!(LanguageCode::parse("EN").unwrap().as_str(), "en");
        assert_eq!(LanguageCode::parse("de").unwrap().as_str(), "de");
        assert_eq!(LanguageCode::parse("zu").unwrap().as_str(), "zu");
    }

    #[test]
    fn a_language_code_must_be_two_letters_assigned_by_iso_639_1() {
        assert_eq!(
            LanguageCode::parse("eng").unwrap_err().rule(),
            "must be a two-letter ISO 639-1 language code, e.g. en"
        );
        assert_eq!(
            LanguageCode::parse("e1").unwrap_err().rule(),
            "must be a two-letter ISO 639-1 language code, e.g. en"
        );
        assert_eq!(
            LanguageCode::parse("xx").unwrap_err().rule(),
            "xx is not an ISO 639-1 language code"
        );
    }

    #[test]
    fn cefr_levels_are_ordered_and_read_in_either_case() {
        assert_eq!(CefrLevel::parse("b2"), Ok(CefrLevel::B2));
        assert!(CefrLevel::A1 < CefrLevel::C2);
        assert_eq!(
            CefrLevel::parse("fluent").unwrap_err().rule(),
            "must be a CEFR level: A1, A2, B1, B2, C1 or C2"
        );
    }
}
