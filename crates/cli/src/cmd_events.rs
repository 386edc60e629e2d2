//! `trailproof events`: print normalized audit events from any supported export.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use trailproof_events::formats::FieldMapping;
use trailproof_events::ingest::{IngestOptions, InputSummary};
use trailproof_events::store::{EventStore, Field};
use trailproof_events::time::format_rfc3339;

use crate::fs_input;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for reading.
    Table,
    /// JSON Lines: one object per event.
    Json,
    /// CSV with a header row.
    Csv,
    /// Hive-partitioned Apache Parquet files under `--output DIR` (docs/parquet.md).
    Parquet,
}

/// Arguments of `trailproof events`.
#[derive(clap::Args)]
pub struct Args {
    /// Only events matching this query (see docs/query.md), e.g. `actor:alice -rw:read`.
    #[arg(short, long)]
    query: Option<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Field mapping for JSON no built-in format recognises, e.g. `time=ts,actor=user.name,action=op`.
    #[arg(long)]
    mapping: Option<String>,
    /// Keep repeated events (same provider and event ID) instead of dropping identical copies
    /// (conflicting versions are always kept).
    #[arg(long)]
    keep_duplicates: bool,
    /// Public keys for digest verification, which decides each event's `integrity`
    /// (list-public-keys JSON, PEM, base64 or DER; repeatable). Keys among the inputs are
    /// found without it.
    #[arg(long = "keys", value_name = "FILE")]
    keys: Vec<PathBuf>,
    /// Output directory of `--format parquet` (created; must be empty if it exists):
    /// `DIR/provider=aws/date=2024-05-01/part-00000.parquet`, ...
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,
    /// With `--format parquet`: also write each event's original record, re-read from the
    /// inputs, in the `raw` column.
    #[arg(long)]
    raw: bool,
    /// With `--format parquet`: rows per file at most (a partition with more gets further
    /// `part-NNNNN.parquet` files).
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    max_rows_per_file: usize,
    /// Files, directories or archives (zip, tar, tar.gz); gzip files are decoded.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
}

/// Loads every input, prints the matching events; exit 0 when at least one input was readable,
/// 1 when none was, 2 for a bad query or mapping.
pub fn run(args: Args) -> ExitCode {
    // Check the query before reading anything: a typo should not cost a long ingest.
    if let Some(q) = &args.query {
        if let Err(e) = trailproof_events::query::parse(q) {
            report_query_error(q, &e);
            return ExitCode::from(2);
        }
    }
    // The Parquet output's arguments too: a mistake should not cost a long ingest either.
    let parquet = match (args.format, &args.output) {
        (Format::Parquet, Some(dir)) => {
            if let Err(message) = crate::parquet_out::check_dir(dir) {
                eprintln!("trailproof: {message}");
                return ExitCode::from(2);
            }
            Some(crate::parquet_out::Options {
                dir: dir.clone(),
                raw: args.raw,
                max_rows_per_file: args.max_rows_per_file,
            })
        }
        (Format::Parquet, None) => {
            eprintln!(
                "trailproof: --format parquet writes files: name their directory with -o DIR"
            );
            return ExitCode::from(2);
        }
        (_, Some(_)) => {
            eprintln!("trailproof: -o/--output is for --format parquet (other formats go to standard output)");
            return ExitCode::from(2);
        }
        (_, None) => None,
    };
    if args.max_rows_per_file == 0 {
        eprintln!("trailproof: --max-rows-per-file must be at least 1");
        return ExitCode::from(2);
    }
    let mapping = match args.mapping.as_deref().map(FieldMapping::parse) {
        Some(Err(bad)) => {
            eprintln!("trailproof: invalid --mapping entry {bad:?} (expected key=path pairs with time=<path>)");
            return ExitCode::from(2);
        }
        Some(Ok(m)) => Some(m),
        None => None,
    };
    let options = IngestOptions {
        mapping,
        dedup: !args.keep_duplicates,
        ..Default::default()
    };
    let keys = match crate::fs_input::read_key_files(&args.keys) {
        Ok(keys) => keys,
        Err(message) => {
            eprintln!("trailproof: {message}");
            return ExitCode::from(2);
        }
    };
    // The files as named in the events' `source.path`, for verification under the same names.
    let mut named = Vec::new();
    for arg in &args.inputs {
        match fs_input::expand(arg) {
            Ok(files) => named.extend(files.into_iter().map(|found| {
                let name = found.path.display().to_string();
                (found.path, name)
            })),
            Err(e) => eprintln!("error: {}: {e}", arg.display()),
        }
    }
    // Each event's integrity comes from verifying the digest chains among the same files:
    // one read of every entry, on all cores, feeds the chain scan and the ingest, as in `verify`.
    let loaded = crate::load::load(&named, Vec::new(), &options, &|_| true);
    if !print_problems(&loaded.summaries) {
        eprintln!("trailproof: no input could be read");
        return ExitCode::FAILURE;
    }
    let mut store = loaded.ingest.finish();
    match crate::cmd_verify::verify_chains(loaded.scanned, &keys) {
        Ok(mut report) => crate::cmd_verify::apply_integrity(&mut store, &mut report),
        Err(msg) => {
            eprintln!("trailproof: {msg}");
            return ExitCode::from(2);
        }
    }
    let selection = match store.query(args.query.as_deref().unwrap_or("")) {
        Ok(s) => s,
        Err(e) => {
            report_query_error(args.query.as_deref().unwrap_or(""), &e);
            return ExitCode::from(2);
        }
    };
    let rows: Vec<usize> = selection.iter().collect();
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let written = match args.format {
        Format::Table => write_table(&mut out, &store, &rows),
        Format::Json => rows
            .iter()
            .try_for_each(|&r| write_json(&mut out, &store, r)),
        Format::Csv => write_csv(&mut out, &store, &rows),
        // `parquet` is always set for this format (checked before the ingest).
        Format::Parquet => {
            return match parquet {
                Some(options) => write_parquet(&store, &rows, &named, &options),
                None => ExitCode::from(2),
            }
        }
    };
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = written.and_then(|_| out.flush());
    ExitCode::SUCCESS
}

