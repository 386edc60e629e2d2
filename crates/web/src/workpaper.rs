//! Workpapers: what an auditor keeps about one set of inputs — flagged events, tags and
//! notes on events, a note on the whole engagement, and named searches.
//!
//! A workpaper belongs to the exact inputs it was made on: it records each input's path and
//! SHA-256, is stored in the browser under a key derived from them ([`storage_key`]), and
//! refuses to attach to other inputs, naming the files that differ ([`Mismatch`]). Events
//! are identified by where their raw record is ([`EventKey`]): ingest is deterministic, so
//! the same inputs give every record the same file and byte span on every load, whereas
//! store rows are positions that any change to the inputs reorders, and provider event IDs
//! are neither present in every format nor unique across conflicting copies. The file format
//! is `docs/workpapers.md`. Pure logic, tested natively; the page stores it (IndexedDB) and
//! the worker resolves its marks to rows.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The `format` field of a workpaper file.
pub const FORMAT: &str = "trailproof-workpaper";
/// The version of the file format this build writes and reads.
pub const VERSION: u32 = 1;

/// One input file as a workpaper records it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct InputHash {
    /// Display path (relative path for folder drops).
    pub path: String,
    /// Lowercase hex SHA-256 of the stored bytes.
    pub sha256: String,
}

/// Where an event's raw record is: stable across reloads of the same inputs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EventKey {
    /// Path of the file (or archive member) holding the record, as the Inputs tab shows it.
    pub file: String,
    /// Byte offset of the record in the file's decoded stream.
    pub offset: u64,
    /// Byte length of the record.
    pub len: u64,
    /// The provider's event ID, for people and as a fallback when the same record was kept
    /// from another identical copy (empty when the format has none).
    #[serde(default)]
    pub event_id: String,
    /// Event time, epoch ms (for people and the fallback).
    pub time_ms: i64,
}

impl EventKey {
    /// What identifies the record: file and byte span.
    pub fn span(&self) -> (&str, u64, u64) {
        (&self.file, self.offset, self.len)
    }

    /// `file#offset+len`, for people and reports.
    pub fn reference(&self) -> String {
        format!("{}#{}+{}", self.file, self.offset, self.len)
    }
}

/// What the auditor attached to one event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// The event.
    pub event: EventKey,
    /// Flagged (starred).
    #[serde(default)]
    pub flagged: bool,
    /// Tags, lowercase, without repeats.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Free text.
    #[serde(default)]
    pub note: String,
}

impl Mark {
    /// Nothing attached: such marks are not kept.
    pub fn is_empty(&self) -> bool {
        !self.flagged && self.tags.is_empty() && self.note.trim().is_empty()
    }
}

/// A named timeline search.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedSearch {
    /// The name the auditor gave it (unique within the workpaper).
    pub name: String,
    /// Query-language text (`docs/query.md`).
    pub query: String,
    /// Time range `[start, end)`, epoch ms.
    #[serde(default)]
    pub range: Option<(i64, i64)>,
}

/// Everything an auditor keeps about one set of inputs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workpaper {
    /// Always [`FORMAT`].
    pub format: String,
    /// The file-format version ([`VERSION`]).
    pub version: u32,
    /// The inputs it belongs to, sorted by path.
    pub inputs: Vec<InputHash>,
    /// The note on the whole engagement.
    #[serde(default)]
    pub note: String,
    /// Marks on events, sorted by event key.
    #[serde(default)]
    pub marks: Vec<Mark>,
    /// Saved searches, in the order they were saved.
    #[serde(default)]
    pub searches: Vec<SavedSearch>,
}

/// A change the auditor makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edit {
    /// Sets the mark on its event ([`Workpaper::set_mark`]).
    Mark(Mark),
    /// Replaces the engagement note.
    Note(String),
    /// Saves a search ([`Workpaper::save_search`]).
    SaveSearch(SavedSearch),
    /// Removes the named search.
    RemoveSearch(String),
}

