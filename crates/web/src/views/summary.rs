//! The summary header: verdict, counts, time span, providers, accounts, regions.

use std::rc::Rc;

use trailproof_core::report::{ItemKind, Verdict};
use yew::prelude::*;

use super::{count, utc};
use crate::protocol::LoadSummary;

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

/// The header above the tabs.
#[function_component]
pub fn SummaryHeader(props: &SummaryProps) -> Html {
    let s = &props.summary;
    let report = &s.report;
    // Without a digest or checkpoint nothing was proven, whatever the verdict of the rest.
    let proven = report
        .items
        .iter()
        .any(|i| matches!(i.kind, ItemKind::Digest | ItemKind::Checkpoint))
        || s.proofs.iter().any(|p| p.valid);
    let (badge, class) = if s.proofs.iter().any(|p| !p.valid) {
        ("Tampering or loss detected", "badge invalid")
    } else if !proven {
        ("No digests to verify", "badge none")
    } else {
        match report.verdict {
            Verdict::Valid => ("Verified", "badge valid"),
            Verdict::Invalid => ("Tampering or loss detected", "badge invalid"),
            Verdict::Incomplete => ("Incomplete verification", "badge incomplete"),
            #[allow(unreachable_patterns)]
            _ => ("Unknown", "badge none"),
        }
    };
    let span = s
        .span
        .map(|(a, b)| format!("{} — {}", utc(a), utc(b)))
        .unwrap_or_else(|| "—".into());
    html! {
        <section id="summary" class="summary" aria-label="Summary">
            <span id="verdict" class={class}>{ badge }</span>
            <dl>
                <div><dt>{ "Events" }</dt><dd id="event-count">{ count(s.events) }</dd></div>
                <div><dt>{ "Files verified" }</dt><dd>{ format!("{} valid, {} invalid, {} missing, {} unverifiable, {} unreferenced",
                    report.counts.valid, report.counts.invalid, report.counts.missing, report.counts.unverifiable, report.counts.unreferenced) }</dd></div>
                <div><dt>{ "Time span" }</dt><dd>{ span }</dd></div>
                <div><dt>{ "Providers" }</dt><dd>{ values(&s.providers) }</dd></div>
                <div><dt>{ "Accounts" }</dt><dd>{ values(&s.accounts) }</dd></div>
                <div><dt>{ "Regions" }</dt><dd>{ values(&s.regions) }</dd></div>
            </dl>
        </section>
    }
}
