//! Record decoders: one JSON object in, one normalized [`Event`] out.
//!
//! A record is decoded once into a borrowed superset structure (`record`) holding the keys any
//! supported provider reads; the provider is then decided from which keys are present (by
//! content, never by file name) through the [`DECODERS`] table, after companions and
//! envelopes. Each provider's module holds its detection rule and its mapping; `common` holds
//! what they share. `docs/formats.md` has one section per module.

use crate::model::Event;

mod actiontrail;
mod azure;
mod cloudtrail;
mod common;
mod cts;
mod envelopes;
mod gcp;
mod generic;
mod record;

pub(crate) use cts::region_from_path as cts_region_from_path;
pub use generic::FieldMapping;

use common::has;
use record::Rec;

/// What a record turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// An audit event.
    Event(Box<Event>),
    /// Not an event but a known companion file (digest, public keys, signature sidecar); skipped
    /// silently.
    Companion(Companion),
    /// Not recognised (and no generic mapping applies).
    Unknown,
}

/// Known files that travel with audit trails but hold no events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Companion {
    /// A CloudTrail or CTS digest file.
    Digest,
    /// Key material: `list-public-keys` output, PEM, base64 DER.
    Keys,
    /// Saved object metadata holding a signature (`head-object` output, CTS metadata).
    SignatureSidecar,
}

/// Context a decoder may use beyond the record itself.
pub(crate) struct Ctx<'m> {
    /// Region derived from a CTS trace file name (`..._CloudTrace_<region>_...`), if any.
    pub cts_region: Option<String>,
    /// The user's mapping for unrecognised JSON.
    pub mapping: Option<&'m FieldMapping>,
}

/// A record that could not be decoded as JSON.
pub(crate) struct JsonError {
    pub line: u64,
    pub column: u64,
    pub message: String,
}

fn json_err(e: serde_json::Error) -> JsonError {
    JsonError {
        line: e.line() as u64,
        column: e.column() as u64,
        message: e.to_string(),
    }
}

/// Decodes one record.
pub(crate) fn decode(bytes: &[u8], ctx: &Ctx<'_>) -> Result<Decoded, JsonError> {
    let rec: Rec<'_> = serde_json::from_slice(bytes).map_err(json_err)?;
    if let Some(d) = classify(&rec, ctx, 0) {
        return Ok(d);
    }
    // SLS exports flatten the event into `event.`-prefixed keys.
    if contains(bytes, b"\"event.") {
        if let Some(d) = envelopes::sls_flat(bytes, ctx) {
            return Ok(d);
        }
    }
    if let Some(m) = ctx.mapping {
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(json_err)?;
        return Ok(generic::map(&value, m));
    }
    Ok(Decoded::Unknown)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// One provider's detection rule and mapping.
struct Decoder {
    /// Whether the record is this provider's (by which keys it holds).
    detect: fn(&Rec<'_>) -> bool,
    /// Maps a detected record.
    map: fn(&Rec<'_>, &Ctx<'_>) -> Event,
}

/// Detection order matters where providers share key names: CloudTrail before ActionTrail
/// (CloudTrail's rule excludes `acsRegion`), and the bare LookupEvents wrapper last.
const DECODERS: [Decoder; 6] = [
    Decoder {
        detect: cloudtrail::detect,
        map: |r, _| cloudtrail::map(r, None),
    },
    Decoder {
        detect: actiontrail::detect,
        map: |r, _| actiontrail::map(r),
    },
    Decoder {
        detect: cts::detect,
        map: cts::map,
    },
    Decoder {
        detect: gcp::detect,
        map: |r, _| gcp::map(r),
    },
    Decoder {
        detect: azure::detect,
        map: |r, _| azure::map(r),
    },
    Decoder {
        detect: cloudtrail::detect_wrapper,
        map: |r, _| cloudtrail::map(&Rec::default(), Some(r)),
    },
];

/// Companion files (digests, keys, signature sidecars) hold no events.
fn companion(r: &Rec<'_>) -> Option<Companion> {
    if r.public_keys.is_some() {
        return Some(Companion::Keys);
    }
    if r.meta_signature.is_some() || (r.metadata.is_some() && !has(&r.event_time)) {
        return Some(Companion::SignatureSidecar);
    }
    if r.digest_fp.is_some()
        || (r.log_files.is_some() && r.digest_start.is_some())
        || r.digest_start_time.is_some()
        || (r.log_files_cts.is_some() && r.digest_object.is_some())
    {
        return Some(Companion::Digest);
    }
    None
}

fn classify(r: &Rec<'_>, ctx: &Ctx<'_>, depth: u32) -> Option<Decoded> {
    if let Some(c) = companion(r) {
        return Some(Decoded::Companion(c));
    }
    if let Some(d) = envelopes::unwrap(r, ctx, depth) {
        return Some(d);
    }
    DECODERS
        .iter()
        .find(|d| (d.detect)(r))
        .map(|d| Decoded::Event(Box::new((d.map)(r, ctx))))
}
