//! The sealed envelope every oktavault blob is stored in (layout in docs/snapshot-format.md):
//!
//! ```text
//! "OVLT" | version u8 = 1 | kind u8 | snapshot id len u8 | snapshot id | wrapped key len u16 BE
//!        | wrapped key | nonce (12) | AES-256-GCM ciphertext | tag (16)
//! ```
//!
//! The AAD is `"oktavault/v1\0"`, the org id, the blob key and the whole header (magic..nonce), so a
//! blob copied to another key or read as another org, or with any byte changed, fails to open.

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce};

use crate::ids::{OrgId, SnapshotId};

use super::error::SnapshotError;

pub const MAGIC: &[u8; 4] = b"OVLT";
/// The one envelope version this code writes and reads. A reader refuses any other version
/// rather than guessing: a newer writer may have changed what the bytes mean.
pub const FORMAT_VERSION: u8 = 1;
const AAD_DOMAIN: &[u8] = b"oktavault/v1\0";
const TAG_LEN: usize = 16;

/// What a sealed blob holds; stored in the header and checked on open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BlobKind {
    Segment,
    Manifest,
    Work,
    /// A part of an org's search index, sealed under the org's index key (`KeyContext::SearchIndex`).
    Index,
}

impl BlobKind {
    fn code(self) -> u8 {
        match self {
            BlobKind::Segment => 1,
            BlobKind::Manifest => 2,
            BlobKind::Work => 3,
            BlobKind::Index => 4,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(BlobKind::Segment),
            2 => Some(BlobKind::Manifest),
            3 => Some(BlobKind::Work),
            4 => Some(BlobKind::Index),
            _ => None,
        }
    }
}

impl fmt::Display for BlobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BlobKind::Segment => "segment",
            BlobKind::Manifest => "manifest",
            BlobKind::Work => "work",
            BlobKind::Index => "index",
        })
    }
}

/// The parsed, not yet authenticated, header of a sealed blob.
#[derive(Debug)]
pub struct Header<'a> {
    pub kind: BlobKind,
    /// The snapshot whose data key sealed the blob (with the org, the key's unwrap context).
    pub snapshot_id: SnapshotId,
    pub wrapped_key: &'a [u8],
    nonce: [u8; NONCE_LEN],
    /// Bytes magic..nonce, all of which go into the AAD.
    raw: &'a [u8],
    ciphertext: &'a [u8],
}

/// Reads the header of `bytes` (the blob stored at `blob_key`) without authenticating anything.
pub fn parse<'a>(blob_key: &str, bytes: &'a [u8]) -> Result<Header<'a>, SnapshotError> {
    let malformed = |reason: String| SnapshotError::MalformedHeader {
        key: blob_key.to_string(),
        reason,
    };
    if bytes.len() < MAGIC.len() {
        return Err(if !bytes.is_empty() && MAGIC.starts_with(bytes) {
            malformed(format!("only {} bytes long", bytes.len()))
        } else {
            SnapshotError::NotOktavaultBlob {
                key: blob_key.to_string(),
            }
        });
    }
    if &bytes[..4] != MAGIC {
        return Err(SnapshotError::NotOktavaultBlob {
            key: blob_key.to_string(),
        });
    }
    let mut cursor = Cursor { bytes, pos: 4 };
    let version = cursor.take(1).ok_or_else(|| malformed("ends after the magic".into()))?[0];
    if version != FORMAT_VERSION {
        return Err(SnapshotError::UnsupportedVersion {
            key: blob_key.to_string(),
            version,
            supported: FORMAT_VERSION,
        });
    }
    let kind_code = cursor
        .take(1)
        .ok_or_else(|| malformed("ends before the blob kind".into()))?[0];
    let kind = BlobKind::from_code(kind_code).ok_or_else(|| malformed(format!("unknown blob kind {kind_code}")))?;
    let id_len = cursor
        .take(1)
        .ok_or_else(|| malformed("ends before the snapshot id".into()))?[0] as usize;
    let id_bytes = cursor
        .take(id_len)
        .ok_or_else(|| malformed("ends inside the snapshot id".into()))?;
    let snapshot_id = std::str::from_utf8(id_bytes)
        .ok()
        .and_then(|s| SnapshotId::new(s).ok())
        .ok_or_else(|| malformed("the snapshot id is not a valid id".into()))?;
    let wrapped_len = cursor
        .take(2)
        .ok_or_else(|| malformed("ends before the wrapped key length".into()))?;
    let wrapped_len = u16::from_be_bytes([wrapped_len[0], wrapped_len[1]]) as usize;
    if wrapped_len == 0 {
        return Err(malformed("the wrapped data key is empty".into()));
    }
    let wrapped_key = cursor
        .take(wrapped_len)
        .ok_or_else(|| malformed("ends inside the wrapped key".into()))?;
    let nonce: [u8; NONCE_LEN] = cursor
        .take(NONCE_LEN)
        .ok_or_else(|| malformed("ends inside the nonce".into()))?
        .try_into()
        .expect("took exactly NONCE_LEN bytes");
    let raw = &bytes[..cursor.pos];
    let ciphertext = &bytes[cursor.pos..];
    if ciphertext.len() < TAG_LEN {
        return Err(malformed(format!(
            "the ciphertext is {} bytes, shorter than its tag",
            ciphertext.len()
        )));
    }
    Ok(Header {
        kind,
        snapshot_id,
        wrapped_key,
        nonce,
        raw,
        ciphertext,
    })
}

