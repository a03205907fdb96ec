//! Signed JWTs for `private_key_jwt` client authentication (RS256 or ES256), and the PEM reading
//! behind them. PEM is decoded by hand: base64 between the BEGIN and END lines.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

/// How long a client assertion is valid: Okta accepts at most one hour, five minutes is plenty.
pub const ASSERTION_LIFETIME_SECS: u64 = 300;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwtError {
    #[error("the private key is not PEM: expected a -----BEGIN PRIVATE KEY----- block (PKCS#8)")]
    NotPem,
    #[error("the PEM block is encrypted; export the key unencrypted as PKCS#8 (-----BEGIN PRIVATE KEY-----)")]
    EncryptedPem,
    #[error("the PEM block is not valid base64")]
    BadBase64,
    #[error("the key is neither an RSA key (2048 bits or more) nor an EC P-256 key; Okta signs with RS256 or ES256")]
    UnsupportedKey,
    #[error("signing the JWT failed")]
    SigningFailed,
}

/// A private key that signs JWTs with the algorithm its type implies.
pub enum SigningKey {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({}, <redacted>)", self.alg())
    }
}

impl SigningKey {
    /// Reads a PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`) PEM block.
    pub fn from_pem(pem: &str) -> Result<Self, JwtError> {
        let (label, der) = pem_block(pem)?;
        match label.as_str() {
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der)
                .map(Self::Rsa)
                .or_else(|_| EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der).map(Self::Ec))
                .map_err(|_| JwtError::UnsupportedKey),
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der)
                .map(Self::Rsa)
                .map_err(|_| JwtError::UnsupportedKey),
            "EC PRIVATE KEY" => EcdsaKeyPair::from_private_key_der(&ECDSA_P256_SHA256_FIXED_SIGNING, &der)
                .map(Self::Ec)
                .map_err(|_| JwtError::UnsupportedKey),
            "ENCRYPTED PRIVATE KEY" => Err(JwtError::EncryptedPem),
            _ => Err(JwtError::NotPem),
        }
    }

    pub fn alg(&self) -> &'static str {
        match self {
            Self::Rsa(_) => "RS256",
            Self::Ec(_) => "ES256",
        }
    }

    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, JwtError> {
        let rng = SystemRandom::new();
        match self {
            Self::Rsa(key) => {
                let mut signature = vec![0u8; key.public_modulus_len()];
                key.sign(&RSA_PKCS1_SHA256, &rng, message, &mut signature)
                    .map_err(|_| JwtError::SigningFailed)?;
                Ok(signature)
            }
            Self::Ec(key) => Ok(key
                .sign(&rng, message)
                .map_err(|_| JwtError::SigningFailed)?
                .as_ref()
                .to_vec()),
        }
    }
}

/// The label and DER bytes of the first PEM block in `pem`.
fn pem_block(pem: &str) -> Result<(String, Vec<u8>), JwtError> {
    let mut lines = pem
        .lines()
        .map(str::trim)
        .skip_while(|line| !line.starts_with("-----BEGIN "));
    let label = lines
        .next()
        .and_then(|line| line.strip_prefix("-----BEGIN ")?.strip_suffix("-----"))
        .ok_or(JwtError::NotPem)?
        .to_owned();
    let end = format!("-----END {label}-----");
    let mut body = String::new();
    let mut ended = false;
    for line in lines {
        if line == end {
            ended = true;
            break;
        }
        if line.contains(':') {
            // RFC 1421 headers (Proc-Type: 4,ENCRYPTED) only appear on encrypted keys.
            return Err(JwtError::EncryptedPem);
        }
        body.push_str(line);
    }
    if !ended {
        return Err(JwtError::NotPem);
    }
    let der = STANDARD.decode(body).map_err(|_| JwtError::BadBase64)?;
    Ok((label, der))
}

pub fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A fresh random JWT id: 128 bits from the system CSPRNG.
pub fn random_jti() -> String {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).expect("system random source");
    base64url(&bytes)
}

/// `base64url(header).base64url(claims).base64url(signature)`.
pub fn encode(
    header: &Value,
    claims: &Value,
    sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, JwtError>,
) -> Result<String, JwtError> {
    let signing_input = format!(
        "{}.{}",
        base64url(header.to_string().as_bytes()),
        base64url(claims.to_string().as_bytes())
    );
    let signature = sign(signing_input.as_bytes())?;
    Ok(format!("{signing_input}.{}", base64url(&signature)))
}

/// The `client_assertion` for `private_key_jwt`: iss = sub = client id, aud = the token URL.
pub fn client_assertion(
    key: &SigningKey,
    key_id: Option<&str>,
    client_id: &str,
    token_url: &str,
    now_epoch: u64,
) -> Result<String, JwtError> {
    let mut header = json!({ "alg": key.alg(), "typ": "JWT" });
    if let Some(kid) = key_id {
        header["kid"] = json!(kid);
    }
    let claims = json!({
        "iss": client_id,
        "sub": client_id,
        "aud": token_url,
        "iat": now_epoch,
        "exp": now_epoch + ASSERTION_LIFETIME_SECS,
        "jti": random_jti(),
    });
    encode(&header, &claims, |input| key.sign(input))
}

