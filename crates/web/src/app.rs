//! The Yew front end: one reducer for the page, small function components for the views.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::files::Picked;
use crate::page::{InputRow, Link, Outcome, Tab, WorkerHandle};
use crate::protocol::{FromWorker, LoadSummary, Phase, ToWorker};
use crate::views;
use crate::views::timeline::{TimelineAction, TimelineState};
use crate::workpaper::{self, Edit, InputHash, Workpaper};

/// Everything the page shows.
#[derive(Clone, PartialEq)]
pub struct State {
    /// The current (or last) job.
    pub job: u32,
    /// The inputs of the job, shared: the reducer clones the state per message, and a load
    /// can have thousands of inputs (`Rc::make_mut` copies them only when a hash arrives).
    pub inputs: Rc<Vec<InputRow>>,
    /// Load progress.
    pub phase: Phase,
    /// Bytes done.
    pub done: u64,
    /// Bytes in all inputs.
    pub total: u64,
    /// Events loaded so far.
    pub events: u64,
    /// Milliseconds since the job started, as the worker last said (0: no rates to show).
    pub ms: f64,
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
    /// Whether the analysis after a load is still running (the summary is already shown).
    pub analyzing: bool,
    /// The auditor's workpaper for these inputs, once every input is hashed and the browser's
    /// storage answered.
    pub workpaper: Option<Rc<Workpaper>>,
    /// What happened to the workpaper last (import, refusal, storage), for people.
    pub workpaper_status: Option<String>,
}

impl State {
    /// Every input with its SHA-256, once all are hashed (a workpaper needs them all).
    pub fn input_hashes(&self) -> Option<Vec<InputHash>> {
        self.inputs
            .iter()
            .map(|r| match &r.outcome {
                Outcome::Hashed(sha256) => Some(InputHash {
                    path: r.path.clone(),
                    sha256: sha256.clone(),
                }),
                _ => None,
            })
            .collect()
    }
}

