//! Which build of Trailproof produced a result. Every report states it, so a reviewer can
//! rebuild the same commit and compare the bytes (`docs/reproducible.md`).

use serde::{Deserialize, Serialize};

/// The build of Trailproof behind a report (JSON field `build`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    /// Release version (`Cargo.toml`), e.g. `0.1.0`.
    pub version: String,
    /// Source commit the binary was built from: 40 hex digits, followed by `+dirty` when the
    /// working tree had uncommitted changes; `unknown` when the build had no git.
    pub commit: String,
    /// The WebAssembly binaries the page runs (browser only), each with the SHA-256 of the
    /// file as served. Empty for native builds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub binaries: Vec<Binary>,
}

/// One binary file and its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binary {
    /// File name as served, e.g. `worker_bg.wasm`.
    pub name: String,
    /// SHA-256 of its bytes, lowercase hex.
    pub sha256: String,
}

impl Tool {
    /// A native build: version and commit, no binaries listed.
    pub fn native(version: &str, commit: &str) -> Tool {
        Tool {
            version: version.to_owned(),
            commit: commit.to_owned(),
            binaries: Vec::new(),
        }
    }
}
