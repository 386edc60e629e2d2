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
use crate::page::Link;
use crate::protocol::ToWorker;

/// Row height in CSS pixels (matches `.vt-row` in `style.css`).
pub const ROW_PX: f64 = 28.0;
/// Rows rendered above and below the visible ones.
const OVERSCAN: u64 = 12;
/// Largest scrollable height used: browsers cap element heights (Chromium near 33.5 M px,
/// Firefox near 17.9 M px). Beyond it, a jump (scrollbar drag, Home/End) maps proportionally
/// onto rows, while small steps (wheel, arrows) move the rows one pixel per pixel, so every
/// row stays reachable at any size.
pub const MAX_PX: f64 = 8_000_000.0;

/// The scroll state: where the viewport is among all rows, and in the scroll container.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct View {
    /// Top of the viewport in row pixels (position × [`ROW_PX`]).
    virt_top: f64,
    /// The container's `scrollTop` it corresponds to.
    scroll_top: f64,
    /// The container's height.
    viewport: f64,
}

/// Sizes for `total` rows.
struct Space {
    /// Height of all rows.
    virt: f64,
    /// Height of the sizer.
    height: f64,
    /// Largest `virt_top`.
    virt_room: f64,
    /// Largest `scrollTop`.
    room: f64,
}

impl Space {
    fn new(total: u64, viewport: f64) -> Space {
        let virt = total as f64 * ROW_PX;
        let height = virt.min(MAX_PX);
        Space {
            virt,
            height,
            virt_room: (virt - viewport).max(0.0),
            room: (height - viewport).max(0.0),
        }
    }

    fn scaled(&self) -> bool {
        self.virt > self.height
    }

    /// The `scrollTop` for a viewport at `virt_top`.
    fn scroll_for(&self, virt_top: f64) -> f64 {
        if !self.scaled() || self.virt_room <= 0.0 {
            virt_top.min(self.room)
        } else {
            virt_top / self.virt_room * self.room
        }
    }
}

impl View {
    /// The view after the container scrolled to `scroll_top`.
    fn scrolled(self, total: u64, scroll_top: f64, viewport: f64) -> View {
        let space = Space::new(total, viewport);
        let st = scroll_top.clamp(0.0, space.room);
        let virt_top = if !space.scaled() {
            st
        } else if st <= 0.5 {
            0.0
        } else if st >= space.room - 0.5 {
            space.virt_room
        } else {
            let step = st - self.scroll_top;
            if self.viewport > 0.0 && step.abs() <= viewport {
                (self.virt_top + step).clamp(0.0, space.virt_room)
            } else {
                st / space.room * space.virt_room
            }
        };
        View {
            virt_top,
            scroll_top: st,
            viewport,
        }
    }

    /// The view that brings `pos` into sight, if it is not.
    fn reveal(self, total: u64, pos: u64) -> Option<View> {
        let space = Space::new(total, self.viewport);
        let row_top = pos as f64 * ROW_PX;
        let virt_top = if row_top < self.virt_top {
            row_top
        } else if row_top + ROW_PX > self.virt_top + self.viewport {
            row_top + ROW_PX - self.viewport
        } else {
            return None;
        }
        .clamp(0.0, space.virt_room);
        Some(View {
            virt_top,
            scroll_top: space.scroll_for(virt_top).round(),
            viewport: self.viewport,
        })
    }
}

/// Where rows are for a view.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Geometry {
    /// First rendered position.
    first: u64,
    /// One past the last rendered position.
    last: u64,
    /// Height of the sizer.
    height: f64,
    /// Offset of the row block in the container.
    block_top: f64,
}

impl Geometry {
    fn new(total: u64, view: View) -> Geometry {
        let viewport = view.viewport.max(ROW_PX);
        let space = Space::new(total, viewport);
        let virt_top = view.virt_top.clamp(0.0, space.virt_room);
        let first = ((virt_top / ROW_PX).floor() as u64)
            .saturating_sub(OVERSCAN)
            .min(total);
        let last = (((virt_top + viewport) / ROW_PX).ceil() as u64 + OVERSCAN).min(total);
        Geometry {
            first,
            last,
            height: space.height,
            block_top: view.scroll_top - (virt_top - first as f64 * ROW_PX),
        }
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
    // The scroll state: in a ref for the handlers (several scroll events can arrive between
    // renders), in state for rendering.
    let view_ref = use_mut_ref(|| View {
        viewport: 600.0,
        ..View::default()
    });
    let view = use_state(|| *view_ref.borrow());
    let requested = use_mut_ref(|| (0u32, HashSet::<u32>::new()));
    let total = props.total;
    let g = Geometry::new(total, *view);
    let cols = columns(props.columns);

    // Grid tracks for the chosen columns.
    {
        let table = table.clone();
        let tracks = cols.iter().map(|c| c.track()).collect::<Vec<_>>().join(" ");
        // Below this width the table scrolls sideways instead of squeezing columns (the
        // extra rem is the vertical scrollbar's gutter).
        let min: f64 = cols.iter().map(|c| c.size().0).sum::<f64>() + 1.0;
        use_effect_with((tracks, min.to_string()), move |(tracks, min)| {
            set_px(&table, "--vt-cols", tracks);
            set_px(&table, "--vt-min", &format!("{min}rem"));
        });
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
        let (scroll, view, view_ref) = (scroll.clone(), view.clone(), view_ref.clone());
        use_effect_with(props.query_seq, move |_| {
            if let Some(el) = scroll.cast::<Element>() {
                el.set_scroll_top(0);
                let v = View {
                    viewport: el.client_height() as f64,
                    ..View::default()
                };
                *view_ref.borrow_mut() = v;
                view.set(v);
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
        let (scroll, view, view_ref) = (scroll.clone(), view.clone(), view_ref.clone());
        use_effect_with(props.selected, move |selected| {
            if let (Some(p), Some(el)) = (*selected, scroll.cast::<Element>()) {
                let current = View {
                    viewport: el.client_height() as f64,
                    ..*view_ref.borrow()
                };
                if let Some(v) = current.reveal(total, p) {
                    // Recorded first, so the scroll event this causes is a step of zero.
                    *view_ref.borrow_mut() = v;
                    el.set_scroll_top(v.scroll_top as i32);
                    view.set(v);
                }
            }
        });
    }

    let onscroll = {
        let (scroll, view, view_ref) = (scroll.clone(), view.clone(), view_ref.clone());
        Callback::from(move |_: Event| {
            if let Some(el) = scroll.cast::<Element>() {
                let v = view_ref.borrow().scrolled(
                    total,
                    el.scroll_top() as f64,
                    el.client_height() as f64,
                );
                *view_ref.borrow_mut() = v;
                view.set(v);
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
                        { for cols.iter().map(|c| {
                            // Cells are cut with an ellipsis: the full value is the tooltip.
                            let text = c.text(r, zone);
                            html! { <div role="gridcell" class={c.cell_classes(r)} title={text.clone()}>{ text }</div> }
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
