//! The Timeline tab: search with completion, histogram with range selection, facets, a
//! virtualized event table over the whole selection, and one event in detail.
//!
//! The events live in the worker; this view sends `Query`, `Rows`, `Detail`, `Suggest` and
//! `Export` requests and keeps only windows of rows near the screen. Every request carries a
//! sequence number from one counter, so replies to superseded requests are dropped: the worker
//! answers in order, so a `Rows` reply belongs to the current selection exactly when its
//! request was sent after the current `Query`.
//!
//! Event fields are untrusted: they only ever become text nodes or attribute values.

mod detail;
mod facets;
mod histogram;
mod search;
mod table;
pub mod tz;
pub mod url;

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlInputElement, KeyboardEvent};
use yew::prelude::*;

use crate::page::Link;
use crate::page::{count, integrity_classes};
use crate::protocol::{
    DetailView, ExportFormat, FromWorker, LoadSummary, QueryError, QueryView, RowView, ToWorker,
};
use crate::workpaper::{Mark, Workpaper};

/// Rows per `Rows` request; windows are aligned to multiples of this.
pub const WINDOW: u32 = 100;
/// Windows kept in memory.
const CACHE_WINDOWS: usize = 16;

thread_local! {
    static SEQ: Cell<u32> = const { Cell::new(0) };
}

/// The next request sequence number (one counter for every timeline request).
pub fn next_seq() -> u32 {
    SEQ.with(|s| {
        let n = s.get().wrapping_add(1);
        s.set(n);
        n
    })
}

/// A table column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Col {
    /// Event time (always shown).
    Time,
    /// Provider.
    Provider,
    /// Account.
    Account,
    /// Region.
    Region,
    /// Service.
    Service,
    /// Action.
    Action,
    /// Actor.
    Actor,
    /// Source IP.
    Ip,
    /// Read or write.
    Rw,
    /// The workpaper's flag (★) and tags.
    Tags,
    /// Integrity state of the event's record. Before [`Col::Error`], which stays last.
    Integrity,
    /// Error code.
    Error,
}

impl Col {
    /// Every column, in display order.
    pub const ALL: [Col; 12] = [
        Col::Time,
        Col::Provider,
        Col::Account,
        Col::Region,
        Col::Service,
        Col::Action,
        Col::Actor,
        Col::Ip,
        Col::Rw,
        Col::Tags,
        Col::Integrity,
        Col::Error,
    ];

