//! The normalized event model every provider's records are mapped to.
//!
//! [`Event`] is the row-shaped form: what a format decoder produces for one record and what
//! [`crate::store::EventStore::event`] gives back for one row. Its text type is a parameter: an
//! event read back from the store owns its `String`s (the default); a decoder's event
//! ([`BorrowedEvent`]) borrows each text from the record where the record spells it as it is,
//! since the store only copies the texts into its dictionaries and an owned event per record
//! cost a dozen allocations (3 % of loading a CloudTrail log in wasm, measured). The store keeps
//! the same data column-wise; the original JSON stays in the input file and is found again
//! through [`RawRef`].

use std::borrow::Cow;
use std::fmt;

/// The cloud an event came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(u8)]
pub enum Provider {
    /// AWS CloudTrail.
    Aws = 0,
    /// Alibaba Cloud ActionTrail.
    Alibaba = 1,
    /// Huawei Cloud CTS.
    Huawei = 2,
    /// Google Cloud Audit Logs.
    Gcp = 3,
    /// Azure Activity Log.
    Azure = 4,
    /// Any JSON read through a user-supplied [`crate::formats::FieldMapping`].
    #[default]
    Generic = 5,
}

impl Provider {
    /// Every provider, in code order.
    pub const ALL: [Provider; 6] = [
        Provider::Aws,
        Provider::Alibaba,
        Provider::Huawei,
        Provider::Gcp,
        Provider::Azure,
        Provider::Generic,
    ];

    /// The lower-case name used in output and queries (`aws`, `alibaba`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Aws => "aws",
            Provider::Alibaba => "alibaba",
            Provider::Huawei => "huawei",
            Provider::Gcp => "gcp",
            Provider::Azure => "azure",
            Provider::Generic => "generic",
        }
    }

    /// Parses a provider name, case-insensitively, accepting a few common synonyms.
    pub fn parse(s: &str) -> Option<Provider> {
        let s = s.to_ascii_lowercase();
        Some(match s.as_str() {
            "aws" | "cloudtrail" | "amazon" => Provider::Aws,
            "alibaba" | "aliyun" | "actiontrail" => Provider::Alibaba,
            "huawei" | "cts" | "huaweicloud" => Provider::Huawei,
            "gcp" | "google" | "gcloud" => Provider::Gcp,
            "azure" | "microsoft" => Provider::Azure,
            "generic" => Provider::Generic,
            _ => return None,
        })
    }

    pub(crate) fn from_u8(v: u8) -> Provider {
        match v {
            0 => Provider::Aws,
            1 => Provider::Alibaba,
            2 => Provider::Huawei,
            3 => Provider::Gcp,
            4 => Provider::Azure,
            _ => Provider::Generic,
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who performed the action (texts of type `S`, see [`Event`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Actor<S = String> {
    /// The provider's identity type (`IAMUser`, `AssumedRole`, `ram-user`, `serviceAccount`, ...).
    pub kind: S,
    /// A stable identifier: ARN, principal ID, e-mail, object ID.
    pub id: S,
    /// The name a person would recognise (user name, role/session, e-mail).
    pub name: S,
    /// The account's root identity (AWS `Root`, Alibaba `root-account`, Huawei account user).
    pub root: bool,
    /// A privileged-looking principal: root, or a user/role whose name contains "admin".
    /// A heuristic for highlighting, not an authorisation fact.
    pub admin: bool,
    /// The access key ID the request was signed with (AWS and Alibaba
    /// `userIdentity.accessKeyId`; empty when the record names none or only blanks).
    pub access_key: S,
}

/// Whether the action succeeded (texts of type `S`, see [`Event`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Outcome<S = String> {
    /// No error was recorded.
    #[default]
    Success,
    /// The action failed.
    Error {
        /// The provider's error code (`AccessDenied`, `PERMISSION_DENIED`, `403`, `warning`).
        code: S,
        /// The error message, possibly empty.
        message: S,
    },
}

impl<S: AsRef<str>> Outcome<S> {
    /// The error code, if the action failed.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            Outcome::Success => None,
            Outcome::Error { code, .. } => Some(code.as_ref()),
        }
    }
}

/// Where a record's original bytes are: enough to read them again on demand.
///
/// `offset` and `len` count bytes of the **decoded** stream (after gzip), so re-reading means
/// decoding the file again and taking `len` bytes from `offset` (see
/// [`crate::ingest::read_raw`]). For a LookupEvents record, the span covers the whole wrapper
/// object, `CloudTrailEvent` string included.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RawRef {
    /// Index of the file in [`crate::store::EventStore::files`].
    pub file: u32,
    /// Byte offset of the record's first byte in the decoded file.
    pub offset: u64,
    /// Length of the record in bytes.
    pub len: u32,
}

