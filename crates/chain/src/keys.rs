//! Public keys: `list-public-keys` JSON, PEM, base64 and DER, PKCS#1 or SPKI.
//!
//! The fingerprint is the MD5 of the DER bytes exactly as supplied (`docs/digests.md`, CloudTrail): an SPKI key
//! and the PKCS#1 key inside it have different fingerprints, so nothing is normalised first.

use base64::Engine;
use jiff::Timestamp;
use md5::{Digest, Md5};
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use rsa::RsaPublicKey;
use serde_json::Value;

use crate::error::Error;
use crate::names::parse_iso;
use crate::rsa_verify::RsaVerifier;

/// The published Huawei Cloud CTS public key (X.509 SPKI, base64), from the CTS
/// documentation (`docs/digests.md`, CTS). CTS has no fingerprints and no rotation.
pub const HUAWEI_CTS_PUBLIC_KEY_B64: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsjQDkl8COPRhOCvm7ZI8sYZ20ojl+ay/gwRSk9q0gkY3pP0RrAhSsEzgYdYjaMCqixkmbpt4AH9AROJU4drnoCAZSMqRxgv0bGC9kVd4q95l4zibswAsksjuNQo/XoJjBl+rRAqCa+1uetgVU4k4Yx8RryYxYx/tImvMe/O4mGAIaTf+rsqt3VXR1QIj5lYR/nx41BEgC/Kb1elYAfDaaab8WS5INRprj7qdu6oAo4Ug47WqbecvEtG3JRpj5+oqLyW41Fvse3osC0h5DQdxTt4x00/rVZ+gH7Kua00y7gC8YOxFVpYbfn/oW61PUDeHG/N9hUjOrIgDDJpD2YbCIQIDAQAB";

/// One RSA public key with its fingerprint and validity window.
///
/// Serialises as its DER, fingerprint, validity (epoch seconds) and source; deserialising
/// decodes the DER again, so a tampered serialised key cannot carry a mismatched fingerprint.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(into = "KeyRepr", try_from = "KeyRepr")]
pub struct PublicKey {
    /// Lowercase hex MD5 of the DER as supplied.
    pub fingerprint: String,
    /// Start of validity, when known.
    pub valid_from: Option<Timestamp>,
    /// End of validity, when known.
    pub valid_to: Option<Timestamp>,
    /// Where the key came from (a path or a label).
    pub source: String,
    der: Vec<u8>,
    /// The key prepared once for verification (Montgomery parameters of the modulus), so each
    /// of the thousands of digest signatures under one key costs only the exponentiation.
    verifier: RsaVerifier,
}

/// The serialised form of [`PublicKey`].
#[derive(serde::Serialize, serde::Deserialize)]
struct KeyRepr {
    der_base64: String,
    valid_from: Option<i64>,
    valid_to: Option<i64>,
    source: String,
}

impl From<PublicKey> for KeyRepr {
    fn from(k: PublicKey) -> KeyRepr {
        KeyRepr {
            der_base64: base64::engine::general_purpose::STANDARD.encode(&k.der),
            valid_from: k.valid_from.map(|t| t.as_second()),
            valid_to: k.valid_to.map(|t| t.as_second()),
            source: k.source,
        }
    }
}

impl TryFrom<KeyRepr> for PublicKey {
    type Error = Error;
    fn try_from(r: KeyRepr) -> Result<PublicKey, Error> {
        let der = b64(&r.der_base64).ok_or(Error::Key {
            message: "DER is not base64".into(),
        })?;
        let mut k = PublicKey::from_der(&der, r.source)?;
        k.valid_from = r.valid_from.and_then(|s| Timestamp::from_second(s).ok());
        k.valid_to = r.valid_to.and_then(|s| Timestamp::from_second(s).ok());
        Ok(k)
    }
}

