//! The Yew front end: reducer state and small function components.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DragEvent, HtmlInputElement, MessageEvent, Worker};
use yew::prelude::*;

use crate::files::{self, Picked};
use crate::protocol::{FromWorker, ToWorker};

/// One row of the file table.
#[derive(Clone, PartialEq)]
pub struct Row {
    path: String,
    size: u64,
    outcome: Outcome,
}

#[derive(Clone, PartialEq)]
enum Outcome {
    Pending,
    Hashed(String),
    Failed(String),
    Cancelled,
}

/// Everything the page shows.
#[derive(Clone, PartialEq, Default)]
pub struct State {
    job: u32,
    rows: Vec<Row>,
    done: u64,
    total: u64,
    running: bool,
    error: Option<String>,
}

/// What can happen to [`State`].
pub enum Action {
    /// A new job over these files.
    Start(Vec<Row>),
    /// A message from the worker.
    Worker(FromWorker),
    /// The user cancelled the running job.
    Cancel,
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Start(rows) => {
                next.job += 1;
                next.total = rows.iter().map(|r| r.size).sum();
                next.done = 0;
                next.rows = rows;
                next.running = true;
                next.error = None;
            }
            Action::Cancel => {
                next.running = false;
                for row in &mut next.rows {
                    if row.outcome == Outcome::Pending {
                        row.outcome = Outcome::Cancelled;
                    }
                }
            }
            Action::Worker(FromWorker::Fatal { message }) => {
                next.running = false;
                next.error = Some(format!("The background worker could not start: {message}"));
            }
            // Replies of an earlier (cancelled) job are stale.
            Action::Worker(msg) if msg.job() != Some(self.job) || !self.running => return self,
            Action::Worker(msg) => match msg {
                FromWorker::Progress { done, total, .. } => {
                    next.done = done;
                    next.total = total;
                }
                FromWorker::Hashed {
                    index,
                    size,
                    sha256,
                    ..
                } => {
                    if let Some(row) = next.rows.get_mut(index) {
                        row.size = size;
                        row.outcome = Outcome::Hashed(sha256);
                    }
                }
                FromWorker::Failed { index, message, .. } => {
                    if let Some(row) = next.rows.get_mut(index) {
                        row.outcome = Outcome::Failed(message);
                    }
                }
                FromWorker::Done { .. } => {
                    next.running = false;
                    next.done = next.total;
                }
                FromWorker::Fatal { .. } => {}
            },
        }
        Rc::new(next)
    }
}

