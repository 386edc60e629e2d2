#![forbid(unsafe_code)]
#![deny(missing_docs)]
//! The normalized event model as Apache Parquet (`docs/parquet.md`).
//!
//! [`schema`] is the one, versioned column layout ([`SCHEMA_VERSION`]) every file has;
//! [`Partition`] is the Hive partition (`provider=…/date=…`) an event belongs to; [`PartWriter`]
//! writes one Parquet file of events to any [`Write`], holding at most one row group in memory.
//! Choosing files, directories and when to start the next part is the host's business: this crate
//! does no I/O of its own, so the browser can write a `Vec<u8>` with it as the CLI writes files.

use std::io::Write;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Int64Builder, ListBuilder, StringBuilder, TimestampMillisecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use trailproof_events::model::{Outcome, Provider};
use trailproof_events::store::EventStore;

/// The schema's version, in every file's key-value metadata under [`SCHEMA_VERSION_KEY`].
///
/// Columns may be added (then the minor number grows); renaming, removing or retyping one makes
/// a new major version (`docs/parquet.md`, "Schema version policy").
///
/// 1.1 added `access_key`.
pub const SCHEMA_VERSION: &str = "1.1";

/// Key-value metadata key of [`SCHEMA_VERSION`].
pub const SCHEMA_VERSION_KEY: &str = "trailproof.schema_version";

/// Key-value metadata key of the file's provider (also in its Hive path).
pub const PROVIDER_KEY: &str = "trailproof.provider";

/// Key-value metadata key of the file's UTC event date (also in its Hive path).
pub const DATE_KEY: &str = "trailproof.date";

/// A raw record larger than this is written as null: one value must fit Arrow's 32-bit string
/// offsets together with the rest of its batch.
const MAX_RAW_BYTES: usize = 1 << 30;

/// The columns, in file order: name, Arrow type, nullable. `docs/parquet.md` says what each
/// means; a test keeps the two in step.
pub fn schema() -> SchemaRef {
    let text = |name: &str| Field::new(name, DataType::Utf8, true);
    let flag = |name: &str| Field::new(name, DataType::Boolean, false);
    Arc::new(Schema::new(vec![
        Field::new(
            "time",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            false,
        ),
        text("account"),
        text("region"),
        text("service"),
        text("action"),
        text("actor"),
        text("actor_id"),
        text("actor_type"),
        text("source_ip"),
        text("user_agent"),
        text("event_id"),
        flag("root"),
        flag("admin"),
        Field::new("read_only", DataType::Boolean, true),
        text("error"),
        text("error_message"),
        Field::new(
            "resources",
            DataType::List(Arc::new(Field::new("item", DataType::Utf8, false))),
            false,
        ),
        Field::new("integrity", DataType::Utf8, false),
        flag("conflicting"),
        text("proof_digest"),
        text("proof_key"),
        text("proof_checkpoint"),
        Field::new("source_path", DataType::Utf8, false),
        Field::new("source_offset", DataType::Int64, false),
        Field::new("source_length", DataType::Int64, false),
        text("raw"),
        text("access_key"),
    ]))
}

/// The Hive partition of an event: its provider and the UTC date of its time.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Partition {
    /// The provider (`provider=aws`).
    pub provider: Provider,
    /// The UTC date of the event's time, `YYYY-MM-DD` (`date=2024-05-01`).
    pub date: String,
}

impl Partition {
    /// The partition of `row` of `store`.
    pub fn of(store: &EventStore, row: usize) -> Partition {
        Partition::new(store.provider(row), store.time_ms(row))
    }

    /// The partition of an event of `provider` at `time_ms` (epoch milliseconds, UTC).
    pub fn new(provider: Provider, time_ms: i64) -> Partition {
        let stamp = trailproof_events::time::format_rfc3339(time_ms);
        let date = stamp.split('T').next().unwrap_or_default().to_string();
        Partition { provider, date }
    }

    /// The relative directory, `provider=aws/date=2024-05-01` (values need no escaping: provider
    /// names are lower-case words and dates digits and dashes).
    pub fn dir(&self) -> String {
        format!("provider={}/date={}", self.provider.as_str(), self.date)
    }
}

