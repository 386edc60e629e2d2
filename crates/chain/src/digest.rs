//! Digest file contents (CloudTrail §1.2, CTS §3.3) and their strings to sign (§1.5, §3.4).
//!
//! Parsing reads values only; hashes are always taken over the bytes as found, never over
//! re-serialised JSON.

use serde_json::{Map, Value};

use crate::error::Error;

/// A log file a digest lists.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LogRef {
    /// Bucket the log was delivered to.
    pub bucket: String,
    /// Key of the log.
    pub object: String,
    /// The recorded hash, lowercase hex (SHA-256 of the inflated log for CloudTrail, MD5 of
    /// the stored object for CTS).
    pub hash: String,
    /// The recorded hash algorithm, when present.
    pub hash_algorithm: Option<String>,
}

/// The link a digest records to its predecessor.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PreviousLink {
    /// Bucket of the previous digest.
    pub bucket: Option<String>,
    /// Key of the previous digest.
    pub object: String,
    /// Hash of the previous digest, lowercase hex.
    pub hash: Option<String>,
    /// Hash algorithm of `hash`.
    pub hash_algorithm: Option<String>,
    /// The previous digest's signature, hex as recorded.
    pub signature: Option<String>,
}

/// A parsed CloudTrail digest (`docs/digests.md`, CloudTrail).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AwsDigest {
    /// `awsAccountId`.
    pub account_id: String,
    /// `digestStartTime`, as recorded.
    pub start: String,
    /// `digestEndTime`, as recorded (used verbatim in the string to sign).
    pub end: String,
    /// `digestS3Bucket`.
    pub bucket: String,
    /// `digestS3Object`.
    pub object: String,
    /// `digestPublicKeyFingerprint`, lowercase.
    pub fingerprint: String,
    /// `digestSignatureAlgorithm`, when present.
    pub signature_algorithm: Option<String>,
    /// The previous-digest link; `None` for a starting digest (previous object null).
    pub previous: Option<PreviousLink>,
    /// `previousDigestSignature` (null for a starting digest); part of the string to sign.
    pub previous_signature: Option<String>,
    /// `logFiles`.
    pub log_files: Vec<LogRef>,
}

fn obj(json: &[u8]) -> Result<Map<String, Value>, Error> {
    match serde_json::from_slice::<Value>(json) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(Error::Json {
            message: "top level is not an object".into(),
        }),
        Err(e) => Err(Error::Json {
            message: e.to_string(),
        }),
    }
}

fn req_str(m: &Map<String, Value>, field: &'static str) -> Result<String, Error> {
    m.get(field)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or(Error::MissingField {
            field: field.into(),
        })
}

/// A string, or `None` for null/absent/empty (CTS "leaves empty" the start fields).
fn opt_str(m: &Map<String, Value>, field: &'static str) -> Result<Option<String>, Error> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::BadField {
            field: field.into(),
            message: "not a string".into(),
        }),
    }
}

fn hex_field(field: &'static str, s: String, len: usize) -> Result<String, Error> {
    if s.len() != len || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::BadField {
            field: field.into(),
            message: format!("expected {len} hex digits"),
        });
    }
    Ok(s.to_ascii_lowercase())
}

