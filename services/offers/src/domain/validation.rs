//! The rules of an offer's content, checked in one pass that reports **every** violated field
//! at once (paths as in `vte.offers.v1.OfferSpec`: `spec.title`, `spec.languages[2].level`).
//! [`validate_draft`] checks only what is given; [`validate_offer`] also requires every
//! mandatory part and checks the dates against today, for publishing or updating a published
//! offer. Both share the same per-field rules, so a valid draft never hides a format error.

use super::location::Location;
use super::spec::{
    DraftSpec, LanguageRequirement, MAX_FIELDS_OF_STUDY, MAX_LANGUAGES, MAX_SKILLS, NewLanguage,
    NewMoney, NewOffer, NewSalaryRange, OfferSpec, Positions, RemotePolicy, SalaryRange,
};
use super::values::{BoundedText, RawDate};
use chrono::NaiveDate;
use vte_domain::{
    CefrLevel, CompanySize, Contract, ContractKind, EducationLevel, EuroCents, FieldErrors,
    InvalidValue, LanguageCode, LevelRange, MissionType, echo,
};
use vte_reference::ReferenceData;

/// Checks a draft: every part given must be valid (lengths, codes, an existing commune, the
/// rules between two given parts); missing parts and dates in the past are accepted, since a
/// draft is work in progress and time rules apply at publication.
pub fn validate_draft(
    input: &NewOffer,
    reference: &ReferenceData,
) -> Result<DraftSpec, FieldErrors> {
    let (draft, errors) = check(input, reference, Mode::Draft);
    errors.into_result().map(|()| draft)
}

/// Checks a complete offer, as publishing (or updating a published offer) requires: every
/// mandatory part present, every rule of [`validate_draft`], and the start date and the
/// application deadline today or later. `today` is the caller's calendar day (Europe/Paris).
pub fn validate_offer(
    input: &NewOffer,
    reference: &ReferenceData,
    today: NaiveDate,
) -> Result<OfferSpec, FieldErrors> {
    let (draft, errors) = check(input, reference, Mode::Publish { today });
    errors.into_result()?;
    complete(draft)
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    Draft,
    Publish { today: NaiveDate },
}

/// Records the violations of one request and knows whether a missing part is one.
struct Checker {
    errors: FieldErrors,
    mode: Mode,
}

impl Checker {
    fn reject(&mut self, field: &str, rule: impl Into<std::borrow::Cow<'static, str>>) {
        self.errors.push(InvalidValue::new(rule).at(field));
    }

    /// `None` given: a violation only when publishing.
    fn missing(&mut self, field: &str) {
        if let Mode::Publish { .. } = self.mode {
            self.reject(field, "is required to publish the offer");
        }
    }

    /// A text or code where blank means "not given".
    fn given<T>(
        &mut self,
        field: &str,
        raw: &str,
        parse: impl FnOnce(&str) -> Result<T, InvalidValue>,
    ) -> Option<T> {
        if raw.trim().is_empty() {
            self.missing(field);
            return None;
        }
        self.errors.check(field, parse(raw))
    }

    /// An optional code: blank is fine in every mode.
    fn optional<T>(
        &mut self,
        field: &str,
        raw: &str,
        parse: impl FnOnce(&str) -> Result<T, InvalidValue>,
    ) -> Option<T> {
        if raw.trim().is_empty() {
            return None;
        }
        self.errors.check(field, parse(raw))
    }

    fn level(&mut self, field: &str, raw: i32) -> Option<EducationLevel> {
        if raw == 0 {
            self.missing(field);
            return None;
        }
        let level = u32::try_from(raw)
            .map_err(|_| InvalidValue::new(format!("the VTE is for bac+2 to bac+5, got {raw}")))
            .and_then(EducationLevel::from_years);
        self.errors.check(field, level)
    }

    fn list<const MAX: usize>(
        &mut self,
        field: &str,
        raw: &[String],
        limit: usize,
    ) -> Vec<BoundedText<MAX>> {
        if raw.len() > limit {
            let count = raw.len();
            self.reject(
                field,
                format!("must have at most {limit} entries, got {count}"),
            );
            // Refused whole: its entries are not read (one error, not one per entry).
            return Vec::new();
        }
        raw.iter()
            .enumerate()
            .filter_map(|(i, entry)| {
                self.errors
                    .check(&format!("{field}[{i}]"), BoundedText::parse(entry))
            })
            .collect()
    }

    fn date(&mut self, field: &str, raw: Option<RawDate>, required: bool) -> Option<NaiveDate> {
        let Some(raw) = raw else {
            if required {
                self.missing(field);
            }
            return None;
        };
        let date = self.errors.check(field, raw.parse())?;
        if let Mode::Publish { today } = self.mode
            && date < today
        {
            self.reject(
                field,
                format!("must be today ({today}) or later, got {date}"),
            );
        }
        Some(date)
    }
}

