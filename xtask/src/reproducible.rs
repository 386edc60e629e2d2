//! `cargo xtask reproducible`: is `cargo xtask dist` reproducible? Builds the site twice —
//! first with the usual target dir, then from an empty one, so every crate, wasm-bindgen and
//! wasm-opt run again — and compares every file of the two outputs by SHA-256.
//!
//! The second build is a whole cold release build (8.4 min on the CI kind of machine,
//! `docs/development.md`), so this is its own command rather than a phase of `cargo xtask
//! test`; `docs/reproducible.md` says when to run it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::{cargo, root, run, site, Result};

/// The workspace crates compiled into the site's WebAssembly: what `own_crates` rebuilds.
const WASM_CRATES: &[&str] = &[
    "trailproof-core",
    "trailproof-tlog",
    "trailproof-chain",
    "trailproof-events",
    "trailproof-analysis",
    "trailproof-archive",
    "trailproof-web",
];

/// The check `cargo xtask test` runs after its site build (`dist`): the cheaper half of
/// [`check`], which fits the CI budget.
///
/// 1. No file of the site names a path of this machine (the workspace, the target dir, the
///    Cargo home, the home directory): what would make another machine's build differ.
/// 2. The project's own crates are compiled again for the site (their release wasm32
///    artifacts removed with `cargo clean -p`; the registry crates are reused), wasm-bindgen,
///    wasm-opt and the post-processing run again, and every file must come out identical.
///
/// It does not recompile the registry crates at another path: `cargo xtask reproducible`
/// does (docs/reproducible.md).
pub fn own_crates(dist: &Path) -> Result {
    let leaks = machine_paths(dist)?;
    if !leaks.is_empty() {
        return Err(format!(
            "the site names paths of this machine, so another machine's build would differ:\n{}",
            leaks.join("\n")
        ));
    }
    let again = root().join("target/reproducible/own");
    if again.exists() {
        std::fs::remove_dir_all(&again).map_err(|e| format!("{}: {e}", again.display()))?;
    }
    let start = Instant::now();
    for package in WASM_CRATES {
        run(cargo().args([
            "clean",
            "--release",
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            package,
        ]))?;
    }
    // The commit `dist` states, whatever HEAD is now.
    let manifest = std::fs::read_to_string(dist.join("build.json"))
        .map_err(|e| format!("{}/build.json: {e}", dist.display()))?;
    let commit = serde_json::from_str::<serde_json::Value>(&manifest)
        .ok()
        .and_then(|v| v["commit"].as_str().map(str::to_owned))
        .ok_or_else(|| format!("{}/build.json states no commit", dist.display()))?;
    crate::build_site(&again, None, &commit)?;
    eprintln!(
        "xtask: own crates rebuilt and the site finished again in {:.1} min",
        start.elapsed().as_secs_f64() / 60.0
    );
    let differences = compare(dist, &again)?;
    if differences.is_empty() {
        eprintln!(
            "xtask: reproducible (own crates): {} files identical, no machine path in any",
            site::files(dist)?.len()
        );
        let _ = std::fs::remove_dir_all(&again);
        Ok(())
    } else {
        Err(format!(
            "the site rebuilt from the same sources differs ({} and {}):\n{}",
            dist.display(),
            again.display(),
            differences.join("\n")
        ))
    }
}

/// Absolute paths of this machine that a build could embed: the workspace, the target dir,
/// the Cargo home and the home directory.
fn local_paths() -> Vec<PathBuf> {
    let mut paths = vec![root(), root().join("target")];
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        paths.push(PathBuf::from(dir));
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    if let Some(cargo_home) = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".cargo")))
    {
        paths.push(cargo_home);
    }
    // The home directory itself only when it is not `/` (a bare `/` is in every path).
    paths.extend(home.filter(|h| h.components().count() > 1));
    paths
}

/// One line per file of `dir` whose bytes contain one of [`local_paths`].
pub fn machine_paths(dir: &Path) -> Result<Vec<String>> {
    let needles: Vec<String> = local_paths()
        .iter()
        .map(|p| format!("{}/", p.display().to_string().trim_end_matches('/')))
        .collect();
    let mut out = Vec::new();
    for name in site::files(dir)? {
        let path = dir.join(&name);
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        for needle in &needles {
            if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                out.push(format!("  {name} contains {needle}"));
            }
        }
    }
    Ok(out)
}

pub fn check() -> Result {
    let base = root().join("target/reproducible");
    let (a, b, cold) = (base.join("a"), base.join("b"), base.join("target"));
    for dir in [&a, &b, &cold] {
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
    }
    // One commit for both: the sources must not change while the check runs, and a commit
    // made meanwhile would otherwise change the stated commit, hence the bytes.
    let commit = crate::site_commit();
    eprintln!("xtask: both builds state commit {commit}");
    let start = Instant::now();
    crate::build_site(&a, None, &commit)?;
    let first = start.elapsed();
    let start = Instant::now();
    let second = crate::build_site(&b, Some(&cold), &commit);
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

    #[test]
    fn machine_paths_finds_the_workspace_and_cargo_home_in_any_file() {
        let dir = std::env::temp_dir().join(format!("xtask-paths-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        let workspace = format!("{}/crates/web/src/app.rs", root().display());
        let mut wasm = b"\0asm\x01\0\0\0 panicked at ".to_vec();
        wasm.extend_from_slice(workspace.as_bytes());
        std::fs::write(dir.join("sub/app_bg.wasm"), &wasm).unwrap();
        // Remapped paths are what a clean build holds: not this machine's.
        std::fs::write(
            dir.join("clean.js"),
            "/trailproof/crates/web/src/app.rs /cargo/registry",
        )
        .unwrap();
        let found = machine_paths(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            found.len() == 1 && found[0].contains("sub/app_bg.wasm"),
            "{found:?}"
        );
    }
}
