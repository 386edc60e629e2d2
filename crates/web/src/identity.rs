//! Which Trailproof is running. The version and source commit are compiled into both
//! binaries (`build.rs`); the SHA-256 of the WebAssembly binaries is measured from the files
//! themselves, fetched again from the page's own origin, and compared with the build manifest
//! `cargo xtask dist` writes (`build.json`). The page footer and every report state the
//! result, and a reviewer compares it with a rebuild of the commit (`docs/reproducible.md`).

use serde::Deserialize;
use trailproof_core::tool::{Binary, Tool};

/// Release version of this binary.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Source commit of this binary (40 hex digits, `+dirty` for a changed tree, or `unknown`).
pub const COMMIT: &str = env!("TRAILPROOF_BUILD_COMMIT");
/// The build manifest, beside `index.html`.
pub const MANIFEST: &str = "build.json";

/// `build.json` as `cargo xtask dist` writes it (only what the page reads).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Manifest {
    /// Release version.
    pub version: String,
    /// Source commit.
    pub commit: String,
    /// Every file of the site but the manifest and the service worker.
    pub files: Vec<ManifestFile>,
}

/// One file of the build.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ManifestFile {
    /// Path relative to the site's folder.
    pub path: String,
    /// SHA-256, lowercase hex.
    pub sha256: String,
}

impl Manifest {
    /// The WebAssembly binaries of the build (the app's and the worker's).
    pub fn binaries(&self) -> impl Iterator<Item = &ManifestFile> {
        self.files.iter().filter(|f| f.path.ends_with(".wasm"))
    }
}

/// What the page can say about itself.
#[derive(Clone, Debug, PartialEq)]
pub struct Identity {
    /// Version, commit and the measured binaries (what the reports state).
    pub tool: Tool,
    /// Every way the measurement disagrees with the manifest or could not be made.
    pub problems: Vec<String>,
}

/// The identity from the manifest (or why it could not be read) and the measured SHA-256 of
/// each binary it lists (or why the file could not be fetched). The binaries reported are
/// the measured ones: what the browser was served, whatever the manifest claims.
pub fn judge(
    manifest: Result<&Manifest, String>,
    measured: &[(String, Result<String, String>)],
) -> Identity {
    let mut problems = Vec::new();
    let mut binaries = Vec::new();
    match manifest {
        Err(e) => problems.push(format!(
            "{MANIFEST} could not be read ({e}), so the WebAssembly binaries are not named"
        )),
        Ok(m) => {
            if m.version != VERSION || m.commit != COMMIT {
                problems.push(format!(
                    "{MANIFEST} describes version {} at commit {}, but the running page was built as version {VERSION} at commit {COMMIT}",
                    m.version, m.commit
                ));
            }
            for file in m.binaries() {
                match measured.iter().find(|(name, _)| *name == file.path) {
                    Some((_, Ok(sha256))) => {
                        if *sha256 != file.sha256 {
                            problems.push(format!(
                                "{} as served has SHA-256 {sha256}, but {MANIFEST} records {}",
                                file.path, file.sha256
                            ));
                        }
                        binaries.push(Binary {
                            name: file.path.clone(),
                            sha256: sha256.clone(),
                        });
                    }
                    Some((_, Err(e))) => {
                        problems.push(format!("{} could not be read: {e}", file.path))
                    }
                    None => problems.push(format!("{} was not measured", file.path)),
                }
            }
            if m.binaries().next().is_none() {
                problems.push(format!("{MANIFEST} lists no WebAssembly binary"));
            }
        }
    }
    Identity {
        tool: Tool {
            version: VERSION.to_owned(),
            commit: COMMIT.to_owned(),
            binaries,
        },
        problems,
    }
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(target_arch = "wasm32")]
mod fetch {
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    #[wasm_bindgen]
    extern "C" {
        // The global `fetch` of a window and of a worker alike; relative URLs resolve against
        // the page (or the worker's script), both in the site's folder, so this works from
        // any sub-path.
        #[wasm_bindgen(js_name = fetch)]
        fn global_fetch(input: &str) -> js_sys::Promise;
    }

