//! Okta-looking object ids (`00u…`, `00g…`, `0oa…`: 20 characters) that sort in creation order.
//!
//! Lists are kept sorted by id and paged by id, so ids that grow with creation time make new objects
//! appear at the end of a listing, as they do in Okta.

use std::collections::HashMap;

use crate::prng::SplitMix64;

pub const USER_PREFIX: &str = "00u";
pub const GROUP_PREFIX: &str = "00g";
pub const APP_PREFIX: &str = "0oa";
pub const USER_TYPE_PREFIX: &str = "oty";

/// ASCII-ordered, so the text order of two encodings equals their numeric order.
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ORDERED_DIGITS: usize = 7;
const RANDOM_DIGITS: usize = 10;

#[derive(Debug)]
pub struct IdGen {
    rng: SplitMix64,
    next_ordinal: HashMap<&'static str, u64>,
}

impl IdGen {
    pub fn new(seed: u64) -> Self {
        IdGen {
            rng: SplitMix64::derive(seed, "ids"),
            next_ordinal: HashMap::new(),
        }
    }

    /// A new id with `prefix`, greater than every id this generator gave for that prefix before.
    pub fn next(&mut self, prefix: &'static str) -> String {
        let start = 62u64.pow(6) + self.rng.below(62u64.pow(6));
        let ordinal = self.next_ordinal.entry(prefix).or_insert(start);
        // Random gaps keep the ordered part from reading like a counter.
        *ordinal += 1 + self.rng.below(997);
        let ordered = *ordinal;
        let mut id = String::with_capacity(prefix.len() + ORDERED_DIGITS + RANDOM_DIGITS);
        id.push_str(prefix);
        push_base62(&mut id, ordered, ORDERED_DIGITS);
        for _ in 0..RANDOM_DIGITS {
            id.push(BASE62[self.rng.below(62) as usize] as char);
        }
        id
    }

    /// Random base62 text (client secrets, API tokens). Deterministic per seed, so never a real secret.
    pub fn random_text(&mut self, len: usize) -> String {
        (0..len).map(|_| BASE62[self.rng.below(62) as usize] as char).collect()
    }
}

fn push_base62(out: &mut String, mut value: u64, width: usize) {
    let mut digits = vec![b'0'; width];
    for slot in digits.iter_mut().rev() {
        *slot = BASE62[(value % 62) as usize];
        value /= 62;
    }
    out.push_str(std::str::from_utf8(&digits).expect("base62 digits are ASCII"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_okta_ids_and_sort_in_creation_order() {
        let mut ids = IdGen::new(3);
        let made: Vec<String> = (0..500).map(|_| ids.next(USER_PREFIX)).collect();
        assert!(made.iter().all(|id| id.len() == 20 && id.starts_with("00u")));
        let mut sorted = made.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, made);
    }
}
