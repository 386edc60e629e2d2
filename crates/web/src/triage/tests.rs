//! The badge, the grouping, the strip mapping and the banners, on hand-made items and on the
//! real verification of the synthetic CloudTrail chain (`testdata/fixtures/synthetic_aws`).

use trailproof_chain::{verify_files, VerifyOptions};
use trailproof_core::report::{Coverage, Item, ItemKind, Reason, Report, Status};

use super::*;
use crate::protocol::{AnalysisView, LoadSummary, ProofLine};

const DIR: &str = "synthetic_aws";
const D1: &str =
    "111122223333_CloudTrail-Digest_us-east-1_demo-trail_us-east-1_20240501T010000Z.json.gz";
const D2: &str =
    "111122223333_CloudTrail-Digest_us-east-1_demo-trail_us-east-1_20240501T020000Z.json.gz";
const D3: &str =
    "111122223333_CloudTrail-Digest_us-east-1_demo-trail_us-east-1_20240501T030000Z.json.gz";
const LOG1: &str = "111122223333_CloudTrail_us-east-1_20240501T0005Z_AbCdEfGhIjKlMnOp.json.gz";
const LOG2: &str = "111122223333_CloudTrail_us-east-1_20240501T0215Z_QrStUvWxYz012345.json.gz";
const KEYS: &str = "list-public-keys.json";

fn fixture(name: &str) -> Vec<u8> {
    let root = std::env::var("TRAILPROOF_FIXTURES")
        .unwrap_or_else(|_| format!("{}/../../testdata/fixtures", env!("CARGO_MANIFEST_DIR")));
    let path = format!("{root}/{DIR}/{name}");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The chain as delivered: three digests with their metadata, two logs, the keys.
fn chain_files() -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for d in [D1, D2, D3] {
        files.push((d.to_owned(), fixture(d)));
        let head = format!("{d}.head-object.json");
        files.push((head.clone(), fixture(&head)));
    }
    for name in [LOG1, LOG2, KEYS] {
        files.push((name.to_owned(), fixture(name)));
    }
    files
}

fn verify(files: &[(String, Vec<u8>)]) -> Report {
    verify_files(
        files.iter().map(|(p, b)| (p.as_str(), b.as_slice())),
        VerifyOptions::default(),
    )
}

fn summary(report: Report) -> LoadSummary {
    LoadSummary {
        report,
        events: 0,
        span: None,
        providers: vec![],
        accounts: vec![],
        regions: vec![],
        files: vec![],
        problems: vec![],
        bytes_per_event: 0.0,
        analysis: AnalysisView::default(),
        sealed: None,
        proofs: vec![],
    }
}

fn item(path: &str, kind: ItemKind, status: Status, reason: Option<Reason>) -> Item {
    Item::new(path, kind, status, reason, "m")
}

fn coverage(verified: u64, unverified: u64, failed: u64, unprotected: u64) -> Coverage {
    let mut c = Coverage::default();
    for (state, n) in [
        (trailproof_core::report::Integrity::Verified, verified),
        (trailproof_core::report::Integrity::Unverified, unverified),
        (trailproof_core::report::Integrity::Failed, failed),
        (trailproof_core::report::Integrity::Unprotected, unprotected),
    ] {
        c.add(state, n);
    }
    c
}

#[test]
fn integrity_classes_come_from_known_states_only() {
    for (state, class) in [
        (Integrity::Verified, "i-verified"),
        (Integrity::Unverified, "i-unverified"),
        (Integrity::Failed, "i-failed"),
        (Integrity::Unprotected, "i-unprotected"),
    ] {
        assert_eq!(integrity_state(state.as_str()), Some(state));
        assert_eq!(integrity_class(state.as_str()), Some(class));
    }
    for other in ["", "Verified", "valid", "failed x", "i-failed"] {
        assert_eq!(integrity_state(other), None, "{other}");
        assert_eq!(integrity_class(other), None, "{other}");
    }
}

#[test]
fn counts_have_thousands_separators() {
    for (n, s) in [
        (0, "0"),
        (7, "7"),
        (999, "999"),
        (1_000, "1,000"),
        (56_666, "56,666"),
        (1_234_567, "1,234,567"),
    ] {
        assert_eq!(count(n), s);
    }
}