impl Default for State {
    fn default() -> Self {
        State {
            job: 0,
            inputs: Rc::default(),
            phase: Phase::Read,
            done: 0,
            total: 0,
            events: 0,
            ms: 0.0,
            file: String::new(),
            running: false,
            summary: None,
            tab: Tab::Verification,
            error: None,
            timeline: TimelineState::default(),
            tab_chosen: false,
            analyzing: false,
            workpaper: None,
            workpaper_status: None,
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
    /// The workpaper for the loaded inputs, from the browser's storage or new.
    WorkpaperOpened(Workpaper, Option<String>),
    /// The auditor changed the workpaper.
    Workpaper(Edit),
    /// A workpaper file's text, to import onto the open one.
    WorkpaperImport(String),
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Start(inputs) => {
                next.job += 1;
                // The worker tells the total with its first progress.
                next.total = 0;
                next.done = 0;
                next.events = 0;
                next.ms = 0.0;
                next.phase = Phase::Read;
                next.inputs = Rc::new(inputs);
                next.running = true;
                next.error = None;
                next.summary = None;
                next.timeline = TimelineState::default();
                next.tab_chosen = false;
                next.analyzing = false;
                next.workpaper = None;
                next.workpaper_status = None;
            }
            Action::WorkpaperOpened(w, status) => {
                // Only for the inputs loaded now (a slow storage answer may be stale).
                if self
                    .input_hashes()
                    .is_some_and(|i| workpaper::storage_key(&i) == w.key())
                {
                    next.workpaper = Some(Rc::new(w));
                    next.workpaper_status = status;
                }
            }
            Action::Workpaper(edit) => {
                if let Some(w) = &self.workpaper {
                    let mut w = (**w).clone();
                    w.apply(edit);
                    next.workpaper = Some(Rc::new(w));
                }
            }
            Action::WorkpaperImport(text) => {
                let (Some(current), Some(inputs)) = (&self.workpaper, self.input_hashes()) else {
                    return self;
                };
                match workpaper::import(&text, &inputs) {
                    Ok(theirs) => {
                        let mut w = (**current).clone();
                        let n = theirs.marks.len();
                        w.merge(theirs);
                        next.workpaper = Some(Rc::new(w));
                        next.workpaper_status = Some(format!(
                            "Imported the workpaper ({n} marked events) and merged it with this browser's."
                        ));
                    }
                    Err(e) => next.workpaper_status = Some(format!("Import refused: {e}.")),
                }
            }
            Action::Worker(FromWorker::Marked { unresolved }) => {
                if unresolved > 0 {
                    next.workpaper_status = Some(format!(
                        "{unresolved} marked events are not among the loaded events."
                    ));
                } else {
                    return self;
                }
            }
            Action::Cancel => {
                next.running = false;
                next.analyzing = false;
                for row in Rc::make_mut(&mut next.inputs) {
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
                    next.analyzing = false;
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
                    events,
                    ms,
                    file,
                    ..
                } => {
                    next.phase = phase;
                    next.done = done;
                    next.total = total;
                    next.events = events;
                    next.ms = ms;
                    next.file = file;
                }
                FromWorker::Hashed {
                    index,
                    size,
                    sha256,
                    ..
                } => {
                    if let Some(row) = Rc::make_mut(&mut next.inputs).get_mut(index) {
                        row.size = Some(size);
                        row.outcome = Outcome::Hashed(sha256);
                    }
                }
                FromWorker::Failed { index, message, .. } => {
                    if let Some(row) = Rc::make_mut(&mut next.inputs).get_mut(index) {
                        row.outcome = Outcome::Failed(message);
                    }
                }
                FromWorker::Hashes { hashed, failed, .. } => {
                    let rows = Rc::make_mut(&mut next.inputs);
                    for (index, size, sha256) in hashed {
                        if let Some(row) = rows.get_mut(index) {
                            row.size = Some(size);
                            row.outcome = Outcome::Hashed(sha256);
                        }
                    }
                    for (index, message) in failed {
                        if let Some(row) = rows.get_mut(index) {
                            row.outcome = Outcome::Failed(message);
                        }
                    }
                }
                FromWorker::Timings { phases, memory, .. } => {
                    // For benches (tests/e2e/bench_*.rs read the console).
                    let text = phases
                        .iter()
                        .map(|(name, ms)| format!("{name}: {ms:.1} ms"))
                        .chain(
                            memory
                                .iter()
                                .map(|(at, mib)| format!("memory, {at}: {mib:.1} MiB")),
                        )
                        .collect::<Vec<_>>()
                        .join("; ");
                    web_sys::console::debug_1(&format!("trailproof timings: {text}").into());
                    return self;
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
                    // The worker analyses next and sends `Analyzed`, then `Done`.
                    next.analyzing = true;
                }
                FromWorker::Done { .. } => {
                    next.running = false;
                    next.analyzing = false;
                    next.done = next.total;
                }
                _ => {}
            },
        }
        Rc::new(next)
    }
}