impl AwsDigest {
    /// Parses the inflated JSON of a CloudTrail digest.
    ///
    /// Requires what aws-cli requires (`docs/digests.md`, CloudTrail): fingerprint, bucket, object,
    /// start and end time, and the `previousDigestSignature` key (which may be null).
    pub fn parse(json: &[u8]) -> Result<AwsDigest, Error> {
        let m = obj(json)?;
        if !m.contains_key("previousDigestSignature") {
            return Err(Error::MissingField {
                field: "previousDigestSignature".into(),
            });
        }
        let start = req_str(&m, "digestStartTime")?;
        let end = req_str(&m, "digestEndTime")?;
        for (field, v) in [("digestStartTime", &start), ("digestEndTime", &end)] {
            if crate::names::parse_iso(v).is_none() {
                return Err(Error::BadField {
                    field: field.into(),
                    message: "not a YYYY-MM-DDTHH:MM:SSZ time".into(),
                });
            }
        }
        let fingerprint = hex_field(
            "digestPublicKeyFingerprint",
            req_str(&m, "digestPublicKeyFingerprint")?,
            32,
        )?;
        let previous_signature = opt_str(&m, "previousDigestSignature")?;
        let previous = match opt_str(&m, "previousDigestS3Object")? {
            Some(object) => Some(PreviousLink {
                bucket: opt_str(&m, "previousDigestS3Bucket")?,
                object,
                hash: opt_str(&m, "previousDigestHashValue")?.map(|h| h.to_ascii_lowercase()),
                hash_algorithm: opt_str(&m, "previousDigestHashAlgorithm")?,
                signature: previous_signature.clone(),
            }),
            None => None,
        };
        let mut log_files = Vec::new();
        match m.get("logFiles") {
            None | Some(Value::Null) => {}
            Some(Value::Array(list)) => {
                for entry in list {
                    let e = entry.as_object().ok_or(Error::BadField {
                        field: "logFiles".into(),
                        message: "entry is not an object".into(),
                    })?;
                    log_files.push(LogRef {
                        bucket: req_str(e, "s3Bucket")?,
                        object: req_str(e, "s3Object")?,
                        hash: hex_field("hashValue", req_str(e, "hashValue")?, 64)?,
                        hash_algorithm: opt_str(e, "hashAlgorithm")?,
                    });
                }
            }
            Some(_) => {
                return Err(Error::BadField {
                    field: "logFiles".into(),
                    message: "not an array".into(),
                })
            }
        }
        Ok(AwsDigest {
            account_id: opt_str(&m, "awsAccountId")?.unwrap_or_default(),
            start,
            end,
            bucket: req_str(&m, "digestS3Bucket")?,
            object: req_str(&m, "digestS3Object")?,
            fingerprint,
            signature_algorithm: opt_str(&m, "digestSignatureAlgorithm")?,
            previous,
            previous_signature,
            log_files,
        })
    }

    /// The exact string CloudTrail signs (`docs/digests.md`, CloudTrail), given the lowercase hex SHA-256 of
    /// the inflated digest bytes.
    pub fn string_to_sign(&self, sha256_hex: &str) -> String {
        format!(
            "{}\n{}/{}\n{}\n{}",
            self.end,
            self.bucket,
            self.object,
            sha256_hex,
            self.previous_signature.as_deref().unwrap_or("null")
        )
    }
}

/// A parsed Huawei CTS digest (`docs/digests.md`, CTS).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CtsDigest {
    /// `project_id`.
    pub project_id: String,
    /// `digest_start_time` (`YYYY-MM-DDTHH-mm-ssZ`).
    pub start: String,
    /// `digest_end_time`, as recorded (used verbatim in the string to sign).
    pub end: String,
    /// `digest_bucket`.
    pub bucket: String,
    /// `digest_object`.
    pub object: String,
    /// `digest_signature_algorithm`, when present.
    pub signature_algorithm: Option<String>,
    /// `digest_end`: whether this is a final digest.
    pub digest_end: bool,
    /// The previous-digest link; `None` for a starting digest (fields absent, null or "").
    pub previous: Option<PreviousLink>,
    /// `log_files`.
    pub log_files: Vec<LogRef>,
}

