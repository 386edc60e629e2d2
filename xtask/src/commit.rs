// The source commit a build comes from. Shared by `cargo xtask` (a module) and the build
// scripts of the binaries (`include!`d), so it uses only `std` and plain comments.

/// The commit of the repository at `dir`: `git rev-parse HEAD`, with `+dirty` when
/// `git status` lists changes (or cannot tell), and `unknown` where there is no git or no
/// repository. Never fails: a source tarball without `.git` still builds.
pub fn source_commit(dir: &std::path::Path) -> String {
    let git = |args: &[&str]| -> Option<String> {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            // `git status` would otherwise refresh `.git/index`, which build scripts watch.
            .env("GIT_OPTIONAL_LOCKS", "0")
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    let Some(head) = git(&["rev-parse", "HEAD"])
        .filter(|h| h.len() >= 40 && h.bytes().all(|b| b.is_ascii_hexdigit()))
    else {
        return "unknown".into();
    };
    match git(&["status", "--porcelain"]) {
        Some(changes) if changes.is_empty() => head,
        _ => format!("{head}+dirty"),
    }
}

/// The files whose change means a new commit: `HEAD`, the branch it points at and the packed
/// refs (a build script reruns when they change).
pub fn commit_watch_paths(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let git = |args: &[&str]| -> Option<std::path::PathBuf> {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        (out.status.success() && !text.is_empty()).then(|| dir.join(text))
    };
    let mut paths = Vec::new();
    if let Some(head) = git(&["rev-parse", "--git-path", "HEAD"]) {
        paths.push(head);
    }
    if let Some(packed) = git(&["rev-parse", "--git-path", "packed-refs"]) {
        paths.push(packed);
    }
    let branch = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["symbolic-ref", "-q", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    if let Some(branch) = branch.filter(|b| !b.is_empty()) {
        if let Some(path) = git(&["rev-parse", "--git-path", &branch]) {
            paths.push(path);
        }
    }
    paths.into_iter().filter(|p| p.exists()).collect()
}

/// A build script's whole work: embeds the source commit as `TRAILPROOF_BUILD_COMMIT` —
/// `TRAILPROOF_COMMIT` when set (`cargo xtask` sets it), else asked of git, else `unknown` —
/// and tells cargo when to ask again. Used by the CLI's and the web crate's `build.rs`.
pub fn emit_build_commit() {
    println!("cargo:rerun-if-env-changed=TRAILPROOF_COMMIT");
    let dir = std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let commit = match std::env::var("TRAILPROOF_COMMIT") {
        Ok(c) if !c.trim().is_empty() => c.trim().to_owned(),
        _ => {
            // A new commit reruns the script; edits to files alone do not (cargo cannot watch
            // the whole tree cheaply), so `+dirty` is exact only for `cargo xtask` builds.
            for path in commit_watch_paths(&dir) {
                println!("cargo:rerun-if-changed={}", path.display());
            }
            source_commit(&dir)
        }
    };
    println!("cargo:rustc-env=TRAILPROOF_BUILD_COMMIT={commit}");
}