impl PublicKey {
    /// Decodes DER holding a PKCS#1 `RSAPublicKey` or an SPKI `SubjectPublicKeyInfo`.
    ///
    /// The `rsa` crate parses and checks the DER (strict DER, modulus ≤ 4096 bits, exponent
    /// bounds); the modulus and exponent are then prepared for fast verification.
    pub fn from_der(der: &[u8], source: impl Into<String>) -> Result<PublicKey, Error> {
        let key = RsaPublicKey::from_pkcs1_der(der)
            .or_else(|_| RsaPublicKey::from_public_key_der(der))
            .map_err(|e| Error::Key {
                message: format!("neither PKCS#1 nor SPKI RSA DER ({e})"),
            })?;
        let e_bytes = key.e().to_bytes_be();
        let e = if e_bytes.len() <= 8 {
            e_bytes
                .iter()
                .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
        } else {
            0 // rejected below as a bad exponent
        };
        let verifier = RsaVerifier::new(&key.n().to_bytes_be(), e).map_err(|e| Error::Key {
            message: e.to_string(),
        })?;
        Ok(PublicKey {
            fingerprint: hex::encode(Md5::digest(der)),
            valid_from: None,
            valid_to: None,
            source: source.into(),
            der: der.to_vec(),
            verifier,
        })
    }

    /// The DER bytes exactly as supplied.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Whether `signature` is a valid SHA256withRSA (PKCS#1 v1.5) signature of `data`.
    ///
    /// Strict (RFC 8017 §8.2.2, encode and compare): the signature must be exactly the
    /// modulus length, below the modulus, and decrypt to exactly the SHA-256 encoding.
    pub fn verify_sha256(&self, data: &[u8], signature: &[u8]) -> bool {
        self.verifier.verify_sha256(data, signature)
    }

    /// Whether `t` lies in the validity window (unknown bounds count as open).
    pub fn valid_at(&self, t: Timestamp) -> bool {
        self.valid_from.is_none_or(|f| f <= t) && self.valid_to.is_none_or(|e| t <= e)
    }
}

/// The published CTS key, decoded.
pub fn huawei_cts_key() -> PublicKey {
    let der = base64::engine::general_purpose::STANDARD
        .decode(HUAWEI_CTS_PUBLIC_KEY_B64)
        .unwrap_or_default();
    // The constant is a fixed, tested value; failing here would be a build defect.
    PublicKey::from_der(&der, "built-in").expect("published CTS key decodes")
}

/// Decodes strict base64 after removing whitespace (keys are often wrapped).
fn b64(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.is_empty() {
        return None;
    }
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
}

/// Whether the content looks like key material worth trying (cheap; used to classify files).
pub(crate) fn looks_like_key(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    text.contains("-----BEGIN") && text.contains("PUBLIC KEY-----")
        || text.contains("PublicKeyList")
        || text.contains("publicKeyList")
        || text.trim_start().starts_with("MII")
        || bytes.starts_with(&[0x30, 0x82])
}