/// The application root.
#[function_component]
pub fn App() -> Html {
    let state = use_reducer(State::default);
    let worker: Rc<RefCell<Option<WorkerHandle>>> = use_mut_ref(|| None);
    let link = Link::new(worker.clone());

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
                    size: None,
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
            let dispatch = state.dispatcher();
            let on_reply = Callback::from(move |msg| dispatch.dispatch(Action::Worker(msg)));
            match WorkerHandle::spawn(on_reply) {
                Ok(handle) => {
                    handle.load(job, picked);
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
    // When a load finishes with every input hashed, open its workpaper from the browser's
    // storage (or start one).
    {
        let dispatch = state.dispatcher();
        let inputs = state.summary.as_ref().and_then(|_| state.input_hashes());
        use_effect_with(inputs, move |inputs| {
            if let Some(inputs) = inputs.clone() {
                wasm_bindgen_futures::spawn_local(async move {
                    let fresh = Workpaper::new(inputs);
                    let (w, status) = match crate::idb::get(&fresh.key()).await {
                        Ok(Some(text)) => match Workpaper::from_json(&text) {
                            Ok(w) => (w, None),
                            Err(e) => (fresh, Some(format!("The stored workpaper was unreadable ({e}); a new one was started."))),
                        },
                        Ok(None) => (fresh, None),
                        Err(_) => (fresh, Some("This browser's storage is unavailable: the workpaper lasts only while the page is open (export it to keep it).".to_owned())),
                    };
                    dispatch.dispatch(Action::WorkpaperOpened(w, status));
                });
            }
        });
    }
    // Every change reaches the worker (the one source of selection: `tag:`, `flagged:`, the
    // report's observations) and the browser's storage; the timeline asks again so its Tags
    // column and facet follow.
    {
        let (link, on_timeline) = (link.clone(), on_timeline.clone());
        let settings = state.timeline.settings.clone();
        let queried = state.timeline.view.is_some();
        use_effect_with(state.workpaper.clone(), move |w| {
            if let Some(w) = w.clone() {
                link.send(ToWorker::Workpaper {
                    note: w.note.clone(),
                    marks: w.marks.clone(),
                });
                if queried {
                    views::timeline::run_query(&link, &on_timeline, settings);
                }
                wasm_bindgen_futures::spawn_local(async move {
                    if let Err(e) = crate::idb::put(&w.key(), &w.to_json()).await {
                        web_sys::console::error_1(&e);
                    }
                });
            }
        });
    }
    let on_edit = {
        let state = state.clone();
        Callback::from(move |e: Edit| state.dispatch(Action::Workpaper(e)))
    };
    let on_mark = on_edit.reform(Edit::Mark);
    let on_import = {
        let state = state.clone();
        Callback::from(move |text: String| state.dispatch(Action::WorkpaperImport(text)))
    };
    let on_open_search = {
        let (state, link, on_timeline) = (state.clone(), link.clone(), on_timeline.clone());
        Callback::from(move |s: workpaper::SavedSearch| {
            state.dispatch(Action::Tab(Tab::Timeline));
            let settings = views::timeline::Settings {
                query: s.query,
                range: s.range,
                ..state.timeline.settings.clone()
            };
            views::timeline::run_query(&link, &on_timeline, settings);
        })
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
                    events={state.events} ms={state.ms} file={state.file.clone()} running={state.running} on_cancel={on_cancel} />
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
                                    link={link.clone()} on_action={on_timeline.clone()}
                                    workpaper={state.workpaper.clone()} on_mark={Some(on_mark.clone())} />
                            },
                            None => html! { <p class="muted">{ "The timeline appears when loading finishes." }</p> },
                        },
                        Tab::Compliance | Tab::Findings if state.analyzing => html! {
                            <p class="muted">{ "Checking compliance and findings: results appear in a moment." }</p>
                        },
                        Tab::Compliance => match &state.summary {
                            Some(s) => html! { <views::compliance::ComplianceView summary={s.clone()} link={link.clone()} /> },
                            None => html! { <p class="muted">{ "Compliance results appear when loading finishes." }</p> },
                        },
                        Tab::Findings => match &state.summary {
                            Some(s) => html! { <views::findings::FindingsView summary={s.clone()} on_evidence={on_evidence.clone()} link={link.clone()} /> },
                            None => html! { <p class="muted">{ "Findings appear when loading finishes." }</p> },
                        },
                        Tab::Workpaper => html! {
                            <views::workpaper::WorkpaperView workpaper={state.workpaper.clone()}
                                status={state.workpaper_status.clone()}
                                current={(state.timeline.settings.query.clone(), state.timeline.settings.range)}
                                on_edit={on_edit.clone()} on_open={on_open_search.clone()} on_import={on_import.clone()} />
                        },
                        Tab::Inputs => html! { <views::inputs::InputsView rows={(*state.inputs).clone()}
                            files={state.summary.as_ref().map(|s| s.files.clone()).unwrap_or_default()} /> },
                    }}
                    </section>
                }
            </main>
            <views::footer::Footer />
        </>
    }
}