    fn message(e: JsValue) -> String {
        e.as_string()
            .or_else(|| {
                e.dyn_ref::<js_sys::Error>()
                    .map(|e| String::from(e.message()))
            })
            .unwrap_or_else(|| "request failed".into())
    }

    /// The bytes of one of the site's own files.
    pub async fn bytes(path: &str) -> Result<Vec<u8>, String> {
        let response: web_sys::Response = JsFuture::from(global_fetch(path))
            .await
            .map_err(message)?
            .dyn_into()
            .map_err(|_| "not a response".to_string())?;
        if !response.ok() {
            return Err(format!("HTTP {}", response.status()));
        }
        let buffer = JsFuture::from(response.array_buffer().map_err(message)?)
            .await
            .map_err(message)?;
        Ok(js_sys::Uint8Array::new(&buffer).to_vec())
    }
}

/// Reads the manifest and hashes every binary it lists.
#[cfg(target_arch = "wasm32")]
pub async fn measure() -> Identity {
    let manifest = fetch::bytes(MANIFEST).await.and_then(|b| {
        serde_json::from_slice::<Manifest>(&b).map_err(|e| format!("not a build manifest: {e}"))
    });
    let mut measured = Vec::new();
    if let Ok(m) = &manifest {
        for file in m.binaries() {
            let hash = fetch::bytes(&file.path).await.map(|b| sha256_hex(&b));
            measured.push((file.path.clone(), hash));
        }
    }
    judge(manifest.as_ref().map_err(Clone::clone), &measured)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(version: &str, commit: &str) -> Manifest {
        Manifest {
            version: version.into(),
            commit: commit.into(),
            files: vec![
                ManifestFile {
                    path: "index.html".into(),
                    sha256: "00".into(),
                },
                ManifestFile {
                    path: "app-1f_bg.wasm".into(),
                    sha256: "aa".into(),
                },
                ManifestFile {
                    path: "worker_bg.wasm".into(),
                    sha256: "bb".into(),
                },
            ],
        }
    }

    #[test]
    fn agreeing_measurements_name_every_binary_and_no_problem() {
        let m = manifest(VERSION, COMMIT);
        let measured = [
            ("worker_bg.wasm".to_string(), Ok("bb".to_string())),
            ("app-1f_bg.wasm".to_string(), Ok("aa".to_string())),
        ];
        let id = judge(Ok(&m), &measured);
        assert_eq!(id.problems, Vec::<String>::new());
        assert_eq!(id.tool.version, VERSION);
        assert_eq!(id.tool.commit, COMMIT);
        let names: Vec<_> = id.tool.binaries.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["app-1f_bg.wasm", "worker_bg.wasm"]);
    }

    #[test]
    fn the_measured_hash_is_reported_and_a_disagreement_said() {
        let m = manifest(VERSION, "0000000000000000000000000000000000000000");
        let measured = [
            ("app-1f_bg.wasm".to_string(), Ok("ff".to_string())),
            ("worker_bg.wasm".to_string(), Err("HTTP 404".to_string())),
        ];
        let id = judge(Ok(&m), &measured);
        assert_eq!(id.tool.binaries.len(), 1);
        assert_eq!(
            id.tool.binaries[0].sha256, "ff",
            "what was served, not the claim"
        );
        assert_eq!(id.problems.len(), 3, "{:?}", id.problems);
        assert!(id.problems[0].contains("at commit 0000"));
        assert!(id.problems[1].contains("has SHA-256 ff") && id.problems[1].contains("records aa"));
        assert!(id.problems[2].contains("worker_bg.wasm could not be read: HTTP 404"));
    }

    #[test]
    fn without_a_manifest_only_version_and_commit_are_stated() {
        let id = judge(Err("HTTP 404".into()), &[]);
        assert!(id.tool.binaries.is_empty());
        assert_eq!(id.problems.len(), 1);
        assert!(id.problems[0].contains("build.json could not be read (HTTP 404)"));
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
