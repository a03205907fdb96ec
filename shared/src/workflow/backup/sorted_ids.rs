//! A set of object ids held as one sorted list: a million user ids in about 40 bytes each, where a
//! `HashSet<String>` takes about 70. The sets a cadence carry asks (which users this job lists, which the previous
//! snapshot held) are whole categories, so their size is what a BackupPage of a large org holds.

use std::cmp::Ordering;

use crate::snapshot::id_order;

#[derive(Debug, Default, Clone)]
pub struct SortedIds(Vec<Box<str>>);

impl SortedIds {
    /// The set of `ids`, given in id order (a manifest's or a parent list's order); out-of-order ids are sorted.
    pub fn from_ids(ids: impl IntoIterator<Item = Box<str>>) -> Self {
        let mut ids: Vec<Box<str>> = ids.into_iter().collect();
        if !ids.windows(2).all(|w| id_order(&w[0], &w[1]) != Ordering::Greater) {
            ids.sort_by(|a, b| id_order(a, b));
        }
        ids.dedup();
        ids.shrink_to_fit();
        Self(ids)
    }

    pub fn contains(&self, id: &str) -> bool {
        self.0.binary_search_by(|probe| id_order(probe, id)).is_ok()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_exactly_the_ids_it_was_given_in_any_order() {
        let ids = SortedIds::from_ids(["00u3", "00u1", "00u10", "00u2", "00u1"].map(Box::from));
        assert_eq!(ids.len(), 4, "one of each");
        for id in ["00u1", "00u2", "00u3", "00u10"] {
            assert!(ids.contains(id), "{id}");
        }
        for id in ["00u", "00u4", "00u100", ""] {
            assert!(!ids.contains(id), "{id}");
        }
        assert!(SortedIds::default().is_empty());
    }
}