/// The worker and the handler that keeps its replies flowing into the reducer.
struct WorkerHandle {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl WorkerHandle {
    fn spawn(dispatch: UseReducerDispatcher<State>) -> Result<Self, JsValue> {
        // A classic script: Trunk builds worker bins for `importScripts`-style loading.
        let worker = Worker::new("./worker_loader.js")?;
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Some(msg) = event
                .data()
                .as_string()
                .and_then(|s| serde_json::from_str(&s).ok())
            {
                dispatch.dispatch(Action::Worker(msg));
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Ok(Self {
            worker,
            _on_message: on_message,
        })
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

/// The application root.
#[function_component]
pub fn App() -> Html {
    let state = use_reducer(State::default);
    let worker: Rc<RefCell<Option<WorkerHandle>>> = use_mut_ref(|| None);

    let on_files = {
        let state = state.clone();
        let worker = worker.clone();
        Callback::from(move |picked: Vec<Picked>| {
            if picked.is_empty() {
                return;
            }
            let rows: Vec<Row> = picked
                .iter()
                .map(|p| Row {
                    path: p.path.clone(),
                    size: p.file.size() as u64,
                    outcome: Outcome::Pending,
                })
                .collect();
            let job = state.job + 1;
            state.dispatch(Action::Start(rows));
            let mut slot = worker.borrow_mut();
            if slot.is_none() {
                match WorkerHandle::spawn(state.dispatcher()) {
                    Ok(handle) => *slot = Some(handle),
                    Err(e) => {
                        web_sys::console::error_1(&e);
                        return;
                    }
                }
            }
            let Some(handle) = slot.as_ref() else { return };
            let request = ToWorker::Hash {
                job,
                paths: picked.iter().map(|p| p.path.clone()).collect(),
            };
            let Ok(json) = serde_json::to_string(&request) else {
                return;
            };
            let files: Array = picked
                .iter()
                .map(|p| JsValue::from(p.file.clone()))
                .collect();
            let message = Array::of2(&JsValue::from_str(&json), &files);
            if let Err(e) = handle.worker.post_message(&message) {
                web_sys::console::error_1(&e);
            }
        })
    };

    let on_cancel = {
        let state = state.clone();
        let worker = worker.clone();
        Callback::from(move |_| {
            // Terminating is the only way to stop a busy worker at once; a fresh one is spawned
            // for the next job.
            worker.borrow_mut().take();
            state.dispatch(Action::Cancel);
        })
    };

    html! {
        <>
            <header class="top">
                <h1>{ "Trailproof" }</h1>
                <p class="tagline">{ "Verify and explore cloud audit trails. Everything stays in this browser tab: no byte is sent anywhere." }</p>
            </header>
            <main>
                <DropZone on_files={on_files} />
                if let Some(error) = &state.error {
                    <p class="error" role="alert">{ error }</p>
                }
                <ProgressBar done={state.done} total={state.total} running={state.running} on_cancel={on_cancel} />
                <FileTable rows={state.rows.clone()} />
            </main>
        </>
    }
}

#[derive(Properties, PartialEq)]
struct DropZoneProps {
    on_files: Callback<Vec<Picked>>,
}

#[function_component]
fn DropZone(props: &DropZoneProps) -> Html {
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

    let class = classes!("dropzone", over.then_some("over"));
    html! {
        <section id="dropzone" class={class} ondragover={on_dragover} ondragleave={on_dragleave} ondrop={on_drop}
            aria-label="Drop files or folders here">
            <p class="drop-title">{ "Drop audit-trail exports, digests and keys here" }</p>
            <p class="drop-hint">{ "Files, folders, .zip, .tar.gz — or choose them:" }</p>
            <div class="pickers">
                <label class="button">
                    { "Choose files" }
                    <input id="pick-files" type="file" multiple=true onchange={on_pick.clone()} />
                </label>
                <label class="button">
                    { "Choose a folder" }
                    <input id="pick-folder" type="file" multiple=true webkitdirectory=true onchange={on_pick} />
                </label>
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct ProgressProps {
    done: u64,
    total: u64,
    running: bool,
    on_cancel: Callback<MouseEvent>,
}

#[function_component]
fn ProgressBar(props: &ProgressProps) -> Html {
    if props.total == 0 && !props.running {
        return html! {};
    }
    let percent = if props.total == 0 {
        100.0
    } else {
        props.done as f64 * 100.0 / props.total as f64
    };
    html! {
        <section class="progress" aria-live="polite">
            <progress id="progress" max="100" value={format!("{percent:.1}")} aria-label="Hashing progress" />
            <span class="progress-text">{ format!("{} of {} ({percent:.0} %)", human_bytes(props.done), human_bytes(props.total)) }</span>
            if props.running {
                <button id="cancel" class="button" onclick={props.on_cancel.clone()}>{ "Cancel" }</button>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct FileTableProps {
    rows: Vec<Row>,
}

#[function_component]
fn FileTable(props: &FileTableProps) -> Html {
    if props.rows.is_empty() {
        return html! {};
    }
    html! {
        <table id="files" class="files">
            <thead><tr><th scope="col">{ "File" }</th><th scope="col" class="num">{ "Size" }</th><th scope="col">{ "SHA-256" }</th></tr></thead>
            <tbody>
                { for props.rows.iter().map(|row| html! {
                    <tr>
                        <td class="path">{ &row.path }</td>
                        <td class="num">{ human_bytes(row.size) }</td>
                        { match &row.outcome {
                            Outcome::Pending => html! { <td class="muted">{ "…" }</td> },
                            Outcome::Hashed(h) => html! { <td class="hash"><code>{ h }</code></td> },
                            Outcome::Failed(m) => html! { <td class="error">{ format!("unreadable: {m}") }</td> },
                            Outcome::Cancelled => html! { <td class="muted">{ "cancelled" }</td> },
                        }}
                    </tr>
                }) }
            </tbody>
        </table>
    }
}

/// Bytes for people: binary units, three significant digits.
fn human_bytes(n: u64) -> String {
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