/// Parses a key file: `list-public-keys` JSON (`PublicKeyList` or `publicKeyList`), PEM
/// (`PUBLIC KEY` = SPKI, `RSA PUBLIC KEY` = PKCS#1), base64 DER, or raw DER.
///
/// Returns the keys and warnings (for example a stated fingerprint that differs from the
/// computed one).
pub fn parse_key_file(bytes: &[u8], source: &str) -> Result<(Vec<PublicKey>, Vec<String>), Error> {
    let mut warnings = Vec::new();
    if bytes.starts_with(&[0x30]) {
        return Ok((vec![PublicKey::from_der(bytes, source)?], warnings));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| Error::UnknownFormat)?;
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let v: Value = serde_json::from_str(trimmed).map_err(|e| Error::Json {
            message: e.to_string(),
        })?;
        let list = match &v {
            Value::Object(m) => m
                .get("PublicKeyList")
                .or_else(|| m.get("publicKeyList"))
                .and_then(Value::as_array),
            Value::Array(a) => Some(a),
            _ => None,
        }
        .ok_or(Error::MissingField {
            field: "PublicKeyList".into(),
        })?;
        let mut keys = Vec::new();
        for (i, entry) in list.iter().enumerate() {
            let get = |a: &str, b: &str| entry.get(a).or_else(|| entry.get(b));
            let Some(value) = get("Value", "value").and_then(Value::as_str) else {
                warnings.push(format!("key #{} has no Value; skipped", i + 1));
                continue;
            };
            let Some(mut der) = b64(value) else {
                warnings.push(format!("key #{} Value is not base64; skipped", i + 1));
                continue;
            };
            // Tolerate double encoding [unverified in the spec]: base64 of base64 of DER.
            if der.starts_with(b"MII") {
                if let Some(inner) = std::str::from_utf8(&der).ok().and_then(b64) {
                    warnings.push(format!(
                        "key #{} Value was base64-encoded twice; decoded again",
                        i + 1
                    ));
                    der = inner;
                }
            }
            let mut key = match PublicKey::from_der(&der, source) {
                Ok(k) => k,
                Err(e) => {
                    warnings.push(format!("key #{}: {e}; skipped", i + 1));
                    continue;
                }
            };
            key.valid_from = get("ValidityStartTime", "validityStartTime").and_then(json_time);
            key.valid_to = get("ValidityEndTime", "validityEndTime").and_then(json_time);
            if let Some(stated) = get("Fingerprint", "fingerprint").and_then(Value::as_str) {
                if !stated.eq_ignore_ascii_case(&key.fingerprint) {
                    warnings.push(format!(
                        "key #{} states fingerprint {stated} but its DER hashes to {}; the computed one is used",
                        i + 1,
                        key.fingerprint
                    ));
                }
            }
            keys.push(key);
        }
        if keys.is_empty() {
            return Err(Error::Key {
                message: "no usable key in the list".into(),
            });
        }
        return Ok((keys, warnings));
    }
    if let Some(start) = trimmed.find("-----BEGIN") {
        let body = &trimmed[start..];
        let label_end = body[10..]
            .find("-----")
            .map(|i| i + 10)
            .ok_or(Error::UnknownFormat)?;
        let label = &body[10..label_end];
        if !label.ends_with("PUBLIC KEY") {
            return Err(Error::Key {
                message: format!("PEM block {label:?} is not a public key"),
            });
        }
        let after = &body[label_end + 5..];
        let end = after.find("-----END").ok_or(Error::Key {
            message: "PEM block is not terminated".into(),
        })?;
        let der = b64(&after[..end]).ok_or(Error::Key {
            message: "PEM body is not base64".into(),
        })?;
        return Ok((vec![PublicKey::from_der(&der, source)?], warnings));
    }
    let der = b64(trimmed).ok_or(Error::UnknownFormat)?;
    Ok((vec![PublicKey::from_der(&der, source)?], warnings))
}

/// Validity times: epoch seconds as a number or numeric string (CLI v1), or ISO-8601 (CLI v2).
fn json_time(v: &Value) -> Option<Timestamp> {
    let secs = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.parse::<f64>() {
            Ok(f) => Some(f),
            Err(_) => return parse_iso(s).or_else(|| s.parse::<Timestamp>().ok()),
        },
        _ => None,
    }?;
    if !secs.is_finite() {
        return None;
    }
    Timestamp::from_second(secs.trunc() as i64).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_cts_key_fingerprint() {
        assert_eq!(
            huawei_cts_key().fingerprint,
            "6589b9fe913a700253121fe3a68d1841"
        );
    }

    #[test]
    fn double_base64_is_tolerated() {
        let inner = HUAWEI_CTS_PUBLIC_KEY_B64;
        let outer = base64::engine::general_purpose::STANDARD.encode(inner);
        let json = format!(
            r#"{{"PublicKeyList":[{{"Value":"{outer}","ValidityStartTime":"2024-01-01T00:00:00Z"}}]}}"#
        );
        let (keys, warnings) = parse_key_file(json.as_bytes(), "k").unwrap();
        assert_eq!(keys[0].fingerprint, "6589b9fe913a700253121fe3a68d1841");
        assert!(keys[0].valid_from.is_some());
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn pem_and_raw_der() {
        let pem = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            HUAWEI_CTS_PUBLIC_KEY_B64
        );
        let (keys, _) = parse_key_file(pem.as_bytes(), "k").unwrap();
        assert_eq!(keys[0].fingerprint, "6589b9fe913a700253121fe3a68d1841");
        let der = b64(HUAWEI_CTS_PUBLIC_KEY_B64).unwrap();
        assert_eq!(
            parse_key_file(&der, "k").unwrap().0[0].fingerprint,
            "6589b9fe913a700253121fe3a68d1841"
        );
        assert!(parse_key_file(
            b"-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----",
            "k"
        )
        .is_err());
        assert!(parse_key_file(b"\x30\x00", "k").is_err());
    }
}
