//! The drop zone and the progress bar.

use wasm_bindgen::JsCast;
use web_sys::{DragEvent, HtmlInputElement};
use yew::prelude::*;

use crate::files::{self, Picked};
use crate::guide::{ProviderGuide, Step, GUIDES, SEAL};
use crate::page::human_bytes;
use crate::protocol::Phase;
use crate::triage::rates;

/// Properties of [`DropZone`].
#[derive(Properties, PartialEq)]
pub struct DropZoneProps {
    /// Called with the files the user gave.
    pub on_files: Callback<Vec<Picked>>,
    /// Smaller once something is loaded.
    pub compact: bool,
}

/// Accepts files and folders by drag-and-drop and by pickers.
#[function_component]
pub fn DropZone(props: &DropZoneProps) -> Html {
    let over = use_state(|| false);

    let on_dragover = {
        let over = over.clone();
        Callback::from(move |e: DragEvent| {
            // Without preventDefault the browser would open the file instead of dropping it.
            e.prevent_default();
            over.set(true);
        })
    };
    let on_dragleave = {
        let over = over.clone();
        Callback::from(move |_: DragEvent| over.set(false))
    };
    let on_drop = {
        let over = over.clone();
        let on_files = props.on_files.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            over.set(false);
            let Some(transfer) = e.data_transfer() else {
                return;
            };
            let (entries, dropped) = files::drop_entries(&transfer);
            let on_files = on_files.clone();
            wasm_bindgen_futures::spawn_local(async move {
                on_files.emit(files::resolve(entries, dropped).await);
            });
        })
    };
    let on_pick = {
        let on_files = props.on_files.clone();
        Callback::from(move |e: Event| {
            let Some(input) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            else {
                return;
            };
            if let Some(list) = input.files() {
                on_files.emit(files::from_file_list(&list));
            }
            // Let the same file be picked again.
            input.set_value("");
        })
    };

    let on_sample = {
        let on_files = props.on_files.clone();
        Callback::from(move |_: MouseEvent| {
            let on_files = on_files.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match fetch_sample().await {
                    Ok(file) => on_files.emit(vec![Picked {
                        path: "sample.zip".into(),
                        file,
                    }]),
                    Err(e) => web_sys::console::error_1(&e),
                }
            });
        })
    };

    let class = classes!(
        "dropzone",
        over.then_some("over"),
        props.compact.then_some("compact")
    );
    html! {
        <>
        <section id="dropzone" class={class} ondragover={on_dragover} ondragleave={on_dragleave} ondrop={on_drop}
            aria-label="Drop files or folders here">
            <p class="drop-title">{ "Drop audit-trail exports, digests and keys here" }</p>
            <p class="drop-hint">{ "Files, folders, .zip, .tar.gz — CloudTrail, Huawei CTS, ActionTrail, GCP, Azure — or choose them:" }</p>
            <div class="pickers">
                <label class="button">
                    { "Choose files" }
                    <input id="pick-files" type="file" multiple=true onchange={on_pick.clone()} />
                </label>
                <label class="button">
                    { "Choose a folder" }
                    <input id="pick-folder" type="file" multiple=true webkitdirectory=true onchange={on_pick} />
                </label>
                <button id="open-sample" class="button secondary" onclick={on_sample}
                    title="A small synthetic export: a CloudTrail chain, a Huawei CTS chain and ActionTrail events">
                    { "Open sample" }
                </button>
            </div>
        </section>
        if !props.compact {
            <DropGuide />
        }
        </>
    }
}

/// "What to drop": per provider, what to export for verification and for exploration, with
/// copyable commands (the table is [`crate::guide::GUIDES`]; `docs/exporting.md` mirrors it).
#[function_component]
pub fn DropGuide() -> Html {
    html! {
        <section id="drop-guide" class="drop-guide" aria-labelledby="drop-guide-title">
            <h2 id="drop-guide-title">{ "What to drop" }</h2>
            <p class="muted">{ "Verification needs more than the events: the digest files, the keys that signed them and the newest digest's signature. Capitals are placeholders." }</p>
            { for GUIDES.iter().map(provider_guide) }
        </section>
    }
}

fn provider_guide(g: &'static ProviderGuide) -> Html {
    let sealable = g.protection.starts_with("None");
    html! {
        <details class="guide-provider" id={format!("guide-{}", g.id)}>
            <summary>{ g.name }</summary>
            <p class="muted">{ g.protection }</p>
            <h3>{ "For verification" }</h3>
            <ol class="guide-steps">{ for g.verify.iter().map(step) }</ol>
            if sealable {
                <ol class="guide-steps">{ for SEAL.iter().map(step) }</ol>
            }
            <h3>{ "For exploration only" }</h3>
            <ol class="guide-steps">{ for g.explore.iter().map(step) }</ol>
        </details>
    }
}