fn check(input: &NewOffer, reference: &ReferenceData, mode: Mode) -> (DraftSpec, FieldErrors) {
    let mut c = Checker {
        errors: FieldErrors::new(),
        mode,
    };
    let title = c.given("spec.title", &input.title, BoundedText::parse);
    let description = c.given("spec.description", &input.description, BoundedText::parse);
    let primary = c.given(
        "spec.primary_mission_type",
        &input.primary_mission_type,
        MissionType::parse,
    );
    let mut secondary = c.optional(
        "spec.secondary_mission_type",
        &input.secondary_mission_type,
        MissionType::parse,
    );
    if let (Some(primary), Some(same)) = (primary, secondary)
        && primary == same
    {
        c.reject(
            "spec.secondary_mission_type",
            format!("must differ from the primary mission type ({primary})"),
        );
        secondary = None;
    }
    let contract_kind = c.given(
        "spec.contract_kind",
        &input.contract_kind,
        ContractKind::parse,
    );
    let duration_months = duration(&mut c, contract_kind, input.duration_months);
    let min_level = c.level("spec.min_level", input.min_level);
    let mut max_level = c.level("spec.max_level", input.max_level);
    if let (Some(min), Some(max)) = (min_level, max_level)
        && let Err(invalid) = LevelRange::new(min, max)
    {
        c.errors.push(invalid.at("spec.max_level"));
        max_level = None;
    }
    let fields_of_study = c.list(
        "spec.fields_of_study",
        &input.fields_of_study,
        MAX_FIELDS_OF_STUDY,
    );
    let skills = c.list("spec.skills", &input.skills, MAX_SKILLS);
    let languages = languages(&mut c, &input.languages);
    let location = c.given("spec.location.insee_code", &input.insee_code, |raw| {
        Location::resolve(reference, raw)
    });
    let remote_policy = c.given(
        "spec.remote_policy",
        &input.remote_policy,
        RemotePolicy::parse,
    );
    let salary = input.salary.as_ref().and_then(|raw| salary(&mut c, raw));
    let positions = if input.positions == 0 {
        c.missing("spec.positions");
        None
    } else {
        c.errors
            .check("spec.positions", Positions::new(input.positions))
    };
    let start_date = c.date("spec.start_date", input.start_date, true);
    let mut application_deadline = c.date(
        "spec.application_deadline",
        input.application_deadline,
        false,
    );
    if let (Some(start), Some(deadline)) = (start_date, application_deadline)
        && deadline > start
    {
        c.reject(
            "spec.application_deadline",
            format!("must be on or before the start date ({start}), got {deadline}"),
        );
        application_deadline = None;
    }
    let company_name = c.given("spec.company_name", &input.company_name, BoundedText::parse);
    let company_size = c.given("spec.company_size", &input.company_size, CompanySize::parse);
    let draft = DraftSpec {
        title,
        description,
        primary_mission_type: primary,
        secondary_mission_type: secondary,
        ecological_transition: input.ecological_transition,
        contract_kind,
        duration_months,
        min_level,
        max_level,
        fields_of_study,
        skills,
        languages,
        location,
        remote_policy,
        salary,
        positions,
        start_date,
        application_deadline,
        company_name,
        company_size,
    };
    (draft, c.errors)
}

/// The duration against the contract kind, through [`Contract::new`] when the kind is known.
/// A draft may name a CDD or a work-study contract before its duration; publishing may not.
fn duration(c: &mut Checker, kind: Option<ContractKind>, raw: Option<u32>) -> Option<u16> {
    const FIELD: &str = "spec.duration_months";
    let months = match raw.map(u16::try_from) {
        None => None,
        Some(Ok(months)) => Some(months),
        Some(Err(_)) => {
            let raw = raw.unwrap_or_default();
            c.reject(FIELD, format!("must be 12 to 60 months, got {raw}"));
            return None;
        }
    };
    match (kind, months, c.mode) {
        (Some(kind), Some(_), _) | (Some(kind), None, Mode::Publish { .. }) => c
            .errors
            .check(FIELD, Contract::new(kind, months))
            .and_then(|contract| contract.duration_months()),
        (Some(_), None, Mode::Draft) | (None, None, _) => None,
        (None, Some(months), _) => {
            let range = Contract::MIN_MONTHS..=Contract::MAX_MONTHS;
            if range.contains(&months) {
                Some(months)
            } else {
                c.reject(FIELD, format!("must be 12 to 60 months, got {months}"));
                None
            }
        }
    }
}

