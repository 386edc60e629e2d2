//! The Yew front end: one reducer for the page, small function components for the views.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, MessageEvent, Worker};
use yew::prelude::*;

use crate::files::Picked;
use crate::protocol::{ExportFormat, FromWorker, LoadSummary, Phase, ToWorker};
use crate::views::timeline::{TimelineAction, TimelineState};
use crate::views::{self, Tab};

/// One input file as the Inputs view lists it.
#[derive(Clone, PartialEq)]
pub struct InputRow {
    /// Display path.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
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

/// Everything the page shows.
#[derive(Clone, PartialEq)]
pub struct State {
    /// The current (or last) job.
    pub job: u32,
    /// The inputs of the job.
    pub inputs: Vec<InputRow>,
    /// Load progress.
    pub phase: Phase,
    /// Bytes done.
    pub done: u64,
    /// Bytes in all inputs.
    pub total: u64,
    /// File being read.
    pub file: String,
    /// Whether the worker is busy with the job.
    pub running: bool,
    /// What the load found.
    pub summary: Option<Rc<LoadSummary>>,
    /// Selected tab.
    pub tab: Tab,
    /// A problem to show.
    pub error: Option<String>,
    /// The timeline view.
    pub timeline: TimelineState,
    /// Whether the user picked a tab during the current load (it then stays).
    pub tab_chosen: bool,
}

impl Default for State {
    fn default() -> Self {
        State {
            job: 0,
            inputs: Vec::new(),
            phase: Phase::Read,
            done: 0,
            total: 0,
            file: String::new(),
            running: false,
            summary: None,
            tab: Tab::Verification,
            error: None,
            timeline: TimelineState::default(),
            tab_chosen: false,
        }
    }
}

/// What can happen to [`State`].
pub enum Action {
    /// A new job over these inputs.
    Start(Vec<InputRow>),
    /// A message from the worker.
    Worker(FromWorker),
    /// The user cancelled the running job.
    Cancel,
    /// Switch tabs.
    Tab(Tab),
    /// Something for the timeline.
    Timeline(TimelineAction),
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Start(inputs) => {
                next.job += 1;
                next.total = inputs.iter().map(|r| r.size).sum();
                next.done = 0;
                next.phase = Phase::Read;
                next.inputs = inputs;
                next.running = true;
                next.error = None;
                next.summary = None;
                next.timeline = TimelineState::default();
                next.tab_chosen = false;
            }
            Action::Cancel => {
                next.running = false;
                for row in &mut next.inputs {
                    if row.outcome == Outcome::Pending {
                        row.outcome = Outcome::Cancelled;
                    }
                }
            }
            Action::Tab(tab) => {
                next.tab = tab;
                next.tab_chosen = true;
            }
            Action::Timeline(a) => next.timeline.apply(a),
            Action::Worker(FromWorker::Analyzed { result, .. }) => match result {
                Ok(view) => {
                    if let Some(summary) = &next.summary {
                        let mut summary = (**summary).clone();
                        summary.analysis = *view;
                        next.summary = Some(Rc::new(summary));
                    }
                    next.error = None;
                }
                Err(message) => {
                    next.error = Some(format!("The analysis settings were not applied: {message}"))
                }
            },
            Action::Worker(FromWorker::Refused { message }) => next.error = Some(message),
            Action::Worker(FromWorker::Fatal { message }) => {
                next.running = false;
                next.error = Some(format!("The background worker stopped: {message}"));
            }
            Action::Worker(
                msg @ (FromWorker::Selected { .. }
                | FromWorker::Rows { .. }
                | FromWorker::Detail { .. }
                | FromWorker::Suggested { .. }
                | FromWorker::Exported { .. }),
            ) => {
                next.timeline.on_reply(msg);
            }
            // Replies of an earlier (cancelled) job are stale.
            Action::Worker(msg) if msg.job() != Some(self.job) || !self.running => return self,
            Action::Worker(msg) => match msg {
                FromWorker::Progress {
                    phase,
                    done,
                    total,
                    file,
                    ..
                } => {
                    next.phase = phase;
                    next.done = done;
                    next.total = total;
                    next.file = file;
                }
                FromWorker::Hashed {
                    index,
                    size,
                    sha256,
                    ..
                } => {
                    if let Some(row) = next.inputs.get_mut(index) {
                        row.size = size;
                        row.outcome = Outcome::Hashed(sha256);
                    }
                }
                FromWorker::Failed { index, message, .. } => {
                    if let Some(row) = next.inputs.get_mut(index) {
                        row.outcome = Outcome::Failed(message);
                    }
                }
                FromWorker::Loaded { summary, .. } => {
                    // Lead with what matters: verification when there was something to verify.
                    // A shared link or a reload names its tab in the URL hash.
                    next.tab = if self.tab_chosen {
                        self.tab
                    } else if let Some(tab) = views::timeline::url::tab() {
                        tab
                    } else if summary.report.items.is_empty() && summary.events > 0 {
                        Tab::Timeline
                    } else {
                        Tab::Verification
                    };
                    next.summary = Some(Rc::from(summary));
                }
                FromWorker::Done { .. } => {
                    next.running = false;
                    next.done = next.total;
                }
                _ => {}
            },
        }
        Rc::new(next)
    }
}

