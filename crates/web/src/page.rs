//! What the views share: the page's tabs, the link to the worker, the input rows, downloads
//! and formatting helpers. The views depend on this module and never on `app` (the root that
//! owns the state), so each tab can be read alone.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, MessageEvent, Worker};
use yew::prelude::*;

use crate::files::Picked;
use crate::protocol::{FromWorker, ToWorker};
pub use crate::triage::count;
use crate::triage::integrity_class;

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
    /// The auditor's flags, tags, notes and saved searches.
    Workpaper,
    /// The input files with their hashes.
    Inputs,
}

impl Tab {
    /// Every tab, in bar order.
    pub const ALL: [Tab; 6] = [
        Tab::Verification,
        Tab::Timeline,
        Tab::Compliance,
        Tab::Findings,
        Tab::Workpaper,
        Tab::Inputs,
    ];

    /// Label and stable id (used in the URL and by tests).
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Tab::Verification => ("Verification", "verification"),
            Tab::Timeline => ("Timeline", "timeline"),
            Tab::Compliance => ("Compliance", "compliance"),
            Tab::Findings => ("Findings", "findings"),
            Tab::Workpaper => ("Workpaper", "workpaper"),
            Tab::Inputs => ("Inputs", "inputs"),
        }
    }
}

/// One input file as the Inputs view lists it.
#[derive(Clone, PartialEq)]
pub struct InputRow {
    /// Display path.
    pub path: String,
    /// Size in bytes, once the worker has read it: the page never asks a `File` its size,
    /// since the first ask of each costs Chromium a synchronous stat of the file (0.2 ms:
    /// 1.2 s that froze the page for a folder of 6,049 files).
    pub size: Option<u64>,
    /// Hashing outcome.
    pub outcome: Outcome,
}

/// What happened to one input's hash.
#[derive(Clone, PartialEq)]
pub enum Outcome {
    /// Not yet hashed.
    Pending,
    /// Lowercase hex SHA-256.
    Hashed(String),
    /// Unreadable, with the browser's message.
    Failed(String),
    /// The job was cancelled first.
    Cancelled,
}

/// Files handed to the worker per message of a load ([`WorkerHandle::load`]): about 50 ms of
/// the page's time each when the browser reads their sizes on the way.
pub const FILES_PER_MESSAGE: usize = 256;

/// Posts `request` to `worker` with `files` beside it; a post that fails (the browser could
/// not clone a file) is told to `on_fatal` as the worker's end, since the worker would
/// otherwise wait for files that never come. Returns whether the post went.
fn post_to(
    worker: &Worker,
    request: &ToWorker,
    files: &[Picked],
    on_fatal: &Callback<FromWorker>,
) -> bool {
    let Ok(json) = serde_json::to_string(request) else {
        return false;
    };
    let list: Array = files
        .iter()
        .map(|p| JsValue::from(p.file.clone()))
        .collect();
    if let Err(e) = worker.post_message(&Array::of2(&JsValue::from_str(&json), &list)) {
        web_sys::console::error_1(&e);
        worker.terminate();
        let what = files.first().map_or(String::new(), |p| {
            format!(" ({} and the files after it)", p.path)
        });
        on_fatal.emit(FromWorker::Fatal {
            message: format!(
                "the page could not hand the files{what} to its worker: {}",
                e.as_string().unwrap_or_else(|| format!("{e:?}"))
            ),
        });
        return false;
    }
    true
}

