//! The repository is self-contained: no tracked file (outside `docs/` and `testdata/`, which
//! may cite where things came from) names a path that leaves the repository.
//!
//! Two rules, so that the check does not depend on one folder's name:
//! * a run of `../` longer than the depth of the file's own folder climbs above the root,
//!   whichever folder the path is resolved from (the file's folder or its crate's, which is
//!   never deeper);
//! * the names of the sibling reference folder this project's data once came from.

use std::path::Path;
use std::process::Command;

use crate::Result;

/// Folders whose files may name outside paths: prose and upstream provenance.
const EXEMPT: &[&str] = &["docs/", "testdata/"];

/// Sibling-folder names that must not come back. Built with `concat!` so that this file
/// does not itself contain them.
const FORBIDDEN: &[&str] = &[
    concat!("shared", "/fixtures"),
    concat!("shared", "/vectors"),
    concat!("shared", "/reference"),
    concat!("../", "shared"),
];

/// Fails with every offending `path:line` when a tracked file names an outside path.
pub fn check(root: &Path) -> Result {
    let files = tracked(root)?;
    let mut problems = Vec::new();
    for rel in &files {
        if EXEMPT.iter().any(|e| rel.starts_with(e)) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(root.join(rel)) else {
            continue; // binary or unreadable: no paths to speak of
        };
        problems.extend(scan(rel, &text));
    }
    if problems.is_empty() {
        eprintln!(
            "xtask: self-contained: {} tracked files name no outside path",
            files.len()
        );
        Ok(())
    } else {
        Err(format!(
            "paths that leave the repository (test data belongs in testdata/):\n  {}",
            problems.join("\n  ")
        ))
    }
}

/// The problems in one file's text, as `path:line: reason`.
fn scan(rel: &str, text: &str) -> Vec<String> {
    let depth = rel.matches('/').count();
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if let Some(name) = FORBIDDEN.iter().find(|f| line.contains(*f)) {
            out.push(format!("{rel}:{}: names `{name}`", n + 1));
            continue;
        }
        let up = longest_climb(line);
        if up > depth {
            out.push(format!(
                "{rel}:{}: climbs {up} folders up from a file {depth} deep",
                n + 1
            ));
        }
    }
    out
}

/// The longest run of consecutive `../` in `line`.
fn longest_climb(line: &str) -> usize {
    let b = line.as_bytes();
    let (mut best, mut i) = (0, 0);
    while i < b.len() {
        let mut run = 0;
        while b[i + 3 * run..].starts_with(b"../") {
            run += 1;
        }
        best = best.max(run);
        i += (3 * run).max(1);
    }
    best
}

/// Tracked files (`git ls-files`), or every file outside build output when not a checkout.
fn tracked(root: &Path) -> Result<Vec<String>> {
    if let Ok(out) = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["ls-files", "-z"])
        .output()
    {
        if out.status.success() {
            return Ok(out
                .stdout
                .split(|&b| b == 0)
                .filter(|p| !p.is_empty())
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect());
        }
    }
    let mut files = Vec::new();
    walk(root, root, &mut files)?;
    Ok(files)
}

fn walk(root: &Path, dir: &Path, files: &mut Vec<String>) -> Result {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if matches!(
            name.to_str(),
            Some("target" | "dist" | ".git" | "node_modules")
        ) {
            continue;
        }
        if path.is_dir() {
            walk(root, &path, files)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            files.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn climbs_are_judged_by_the_files_depth() {
        // Built at run time so that this file does not trip its own check.
        let up = |n: usize| "../".repeat(n);
        assert_eq!(longest_climb(&format!("a {}b {}c", up(2), up(3))), 3);
        assert_eq!(longest_climb("nothing here"), 0);
        assert_eq!(longest_climb(&format!("..{}", up(1))), 1);
        // crates/x/tests/a.rs is 3 deep: three `../` reach the root, four leave it.
        let reach = format!("include_bytes!(\"{}testdata/f\")", up(3));
        assert!(scan("crates/x/tests/a.rs", &reach).is_empty());
        let leave = format!("include_bytes!(\"{}data/f\")", up(4));
        assert_eq!(scan("crates/x/tests/a.rs", &leave).len(), 1);
        assert_eq!(
            scan("README.md", &format!("see {}elsewhere", up(1))).len(),
            1
        );
        let old = format!("join(\"{}{}\")", up(2), FORBIDDEN[0]);
        assert_eq!(scan("crates/x/tests/a.rs", &old).len(), 1);
    }
}
