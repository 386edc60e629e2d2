//! One event: normalized fields and the original record, fetched lazily from its file.
//! Values are text nodes: event data is untrusted and never becomes HTML.

use std::rc::Rc;

use web_sys::HtmlElement;
use yew::prelude::*;

use super::tz;
use crate::page::integrity_classes;
use crate::protocol::DetailView;
use crate::views::draft::{on_text, use_draft};
use crate::workpaper::{parse_tags, EventKey, Mark};

/// Properties of [`DetailPane`].
#[derive(Properties, PartialEq)]
pub struct DetailProps {
    /// The event.
    pub detail: Rc<DetailView>,
    /// Display zone.
    pub zone: String,
    /// Closes the pane.
    pub on_close: Callback<MouseEvent>,
    /// Asks for an inclusion proof of the event (sealed-archive events only).
    #[prop_or_default]
    pub on_prove: Option<Callback<u32>>,
    /// The workpaper's mark on the event.
    #[prop_or_default]
    pub mark: Option<Mark>,
    /// Sets the event's mark (absent while no workpaper is open).
    #[prop_or_default]
    pub on_mark: Option<Callback<Mark>>,
}

/// Properties of [`MarkEditor`].
#[derive(Properties, PartialEq)]
struct MarkProps {
    event: EventKey,
    mark: Option<Mark>,
    on_mark: Callback<Mark>,
}

/// The workpaper block of the detail pane: the flag toggles at once; tags and note are saved
/// with their button.
#[function_component]
fn MarkEditor(props: &MarkProps) -> Html {
    let current = props.mark.clone().unwrap_or_else(|| Mark {
        event: props.event.clone(),
        flagged: false,
        tags: Vec::new(),
        note: String::new(),
    });
    let tags = use_draft(current.tags.join(", "));
    let note = use_draft(current.note.clone());
    let flagged = current.flagged;
    // The flag saves only itself: typed tags and note wait for their button.
    let on_flag = {
        let (on_mark, current) = (props.on_mark.clone(), current.clone());
        Callback::from(move |_| {
            on_mark.emit(Mark {
                flagged: !current.flagged,
                ..current.clone()
            })
        })
    };
    let on_save = {
        let (on_mark, current) = (props.on_mark.clone(), current.clone());
        let (tags, note) = (tags.clone(), note.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            on_mark.emit(Mark {
                tags: parse_tags(&tags),
                note: (*note).clone(),
                ..current.clone()
            })
        })
    };
    html! {
        <form id="wp-mark" class="wp-mark" onsubmit={on_save} aria-label="Workpaper">
            <button id="wp-flag" type="button" class={classes!("chip", flagged.then_some("flagged"))}
                aria-pressed={flagged.to_string()} onclick={on_flag}>
                { if flagged { "\u{2605} Flagged" } else { "\u{2606} Flag" } }
            </button>
            <label>{ "Tags " }
                <input id="wp-tags" type="text" placeholder="comma-separated"
                    value={(*tags).clone()} oninput={on_text(&tags)} />
            </label>
            <label>{ "Note " }
                <textarea id="wp-note" rows="3" value={(*note).clone()} oninput={on_text(&note)} />
            </label>
            <button id="wp-save" class="chip" type="submit">{ "Save tags and note" }</button>
        </form>
    }
}

/// The pane.
#[function_component]
pub fn DetailPane(props: &DetailProps) -> Html {
    let d = &props.detail;
    let pane = use_node_ref();
    {
        // Focus moves to the pane when an event opens, so screen readers announce it.
        let pane = pane.clone();
        use_effect_with(d.row, move |_| {
            if let Some(el) = pane.cast::<HtmlElement>() {
                let _ = el.focus();
            }
        });
    }
    let time = d
        .fields
        .iter()
        .find(|(k, _)| k == "time")
        .and_then(|(_, v)| v.parse::<jiff::Timestamp>().ok())
        .map(|t| tz::labelled(t.as_millisecond(), &props.zone));
    html! {
        <aside id="detail" ref={pane} class="detail" aria-label="Event detail" tabindex="-1">
            <div class="detail-head">
                <h2>{ "Event" }</h2>
                <button class="chip close" onclick={props.on_close.clone()} aria-label="Close detail (Esc)">{ "Close" }</button>
            </div>
            // What the event's integrity rests on comes first: it qualifies everything below.
            if !d.integrity.is_empty() || !d.integrity_detail.is_empty() {
                <div id="detail-integrity" class="detail-integrity">
                    <span class="detail-label">{ "Integrity" }</span>
                    <strong class={integrity_classes(&d.integrity)}>
                        { if d.integrity.is_empty() { "unknown" } else { d.integrity.as_str() } }
                    </strong>
                    if !d.integrity_detail.is_empty() {
                        <p class="integrity-detail">{ &d.integrity_detail }</p>
                    }
                </div>
            }
            if let (Some(on_mark), Some(event)) = (&props.on_mark, &d.key) {
                <MarkEditor key={event.reference()} event={event.clone()} mark={props.mark.clone()} on_mark={on_mark.clone()} />
            }
            <dl>
                { for d.fields.iter().map(|(k, v)| {
                    if k == "time" {
                        html! { <div><dt>{ "time" }</dt><dd>{ time.clone().unwrap_or_else(|| v.clone()) }</dd></div> }
                    } else {
                        html! { <div><dt>{ k }</dt><dd>{ v }</dd></div> }
                    }
                }) }
                <div><dt>{ "source" }</dt><dd class="path">{ &d.source }</dd></div>
            </dl>
            // Events of a sealed archive (its `records/*.rec` files) can carry their own proof.
            if let (Some(on_prove), true) = (&props.on_prove, d.source.contains(".rec ")) {
                <button id="export-proof" class="chip" onclick={let (cb, row) = (on_prove.clone(), d.row); Callback::from(move |_| cb.emit(row))}>
                    { "Export inclusion proof" }
                </button>
            }
            <h3>{ "Original record" }</h3>
            { match &d.raw {
                Ok(json) => html! { <pre id="raw" class="raw" tabindex="0" aria-label="Original record">{ json }</pre> },
                Err(e) => html! { <p class="error">{ e }</p> },
            }}
        </aside>
    }
}
