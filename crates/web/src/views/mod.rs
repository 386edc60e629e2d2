//! The page's views, one module each.

pub mod compliance;
pub mod findings;
pub mod footer;
pub mod inputs;
pub mod landing;
pub mod missing;
pub mod settings;
pub mod summary;
pub mod timeline;
pub mod verification;

use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The tabs under the summary header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    /// Digest-chain verification.
    Verification,
    /// The event timeline.
    Timeline,
    /// Retention and coverage against requirements.
    Compliance,
    /// Detections and anomalies.
    Findings,
    /// The input files with their hashes.
    Inputs,
}

impl Tab {
    /// Every tab, in bar order.
    pub const ALL: [Tab; 5] = [
        Tab::Verification,
        Tab::Timeline,
        Tab::Compliance,
        Tab::Findings,
        Tab::Inputs,
    ];

    /// Label and stable id (used in the URL and by tests).
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Tab::Verification => ("Verification", "verification"),
            Tab::Timeline => ("Timeline", "timeline"),
            Tab::Compliance => ("Compliance", "compliance"),
            Tab::Findings => ("Findings", "findings"),
            Tab::Inputs => ("Inputs", "inputs"),
        }
    }
}

/// Properties of [`Tabs`].
#[derive(Properties, PartialEq)]
pub struct TabsProps {
    /// The selected tab.
    pub current: Tab,
    /// Called with the tab the user picks.
    pub on_select: Callback<Tab>,
    /// Whether loading finished (the Inputs tab works before that).
    pub has_summary: bool,
}

/// The tab bar: ARIA tabs with one tab stop (the selected tab); Left/Right move to the previous
/// or next tab and Home/End to the first or last, selecting it and moving focus with it. The
/// panel below is `#tabpanel`, labelled by the selected tab.
#[function_component]
pub fn Tabs(props: &TabsProps) -> Html {
    let onkeydown = {
        let (current, on_select) = (props.current, props.on_select.clone());
        Callback::from(move |e: KeyboardEvent| {
            let at = Tab::ALL.iter().position(|&t| t == current).unwrap_or(0);
            let last = Tab::ALL.len() - 1;
            let to = match e.key().as_str() {
                "ArrowRight" => (at + 1) % Tab::ALL.len(),
                "ArrowLeft" => (at + last) % Tab::ALL.len(),
                "Home" => 0,
                "End" => last,
                _ => return,
            };
            e.prevent_default();
            let tab = Tab::ALL[to];
            on_select.emit(tab);
            // Every tab button is always rendered, so the new one can take focus at once.
            if let Some(el) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(&format!("tab-{}", tab.label().1)))
                .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = el.focus();
            }
        })
    };
    html! {
        <nav class="tabs" role="tablist" aria-label="Views" {onkeydown}>
            { for Tab::ALL.iter().map(|&tab| {
                let (label, id) = tab.label();
                let on_select = props.on_select.clone();
                let selected = tab == props.current;
                html! {
                    <button id={format!("tab-{id}")} role="tab" class={classes!("tab", selected.then_some("selected"))}
                        aria-selected={selected.to_string()} aria-controls="tabpanel"
                        tabindex={if selected { "0" } else { "-1" }}
                        onclick={Callback::from(move |_| on_select.emit(tab))}>
                        { label }
                    </button>
                }
            }) }
        </nav>
    }
}

/// Bytes for people: binary units, one decimal.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

pub use crate::triage::count;
use crate::triage::integrity_class;

/// Classes for text showing an integrity state: `integrity` plus `i-<state>` for a known
/// state. The state's word is always shown too, so colour is never the only cue. Class
/// names come from the typed state ([`integrity_class`], tested natively).
pub fn integrity_classes(name: &str) -> Classes {
    classes!("integrity", integrity_class(name))
}

/// Epoch ms as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn utc(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
        Err(_) => ms.to_string(),
    }
}
