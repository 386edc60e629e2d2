//! Long file tables draw a page of rows at first and more on request: a many-small-files
//! export lists 6,049 files, and drawing every row cost the page a render of tens of
//! thousands of nodes on each summary, filter change and tab switch. The rows left out are
//! still counted, and one button (a real `<button>`, announced with the counts) draws the
//! next page; the table keeps its semantics and its phone layout (`table.stack`).

use yew::prelude::*;

use crate::page::count;

/// Rows a file table draws at first, and how many more each press of "Show more" adds.
pub const PAGE: usize = 200;

/// Rows to draw of `total` when `limit` are asked for.
pub fn shown(limit: usize, total: usize) -> usize {
    limit.min(total)
}

/// The line under a table whose rows are cut: how many are shown and a button for the next
/// page (ids `{id}-more` on the line and the button). Nothing when every row is drawn.
pub fn more(
    id: &str,
    what: &str,
    limit: usize,
    total: usize,
    on_more: Callback<MouseEvent>,
) -> Html {
    if limit >= total {
        return Html::default();
    }
    let next = PAGE.min(total - limit);
    html! {
        <p id={format!("{id}-more")} class="more-rows muted">
            { format!("Showing {} of {} {what}. ", count(limit as u64), count(total as u64)) }
            <button id={format!("{id}-more-button")} class="chip" onclick={on_more}>
                { format!("Show {} more", count(next as u64)) }
            </button>
        </p>
    }
}
