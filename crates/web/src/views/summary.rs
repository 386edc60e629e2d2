//! The summary header: the badge (speaking for the events), event integrity, counts, time
//! span, providers, accounts, regions.

use std::rc::Rc;

use trailproof_core::report::Coverage;
use yew::prelude::*;

use crate::page::{count, utc};
use crate::protocol::LoadSummary;
use crate::triage;

/// Properties of [`SummaryHeader`].
#[derive(Properties, PartialEq)]
pub struct SummaryProps {
    /// What the load found.
    pub summary: Rc<LoadSummary>,
}

fn values(list: &[(String, u64)]) -> String {
    if list.is_empty() {
        return "—".into();
    }
    list.iter()
        .map(|(v, n)| format!("{v} ({})", count(*n)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the coverage block says in the header (nothing without one: numbers are never
/// made up).
fn integrity(c: &Coverage) -> String {
    format!(
        "{} verified · {} not proven · {} failed · {} unprotected (of {})",
        count(c.verified),
        count(c.unverified),
        count(c.failed),
        count(c.unprotected),
        count(c.events)
    )
}

/// The header above the tabs. The badge speaks for the events (`triage::headline`).
#[function_component]
pub fn SummaryHeader(props: &SummaryProps) -> Html {
    let s = &props.summary;
    let report = &s.report;
    let headline = triage::headline(s);
    let span = s
        .span
        .map(|(a, b)| format!("{} — {}", utc(a), utc(b)))
        .unwrap_or_else(|| "—".into());
    let c = &report.counts;
    html! {
        <section id="summary" class="summary" aria-label="Summary" tabindex="-1">
            <span id="verdict" class={headline.tone.class()} role="status">{ headline.text }</span>
            <dl>
                <div><dt>{ "Events" }</dt><dd id="event-count">{ count(s.events) }</dd></div>
                if let Some(cov) = &report.coverage {
                    <div><dt>{ "Event integrity" }</dt><dd id="event-integrity">{ integrity(cov) }</dd></div>
                }
                <div><dt>{ "Files verified" }</dt><dd>{ format!("{} valid, {} invalid, {} missing, {} unverifiable, {} unreferenced",
                    count(c.valid), count(c.invalid), count(c.missing), count(c.unverifiable), count(c.unreferenced)) }</dd></div>
                <div><dt>{ "Time span" }</dt><dd>{ span }</dd></div>
                <div><dt>{ "Providers" }</dt><dd>{ values(&s.providers) }</dd></div>
                <div><dt>{ "Accounts" }</dt><dd>{ values(&s.accounts) }</dd></div>
                <div><dt>{ "Regions" }</dt><dd>{ values(&s.regions) }</dd></div>
            </dl>
        </section>
    }
}
