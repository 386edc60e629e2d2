//! Post-processing of Trunk's output into a site that keeps every byte in the browser.
//!
//! * Fills the Content-Security-Policy into the page's meta tag and `_headers`, allowing the one
//!   inline loader script Trunk writes by its SHA-256 hash rather than `'unsafe-inline'`.
//! * Removes documentation links that wasm-bindgen leaves in comments of the JS glue and
//!   updates the subresource-integrity hashes of the files it touched.
//! * Fails if any text file still names an outside host.
//! * Writes the build manifest (`build.json`: version, commit, every file's SHA-256) and the
//!   service worker's file list (`identity`).

use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use sha2::{Digest, Sha256, Sha384};

use crate::Result;

const PLACEHOLDER: &str = "TRAILPROOF_CSP";

/// The policy, with `{script}` standing for the loader's hash source.
///
/// `'wasm-unsafe-eval'` permits compiling WebAssembly and nothing else; `connect-src 'self'`
/// is what lets the app fetch its own `.wasm` files and is the only network access it has.
const POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' {script}; \
style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; \
worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'";

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(path: &Path, text: &str) -> Result {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn sri(bytes: &[u8]) -> String {
    format!("sha384-{}", B64.encode(Sha384::digest(bytes)))
}

/// Packs `web/sample/` into `dist/sample.zip` for the "Open sample" button: sorted entries and a
/// fixed timestamp, so the same sources give the same bytes.
pub fn pack_sample(sample: &Path, dist: &Path) -> Result {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> Result {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out)?;
            } else {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(sample, &mut files)?;
    let target = dist.join("sample.zip");
    let file = std::fs::File::create(&target).map_err(|e| format!("{}: {e}", target.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    for path in files {
        let name = path
            .strip_prefix(sample)
            .map_err(|e| e.to_string())?
            .to_string_lossy()
            .replace('\\', "/");
        // Already-compressed files are stored; deflating them again only costs time.
        let method = if name.ends_with(".gz") {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(method)
            .last_modified_time(zip::DateTime::default());
        zip.start_file(name, options).map_err(|e| e.to_string())?;
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        std::io::Write::write_all(&mut zip, &bytes).map_err(|e| e.to_string())?;
    }
    zip.finish().map_err(|e| e.to_string())?;
    Ok(())
}

/// Finishes `dist/` in place.
pub fn finish(dist: &Path) -> Result {
    let index_path = dist.join("index.html");
    let mut index = read(&index_path)?;

    // 1. Drop doc-link comments from the JS glue; keep the page's integrity hashes true.
    for entry in std::fs::read_dir(dist).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|e| e == "js") {
            let before = std::fs::read(&path).map_err(|e| e.to_string())?;
            let text = String::from_utf8_lossy(&before);
            let after: String = text
                .split_inclusive('\n')
                .filter(|line| {
                    let t = line.trim_start();
                    !(t.starts_with("// http://") || t.starts_with("// https://"))
                })
                .collect();
            if after.as_bytes() != before.as_slice() {
                write(&path, &after)?;
                index = index.replace(&sri(&before), &sri(after.as_bytes()));
            }
        }
    }

    // 2. Hash the inline loader(s) and fill in the policy.
    let mut hashes = Vec::new();
    let mut rest = index.as_str();
    while let Some(start) = rest.find("<script") {
        let after_tag = &rest[start..];
        let open_end = after_tag
            .find('>')
            .ok_or("unterminated <script> tag in index.html")?;
        let tag = &after_tag[..open_end];
        let body_and_rest = &after_tag[open_end + 1..];
        let close = body_and_rest
            .find("</script>")
            .ok_or("unterminated <script> in index.html")?;
        if !tag.contains("src=") {
            hashes.push(format!(
                "'sha256-{}'",
                B64.encode(Sha256::digest(&body_and_rest.as_bytes()[..close]))
            ));
        }
        rest = &body_and_rest[close..];
    }
    if hashes.is_empty() {
        return Err(
            "no inline loader script found in dist/index.html; did Trunk's output change?".into(),
        );
    }
    let policy = POLICY.replace("{script}", &hashes.join(" "));
    if !index.contains(PLACEHOLDER) {
        return Err("dist/index.html has no CSP placeholder".into());
    }
    write(&index_path, &index.replace(PLACEHOLDER, &policy))?;
    let headers_path = dist.join("_headers");
    let headers = read(&headers_path)?;
    write(
        &headers_path,
        &headers.replace(PLACEHOLDER, &format!("{policy}; frame-ancestors 'none'")),
    )?;

    // 3. Nothing may point outside. XML namespace names are identifiers, never fetched.
    for entry in std::fs::read_dir(dist).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let text_file = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "html" | "js" | "css" | "svg" | "json" | "webmanifest"));
        if !text_file {
            continue;
        }
        let text = read(&path)?;
        for (i, _) in text.match_indices("://") {
            let scheme_start = text[..i]
                .rfind(|c: char| !c.is_ascii_alphanumeric())
                .map_or(0, |p| p + 1);
            let scheme = &text[scheme_start..i];
            let host: String = text[i + 3..]
                .chars()
                .take_while(|c| !matches!(c, '/' | '"' | '\'' | ' ' | ')'))
                .collect();
            if (scheme == "http" || scheme == "https") && host != "www.w3.org" {
                return Err(format!(
                    "{} refers to an outside host: {scheme}://{host}",
                    path.display()
                ));
            }
        }
    }
    eprintln!("xtask: dist/ ready; CSP: {policy}");
    Ok(())
}

