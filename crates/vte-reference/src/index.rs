//! The communes in INSEE order with their two indexes: a dense array from the INSEE code's
//! number to the commune (one memory access per lookup, the matching service's hot path) and
//! the `(postal code, commune)` pairs sorted for range lookups.

use crate::places::Commune;
use vte_domain::{InseeCode, PostalCode};

/// No commune has this number.
const NONE: u32 = u32::MAX;

#[derive(Debug)]
pub(crate) struct Communes {
    list: Vec<Commune>,
    by_number: Vec<u32>,
    by_postal_code: Vec<(PostalCode, u32)>,
}

impl Communes {
    /// Indexes `list`, which must be sorted by INSEE code without duplicates.
    pub(crate) fn new(list: Vec<Commune>) -> Result<Self, String> {
        let mut by_number = vec![NONE; 100_000];
        for (i, commune) in list.iter().enumerate() {
            let slot = &mut by_number[number(&commune.insee)];
            if *slot != NONE {
                // Corsican communes were numbered while Corsica was one département, so 2A and
                // 2B never share a number; if they ever do, say so rather than mix them up.
                return Err(format!(
                    "communes {} and {} share the number {}",
                    list[*slot as usize].insee,
                    commune.insee,
                    number(&commune.insee)
                ));
            }
            *slot = i as u32;
        }
        let mut by_postal_code: Vec<(PostalCode, u32)> = list
            .iter()
            .enumerate()
            .flat_map(|(i, commune)| {
                commune
                    .postal_codes()
                    .iter()
                    .map(move |&code| (code, i as u32))
            })
            .collect();
        by_postal_code.sort_unstable();
        Ok(Self {
            list,
            by_number,
            by_postal_code,
        })
    }

    /// Every commune, in INSEE order.
    pub(crate) fn list(&self) -> &[Commune] {
        &self.list
    }

    /// The index in [`Communes::list`] of the commune with this code.
    pub(crate) fn position(&self, insee: &InseeCode) -> Option<usize> {
        let i = *self.by_number.get(number(insee))?;
        let commune = self.list.get(i as usize)?;
        (commune.insee == *insee).then_some(i as usize)
    }

    /// The commune with this code.
    pub(crate) fn get(&self, insee: &InseeCode) -> Option<&Commune> {
        self.position(insee).map(|i| &self.list[i])
    }

    /// The communes served by `postal_code`, in INSEE order.
    pub(crate) fn for_postal_code(&self, postal_code: &PostalCode) -> Vec<&Commune> {
        let start = self
            .by_postal_code
            .partition_point(|(code, _)| code < postal_code);
        self.by_postal_code[start..]
            .iter()
            .take_while(|(code, _)| code == postal_code)
            .map(|&(_, i)| &self.list[i as usize])
            .collect()
    }
}

/// The code read as a number below 100,000, with Corsica's `2A`/`2B` read as `20`.
fn number(insee: &InseeCode) -> usize {
    insee.as_str().bytes().fold(0, |n, byte| {
        let digit = if byte.is_ascii_digit() {
            byte - b'0'
        } else {
            0
        };
        n * 10 + usize::from(digit)
    })
}

#[cfg(test)]
mod tests {
    use super::number;
    use vte_domain::InseeCode;

    #[test]
    fn corsican_codes_are_numbered_as_departement_20() {
        let number = |raw| number(&InseeCode::parse(raw).unwrap());
        assert_eq!(number("2A004"), 20_004);
        assert_eq!(number("2B033"), 20_033);
        assert_eq!(number("01001"), 1_001);
        assert_eq!(number("98901"), 98_901);
    }
}
