//! The view's state in the URL hash (`#tab=timeline&q=...&tz=...`): a reload or a shared link
//! restores the view. Only settings go there, never event data.

use crate::page::Tab;

/// The hash's `key=value` pairs, decoded; malformed pairs are skipped.
pub fn read() -> Vec<(String, String)> {
    let Some(hash) = web_sys::window().and_then(|w| w.location().hash().ok()) else {
        return Vec::new();
    };
    hash.trim_start_matches('#')
        .split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            let k = js_sys::decode_uri_component(k).ok()?.as_string()?;
            let v = js_sys::decode_uri_component(v).ok()?.as_string()?;
            Some((k, v))
        })
        .collect()
}

/// The value of `key` in the hash.
pub fn get(key: &str) -> Option<String> {
    read().into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// Sets (or, with `None`, removes) keys, keeping the others; replaces the history entry so
/// that Back still leaves the page.
pub fn set(updates: &[(&str, Option<String>)]) {
    let mut pairs = read();
    for (key, value) in updates {
        match (pairs.iter_mut().find(|(k, _)| k == key), value) {
            (Some(p), Some(v)) => p.1 = v.clone(),
            (Some(_), None) => pairs.retain(|(k, _)| k != key),
            (None, Some(v)) => pairs.push(((*key).to_owned(), v.clone())),
            (None, None) => {}
        }
    }
    let encoded: Vec<String> = pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                String::from(js_sys::encode_uri_component(k)),
                String::from(js_sys::encode_uri_component(v))
            )
        })
        .collect();
    let Some(window) = web_sys::window() else {
        return;
    };
    let url = if encoded.is_empty() {
        let l = window.location();
        format!(
            "{}{}",
            l.pathname().unwrap_or_default(),
            l.search().unwrap_or_default()
        )
    } else {
        format!("#{}", encoded.join("&"))
    };
    let current = window.location().hash().unwrap_or_default();
    if current == url {
        return;
    }
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

/// The tab the URL names, if any.
pub fn tab() -> Option<Tab> {
    let id = get("tab")?;
    Tab::ALL.into_iter().find(|t| t.label().1 == id)
}

/// Records the selected tab.
pub fn set_tab(tab: Tab) {
    set(&[("tab", Some(tab.label().1.to_owned()))]);
}

/// Forgets the search and the tab of an earlier load: a new load starts clean, and the URL
/// restores a view only when the page is opened with it. Display preferences (time zone,
/// columns) stay: they belong to the reader, not to the data.
pub fn clear_search() {
    set(&[("tab", None), ("q", None), ("range", None), ("sort", None)]);
}