    /// Stable id (URL, element ids).
    pub fn id(self) -> &'static str {
        match self {
            Col::Time => "time",
            Col::Tags => "tags",
            Col::Provider => "provider",
            Col::Account => "account",
            Col::Region => "region",
            Col::Service => "service",
            Col::Action => "action",
            Col::Actor => "actor",
            Col::Ip => "ip",
            Col::Rw => "rw",
            Col::Integrity => "integrity",
            Col::Error => "error",
        }
    }

    /// Header text.
    pub fn label(self) -> &'static str {
        match self {
            Col::Time => "Time",
            // The ★ in the cells says "flagged"; a short header keeps the column narrow.
            Col::Tags => "Tags",
            Col::Provider => "Provider",
            Col::Account => "Account",
            Col::Region => "Region",
            Col::Service => "Service",
            Col::Action => "Action",
            Col::Actor => "Actor",
            Col::Ip => "Source IP",
            Col::Rw => "R/W",
            Col::Integrity => "Integrity",
            Col::Error => "Error",
        }
    }

    /// Narrowest width in rem, and share of the remaining width (0: fixed).
    fn size(self) -> (f64, f64) {
        match self {
            Col::Time => (12.5, 0.0),
            Col::Tags => (5.0, 0.5),
            Col::Provider => (5.5, 0.0),
            Col::Account => (6.0, 0.7),
            Col::Region => (6.0, 0.7),
            Col::Service => (7.0, 0.9),
            Col::Action => (8.0, 1.3),
            Col::Actor => (7.0, 1.0),
            Col::Ip => (7.0, 0.8),
            Col::Rw => (3.5, 0.0),
            // Fits "unprotected", the longest state.
            Col::Integrity => (7.5, 0.0),
            Col::Error => (6.0, 0.8),
        }
    }

    /// CSS grid track.
    fn track(self) -> String {
        match self.size() {
            (min, share) if share > 0.0 => format!("minmax({min}rem, {share}fr)"),
            (min, _) => format!("{min}rem"),
        }
    }

    fn bit(self) -> u16 {
        1 << Col::ALL.iter().position(|&c| c == self).unwrap_or(0)
    }

    /// The classes of its cell for `row`: the integrity column adds the state's class.
    fn cell_classes(self, row: &RowView) -> Classes {
        let mut c = classes!("vt-cell", format!("c-{}", self.id()));
        if self == Col::Integrity {
            c.push(integrity_classes(&row.integrity));
        }
        c
    }

    /// The cell text of `row`.
    fn text(self, row: &RowView, zone: &str) -> String {
        match self {
            Col::Time => tz::format(row.time_ms, zone),
            Col::Tags => match (row.flagged, row.tags.is_empty()) {
                (true, true) => "\u{2605}".to_owned(),
                (true, false) => format!("\u{2605} {}", row.tags),
                (false, _) => row.tags.clone(),
            },
            Col::Provider => row.provider.clone(),
            Col::Account => row.account.clone(),
            Col::Region => row.region.clone(),
            Col::Service => row.service.clone(),
            Col::Action => row.action.clone(),
            Col::Actor => row.actor.clone(),
            Col::Ip => row.source_ip.clone(),
            Col::Rw => row.rw.clone(),
            Col::Integrity => row.integrity.clone(),
            Col::Error => row.error.clone(),
        }
    }
}

/// Columns shown by default (bits in [`Col::ALL`] order): all but account and R/W. The URL
/// names columns by id, so bit positions may move when columns are added.
pub const DEFAULT_COLUMNS: u16 = (1 << 0)
    | (1 << 1)
    | (1 << 3)
    | (1 << 4)
    | (1 << 5)
    | (1 << 6)
    | (1 << 7)
    | (1 << 9)
    | (1 << 10)
    | (1 << 11);

/// The columns of a mask, in order (time always first).
pub fn columns(mask: u16) -> Vec<Col> {
    Col::ALL
        .into_iter()
        .filter(|&c| c == Col::Time || mask & c.bit() != 0)
        .collect()
}

/// What the user chose: restored from and written to the URL hash.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Query text as last submitted.
    pub query: String,
    /// Time range `[start, end)`, epoch ms.
    pub range: Option<(i64, i64)>,
    /// Newest events first.
    pub newest_first: bool,
    /// IANA time zone for display.
    pub tz: String,
    /// Visible columns (bits in [`Col::ALL`] order).
    pub columns: u16,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            query: String::new(),
            range: None,
            newest_first: false,
            tz: tz::UTC.to_owned(),
            columns: DEFAULT_COLUMNS,
        }
    }
}

fn iso(ms: i64) -> Option<String> {
    jiff::Timestamp::from_millisecond(ms)
        .ok()
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

fn parse_iso(s: &str) -> Option<i64> {
    s.parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_millisecond())
}

impl Settings {
    /// From the URL hash; anything missing or invalid keeps its default.
    pub fn from_url() -> Settings {
        let mut s = Settings::default();
        for (k, v) in url::read() {
            match k.as_str() {
                "q" => s.query = v,
                "sort" => s.newest_first = v == "newest",
                "tz" if tz::is_valid(&v) => s.tz = v,
                "cols" => {
                    s.columns = v
                        .split(',')
                        .filter_map(|id| Col::ALL.into_iter().find(|c| c.id() == id))
                        .fold(Col::Time.bit(), |m, c| m | c.bit())
                }
                "range" => {
                    s.range = v.split_once('/').and_then(|(a, b)| {
                        let (a, b) = (parse_iso(a)?, parse_iso(b)?);
                        (a < b).then_some((a, b))
                    })
                }
                _ => {}
            }
        }
        s
    }

