//! The Timeline tab: search, the selected events page by page, and one event in detail.
//!
//! The events live in the worker; this view sends `Query`, `Rows`, `Detail` and `Export`
//! requests and keeps only what is on screen. Sequence numbers let it drop stale replies.

use std::rc::Rc;

use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::{count, utc};
use crate::app::Link;
use crate::protocol::{
    DetailView, ExportFormat, FromWorker, LoadSummary, QueryError, QueryView, RowView, ToWorker,
};

/// Rows per page.
pub const PAGE: u32 = 100;

/// What the timeline shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TimelineState {
    /// The query text as last submitted.
    pub query: String,
    /// Newest events first.
    pub newest_first: bool,
    /// Sequence number of the latest request.
    pub seq: u32,
    /// The latest selection.
    pub view: Option<QueryView>,
    /// Why the latest query was rejected.
    pub error: Option<QueryError>,
    /// First row position on screen.
    pub offset: u32,
    /// Rows on screen.
    pub rows: Vec<RowView>,
    /// The event opened in detail.
    pub detail: Option<Rc<DetailView>>,
}

/// Changes the view asks for (requests are sent by the component).
#[derive(Clone, Debug, PartialEq)]
pub enum TimelineAction {
    /// A query was sent with this sequence number.
    Queried {
        /// Sequence number.
        seq: u32,
        /// Query text.
        query: String,
        /// Order.
        newest_first: bool,
    },
    /// A page was requested.
    Paged {
        /// Sequence number.
        seq: u32,
        /// First row position.
        offset: u32,
    },
    /// A detail was requested.
    Opened {
        /// Sequence number.
        seq: u32,
    },
    /// The detail pane was closed.
    Closed,
}

impl TimelineState {
    /// Applies an action.
    pub fn apply(&mut self, action: TimelineAction) {
        match action {
            TimelineAction::Queried {
                seq,
                query,
                newest_first,
            } => {
                self.seq = seq;
                self.query = query;
                self.newest_first = newest_first;
            }
            TimelineAction::Paged { seq, offset } => {
                self.seq = seq;
                self.offset = offset;
            }
            TimelineAction::Opened { seq } => self.seq = seq,
            TimelineAction::Closed => self.detail = None,
        }
    }

    /// Takes a worker reply; stale ones are ignored.
    pub fn on_reply(&mut self, msg: FromWorker) {
        match msg {
            FromWorker::Selected { seq, result } if seq == self.seq => match result {
                Ok(view) => {
                    self.view = Some(view);
                    self.error = None;
                    self.offset = 0;
                    self.rows.clear();
                }
                Err(e) => self.error = Some(e),
            },
            FromWorker::Rows { seq, offset, rows } if seq == self.seq => {
                self.offset = offset;
                self.rows = rows;
            }
            FromWorker::Detail { seq, detail } if seq == self.seq => {
                self.detail = Some(Rc::from(detail))
            }
            _ => {}
        }
    }
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
}