/// Seals `plaintext` for `blob_key` under `key` (the unwrapped data key of `snapshot_id`).
pub(crate) fn seal(
    key: &LessSafeKey,
    wrapped_key: &[u8],
    org: &OrgId,
    snapshot_id: &SnapshotId,
    blob_key: &str,
    kind: BlobKind,
    plaintext: &[u8],
) -> Result<Vec<u8>, SnapshotError> {
    let seal_error = |reason: &str| SnapshotError::Seal {
        key: blob_key.to_string(),
        reason: reason.to_string(),
    };
    let wrapped_len =
        u16::try_from(wrapped_key.len()).map_err(|_| seal_error("the wrapped data key is over 64 KiB"))?;
    let id = snapshot_id.as_str().as_bytes();
    let mut nonce = [0u8; NONCE_LEN];
    aws_lc_rs::rand::fill(&mut nonce).map_err(|_| seal_error("the system random source failed"))?;

    let mut out = Vec::with_capacity(4 + 3 + id.len() + 2 + wrapped_key.len() + NONCE_LEN + plaintext.len() + TAG_LEN);
    out.extend_from_slice(MAGIC);
    out.push(FORMAT_VERSION);
    out.push(kind.code());
    out.push(id.len() as u8); // ids are at most 128 bytes
    out.extend_from_slice(id);
    out.extend_from_slice(&wrapped_len.to_be_bytes());
    out.extend_from_slice(wrapped_key);
    out.extend_from_slice(&nonce);
    let header_len = out.len();

    let aad = aad(org, blob_key, &out);
    let mut body = plaintext.to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(&aad), &mut body)
        .map_err(|_| seal_error("AES-256-GCM refused to seal (plaintext too large?)"))?;
    out.truncate(header_len);
    out.extend_from_slice(&body);
    Ok(out)
}

/// Authenticates and decrypts a parsed blob; any changed byte, other key or other org fails here.
pub(crate) fn open(
    key: &LessSafeKey,
    org: &OrgId,
    blob_key: &str,
    header: &Header<'_>,
) -> Result<Vec<u8>, SnapshotError> {
    let aad = aad(org, blob_key, header.raw);
    let mut body = header.ciphertext.to_vec();
    let len = key
        .open_in_place(Nonce::assume_unique_for_key(header.nonce), Aad::from(&aad), &mut body)
        .map_err(|_| SnapshotError::Tampered {
            key: blob_key.to_string(),
        })?
        .len();
    body.truncate(len);
    Ok(body)
}

/// An AES-256-GCM key from raw key bytes.
pub(crate) fn aead_key(bytes: &[u8; 32]) -> LessSafeKey {
    LessSafeKey::new(aws_lc_rs::aead::UnboundKey::new(&AES_256_GCM, bytes).expect("32 bytes is an AES-256 key"))
}

fn aad(org: &OrgId, blob_key: &str, header: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_DOMAIN.len() + 4 + org.as_str().len() + blob_key.len() + header.len());
    aad.extend_from_slice(AAD_DOMAIN);
    // Length prefixes keep (org, key) pairs unambiguous: "a" + "bc" never equals "ab" + "c".
    for part in [org.as_str().as_bytes(), blob_key.as_bytes()] {
        aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
        aad.extend_from_slice(part);
    }
    aad.extend_from_slice(header);
    aad
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }
}