#[cfg(test)]
pub(crate) mod tests {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rsa::KeySize;
    use aws_lc_rs::signature::{self, KeyPair, UnparsedPublicKey};

    use super::*;

    pub fn pem(label: &str, der: &[u8]) -> String {
        let body = STANDARD.encode(der);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
    }

    pub fn rsa_pem() -> (String, Vec<u8>) {
        let key = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&key).unwrap();
        (pem("PRIVATE KEY", der.as_ref()), key.public_key().as_ref().to_vec())
    }

    pub fn ec_pem() -> (String, Vec<u8>) {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
        (pem("PRIVATE KEY", pkcs8.as_ref()), key.public_key().as_ref().to_vec())
    }

    /// Splits a JWT, checks its signature with `verify`, and returns (header, claims).
    pub fn verified_parts(jwt: &str, verify: impl FnOnce(&[u8], &[u8]) -> bool) -> (Value, Value) {
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3, "{jwt}");
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        let signing_input = format!("{}.{}", parts[0], parts[1]);
        assert!(
            verify(signing_input.as_bytes(), &signature),
            "signature does not verify"
        );
        let decode = |part: &str| serde_json::from_slice::<Value>(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap();
        (decode(parts[0]), decode(parts[1]))
    }

    fn check_claims(header: &Value, claims: &Value, alg: &str) {
        assert_eq!(header["alg"], alg);
        assert_eq!(header["kid"], "key-1");
        assert_eq!(claims["iss"], "0oaclient");
        assert_eq!(claims["sub"], "0oaclient");
        assert_eq!(claims["aud"], "https://acme.okta.com/oauth2/v1/token");
        assert_eq!(claims["iat"], 1_700_000_000u64);
        assert_eq!(claims["exp"], 1_700_000_300u64);
        assert!(claims["jti"].as_str().unwrap().len() >= 20);
    }

    #[test]
    fn rs256_assertion_has_the_claims_and_verifies_with_the_public_key() {
        let (pem, public) = rsa_pem();
        let key = SigningKey::from_pem(&pem).unwrap();
        let jwt = client_assertion(
            &key,
            Some("key-1"),
            "0oaclient",
            "https://acme.okta.com/oauth2/v1/token",
            1_700_000_000,
        )
        .unwrap();
        let (header, claims) = verified_parts(&jwt, |input, sig| {
            UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &public)
                .verify(input, sig)
                .is_ok()
        });
        check_claims(&header, &claims, "RS256");
    }

    #[test]
    fn es256_assertion_has_the_claims_and_verifies_with_the_public_key() {
        let (pem, public) = ec_pem();
        let key = SigningKey::from_pem(&pem).unwrap();
        let jwt = client_assertion(
            &key,
            Some("key-1"),
            "0oaclient",
            "https://acme.okta.com/oauth2/v1/token",
            1_700_000_000,
        )
        .unwrap();
        let (header, claims) = verified_parts(&jwt, |input, sig| {
            UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &public)
                .verify(input, sig)
                .is_ok()
        });
        check_claims(&header, &claims, "ES256");
    }

    #[test]
    fn each_assertion_gets_a_new_jti_and_no_kid_when_none_is_given() {
        let (pem, _) = ec_pem();
        let key = SigningKey::from_pem(&pem).unwrap();
        let decode_claims = |jwt: &str| -> Value {
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(jwt.split('.').nth(1).unwrap()).unwrap()).unwrap()
        };
        let a = client_assertion(&key, None, "c", "https://a.okta.com/oauth2/v1/token", 1).unwrap();
        let b = client_assertion(&key, None, "c", "https://a.okta.com/oauth2/v1/token", 1).unwrap();
        assert_ne!(decode_claims(&a)["jti"], decode_claims(&b)["jti"]);
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(a.split('.').next().unwrap()).unwrap()).unwrap();
        assert!(header.get("kid").is_none());
    }

    #[test]
    fn unusable_pem_is_refused_with_the_reason() {
        assert_eq!(SigningKey::from_pem("not a key").unwrap_err(), JwtError::NotPem);
        assert_eq!(
            SigningKey::from_pem("-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----").unwrap_err(),
            JwtError::BadBase64
        );
        assert_eq!(
            SigningKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----").unwrap_err(),
            JwtError::UnsupportedKey
        );
        assert_eq!(
            SigningKey::from_pem(&pem("ENCRYPTED PRIVATE KEY", b"x")).unwrap_err(),
            JwtError::EncryptedPem
        );
        let proc_type = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nAAAA\n-----END RSA PRIVATE KEY-----";
        assert_eq!(SigningKey::from_pem(proc_type).unwrap_err(), JwtError::EncryptedPem);
        let (ok, _) = rsa_pem();
        assert_eq!(
            SigningKey::from_pem(ok.trim_end().trim_end_matches("-----END PRIVATE KEY-----")).unwrap_err(),
            JwtError::NotPem
        );
    }

    #[test]
    fn signing_key_debug_hides_the_key() {
        let (pem, _) = ec_pem();
        assert_eq!(
            format!("{:?}", SigningKey::from_pem(&pem).unwrap()),
            "SigningKey(ES256, <redacted>)"
        );
    }
}