/// Bounds of one file's in-memory buffers.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Rows gathered into one Arrow batch before it is handed to the Parquet encoder.
    pub batch_rows: usize,
    /// Rows per row group at most.
    pub row_group_rows: usize,
    /// Estimated encoded bytes per row group at most (what bounds memory with `raw`).
    pub row_group_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            batch_rows: 8192,
            row_group_rows: 128 * 1024,
            row_group_bytes: 64 << 20,
        }
    }
}

/// Writes one Parquet file of events: [`PartWriter::push`] rows, then [`PartWriter::finish`].
///
/// Memory is bounded by one Arrow batch ([`Limits::batch_rows`], or fewer when raw records make
/// it large) plus one encoded row group ([`Limits::row_group_rows`] /
/// [`Limits::row_group_bytes`]), whatever the number of rows written.
pub struct PartWriter<W: Write + Send> {
    writer: ArrowWriter<W>,
    columns: Columns,
    limits: Limits,
    rows: usize,
}

impl<W: Write + Send> PartWriter<W> {
    /// Starts a file in `out` for events of `partition` (recorded in the key-value metadata next
    /// to [`SCHEMA_VERSION`]), Snappy-compressed.
    pub fn new(out: W, partition: &Partition, limits: Limits) -> Result<Self, ParquetError> {
        let kv = |k: &str, v: &str| KeyValue::new(k.to_string(), v.to_string());
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(limits.row_group_rows.max(1)))
            .set_max_row_group_bytes(Some(limits.row_group_bytes.max(1)))
            .set_created_by(format!(
                "trailproof {} (parquet-rs)",
                env!("CARGO_PKG_VERSION")
            ))
            .set_key_value_metadata(Some(vec![
                kv(SCHEMA_VERSION_KEY, SCHEMA_VERSION),
                kv(PROVIDER_KEY, partition.provider.as_str()),
                kv(DATE_KEY, &partition.date),
            ]))
            .build();
        Ok(PartWriter {
            writer: ArrowWriter::try_new(out, schema(), Some(props))?,
            columns: Columns::new(limits.batch_rows),
            limits,
            rows: 0,
        })
    }

    /// Rows pushed so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Appends `row` of `store`, with its raw record (as stored: invalid UTF-8 becomes U+FFFD)
    /// when the caller has it.
    pub fn push(
        &mut self,
        store: &EventStore,
        row: usize,
        raw: Option<&[u8]>,
    ) -> Result<(), ParquetError> {
        let raw = raw.filter(|r| r.len() <= MAX_RAW_BYTES);
        // A batch's strings share 32-bit offsets: hand it over before a raw record could
        // overflow them, and before it outgrows a row group anyway.
        if self.columns.len > 0
            && self.columns.raw_bytes + raw.map_or(0, <[u8]>::len) > self.limits.row_group_bytes
        {
            self.write_batch()?;
        }
        self.columns.push(store, row, raw);
        self.rows += 1;
        if self.columns.len >= self.limits.batch_rows.max(1) {
            self.write_batch()?;
        }
        Ok(())
    }

    fn write_batch(&mut self) -> Result<(), ParquetError> {
        let columns = std::mem::replace(&mut self.columns, Columns::new(self.limits.batch_rows));
        let batch = RecordBatch::try_new(schema(), columns.finish())?;
        self.writer.write(&batch)
    }

    /// Writes what is buffered and the footer; gives the output back.
    pub fn finish(mut self) -> Result<W, ParquetError> {
        if self.columns.len > 0 {
            self.write_batch()?;
        }
        self.writer.into_inner()
    }
}

/// Arrow builders for one batch, in [`schema`] order.
struct Columns {
    len: usize,
    raw_bytes: usize,
    time: TimestampMillisecondBuilder,
    text: [StringBuilder; 10],
    root: BooleanBuilder,
    admin: BooleanBuilder,
    read_only: BooleanBuilder,
    error: StringBuilder,
    error_message: StringBuilder,
    resources: ListBuilder<StringBuilder>,
    integrity: StringBuilder,
    conflicting: BooleanBuilder,
    proof: [StringBuilder; 3],
    source_path: StringBuilder,
    source_offset: Int64Builder,
    source_length: Int64Builder,
    raw: StringBuilder,
    access_key: StringBuilder,
}

