//! The access key ID of a record read only for it (most AWS events, [`super::RawPlan::key_only`]),
//! without building the whole record as a `serde_json::Value`: building it was most of the
//! time the analysis spent re-reading raw records.
//!
//! [`access_key`] answers only when the answer is sure to be the one
//! `anomaly::access_key(&parse_record(bytes)?)` gives: a plain JSON object with an `eventTime`
//! (so no SLS unwrapping applies), no `CloudTrailEvent` member (no LookupEvents unwrapping), no
//! member named `userIdentity.accessKeyId` (a dotted name `lookup` would take first), and a
//! `userIdentity` that is an object (or null) whose `accessKeyId`, when present, is a string or
//! null. Anything else is [`Fast::Unsure`], and the caller parses the record in full.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

/// What the fast reading found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Fast {
    /// The record's access key ID (`None`: it has none).
    Key(Option<String>),
    /// The record is not of the plain shape: parse it in full.
    Unsure,
}

/// The access key ID of the record `bytes`, when the plain shape makes it sure (see the
/// module documentation).
pub(crate) fn access_key(bytes: &[u8]) -> Fast {
    match serde_json::from_slice::<Top<'_>>(bytes) {
        Ok(Top {
            sure: true,
            has_time: true,
            key,
        }) => Fast::Key(key.map(Cow::into_owned).filter(|k| !k.trim().is_empty())),
        _ => Fast::Unsure,
    }
}

/// The members of a record that decide (see [`access_key`]).
struct Top<'a> {
    sure: bool,
    has_time: bool,
    key: Option<Cow<'a, str>>,
}

impl<'de> Deserialize<'de> for Top<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Top<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top<'de>, A::Error> {
                let mut top = Top {
                    sure: true,
                    has_time: false,
                    key: None,
                };
                while let Some(name) = map.next_key::<Cow<'de, str>>()? {
                    match name.as_ref() {
                        // A repeated member: the last one counts, as in a parsed `Value`.
                        "userIdentity" => match map.next_value::<Identity<'de>>()? {
                            Identity::Key(k) => {
                                top.key = k;
                            }
                            Identity::Unsure => top.sure = false,
                        },
                        "eventTime" => {
                            top.has_time = true;
                            map.next_value::<IgnoredAny>()?;
                        }
                        "CloudTrailEvent" | "userIdentity.accessKeyId" => {
                            top.sure = false;
                            map.next_value::<IgnoredAny>()?;
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(top)
            }
        }
        d.deserialize_map(V)
    }
}

/// A `userIdentity` member as [`access_key`] reads it.
enum Identity<'a> {
    Key(Option<Cow<'a, str>>),
    Unsure,
}

impl<'de> Deserialize<'de> for Identity<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Identity<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Identity<'de>, E> {
                Ok(Identity::Key(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Identity<'de>, A::Error> {
                let mut out = Identity::Key(None);
                while let Some(name) = map.next_key::<Cow<'de, str>>()? {
                    if name == "accessKeyId" {
                        out = match map.next_value::<KeyValue<'de>>()? {
                            KeyValue::Text(t) => Identity::Key(Some(t)),
                            KeyValue::Null => Identity::Key(None),
                            KeyValue::Other => Identity::Unsure,
                        };
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(out)
            }
            // Strings (JSON text), arrays, numbers, booleans: the full lookup decides.
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Identity<'de>, E> {
                Ok(Identity::Unsure)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Identity<'de>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Identity::Unsure)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Identity<'de>, E> {
                Ok(Identity::Unsure)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Identity<'de>, E> {
                Ok(Identity::Unsure)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Identity<'de>, E> {
                Ok(Identity::Unsure)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Identity<'de>, E> {
                Ok(Identity::Unsure)
            }
        }
        d.deserialize_any(V)
    }
}

/// An `accessKeyId` value.
enum KeyValue<'a> {
    Text(Cow<'a, str>),
    Null,
    Other,
}

