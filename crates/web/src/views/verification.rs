//! The Verification tab: problems first (one line per cause, with why and what to do, and
//! banners naming the files to drop), one strip per digest chain whose cells take the worst
//! status of the digest and its logs, gaps, notes, and the file table (problems by default).
//! What is said comes from `crate::triage`.

use std::rc::Rc;

use trailproof_core::report::{ChainSummary, Item, Provider, Report, Status};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::page::{count, path_text};
use crate::protocol::{LoadSummary, ProofLine};
use crate::triage::{self, Banner, Cells, Group, GroupKey};
use crate::views::pager::{self, PAGE};

/// Properties of [`VerificationView`].
#[derive(Properties, PartialEq)]
pub struct VerificationProps {
    /// What the load found.
    pub summary: Rc<LoadSummary>,
}

/// The CSS class (and label) of a status.
pub fn status_class(status: Status) -> &'static str {
    status.as_str()
}

/// Which files the table shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Filter {
    /// Every file that is not valid (the default when there is any).
    Problems,
    /// Every file.
    All,
    /// Files with one status.
    Status(Status),
    /// One line of the Problems panel.
    Group(GroupKey),
    /// One strip cell: chain index, digest index.
    Cell(usize, usize),
}

const STATUSES: [Status; 5] = [
    Status::Invalid,
    Status::Missing,
    Status::Unverifiable,
    Status::Unreferenced,
    Status::Valid,
];

/// What the tab derives from the report once per load.
#[derive(PartialEq)]
struct Triage {
    groups: Vec<Group>,
    cells: Cells,
    /// Tooltip of each strip cell, `texts[chain][digest]`.
    texts: Vec<Vec<String>>,
    banners: Vec<Banner>,
}

impl Triage {
    fn of(report: &Report) -> Triage {
        let cells = triage::cells(report);
        let texts = report
            .chains
            .iter()
            .zip(&cells.cells)
            .map(|(chain, row)| {
                row.iter()
                    .enumerate()
                    .map(|(di, cell)| triage::cell_text(report, chain, di, cell))
                    .collect()
            })
            .collect();
        Triage {
            groups: triage::groups(report),
            cells,
            texts,
            banners: triage::banners(report),
        }
    }
}

/// Brings the file table into view after a filter was picked elsewhere on the tab.
fn show_table() {
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("files-title"))
    {
        el.scroll_into_view();
    }
}

