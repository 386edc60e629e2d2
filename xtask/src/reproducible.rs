//! `cargo xtask reproducible`: is `cargo xtask dist` reproducible? Builds the site twice —
//! first with the usual target dir, then from an empty one, so every crate, wasm-bindgen and
//! wasm-opt run again — and compares every file of the two outputs by SHA-256.
//!
//! The second build is a whole cold release build (8.4 min on the CI kind of machine,
//! `docs/development.md`), so this is its own command rather than a phase of `cargo xtask
//! test`; `docs/reproducible.md` says when to run it.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use crate::{root, site, Result};

pub fn check() -> Result {
    let base = root().join("target/reproducible");
    let (a, b, cold) = (base.join("a"), base.join("b"), base.join("target"));
    for dir in [&a, &b, &cold] {
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
    }
    let start = Instant::now();
    crate::build_site(&a, None)?;
    let first = start.elapsed();
    let start = Instant::now();
    let second = crate::build_site(&b, Some(&cold));
    let second_took = start.elapsed();
    // The cold target dir is large and only needed for this comparison.
    let _ = std::fs::remove_dir_all(&cold);
    second?;
    eprintln!(
        "xtask: first build {:.1} min, second (cold) build {:.1} min",
        first.as_secs_f64() / 60.0,
        second_took.as_secs_f64() / 60.0
    );
    let differences = compare(&a, &b)?;
    if differences.is_empty() {
        eprintln!(
            "xtask: reproducible: {} files identical in {} and {}",
            site::files(&a)?.len(),
            a.display(),
            b.display()
        );
        Ok(())
    } else {
        Err(format!(
            "the two builds differ ({} and {}):\n{}",
            a.display(),
            b.display(),
            differences.join("\n")
        ))
    }
}

/// One line per file that is not identical in `a` and `b`: present in one only, or
/// present in both with different SHA-256 (both hashes and sizes shown).
pub fn compare(a: &Path, b: &Path) -> Result<Vec<String>> {
    let hashes = |dir: &Path| -> Result<BTreeMap<String, (String, u64)>> {
        site::files(dir)?
            .into_iter()
            .map(|f| {
                let path = dir.join(&f);
                let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                Ok((f, (site::sha256_file(&path)?, size)))
            })
            .collect()
    };
    let (left, right) = (hashes(a)?, hashes(b)?);
    let mut out = Vec::new();
    for (name, (hash, size)) in &left {
        match right.get(name) {
            None => out.push(format!("  only in the first:  {name}")),
            Some((other, other_size)) if other != hash => out.push(format!(
                "  differs: {name}\n    first  {hash} ({size} bytes)\n    second {other} ({other_size} bytes)"
            )),
            Some(_) => {}
        }
    }
    for name in right.keys().filter(|n| !left.contains_key(*n)) {
        out.push(format!("  only in the second: {name}"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_names_every_difference() {
        let base = std::env::temp_dir().join(format!("xtask-compare-{}", std::process::id()));
        let (a, b) = (base.join("a"), base.join("b"));
        for (dir, files) in [
            (
                &a,
                &[("same.js", "x"), ("app-1.wasm", "1"), ("sub/only-a", "")][..],
            ),
            (
                &b,
                &[("same.js", "x"), ("app-1.wasm", "2"), ("only-b", "")][..],
            ),
        ] {
            for (name, body) in files {
                let path = dir.join(name);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, body).unwrap();
            }
        }
        let diff = compare(&a, &b).unwrap();
        std::fs::remove_dir_all(&base).unwrap();
        assert_eq!(diff.len(), 3, "{diff:?}");
        assert!(diff[0].starts_with("  differs: app-1.wasm"));
        assert!(diff[1].contains("only in the first:  sub/only-a"));
        assert!(diff[2].contains("only in the second: only-b"));
        assert!(compare(Path::new("/nonexistent-a"), Path::new("/nonexistent-b")).is_err());
    }
}