fn languages(c: &mut Checker, raw: &[NewLanguage]) -> Vec<LanguageRequirement> {
    if raw.len() > MAX_LANGUAGES {
        let count = raw.len();
        c.reject(
            "spec.languages",
            format!("must have at most {MAX_LANGUAGES} entries, got {count}"),
        );
        // Refused whole: its entries are not read.
        return Vec::new();
    }
    let mut seen: Vec<(LanguageCode, usize)> = Vec::new();
    let mut requirements = Vec::new();
    for (i, entry) in raw.iter().enumerate() {
        let field = format!("spec.languages[{i}]");
        let mut language = c.errors.check(
            &format!("{field}.language"),
            LanguageCode::parse(&entry.language),
        );
        if let Some(code) = language {
            if let Some((_, first)) = seen.iter().find(|(seen, _)| *seen == code) {
                c.reject(
                    &format!("{field}.language"),
                    format!(
                        "{code} is already listed at languages[{first}]: one entry per language"
                    ),
                );
                language = None;
            } else {
                seen.push((code, i));
            }
        }
        let level = if entry.level.trim().is_empty() {
            c.reject(
                &format!("{field}.level"),
                "is required: the minimum CEFR level",
            );
            None
        } else {
            c.errors
                .check(&format!("{field}.level"), CefrLevel::parse(&entry.level))
        };
        if let (Some(language), Some(level)) = (language, level) {
            requirements.push(LanguageRequirement { language, level });
        }
    }
    requirements
}

/// A salary range: absent when neither bound is given; otherwise both bounds, in EUR, above
/// zero and in order.
fn salary(c: &mut Checker, raw: &NewSalaryRange) -> Option<SalaryRange> {
    if raw.min.is_none() && raw.max.is_none() {
        return None;
    }
    let min = amount(c, "spec.salary.min", raw.min.as_ref());
    let max = amount(c, "spec.salary.max", raw.max.as_ref());
    let range = SalaryRange::new(min?, max?);
    c.errors.check("spec.salary.max", range)
}

fn amount(c: &mut Checker, field: &str, raw: Option<&NewMoney>) -> Option<EuroCents> {
    let Some(raw) = raw else {
        c.reject(field, "is required when a salary range is given");
        return None;
    };
    let currency = raw.currency.trim();
    let currency_ok = currency.is_empty() || currency.eq_ignore_ascii_case("EUR");
    if !currency_ok {
        c.reject(
            &format!("{field}.currency"),
            format!("must be EUR (or empty for EUR), got \"{}\"", echo(currency)),
        );
    }
    if raw.amount_cents <= 0 {
        let cents = raw.amount_cents;
        c.reject(
            &format!("{field}.amount_cents"),
            format!("must be a gross annual salary above zero, in euro cents, got {cents}"),
        );
        return None;
    }
    let amount = EuroCents::new(raw.amount_cents).ok();
    amount.filter(|_| currency_ok)
}

/// The complete spec a draft makes, without the time rules: for the store rebuilding a saved
/// offer (whose start date may have passed since). Publishing goes through [`validate_offer`].
impl TryFrom<DraftSpec> for OfferSpec {
    type Error = FieldErrors;

    fn try_from(draft: DraftSpec) -> Result<Self, FieldErrors> {
        complete(draft)
    }
}

/// The complete spec, or every missing part (and a contract or level range that does not
/// hold together, which a draft may still have: a CDD without its duration).
fn complete(draft: DraftSpec) -> Result<OfferSpec, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut required = |field: &str, present: bool| {
        if !present {
            errors.push(InvalidValue::new("is required to publish the offer").at(field));
        }
    };
    required("spec.title", draft.title.is_some());
    required("spec.description", draft.description.is_some());
    required(
        "spec.primary_mission_type",
        draft.primary_mission_type.is_some(),
    );
    required("spec.contract_kind", draft.contract_kind.is_some());
    required("spec.min_level", draft.min_level.is_some());
    required("spec.max_level", draft.max_level.is_some());
    required("spec.location.insee_code", draft.location.is_some());
    required("spec.remote_policy", draft.remote_policy.is_some());
    required("spec.positions", draft.positions.is_some());
    required("spec.start_date", draft.start_date.is_some());
    required("spec.company_name", draft.company_name.is_some());
    required("spec.company_size", draft.company_size.is_some());
    let contract = draft.contract_kind.and_then(|kind| {
        errors.check(
            "spec.duration_months",
            Contract::new(kind, draft.duration_months),
        )
    });
    let levels = draft
        .min_level
        .zip(draft.max_level)
        .and_then(|(min, max)| errors.check("spec.max_level", LevelRange::new(min, max)));
    let DraftSpec {
        title: Some(title),
        description: Some(description),
        primary_mission_type: Some(primary_mission_type),
        secondary_mission_type,
        ecological_transition,
        fields_of_study,
        skills,
        languages,
        location: Some(location),
        remote_policy: Some(remote_policy),
        salary,
        positions: Some(positions),
        start_date: Some(start_date),
        application_deadline,
        company_name: Some(company_name),
        company_size: Some(company_size),
        ..
    } = draft
    else {
        return Err(errors);
    };
    let (Some(contract), Some(levels)) = (contract, levels) else {
        return Err(errors);
    };
    Ok(OfferSpec {
        title,
        description,
        primary_mission_type,
        secondary_mission_type,
        ecological_transition,
        contract,
        levels,
        fields_of_study,
        skills,
        languages,
        location,
        remote_policy,
        salary,
        positions,
        start_date,
        application_deadline,
        company_name,
        company_size,
    })
}

#[cfg(test)]
mod field_tests;
#[cfg(test)]
mod tests;
