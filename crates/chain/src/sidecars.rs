//! Pairing digests with their signature sidecars (`N.head-object.json`, `N.metadata.json`).
//!
//! A sidecar beside its digest is the plain case. Exports also collect sidecars in a folder
//! of their own (an organization trail's `metadata/head-object/N.head-object.json`), so a
//! digest without one in its folder takes the one with its file name anywhere in the
//! inputs, provided there is exactly one: two candidates cannot be told apart, and picking
//! either could verify a digest against metadata that is not its own.

use std::collections::HashMap;

use crate::names::{base_name, dir_name};
use crate::scan::Sidecar;

/// The suffixes that make a file a sidecar of the digest named by the rest.
const SUFFIXES: [&str; 2] = [".head-object.json", ".metadata.json"];

/// The digest path a sidecar's path names (its path without the sidecar suffix).
pub(crate) fn target_of(path: &str) -> &str {
    SUFFIXES
        .iter()
        .find_map(|s| path.strip_suffix(s))
        .unwrap_or(path)
}

/// How a digest's sidecar was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// In the digest's own folder.
    Beside,
    /// Elsewhere, the only sidecar with the digest's file name.
    ByName,
}

/// The outcome of pairing one digest.
pub(crate) enum Pick<'a> {
    One {
        path: &'a str,
        sidecar: &'a Sidecar,
        found: Found,
    },
    /// Several sidecars with the digest's name, none in its folder: their paths.
    Ambiguous(Vec<&'a str>),
    None,
}

/// Every sidecar among the inputs.
#[derive(Default)]
pub(crate) struct Sidecars {
    /// (sidecar path, the digest path it names, parsed content).
    files: Vec<(String, String, Sidecar)>,
    /// Digest file name → indices into `files`.
    by_name: HashMap<String, Vec<usize>>,
}

impl Sidecars {
    pub(crate) fn add(&mut self, path: String, sidecar: Sidecar) {
        let target = target_of(&path).to_owned();
        self.by_name
            .entry(base_name(&target).to_owned())
            .or_default()
            .push(self.files.len());
        self.files.push((path, target, sidecar));
    }

    /// The sidecar of the digest at `digest_path`.
    pub(crate) fn pick(&self, digest_path: &str) -> Pick<'_> {
        let Some(candidates) = self.by_name.get(base_name(digest_path)) else {
            return Pick::None;
        };
        let folder = dir_name(digest_path);
        // Beside the digest: `N.head-object.json` wins over `N.metadata.json` only by
        // input order; both in one folder is the exporter's choice, and the first is used.
        if let Some(&i) = candidates
            .iter()
            .find(|&&i| dir_name(&self.files[i].1) == folder)
        {
            let (path, _, sidecar) = &self.files[i];
            return Pick::One {
                path,
                sidecar,
                found: Found::Beside,
            };
        }
        match candidates.as_slice() {
            [i] => {
                let (path, _, sidecar) = &self.files[*i];
                Pick::One {
                    path,
                    sidecar,
                    found: Found::ByName,
                }
            }
            many => Pick::Ambiguous(many.iter().map(|&i| self.files[i].0.as_str()).collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sc(sig: &str) -> Sidecar {
        Sidecar {
            signature: sig.into(),
            signature_field: "signature".into(),
            algorithm: None,
            etag: None,
            backfill_generation: None,
        }
    }

    #[test]
    fn beside_first_then_unique_name() {
        let mut s = Sidecars::default();
        s.add(
            "meta/head-object/D.json.gz.head-object.json".into(),
            sc("a"),
        );
        s.add("AWSLogs/x/D.json.gz.head-object.json".into(), sc("b"));
        s.add("other/E.json.gz.metadata.json".into(), sc("c"));
        assert!(matches!(
            s.pick("AWSLogs/x/D.json.gz"),
            Pick::One { sidecar, found: Found::Beside, .. } if sidecar.signature == "b"
        ));
        assert!(matches!(
            s.pick("AWSLogs/y/E.json.gz"),
            Pick::One { sidecar, found: Found::ByName, .. } if sidecar.signature == "c"
        ));
        // D elsewhere: two candidates, neither beside it.
        assert!(matches!(s.pick("z/D.json.gz"), Pick::Ambiguous(p) if p.len() == 2));
        assert!(matches!(s.pick("z/F.json.gz"), Pick::None));
    }
}
