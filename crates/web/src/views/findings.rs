//! The Findings tab: detections and anomalies, with links to their evidence in the timeline.

use std::rc::Rc;

use yew::prelude::*;

use trailproof_analysis::finding::FINDINGS_PER_RULE;

use crate::page::utc;
use crate::protocol::{FindingView, LoadSummary};
use crate::triage::count;

/// Properties of [`FindingsView`].
#[derive(Properties, PartialEq)]
pub struct FindingsProps {
    /// What the load found.
    pub summary: Rc<LoadSummary>,
    /// Shows the evidence events (by event ID) in the timeline.
    pub on_evidence: Callback<Vec<String>>,
    /// Requests to the worker (settings re-run the analysis).
    pub link: crate::page::Link,
}

const LEVELS: [&str; 5] = ["critical", "high", "medium", "low", "informational"];

/// Findings, filterable by level, each with its rule, author (Sigma) and evidence.
#[function_component]
pub fn FindingsView(props: &FindingsProps) -> Html {
    let level = use_state(|| None::<&'static str>);
    let a = &props.summary.analysis;
    let shown: Vec<&FindingView> = a
        .findings
        .iter()
        .filter(|f| level.is_none_or(|l| f.level == l))
        .collect();
    html! {
        <section id="findings" class="findings">
            <super::settings::SettingsForm analysis={a.clone()} link={props.link.clone()} />
            <div class="filters" role="group" aria-label="Filter by level">
                { for std::iter::once(None).chain(LEVELS.iter().map(|l| Some(*l))).map(|l| {
                    let n = l.map_or(a.findings.len(), |l| a.findings.iter().filter(|f| f.level == l).count());
                    let state = level.clone();
                    html! {
                        <button class={classes!("chip", (*level == l).then_some("selected"))}
                            onclick={Callback::from(move |_| state.set(l))}>{ format!("{} ({n})", l.unwrap_or("all")) }</button>
                    }
                }) }
            </div>
            if a.findings.is_empty() {
                <p>{ "No rule fired on these events." }</p>
            }
            { for a.findings_not_listed.iter().map(|(title, rule, more)| html! {
                <p class="note not-listed">
                    { format!("Not listed: {} more findings of {title} ", count(*more)) }
                    <code>{ rule }</code>
                    { format!(
                        "; the first {} of each rule are listed, in time order (the auditor report says the same).",
                        count(FINDINGS_PER_RULE as u64)
                    ) }
                </p>
            }) }
            <ol id="finding-list" class="finding-list">
                { for shown.iter().map(|f| {
                    let rows = f.evidence_ids.clone();
                    let on_evidence = props.on_evidence.clone();
                    html! {
                        <li class={classes!("finding", f.level.clone())}>
                            <div class="finding-head">
                                <span class={classes!("level", f.level.clone())}>{ &f.level }</span>
                                <strong>{ &f.title }</strong>
                                <code class="muted" title={f.rule.clone()}>{ &f.rule }</code>
                                if !f.author.is_empty() {
                                    <span class="muted">{ format!("by {}", f.author) }</span>
                                }
                            </div>
                            <div>{ &f.message }</div>
                            <div class="muted finding-meta" title={format!("{} · {} · {}", utc(f.time_ms), f.actor, f.source_ip)}>
                                { format!("{} · {} · {}", utc(f.time_ms), f.actor, f.source_ip) }
                            </div>
                            if !rows.is_empty() {
                                <button class="chip" onclick={Callback::from(move |_| on_evidence.emit(rows.clone()))}>
                                    { format!("Show {} evidence event(s) in the timeline", f.evidence.len()) }
                                </button>
                            }
                        </li>
                    }
                }) }
            </ol>
            if !a.diagnostics.is_empty() {
                <h2>{ "Rule problems" }</h2>
                <ul class="notes">{ for a.diagnostics.iter().map(|d| html! { <li>{ d }</li> }) }</ul>
            }
        </section>
    }
}