impl CtsDigest {
    /// Parses the (inflated) JSON of a CTS digest.
    pub fn parse(json: &[u8]) -> Result<CtsDigest, Error> {
        let m = obj(json)?;
        let start = req_str(&m, "digest_start_time")?;
        let end = req_str(&m, "digest_end_time")?;
        for (field, v) in [("digest_start_time", &start), ("digest_end_time", &end)] {
            if crate::names::parse_cts_time(v).is_none() {
                return Err(Error::BadField {
                    field: field.into(),
                    message: "not a YYYY-MM-DDTHH-mm-ssZ time".into(),
                });
            }
        }
        let previous = match opt_str(&m, "previous_digest_object")? {
            Some(object) => Some(PreviousLink {
                bucket: opt_str(&m, "previous_digest_bucket")?,
                object,
                hash: opt_str(&m, "previous_digest_hash_value")?.map(|h| h.to_ascii_lowercase()),
                hash_algorithm: opt_str(&m, "previous_digest_hash_algorithm")?,
                signature: opt_str(&m, "previous_digest_signature")?,
            }),
            None => None,
        };
        let mut log_files = Vec::new();
        match m.get("log_files") {
            None | Some(Value::Null) => {}
            Some(Value::Array(list)) => {
                for entry in list {
                    let e = entry.as_object().ok_or(Error::BadField {
                        field: "log_files".into(),
                        message: "entry is not an object".into(),
                    })?;
                    log_files.push(LogRef {
                        bucket: req_str(e, "bucket")?,
                        object: req_str(e, "object")?,
                        hash: hex_field("log_hash_value", req_str(e, "log_hash_value")?, 32)?,
                        hash_algorithm: opt_str(e, "log_hash_algorithm")?,
                    });
                }
            }
            Some(_) => {
                return Err(Error::BadField {
                    field: "log_files".into(),
                    message: "not an array".into(),
                })
            }
        }
        Ok(CtsDigest {
            project_id: opt_str(&m, "project_id")?.unwrap_or_default(),
            start,
            end,
            bucket: req_str(&m, "digest_bucket")?,
            object: req_str(&m, "digest_object")?,
            signature_algorithm: opt_str(&m, "digest_signature_algorithm")?,
            digest_end: m
                .get("digest_end")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            previous,
            log_files,
        })
    }

    /// The candidate strings to sign (`docs/digests.md`, CTS), given the lowercase hex MD5 of the
    /// stored digest object, each with a label saying which interpretation it is.
    ///
    /// A chained digest has one candidate. A starting digest's previous-signature part is
    /// unverified in the spec: `""` is tried first, then `"null"`.
    pub fn strings_to_sign(&self, md5_hex: &str) -> Vec<(String, &'static str)> {
        let base = format!("{}{}{}", self.end, self.object, md5_hex);
        match self.previous.as_ref().and_then(|p| p.signature.as_deref()) {
            Some(sig) => vec![(format!("{base}{sig}"), "previous signature")],
            None => vec![
                (
                    base.clone(),
                    "starting digest signed with an empty previous signature",
                ),
                (
                    format!("{base}null"),
                    "starting digest signed with the literal \"null\" as previous signature",
                ),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_cli_known_answer_vector() {
        // `docs/digests.md`, CloudTrail: aws-cli test_properly_signs_when_no_previous_signature.
        let d = AwsDigest {
            account_id: String::new(),
            start: String::new(),
            end: "a".into(),
            bucket: "b".into(),
            object: "c".into(),
            fingerprint: String::new(),
            signature_algorithm: None,
            previous: None,
            previous_signature: None,
            log_files: vec![],
        };
        assert_eq!(
            d.string_to_sign(&trailproof_core::hash::sha256_hex(b"abc")),
            "a\nb/c\nba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\nnull"
        );
    }

    #[test]
    fn missing_previous_signature_key_is_malformed() {
        let e = AwsDigest::parse(br#"{"digestStartTime":"2024-05-01T00:00:00Z"}"#).unwrap_err();
        assert_eq!(
            e,
            Error::MissingField {
                field: "previousDigestSignature".into()
            }
        );
        assert!(AwsDigest::parse(b"[]").is_err());
        assert!(AwsDigest::parse(b"\xff").is_err());
    }
}