/// The browser-storage key of a workpaper for `inputs`: the SHA-256 of the `sha256sum`-style
/// listing (`<sha256>  <path>\n`, sorted by path), so the same files under the same paths give
/// the same key in any drop order.
pub fn storage_key(inputs: &[InputHash]) -> String {
    let mut sorted: Vec<&InputHash> = inputs.iter().collect();
    sorted.sort();
    let listing: String = sorted
        .iter()
        .map(|i| format!("{}  {}\n", i.sha256, i.path))
        .collect();
    trailproof_core::hash::sha256_hex(listing.as_bytes())
}

/// Tags typed by people: split on commas and whitespace, lowercased, without repeats, in the
/// order given.
pub fn parse_tags(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in text.split(|c: char| c == ',' || c.is_whitespace()) {
        let t = t.trim().to_lowercase();
        if !t.is_empty() && !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// How a workpaper's inputs differ from the loaded ones.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mismatch {
    /// In the workpaper, not loaded.
    pub missing: Vec<String>,
    /// Loaded, not in the workpaper.
    pub extra: Vec<String>,
    /// Loaded under the same path with other bytes: (path, workpaper SHA-256, loaded SHA-256).
    pub different: Vec<(String, String, String)>,
}

impl Mismatch {
    /// Whether the inputs are the same.
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty() && self.different.is_empty()
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if !self.missing.is_empty() {
            parts.push(format!("missing: {}", self.missing.join(", ")));
        }
        if !self.extra.is_empty() {
            parts.push(format!("not in the workpaper: {}", self.extra.join(", ")));
        }
        if !self.different.is_empty() {
            let d: Vec<String> = self
                .different
                .iter()
                .map(|(p, want, got)| {
                    format!(
                        "{p} (SHA-256 {} here, {} in the workpaper)",
                        short(got),
                        short(want)
                    )
                })
                .collect();
            parts.push(format!("different content: {}", d.join(", ")));
        }
        write!(f, "{}", parts.join("; "))
    }
}

fn short(hex: &str) -> &str {
    hex.get(..12).unwrap_or(hex)
}

/// Why a workpaper file was not attached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportError {
    /// Not JSON, or not shaped like a workpaper.
    Malformed(String),
    /// JSON, but another kind of file.
    NotAWorkpaper,
    /// Written by a newer format version.
    Version(u32),
    /// Made on other inputs.
    Inputs(Mismatch),
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Malformed(m) => write!(f, "not a readable workpaper file: {m}"),
            ImportError::NotAWorkpaper => write!(f, "not a Trailproof workpaper file"),
            ImportError::Version(v) => write!(
                f,
                "workpaper format version {v} is newer than this build reads ({VERSION})"
            ),
            ImportError::Inputs(m) => write!(
                f,
                "this workpaper was made on other inputs and was not attached ({m})"
            ),
        }
    }
}

impl Workpaper {
    /// An empty workpaper for `inputs`.
    pub fn new(mut inputs: Vec<InputHash>) -> Workpaper {
        inputs.sort();
        Workpaper {
            format: FORMAT.to_owned(),
            version: VERSION,
            inputs,
            note: String::new(),
            marks: Vec::new(),
            searches: Vec::new(),
        }
    }

    /// Applies one edit.
    pub fn apply(&mut self, edit: Edit) {
        match edit {
            Edit::Mark(m) => self.set_mark(m),
            Edit::Note(n) => self.note = n,
            Edit::SaveSearch(s) if !s.name.trim().is_empty() => self.save_search(SavedSearch {
                name: s.name.trim().to_owned(),
                ..s
            }),
            Edit::SaveSearch(_) => {}
            Edit::RemoveSearch(name) => self.remove_search(&name),
        }
    }

    /// Its browser-storage key ([`storage_key`] of its inputs).
    pub fn key(&self) -> String {
        storage_key(&self.inputs)
    }

    /// The mark on `event`, if any.
    pub fn mark(&self, event: &EventKey) -> Option<&Mark> {
        self.marks.iter().find(|m| m.event.span() == event.span())
    }

    /// Sets the mark on its event (tags normalised); an empty mark removes it.
    pub fn set_mark(&mut self, mut mark: Mark) {
        mark.tags = parse_tags(&mark.tags.join(","));
        self.marks.retain(|m| m.event.span() != mark.event.span());
        if !mark.is_empty() {
            self.marks.push(mark);
            self.marks.sort_by(|a, b| a.event.cmp(&b.event));
        }
    }