    /// Writes the settings into the URL hash (defaults are left out).
    pub fn to_url(&self) {
        let cols = (self.columns != DEFAULT_COLUMNS).then(|| {
            columns(self.columns)
                .iter()
                .map(|c| c.id())
                .collect::<Vec<_>>()
                .join(",")
        });
        url::set(&[
            ("q", (!self.query.is_empty()).then(|| self.query.clone())),
            (
                "range",
                self.range
                    .and_then(|(a, b)| Some(format!("{}/{}", iso(a)?, iso(b)?))),
            ),
            ("sort", self.newest_first.then(|| "newest".to_owned())),
            ("tz", (self.tz != tz::UTC).then(|| self.tz.clone())),
            ("cols", cols),
        ]);
    }
}

/// Windows of rows by window index, shared cheaply between renders.
#[derive(Clone, Debug, Default)]
pub struct Windows(pub Rc<HashMap<u32, Rc<Vec<RowView>>>>);

impl PartialEq for Windows {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Windows {
    /// The row at selection position `pos`, if loaded.
    pub fn row(&self, pos: u64) -> Option<&RowView> {
        let w = u32::try_from(pos / WINDOW as u64).ok()?;
        self.0.get(&w)?.get((pos % WINDOW as u64) as usize)
    }
}

/// What the timeline shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TimelineState {
    /// The settings of the latest query.
    pub settings: Settings,
    /// Sequence number of the latest `Query` (0: none yet).
    pub query_seq: u32,
    /// Whether the latest query's reply is pending.
    pub busy: bool,
    /// The latest selection.
    pub view: Option<Rc<QueryView>>,
    /// The rejected query text and why.
    pub error: Option<(String, QueryError)>,
    /// The query whose results are on screen (they stay, marked stale, after a rejected one).
    pub shown: String,
    /// Loaded rows of the selection.
    pub windows: Windows,
    /// Selected position in the selection.
    pub selected: Option<u64>,
    /// Sequence number of the latest `Detail`.
    pub detail_seq: u32,
    /// The event opened in detail.
    pub detail: Option<Rc<DetailView>>,
    /// Sequence number of the latest `Suggest`.
    pub suggest_seq: u32,
    /// Value suggestions for the search box.
    pub suggestions: Rc<Vec<(String, u64)>>,
    /// The last export: format and events written.
    pub exported: Option<(ExportFormat, u64)>,
}

/// Changes the view asks for (requests are sent by the components).
#[derive(Clone, Debug, PartialEq)]
pub enum TimelineAction {
    /// A query was sent.
    Queried {
        /// Sequence number.
        seq: u32,
        /// What was asked.
        settings: Settings,
    },
    /// Display-only settings changed (zone, columns).
    Display(Settings),
    /// A row position was selected (or the selection cleared).
    Select(Option<u64>),
    /// A detail was requested for a position.
    Opened {
        /// Sequence number.
        seq: u32,
        /// Position in the selection.
        pos: u64,
    },
    /// The detail pane was closed.
    Closed,
    /// Value suggestions were requested (or, with 0, dismissed).
    Suggesting {
        /// Sequence number.
        seq: u32,
    },
}

impl TimelineState {
    /// Applies an action.
    pub fn apply(&mut self, action: TimelineAction) {
        match action {
            TimelineAction::Queried { seq, settings } => {
                self.query_seq = seq;
                self.settings = settings;
                self.busy = true;
                self.exported = None;
            }
            TimelineAction::Display(settings) => self.settings = settings,
            TimelineAction::Select(pos) => self.selected = pos,
            TimelineAction::Opened { seq, pos } => {
                self.detail_seq = seq;
                self.selected = Some(pos);
            }
            TimelineAction::Closed => {
                self.detail = None;
                self.detail_seq = 0;
            }
            TimelineAction::Suggesting { seq } => {
                self.suggest_seq = seq;
                self.suggestions = Rc::default();
            }
        }
    }

