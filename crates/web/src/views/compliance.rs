//! The Compliance tab: retention against requirement presets, coverage checks, gaps, a
//! day × region heatmap, and the auditor report downloads.

use std::rc::Rc;

use yew::prelude::*;

use crate::page::Link;
use crate::page::{count, utc};
use crate::protocol::{ExportFormat, Line, LoadSummary, ToWorker};

/// Properties of [`ComplianceView`].
#[derive(Properties, PartialEq)]
pub struct ComplianceProps {
    /// What the load found.
    pub summary: Rc<LoadSummary>,
    /// Requests to the worker (report downloads).
    pub link: Link,
}

fn lines(id: &str, caption: &str, lines: &[Line]) -> Html {
    html! {
        <table id={id.to_owned()} class="files requirements">
            <caption>{ caption }</caption>
            <thead><tr><th scope="col">{ "Requirement" }</th><th scope="col">{ "Result" }</th><th scope="col">{ "Why" }</th></tr></thead>
            <tbody>
                { for lines.iter().map(|l| {
                    let class = match l.outcome.as_str() { "pass" => "valid", "fail" => "invalid", _ => "unreferenced" };
                    html! {
                        <tr>
                            <td>{ &l.name }</td>
                            <td><span class={classes!("status", class)}>{ &l.outcome }</span></td>
                            <td>{ &l.reason }</td>
                        </tr>
                    }
                }) }
            </tbody>
        </table>
    }
}

/// Retention, checks, gaps, heatmap and report downloads.
#[function_component]
pub fn ComplianceView(props: &ComplianceProps) -> Html {
    let a = &props.summary.analysis;
    let download = |format: ExportFormat| {
        let link = props.link.clone();
        Callback::from(move |_| link.send(ToWorker::Export { seq: 0, format }))
    };
    html! {
        <section id="compliance" class="compliance">
            <div class="toolbar">
                <span>{ format!("As of {} (the newest event, so reports are reproducible). Days spanned: {}; with events: {}.",
                    utc(a.as_of_ms), count(a.span_days), count(a.days_with_events)) }</span>
                <button id="report-html" class="button" onclick={download(ExportFormat::ReportHtml)}>{ "Auditor report (HTML)" }</button>
                <button id="report-json" class="chip" onclick={download(ExportFormat::ReportJson)}>{ "Report JSON" }</button>
                <button id="findings-csv" class="chip" onclick={download(ExportFormat::FindingsCsv)}>{ "Findings CSV" }</button>
            </div>
            <super::settings::SettingsForm analysis={a.clone()} link={props.link.clone()} />
            { lines("requirements", "Retention requirements", &a.requirements) }
            { lines("checks", "Coverage checks", &a.checks) }
            <h2>{ "Regions seen" }</h2>
            <p>{ if a.regions_seen.is_empty() { "—".to_owned() } else { a.regions_seen.join(", ") } }</p>
            if !a.gaps.is_empty() {
                <h2>{ "Gaps" }</h2>
                <ul class="gaps">{ for a.gaps.iter().map(|g| html! { <li>{ g }</li> }) }</ul>
            }
            <Heatmap summary={props.summary.clone()} />
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct HeatmapProps {
    summary: Rc<LoadSummary>,
}

/// Day × region: colour by event count, hatched where a gap is, red where verification failed.
#[function_component]
fn Heatmap(props: &HeatmapProps) -> Html {
    let h = &props.summary.analysis.heatmap;
    if h.days.is_empty() || h.regions.is_empty() {
        return html! {};
    }
    const CELL: usize = 12;
    const LABEL: usize = 120;
    let width = LABEL + h.days.len() * CELL;
    let height = 16 + h.regions.len() * CELL;
    let shade = |events: u64| match events {
        0 => "h0",
        1..=9 => "h1",
        10..=99 => "h2",
        100..=999 => "h3",
        _ => "h4",
    };
    html! {
        <>
            <h2>{ "Coverage by day and region" }</h2>
            <div class="heatmap-scroll">
                <svg id="heatmap" class="heatmap" width={width.to_string()} height={height.to_string()} role="img"
                    aria-label={format!("Events per day for {} regions over {} days", h.regions.len(), h.days.len())}>
                    <defs>
                        <pattern id="hatch" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                            <line x1="0" y1="0" x2="0" y2="4" class="hatch-line" />
                        </pattern>
                    </defs>
                    <text x="0" y="10" class="axis">{ format!("{} → {}", h.days[0], h.days[h.days.len() - 1]) }</text>
                    { for h.regions.iter().enumerate().map(|(i, r)| html! {
                        <text x="0" y={(16 + i * CELL + 10).to_string()} class="axis">{ r }</text>
                    }) }
                    { for h.cells.iter().map(|&(day, region, events, gap, failed)| {
                        let x = (LABEL + day as usize * CELL).to_string();
                        let y = (16 + region as usize * CELL).to_string();
                        let class = classes!("cell", shade(events), failed.then_some("failed"));
                        let title = format!("{} {}: {} events{}{}", h.days.get(day as usize).map(String::as_str).unwrap_or("?"),
                            h.regions.get(region as usize).map(String::as_str).unwrap_or("?"), events,
                            if gap { ", gap" } else { "" }, if failed { ", failed verification" } else { "" });
                        html! {
                            <g>
                                <rect x={x.clone()} y={y.clone()} width={(CELL - 1).to_string()} height={(CELL - 1).to_string()} class={class}>
                                    <title>{ title }</title>
                                </rect>
                                if gap {
                                    <rect x={x} y={y} width={(CELL - 1).to_string()} height={(CELL - 1).to_string()} fill="url(#hatch)" class="gap" />
                                }
                            </g>
                        }
                    }) }
                </svg>
            </div>
        </>
    }
}