/// What `build.json` says about the build besides its files.
pub struct BuildFacts<'a> {
    /// Release version (the workspace's).
    pub version: &'a str,
    /// Source commit, as embedded in the binaries.
    pub commit: &'a str,
    /// `rustc --version`: a reviewer rebuilds with the same compiler.
    pub rustc: &'a str,
}

/// The build manifest, written last: every file a reviewer can compare.
pub const MANIFEST: &str = "build.json";
/// The service worker; its file list is written into it after the manifest.
const SERVICE_WORKER: &str = "sw.js";
/// The line in `web/sw.js` that receives the build's cache name and file list.
const SW_PLACEHOLDER: &str = "const BUILD = null; // filled in by `cargo xtask dist`";
/// Files a host reads but never serves, so the service worker must not ask for them.
const NOT_SERVED: &[&str] = &["_headers"];

/// Every regular file under `dir` (not in dot-folders such as Trunk's `.stage`), as sorted
/// `/`-separated relative paths.
pub fn files(dir: &Path) -> Result<Vec<String>> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) -> Result {
        for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
            let path = entry.map_err(|e| e.to_string())?.path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            if name.as_deref().is_some_and(|n| n.starts_with('.')) {
                continue;
            }
            if path.is_dir() {
                walk(base, &path, out)?;
            } else {
                let rel = path.strip_prefix(base).map_err(|e| e.to_string())?;
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    out.sort();
    Ok(out)
}

/// Lowercase hex SHA-256 of a file.
pub fn sha256_file(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Writes `build.json` (version, commit, compiler and the size and SHA-256 of every file of
/// the site except itself and the service worker) and then fills the service worker's list:
/// the same files (less those a host never serves) plus `build.json`, cached under a name
/// derived from the manifest's hash, so a new deployment replaces the old cache.
pub fn identity(dist: &Path, facts: &BuildFacts<'_>) -> Result {
    let mut listed = Vec::new();
    for path in files(dist)? {
        if path == MANIFEST || path == SERVICE_WORKER {
            continue;
        }
        let full = dist.join(&path);
        let size = std::fs::metadata(&full)
            .map_err(|e| format!("{}: {e}", full.display()))?
            .len();
        listed.push(serde_json::json!({
            "path": path,
            "size": size,
            "sha256": sha256_file(&full)?,
        }));
    }
    let manifest = serde_json::json!({
        "name": "trailproof",
        "version": facts.version,
        "commit": facts.commit,
        "rustc": facts.rustc,
        "files": listed,
    });
    let mut text = serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())?;
    text.push('\n');
    write(&dist.join(MANIFEST), &text)?;

    let mut cached: Vec<&str> = listed
        .iter()
        .filter_map(|f| f["path"].as_str())
        .filter(|p| !NOT_SERVED.contains(p))
        .collect();
    cached.push(MANIFEST);
    cached.sort_unstable();
    let hash: String = Sha256::digest(text.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    let build = serde_json::json!({ "cache": hash, "files": cached });
    let sw_path = dist.join(SERVICE_WORKER);
    let sw = read(&sw_path)?;
    if !sw.contains(SW_PLACEHOLDER) {
        return Err(format!(
            "{} has no line `{SW_PLACEHOLDER}`",
            sw_path.display()
        ));
    }
    write(
        &sw_path,
        &sw.replace(
            SW_PLACEHOLDER,
            &format!("const BUILD = {build}; // written by `cargo xtask dist`"),
        ),
    )?;
    eprintln!(
        "xtask: {} files in {MANIFEST}, commit {}",
        listed.len(),
        facts.commit
    );
    Ok(())
}
