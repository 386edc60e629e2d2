//! A run split into parts (one per file, or a few per worker) and appended in input order
//! gives the same store as one run over every file: what lets hosts ingest on all cores.

use std::path::{Path, PathBuf};

use trailproof_core::report::{Integrity, Proof};
use trailproof_events::ingest::{FileSummary, Ingest, IngestOptions};
use trailproof_events::store::Field;
use trailproof_events::EventStore;

fn fixtures() -> PathBuf {
    std::env::var_os("TRAILPROOF_FIXTURES").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures"),
        PathBuf::from,
    )
}

/// Every fixture file (events of every provider, companions, broken and tampered files), in
/// a fixed order, with the synthetic CloudTrail logs twice so that copies and conflicting
/// versions of events are among them.
fn inputs() -> Vec<(String, Vec<u8>)> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("fixtures folder")
            .map(|e| e.expect("dir entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                let name = path
                    .strip_prefix(root)
                    .expect("under the root")
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((name, std::fs::read(&path).expect("fixture")));
            }
        }
    }
    let root = fixtures();
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    let again: Vec<(String, Vec<u8>)> = out
        .iter()
        .filter(|(n, _)| n.starts_with("synthetic_aws/"))
        .map(|(n, b)| (format!("again/{n}"), b.clone()))
        .collect();
    assert!(!again.is_empty(), "synthetic CloudTrail fixtures present");
    out.extend(again);
    out
}

/// Everything the store says, row by row, after a deterministic integrity is applied.
fn dump(mut store: EventStore) -> Vec<String> {
    // Every third file verified, the rest unprotected: enough to exercise copies and conflicts.
    let files = store.files().to_vec();
    store.apply_integrity(|path| {
        let i = files.iter().position(|f| f == path).unwrap_or(0);
        if i % 3 == 0 {
            (
                Integrity::Verified,
                Some(Proof {
                    digest: Some(format!("digest of {path}")),
                    key: None,
                    checkpoint: None,
                }),
            )
        } else {
            (Integrity::Unprotected, None)
        }
    });
    let mut out = vec![
        format!("files {:?}", store.files()),
        format!("duplicates {}", store.duplicates_dropped()),
        format!("conflicts {:?}", store.conflicts()),
        format!("coverage {:?}", store.coverage()),
    ];
    for f in 0..store.files().len() as u32 {
        out.push(format!(
            "file {f}: {} copies, {} conflicts",
            store.duplicates_in_file(f),
            store.conflicts_in_file(f)
        ));
    }
    for row in 0..store.len() {
        out.push(format!(
            "{row}: {:?} {} {} {:?} {}",
            store.event(row),
            store.integrity(row).as_str(),
            store.conflicting(row),
            store.proof(row),
            store.text(row, Field::File),
        ));
    }
    out
}

fn whole(files: &[(String, Vec<u8>)]) -> (Vec<FileSummary>, EventStore) {
    let mut ingest = Ingest::new(IngestOptions::default());
    let sums = files
        .iter()
        .map(|(n, b)| ingest.add_file(n, &mut &b[..]))
        .collect();
    (sums, ingest.finish())
}

/// Parts of `size` consecutive files each, loaded apart and appended in order.
fn in_parts(files: &[(String, Vec<u8>)], size: usize) -> (Vec<FileSummary>, EventStore) {
    let mut run = Ingest::new(IngestOptions::default());
    let mut sums = Vec::new();
    for chunk in files.chunks(size) {
        let mut part = run.part();
        sums.extend(chunk.iter().map(|(n, b)| part.add_file(n, &mut &b[..])));
        run.append(part.into_part());
    }
    (sums, run.finish())
}

#[test]
fn parts_appended_in_order_give_the_store_of_one_run() {
    let files = inputs();
    let (sums, store) = whole(&files);
    assert!(store.duplicates_dropped() > 0 && !store.conflicts().is_empty());
    let expected = dump(store);
    for size in [1, 2, 7, files.len()] {
        let (part_sums, part_store) = in_parts(&files, size);
        assert_eq!(part_sums, sums, "summaries, parts of {size}");
        let got = dump(part_store);
        assert_eq!(got.len(), expected.len(), "parts of {size}");
        for (g, e) in got.iter().zip(&expected) {
            assert_eq!(g, e, "parts of {size}");
        }
    }
}

/// Parts that travel as bytes (between browser workers) append exactly as the parts do; a
/// damaged buffer is refused, never loaded.
#[test]
fn parts_encoded_and_decoded_give_the_store_of_one_run() {
    use trailproof_events::ingest::Part;
    let files = inputs();
    let (_, store) = whole(&files);
    let expected = dump(store);
    for size in [1, 3, files.len()] {
        let mut run = Ingest::new(IngestOptions::default());
        for chunk in files.chunks(size) {
            let mut part = run.part();
            for (n, b) in chunk {
                part.add_file(n, &mut &b[..]);
            }
            let bytes = part.into_part().encode();
            run.append(Part::decode(&bytes).expect("own encoding"));
        }
        assert!(dump(run.finish()) == expected, "encoded parts of {size}");
    }
    let mut part = Ingest::new(IngestOptions::default());
    for (n, b) in &files[..8] {
        part.add_file(n, &mut &b[..]);
    }
    let bytes = part.into_part().encode();
    assert!(Part::decode(&[]).is_err());
    assert!(Part::decode(&bytes[..bytes.len() / 2]).is_err());
    // Every single-byte change either decodes to a well-formed part or is refused: no panic.
    for i in (1..bytes.len()).step_by(97) {
        let mut bad = bytes.clone();
        bad[i] ^= 0x5a;
        if let Ok(p) = Part::decode(&bad) {
            let mut run = Ingest::new(IngestOptions::default());
            run.append(p);
            let _ = dump(run.finish());
        }
    }
}