/// Search box, count, page of events, detail pane.
#[function_component]
pub fn TimelineView(props: &TimelineProps) -> Html {
    let input = use_node_ref();
    let state = &props.state;

    // Run the initial (empty) query once.
    {
        let (link, on_action, seq) = (props.link.clone(), props.on_action.clone(), state.seq);
        use_effect_with((), move |_| {
            let seq = seq + 1;
            on_action.emit(TimelineAction::Queried {
                seq,
                query: String::new(),
                newest_first: false,
            });
            link.send(ToWorker::Query {
                seq,
                query: String::new(),
                range: None,
                newest_first: false,
            });
        });
    }
    // Fetch the first page whenever a new selection arrives.
    {
        let (link, on_action, seq) = (props.link.clone(), props.on_action.clone(), state.seq);
        let fresh = state.view.is_some()
            && state.rows.is_empty()
            && state.view.as_ref().is_some_and(|v| v.count > 0);
        use_effect_with((state.view.clone(), fresh), move |(_, fresh)| {
            if *fresh {
                let seq = seq + 1;
                on_action.emit(TimelineAction::Paged { seq, offset: 0 });
                link.send(ToWorker::Rows {
                    seq,
                    offset: 0,
                    limit: PAGE,
                });
            }
        });
    }

    let submit = {
        let (link, on_action, seq, input, newest) = (
            props.link.clone(),
            props.on_action.clone(),
            state.seq,
            input.clone(),
            state.newest_first,
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let query = input
                .cast::<HtmlInputElement>()
                .map(|i| i.value())
                .unwrap_or_default();
            let seq = seq + 1;
            on_action.emit(TimelineAction::Queried {
                seq,
                query: query.clone(),
                newest_first: newest,
            });
            link.send(ToWorker::Query {
                seq,
                query,
                range: None,
                newest_first: newest,
            });
        })
    };
    let toggle_order = {
        let (link, on_action, seq, query, newest) = (
            props.link.clone(),
            props.on_action.clone(),
            state.seq,
            state.query.clone(),
            state.newest_first,
        );
        Callback::from(move |_| {
            let seq = seq + 1;
            on_action.emit(TimelineAction::Queried {
                seq,
                query: query.clone(),
                newest_first: !newest,
            });
            link.send(ToWorker::Query {
                seq,
                query: query.clone(),
                range: None,
                newest_first: !newest,
            });
        })
    };
    let page = |offset: u32| {
        let (link, on_action, seq) = (props.link.clone(), props.on_action.clone(), state.seq);
        Callback::from(move |_| {
            let seq = seq + 1;
            on_action.emit(TimelineAction::Paged { seq, offset });
            link.send(ToWorker::Rows {
                seq,
                offset,
                limit: PAGE,
            });
        })
    };
    let export = |format: ExportFormat| {
        let (link, seq) = (props.link.clone(), state.seq);
        Callback::from(move |_| link.send(ToWorker::Export { seq, format }))
    };
    let total = state.view.as_ref().map_or(0, |v| v.count);

    html! {
        <section id="timeline" class="timeline">
            <form class="search" onsubmit={submit} role="search">
                <input ref={input} id="query" type="search" aria-label="Search events" spellcheck="false"
                    placeholder="action:Delete* AND -ip:10.0.0.0/8   (Enter to search)" value={state.query.clone()} />
                <button class="button" type="submit">{ "Search" }</button>
            </form>
            if let Some(e) = &state.error {
                <p id="query-error" class="error" role="alert">
                    { format!("Query error at position {}: {}", e.position, e.message) }
                </p>
            }
            <div class="toolbar">
                <span id="match-count">{ format!("{} of {} events", count(total), count(props.summary.events)) }</span>
                <button class="chip" onclick={toggle_order}>{ if state.newest_first { "Newest first" } else { "Oldest first" } }</button>
                <button id="export-csv" class="chip" onclick={export(ExportFormat::Csv)}>{ "Export CSV" }</button>
                <button id="export-json" class="chip" onclick={export(ExportFormat::Json)}>{ "Export JSON" }</button>
            </div>
            <div class="timeline-body">
                <table id="events" class="files events">
                    <thead><tr>
                        <th scope="col">{ "Time (UTC)" }</th><th scope="col">{ "Provider" }</th><th scope="col">{ "Actor" }</th>
                        <th scope="col">{ "Action" }</th><th scope="col">{ "Service" }</th><th scope="col">{ "Region" }</th>
                        <th scope="col">{ "Source IP" }</th><th scope="col">{ "Error" }</th>
                    </tr></thead>
                    <tbody>
                        { for state.rows.iter().map(|r| {
                            let (link, on_action, seq, row) = (props.link.clone(), props.on_action.clone(), state.seq, r.row);
                            let open = Callback::from(move |_| {
                                let seq = seq + 1;
                                on_action.emit(TimelineAction::Opened { seq });
                                link.send(ToWorker::Detail { seq, row });
                            });
                            let selected = state.detail.as_ref().is_some_and(|d| d.row == r.row);
                            html! {
                                <tr class={classes!("event", (!r.error.is_empty()).then_some("failed"), selected.then_some("selected"))}
                                    onclick={open} tabindex="0">
                                    <td class="num">{ utc(r.time_ms) }</td><td>{ &r.provider }</td><td>{ &r.actor }</td>
                                    <td>{ &r.action }</td><td>{ &r.service }</td><td>{ &r.region }</td>
                                    <td>{ &r.source_ip }</td><td class="error">{ &r.error }</td>
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
                if let Some(detail) = &state.detail {
                    <Detail detail={detail.clone()} on_close={props.on_action.reform(|_| TimelineAction::Closed)} />
                }
            </div>
            <div class="pager">
                <button class="chip" disabled={state.offset == 0} onclick={page(state.offset.saturating_sub(PAGE))}>{ "Previous" }</button>
                <span>{ format!("{}–{} of {}", if total == 0 { 0 } else { state.offset as u64 + 1 },
                    state.offset as u64 + state.rows.len() as u64, count(total)) }</span>
                <button class="chip" disabled={(state.offset + PAGE) as u64 >= total} onclick={page(state.offset + PAGE)}>{ "Next" }</button>
            </div>
        </section>
    }
}

/// Properties of [`Detail`].
#[derive(Properties, PartialEq)]
struct DetailProps {
    detail: Rc<DetailView>,
    on_close: Callback<MouseEvent>,
}

/// All fields of one event and its original record. Values are text nodes: event data is
/// untrusted and never becomes HTML.
#[function_component]
fn Detail(props: &DetailProps) -> Html {
    let d = &props.detail;
    html! {
        <aside id="detail" class="detail" aria-label="Event detail">
            <button class="chip close" onclick={props.on_close.clone()} aria-label="Close detail">{ "Close" }</button>
            <dl>
                { for d.fields.iter().map(|(k, v)| html! { <div><dt>{ k }</dt><dd>{ v }</dd></div> }) }
                <div><dt>{ "source" }</dt><dd class="path">{ &d.source }</dd></div>
            </dl>
            <h3>{ "Original record" }</h3>
            { match &d.raw {
                Ok(json) => html! { <pre id="raw" class="raw">{ json }</pre> },
                Err(e) => html! { <p class="error">{ e }</p> },
            }}
        </aside>
    }
}