/// Writes the Parquet output and says what it wrote.
fn write_parquet(
    store: &EventStore,
    rows: &[usize],
    named: &[(PathBuf, String)],
    options: &crate::parquet_out::Options,
) -> ExitCode {
    match crate::parquet_out::write(store, rows, named, options) {
        Ok(w) => {
            eprintln!(
                "trailproof: {} events in {} Parquet files under {}",
                w.events,
                w.files,
                options.dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("trailproof: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Prints each file's diagnostics, in input order; whether any file was readable.
fn print_problems(summaries: &[(usize, InputSummary)]) -> bool {
    let mut readable = false;
    for (_, summary) in summaries {
        for d in &summary.diagnostics {
            eprintln!("{d}");
        }
        for s in &summary.files {
            readable |= s.readable();
            for d in &s.diagnostics {
                eprintln!("{d}");
            }
            if s.suppressed > 0 {
                eprintln!(
                    "warning: {}: {} more problems not shown",
                    s.path, s.suppressed
                );
            }
        }
    }
    readable
}

fn report_query_error(query: &str, e: &trailproof_events::Error) {
    eprintln!("trailproof: {e}");
    if let trailproof_events::Error::Query { position, .. } = e {
        let col = query
            .get(..*position)
            .map(|p| p.chars().count())
            .unwrap_or(0);
        eprintln!("  {query}\n  {}^", " ".repeat(col));
    }
}

fn read_only_text(store: &EventStore, row: usize) -> &'static str {
    match store.read_only(row) {
        Some(true) => "read",
        Some(false) => "write",
        None => "-",
    }
}

const TABLE: [(&str, Field); 10] = [
    ("PROVIDER", Field::Provider),
    ("ACCOUNT", Field::Account),
    ("REGION", Field::Region),
    ("SERVICE", Field::Service),
    ("ACTION", Field::Action),
    ("ACTOR", Field::Actor),
    ("SOURCE_IP", Field::SourceIp),
    ("RW", Field::ReadWrite),
    ("ERROR", Field::ErrorCode),
    ("INTEGRITY", Field::Integrity),
];

fn write_table(out: &mut dyn Write, store: &EventStore, rows: &[usize]) -> io::Result<()> {
    const MAX: usize = 40;
    let cell = |r: usize, f: Field| -> String {
        let v = match f {
            Field::ReadWrite => read_only_text(store, r).to_string(),
            _ => store.text(r, f),
        };
        // Event fields are untrusted: no control characters reach the terminal.
        let v: String = v
            .chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .collect();
        let v = if v.is_empty() { "-".to_string() } else { v };
        if v.chars().count() > MAX {
            let mut t: String = v.chars().take(MAX - 1).collect();
            t.push('…');
            t
        } else {
            v
        }
    };
    let mut widths: Vec<usize> = TABLE.iter().map(|(h, _)| h.len()).collect();
    for &r in rows {
        for (i, (_, f)) in TABLE.iter().enumerate() {
            widths[i] = widths[i].max(cell(r, *f).chars().count());
        }
    }
    write!(out, "{:<24}", "TIME (UTC)")?;
    for (i, (h, _)) in TABLE.iter().enumerate() {
        write!(out, "  {:<w$}", h, w = widths[i])?;
    }
    writeln!(out)?;
    for &r in rows {
        write!(out, "{:<24}", format_rfc3339(store.time_ms(r)))?;
        for (i, (_, f)) in TABLE.iter().enumerate() {
            write!(out, "  {:<w$}", cell(r, *f), w = widths[i])?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn write_json(out: &mut dyn Write, store: &EventStore, r: usize) -> io::Result<()> {
    let e = store.event(r);
    let opt = |s: String| {
        if s.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::Value::String(s)
        }
    };
    let raw = e.raw;
    let v = serde_json::json!({
        "time": format_rfc3339(e.time_ms),
        "provider": e.provider.as_str(),
        "account": e.account,
        "region": e.region,
        "service": e.service,
        "action": e.action,
        "actor": e.actor.name,
        "actor_id": e.actor.id,
        "actor_type": e.actor.kind,
        "access_key": e.actor.access_key,
        "root": e.actor.root,
        "source_ip": e.source_ip,
        "user_agent": e.user_agent,
        "read_only": e.read_only,
        "error": e.outcome.error_code(),
        "error_message": opt(match &e.outcome {
            trailproof_events::model::Outcome::Error { message, .. } => message.clone(),
            _ => String::new(),
        }),
        "event_id": e.event_id,
        "resources": e.resources,
        "source": {
            "path": store.files().get(raw.file as usize).cloned().unwrap_or_default(),
            "offset": raw.offset,
            "length": raw.len,
        },
        "integrity": store.integrity(r).as_str(),
        "proof": store.proof(r),
    });
    serde_json::to_writer(&mut *out, &v)?;
    writeln!(out)
}

const CSV: [(&str, Field); 17] = [
    ("time", Field::Time),
    ("provider", Field::Provider),
    ("account", Field::Account),
    ("region", Field::Region),
    ("service", Field::Service),
    ("action", Field::Action),
    ("actor", Field::Actor),
    ("actor_id", Field::ActorId),
    ("actor_type", Field::ActorType),
    ("access_key", Field::AccessKey),
    ("source_ip", Field::SourceIp),
    ("user_agent", Field::UserAgent),
    ("read_only", Field::ReadWrite),
    ("error", Field::ErrorCode),
    ("error_message", Field::ErrorMessage),
    ("event_id", Field::EventId),
    ("source", Field::File),
];

fn csv_cell(v: &str) -> String {
    // Cells a spreadsheet would run as formulas get a leading quote (OWASP CSV injection);
    // event fields such as user agents are attacker-controlled. `-` is left alone: real IDs
    // start with it (GCP insertId).
    let v = if v.starts_with(['=', '+', '@', '\t', '\r']) {
        format!("'{v}")
    } else {
        v.to_string()
    };
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

fn write_csv(out: &mut dyn Write, store: &EventStore, rows: &[usize]) -> io::Result<()> {
    let header: Vec<&str> = CSV.iter().map(|(h, _)| *h).collect();
    writeln!(
        out,
        "{},offset,length,integrity,proof_digest,proof_key,proof_checkpoint",
        header.join(",")
    )?;
    for &r in rows {
        let cells: Vec<String> = CSV
            .iter()
            .map(|(_, f)| match f {
                Field::ReadWrite => match store.read_only(r) {
                    Some(b) => b.to_string(),
                    None => String::new(),
                },
                _ => csv_cell(&store.text(r, *f)),
            })
            .collect();
        let raw = store.raw(r);
        let proof = store.proof(r);
        let part = |f: fn(&trailproof_core::report::Proof) -> &Option<String>| {
            csv_cell(proof.and_then(|p| f(p).as_deref()).unwrap_or(""))
        };
        writeln!(
            out,
            "{},{},{},{},{},{},{}",
            cells.join(","),
            raw.offset,
            raw.len,
            store.integrity(r).as_str(),
            part(|p| &p.digest),
            part(|p| &p.key),
            part(|p| &p.checkpoint)
        )?;
    }
    Ok(())
}
