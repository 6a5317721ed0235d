//! Comparing commune names as people type them: case, accents, hyphens and apostrophes do not
//! matter, and `St`/`Ste` stand for `Saint`/`Sainte` (`st-etienne` finds Saint-Étienne).

/// The name in lowercase ASCII words separated by single spaces.
pub(crate) fn fold(name: &str) -> String {
    let mut plain = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        match c {
            'a'..='z' | '0'..='9' => plain.push(c),
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => plain.push('a'),
            'ç' => plain.push('c'),
            'è' | 'é' | 'ê' | 'ë' => plain.push('e'),
            'ì' | 'í' | 'î' | 'ï' => plain.push('i'),
            'ñ' => plain.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => plain.push('o'),
            'ù' | 'ú' | 'û' | 'ü' => plain.push('u'),
            'ý' | 'ÿ' => plain.push('y'),
            'œ' => plain.push_str("oe"),
            'æ' => plain.push_str("ae"),
            _ => plain.push(' '),
        }
    }
    let mut folded = String::with_capacity(plain.len());
    for word in plain.split_whitespace() {
        if !folded.is_empty() {
            folded.push(' ');
        }
        folded.push_str(match word {
            "st" => "saint",
            "ste" => "sainte",
            other => other,
        });
    }
    folded
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn case_accents_and_punctuation_do_not_matter() {
        assert_eq!(fold("L'Abergement-Clémenciat"), "l abergement clemenciat");
        assert_eq!(
            fold("  l abergement   CLEMENCIAT "),
            "l abergement clemenciat"
        );
        assert_eq!(fold("Œuilly"), "oeuilly");
    }

    #[test]
    fn st_and_ste_stand_for_saint_and_sainte() {
        assert_eq!(fold("St-Étienne"), fold("Saint-Étienne"));
        assert_eq!(fold("Ste Foy"), "sainte foy");
        assert_eq!(fold("Stenay"), "stenay");
    }
}