    /// Saves a search under its name, replacing one of the same name.
    pub fn save_search(&mut self, search: SavedSearch) {
        match self.searches.iter_mut().find(|s| s.name == search.name) {
            Some(s) => *s = search,
            None => self.searches.push(search),
        }
    }

    /// Removes the search called `name`.
    pub fn remove_search(&mut self, name: &str) {
        self.searches.retain(|s| s.name != name);
    }

    /// How `loaded` differs from the inputs this workpaper was made on (matched by path).
    pub fn compare(&self, loaded: &[InputHash]) -> Mismatch {
        let ours: BTreeMap<&str, &str> = self
            .inputs
            .iter()
            .map(|i| (i.path.as_str(), i.sha256.as_str()))
            .collect();
        let theirs: BTreeMap<&str, &str> = loaded
            .iter()
            .map(|i| (i.path.as_str(), i.sha256.as_str()))
            .collect();
        let mut m = Mismatch::default();
        for (path, want) in &ours {
            match theirs.get(path) {
                None => m.missing.push(path.to_string()),
                Some(got) if !got.eq_ignore_ascii_case(want) => {
                    m.different
                        .push((path.to_string(), want.to_string(), got.to_string()))
                }
                Some(_) => {}
            }
        }
        m.extra = theirs
            .keys()
            .filter(|p| !ours.contains_key(*p))
            .map(|p| p.to_string())
            .collect();
        m
    }

    /// Folds `other` (made on the same inputs) into this one: flags OR-ed, tags united,
    /// notes that differ kept both (this one's first), searches added (an imported search
    /// replaces one of the same name), nothing ever dropped.
    pub fn merge(&mut self, other: Workpaper) {
        self.note = join_notes(&self.note, &other.note);
        for theirs in other.marks {
            let merged = match self.mark(&theirs.event) {
                Some(ours) => {
                    let mut tags = ours.tags.clone();
                    tags.extend(theirs.tags);
                    Mark {
                        event: ours.event.clone(),
                        flagged: ours.flagged || theirs.flagged,
                        tags,
                        note: join_notes(&ours.note, &theirs.note),
                    }
                }
                None => theirs,
            };
            self.set_mark(merged);
        }
        for s in other.searches {
            self.save_search(s);
        }
    }

    /// The workpaper file: pretty JSON ending with a newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Reads a workpaper file (any inputs; see [`import`] to check them).
    pub fn from_json(text: &str) -> Result<Workpaper, ImportError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| ImportError::Malformed(e.to_string()))?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(ImportError::NotAWorkpaper);
        }
        match value.get("version").and_then(|v| v.as_u64()) {
            Some(v) if v > u64::from(VERSION) => {
                return Err(ImportError::Version(u32::try_from(v).unwrap_or(u32::MAX)))
            }
            _ => {}
        }
        let mut w: Workpaper =
            serde_json::from_value(value).map_err(|e| ImportError::Malformed(e.to_string()))?;
        w.inputs.sort();
        // Normalise through the same door edits use.
        for mark in std::mem::take(&mut w.marks) {
            w.set_mark(mark);
        }
        Ok(w)
    }
}

/// Reads a workpaper file and checks it was made on exactly the `loaded` inputs.
pub fn import(text: &str, loaded: &[InputHash]) -> Result<Workpaper, ImportError> {
    let w = Workpaper::from_json(text)?;
    let mismatch = w.compare(loaded);
    if mismatch.is_empty() {
        Ok(w)
    } else {
        Err(ImportError::Inputs(mismatch))
    }
}

