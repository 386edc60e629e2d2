//! The virtualized event table.
//!
//! Rows have a fixed height. A scroll container holds a sizer as tall as all rows (capped, see
//! [`MAX_PX`]) and one absolutely positioned block with the visible rows (plus overscan).
//! Sizes and the block's offset are set through the CSSOM — the policy blocks `style`
//! attributes, not `element.style`. Rows come from the worker in windows of [`WINDOW`] as
//! they scroll into view.

use std::collections::HashSet;

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};
use yew::prelude::*;

use super::{columns, next_seq, open_detail, Col, TimelineAction, Windows, WINDOW};
use crate::app::Link;
use crate::protocol::ToWorker;

/// Row height in CSS pixels (matches `.vt-row` in `style.css`).
pub const ROW_PX: f64 = 28.0;
/// Rows rendered above and below the visible ones.
const OVERSCAN: u64 = 12;
/// Largest scrollable height used: browsers cap element heights (Chromium near 33.5 M px,
/// Firefox near 17.9 M px). Beyond it, scrolling maps proportionally onto rows.
pub const MAX_PX: f64 = 8_000_000.0;

/// Where rows are for a scroll position.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Geometry {
    /// First rendered position.
    first: u64,
    /// One past the last rendered position.
    last: u64,
    /// Height of the sizer.
    height: f64,
    /// Offset of the row block.
    block_top: f64,
    /// Top of the viewport in row pixels (unscaled).
    virt_top: f64,
}

impl Geometry {
    fn new(total: u64, scroll_top: f64, viewport: f64) -> Geometry {
        let virt = total as f64 * ROW_PX;
        let height = virt.min(MAX_PX);
        let viewport = viewport.max(ROW_PX);
        let room = (height - viewport).max(0.0);
        let scroll_top = scroll_top.clamp(0.0, room);
        let frac = if room > 0.0 { scroll_top / room } else { 0.0 };
        let virt_top = frac * (virt - viewport).max(0.0);
        let first = ((virt_top / ROW_PX).floor() as u64).saturating_sub(OVERSCAN);
        let last = (((virt_top + viewport) / ROW_PX).ceil() as u64 + OVERSCAN).min(total);
        Geometry {
            first: first.min(total),
            last,
            height,
            block_top: scroll_top - (virt_top - first as f64 * ROW_PX),
            virt_top,
        }
    }

    /// The scroll position that brings `pos` into view, if it is not.
    fn reveal(total: u64, scroll_top: f64, viewport: f64, pos: u64) -> Option<f64> {
        let g = Geometry::new(total, scroll_top, viewport);
        let virt = total as f64 * ROW_PX;
        let row_top = pos as f64 * ROW_PX;
        let target = if row_top < g.virt_top {
            row_top
        } else if row_top + ROW_PX > g.virt_top + viewport {
            row_top + ROW_PX - viewport
        } else {
            return None;
        };
        let room = (g.height - viewport).max(0.0);
        let span = (virt - viewport).max(1.0);
        Some((target / span * room).clamp(0.0, room))
    }
}

/// Properties of [`EventTable`].
#[derive(Properties, PartialEq)]
pub struct TableProps {
    /// Events in the selection.
    pub total: u64,
    /// Loaded rows.
    pub windows: Windows,
    /// The selection's query sequence number.
    pub query_seq: u32,
    /// Visible columns.
    pub columns: u16,
    /// Display zone.
    pub zone: String,
    /// Selected position.
    pub selected: Option<u64>,
    /// Store row open in detail.
    pub detail_row: Option<u32>,
    /// Requests to the worker.
    pub link: Link,
    /// Records what was requested.
    pub on_action: Callback<TimelineAction>,
}

fn set_px(node: &NodeRef, property: &str, value: &str) {
    if let Some(el) = node.cast::<HtmlElement>() {
        let _ = el.style().set_property(property, value);
    }
}

