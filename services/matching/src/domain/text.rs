//! How free text of offers and profiles is compared: skills and fields of study match case- and
//! accent-insensitively (`"Génie Mécanique"` is `"genie mecanique"`), and a field of study that
//! shares a significant word with one the offer seeks counts as a partial match.

/// The comparison key of a skill or a field of study: lower case, accents folded, every run of
/// non-alphanumeric characters made one space, trimmed.
pub fn normalize(raw: &str) -> String {
    let mut key = String::with_capacity(raw.len());
    let mut gap = false;
    for c in raw.chars().flat_map(char::to_lowercase) {
        let c = fold_accent(c);
        if c.is_alphanumeric() || c == '+' || c == '#' {
            if gap && !key.is_empty() {
                key.push(' ');
            }
            gap = false;
            key.push(c);
        } else {
            gap = true;
        }
    }
    key
}

fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        'œ' => 'o',
        'æ' => 'a',
        other => other,
    }
}

/// Words too common to make two fields of study related.
const STOP_WORDS: [&str; 12] = [
    "de",
    "des",
    "du",
    "la",
    "le",
    "les",
    "et",
    "en",
    "aux",
    "pour",
    "management",
    "sciences",
];

/// How closely a candidate's field of study (a key from [`normalize`]) fits the fields an offer
/// seeks (keys too): 1 when it is one of them, [`RELATED_FIELD`] when it shares a significant
/// word (four letters or more, not a stop word) with one, 0 otherwise. An offer seeking no
/// particular field accepts every field: 1.
pub fn field_fit(candidate: &str, sought: &[String]) -> f32 {
    if sought.is_empty() || sought.iter().any(|field| field == candidate) {
        return 1.0;
    }
    let related = significant_words(candidate).any(|word| {
        sought
            .iter()
            .any(|field| significant_words(field).any(|w| w == word))
    });
    if related { RELATED_FIELD } else { 0.0 }
}

/// The value of a field of study related to, but not the same as, one the offer seeks.
pub const RELATED_FIELD: f32 = 0.6;

fn significant_words(key: &str) -> impl Iterator<Item = &str> {
    key.split(' ')
        .filter(|word| word.chars().count() >= 4 && !STOP_WORDS.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_accents_and_punctuation_do_not_matter() {
        assert_eq!(normalize("  Génie   Mécanique "), "genie mecanique");
        assert_eq!(normalize("SolidWorks"), "solidworks");
        assert_eq!(normalize("Lean-Management"), "lean management");
        assert_eq!(normalize("C++"), "c++");
    }

    #[test]
    fn a_field_fits_fully_partly_or_not_at_all() {
        let sought = vec![normalize("Génie mécanique"), normalize("Productique")];
        assert_eq!(field_fit(&normalize("génie mécanique"), &sought), 1.0);
        assert_eq!(
            field_fit(&normalize("mécanique des fluides"), &sought),
            RELATED_FIELD
        );
        assert_eq!(field_fit(&normalize("marketing digital"), &sought), 0.0);
        assert_eq!(
            field_fit(
                &normalize("sciences de gestion"),
                &[normalize("sciences politiques")]
            ),
            0.0
        );
        assert_eq!(field_fit(&normalize("histoire"), &[]), 1.0);
    }
}
