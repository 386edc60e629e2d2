//! Every fixture in `testdata/fixtures` through the whole analysis and report: no panics, sane output.

use trailproof_analysis::report::{AuditReport, ReportInputs};
use trailproof_analysis::{analyze_in_memory, AnalysisOptions, SigmaRuleSet};
use trailproof_events::ingest::{Ingest, IngestOptions};

#[test]
fn all_fixtures() {
    let dir = std::env::var_os("TRAILPROOF_FIXTURES").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures"),
        std::path::PathBuf::from,
    );
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("fixtures at {}: {e}", dir.display()));
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for e in entries.flatten() {
        let p = e.path();
        if p.is_file() {
            files.push((
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            ));
        }
    }
    files.sort();
    let mut ingest = Ingest::new(IngestOptions::default());
    for (name, bytes) in &files {
        ingest.add_file(name, &mut &bytes[..]);
    }
    let store = ingest.finish();
    assert!(store.len() > 10);
    let mut sigma = SigmaRuleSet::new();
    // No product: every provider, CloudTrail names mapped per provider; keywords read raw text.
    sigma.load("any.yml", "title: anything deleted\nid: fx-1\ndetection:\n  sel:\n    eventName|contains: delete\n  kw:\n    - 'root'\n  condition: sel or kw\n");
    assert!(sigma.diagnostics().is_empty());
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let as_of = store.time_span().unwrap().1;
    let a = analyze_in_memory(
        &store,
        &sigma,
        &AnalysisOptions::default(),
        None,
        as_of,
        &refs,
    );
    assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
    assert!(a.findings.iter().any(|f| f.rule.key() == "sigma:fx-1"));
    for f in &a.findings {
        assert!(!f.evidence.is_empty());
        assert!(f.evidence.iter().all(|e| e.row < store.len()));
    }
    let html = AuditReport::build(&ReportInputs::new("t", &store, &a)).to_html();
    assert!(!html.contains("<script"));
}