    /// Takes a worker reply; stale ones are ignored.
    pub fn on_reply(&mut self, msg: FromWorker) {
        match msg {
            FromWorker::Selected { seq, result } if seq == self.query_seq => {
                self.busy = false;
                match result {
                    Ok(view) => {
                        self.view = Some(Rc::new(view));
                        self.error = None;
                        self.shown = self.settings.query.clone();
                        self.windows = Windows::default();
                        self.selected = None;
                    }
                    // The worker keeps its previous selection, so the rows stay valid.
                    Err(e) => self.error = Some((self.settings.query.clone(), e)),
                }
            }
            FromWorker::Rows { seq, offset, rows } if seq > self.query_seq => {
                let w = offset / WINDOW;
                let mut map = (*self.windows.0).clone();
                map.insert(w, Rc::new(rows));
                while map.len() > CACHE_WINDOWS {
                    // Drop the window farthest from the one that just arrived.
                    let Some(&far) = map.keys().max_by_key(|&&k| k.abs_diff(w)) else {
                        break;
                    };
                    map.remove(&far);
                }
                self.windows = Windows(Rc::new(map));
            }
            FromWorker::Detail { seq, detail } if seq == self.detail_seq => {
                self.detail = Some(Rc::from(detail))
            }
            FromWorker::Suggested { seq, values } if seq == self.suggest_seq => {
                self.suggestions = Rc::new(values)
            }
            FromWorker::Exported {
                format: format @ (ExportFormat::Csv | ExportFormat::Json),
                events,
                ..
            } => self.exported = Some((format, events)),
            _ => {}
        }
    }
}

/// Sends a query for `settings` and records it.
pub fn run_query(link: &Link, on_action: &Callback<TimelineAction>, settings: Settings) {
    let seq = next_seq();
    link.send(ToWorker::Query {
        seq,
        query: settings.query.clone(),
        range: settings.range,
        newest_first: settings.newest_first,
    });
    on_action.emit(TimelineAction::Queried { seq, settings });
}

/// Opens the event at `pos` in detail, if its row is loaded.
fn open_detail(link: &Link, on_action: &Callback<TimelineAction>, windows: &Windows, pos: u64) {
    match windows.row(pos) {
        Some(r) => {
            let seq = next_seq();
            link.send(ToWorker::Detail { seq, row: r.row });
            on_action.emit(TimelineAction::Opened { seq, pos });
        }
        None => on_action.emit(TimelineAction::Select(Some(pos))),
    }
}

/// `field:"value"` (or `-field:"value"`) with the value quoted for the query language.
pub fn filter_term(field: &str, value: &str, exclude: bool) -> String {
    let quoted = value.replace('\\', "\\\\").replace('"', "\\\"");
    format!("{}{field}:\"{quoted}\"", if exclude { "-" } else { "" })
}

/// Properties of [`TimelineView`].
#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    /// What the load found.
    pub summary: Rc<LoadSummary>,
    /// The view's state.
    pub state: TimelineState,
    /// Requests to the worker.
    pub link: Link,
    /// Records what was requested.
    pub on_action: Callback<TimelineAction>,
    /// The auditor's workpaper, once open.
    #[prop_or_default]
    pub workpaper: Option<Rc<Workpaper>>,
    /// Sets a mark in the workpaper.
    #[prop_or_default]
    pub on_mark: Option<Callback<Mark>>,
}

/// What the keyboard handler needs from the latest render.
struct Keys {
    state: TimelineState,
    total: u64,
    link: Link,
    on_action: Callback<TimelineAction>,
}