#[test]
fn the_badge_speaks_for_the_events() {
    let digest = || item("d", ItemKind::Digest, Status::Valid, None);
    let bad = || {
        item(
            "l",
            ItemKind::Log,
            Status::Invalid,
            Some(Reason::HashMismatch),
        )
    };
    let unv = || {
        item(
            "d2",
            ItemKind::Digest,
            Status::Unverifiable,
            Some(Reason::KeyNotFound),
        )
    };
    // (items, coverage, tone, text)
    let cases: Vec<(Vec<Item>, Option<Coverage>, Tone, &str)> = vec![
        (vec![digest()], Some(coverage(51, 0, 0, 0)), Tone::Verified, "Verified"),
        (
            vec![digest()],
            Some(coverage(4, 0, 0, 47)),
            Tone::Partial,
            "Chains valid · 4 of 51 events verified · 47 have no integrity protection",
        ),
        (
            vec![digest()],
            Some(coverage(1_200, 1, 0, 1)),
            Tone::Partial,
            "Chains valid · 1,200 of 1,202 events verified · 1 is not proven · 1 has no integrity protection",
        ),
        // Without coverage the chains speak only for themselves.
        (vec![digest()], None, Tone::Partial, "Chains valid"),
        (
            vec![digest(), bad()],
            Some(coverage(3, 0, 2, 0)),
            Tone::Invalid,
            "Tampering or loss detected · 3 of 5 events verified · 2 failed verification",
        ),
        (vec![digest(), bad()], None, Tone::Invalid, "Tampering or loss detected"),
        (
            vec![digest(), unv()],
            Some(coverage(0, 3, 0, 0)),
            Tone::Incomplete,
            "Incomplete verification · 0 of 3 events verified · 3 are not proven",
        ),
        (
            vec![],
            Some(coverage(0, 0, 0, 51)),
            Tone::None,
            "No digests to verify · 0 of 51 events verified · 51 have no integrity protection",
        ),
        // Digests but no events: nothing to count.
        (vec![digest()], Some(coverage(0, 0, 0, 0)), Tone::Partial, "Chains valid"),
    ];
    for (items, cov, tone, text) in cases {
        let mut report = Report::new(items, vec![], vec![], vec![]);
        report.coverage = cov;
        let h = headline(&summary(report));
        assert_eq!((h.tone, h.text.as_str()), (tone, text));
    }
    // A forged inclusion proof is tampering whatever the chains say.
    let mut s = summary(Report::new(vec![digest()], vec![], vec![], vec![]));
    s.report.coverage = Some(coverage(3, 0, 0, 0));
    s.proofs.push(ProofLine {
        path: "x.proof".into(),
        valid: false,
        message: "m".into(),
    });
    assert_eq!(headline(&s).tone, Tone::Invalid);
}

#[test]
fn every_reason_has_its_explanation_once() {
    let all = [
        Reason::HashMismatch,
        Reason::TrailingData,
        Reason::SignatureInvalid,
        Reason::KeyNotFound,
        Reason::SignatureUnavailable,
        Reason::NotFound,
        Reason::Moved,
        Reason::ChainMismatch,
        Reason::Malformed,
        Reason::NotReferenced,
        Reason::RootMismatch,
        Reason::ManifestMismatch,
        Reason::Truncated,
        Reason::PinMismatch,
        Reason::NonceMismatch,
        Reason::OriginMismatch,
        Reason::AfterFailure,
        Reason::NotListed,
    ];
    for r in all {
        assert_eq!(CAUSES.iter().filter(|c| c.reason == r).count(), 1, "{r:?}");
    }
    assert_eq!(CAUSES.len(), all.len());
    for c in CAUSES {
        // Browser language: never a flag of the command-line tool.
        for text in [c.what, c.why, c.todo, c.inherited.unwrap_or_default()] {
            assert!(!text.contains("--"), "{text}");
        }
    }
}

