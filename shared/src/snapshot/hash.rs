//! Canonical JSON and content hashes: two objects with the same content have the same hash,
//! whatever order Okta sent their keys in.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// SHA-256 of an object's canonical JSON. Shown and serialized as 64 lowercase hex characters.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectHash(pub [u8; 32]);

impl ObjectHash {
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for ObjectHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ObjectHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectHash({self})")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid object hash {0:?}: expected 64 hex characters")]
pub struct InvalidHash(pub String);

impl FromStr for ObjectHash {
    type Err = InvalidHash;
    fn from_str(s: &str) -> Result<Self, InvalidHash> {
        let bad = || InvalidHash(s.chars().take(80).collect());
        if s.len() != 64 || !s.is_ascii() {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(ObjectHash(out))
    }
}

impl Serialize for ObjectHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ObjectHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Canonical JSON: object keys sorted by their UTF-8 bytes, no whitespace, serde_json's number and
/// string formatting. Keys are sorted here explicitly rather than relying on `serde_json::Map`
/// being a BTreeMap, so a `preserve_order` feature switched on elsewhere cannot change hashes.
pub fn canonical_json(v: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {
            serde_json::to_writer(&mut *out, v).expect("writing a JSON scalar to a Vec cannot fail")
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, key).expect("writing a JSON string to a Vec cannot fail");
                out.push(b':');
                write_canonical(value, out);
            }
            out.push(b'}');
        }
    }
}

/// SHA-256 of canonical JSON bytes.
pub fn hash_object(canonical: &[u8]) -> ObjectHash {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    ObjectHash(out)
}

/// One Okta object ready to be packed into a segment: its canonical bytes and their hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalObject {
    pub id: String,
    pub hash: ObjectHash,
    pub last_updated: Option<String>,
    pub bytes: Vec<u8>,
}

impl CanonicalObject {
    pub fn new(id: String, last_updated: Option<String>, value: &Value) -> Self {
        let bytes = canonical_json(value);
        let hash = hash_object(&bytes);
        CanonicalObject {
            id,
            hash,
            last_updated,
            bytes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_does_not_depend_on_key_order() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":{"z":[1,2,{"y":null,"x":true}],"c":"é\n"}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{ "a" : {"c":"é\n","z":[1,2,{"x":true,"y":null}]}, "b":1 }"#).unwrap();
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(
            String::from_utf8(canonical_json(&a)).unwrap(),
            r#"{"a":{"c":"é\n","z":[1,2,{"x":true,"y":null}]},"b":1}"#
        );
        assert_eq!(hash_object(&canonical_json(&a)), hash_object(&canonical_json(&b)));
    }

    #[test]
    fn canonical_json_keeps_array_order_and_number_forms() {
        let v = json!({"n": [3, 1.5, -0, 1e21, 18446744073709551615u64]});
        assert_eq!(
            String::from_utf8(canonical_json(&v)).unwrap(),
            r#"{"n":[3,1.5,0,1e+21,18446744073709551615]}"#
        );
        assert_ne!(canonical_json(&json!([1, 2])), canonical_json(&json!([2, 1])));
    }

    #[test]
    fn hash_is_sha256_of_the_canonical_bytes() {
        // SHA-256("{}") from any reference implementation.
        assert_eq!(
            hash_object(b"{}").to_string(),
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
    }

    #[test]
    fn object_hash_round_trips_through_hex_and_serde() {
        let h = hash_object(b"x");
        assert_eq!(h.to_string().parse::<ObjectHash>().unwrap(), h);
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, format!("\"{h}\""));
        assert_eq!(serde_json::from_str::<ObjectHash>(&json).unwrap(), h);
        assert!("zz".parse::<ObjectHash>().is_err());
        assert!("g".repeat(64).parse::<ObjectHash>().is_err());
    }

    #[test]
    fn canonical_object_hashes_its_bytes() {
        let o = CanonicalObject::new(
            "00u1".into(),
            Some("2026-01-01T00:00:00.000Z".into()),
            &json!({"id": "00u1"}),
        );
        assert_eq!(o.bytes, br#"{"id":"00u1"}"#);
        assert_eq!(o.hash, hash_object(&o.bytes));
    }
}