/// The table.
#[function_component]
pub fn EventTable(props: &TableProps) -> Html {
    let scroll = use_node_ref();
    let sizer = use_node_ref();
    let block = use_node_ref();
    let table = use_node_ref();
    // Scroll top and viewport height, as last measured.
    let pos = use_state(|| (0.0f64, 600.0f64));
    let requested = use_mut_ref(|| (0u32, HashSet::<u32>::new()));
    let total = props.total;
    let g = Geometry::new(total, pos.0, pos.1);
    let cols = columns(props.columns);

    // Grid tracks for the chosen columns.
    {
        let table = table.clone();
        let tracks = cols.iter().map(|c| c.track()).collect::<Vec<_>>().join(" ");
        use_effect_with(tracks, move |tracks| set_px(&table, "--vt-cols", tracks));
    }
    // Sizer height and block offset.
    {
        let (sizer, block) = (sizer.clone(), block.clone());
        use_effect_with(
            (g.height as i64, (g.block_top * 4.0).round() as i64),
            move |&(h, top)| {
                set_px(&sizer, "height", &format!("{h}px"));
                set_px(
                    &block,
                    "transform",
                    &format!("translateY({}px)", top as f64 / 4.0),
                );
            },
        );
    }
    // Measure the viewport once mounted; start at the top for every new selection.
    {
        let (scroll, pos) = (scroll.clone(), pos.clone());
        use_effect_with(props.query_seq, move |_| {
            if let Some(el) = scroll.cast::<Element>() {
                el.set_scroll_top(0);
                pos.set((0.0, el.client_height() as f64));
            }
        });
    }
    // Fetch the windows the rendered rows need.
    {
        let (link, requested, windows, seq) = (
            props.link.clone(),
            requested.clone(),
            props.windows.clone(),
            props.query_seq,
        );
        use_effect_with(
            (seq, g.first, g.last, windows.clone()),
            move |&(seq, first, last, _)| {
                let mut req = requested.borrow_mut();
                if req.0 != seq {
                    *req = (seq, HashSet::new());
                }
                req.1.retain(|w| !windows.0.contains_key(w));
                if last > first {
                    let (a, b) = (first / WINDOW as u64, (last - 1) / WINDOW as u64);
                    for w in a..=b {
                        let Ok(w) = u32::try_from(w) else { break };
                        if !windows.0.contains_key(&w) && req.1.insert(w) {
                            link.send(ToWorker::Rows {
                                seq: next_seq(),
                                offset: w.saturating_mul(WINDOW),
                                limit: WINDOW,
                            });
                        }
                    }
                }
            },
        );
    }
    // Keep the selected row in view.
    {
        let (scroll, pos) = (scroll.clone(), pos.clone());
        use_effect_with(props.selected, move |selected| {
            if let (Some(p), Some(el)) = (*selected, scroll.cast::<Element>()) {
                let viewport = el.client_height() as f64;
                if let Some(top) = Geometry::reveal(total, el.scroll_top() as f64, viewport, p) {
                    el.set_scroll_top(top.round() as i32);
                    pos.set((el.scroll_top() as f64, viewport));
                }
            }
        });
    }

    let onscroll = {
        let (scroll, pos) = (scroll.clone(), pos.clone());
        Callback::from(move |_: Event| {
            if let Some(el) = scroll.cast::<Element>() {
                pos.set((el.scroll_top() as f64, el.client_height() as f64));
            }
        })
    };
    // One click handler for all rows: the row's position is in `data-pos`.
    let onclick = {
        let (link, on_action, windows, scroll) = (
            props.link.clone(),
            props.on_action.clone(),
            props.windows.clone(),
            scroll.clone(),
        );
        Callback::from(move |e: MouseEvent| {
            let pos = e
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .and_then(|t| t.closest("[data-pos]").ok().flatten())
                .and_then(|r| r.get_attribute("data-pos"))
                .and_then(|p| p.parse::<u64>().ok());
            if let Some(pos) = pos {
                open_detail(&link, &on_action, &windows, pos);
                if let Some(el) = scroll.cast::<HtmlElement>() {
                    let _ = el.focus();
                }
            }
        })
    };

    let zone = &props.zone;
    let header = html! {
        <div class="vt-row vt-header" role="row" aria-rowindex="1">
            { for cols.iter().map(|c| html! {
                <div role="columnheader" class={classes!("vt-cell", format!("c-{}", c.id()))}>
                    { if *c == Col::Time { format!("Time ({zone})") } else { c.label().to_owned() } }
                </div>
            }) }
        </div>
    };
    let rows = (g.first..g.last).map(|p| {
        let selected = props.selected == Some(p);
        match props.windows.row(p) {
            Some(r) => {
                let open = props.detail_row == Some(r.row);
                html! {
                    <div role="row" class={classes!("vt-row", "event", (!r.error.is_empty()).then_some("failed"),
                            selected.then_some("selected"), open.then_some("open"))}
                        aria-rowindex={(p + 2).to_string()} aria-selected={selected.to_string()} data-pos={p.to_string()}>
                        { for cols.iter().map(|c| html! {
                            <div role="gridcell" class={classes!("vt-cell", format!("c-{}", c.id()))}>{ c.text(r, zone) }</div>
                        }) }
                    </div>
                }
            }
            None => html! {
                <div role="row" class={classes!("vt-row", "pending", selected.then_some("selected"))}
                    aria-rowindex={(p + 2).to_string()} data-pos={p.to_string()}>
                    <div role="gridcell" class="vt-cell">{ "…" }</div>
                </div>
            },
        }
    });
    let active = props.selected.map(|p| format!("{p}"));
    html! {
        <div id="events" ref={table} class="vt" role="grid" aria-readonly="true" aria-label="Events"
            aria-rowcount={(total + 1).to_string()}>
            <div class="vt-head" role="rowgroup">{ header }</div>
            <div id="event-scroll" ref={scroll} class="vt-scroll" role="rowgroup" tabindex="0"
                aria-label="Event rows: j and k move, Enter opens details" data-selected={active}
                onscroll={onscroll} onclick={onclick}>
                <div ref={sizer} class="vt-sizer"></div>
                <div ref={block} class="vt-block">{ for rows }</div>
                if total == 0 {
                    <p class="vt-empty muted">{ "No events match." }</p>
                }
            </div>
        </div>
    }
}
