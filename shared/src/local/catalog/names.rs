//! File names for free-form catalog names (categories, log batches such as `users/000012`):
//! every byte outside `[A-Za-z0-9._-]` becomes `%XX`, and so does a leading `.`, so a name can
//! never be a path, a hidden file, `.`/`..`, or look like a temp file (`~`).

/// The longest encoded name: leaves room under the usual 255-byte limit for `.json` and a
/// temp-file suffix.
const MAX_ENCODED_LEN: usize = 200;

/// Why a name cannot be stored.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum NameError {
    Empty,
    TooLong,
}

impl std::fmt::Display for NameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NameError::Empty => f.write_str("it is empty"),
            NameError::TooLong => write!(f, "it is longer than {MAX_ENCODED_LEN} bytes once encoded"),
        }
    }
}

pub(crate) fn encode(name: &str) -> Result<String, NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    let mut out = String::with_capacity(name.len());
    for (i, b) in name.bytes().enumerate() {
        let keep = b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-') || (b == b'.' && i > 0);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.len() > MAX_ENCODED_LEN {
        return Err(NameError::TooLong);
    }
    Ok(out)
}

/// The name `encode` turned into `encoded`, or `None` when `encoded` is not such a name.
pub(crate) fn decode(encoded: &str) -> Option<String> {
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let name = String::from_utf8(out).ok()?;
    (!name.is_empty() && encode(&name).ok()? == encoded).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_never_form_paths() {
        for name in [
            "users",
            "users/000012",
            "..",
            ".",
            "a%b",
            "é~x",
            "group_members/00000001",
        ] {
            let encoded = encode(name).unwrap();
            assert!(
                !encoded.contains('/') && !encoded.starts_with('.') && !encoded.contains('~'),
                "{encoded}"
            );
            assert_eq!(decode(&encoded).as_deref(), Some(name));
        }
        assert_eq!(encode("users/000012").unwrap(), "users%2F000012");
    }

    #[test]
    fn empty_and_overlong_names_are_refused() {
        assert_eq!(encode(""), Err(NameError::Empty));
        assert_eq!(encode(&"/".repeat(100)), Err(NameError::TooLong));
    }

    #[test]
    fn malformed_encodings_do_not_decode() {
        assert_eq!(decode("a%2"), None);
        assert_eq!(decode("a%zz"), None);
        assert_eq!(
            decode("a%41"),
            None,
            "A is never escaped, so this is not an encoding of \"aA\""
        );
    }
}
