//! The catalogue: Autobahn's case ids in Autobahn's order.
//!
//! The order is the numeric order of the ids (1.1.1, 1.1.2, …, 13.7.18),
//! and `case=N` in client mode counts from 1 over it, so a driver written
//! for Autobahn's fuzzing server finds the same case under the same number.

use crate::cases::{Definition, define};

/// Every group of cases with how many it holds: 517 cases in all.
const GROUPS: &[(&str, u32)] = &[
    ("1.1", 8),
    ("1.2", 8),
    ("2", 11),
    ("3", 7),
    ("4.1", 5),
    ("4.2", 5),
    ("5", 20),
    ("6.1", 3),
    ("6.2", 4),
    ("6.3", 2),
    ("6.4", 4),
    ("6.5", 5),
    ("6.6", 11),
    ("6.7", 4),
    ("6.8", 2),
    ("6.9", 4),
    ("6.10", 3),
    ("6.11", 5),
    ("6.12", 8),
    ("6.13", 5),
    ("6.14", 10),
    ("6.15", 1),
    ("6.16", 3),
    ("6.17", 5),
    ("6.18", 5),
    ("6.19", 5),
    ("6.20", 7),
    ("6.21", 8),
    ("6.22", 34),
    ("6.23", 7),
    ("7.1", 6),
    ("7.3", 6),
    ("7.5", 1),
    ("7.7", 13),
    ("7.9", 9),
    ("7.13", 2),
    ("9.1", 6),
    ("9.2", 6),
    ("9.3", 9),
    ("9.4", 9),
    ("9.5", 6),
    ("9.6", 6),
    ("9.7", 6),
    ("9.8", 6),
    ("10.1", 1),
    ("12.1", 18),
    ("12.2", 18),
    ("12.3", 18),
    ("12.4", 18),
    ("12.5", 18),
    ("13.1", 18),
    ("13.2", 18),
    ("13.3", 18),
    ("13.4", 18),
    ("13.5", 18),
    ("13.6", 18),
    ("13.7", 18),
];

/// The sections beyond Autobahn, in a number Autobahn does not use: 14,
/// the server's opening handshake (RFC 6455 §4.2). They run only when a
/// pattern names their section (`14.*`), so `*` is still Autobahn's 517.
const EXTRA_GROUPS: &[(&str, u32)] = &[("14.1", 12), ("14.2", 5)];

/// The ids of the sections beyond Autobahn, in order.
#[must_use]
pub fn extra_case_ids() -> Vec<String> {
    EXTRA_GROUPS
        .iter()
        .flat_map(|(group, count)| (1..=*count).map(move |n| format!("{group}.{n}")))
        .collect()
}

/// Autobahn's ids, then the extra ones: the numbering of `case=N`.
pub(crate) fn all_ids() -> Vec<String> {
    let mut ids = case_ids();
    ids.extend(extra_case_ids());
    ids
}

/// One entry of the catalogue.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// 1-based position in the catalogue (`case=N`).
    pub number: usize,
    /// The id, e.g. `6.4.3`.
    pub id: String,
    /// The case, or `None` when the checker does not implement it yet.
    pub definition: Option<Definition>,
}

/// Every case id, in order.
#[must_use]
pub fn case_ids() -> Vec<String> {
    GROUPS
        .iter()
        .flat_map(|(group, count)| (1..=*count).map(move |n| format!("{group}.{n}")))
        .collect()
}

/// The entry for `id`, if the catalogue has it.
pub(crate) fn entry(number: usize, id: &str) -> Entry {
    let parts: Option<Vec<u32>> = id.split('.').map(|p| p.parse().ok()).collect();
    let definition = parts.as_deref().and_then(define);
    Entry {
        number,
        id: id.to_owned(),
        definition,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_has_autobahns_517_cases_in_order() {
        let ids = case_ids();
        assert_eq!(ids.len(), 517);
        assert_eq!(ids[0], "1.1.1");
        assert_eq!(ids[516], "13.7.18");
        let key = |s: &String| {
            s.split('.')
                .map(|p| p.parse::<u32>().unwrap())
                .collect::<Vec<_>>()
        };
        assert!(ids.windows(2).all(|w| key(&w[0]) < key(&w[1])));
    }
}
