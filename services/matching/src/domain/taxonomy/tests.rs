use super::*;

fn field(text: &str) -> Vec<Discipline> {
    fields().read(&normalize(text))
}

fn closeness(a: &str, b: &str) -> f32 {
    fields().closeness(&field(a), &field(b))
}

fn skill(text: &str) -> SkillKeys {
    skills().read(&normalize(text))
}

#[test]
fn the_vocabularies_built_into_the_binary_are_valid() {
    assert!(!fields().discipline_ids.is_empty());
    assert!(!skills().skills.is_empty());
    assert!(version().starts_with("fields 2026-12-06, skills 2026-12-06"));
}

#[test]
fn disciplines_sharing_only_a_word_are_not_related() {
    assert_eq!(closeness("Génie civil", "Génie mécanique"), 0.0);
    assert_eq!(closeness("Master finance", "Master marketing"), 0.0);
    assert_eq!(
        closeness("Commerce international", "Droit international"),
        0.0
    );
}

#[test]
fn synonyms_acronyms_and_english_labels_name_one_discipline() {
    assert_eq!(closeness("Supply chain", "Logistique"), 1.0);
    assert_eq!(
        closeness("GEII", "Génie électrique et informatique industrielle"),
        1.0
    );
    assert_eq!(closeness("Mechanical Engineering", "Génie mécanique"), 1.0);
    assert_eq!(closeness("BUT GMP", "génie mécanique et productique"), 1.0);
    assert_eq!(
        closeness("TC – Business international", "Commerce international"),
        1.0
    );
    // The longest label wins: "comptabilité contrôle audit" is the accounting discipline, of
    // the same family as audit.
    assert_eq!(
        closeness("Comptabilité – contrôle – audit (CCA)", "Audit"),
        0.7
    );
    assert_eq!(closeness("CCA", "Comptabilité"), 1.0);
}

#[test]
fn related_disciplines_get_partial_credit_by_closeness_in_the_taxonomy() {
    // The same family.
    assert_eq!(closeness("Productique", "Génie mécanique"), 0.7);
    assert_eq!(
        closeness("Contrôle de gestion", "Finance d'entreprise"),
        0.7
    );
    // Related families.
    assert_eq!(closeness("Génie industriel", "Génie mécanique"), 0.35);
    assert_eq!(closeness("Matériaux polymères", "Génie des procédés"), 0.35);
    // Unrelated families.
    assert_eq!(closeness("Marketing B2B", "Génie mécanique"), 0.0);
    // A field no label reads is close to nothing.
    assert!(field("Astrologie appliquée").is_empty());
    assert_eq!(closeness("Astrologie appliquée", "Génie mécanique"), 0.0);
}

#[test]
fn the_longest_label_wins_and_a_field_may_name_two_disciplines() {
    let innovation = field("Management de l'innovation");
    assert_eq!(innovation.len(), 1);
    assert_eq!(fields().discipline_id(innovation[0]), "innovation");
    let two = field("Langues étrangères appliquées au commerce international");
    let ids: Vec<&str> = two.iter().map(|d| fields().discipline_id(*d)).collect();
    assert_eq!(ids, ["lea", "commerce-international"]);
}

#[test]
fn studies_prepare_for_mission_types_by_their_family() {
    let technologie = 2;
    let finance = 3;
    let mechanical = field("Génie mécanique");
    let marketing = field("Commerce international");
    let f = fields();
    assert_eq!(f.competence(&mechanical, technologie), Some(1.0));
    assert_eq!(f.competence(&marketing, technologie), Some(0.0));
    assert!(
        f.competence(&field("Corporate Finance"), finance) > f.competence(&mechanical, finance)
    );
    assert_eq!(f.competence(&[], technologie), None);
}

#[test]
fn skill_variants_of_case_version_and_parentheses_are_one_skill() {
    assert_eq!(skill("SolidWorks").exact, skill("CAO SolidWorks").exact);
    assert_eq!(skill("CAO (SolidWorks)").exact, ["s:solidworks"]);
    assert_eq!(skill("Python").exact, skill("python 3").exact);
    assert_eq!(skill("Lean").exact, skill("Lean management").exact);
    assert_eq!(skill("CATIA V5").exact, ["s:catia"]);
    assert_eq!(skill("CATIA V5").families, ["f:cao"]);
    let both = skill("Lean Six Sigma (Green Belt)");
    assert_eq!(both.exact, ["s:lean", "s:six-sigma"]);
}

#[test]
fn a_tool_family_label_names_the_family_and_unknown_texts_stay_themselves() {
    assert_eq!(skill("CAO").exact, ["f:cao"]);
    assert_eq!(skill("Gurobi 9").exact, ["t:gurobi"]);
    // A one-letter label is read only alone: "R&D" is not the R language.
    assert_eq!(skill("R").exact, ["s:r"]);
    assert_eq!(skill("R&D").exact, ["t:r d"]);
}
