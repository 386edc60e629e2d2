// Embeds the source commit as `TRAILPROOF_BUILD_COMMIT` (see `xtask/src/commit.rs`):
// `TRAILPROOF_COMMIT` when set (`cargo xtask` sets it), else asked of git, else `unknown`.
include!("../../xtask/src/commit.rs");

fn main() {
    println!("cargo:rerun-if-env-changed=TRAILPROOF_COMMIT");
    let dir = std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let commit = match std::env::var("TRAILPROOF_COMMIT") {
        Ok(c) if !c.trim().is_empty() => c.trim().to_owned(),
        _ => {
            // A new commit reruns this script; edits to files alone do not (cargo cannot watch
            // the whole tree cheaply), so `+dirty` is exact only for `cargo xtask` builds.
            for path in commit_watch_paths(&dir) {
                println!("cargo:rerun-if-changed={}", path.display());
            }
            source_commit(&dir)
        }
    };
    println!("cargo:rustc-env=TRAILPROOF_BUILD_COMMIT={commit}");
}
