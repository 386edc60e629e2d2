//! The metadata detection rules and correlation rules share (Sigma rules specification:
//! `title`, `id`, `name`, `author`, `level`), read by one function for both, and the
//! [`RuleRef`] both report findings under.

use yaml_rust2::Yaml;

use super::parse::yaml_text;
use crate::finding::{Level, RuleRef};

/// A rule's or correlation's identification.
pub(super) struct Meta {
    /// `id` (may be empty).
    pub(super) id: String,
    /// `name` (how correlations refer to it; may be empty).
    pub(super) name: String,
    /// `title`, else the `id`.
    pub(super) title: String,
    /// `author`: one text, or a list joined with `, ` (may be empty).
    pub(super) author: String,
    /// `level`, medium when absent or unknown.
    pub(super) level: Level,
}

impl Meta {
    pub(super) fn of(doc: &Yaml) -> Meta {
        let text = |k: &str| doc[k].as_str().unwrap_or("").to_string();
        Meta {
            id: text("id"),
            name: text("name"),
            title: label(doc),
            author: strings(&doc["author"]).join(", "),
            level: doc["level"]
                .as_str()
                .and_then(Level::parse)
                .unwrap_or(Level::Medium),
        }
    }
}

/// What names a rule document in messages: its `title`, else its `id` (empty if neither).
pub(super) fn label(doc: &Yaml) -> String {
    match doc["title"].as_str() {
        Some(t) if !t.is_empty() => t.to_string(),
        _ => doc["id"].as_str().unwrap_or("").to_string(),
    }
}

/// A scalar or a list of scalars, as texts.
pub(super) fn strings(y: &Yaml) -> Vec<String> {
    match y {
        Yaml::Array(a) => a.iter().filter_map(yaml_text).collect(),
        Yaml::BadValue | Yaml::Null => Vec::new(),
        y => yaml_text(y).into_iter().collect(),
    }
}

/// The reference findings of a Sigma rule or correlation carry.
pub(super) fn rule_ref(id: &str, title: &str, author: &str, source: &str) -> RuleRef {
    RuleRef::Sigma {
        id: id.to_string(),
        title: title.to_string(),
        author: author.to_string(),
        source: source.to_string(),
    }
}