/// The Timeline tab.
#[function_component]
pub fn TimelineView(props: &TimelineProps) -> Html {
    let state = &props.state;
    let input = use_node_ref();
    let total = state.view.as_ref().map_or(0, |v| v.count);

    // The first visit runs the query the URL describes (or the empty one); later visits keep
    // the worker's selection.
    {
        let (link, on_action, fresh) = (
            props.link.clone(),
            props.on_action.clone(),
            state.query_seq == 0,
        );
        use_effect_with((), move |_| {
            if fresh {
                run_query(&link, &on_action, Settings::from_url());
            }
        });
    }
    // Settings go to the URL.
    use_effect_with(
        (state.settings.clone(), state.query_seq != 0),
        |(settings, ran)| {
            if *ran {
                settings.to_url();
            }
        },
    );

    // Keyboard: `/` search, `j`/`k` move, Enter opens, Esc closes.
    let keys = use_mut_ref(|| None::<Keys>);
    *keys.borrow_mut() = Some(Keys {
        state: state.clone(),
        total,
        link: props.link.clone(),
        on_action: props.on_action.clone(),
    });
    {
        let (keys, input) = (keys.clone(), input.clone());
        use_effect_with((), move |_| {
            let handler = Closure::<dyn FnMut(KeyboardEvent)>::new(move |e: KeyboardEvent| {
                on_key(&e, &keys, &input);
            });
            let document = web_sys::window().and_then(|w| w.document());
            if let Some(d) = &document {
                let _ =
                    d.add_event_listener_with_callback("keydown", handler.as_ref().unchecked_ref());
            }
            move || {
                if let Some(d) = &document {
                    let _ = d.remove_event_listener_with_callback(
                        "keydown",
                        handler.as_ref().unchecked_ref(),
                    );
                }
                drop(handler);
            }
        });
    }

    let on_settings = {
        let (link, on_action, current) = (
            props.link.clone(),
            props.on_action.clone(),
            state.settings.clone(),
        );
        Callback::from(move |next: Settings| {
            let requery = next.query != current.query
                || next.range != current.range
                || next.newest_first != current.newest_first;
            if requery {
                run_query(&link, &on_action, next);
            } else if next != current {
                on_action.emit(TimelineAction::Display(next));
            }
        })
    };
    let on_query = {
        let (on_settings, settings) = (on_settings.clone(), state.settings.clone());
        Callback::from(move |query: String| {
            on_settings.emit(Settings {
                query,
                ..settings.clone()
            })
        })
    };
    let on_filter = {
        let (on_query, input) = (on_query.clone(), input.clone());
        let submitted = state.settings.query.clone();
        Callback::from(move |(field, value, exclude): (String, String, bool)| {
            let text = input
                .cast::<HtmlInputElement>()
                .map(|i| i.value())
                .unwrap_or_else(|| submitted.clone());
            let term = filter_term(&field, &value, exclude);
            let text = text.trim();
            let query = if text.is_empty() {
                term
            } else if text.contains(&term) {
                text.to_owned()
            } else {
                format!("{text} {term}")
            };
            if let Some(i) = input.cast::<HtmlInputElement>() {
                i.set_value(&query);
            }
            on_query.emit(query);
        })
    };
    let on_range = {
        let (on_settings, settings) = (on_settings.clone(), state.settings.clone());
        Callback::from(move |range: Option<(i64, i64)>| {
            on_settings.emit(Settings {
                range,
                ..settings.clone()
            })
        })
    };
    let on_sort = {
        let (on_settings, settings) = (on_settings.clone(), state.settings.clone());
        Callback::from(move |e: Event| {
            let newest = e
                .target_dyn_into::<web_sys::HtmlSelectElement>()
                .is_some_and(|s| s.value() == "newest");
            on_settings.emit(Settings {
                newest_first: newest,
                ..settings.clone()
            })
        })
    };
    let on_tz = {
        let (on_settings, settings) = (on_settings.clone(), state.settings.clone());
        Callback::from(move |e: Event| {
            if let Some(s) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                let zone = s.value();
                if tz::is_valid(&zone) {
                    on_settings.emit(Settings {
                        tz: zone,
                        ..settings.clone()
                    })
                }
            }
        })
    };
    let toggle_col = |col: Col| {
        let (on_settings, settings) = (on_settings.clone(), state.settings.clone());
        Callback::from(move |_: Event| {
            on_settings.emit(Settings {
                columns: settings.columns ^ col.bit(),
                ..settings.clone()
            })
        })
    };
    let export = |format: ExportFormat| {
        let link = props.link.clone();
        Callback::from(move |_: MouseEvent| {
            link.send(ToWorker::Export {
                seq: next_seq(),
                format,
                requirement: None,
            })
        })
    };
    let zones = use_memo((), |_| tz::zones());
    let zone = state.settings.tz.clone();
    let clear_range = on_range.reform(|_: MouseEvent| None);

    // After a rejected query the worker keeps the previous selection, so the results stay:
    // marked stale (class, words, and a live region that exists before it is filled) until a
    // query succeeds.
    let stale = state.error.is_some() && state.view.is_some();

    html! {
        <section id="timeline" class={classes!("timeline", stale.then_some("stale"))} aria-label="Timeline">
            <search::SearchBox input={input.clone()} query={state.settings.query.clone()} error={state.error.clone()}
                suggestions={state.suggestions.clone()} link={props.link.clone()} on_action={props.on_action.clone()}
                on_submit={on_query.clone()} />
            <p id="stale-note" class={classes!("stale-note", (!stale).then_some("empty"))} role="status" aria-live="polite">
                if stale {
                    <strong>{ "Stale results: " }</strong>
                    { "the search was not run. The events below are still those of " }
                    if state.shown.trim().is_empty() {
                        { "the empty search (all events)" }
                    } else {
                        <code>{ &state.shown }</code>
                    }
                    { "; they update when a search succeeds." }
                }
            </p>
            <div class="toolbar tl-toolbar">
                // `data-seq`: the query whose reply is drawn (count, histogram, facets and the reset
                // table render together), for the end-to-end latency bench; absent while busy.
                <span id="match-count" role="status" aria-live="polite" class={classes!(state.busy.then_some("busy"))}
                    data-seq={(!state.busy).then(|| state.query_seq.to_string())}>
                    { format!("{}{} of {} events", if stale { "Stale: " } else { "" }, count(total), count(props.summary.events)) }
                </span>
                if let Some((a, b)) = state.settings.range {
                    <span id="range" class="range-chip">
                        { format!("{} – {}", tz::format(a, &zone), tz::labelled(b, &zone)) }
                        <button id="clear-range" class="chip" onclick={clear_range} aria-label="Clear the time range">{ "✕ all time" }</button>
                    </span>
                }
                <span class="spacer"></span>
                <label class="field">{ "Order " }
                    <select id="sort" onchange={on_sort} aria-label="Sort by time">
                        <option value="oldest" selected={!state.settings.newest_first}>{ "Oldest first" }</option>
                        <option value="newest" selected={state.settings.newest_first}>{ "Newest first" }</option>
                    </select>
                </label>
                <label class="field">{ "Time zone " }
                    <select id="tz" onchange={on_tz} aria-label="Time zone">
                        { for zones.iter().map(|z| html! { <option value={z.clone()} selected={*z == zone}>{ z }</option> }) }
                    </select>
                </label>
                <details id="columns" class="columns">
                    <summary class="chip">{ "Columns" }</summary>
                    <fieldset>
                        <legend>{ "Visible columns" }</legend>
                        { for Col::ALL.into_iter().filter(|&c| c != Col::Time).map(|c| html! {
                            <label><input type="checkbox" id={format!("col-{}", c.id())} checked={state.settings.columns & c.bit() != 0}
                                onchange={toggle_col(c)} />{ c.label() }</label>
                        }) }
                    </fieldset>
                </details>
                <button id="export-csv" class="chip" onclick={export(ExportFormat::Csv)} aria-label="Export CSV of the selected events">{ "Export CSV" }</button>
                <button id="export-json" class="chip" onclick={export(ExportFormat::Json)} aria-label="Export JSON of the selected events (JSON Lines)">{ "Export JSON" }</button>
                if let Some((format, n)) = state.exported {
                    <span id="exported" class="muted" role="status">
                        { format!("Exported {} events as {}", count(n), if format == ExportFormat::Csv { "CSV" } else { "JSON Lines" }) }
                    </span>
                }
            </div>
            if let Some(view) = &state.view {
                <histogram::HistogramView histogram={view.histogram.clone()} range={state.settings.range}
                    zone={zone.clone()} on_range={on_range.clone()} />
            }
            <div class="tl-main">
                if let Some(view) = &state.view {
                    <facets::FacetPanel facets={view.facets.clone()} on_filter={on_filter} />
                }
                <table::EventTable total={total} windows={state.windows.clone()} query_seq={state.query_seq}
                    columns={state.settings.columns} zone={zone.clone()} selected={state.selected}
                    detail_row={state.detail.as_ref().map(|d| d.row)} link={props.link.clone()} on_action={props.on_action.clone()} />
                if let Some(d) = &state.detail {
                    <detail::DetailPane detail={d.clone()} zone={zone.clone()} on_close={props.on_action.reform(|_| TimelineAction::Closed)}
                        mark={props.workpaper.as_ref().zip(d.key.as_ref()).and_then(|(w, k)| w.mark(k).cloned())}
                        on_mark={props.workpaper.is_some().then(|| props.on_mark.clone()).flatten()}
                        on_prove={Some({ let link = props.link.clone(); Callback::from(move |row| link.send(ToWorker::Prove { seq: 0, row })) })} />
                }
            </div>
            <p class="muted keys">{ "Keys: / search · j / k move · Enter details · Esc close" }</p>
        </section>
    }
}

