//! Events over time as SVG bars (errors stacked in another colour). Drag across bars to
//! select a time range; click one bar to zoom to it.
//!
//! Geometry is in SVG attributes (`x`, `y`, `width`, `height`): the page's policy blocks
//! inline styles.

use web_sys::Element;
use yew::prelude::*;

use super::tz;
use crate::page::count;
use crate::protocol::Histogram;

/// Properties of [`HistogramView`].
#[derive(Properties, PartialEq)]
pub struct HistogramProps {
    /// Counts per bucket.
    pub histogram: Histogram,
    /// The current range, if any.
    pub range: Option<(i64, i64)>,
    /// Display zone.
    pub zone: String,
    /// Called with the range the user picks.
    pub on_range: Callback<Option<(i64, i64)>>,
}

fn human_ms(ms: i64) -> String {
    const UNITS: &[(i64, &str)] = &[
        (365 * 86_400_000, "year"),
        (7 * 86_400_000, "week"),
        (86_400_000, "day"),
        (3_600_000, "hour"),
        (60_000, "minute"),
        (1_000, "second"),
    ];
    for &(unit, name) in UNITS {
        if ms >= unit && ms % unit == 0 {
            let n = ms / unit;
            return if n == 1 {
                format!("1 {name}")
            } else {
                format!("{n} {name}s")
            };
        }
    }
    format!("{ms} ms")
}

/// The histogram.
#[function_component]
pub fn HistogramView(props: &HistogramProps) -> Html {
    let svg = use_node_ref();
    // Anchor and current bucket of a drag: in a ref for the handlers (events can arrive
    // before a re-render), in state for the overlay.
    let drag = use_state(|| None::<(usize, usize)>);
    let dragging = use_mut_ref(|| None::<(usize, usize)>);
    let h = &props.histogram;
    let n = h.counts.len();
    if n == 0 {
        return html! { <div id="histogram" class="histogram empty muted">{ "No events in this selection." }</div> };
    }
    let max = h.counts.iter().copied().max().unwrap_or(1).max(1) as f64;

    let bucket_at = {
        let svg = svg.clone();
        move |e: &MouseEvent| -> Option<usize> {
            let el = svg.cast::<Element>()?;
            let r = el.get_bounding_client_rect();
            if r.width() <= 0.0 {
                return None;
            }
            let x = (e.client_x() as f64 - r.left()) / r.width();
            Some(((x * n as f64).floor().max(0.0) as usize).min(n - 1))
        }
    };
    let onmousedown = {
        let (drag, dragging, bucket_at) = (drag.clone(), dragging.clone(), bucket_at.clone());
        Callback::from(move |e: MouseEvent| {
            if e.button() == 0 {
                e.prevent_default();
                if let Some(i) = bucket_at(&e) {
                    *dragging.borrow_mut() = Some((i, i));
                    drag.set(Some((i, i)));
                }
            }
        })
    };
    let onmousemove = {
        let (drag, dragging, bucket_at) = (drag.clone(), dragging.clone(), bucket_at.clone());
        Callback::from(move |e: MouseEvent| {
            let current = *dragging.borrow();
            if let (Some((a, b)), Some(i)) = (current, bucket_at(&e)) {
                if i != b {
                    *dragging.borrow_mut() = Some((a, i));
                    drag.set(Some((a, i)));
                }
            }
        })
    };
    let onmouseup = {
        let (drag, dragging, on_range, start, width) = (
            drag.clone(),
            dragging.clone(),
            props.on_range.clone(),
            h.start_ms,
            h.bucket_ms,
        );
        Callback::from(move |_: MouseEvent| {
            let current = dragging.borrow_mut().take();
            if let Some((a, b)) = current {
                let (lo, hi) = (a.min(b) as i64, a.max(b) as i64);
                on_range.emit(Some((start + lo * width, start + (hi + 1) * width)));
            }
            drag.set(None);
        })
    };
    let onmouseleave = {
        let (drag, dragging) = (drag.clone(), dragging.clone());
        Callback::from(move |_: MouseEvent| {
            dragging.borrow_mut().take();
            drag.set(None)
        })
    };

    let zone = &props.zone;
    let end_ms = h.start_ms + n as i64 * h.bucket_ms;
    let total: u64 = h.counts.iter().map(|&c| c as u64).sum();
    let errors: u64 = h.errors.iter().map(|&c| c as u64).sum();
    let (total, errors) = (crate::triage::count(total), crate::triage::count(errors));
    let label = format!(
        "Events over time: {total} events, {errors} API errors, {n} bars of {} each, from {} to {}. Drag to select a time range.",
        human_ms(h.bucket_ms),
        tz::labelled(h.start_ms, zone),
        tz::labelled(end_ms, zone)
    );
    html! {
        <figure id="histogram" class="histogram">
            <svg ref={svg} class="hist" viewBox={format!("0 0 {n} 100")} preserveAspectRatio="none"
                width="100%" height="96" role="img" aria-label={label}
                onmousedown={onmousedown} onmousemove={onmousemove} onmouseup={onmouseup} onmouseleave={onmouseleave}>
                { for h.counts.iter().enumerate().map(|(i, &c)| {
                    let e = h.errors.get(i).copied().unwrap_or(0);
                    let bh = c as f64 / max * 96.0;
                    let eh = e as f64 / max * 96.0;
                    let t0 = h.start_ms + i as i64 * h.bucket_ms;
                    html! {
                        <g class="bucket" data-bucket={i.to_string()}>
                            <title>{ format!("{}: {} events, {} API errors", tz::labelled(t0, zone), crate::triage::count(u64::from(c)), crate::triage::count(u64::from(e))) }</title>
                            <rect class="hit" x={i.to_string()} y="0" width="1" height="100" />
                            if c > 0 {
                                <rect class="bar" x={format!("{}", i as f64 + 0.1)} y={format!("{:.3}", 100.0 - bh)}
                                    width="0.8" height={format!("{:.3}", bh.max(0.8))} />
                            }
                            if e > 0 {
                                <rect class="bar-err" x={format!("{}", i as f64 + 0.1)} y={format!("{:.3}", 100.0 - eh)}
                                    width="0.8" height={format!("{:.3}", eh.max(0.8))} />
                            }
                        </g>
                    }
                }) }
                if let Some((a, b)) = *drag {
                    <rect class="sel" x={a.min(b).to_string()} y="0" width={(a.max(b) - a.min(b) + 1).to_string()} height="100" />
                }
            </svg>
            <figcaption class="hist-axis">
                <span>{ tz::labelled(h.start_ms, zone) }</span>
                <span class="muted">{ format!("one bar = {} · tallest {} · drag to select · click a bar to zoom",
                    human_ms(h.bucket_ms), count(max as u64)) }
                    <span class="legend-ok">{ " ■ events" }</span><span class="legend-err">{ " ■ API errors" }</span></span>
                <span>{ tz::labelled(end_ms, zone) }</span>
            </figcaption>
        </figure>
    }
}
