//! Record decoders: one JSON object in, one normalized [`Event`] out.
//!
//! A record is decoded once into a borrowed superset structure (`record`) holding the keys any
//! supported provider reads; the provider is then decided from which keys are present (by
//! content, never by file name) through the `DECODERS` table, after companions and
//! envelopes. Each provider's module holds its detection rule and its mapping; `common` holds
//! what they share. `docs/formats.md` has one section per module.

use crate::model::BorrowedEvent;

mod actiontrail;
mod azure;
mod cloudtrail;
mod common;
mod cts;
mod envelopes;
mod gcp;
mod generic;
mod lake;
mod record;

pub(crate) use cts::region_from_path as cts_region_from_path;
pub(crate) use cts::{
    decode_export_row as cts_export_row, is_export_header as is_cts_export_header,
};
pub use generic::FieldMapping;
pub(crate) use lake::{decode_row as lake_row, is_header as is_lake_header};

use common::has;
use record::Rec;

/// What a record turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decoded<'a> {
    /// An audit event, its texts borrowed from the record where it can.
    Event(Box<BorrowedEvent<'a>>),
    /// Not an event but a known companion file (digest, public keys, signature sidecar); skipped
    /// silently.
    Companion(Companion),
    /// Recognisably one of the supported shapes, but lacking what that shape needs (a time,
    /// the embedded record): not loaded, and reported once per file.
    Incomplete {
        /// The shape the record looked like.
        shape: &'static str,
        /// What was missing or unusable.
        missing: String,
    },
    /// Not recognised (and no generic mapping applies).
    Unknown,
}

impl Decoded<'_> {
    /// The same, owning its texts: for a record decoded from text that does not outlive the
    /// caller (an envelope's inner record, a record rebuilt from SLS keys or CSV cells).
    pub(crate) fn into_owned(self) -> Decoded<'static> {
        match self {
            Decoded::Event(e) => Decoded::Event(Box::new(e.into_static())),
            Decoded::Companion(c) => Decoded::Companion(c),
            Decoded::Incomplete { shape, missing } => Decoded::Incomplete { shape, missing },
            Decoded::Unknown => Decoded::Unknown,
        }
    }
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
    pub cts_region: Option<&'m str>,
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
pub(crate) fn decode<'a>(text: &'a str, ctx: &Ctx<'_>) -> Result<Decoded<'a>, JsonError> {
    let bytes = text.as_bytes();
    // The scanner hands out arrays only for the rows of a Lake `GetQueryResults` page.
    if bytes.first() == Some(&b'[') {
        return lake::decode_json_row(bytes);
    }
    // From `str`: the caller has checked UTF-8 once; `from_slice` would check every string again.
    let rec: Rec<'a> = serde_json::from_str(text).map_err(json_err)?;
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
        let value: serde_json::Value = serde_json::from_str(text).map_err(json_err)?;
        if let d @ Decoded::Event(_) = generic::map(&value, m) {
            return Ok(d);
        }
    }
    Ok(resemblance(&rec)
        .map(|(shape, missing)| incomplete(shape, missing))
        .unwrap_or(Decoded::Unknown))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// What a detected record lacks, in words that complete "looks like <shape> but ...".
pub(crate) type Missing = &'static str;

/// One provider's detection rule and mapping.
struct Decoder {
    /// The shape, as diagnostics name it.
    shape: &'static str,
    /// Whether the record is this provider's (by which keys it holds).
    detect: fn(&Rec<'_>) -> bool,
    /// Maps a detected record; fails when the record lacks what every event needs (a time).
    map: for<'a> fn(&Rec<'a>, &Ctx<'_>) -> Result<BorrowedEvent<'a>, Missing>,
}

/// Detection order matters where providers share key names: CloudTrail before ActionTrail
/// (CloudTrail's rule excludes `acsRegion`), and the bare LookupEvents wrapper last.
const DECODERS: [Decoder; 6] = [
    Decoder {
        shape: "a CloudTrail record",
        detect: cloudtrail::detect,
        map: |r, _| cloudtrail::map(r, None),
    },
    Decoder {
        shape: "an ActionTrail event",
        detect: actiontrail::detect,
        map: |r, _| actiontrail::map(r),
    },
    Decoder {
        shape: "a CTS trace",
        detect: cts::detect,
        map: cts::map,
    },
    Decoder {
        shape: "a GCP LogEntry",
        detect: gcp::detect,
        map: |r, _| gcp::map(r),
    },
    Decoder {
        shape: "an Azure Activity Log record",
        detect: azure::detect,
        map: |r, _| azure::map(r),
    },
    Decoder {
        shape: "a LookupEvents record",
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

fn classify<'a>(r: &Rec<'a>, ctx: &Ctx<'_>, depth: u32) -> Option<Decoded<'a>> {
    if let Some(c) = companion(r) {
        return Some(Decoded::Companion(c));
    }
    if let Some(d) = envelopes::unwrap(r, ctx, depth) {
        return Some(d);
    }
    if let Some(d) = DECODERS.iter().find(|d| (d.detect)(r)) {
        return Some(match (d.map)(r, ctx) {
            Ok(e) => Decoded::Event(Box::new(e)),
            Err(missing) => incomplete(d.shape, missing),
        });
    }
    None
}

pub(crate) fn incomplete<'a>(shape: &'static str, missing: impl Into<String>) -> Decoded<'a> {
    Decoded::Incomplete {
        shape,
        missing: missing.into(),
    }
}

/// For a record no decoder took: the shape it most resembles and what it lacks, when it
/// resembles one at all (otherwise it stays unknown, possibly for the user's mapping).
fn resemblance(r: &Rec<'_>) -> Option<(&'static str, &'static str)> {
    let ct_keys = has(&r.event_name)
        || has(&r.event_source)
        || r.user_identity.0.is_some()
        || has(&r.event_version);
    if r.sdk_status.is_some() && r.body.is_some() {
        Some((
            "an Alibaba Cloud OpenAPI response",
            "its `body` holds no `Events` list",
        ))
    } else if has(&r.lake_status) {
        Some((
            "a CloudTrail Lake query-results page (GetQueryResults JSON)",
            "it holds no `QueryResultRows` list of rows (a page of a query still running, or an error)",
        ))
    } else if ct_keys && !has(&r.event_time) {
        Some((
            "a CloudTrail or ActionTrail event",
            "`eventTime` is missing",
        ))
    } else if has(&r.trace_id) || has(&r.trace_type) || has(&r.service_type) {
        Some((
            "a CTS trace",
            "it has neither `trace_name` nor `service_type` with `trace_rating`/`trace_id`",
        ))
    } else if has(&r.az_operation) {
        Some((
            "an Azure Activity Log record",
            "`time` / `eventTimestamp` is missing",
        ))
    } else if has(&r.az_event_data_id) || (has(&r.az_result_type) && has(&r.category)) {
        Some(("an Azure Activity Log record", "`operationName` is missing"))
    } else {
        None
    }
}