/// The page-wide key handler.
fn on_key(e: &KeyboardEvent, keys: &Rc<std::cell::RefCell<Option<Keys>>>, input: &NodeRef) {
    if e.ctrl_key() || e.meta_key() || e.alt_key() {
        return;
    }
    let target = e.target().and_then(|t| t.dyn_into::<HtmlElement>().ok());
    let tag = target.as_ref().map(|t| t.tag_name()).unwrap_or_default();
    let in_field = matches!(tag.as_str(), "INPUT" | "SELECT" | "TEXTAREA");
    let keys = keys.borrow();
    let Some(k) = keys.as_ref() else {
        return;
    };
    let key = e.key();
    match key.as_str() {
        "/" if !in_field => {
            if let Some(i) = input.cast::<HtmlInputElement>() {
                e.prevent_default();
                let _ = i.focus();
                i.select();
            }
        }
        "j" | "k" | "ArrowDown" | "ArrowUp" if !in_field && k.total > 0 => {
            // Arrows only when the table has focus; j/k anywhere outside fields.
            let arrows = key.starts_with("Arrow");
            if arrows && target.as_ref().is_none_or(|t| t.id() != "event-scroll") {
                return;
            }
            e.prevent_default();
            let down = key == "j" || key == "ArrowDown";
            let pos = match k.state.selected {
                None => 0,
                Some(p) if down => (p + 1).min(k.total - 1),
                Some(p) => p.saturating_sub(1),
            };
            if k.state.detail.is_some() {
                open_detail(&k.link, &k.on_action, &k.state.windows, pos);
            } else {
                k.on_action.emit(TimelineAction::Select(Some(pos)));
            }
        }
        "Enter" if !in_field && !matches!(tag.as_str(), "BUTTON" | "A" | "SUMMARY") => {
            if let Some(pos) = k.state.selected {
                e.prevent_default();
                open_detail(&k.link, &k.on_action, &k.state.windows, pos);
            }
        }
        "Escape" if !in_field && k.state.detail.is_some() => {
            e.prevent_default();
            k.on_action.emit(TimelineAction::Closed);
            if let Some(t) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id("event-scroll"))
                .and_then(|el| el.dyn_into::<HtmlElement>().ok())
            {
                let _ = t.focus();
            }
        }
        _ => {}
    }
}
