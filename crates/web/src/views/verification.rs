//! The Verification tab: one strip per digest chain, gaps, and every file with its status.

use std::rc::Rc;

use trailproof_core::report::{ChainSummary, Item, Provider, Status};
use yew::prelude::*;

use crate::protocol::LoadSummary;

/// Properties of [`VerificationView`].
#[derive(Properties, PartialEq)]
pub struct VerificationProps {
    /// What the load found.
    pub summary: Rc<LoadSummary>,
}

fn status_class(status: Status) -> &'static str {
    match status {
        Status::Valid => "valid",
        Status::Invalid => "invalid",
        Status::Missing => "missing",
        Status::Unverifiable => "unverifiable",
        Status::Unreferenced => "unreferenced",
        #[allow(unreachable_patterns)]
        _ => "unverifiable",
    }
}

const FILTERS: [Option<Status>; 6] = [
    None,
    Some(Status::Invalid),
    Some(Status::Missing),
    Some(Status::Unverifiable),
    Some(Status::Unreferenced),
    Some(Status::Valid),
];

/// Chains, gaps, notes and the per-file table with a status filter.
#[function_component]
pub fn VerificationView(props: &VerificationProps) -> Html {
    let filter = use_state(|| None::<Status>);
    let report = &props.summary.report;
    if report.items.is_empty() && props.summary.proofs.is_empty() {
        return html! {
            <section id="verification" class="verification">
                <p>{ "No CloudTrail or Huawei CTS digest files or log files were found, so there is nothing to verify cryptographically." }</p>
                <p class="muted">{ "Alibaba ActionTrail, GCP and Azure exports carry no provider signature: they have no cryptographic provenance, only consistency checks. Seal such exports with `trailproof seal` at collection time to make them verifiable." }</p>
            </section>
        };
    }
    // Files the timeline loaded as events or rules are not "ignored": leave out the verifier's
    // remark that they are no digest, log or key.
    let loaded: std::collections::HashSet<&str> = props
        .summary
        .files
        .iter()
        .filter(|f| f.events > 0 || f.kind == "Sigma rule")
        .map(|f| f.path.as_str())
        .collect();
    let notes: Vec<_> = report
        .notes
        .iter()
        .filter(|n| !(loaded.contains(n.path.as_str()) && n.message.ends_with("ignored")))
        .collect();
    let shown: Vec<&Item> = report
        .items
        .iter()
        .filter(|i| filter.is_none_or(|f| i.status == f))
        .collect();
    html! {
        <section id="verification" class="verification">
            if !props.summary.proofs.is_empty() {
                <h2>{ "Inclusion proofs" }</h2>
                <ul id="proofs" class="notes">
                    { for props.summary.proofs.iter().map(|p| html! {
                        <li>
                            <span class={classes!("status", if p.valid { "valid" } else { "invalid" })}>
                                { if p.valid { "valid" } else { "invalid" } }
                            </span>
                            { " " }<span class="path">{ &p.path }</span>{ ": " }{ &p.message }
                        </li>
                    }) }
                </ul>
            }
            if let Some(sealed) = &props.summary.sealed {
                <SealedSection sealed={sealed.clone()} />
            }
            if !report.chains.is_empty() {
                <h2>{ "Chains" }</h2>
                <ul class="legend" aria-label="Legend">
                    { for ["valid", "invalid", "missing", "unverifiable"].iter().map(|c| html! {
                        <li><span class={classes!("swatch", *c)}></span>{ *c }</li>
                    }) }
                </ul>
                { for report.chains.iter().map(chain_strip) }
            }
            if !report.gaps.is_empty() {
                <h2>{ "Gaps" }</h2>
                <ul class="gaps">
                    { for report.gaps.iter().map(|g| html! { <li>{ format!("{} → {}: {}", g.start, g.end, g.message) }</li> }) }
                </ul>
            }
            if !notes.is_empty() {
                <h2>{ "Notes" }</h2>
                <ul class="notes">
                    { for notes.iter().map(|n| html! {
                        <li>
                            if !n.path.is_empty() {
                                <span class="path">{ &n.path }</span>{ ": " }
                            }
                            { &n.message }
                        </li>
                    }) }
                </ul>
            }
            <h2>{ "Files" }</h2>
            <div class="filters" role="group" aria-label="Filter by status">
                { for FILTERS.iter().map(|&f| {
                    let n = f.map_or(report.items.len(), |s| report.items.iter().filter(|i| i.status == s).count());
                    let label = f.map_or("all", status_class);
                    let filter = filter.clone();
                    html! {
                        <button class={classes!("chip", (*filter == f).then_some("selected"))} id={format!("filter-{label}")}
                            onclick={Callback::from(move |_| filter.set(f))}>{ format!("{label} ({n})") }</button>
                    }
                }) }
            </div>
            <table id="items" class="files">
                <thead><tr><th scope="col">{ "Status" }</th><th scope="col">{ "File" }</th><th scope="col">{ "Kind" }</th><th scope="col">{ "What it means" }</th></tr></thead>
                <tbody>
                    { for shown.iter().map(|item| html! {
                        <tr class={status_class(item.status)}>
                            <td><span class={classes!("status", status_class(item.status))}>{ status_class(item.status) }</span>
                                { item.reason.map(|r| html! { <div class="reason">{ r.as_str() }</div> }).unwrap_or_default() }</td>
                            <td class="path">{ &item.path }</td>
                            <td>{ format!("{:?}", item.kind).to_lowercase() }</td>
                            <td>{ &item.message }{ for item.notes.iter().map(|n| html! { <div class="muted">{ n }</div> }) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </section>
    }
}

/// One chain as a strip of digests, oldest left, coloured by status.
fn chain_strip(chain: &ChainSummary) -> Html {
    let scheme = match chain.provider {
        Provider::Aws => "CloudTrail",
        Provider::Cts => "Huawei CTS",
        Provider::Archive => "Sealed archive",
        #[allow(unreachable_patterns)]
        _ => "Chain",
    };
    let backfill = if chain.backfill { " (backfill)" } else { "" };
    const CELL: usize = 14;
    let width = (chain.digests.len() * CELL).max(CELL);
    html! {
        <div class="chain">
            <div class="chain-title">{ format!("{scheme}{backfill} · account {} · {} · {}", chain.account, chain.region, chain.trail) }</div>
            <svg class="strip" width={width.to_string()} height="18" role="img"
                aria-label={format!("{} digests", chain.digests.len())}>
                { for chain.digests.iter().enumerate().map(|(i, d)| html! {
                    <rect x={(i * CELL).to_string()} y="1" width={(CELL - 2).to_string()} height="16" rx="2" class={status_class(d.status)}>
                        <title>{ format!("{} → {}: {}{}", d.start.as_deref().unwrap_or("?"), d.end, status_class(d.status),
                            d.reason.map(|r| format!(" ({})", r.as_str())).unwrap_or_default()) }</title>
                    </rect>
                }) }
            </svg>
            if let Some(before) = &chain.continues_before {
                <div class="muted">{ format!("The chain continues before the supplied files (previous digest {before}); it was checked from here on.") }</div>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct SealedProps {
    sealed: crate::protocol::SealedView,
}

/// The sealed archive: origin, keys, the first failing checkpoint, and — always, when the end
/// is not anchored — what that means.
#[function_component]
fn SealedSection(props: &SealedProps) -> Html {
    let s = &props.sealed;
    html! {
        <section id="sealed" class="sealed">
            <h2>{ "Sealed archive" }</h2>
            <p>
                { format!("Origin {} · {} leaves (records and seals) · {} seals · ",
                    s.origin.as_deref().unwrap_or("unknown"), s.size, s.seals.len()) }
                { if s.keys.is_empty() {
                    "no verifier key was supplied: drop the log's key file (name+keyid+base64) with the archive".to_owned()
                } else {
                    format!("verified with {}", s.keys.join(", "))
                } }
            </p>
            if let Some(failure) = &s.first_failure {
                <p id="first-failure" class="error" role="alert">{ failure }</p>
            }
            if let Some(warning) = &s.warning {
                <p id="unanchored" class="warning" role="note"><strong>{ "Tail truncation is not detectable here. " }</strong>{ warning }</p>
            }
        </section>
    }
}
