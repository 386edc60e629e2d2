//! The page's views, one module each.

pub mod compliance;
pub mod draft;
pub mod findings;
pub mod footer;
pub mod inputs;
pub mod landing;
pub mod missing;
pub mod pager;
pub mod settings;
pub mod summary;
pub mod timeline;
pub mod verification;
pub mod workpaper;

use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::page::Tab;

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