/// The worker and the handler that keeps its replies flowing into the reducer.
pub struct WorkerHandle {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl WorkerHandle {
    fn spawn(dispatch: UseReducerDispatcher<State>) -> Result<Self, JsValue> {
        // A classic script: Trunk builds worker bins for `importScripts`-style loading.
        let worker = Worker::new("./worker_loader.js")?;
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
                download(&blob, *format);
            }
            dispatch.dispatch(Action::Worker(msg));
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Ok(Self {
            worker,
            _on_message: on_message,
        })
    }

    fn post(&self, request: &ToWorker, files: &[Picked]) {
        let Ok(json) = serde_json::to_string(request) else {
            return;
        };
        let list: Array = files
            .iter()
            .map(|p| JsValue::from(p.file.clone()))
            .collect();
        if let Err(e) = self
            .worker
            .post_message(&Array::of2(&JsValue::from_str(&json), &list))
        {
            web_sys::console::error_1(&e);
        }
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

/// Saves `blob` through a temporary object URL and a synthetic link click: the data never
/// leaves the browser.
fn download(blob: &Blob, format: ExportFormat) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(blob) else {
        return;
    };
    if let Ok(a) = document.create_element("a") {
        let name = format.file_name();
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

/// The application root.
#[function_component]
pub fn App() -> Html {
    let state = use_reducer(State::default);
    let worker: Rc<RefCell<Option<WorkerHandle>>> = use_mut_ref(|| None);
    let link = Link {
        worker: worker.clone(),
    };

    let on_files = {
        let state = state.clone();
        let worker = worker.clone();
        Callback::from(move |picked: Vec<Picked>| {
            if picked.is_empty() {
                return;
            }
            let rows: Vec<InputRow> = picked
                .iter()
                .map(|p| InputRow {
                    path: p.path.clone(),
                    size: p.file.size() as u64,
                    outcome: Outcome::Pending,
                })
                .collect();
            let job = state.job + 1;
            // The URL's view belongs to the load the page was opened for; later loads start
            // with a clean search (the reducer resets the timeline state with `Start`).
            if state.job > 0 {
                views::timeline::url::clear_search();
            }
            state.dispatch(Action::Start(rows));
            // A fresh worker per load: the previous one's memory is released with it.
            worker.borrow_mut().take();
            match WorkerHandle::spawn(state.dispatcher()) {
                Ok(handle) => {
                    handle.post(
                        &ToWorker::Load {
                            job,
                            paths: picked.iter().map(|p| p.path.clone()).collect(),
                        },
                        &picked,
                    );
                    *worker.borrow_mut() = Some(handle);
                }
                Err(e) => web_sys::console::error_1(&e),
            }
        })
    };

    let on_cancel = {
        let state = state.clone();
        let worker = worker.clone();
        Callback::from(move |_| {
            // Terminating is the only way to stop a busy worker at once.
            worker.borrow_mut().take();
            state.dispatch(Action::Cancel);
        })
    };

    let on_tab = {
        let state = state.clone();
        Callback::from(move |tab: Tab| state.dispatch(Action::Tab(tab)))
    };
    // The selected tab lives in the URL hash (once something is loaded; the data never does).
    use_effect_with((state.tab, state.summary.is_some()), |&(tab, loaded)| {
        if loaded {
            views::timeline::url::set_tab(tab);
        }
    });
    // When a load finishes, focus moves to the summary (the verdict and what it covers), so
    // keyboard and screen-reader users land on the result instead of the button they pressed.
    use_effect_with(state.summary.is_some(), |&loaded| {
        if loaded {
            if let Some(el) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id("summary"))
                .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = el.focus();
            }
        }
    });
    let on_timeline = {
        let state = state.clone();
        Callback::from(move |a: TimelineAction| state.dispatch(Action::Timeline(a)))
    };
    let on_evidence = {
        let (state, link, on_timeline) = (state.clone(), link.clone(), on_timeline.clone());
        Callback::from(move |ids: Vec<String>| {
            // Event IDs select exactly the evidence; quotes cannot occur in a quoted value.
            let query = ids
                .iter()
                .filter(|id| !id.contains('"'))
                .take(100)
                .map(|id| format!("event_id:\"{id}\""))
                .collect::<Vec<_>>()
                .join(" OR ");
            state.dispatch(Action::Tab(Tab::Timeline));
            let settings = views::timeline::Settings {
                query,
                range: None,
                ..state.timeline.settings.clone()
            };
            views::timeline::run_query(&link, &on_timeline, settings);
        })
    };

    html! {
        <>
            <header class="top">
                <h1>{ "Trailproof" }</h1>
                <p class="tagline">{ "Verify and explore cloud audit trails. Everything stays in this browser tab: no byte is sent anywhere." }</p>
            </header>
            <main>
                <views::landing::DropZone on_files={on_files.clone()} compact={state.summary.is_some()} />
                if let Some(error) = &state.error {
                    <p class="error" role="alert">{ error }</p>
                }
                <views::landing::ProgressBar phase={state.phase} done={state.done} total={state.total}
                    file={state.file.clone()} running={state.running} on_cancel={on_cancel} />
                if let Some(summary) = &state.summary {
                    <views::summary::SummaryHeader summary={summary.clone()} />
                    <views::missing::MissingView summary={summary.clone()} />
                }
                if !state.inputs.is_empty() {
                    <views::Tabs current={state.tab} on_select={on_tab} has_summary={state.summary.is_some()} />
                    <section id="tabpanel" role="tabpanel" aria-labelledby={format!("tab-{}", state.tab.label().1)}>
                    { match state.tab {
                        Tab::Verification => match &state.summary {
                            Some(s) => html! { <views::verification::VerificationView summary={s.clone()} /> },
                            None => html! { <p class="muted">{ "Verification results appear when loading finishes." }</p> },
                        },
                        Tab::Timeline => match &state.summary {
                            Some(s) => html! {
                                <views::timeline::TimelineView summary={s.clone()} state={state.timeline.clone()}
                                    link={link.clone()} on_action={on_timeline.clone()} />
                            },
                            None => html! { <p class="muted">{ "The timeline appears when loading finishes." }</p> },
                        },
                        Tab::Compliance => match &state.summary {
                            Some(s) => html! { <views::compliance::ComplianceView summary={s.clone()} link={link.clone()} /> },
                            None => html! { <p class="muted">{ "Compliance results appear when loading finishes." }</p> },
                        },
                        Tab::Findings => match &state.summary {
                            Some(s) => html! { <views::findings::FindingsView summary={s.clone()} on_evidence={on_evidence.clone()} link={link.clone()} /> },
                            None => html! { <p class="muted">{ "Findings appear when loading finishes." }</p> },
                        },
                        Tab::Inputs => html! { <views::inputs::InputsView rows={state.inputs.clone()}
                            files={state.summary.as_ref().map(|s| s.files.clone()).unwrap_or_default()} /> },
                    }}
                    </section>
                }
            </main>
            <views::footer::Footer />
        </>
    }
}