/// Empty strings are "not recorded" in the store; they become nulls.
fn opt(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

impl Columns {
    fn new(capacity: usize) -> Columns {
        let s = || StringBuilder::with_capacity(capacity, capacity * 16);
        let b = || BooleanBuilder::with_capacity(capacity);
        Columns {
            len: 0,
            raw_bytes: 0,
            time: TimestampMillisecondBuilder::with_capacity(capacity).with_timezone("UTC"),
            text: std::array::from_fn(|_| s()),
            root: b(),
            admin: b(),
            read_only: b(),
            error: s(),
            error_message: s(),
            resources: ListBuilder::new(StringBuilder::new()).with_field(Arc::new(Field::new(
                "item",
                DataType::Utf8,
                false,
            ))),
            integrity: s(),
            conflicting: b(),
            proof: std::array::from_fn(|_| s()),
            source_path: s(),
            source_offset: Int64Builder::with_capacity(capacity),
            source_length: Int64Builder::with_capacity(capacity),
            raw: StringBuilder::new(),
            access_key: s(),
        }
    }

    fn push(&mut self, store: &EventStore, row: usize, raw: Option<&[u8]>) {
        let e = store.event(row);
        self.time.append_value(e.time_ms);
        // The ten text columns after `time`, in schema order.
        let texts = [
            &e.account,
            &e.region,
            &e.service,
            &e.action,
            &e.actor.name,
            &e.actor.id,
            &e.actor.kind,
            &e.source_ip,
            &e.user_agent,
            &e.event_id,
        ];
        for (b, v) in self.text.iter_mut().zip(texts) {
            b.append_option(opt(v));
        }
        self.root.append_value(e.actor.root);
        self.admin.append_value(e.actor.admin);
        self.read_only.append_option(e.read_only);
        match &e.outcome {
            // A failed call keeps its code even when the provider recorded an empty one.
            Outcome::Error { code, message } => {
                self.error.append_value(code);
                self.error_message.append_option(opt(message));
            }
            Outcome::Success => {
                self.error.append_null();
                self.error_message.append_null();
            }
        }
        for r in &e.resources {
            self.resources.values().append_value(r);
        }
        self.resources.append(true);
        self.integrity.append_value(store.integrity(row).as_str());
        self.conflicting.append_value(store.conflicting(row));
        let proof = store.proof(row);
        let parts = [
            proof.and_then(|p| p.digest.as_deref()),
            proof.and_then(|p| p.key.as_deref()),
            proof.and_then(|p| p.checkpoint.as_deref()),
        ];
        for (b, v) in self.proof.iter_mut().zip(parts) {
            b.append_option(v);
        }
        let path = store
            .files()
            .get(e.raw.file as usize)
            .map(String::as_str)
            .unwrap_or_default();
        self.source_path.append_value(path);
        // Offsets stay below 2^63 (they count bytes of one decoded file).
        self.source_offset
            .append_value(i64::try_from(e.raw.offset).unwrap_or(i64::MAX));
        self.source_length.append_value(i64::from(e.raw.len));
        match raw {
            Some(bytes) => {
                self.raw_bytes += bytes.len();
                self.raw.append_value(String::from_utf8_lossy(bytes));
            }
            None => self.raw.append_null(),
        }
        self.access_key.append_option(opt(&e.actor.access_key));
        self.len += 1;
    }

    /// The arrays in [`schema`] order.
    fn finish(mut self) -> Vec<ArrayRef> {
        let mut out: Vec<ArrayRef> = vec![Arc::new(self.time.finish())];
        for b in &mut self.text {
            out.push(Arc::new(b.finish()));
        }
        out.push(Arc::new(self.root.finish()));
        out.push(Arc::new(self.admin.finish()));
        out.push(Arc::new(self.read_only.finish()));
        out.push(Arc::new(self.error.finish()));
        out.push(Arc::new(self.error_message.finish()));
        out.push(Arc::new(self.resources.finish()));
        out.push(Arc::new(self.integrity.finish()));
        out.push(Arc::new(self.conflicting.finish()));
        for b in &mut self.proof {
            out.push(Arc::new(b.finish()));
        }
        out.push(Arc::new(self.source_path.finish()));
        out.push(Arc::new(self.source_offset.finish()));
        out.push(Arc::new(self.source_length.finish()));
        out.push(Arc::new(self.raw.finish()));
        out.push(Arc::new(self.access_key.finish()));
        out
    }
}
