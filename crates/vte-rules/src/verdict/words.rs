//! How verdicts write levels, dates, durations and amounts in French.

use chrono::NaiveDate;
use vte_domain::EuroCents;

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// `bac+3`.
pub(crate) fn level(years: u8) -> String {
    format!("bac+{years}")
}

/// `1er septembre 2027`, `15 juillet 2025`.
pub(crate) fn date(day: NaiveDate) -> String {
    use chrono::Datelike;
    let month = MONTHS[day.month0() as usize];
    match day.day() {
        1 => format!("1er {month} {}", day.year()),
        n => format!("{n} {month} {}", day.year()),
    }
}

/// `juin 2023`.
pub(crate) fn month(day: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{} {}", MONTHS[day.month0() as usize], day.year())
}

/// `2 ans`, `18 mois`.
pub(crate) fn months(count: u32) -> String {
    match count {
        12 => "1 an".to_owned(),
        n if n % 12 == 0 => format!("{} ans", n / 12),
        n => format!("{n} mois"),
    }
}

/// `4 000 €`, `12 000 €`, `1 200,50 €` (space as thousands separator, as the reasons write it).
pub(crate) fn euros(amount: EuroCents) -> String {
    let cents = amount.cents();
    let (whole, rest) = (cents / 100, cents % 100);
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(' ');
        }
        grouped.push(digit);
    }
    if rest == 0 {
        format!("{grouped} €")
    } else {
        format!("{grouped},{rest:02} €")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_amounts_and_durations_read_as_in_french() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(date(day(2027, 9, 1)), "1er septembre 2027");
        assert_eq!(date(day(2025, 7, 15)), "15 juillet 2025");
        assert_eq!(month(day(2023, 6, 30)), "juin 2023");
        assert_eq!(euros(EuroCents::from_euros(4_000)), "4 000 €");
        assert_eq!(euros(EuroCents::from_euros(12_000)), "12 000 €");
        assert_eq!(euros(EuroCents::from_euros(100)), "100 €");
        assert_eq!(euros(EuroCents::new(120_050).unwrap()), "1 200,50 €");
        assert_eq!(months(24), "2 ans");
        assert_eq!(months(12), "1 an");
        assert_eq!(months(10), "10 mois");
    }
}
