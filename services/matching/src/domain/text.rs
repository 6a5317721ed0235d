//! How free text of offers and profiles is compared: folded case- and accent-insensitively
//! (`"Génie Mécanique"` is `"genie mecanique"`), then read against the taxonomy
//! ([`super::taxonomy`]): fields of study by the closeness of their disciplines, skills by their
//! canonical keys and tool families.

use super::model::Term;
use super::taxonomy::{self, SkillKeys};

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

/// The field-of-study value when the offer seeks no particular field: neutral, not full marks
/// (an offer that names no field must not outrank one whose field the candidate has).
pub const NO_FIELD_SOUGHT: f32 = 0.5;

/// How closely a candidate's field of study fits the fields an offer seeks: 1 when its text is
/// one of them, otherwise the closeness of their disciplines in the taxonomy
/// ([`Fields::closeness`]: 1 the same discipline, 0.7 the same family, 0.35 related families,
/// 0 else); [`NO_FIELD_SOUGHT`] when the offer seeks none.
pub fn field_fit(candidate: &Term, sought: &[Term]) -> f32 {
    if sought.is_empty() {
        return NO_FIELD_SOUGHT;
    }
    if sought.iter().any(|field| field.key == candidate.key) {
        return 1.0;
    }
    sought
        .iter()
        .map(|field| taxonomy::fields().closeness(&candidate.disciplines, &field.disciplines))
        .fold(0.0, f32::max)
}

/// The credit one skill an offer seeks earns from the keys a candidate holds (their skills'
/// own keys and families', [`SkillKeys::held`], sorted): 1 for the skill itself, the
/// vocabulary's family share for another of its family, 0 otherwise.
pub fn skill_credit(sought: &SkillKeys, held: &[String]) -> f32 {
    let holds = |key: &String| held.binary_search(key).is_ok();
    if sought.exact.iter().any(holds) {
        1.0
    } else if sought.families.iter().any(holds) {
        taxonomy::skills().same_family()
    } else {
        0.0
    }
}

/// The keys a candidate's skills hold, sorted and each once, for [`skill_credit`].
pub fn held_keys(skills: &[Term]) -> Vec<String> {
    let mut held: Vec<String> = skills
        .iter()
        .flat_map(|skill| skill.skill.held().cloned())
        .collect();
    held.sort_unstable();
    held.dedup();
    held
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
    fn a_field_fits_by_the_taxonomy_not_by_a_shared_word() {
        let sought = vec![Term::new("Génie mécanique"), Term::new("Productique")];
        assert_eq!(field_fit(&Term::new("génie mécanique"), &sought), 1.0);
        assert_eq!(
            field_fit(&Term::new("Mechanical Engineering"), &sought),
            1.0
        );
        assert_eq!(field_fit(&Term::new("Génie industriel"), &sought), 0.35);
        assert_eq!(field_fit(&Term::new("Génie civil"), &sought), 0.0);
        assert_eq!(field_fit(&Term::new("marketing digital"), &sought), 0.0);
        assert_eq!(field_fit(&Term::new("histoire"), &[]), NO_FIELD_SOUGHT);
    }

    #[test]
    fn a_skill_is_met_by_itself_in_full_and_by_its_family_by_half() {
        let held = held_keys(&[Term::new("CATIA V5"), Term::new("python 3")]);
        assert_eq!(skill_credit(&Term::new("Catia").skill, &held), 1.0);
        assert_eq!(
            skill_credit(&Term::new("CAO (SolidWorks)").skill, &held),
            0.5
        );
        assert_eq!(skill_credit(&Term::new("CAO").skill, &held), 1.0);
        assert_eq!(skill_credit(&Term::new("Python").skill, &held), 1.0);
        assert_eq!(skill_credit(&Term::new("Excel").skill, &held), 0.0);
    }
}
