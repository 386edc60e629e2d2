//! The Workpaper tab: the engagement note, saved searches, the marked events, and export or
//! import of the workpaper file (`docs/workpapers.md`). Edits go up as [`Edit`]s; the page
//! root stores them in this browser and hands the marks to the worker.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::page::{download, utc};
use crate::views::draft::{on_text, use_draft};
use crate::workpaper::{Edit, SavedSearch, Workpaper};

/// Properties of [`WorkpaperView`].
#[derive(Properties, PartialEq)]
pub struct WorkpaperProps {
    /// The open workpaper (`None` until every input is hashed and storage answered).
    pub workpaper: Option<Rc<Workpaper>>,
    /// What happened last (import, refusal, storage), for people.
    pub status: Option<String>,
    /// The timeline's current query and range, for "Save current search".
    pub current: (String, Option<(i64, i64)>),
    /// Applies an edit.
    pub on_edit: Callback<Edit>,
    /// Opens a saved search in the timeline.
    pub on_open: Callback<SavedSearch>,
    /// The text of a workpaper file the user picked.
    pub on_import: Callback<String>,
}

/// The tab.
#[function_component]
pub fn WorkpaperView(props: &WorkpaperProps) -> Html {
    let name = use_node_ref();
    let note = use_draft(
        props
            .workpaper
            .as_ref()
            .map(|w| w.note.clone())
            .unwrap_or_default(),
    );
    let status = props.status.as_ref().map(|s| {
        html! {
            <p id="wp-status" role="status">{ s }</p>
        }
    });
    let Some(w) = props.workpaper.clone() else {
        return html! {
            <section class="workpaper">
                { for status }
                <p class="muted">{ "The workpaper opens when loading finishes and every input is hashed." }</p>
            </section>
        };
    };
    let on_note = {
        let (note, on_edit) = (note.clone(), props.on_edit.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            on_edit.emit(Edit::Note((*note).clone()));
        })
    };
    let on_save_search = {
        let (name, on_edit, (query, range)) =
            (name.clone(), props.on_edit.clone(), props.current.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(input) = name.cast::<HtmlInputElement>() {
                on_edit.emit(Edit::SaveSearch(SavedSearch {
                    name: input.value(),
                    query: query.clone(),
                    range,
                }));
                input.set_value("");
            }
        })
    };
    let on_export = {
        let w = w.clone();
        Callback::from(move |_| {
            let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(&w.to_json()));
            let options = web_sys::BlobPropertyBag::new();
            options.set_type("application/json;charset=utf-8");
            if let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) {
                download(&blob, "trailproof-workpaper.json");
            }
        })
    };
    let on_import = {
        let on_import = props.on_import.clone();
        Callback::from(move |e: Event| {
            let Some(input) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            else {
                return;
            };
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            // The same file can be picked again after a refusal.
            input.set_value("");
            let on_import = on_import.clone();
            wasm_bindgen_futures::spawn_local(async move {
                // A workpaper is a small JSON file the user picked, not audit evidence: the
                // page reads it itself (asynchronously), the worker never sees it.
                match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                    Ok(text) => on_import.emit(text.as_string().unwrap_or_default()),
                    Err(_) => on_import.emit(String::new()),
                }
            });
        })
    };
    let key = w.key();
    html! {
        <section class="workpaper">
            { for status }
            <p class="muted">
                { "Kept in this browser only (IndexedDB), for exactly these inputs: key " }
                <code title={key.clone()}>{ key.get(..16).unwrap_or(&key) }</code>
                { format!(" = SHA-256 of {} input hashes. Nothing is sent anywhere.", w.inputs.len()) }
            </p>
            <div class="wp-files">
                <button id="wp-export" class="chip" onclick={on_export}>{ "Export workpaper" }</button>
                <label class="chip">{ "Import workpaper\u{2026} " }
                    <input id="wp-import" type="file" accept=".json,application/json" onchange={on_import} />
                </label>
            </div>
            <h2>{ "Engagement note" }</h2>
            <form onsubmit={on_note}>
                <textarea id="wp-engagement-note" rows="4" value={(*note).clone()} oninput={on_text(&note)}
                    aria-label="Engagement note" />
                <button id="wp-note-save" class="chip" type="submit">{ "Save note" }</button>
            </form>
            <h2>{ format!("Saved searches ({})", w.searches.len()) }</h2>
            <form class="wp-save-search" onsubmit={on_save_search}>
                <label>{ "Name " }<input id="wp-search-name" ref={name} type="text" required=true /></label>
                <button id="wp-search-save" class="chip" type="submit">{ "Save the timeline's current search" }</button>
                <code class="muted">{ if props.current.0.is_empty() { "(all events)" } else { props.current.0.as_str() } }</code>
            </form>
            <ul id="wp-searches">
                { for w.searches.iter().map(|s| {
                    let (open, edit) = (props.on_open.clone(), props.on_edit.clone());
                    let (search, name) = (s.clone(), s.name.clone());
                    html! {
                        <li class="wp-search" data-name={s.name.clone()}>
                            <button class="chip wp-open" onclick={Callback::from(move |_| open.emit(search.clone()))}>{ &s.name }</button>
                            <code>{ &s.query }</code>
                            if let Some((a, b)) = s.range {
                                <span class="muted">{ format!(" {} \u{2013} {}", utc(a), utc(b)) }</span>
                            }
                            <button class="chip wp-remove" aria-label={format!("Delete saved search {}", s.name)}
                                onclick={Callback::from(move |_| edit.emit(Edit::RemoveSearch(name.clone())))}>{ "Delete" }</button>
                        </li>
                    }
                }) }
            </ul>
            <h2>{ format!("Marked events ({})", w.marks.len()) }</h2>
            if w.marks.is_empty() {
                <p class="muted">{ "Open an event in the Timeline to flag it, tag it or write a note on it." }</p>
            } else {
                <table id="wp-marks">
                    <thead><tr><th>{ "Flag" }</th><th>{ "Tags" }</th><th>{ "Note" }</th><th>{ "Time" }</th><th>{ "Record" }</th></tr></thead>
                    <tbody>
                        { for w.marks.iter().map(|m| html! {
                            <tr>
                                <td>{ if m.flagged { "\u{2605}" } else { "" } }</td>
                                <td>{ m.tags.join(", ") }</td>
                                <td class="wp-note">{ &m.note }</td>
                                <td>{ utc(m.event.time_ms) }</td>
                                <td class="path">{ m.event.reference() }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
        </section>
    }
}