/// Resolves in a task of its own (a zero-delay timer), after the page has had a turn to
/// handle input and render.
async fn next_task() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// The worker and the handler that hands its replies to the page.
pub struct WorkerHandle {
    worker: Worker,
    on_fatal: Callback<FromWorker>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl WorkerHandle {
    /// Starts a worker whose replies go to `on_reply` (exports are downloaded first).
    pub fn spawn(on_reply: Callback<FromWorker>) -> Result<Self, JsValue> {
        // A classic script: Trunk builds worker bins for `importScripts`-style loading.
        let worker = Worker::new("./worker_loader.js")?;
        let on_fatal = on_reply.clone();
        let on_post_error = on_reply.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let data = event.data();
            // Exports arrive as [json, Blob]; everything else as a JSON string.
            let (text, blob) = if Array::is_array(&data) {
                let parts = Array::from(&data);
                (
                    parts.get(0).as_string(),
                    parts.get(1).dyn_into::<Blob>().ok(),
                )
            } else {
                (data.as_string(), None)
            };
            let Some(msg) = text.and_then(|s| serde_json::from_str::<FromWorker>(&s).ok()) else {
                return;
            };
            if let (FromWorker::Exported { format, .. }, Some(blob)) = (&msg, blob) {
                download(&blob, format.file_name());
            }
            on_reply.emit(msg);
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // A worker that dies (a trap, say out of memory) sends nothing more: say so, or the
        // page would wait for it forever.
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            on_fatal.emit(FromWorker::Fatal {
                message: crate::fetch::worker_error(&event),
            });
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Self {
            worker,
            on_fatal: on_post_error,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// Posts `request` with `files` beside it.
    pub fn post(&self, request: &ToWorker, files: &[Picked]) {
        post_to(&self.worker, request, files, &self.on_fatal);
    }

    /// Hands a load to the worker: the paths and the first files in [`ToWorker::Load`], the
    /// rest in [`ToWorker::More`] messages of [`FILES_PER_MESSAGE`], each after the page's
    /// event loop had a turn. Posting a `File` whose size the browser has not read yet makes
    /// Chromium read it there and then, synchronously (0.2 ms a file): a folder of 6,049 files
    /// posted at once froze the page for 1.4 s, and one of 150,000 (a month of one account in
    /// 17 regions) would freeze it for half a minute.
    pub fn load(&self, job: u32, picked: Vec<Picked>) {
        let paths = picked.iter().map(|p| p.path.clone()).collect();
        let first = picked.len().min(FILES_PER_MESSAGE);
        let load = ToWorker::Load { job, paths };
        if !post_to(&self.worker, &load, &picked[..first], &self.on_fatal) || first == picked.len()
        {
            return;
        }
        // A worker terminated meanwhile (cancel, a new load) ignores what is posted to it.
        let (worker, on_fatal) = (self.worker.clone(), self.on_fatal.clone());
        wasm_bindgen_futures::spawn_local(async move {
            for files in picked[first..].chunks(FILES_PER_MESSAGE) {
                next_task().await;
                if !post_to(&worker, &ToWorker::More { job }, files, &on_fatal) {
                    break;
                }
            }
        });
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

/// Saves `blob` through a temporary object URL and a synthetic link click: the data never
/// leaves the browser.
pub fn download(blob: &Blob, name: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(blob) else {
        return;
    };
    if let Ok(a) = document.create_element("a") {
        let _ = a.set_attribute("href", &url);
        let _ = a.set_attribute("download", name);
        if let Some(a) = a.dyn_ref::<web_sys::HtmlElement>() {
            a.click();
        }
    }
    // Revoked later, not at once: some browsers start the download only after the click
    // handler returns. A minute is ample; the Blob is freed with the URL.
    let revoke = Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    if let Some(window) = web_sys::window() {
        let _ = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 60_000);
    }
}

/// Sends requests to the worker; handed to views.
#[derive(Clone)]
pub struct Link {
    worker: Rc<RefCell<Option<WorkerHandle>>>,
}

impl Link {
    /// A link to the worker held (and replaced on each load) by the page root.
    pub fn new(worker: Rc<RefCell<Option<WorkerHandle>>>) -> Self {
        Link { worker }
    }
}

impl PartialEq for Link {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.worker, &other.worker)
    }
}

impl Link {
    /// Posts a request without files.
    pub fn send(&self, request: ToWorker) {
        if let Some(handle) = self.worker.borrow().as_ref() {
            handle.post(&request, &[]);
        }
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

/// A path that, when its cell is too narrow, keeps its start and its file name visible and
/// cuts the middle (CSS `.mid-path`): the full path is the tooltip, and copying any part of it
/// copies all of it (the two parts are separate boxes, which the browser would otherwise join
/// with a line break).
pub fn path_text(path: &str) -> Html {
    // `/` is ASCII, so both slices fall on character boundaries.
    let (dir, name) = path
        .rfind('/')
        .map_or(("", path), |i| (&path[..=i], &path[i + 1..]));
    let full = path.to_owned();
    let oncopy = Callback::from(move |e: Event| copy_whole(&e, &full));
    html! {
        <span class="mid-path" title={path.to_owned()} {oncopy}>
            if !dir.is_empty() {
                <span class="mid-dir">{ dir }</span>
            }
            <span class="mid-name">{ name }</span>
        </span>
    }
}

/// Puts `full` on the clipboard when the selection lies inside the element handling `e`.
fn copy_whole(e: &Event, full: &str) {
    let Some(el) = e
        .current_target()
        .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
    else {
        return;
    };
    let Some(selection) = web_sys::window().and_then(|w| w.get_selection().ok().flatten()) else {
        return;
    };
    let inside = selection.range_count() == 1
        && selection
            .get_range_at(0)
            .ok()
            .and_then(|r| r.common_ancestor_container().ok())
            .is_some_and(|n| el.contains(Some(&n)));
    if !inside {
        return;
    }
    if let Some(data) = e
        .dyn_ref::<web_sys::ClipboardEvent>()
        .and_then(|c| c.clipboard_data())
    {
        if data.set_data("text/plain", full).is_ok() {
            e.prevent_default();
        }
    }
}