fn join_notes(a: &str, b: &str) -> String {
    let (a, b) = (a.trim_end(), b.trim_end());
    if b.is_empty() || a.contains(b) {
        a.to_owned()
    } else if a.is_empty() || b.contains(a) {
        b.to_owned()
    } else {
        format!("{a}\n\n{b}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(list: &[(&str, &str)]) -> Vec<InputHash> {
        list.iter()
            .map(|&(path, sha256)| InputHash {
                path: path.into(),
                sha256: sha256.into(),
            })
            .collect()
    }

    fn key(file: &str, offset: u64) -> EventKey {
        EventKey {
            file: file.into(),
            offset,
            len: 100,
            event_id: format!("id-{offset}"),
            time_ms: 1_714_521_600_000 + offset as i64,
        }
    }

    fn mark(file: &str, offset: u64, flagged: bool, tags: &[&str], note: &str) -> Mark {
        Mark {
            event: key(file, offset),
            flagged,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            note: note.into(),
        }
    }

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const C: &str = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

    #[test]
    fn storage_key_depends_on_paths_and_hashes_not_order() {
        let one = inputs(&[("x/a.json", A), ("x/b.json", B)]);
        let two = inputs(&[("x/b.json", B), ("x/a.json", A)]);
        assert_eq!(storage_key(&one), storage_key(&two));
        assert_eq!(storage_key(&one).len(), 64);
        let other_hash = inputs(&[("x/a.json", A), ("x/b.json", C)]);
        let other_path = inputs(&[("y/a.json", A), ("x/b.json", B)]);
        assert_ne!(storage_key(&one), storage_key(&other_hash));
        assert_ne!(storage_key(&one), storage_key(&other_path));
        assert_eq!(Workpaper::new(two).key(), storage_key(&one));
    }

    #[test]
    fn import_refuses_other_inputs_and_names_the_files() {
        let made = Workpaper::new(inputs(&[("a.json", A), ("b.json", B), ("c.json", C)]));
        let text = made.to_json();
        assert_eq!(
            import(
                &text,
                &inputs(&[("c.json", C), ("a.json", A), ("b.json", B)])
            ),
            Ok(made.clone())
        );
        let cases: &[(&[(&str, &str)], Mismatch)] = &[
            (
                &[("a.json", A), ("b.json", B)],
                Mismatch {
                    missing: vec!["c.json".into()],
                    ..Mismatch::default()
                },
            ),
            (
                &[("a.json", A), ("b.json", B), ("c.json", C), ("d.json", A)],
                Mismatch {
                    extra: vec!["d.json".into()],
                    ..Mismatch::default()
                },
            ),
            (
                &[("a.json", A), ("b.json", C), ("d.json", C)],
                Mismatch {
                    missing: vec!["c.json".into()],
                    extra: vec!["d.json".into()],
                    different: vec![("b.json".into(), B.into(), C.into())],
                },
            ),
        ];
        for (loaded, want) in cases {
            let got = import(&text, &inputs(loaded));
            assert_eq!(got, Err(ImportError::Inputs(want.clone())), "{loaded:?}");
            let message = got.unwrap_err().to_string();
            for path in want.missing.iter().chain(&want.extra) {
                assert!(message.contains(path.as_str()), "{message}");
            }
            for (path, _, _) in &want.different {
                assert!(
                    message.contains(&format!(
                        "{path} (SHA-256 cccccccccccc here, bbbbbbbbbbbb in the workpaper)"
                    )),
                    "{message}"
                );
            }
        }
    }

    #[test]
    fn files_of_other_kinds_and_versions_are_refused() {
        let mut newer = serde_json::to_value(Workpaper::new(vec![])).unwrap();
        newer["version"] = serde_json::json!(VERSION + 1);
        let cases: Vec<(String, ImportError)> = vec![
            (
                "{\"format\":\"something-else\"}".into(),
                ImportError::NotAWorkpaper,
            ),
            ("[1,2]".into(), ImportError::NotAWorkpaper),
            (newer.to_string(), ImportError::Version(VERSION + 1)),
        ];
        for (text, want) in cases {
            assert_eq!(Workpaper::from_json(&text), Err(want), "{text}");
        }
        assert!(matches!(
            Workpaper::from_json("{not json"),
            Err(ImportError::Malformed(_))
        ));
        assert!(matches!(
            Workpaper::from_json("{\"format\":\"trailproof-workpaper\",\"version\":1}"),
            Err(ImportError::Malformed(_))
        ));
    }

    #[test]
    fn round_trip_keeps_everything_and_normalises_tags() {
        let mut w = Workpaper::new(inputs(&[("b.json", B), ("a.json", A)]));
        w.note = "Engagement 2024-Q2: root activity review.".into();
        w.set_mark(mark(
            "a.json",
            0,
            true,
            &["Exfil", "review", "exfil"],
            "why?",
        ));
        w.set_mark(mark("b.json", 10, false, &[], "only a note"));
        w.set_mark(mark("a.json", 500, false, &[], "  "));
        w.save_search(SavedSearch {
            name: "root".into(),
            query: "root:true".into(),
            range: Some((1, 2)),
        });
        assert_eq!(w.marks.len(), 2, "the empty mark is not kept");
        assert_eq!(w.marks[0].tags, vec!["exfil", "review"]);
        let text = w.to_json();
        assert!(text.contains("\"format\": \"trailproof-workpaper\""));
        assert!(text.contains("\"version\": 1"));
        let back = Workpaper::from_json(&text).unwrap();
        assert_eq!(back, w);
        assert_eq!(back.mark(&key("b.json", 10)).unwrap().note, "only a note");
        // Clearing a mark removes it.
        let mut back = back;
        back.set_mark(mark("b.json", 10, false, &[], ""));
        assert!(back.mark(&key("b.json", 10)).is_none());
    }

    #[test]
    fn merge_unites_and_never_drops() {
        let ins = inputs(&[("a.json", A)]);
        let mut ours = Workpaper::new(ins.clone());
        ours.note = "ours".into();
        ours.set_mark(mark("a.json", 0, true, &["x"], "first"));
        ours.set_mark(mark("a.json", 1, false, &["keep"], ""));
        ours.save_search(SavedSearch {
            name: "s".into(),
            query: "old".into(),
            range: None,
        });
        let mut theirs = Workpaper::new(ins);
        theirs.note = "theirs".into();
        theirs.set_mark(mark("a.json", 0, false, &["y", "x"], "second"));
        theirs.set_mark(mark("a.json", 2, true, &[], ""));
        theirs.save_search(SavedSearch {
            name: "s".into(),
            query: "new".into(),
            range: None,
        });
        theirs.save_search(SavedSearch {
            name: "t".into(),
            query: "tag:x".into(),
            range: None,
        });
        ours.merge(theirs.clone());
        assert_eq!(ours.note, "ours\n\ntheirs");
        let m0 = ours.mark(&key("a.json", 0)).unwrap();
        assert!(m0.flagged);
        assert_eq!(m0.tags, vec!["x", "y"]);
        assert_eq!(m0.note, "first\n\nsecond");
        assert_eq!(ours.mark(&key("a.json", 1)).unwrap().tags, vec!["keep"]);
        assert!(ours.mark(&key("a.json", 2)).unwrap().flagged);
        let searches: Vec<(&str, &str)> = ours
            .searches
            .iter()
            .map(|s| (s.name.as_str(), s.query.as_str()))
            .collect();
        assert_eq!(searches, vec![("s", "new"), ("t", "tag:x")]);
        // Merging the same workpaper again changes nothing.
        let once = ours.clone();
        ours.merge(theirs);
        assert_eq!(ours, once);
    }

    #[test]
    fn edits_apply_in_order() {
        let mut w = Workpaper::new(inputs(&[("a.json", A)]));
        let search = |name: &str, query: &str| SavedSearch {
            name: name.into(),
            query: query.into(),
            range: None,
        };
        let edits = vec![
            Edit::Note("n1".into()),
            Edit::Mark(mark("a.json", 3, true, &["T"], "")),
            Edit::SaveSearch(search(" roots ", "root:true")),
            Edit::SaveSearch(search("  ", "ignored: no name")),
            Edit::SaveSearch(search("errors", "error:*")),
            Edit::RemoveSearch("errors".into()),
            Edit::Mark(mark("a.json", 3, true, &["t", "u"], "n")),
            Edit::Note("n2".into()),
        ];
        for e in edits {
            w.apply(e);
        }
        assert_eq!(w.note, "n2");
        assert_eq!(w.marks, vec![mark("a.json", 3, true, &["t", "u"], "n")]);
        assert_eq!(w.searches, vec![search("roots", "root:true")]);
    }

    #[test]
    fn tags_are_split_lowercased_and_unique() {
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            ("a, B  c,,a", &["a", "b", "c"]),
            ("  Priv-Esc\tnew\n", &["priv-esc", "new"]),
        ];
        for (text, want) in cases {
            assert_eq!(parse_tags(text), *want, "{text:?}");
        }
    }
}