/// A run whose events are taken as parts between its files (as a load worker hands them on
/// as they grow), the parts appended in order elsewhere, gives the store of one run; the
/// run's own count starts again after each take.
#[test]
fn parts_taken_between_files_give_the_store_of_one_run() {
    let files = inputs();
    let (sums, store) = whole(&files);
    let expected = dump(store);
    for every in [1, 4, files.len()] {
        let mut run = Ingest::new(IngestOptions::default());
        let mut joined = Ingest::new(IngestOptions::default());
        let mut taken_sums = Vec::new();
        for (k, (n, b)) in files.iter().enumerate() {
            taken_sums.push(run.add_file(n, &mut &b[..]));
            if (k + 1) % every == 0 {
                let held = run.events();
                let part = run.take_part();
                assert_eq!(run.events(), 0, "taken");
                let before = joined.events();
                joined.append(part);
                assert_eq!(joined.events(), before + held);
            }
        }
        joined.append(run.into_part());
        assert_eq!(taken_sums, sums, "summaries, a part every {every} files");
        assert!(
            dump(joined.finish()) == expected,
            "a part every {every} files"
        );
    }
}

#[test]
fn empty_parts_change_nothing() {
    let files = inputs();
    let (_, store) = whole(&files[..5]);
    let mut run = Ingest::new(IngestOptions::default());
    run.append(run.part().into_part());
    for (n, b) in &files[..5] {
        let mut part = run.part();
        part.add_file(n, &mut &b[..]);
        run.append(part.into_part());
        run.append(run.part().into_part());
    }
    assert_eq!(dump(run.finish()), dump(store));
}

/// Gzip files bigger than `INFLATED_MAX` stored: of the kinds `add_file` reads to the end
/// (JSON) and of kinds it stops reading after the first 256 KiB decoded chunk (keys,
/// unknown bytes: these decode to more than that), for the host-inflated path.
fn big_gzip_inputs() -> Vec<(String, Vec<u8>)> {
    use std::io::Write;
    let gz = |bytes: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    };
    // Characters deflate cannot shrink much (xorshift), so the stored files pass 64 KiB.
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let b64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut noise = |n: usize| -> String {
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                b64[(x % 64) as usize] as char
            })
            .collect()
    };
    let mut records = String::from("{\"Records\":[");
    for i in 0..600 {
        records.push_str(&format!(
            "{}{{\"eventVersion\":\"1.08\",\"eventTime\":\"2024-05-01T00:{:02}:{:02}Z\",\
             \"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\
             \"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"203.0.113.{}\",\
             \"userAgent\":\"{}\",\"eventID\":\"{:08x}-0000-4000-8000-000000000000\",\
             \"recipientAccountId\":\"111122223333\",\
             \"userIdentity\":{{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::111122223333:user/u{}\"}}}}",
            if i == 0 { "" } else { "," },
            i / 60 % 60,
            i % 60,
            i % 250,
            noise(200),
            i,
            i % 7
        ));
    }
    records.push_str("]}");
    let pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        noise(600_000)
    );
    let unknown = format!("not json at all {}", noise(600_000));
    let files = vec![
        ("big-records.json.gz".to_string(), gz(records.as_bytes())),
        ("big-key.pem.gz".to_string(), gz(pem.as_bytes())),
        ("big-unknown.gz".to_string(), gz(unknown.as_bytes())),
    ];
    for (name, stored) in &files {
        assert!(
            stored.len() > trailproof_events::ingest::INFLATED_MAX,
            "{name}: {} bytes",
            stored.len()
        );
    }
    files
}

#[test]
fn a_file_inflated_by_the_host_loads_as_the_stored_file() {
    use std::io::Read;
    let mut files = inputs();
    files.extend(big_gzip_inputs());
    let mut gzipped = 0;
    let (mut by_file, mut by_host) = (
        Ingest::new(IngestOptions::default()),
        Ingest::new(IngestOptions::default()),
    );
    for (name, stored) in &files {
        let mut decoded = Vec::new();
        let inflated = stored.starts_with(&[0x1f, 0x8b])
            && flate2::read::MultiGzDecoder::new(&stored[..])
                .read_to_end(&mut decoded)
                .is_ok();
        gzipped += usize::from(inflated);
        let expected = by_file.add_file(name, &mut &stored[..]);
        let got = if inflated {
            by_host.add_inflated(name, stored, &decoded)
        } else {
            by_host.add_file(name, &mut &stored[..])
        };
        assert_eq!(got, expected, "{name}");
    }
    assert!(gzipped > 2, "gzip fixtures present");
    assert_eq!(dump(by_host.finish()), dump(by_file.finish()));
}