/// Problems first (grouped by cause, with guidance), then chains, gaps, notes and the file
/// table, which defaults to the problems when there are any.
#[function_component]
pub fn VerificationView(props: &VerificationProps) -> Html {
    let report = &props.summary.report;
    let triage = use_memo(props.summary.clone(), |s| Triage::of(&s.report));
    let has_problems = !triage.groups.is_empty();
    let filter = use_state(move || {
        if has_problems {
            Filter::Problems
        } else {
            Filter::All
        }
    });
    // Rows drawn (a page at first, more on request), per filter: a new filter starts at a page.
    let limit = use_state_eq(|| (*filter, PAGE));
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

    let shown: Vec<&Item> = match *filter {
        Filter::All => report.items.iter().collect(),
        Filter::Problems => report.problems().collect(),
        Filter::Status(s) => report.items.iter().filter(|i| i.status == s).collect(),
        Filter::Group(key) => triage
            .groups
            .iter()
            .find(|g| g.key == key)
            .map(|g| {
                g.items
                    .iter()
                    .filter_map(|&i| report.items.get(i))
                    .collect()
            })
            .unwrap_or_default(),
        Filter::Cell(ci, di) => triage
            .cells
            .cells
            .get(ci)
            .and_then(|row| row.get(di))
            .map(|c| {
                c.items
                    .iter()
                    .filter_map(|&i| report.items.get(i))
                    .collect()
            })
            .unwrap_or_default(),
    };
    let drawn = pager::shown(if limit.0 == *filter { limit.1 } else { PAGE }, shown.len());
    let on_more = {
        let (limit, f) = (limit.clone(), *filter);
        Callback::from(move |_: MouseEvent| limit.set((f, drawn + PAGE)))
    };
    let focus = match *filter {
        Filter::Group(key) => triage
            .groups
            .iter()
            .find(|g| g.key == key)
            .map(|g| g.title.clone()),
        Filter::Cell(ci, di) => report.chains.get(ci).and_then(|c| {
            let d = c.digests.get(di)?;
            Some(format!(
                "{} · {}",
                chain_title(c),
                triage::hour_label(d.start.as_deref(), &d.end)
            ))
        }),
        _ => None,
    };
    let on_group = {
        let filter = filter.clone();
        Callback::from(move |key: GroupKey| {
            filter.set(Filter::Group(key));
            show_table();
        })
    };
    let on_cell = {
        let filter = filter.clone();
        Callback::from(move |(ci, di): (usize, usize)| {
            filter.set(Filter::Cell(ci, di));
            show_table();
        })
    };
    let active_group = match *filter {
        Filter::Group(k) => Some(k),
        _ => None,
    };
    let active_cell = match *filter {
        Filter::Cell(ci, di) => Some((ci, di)),
        _ => None,
    };
    let bad_proofs: Vec<&ProofLine> = props.summary.proofs.iter().filter(|p| !p.valid).collect();
    let chip = |id: &str, label: String, f: Filter| {
        let filter = filter.clone();
        let pressed = *filter == f;
        html! {
            <button type="button" class={classes!("chip", pressed.then_some("selected"))} id={format!("filter-{id}")}
                aria-pressed={pressed.to_string()} aria-controls="items"
                onclick={Callback::from(move |_| filter.set(f))}>{ label }</button>
        }
    };

    html! {
        <section id="verification" class="verification">
            if has_problems || !bad_proofs.is_empty() {
                <section id="problems" class="problems" aria-labelledby="problems-title">
                    <h2 id="problems-title">{ "Problems" }</h2>
                    <ul class="problem-list">
                        { for triage.groups.iter().map(|g| problem_line(g, report, active_group == Some(g.key), &on_group)) }
                        if !bad_proofs.is_empty() {
                            <li class="problem invalid" id="problem-proofs">
                                <span class="problem-title">{ format!("{} inclusion {} not verify",
                                    count(bad_proofs.len() as u64), if bad_proofs.len() == 1 { "proof does" } else { "proofs do" }) }</span>
                                <span class="problem-files path">{ triage::name_list(bad_proofs.iter().map(|p| triage::base_name(&p.path)), 3) }</span>
                                <span class="problem-why">{ "The record it names is not in the signed log, or the proof was altered. See Inclusion proofs below." }</span>
                            </li>
                        }
                    </ul>
                    { for triage.banners.iter().map(banner) }
                </section>
            }
            if !props.summary.proofs.is_empty() {
                <h2>{ "Inclusion proofs" }</h2>
                <ul id="proofs" class="notes">
                    { for props.summary.proofs.iter().map(|p| html! {
                        <li>
                            <span class={classes!("status", if p.valid { "valid" } else { "invalid" })}>
                                { if p.valid { "valid" } else { "invalid" } }
                            </span>
                            { " " }<span class="path">{ path_text(&p.path) }</span>{ ": " }{ &p.message }
                        </li>
                    }) }
                </ul>
            }
            if let Some(sealed) = &props.summary.sealed {
                <SealedSection sealed={sealed.clone()} />
            }
            if !report.chains.is_empty() {
                <h2>{ "Chains" }</h2>
                <p class="muted hint">{ "One cell per digest (about an hour), coloured by the worst of the digest and the log files it lists. Hover or focus a cell for its hour and problem; click it, or press Enter, to list its files. Arrow keys move between cells." }</p>
                <ul class="legend" aria-label="Legend">
                    { for ["valid", "invalid", "missing", "unverifiable", "unreferenced"].iter().map(|c| html! {
                        <li><span class={classes!("swatch", *c)}></span>{ *c }</li>
                    }) }
                </ul>
                { for report.chains.iter().enumerate().map(|(ci, chain)| chain_strip(ci, chain, &triage, active_cell, &on_cell)) }
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
            <h2 id="files-title" tabindex="-1">{ "Files" }</h2>
            <div class="filters" role="group" aria-label="Which files to show">
                if has_problems {
                    { chip("problems", format!("problems ({})", count(report.problems().count() as u64)), Filter::Problems) }
                }
                { chip("all", format!("all ({})", count(report.items.len() as u64)), Filter::All) }
                { for STATUSES.iter().filter_map(|&s| {
                    let n = report.items.iter().filter(|i| i.status == s).count();
                    (n > 0).then(|| chip(status_class(s), format!("{} ({})", status_class(s), count(n as u64)), Filter::Status(s)))
                }) }
            </div>
            if let Some(what) = focus {
                <p id="filter-note" class="filter-note" role="status">
                    { format!("Showing {} {} of: {what}. ", count(shown.len() as u64), if shown.len() == 1 { "file" } else { "files" }) }
                    { chip("clear", if has_problems { "show all problems".into() } else { "show all files".into() },
                        if has_problems { Filter::Problems } else { Filter::All }) }
                </p>
            }
            <div class="table-scroll" tabindex="0" role="region" aria-labelledby="files-title">
            <table id="items" class="files paths stack">
                <thead><tr><th scope="col">{ "Status" }</th><th scope="col">{ "File" }</th><th scope="col">{ "Kind" }</th><th scope="col">{ "What it means" }</th></tr></thead>
                <tbody>
                    { for shown[..drawn].iter().map(|item| html! {
                        <tr class={status_class(item.status)}>
                            <td data-label="Status"><span class={classes!("status", status_class(item.status))}>{ status_class(item.status) }</span>
                                { item.reason.map(|r| html! { <div class="reason">{ r.as_str() }</div> }).unwrap_or_default() }</td>
                            <td class="path" data-label="File">{ path_text(&item.path) }</td>
                            <td data-label="Kind">{ format!("{:?}", item.kind).to_lowercase() }</td>
                            <td data-label="What it means">{ &item.message }{ for item.notes.iter().map(|n| html! { <div class="muted">{ n }</div> }) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            </div>
            { pager::more("items", "files", drawn, shown.len(), on_more) }
        </section>
    }
}

/// One line of the Problems panel: a button that filters the table to its files.
fn problem_line(g: &Group, report: &Report, active: bool, on_pick: &Callback<GroupKey>) -> Html {
    let key = g.key;
    let on_pick = on_pick.clone();
    let paths: String = g
        .items
        .iter()
        .take(20)
        .filter_map(|&i| report.items.get(i))
        .map(|i| i.path.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    html! {
        <li>
            <button type="button" id={format!("problem-{}", key.id())} class={classes!("problem", status_class(key.status), active.then_some("selected"))}
                aria-pressed={active.to_string()} aria-controls="items"
                onclick={Callback::from(move |_| on_pick.emit(key))}>
                <span class="problem-title">{ &g.title }</span>
                <span class="problem-files path" title={paths}>{ &g.files }</span>
                <span class="problem-why">{ &g.why }</span>
                <span class="problem-todo"><strong>{ "What to do: " }</strong>{ &g.todo }</span>
            </button>
        </li>
    }
}

/// A guidance banner: which file to drop, with the command that produces it.
fn banner(b: &Banner) -> Html {
    html! {
        <div id={b.id} class="banner" role="note">
            <p class="banner-title"><strong>{ &b.title }</strong></p>
            <p>{ &b.body }</p>
            { for b.commands.iter().map(|c| html! { <pre class="command"><code>{ c }</code></pre> }) }
            <p class="muted">{ "Digests concerned: " }<span class="path">{ &b.files }</span></p>
        </div>
    }
}

fn chain_title(chain: &ChainSummary) -> String {
    let scheme = match chain.provider {
        Provider::Aws => "CloudTrail",
        Provider::Cts => "Huawei CTS",
        Provider::Archive => "Sealed archive",
        #[allow(unreachable_patterns)]
        _ => "Chain",
    };
    let backfill = if chain.backfill { " (backfill)" } else { "" };
    format!(
        "{scheme}{backfill} · account {} · {} · {}",
        chain.account, chain.region, chain.trail
    )
}

/// Arrow keys, Home and End move between the cells of a strip (one tab stop per strip).
fn on_strip_key(e: KeyboardEvent) {
    let Some(target) = e.target_dyn_into::<web_sys::Element>() else {
        return;
    };
    let next = match e.key().as_str() {
        "ArrowRight" | "ArrowDown" => target.next_element_sibling(),
        "ArrowLeft" | "ArrowUp" => target.previous_element_sibling(),
        "Home" => target
            .parent_element()
            .and_then(|p| p.first_element_child()),
        "End" => target.parent_element().and_then(|p| p.last_element_child()),
        _ => return,
    };
    if let Some(el) = next.and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok()) {
        e.prevent_default();
        let _ = target.set_attribute("tabindex", "-1");
        let _ = el.set_attribute("tabindex", "0");
        let _ = el.focus();
    }
}

/// One chain as a strip of buttons, oldest left: each cell is a digest's hour, coloured by the
/// worst status of the digest and its logs.
fn chain_strip(
    ci: usize,
    chain: &ChainSummary,
    triage: &Triage,
    active: Option<(usize, usize)>,
    on_pick: &Callback<(usize, usize)>,
) -> Html {
    let row = triage.cells.cells.get(ci);
    let worst = |di: usize| {
        row.and_then(|r| r.get(di))
            .and_then(|c| c.worst)
            .or_else(|| chain.digests.get(di).map(|d| d.status))
            .unwrap_or(Status::Valid)
    };
    // The one tab stop of the strip: the selected cell, else the first problem, else the first.
    let stop = active
        .filter(|&(c, _)| c == ci)
        .map(|(_, di)| di)
        .or_else(|| (0..chain.digests.len()).find(|&di| worst(di) != Status::Valid))
        .unwrap_or(0);
    let title = chain_title(chain);
    html! {
        <div class="chain">
            <div class="chain-title" id={format!("chain-{ci}")}>{ &title }</div>
            <div class="strip" role="group" aria-labelledby={format!("chain-{ci}")} onkeydown={Callback::from(on_strip_key)}>
                { for chain.digests.iter().enumerate().map(|(di, _)| {
                    let status = worst(di);
                    let text = triage.texts.get(ci).and_then(|t| t.get(di)).cloned().unwrap_or_default();
                    let on_pick = on_pick.clone();
                    let selected = active == Some((ci, di));
                    html! {
                        <button type="button" class={classes!("cell", status_class(status), selected.then_some("selected"))}
                            title={text.clone()} aria-label={text} aria-pressed={selected.to_string()}
                            tabindex={if di == stop { "0" } else { "-1" }}
                            onclick={Callback::from(move |_| on_pick.emit((ci, di)))}></button>
                    }
                }) }
            </div>
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
