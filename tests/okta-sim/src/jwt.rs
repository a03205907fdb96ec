//! RS256 JSON Web Tokens, just enough for `private_key_jwt` client authentication: the simulator's
//! service-app key pair, verifying client assertions, and signing them (for tests and demos).

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{self, KeyPair as _, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("the client assertion is not a JWT (three base64url parts separated by dots)")]
    Malformed,
    #[error("the client assertion is signed with `{0}`; this app accepts RS256 only")]
    WrongAlgorithm(String),
    #[error("the client assertion's signature does not match the public key registered for the app")]
    BadSignature,
    #[error("the private key is not a PKCS#8 PEM RSA key: {0}")]
    BadKey(String),
    #[error("could not create an RSA key pair for the service app")]
    KeyGeneration,
}

/// The service app's key pair. Only the PEM text leaves this type, on purpose: through
/// `SimHandle::jwt_private_key_pem`, for the test that plays the client.
pub struct ServiceKey {
    pem: String,
    public_der: Vec<u8>,
    kid: String,
}

impl std::fmt::Debug for ServiceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceKey")
            .field("kid", &self.kid)
            .field("private_key", &"<redacted>")
            .finish()
    }
}

impl ServiceKey {
    pub fn generate(kid: &str) -> Result<ServiceKey, JwtError> {
        let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| JwtError::KeyGeneration)?;
        let der: Pkcs8V1Der = pair.as_der().map_err(|_| JwtError::KeyGeneration)?;
        Ok(ServiceKey {
            pem: pem_wrap("PRIVATE KEY", der.as_ref()),
            public_der: pair.public_key().as_ref().to_vec(),
            kid: kid.to_string(),
        })
    }

    pub fn private_pem(&self) -> &str {
        &self.pem
    }

    /// The public key as a JWK, as registered in the app's `settings.oauthClient.jwks`.
    pub fn public_jwk(&self) -> Value {
        let (n, e) = rsa_public_components(&self.public_der).unwrap_or_default();
        json!({ "kty": "RSA", "alg": "RS256", "use": "sig", "kid": self.kid, "status": "ACTIVE",
                "n": URL_SAFE_NO_PAD.encode(n), "e": URL_SAFE_NO_PAD.encode(e) })
    }

    /// Checks the signature of `token` and returns its claims (the caller checks their values).
    pub fn verify(&self, token: &str) -> Result<Value, JwtError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(sig), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwtError::Malformed);
        };
        let decode_json = |part: &str| -> Result<Value, JwtError> {
            let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| JwtError::Malformed)?;
            serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed)
        };
        let header_json = decode_json(header)?;
        let alg = header_json.get("alg").and_then(Value::as_str).unwrap_or("none");
        if alg != "RS256" {
            return Err(JwtError::WrongAlgorithm(alg.to_string()));
        }
        let signature_bytes = URL_SAFE_NO_PAD.decode(sig).map_err(|_| JwtError::Malformed)?;
        let signed = &token[..header.len() + 1 + payload.len()];
        UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &self.public_der)
            .verify(signed.as_bytes(), &signature_bytes)
            .map_err(|_| JwtError::BadSignature)?;
        decode_json(payload)
    }
}

/// Signs `claims` with RS256 under a PKCS#8 PEM private key: what a client does for private_key_jwt.
pub fn sign_rs256(private_key_pem: &str, kid: Option<&str>, claims: &Value) -> Result<String, JwtError> {
    let der = pem_unwrap(private_key_pem).ok_or_else(|| JwtError::BadKey("no PEM body found".into()))?;
    let pair = KeyPair::from_pkcs8(&der).map_err(|e| JwtError::BadKey(e.to_string()))?;
    let mut header = json!({ "alg": "RS256", "typ": "JWT" });
    if let Some(kid) = kid {
        header["kid"] = json!(kid);
    }
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut sig = vec![0u8; pair.public_modulus_len()];
    pair.sign(
        &signature::RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        signing_input.as_bytes(),
        &mut sig,
    )
    .map_err(|_| JwtError::BadKey("signing failed".into()))?;
    Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig)))
}

fn pem_wrap(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn pem_unwrap(pem: &str) -> Option<Vec<u8>> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).map(str::trim).collect();
    STANDARD.decode(body).ok()
}

/// Reads `n` and `e` out of a DER `RSAPublicKey` (SEQUENCE of two INTEGERs), without leading zeros.
fn rsa_public_components(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    fn read_tlv(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
        let (&t, rest) = input.split_first()?;
        if t != tag {
            return None;
        }
        let (&first, mut rest) = rest.split_first()?;
        let len = if first < 0x80 {
            first as usize
        } else {
            let n = (first & 0x7f) as usize;
            let (len_bytes, after) = rest.split_at_checked(n)?;
            rest = after;
            len_bytes.iter().fold(0usize, |acc, b| (acc << 8) | *b as usize)
        };
        let (value, after) = rest.split_at_checked(len)?;
        Some((value, after))
    }
    let (seq, _) = read_tlv(der, 0x30)?;
    let (n, rest) = read_tlv(seq, 0x02)?;
    let (e, _) = read_tlv(rest, 0x02)?;
    let strip = |v: &[u8]| v.iter().skip_while(|b| **b == 0).copied().collect::<Vec<u8>>();
    Some((strip(n), strip(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_token_verifies_and_a_changed_one_does_not() {
        let key = ServiceKey::generate("k1").unwrap();
        let token = sign_rs256(key.private_pem(), Some("k1"), &json!({"iss": "c", "sub": "c"})).unwrap();
        assert_eq!(key.verify(&token).unwrap()["iss"], "c");
        let forged_claims = URL_SAFE_NO_PAD.encode(json!({"iss": "evil", "sub": "c"}).to_string());
        let parts: Vec<&str> = token.split('.').collect();
        let forged = format!("{}.{}.{}", parts[0], forged_claims, parts[2]);
        assert!(matches!(key.verify(&forged), Err(JwtError::BadSignature)));
        let other = ServiceKey::generate("k2").unwrap();
        let foreign = sign_rs256(other.private_pem(), None, &json!({"iss": "c"})).unwrap();
        assert!(matches!(key.verify(&foreign), Err(JwtError::BadSignature)));
        assert_eq!(key.public_jwk()["e"], "AQAB");
        assert!(!format!("{key:?}").contains("PRIVATE"));
    }
}