#[test]
fn problems_group_by_cause_in_number_agreement() {
    let items = vec![
        item(
            "a/t1.json.gz",
            ItemKind::Log,
            Status::Invalid,
            Some(Reason::NotListed),
        ),
        item(
            "b/d1.json.gz",
            ItemKind::Digest,
            Status::Unverifiable,
            Some(Reason::SignatureUnavailable),
        ),
        item(
            "b/d2.json.gz",
            ItemKind::Digest,
            Status::Unverifiable,
            Some(Reason::SignatureUnavailable),
        ),
        item(
            "c/l1.json.gz",
            ItemKind::Log,
            Status::Unverifiable,
            Some(Reason::SignatureUnavailable),
        ),
        item("ok.json.gz", ItemKind::Log, Status::Valid, None),
        item(
            "x1",
            ItemKind::Log,
            Status::Invalid,
            Some(Reason::HashMismatch),
        ),
        item(
            "x2",
            ItemKind::Log,
            Status::Invalid,
            Some(Reason::HashMismatch),
        ),
        item(
            "x3",
            ItemKind::Log,
            Status::Invalid,
            Some(Reason::HashMismatch),
        ),
        item(
            "x4",
            ItemKind::Log,
            Status::Invalid,
            Some(Reason::HashMismatch),
        ),
        item(
            "x5",
            ItemKind::Digest,
            Status::Invalid,
            Some(Reason::HashMismatch),
        ),
    ];
    let report = Report::new(items, vec![], vec![], vec![]);
    let got: Vec<(String, String, String)> = groups(&report)
        .into_iter()
        .map(|g| (g.key.id(), g.title, g.files))
        .collect();
    let want = [
        (
            "invalid-hash-mismatch",
            "5 files changed after delivery",
            "x1, x2, x3 and 2 more",
        ),
        (
            "invalid-not-listed",
            "1 log file not listed by the digest that covers its hour",
            "t1.json.gz",
        ),
        (
            "unverifiable-signature-unavailable",
            "2 digests cannot be checked: signature metadata missing",
            "d1.json.gz, d2.json.gz",
        ),
        (
            "unverifiable-signature-unavailable-logs",
            "1 log file cannot be checked: the digest that lists it could not be verified",
            "l1.json.gz",
        ),
    ];
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(got, want);
    let g = groups(&report);
    assert_eq!(g[1].why, "A verified digest covers the time its records were delivered and does not list it: it was added later.");
    assert_eq!(g[0].items, vec![5, 6, 7, 8, 9]);
}

#[test]
fn the_delivered_chain_has_no_problems_and_every_file_in_its_hour() {
    let report = verify(&chain_files());
    assert!(groups(&report).is_empty(), "{:#?}", report.items);
    assert!(banners(&report).is_empty());
    let c = cells(&report);
    assert_eq!(c.cells.len(), 1);
    let chain = &report.chains[0];
    let at = |name: &str| report.items.iter().position(|i| i.path == name).unwrap();
    let cell_of = |name: &str| {
        c.of_item[at(name)].map(|(_, di)| base_name(&chain.digests[di].path).to_owned())
    };
    for (file, digest) in [(D1, D1), (D2, D2), (D3, D3), (LOG1, D1), (LOG2, D3)] {
        assert_eq!(cell_of(file).as_deref(), Some(digest), "{file}");
    }
    for (di, cell) in c.cells[0].iter().enumerate() {
        assert_eq!(cell.worst, Some(Status::Valid));
        assert!(cell_text(&report, chain, di, cell).contains(": valid"));
    }
}

#[test]
fn a_changed_log_turns_its_hour_red() {
    let mut files = chain_files();
    // The forged copy under the delivered name.
    for f in &mut files {
        if f.0 == LOG1 {
            f.1 = fixture(&format!("negative/tampered_{LOG1}"));
        }
    }
    let report = verify(&files);
    let g = groups(&report);
    assert_eq!(g.len(), 1, "{g:#?}");
    assert_eq!(g[0].title, "1 log file changed after delivery");
    assert_eq!(g[0].files, LOG1);
    let c = cells(&report);
    let chain = &report.chains[0];
    let worst: Vec<Option<Status>> = c.cells[0].iter().map(|c| c.worst).collect();
    let red = chain.digests.iter().position(|d| d.path == D1).unwrap();
    for (i, w) in worst.iter().enumerate() {
        let expect = if i == red {
            Status::Invalid
        } else {
            Status::Valid
        };
        assert_eq!(*w, Some(expect), "cell {i}: {worst:?}");
    }
    let text = cell_text(&report, chain, red, &c.cells[0][red]);
    assert!(
        text.starts_with(
            "2024-05-01 00:00 – 01:00 UTC: invalid — 1 log file changed after delivery"
        ),
        "{text}"
    );
}

