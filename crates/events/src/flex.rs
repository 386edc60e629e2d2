//! A leaf value that accepts whatever JSON type a provider happened to use.
//!
//! Exports disagree on types (`eventVersion` is `1` or `"1"`, `readOnly` is `true` or
//! `"true"`, CTS `time` is a number or a string, Azure `operationName` is a string or
//! `{"value": ...}`). Decoding every leaf as [`Flex`] means a type surprise never fails a record.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Any JSON value, kept only as far as the model needs it.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) enum Flex<'a> {
    /// A string (borrowed from the input when it has no escapes), or an object's `value` member.
    Str(Cow<'a, str>),
    /// A boolean.
    Bool(bool),
    /// A number.
    Num(f64),
    /// `null`, an array, or an object without a `value` string.
    #[default]
    Other,
}

impl<'a> Flex<'a> {
    /// The value as text: strings as they are, booleans and numbers printed.
    pub(crate) fn text(&self) -> Option<Cow<'a, str>> {
        match self {
            Flex::Str(s) => Some(s.clone()),
            Flex::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            Flex::Num(n) => Some(Cow::Owned(if n.fract() == 0.0 && n.abs() < 1e15 {
                format!("{}", *n as i64)
            } else {
                format!("{n}")
            })),
            Flex::Other => None,
        }
    }

    /// The value as a boolean: `true`/`false` or the strings `"true"`/`"false"` (any case).
    pub(crate) fn as_bool(&self) -> Option<bool> {
        match self {
            Flex::Bool(b) => Some(*b),
            Flex::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Flex::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    /// A timestamp in epoch milliseconds: a number (epoch seconds or milliseconds) or a string.
    pub(crate) fn as_time_ms(&self) -> Option<i64> {
        match self {
            Flex::Num(n) => crate::time::epoch_number_to_ms(*n),
            Flex::Str(s) => crate::time::parse_timestamp(s),
            _ => None,
        }
    }
}

/// Text of an optional flex, empty when missing.
pub(crate) fn txt<'a>(f: &Option<Flex<'a>>) -> Cow<'a, str> {
    f.as_ref().and_then(Flex::text).unwrap_or(Cow::Borrowed(""))
}

/// The first non-empty text among candidates.
pub(crate) fn first<'a>(cands: &[&Option<Flex<'a>>]) -> Cow<'a, str> {
    for c in cands {
        let t = txt(c);
        if !t.is_empty() {
            return t;
        }
    }
    Cow::Borrowed("")
}

struct FlexVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for FlexVisitor<'a> {
    type Value = Flex<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Flex::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Flex::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Flex::Str(Cow::Owned(v)))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Flex::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Flex::Num(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Flex::Num(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Flex::Num(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Flex::Other)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Flex::Other)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(FlexVisitor(std::marker::PhantomData))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // Arrays keep their first textual element (GCP `currentLocations`), nothing more.
        let mut first = Flex::Other;
        while let Some(v) = seq.next_element::<Flex<'a>>()? {
            if first == Flex::Other {
                if let Flex::Str(_) = v {
                    first = v;
                }
            }
        }
        Ok(first)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        // Azure CLI shapes wrap names as {"value": "...", "localizedValue": "..."}.
        let mut out = Flex::Other;
        while let Some(key) = map.next_key::<Cow<'a, str>>()? {
            if key == "value" {
                let v = map.next_value::<Flex<'a>>()?;
                if matches!(v, Flex::Str(_)) {
                    out = v;
                }
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(out)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Flex<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FlexVisitor(std::marker::PhantomData))
    }
}

/// A map or anything else: decodes `T` from an object, and tolerates any other JSON type
/// (a provider writing `""` or `null` where an object is expected) as `None`.
#[derive(Debug)]
pub(crate) struct Obj<T>(pub Option<T>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Obj(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Obj<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|t| Obj(Some(t)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Obj(None))
            }
            fn visit_borrowed_str<E: de::Error>(self, _: &'de str) -> Result<Self::Value, E> {
                Ok(Obj(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Obj(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Obj(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Obj(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Obj(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Obj(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Obj(None))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A list of `T` or anything else (tolerated as empty).
#[derive(Debug)]
pub(crate) struct List<T>(pub Vec<T>);

impl<T> Default for List<T> {
    fn default() -> Self {
        List(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = List<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = seq.next_element::<T>()? {
                    if v.len() < 1000 {
                        v.push(x);
                    }
                }
                Ok(List(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(List(Vec::new()))
            }
            fn visit_borrowed_str<E: de::Error>(self, _: &'de str) -> Result<Self::Value, E> {
                Ok(List(Vec::new()))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(List(Vec::new()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(List(Vec::new()))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(List(Vec::new()))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(List(Vec::new()))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(List(Vec::new()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(List(Vec::new()))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}