fn step(s: &'static Step) -> Html {
    html! {
        <li>
            <span>{ s.what }</span>
            if let Some(cmd) = s.command {
                <CopyCommand command={AttrValue::Static(cmd)} />
            }
        </li>
    }
}

/// Properties of [`CopyCommand`].
#[derive(Properties, PartialEq)]
pub struct CopyCommandProps {
    /// The command line.
    pub command: AttrValue,
}

/// A command line with a copy button (Clipboard API; nothing leaves the page).
#[function_component]
pub fn CopyCommand(props: &CopyCommandProps) -> Html {
    let copied = use_state(|| false);
    let onclick = {
        let command = props.command.clone();
        let copied = copied.clone();
        Callback::from(move |_: MouseEvent| {
            if copy_text(&command) {
                copied.set(true);
            }
        })
    };
    html! {
        <div class="command">
            <code>{ &props.command }</code>
            <button type="button" class="button secondary copy" {onclick}>{ if *copied { "Copied" } else { "Copy" } }</button>
        </div>
    }
}

/// `navigator.clipboard.writeText(text)`, looked up dynamically (the web-sys clipboard
/// bindings would need extra features for one call). False when the API is unavailable.
fn copy_text(text: &str) -> bool {
    use js_sys::{Function, Reflect};
    use wasm_bindgen::JsValue;
    let Some(window) = web_sys::window() else {
        return false;
    };
    let clipboard = Reflect::get(&window, &JsValue::from_str("navigator"))
        .and_then(|n| Reflect::get(&n, &JsValue::from_str("clipboard")));
    let Ok(clipboard) = clipboard else {
        return false;
    };
    let Ok(write) = Reflect::get(&clipboard, &JsValue::from_str("writeText")) else {
        return false;
    };
    match write.dyn_into::<Function>() {
        // The returned promise is not awaited: a refusal leaves the text selectable.
        Ok(f) => f.call1(&clipboard, &JsValue::from_str(text)).is_ok(),
        Err(_) => false,
    }
}

/// Properties of [`ProgressBar`].
#[derive(Properties, PartialEq)]
pub struct ProgressProps {
    /// Current phase.
    pub phase: Phase,
    /// Bytes done.
    pub done: u64,
    /// Bytes in all.
    pub total: u64,
    /// Events loaded so far.
    pub events: u64,
    /// Milliseconds since the job started (0: no rates).
    pub ms: f64,
    /// File being read.
    pub file: String,
    /// Whether the job runs.
    pub running: bool,
    /// Cancels the job.
    pub on_cancel: Callback<MouseEvent>,
}

/// Progress of the current job, with cancel.
#[function_component]
pub fn ProgressBar(props: &ProgressProps) -> Html {
    if !props.running {
        return html! {};
    }
    // No total yet: the worker has not told it (the files may still be on their way to it).
    let percent = (props.total > 0).then(|| props.done as f64 * 100.0 / props.total as f64);
    let phase = match props.phase {
        Phase::Read => "Reading and hashing",
        Phase::Verify => "Verifying",
        Phase::Inflate => "Decompressing",
        Phase::Parse => "Parsing events",
        Phase::Index => "Indexing events",
        Phase::Analyze => "Checking compliance and findings",
    };
    html! {
        <section class="progress" aria-live="polite">
            <progress id="progress" max="100" value={percent.map(|p| format!("{p:.1}"))} aria-label="Progress" />
            <span class="progress-text">
                { match percent {
                    Some(p) => format!("{phase}: {} of {} ({p:.0} %) ", human_bytes(props.done), human_bytes(props.total)),
                    None if props.done == 0 => format!("{phase}: starting "),
                    None => format!("{phase}: {} so far ", human_bytes(props.done)),
                } }
                <span class="progress-rate">{ rates(props.done, props.events, props.ms) }</span>
                { " " }
                <span class="muted">{ &props.file }</span>
            </span>
            <button id="cancel" class="button" onclick={props.on_cancel.clone()}>{ "Cancel" }</button>
        </section>
    }
}

/// The bundled sample (`dist/sample.zip`), fetched from the site itself.
async fn fetch_sample() -> Result<web_sys::File, wasm_bindgen::JsValue> {
    use wasm_bindgen_futures::JsFuture;
    let window = web_sys::window().ok_or("no window")?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str("./sample.zip"))
        .await?
        .dyn_into()?;
    if !response.ok() {
        return Err(format!("sample.zip: HTTP {}", response.status()).into());
    }
    let blob: web_sys::Blob = JsFuture::from(response.blob()?).await?.dyn_into()?;
    web_sys::File::new_with_blob_sequence(&js_sys::Array::of1(&blob), "sample.zip")
}