#[test]
fn a_forged_copy_under_another_name_maps_to_the_hour_its_name_states() {
    let mut files = chain_files();
    let forged = format!("tampered_{LOG1}");
    files.push((forged.clone(), fixture(&format!("negative/{forged}"))));
    let report = verify(&files);
    let g = groups(&report);
    assert_eq!(g.len(), 1, "{g:#?}");
    assert_eq!(g[0].files, forged);
    // Today unreferenced; `not-listed` (invalid) once the chain judges it by content.
    assert!(
        g[0].title.starts_with("1 log file not listed by"),
        "{}",
        g[0].title
    );
    let c = cells(&report);
    let at = report.items.iter().position(|i| i.path == forged).unwrap();
    let (ci, di) = c.of_item[at].expect("mapped to a cell");
    assert_eq!(report.chains[ci].digests[di].path, D1);
    assert!(severity(c.cells[ci][di].worst.unwrap()) >= severity(Status::Unreferenced));
}

#[test]
fn missing_keys_and_metadata_become_one_banner_each() {
    let files: Vec<_> = chain_files()
        .into_iter()
        .filter(|(p, _)| p != KEYS && p != &format!("{D3}.head-object.json"))
        .collect();
    let report = verify(&files);
    let b = banners(&report);
    let ids: Vec<&str> = b.iter().map(|b| b.id).collect();
    assert_eq!(ids, ["banner-keys", "banner-sidecars"], "{b:#?}");
    assert_eq!(
        b[0].title,
        "A public key is needed: 2 digests cannot be checked"
    );
    assert_eq!(
        b[0].commands,
        ["aws cloudtrail list-public-keys --region us-east-1 --start-time 2024-05-01T00:00:00Z --end-time 2024-05-01T02:00:00Z > list-public-keys-us-east-1.json"]
    );
    assert_eq!(
        b[1].title,
        "Signature metadata is needed: 1 digest cannot be checked"
    );
    assert_eq!(b[1].commands.len(), 1);
    assert!(
        b[1].commands[0].starts_with("aws s3api head-object"),
        "{:?}",
        b[1].commands
    );
    assert!(
        b[1].commands[0].ends_with(&format!("{D3}.head-object.json")),
        "{:?}",
        b[1].commands
    );
    for banner in &b {
        assert!(!banner.body.contains("--keys"), "{}", banner.body);
    }
    // The panel names the causes once; the logs say why they cannot be checked.
    let titles: Vec<String> = groups(&report).into_iter().map(|g| g.title).collect();
    assert!(
        titles.contains(&"2 digests cannot be checked: public key missing".to_owned()),
        "{titles:?}"
    );
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("1 digest cannot be checked: signature metadata missing")),
        "{titles:?}"
    );
}

#[test]
fn labels() {
    assert_eq!(
        name_list(["a", "b", "c", "d", "e"].into_iter(), 3),
        "a, b, c and 2 more"
    );
    assert_eq!(name_list(["a"].into_iter(), 3), "a");
    assert_eq!(
        hour_label(Some("2024-05-01T00:00:00Z"), "2024-05-01T01:00:00Z"),
        "2024-05-01 00:00 – 01:00 UTC"
    );
    assert_eq!(
        hour_label(Some("2024-05-01T23:00:00Z"), "2024-05-02T00:00:00Z"),
        "2024-05-01 23:00 – 2024-05-02 00:00 UTC"
    );
    assert_eq!(hour_label(None, "nonsense"), "until nonsense UTC");
    assert_eq!(
        aws_log_name("x/tampered_111122223333_CloudTrail_us-east-1_20240501T0005Z_A.json.gz")
            .map(|(a, r, t)| (a.to_owned(), r.to_owned(), t.to_string())),
        Some((
            "111122223333".into(),
            "us-east-1".into(),
            "2024-05-01T00:05:00Z".into()
        ))
    );
    for odd in [
        "",
        "_CloudTrail_",
        "a_CloudTrail_r_2024é",
        "a_CloudTrail_r_20240501X0005Z_",
    ] {
        assert!(aws_log_name(odd).is_none(), "{odd}");
    }
}

#[test]
fn progress_rates_are_per_second_since_the_start() {
    let cases: &[(u64, u64, f64, &str)] = &[
        (1_000_000, 10, 0.0, ""),
        (1_000_000, 10, 499.0, ""),
        (1_000_000, 10, f64::NAN, ""),
        (35_200_000, 0, 1_000.0, "35.2 MB/s"),
        (
            70_400_000,
            812_000,
            2_000.0,
            "35.2 MB/s · 812,000 events, 406,000/s",
        ),
        (1, 3, 3_000.0, "0.0 MB/s · 3 events, 1/s"),
    ];
    for &(done, events, ms, want) in cases {
        assert_eq!(
            rates(done, events, ms),
            want,
            "{done} bytes, {events} events, {ms} ms"
        );
    }
}
