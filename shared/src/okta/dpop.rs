//! DPoP (RFC 9449) proofs, for OAuth apps that require DPoP-bound access tokens.
//!
//! Okta asks for DPoP only when the app has "Require DPoP header in token requests". Then the token
//! endpoint first answers `invalid_dpop_proof` (no proof) or `use_dpop_nonce` (with a `DPoP-Nonce`
//! header), and every API call carries `Authorization: DPoP <token>` plus a proof that binds the
//! call's method and URL (`htm`, `htu`) and the token (`ath`) to an ephemeral ES256 key.

use std::sync::Mutex;

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};
use url::Url;

use super::jwt::{JwtError, base64url, encode, random_jti};

/// The ephemeral key behind every proof of this client, and the server nonces it was given.
pub struct DpopKey {
    key: EcdsaKeyPair,
    jwk: Value,
    /// The authorization server and the resource server hand out nonces separately.
    token_nonce: Mutex<Option<String>>,
    api_nonce: Mutex<Option<String>>,
}

impl std::fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DpopKey({})", self.jwk)
    }
}

/// Whose nonce a proof carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceFor {
    TokenEndpoint,
    Api,
}

impl DpopKey {
    pub fn generate() -> Result<Self, JwtError> {
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .map_err(|_| JwtError::SigningFailed)?;
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
            .map_err(|_| JwtError::UnsupportedKey)?;
        // The public key is the uncompressed point 0x04 || x || y.
        let point = key.public_key().as_ref();
        let (x, y) = point[1..].split_at(32);
        let jwk = json!({ "kty": "EC", "crv": "P-256", "x": base64url(x), "y": base64url(y) });
        Ok(Self {
            key,
            jwk,
            token_nonce: Mutex::new(None),
            api_nonce: Mutex::new(None),
        })
    }

    #[cfg(test)]
    pub fn public_jwk(&self) -> &Value {
        &self.jwk
    }

    pub fn set_nonce(&self, for_: NonceFor, nonce: &str) {
        *self.nonce_slot(for_).lock().expect("dpop nonce lock") = Some(nonce.to_owned());
    }

    pub fn nonce(&self, for_: NonceFor) -> Option<String> {
        self.nonce_slot(for_).lock().expect("dpop nonce lock").clone()
    }

    fn nonce_slot(&self, for_: NonceFor) -> &Mutex<Option<String>> {
        match for_ {
            NonceFor::TokenEndpoint => &self.token_nonce,
            NonceFor::Api => &self.api_nonce,
        }
    }

    /// A proof for one request. `access_token` is given for API calls (it becomes `ath`).
    pub fn proof(
        &self,
        method: &str,
        url: &Url,
        access_token: Option<&str>,
        for_: NonceFor,
        now_epoch: u64,
    ) -> Result<String, JwtError> {
        let mut htu = url.clone();
        htu.set_query(None);
        htu.set_fragment(None);
        let header = json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk });
        let mut claims = json!({ "htm": method, "htu": htu.as_str(), "iat": now_epoch, "jti": random_jti() });
        if let Some(token) = access_token {
            claims["ath"] = json!(base64url(digest(&SHA256, token.as_bytes()).as_ref()));
        }
        if let Some(nonce) = self.nonce(for_) {
            claims["nonce"] = json!(nonce);
        }
        encode(&header, &claims, |input| {
            Ok(self
                .key
                .sign(&SystemRandom::new(), input)
                .map_err(|_| JwtError::SigningFailed)?
                .as_ref()
                .to_vec())
        })
    }
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::signature::{self, UnparsedPublicKey};
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;
    use crate::okta::jwt::tests::verified_parts;

    #[test]
    fn proof_binds_method_url_token_and_nonce_and_verifies_with_its_jwk() {
        let key = DpopKey::generate().unwrap();
        key.set_nonce(NonceFor::Api, "nonce-1");
        let url = Url::parse("https://acme.okta.com/api/v1/users?limit=200&after=x#f").unwrap();
        let proof = key
            .proof("GET", &url, Some("access-token"), NonceFor::Api, 1_700_000_000)
            .unwrap();

        // Rebuild the public key from the JWK in the header, as Okta does.
        let jwk = key.public_jwk();
        let mut point = vec![4u8];
        point.extend(URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap());
        point.extend(URL_SAFE_NO_PAD.decode(jwk["y"].as_str().unwrap()).unwrap());
        let (header, claims) = verified_parts(&proof, |input, sig| {
            UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &point)
                .verify(input, sig)
                .is_ok()
        });
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["alg"], "ES256");
        assert_eq!(&header["jwk"], jwk);
        assert_eq!(claims["htm"], "GET");
        assert_eq!(claims["htu"], "https://acme.okta.com/api/v1/users");
        assert_eq!(claims["iat"], 1_700_000_000u64);
        assert_eq!(claims["nonce"], "nonce-1");
        let expected_ath = base64url(digest(&SHA256, b"access-token").as_ref());
        assert_eq!(claims["ath"], expected_ath);
    }

    #[test]
    fn token_endpoint_proofs_carry_no_ath_and_their_own_nonce() {
        let key = DpopKey::generate().unwrap();
        key.set_nonce(NonceFor::Api, "api-nonce");
        let url = Url::parse("https://acme.okta.com/oauth2/v1/token").unwrap();
        let proof = key.proof("POST", &url, None, NonceFor::TokenEndpoint, 1).unwrap();
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(proof.split('.').nth(1).unwrap()).unwrap()).unwrap();
        assert!(claims.get("ath").is_none());
        assert!(claims.get("nonce").is_none());
        key.set_nonce(NonceFor::TokenEndpoint, "token-nonce");
        let proof = key.proof("POST", &url, None, NonceFor::TokenEndpoint, 1).unwrap();
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(proof.split('.').nth(1).unwrap()).unwrap()).unwrap();
        assert_eq!(claims["nonce"], "token-nonce");
    }
}
