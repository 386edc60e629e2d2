//! The Compliance tab: the retention requirement that applies (the user's choice, kept in the
//! URL hash like the Timeline's settings) in full and the others collapsed with their
//! verdicts, coverage checks, gaps, the day × region heatmap with the digest-chain gaps drawn
//! on it, and the auditor report downloads.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlInputElement};
use yew::prelude::*;

use super::draft::{on_text, use_draft};
use super::timeline::url;
use crate::heat::HeatGrid;
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

/// The requirements a user can choose: URL id (as `Line::id`) and short name.
const CHOICES: [(&str, &str); 5] = [
    ("mlps", "MLPS 2.0"),
    ("pci", "PCI DSS"),
    ("hipaa", "HIPAA"),
    ("sox", "SOX"),
    ("custom", "Custom"),
];

/// The URL key of the chosen requirement.
const URL_KEY: &str = "req";

fn outcome_class(outcome: &str) -> &'static str {
    match outcome {
        "pass" => "valid",
        "fail" => "invalid",
        _ => "unreferenced",
    }
}

fn lines<'a>(id: &str, caption: &str, lines: impl Iterator<Item = &'a Line>) -> Html {
    html! {
        <table id={id.to_owned()} class="files requirements">
            <caption>{ caption }</caption>
            <thead><tr><th scope="col">{ "Requirement" }</th><th scope="col">{ "Result" }</th><th scope="col">{ "Why" }</th></tr></thead>
            <tbody>
                { for lines.map(|l| html! {
                    <tr data-id={l.id.clone()}>
                        <td>{ &l.name }</td>
                        <td><span class={classes!("status", outcome_class(&l.outcome))}>{ &l.outcome }</span></td>
                        <td>{ &l.reason }</td>
                    </tr>
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
        // The report names the requirement chosen below (kept in the URL, read at the click).
        Callback::from(move |_| {
            link.send(ToWorker::Export {
                seq: 0,
                format,
                requirement: url::get(URL_KEY).filter(|r| CHOICES.iter().any(|(id, _)| id == r)),
            })
        })
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
            <RequirementChoice summary={props.summary.clone()} link={props.link.clone()} />
            { lines("checks", "Coverage checks", a.checks.iter()) }
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

/// "1 pass, 2 fail" for a set of lines.
fn tally<'a>(lines: impl Iterator<Item = &'a Line>) -> String {
    let (mut pass, mut fail, mut other) = (0u64, 0u64, 0u64);
    for l in lines {
        match l.outcome.as_str() {
            "pass" => pass += 1,
            "fail" => fail += 1,
            _ => other += 1,
        }
    }
    let mut parts = vec![
        format!("{} pass", count(pass)),
        format!("{} fail", count(fail)),
    ];
    if other > 0 {
        parts.push(format!("{} n/a", count(other)));
    }
    parts.join(", ")
}

/// The requirement that applies, chosen by the user and remembered in the URL (`req=`): shown
/// in full, the others collapsed with their verdicts. Before a choice, every verdict is listed
/// and none is singled out: the tool does not guess which law applies.
#[function_component]
fn RequirementChoice(props: &ComplianceProps) -> Html {
    let a = &props.summary.analysis;
    let chosen = use_state(|| url::get(URL_KEY).filter(|r| CHOICES.iter().any(|(id, _)| id == r)));
    let on_pick = {
        let chosen = chosen.clone();
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                let id = input.value();
                url::set(&[(URL_KEY, Some(id.clone()))]);
                chosen.set(Some(id));
            }
        })
    };
    let days = use_draft(
        a.settings
            .custom_days
            .map(|d| d.to_string())
            .unwrap_or_default(),
    );
    let on_custom = {
        let (link, settings, days) = (props.link.clone(), a.settings.clone(), days.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let days = days.trim().parse::<u32>().ok().filter(|d| *d > 0);
            if let Some(days) = days {
                let mut settings = settings.clone();
                settings.custom_days = Some(days);
                link.send(ToWorker::Analyze { seq: 0, settings });
            }
        })
    };
    let line_of = |id: &str| a.requirements.iter().find(|l| l.id == id);
    let chosen_line = chosen.as_deref().and_then(line_of);
    let others: Vec<&Line> = a
        .requirements
        .iter()
        .filter(|l| Some(l.id.as_str()) != chosen.as_deref())
        .collect();
    html! {
        <section id="requirement" class="requirement" aria-labelledby="requirement-title">
            <h2 id="requirement-title">{ "Retention requirement" }</h2>
            <fieldset class="req-choice">
                <legend>{ "Which requirement applies to these logs?" }</legend>
                { for CHOICES.iter().map(|&(id, label)| {
                    let line = line_of(id);
                    html! {
                        <label class="req-option">
                            <input type="radio" name="requirement" id={format!("req-{id}")} value={id}
                                checked={chosen.as_deref() == Some(id)} onchange={on_pick.clone()} />
                            { label }
                            if let Some(l) = line {
                                { " " }<span class={classes!("status", outcome_class(&l.outcome))}>{ &l.outcome }</span>
                            }
                        </label>
                    }
                }) }
            </fieldset>
            { match (chosen.as_deref(), chosen_line) {
                (None, _) => html! {
                    <>
                        <p class="muted hint">{ "Choose the requirement that applies to see its verdict in full. Until then every verdict is listed; none is singled out." }</p>
                        { lines("requirements", "Retention requirements", a.requirements.iter()) }
                    </>
                },
                (Some(_), Some(l)) => html! {
                    <div id="chosen-requirement" class={classes!("verdict-panel", outcome_class(&l.outcome))} role="status">
                        <p class="verdict-line"><strong>{ &l.name }</strong>{ ": " }
                            <span class={classes!("status", outcome_class(&l.outcome))}>{ &l.outcome }</span></p>
                        <p>{ &l.reason }</p>
                    </div>
                },
                (Some(_), None) => html! {
                    <p id="chosen-requirement" class="muted">{ "No custom requirement is set yet: give its number of days." }</p>
                },
            } }
            if chosen.as_deref() == Some("custom") {
                <form id="custom-requirement" class="custom-requirement" onsubmit={on_custom}>
                    <label>{ "Custom retention (days) " }
                        <input name="custom-days" type="number" min="1" required=true
                            value={(*days).clone()} oninput={on_text(&days)} />
                    </label>
                    <button class="button" type="submit">{ "Judge" }</button>
                </form>
            }
            if chosen.is_some() && !others.is_empty() {
                <details id="other-requirements" class="req-others">
                    <summary>{ format!("Other requirements ({}): {}", count(others.len() as u64), tally(others.iter().copied())) }</summary>
                    { lines("requirements", "Other retention requirements", others.iter().copied()) }
                </details>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct HeatmapProps {
    summary: Rc<LoadSummary>,
}

/// The `(region, day)` a heatmap cell element stands for (`data-cell="r-d"`).
fn cell_at(target: Option<web_sys::EventTarget>) -> Option<(usize, usize)> {
    let el = target?.dyn_into::<web_sys::Element>().ok()?;
    let (r, d) = el
        .get_attribute("data-cell")?
        .split_once('-')
        .map(|(r, d)| (r.parse().ok(), d.parse().ok()))?;
    Some((r?, d?))
}

/// Day × region, one focusable cell each, coloured by events with a legend that counts them:
/// silent days hatched, red where verification failed or a digest is missing, outlined where
/// the region's digest chain has a gap. One tab stop for the grid; arrow keys, Home and End
/// move between cells; hover or focus shows the cell's details below.
#[function_component]
fn Heatmap(props: &HeatmapProps) -> Html {
    let grid = use_memo(props.summary.clone(), |s| {
        HeatGrid::new(&s.analysis.heatmap, &s.report)
    });
    let active = use_state(|| None::<(usize, usize)>);
    let (rows, cols) = (grid.regions.len(), grid.days.len());
    if rows == 0 || cols == 0 {
        return html! {};
    }
    let stop = active
        .filter(|&(r, d)| r < rows && d < cols)
        .or_else(|| grid.first_problem())
        .unwrap_or((0, 0));
    let onfocusin = {
        let active = active.clone();
        Callback::from(move |e: FocusEvent| {
            if let Some(pos) = cell_at(e.target()) {
                active.set(Some(pos));
            }
        })
    };
    let onmouseover = {
        let active = active.clone();
        Callback::from(move |e: MouseEvent| {
            if let Some(pos) = cell_at(e.target()) {
                active.set(Some(pos));
            }
        })
    };
    let onkeydown = {
        let active = active.clone();
        Callback::from(move |e: KeyboardEvent| {
            let Some((r, d)) = cell_at(e.target()) else {
                return;
            };
            let to = match e.key().as_str() {
                "ArrowRight" => (r, (d + 1).min(cols - 1)),
                "ArrowLeft" => (r, d.saturating_sub(1)),
                "ArrowDown" => ((r + 1).min(rows - 1), d),
                "ArrowUp" => (r.saturating_sub(1), d),
                "Home" => (r, 0),
                "End" => (r, cols - 1),
                _ => return,
            };
            e.prevent_default();
            active.set(Some(to));
            if let Some(el) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(&format!("heat-{}-{}", to.0, to.1)))
                .and_then(|el| el.dyn_into::<HtmlElement>().ok())
            {
                let _ = el.focus();
            }
        })
    };
    let detail = match *active {
        Some((r, d)) => grid.describe(r, d),
        None => "Hover over or focus a cell for its day, region, events and problems.".to_owned(),
    };
    let swatch = |class: Classes, label: String| {
        html! {
            <li><span class={classes!("swatch", "hc", class)}></span>{ label }</li>
        }
    };
    html! {
        <section id="coverage-map" class="coverage-map" aria-labelledby="heatmap-title">
            <h2 id="heatmap-title">{ "Coverage by day and region" }</h2>
            <p class="muted hint">{ "One cell per UTC day and region, shaded by its events. Arrow keys move between cells; Home and End go to the ends of a row." }</p>
            <ul id="heatmap-legend" class="legend heat-legend" aria-label="Legend (cells of each kind)">
                { for grid.shades.iter().map(|&(shade, n)| swatch(classes!(shade.class()), format!("{} ({})", shade.label(), count(n as u64)))) }
                { swatch(classes!("failed"), format!("verification failed or digest missing ({})", count(grid.failed as u64))) }
                { swatch(classes!("chain-gap"), format!("digest-chain gap ({})", count(grid.chain_gaps as u64))) }
            </ul>
            <div class="heatmap-scroll">
                <table id="heatmap" class="heatmap" role="grid" aria-labelledby="heatmap-title"
                    aria-describedby="heat-detail" {onkeydown} {onfocusin} {onmouseover}>
                    <thead>
                        <tr>
                            <td class="corner"></td>
                            { for grid.days.iter().enumerate().map(|(d, day)| html! {
                                <th scope="col" class="day">
                                    if grid.labelled(d) {
                                        <span class="day-label" aria-hidden="true">
                                            { if d == 0 || day.ends_with("-01-01") { day.as_str() } else { day.get(5..).unwrap_or(day) } }
                                        </span>
                                    }
                                    <span class="sr-only">{ day }</span>
                                </th>
                            }) }
                        </tr>
                    </thead>
                    <tbody>
                        { for grid.rows.iter().enumerate().map(|(r, row)| html! {
                            <tr>
                                <th scope="row" class="region" title={grid.regions[r].clone()}>{ &grid.regions[r] }</th>
                                { for row.iter().enumerate().map(|(d, cell)| {
                                    let text = grid.describe(r, d);
                                    html! {
                                        <td id={format!("heat-{r}-{d}")} data-cell={format!("{r}-{d}")}
                                            class={classes!("hc", cell.shade.class(), cell.failed.then_some("failed"),
                                                cell.chain_gap.is_some().then_some("chain-gap"), (*active == Some((r, d))).then_some("active"))}
                                            tabindex={if (r, d) == stop { "0" } else { "-1" }}
                                            title={text.clone()} aria-label={text}></td>
                                    }
                                }) }
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
            <p id="heat-detail" class="heat-detail">{ detail }</p>
        </section>
    }
}