impl<'de> Deserialize<'de> for KeyValue<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyValue<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<KeyValue<'de>, E> {
                Ok(KeyValue::Text(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<KeyValue<'de>, E> {
                Ok(KeyValue::Text(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<KeyValue<'de>, E> {
                Ok(KeyValue::Text(Cow::Owned(s)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<KeyValue<'de>, E> {
                Ok(KeyValue::Null)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KeyValue<'de>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(KeyValue::Other)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<KeyValue<'de>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(KeyValue::Other)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<KeyValue<'de>, E> {
                Ok(KeyValue::Other)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<KeyValue<'de>, E> {
                Ok(KeyValue::Other)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<KeyValue<'de>, E> {
                Ok(KeyValue::Other)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<KeyValue<'de>, E> {
                Ok(KeyValue::Other)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the full reading gives: the reference the fast one must equal.
    fn full(bytes: &[u8]) -> Option<Option<String>> {
        super::super::parse_record(bytes).map(|r| crate::anomaly::access_key(&r))
    }

    #[test]
    fn agrees_with_the_full_reading_or_defers_to_it() {
        let cases: &[&str] = &[
            // Plain shapes: answered fast.
            r#"{"eventTime":"t","userIdentity":{"type":"IAMUser","accessKeyId":"AKIA1"}}"#,
            r#"{"eventTime":"t","userIdentity":{"accessKeyId":"   "}}"#,
            r#"{"eventTime":"t","userIdentity":{"accessKeyId":null}}"#,
            r#"{"eventTime":"t","userIdentity":null}"#,
            r#"{"eventTime":"t","userIdentity":{"type":"AWSService"}}"#,
            r#"{"eventTime":"t"}"#,
            r#"{"eventTime":"t","userIdentity":{"accessKeyId":"A\u004bIA2"}}"#,
            r#"{"userIdentity":{"accessKeyId":"OLD"},"eventTime":"t","userIdentity":{"accessKeyId":"NEW"}}"#,
            r#"{"userIdentity":{"accessKeyId":"OLD","accessKeyId":"NEW"},"eventTime":"t"}"#,
            // Everything else: the full reading decides.
            r#"{"userIdentity":{"accessKeyId":"AKIA3"}}"#,
            r#"{"eventTime":"t","userIdentity.accessKeyId":"DOT","userIdentity":{"accessKeyId":"X"}}"#,
            r#"{"eventTime":"t","CloudTrailEvent":"{\"userIdentity\":{\"accessKeyId\":\"IN\"}}"}"#,
            r#"{"EventId":"e","CloudTrailEvent":"{\"eventTime\":\"t\",\"userIdentity\":{\"accessKeyId\":\"IN\"}}"}"#,
            r#"{"eventTime":"t","userIdentity":"{\"accessKeyId\":\"TEXT\"}"}"#,
            r#"{"eventTime":"t","userIdentity":[{"accessKeyId":"A"},{"accessKeyId":"B"}]}"#,
            r#"{"eventTime":"t","userIdentity":{"accessKeyId":["L1","L2"]}}"#,
            r#"{"eventTime":"t","userIdentity":{"accessKeyId":42}}"#,
            r#"{"event":{"eventTime":"t","userIdentity":{"accessKeyId":"SLS"}}}"#,
            r#"{"__time__":1,"event.userIdentity.accessKeyId":"FLAT"}"#,
            r#"[{"eventTime":"t","userIdentity":{"accessKeyId":"ARR"}}]"#,
            r#"{"eventTime":"t","userIdentity":{"accessKeyId":"BROKEN"}"#,
            "not json",
        ];
        let mut fast = 0;
        for c in cases {
            match access_key(c.as_bytes()) {
                Fast::Key(k) => {
                    fast += 1;
                    assert_eq!(Some(k), full(c.as_bytes()), "{c}");
                }
                Fast::Unsure => {}
            }
        }
        assert_eq!(fast, 9, "the plain shapes are answered fast");
    }
}