/// One normalized audit event, its texts of type `S`: `String` (the default) for an event
/// that owns them, `Cow<str>` for one a decoder borrows from its record ([`BorrowedEvent`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Event<S = String> {
    /// When it happened, in milliseconds since the Unix epoch, UTC.
    pub time_ms: i64,
    /// The cloud it came from.
    pub provider: Provider,
    /// Account (AWS, Alibaba), domain (Huawei), project (GCP) or subscription (Azure).
    pub account: S,
    /// Region or location, when known.
    pub region: S,
    /// The service called (`s3.amazonaws.com`, `Ecs`, `ECS`, `compute.googleapis.com`, ...).
    pub service: S,
    /// The event or operation name (`PutBucketPolicy`, `deleteVolume`, ...).
    pub action: S,
    /// Who did it.
    pub actor: Actor<S>,
    /// The caller's address as recorded (an IP, or a service name such as `ecs.aliyuncs.com`).
    pub source_ip: S,
    /// The caller's user agent.
    pub user_agent: S,
    /// `Some(true)` for reads, `Some(false)` for writes, `None` when the record does not say.
    pub read_only: Option<bool>,
    /// Success or error.
    pub outcome: Outcome<S>,
    /// Resources acted on: ARNs, IDs or resource names.
    pub resources: Vec<S>,
    /// The provider's unique event ID (CloudTrail `eventID`, GCP `insertId`, ...).
    pub event_id: S,
    /// Where the original record is.
    pub raw: RawRef,
}

/// An event as a decoder gives it: each text borrowed from the record's JSON where the record
/// spells it as it is (no escapes), owned where it had to be built.
pub type BorrowedEvent<'a> = Event<Cow<'a, str>>;

impl<S> Event<S> {
    /// The same event with every text passed through `f`.
    pub(crate) fn map_text<T>(self, mut f: impl FnMut(S) -> T) -> Event<T> {
        Event {
            time_ms: self.time_ms,
            provider: self.provider,
            account: f(self.account),
            region: f(self.region),
            service: f(self.service),
            action: f(self.action),
            actor: Actor {
                kind: f(self.actor.kind),
                id: f(self.actor.id),
                name: f(self.actor.name),
                root: self.actor.root,
                admin: self.actor.admin,
                access_key: f(self.actor.access_key),
            },
            source_ip: f(self.source_ip),
            user_agent: f(self.user_agent),
            read_only: self.read_only,
            outcome: match self.outcome {
                Outcome::Success => Outcome::Success,
                Outcome::Error { code, message } => Outcome::Error {
                    code: f(code),
                    message: f(message),
                },
            },
            resources: self.resources.into_iter().map(&mut f).collect(),
            event_id: f(self.event_id),
            raw: self.raw,
        }
    }
}

impl BorrowedEvent<'_> {
    /// The event borrowing nothing: for one decoded from text that does not outlive it.
    pub(crate) fn into_static(self) -> BorrowedEvent<'static> {
        self.map_text(|t| Cow::Owned(t.into_owned()))
    }
}

impl Event {
    /// The event as a decoder gives it (texts already owned).
    pub(crate) fn into_borrowed(self) -> BorrowedEvent<'static> {
        self.map_text(Cow::Owned)
    }
}
