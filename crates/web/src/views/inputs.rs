//! The Inputs tab: every file given, with size and SHA-256, and what each entry was: its
//! events, their integrity, identical copies dropped and conflicting versions kept.

use yew::prelude::*;

use crate::page::{count, human_bytes, integrity_classes, path_text};
use crate::page::{InputRow, Outcome};
use crate::protocol::FileLine;
use crate::views::pager::{self, PAGE};

/// Properties of [`InputsView`].
#[derive(Properties, PartialEq)]
pub struct InputsProps {
    /// The files given.
    pub rows: Vec<InputRow>,
    /// What each file (or archive entry) was found to be.
    pub files: Vec<FileLine>,
}

/// Inputs with their hashes, then the entries read from them.
#[function_component]
pub fn InputsView(props: &InputsProps) -> Html {
    // Rows drawn of each table (a page at first, more on request).
    let (rows_limit, files_limit) = (use_state_eq(|| PAGE), use_state_eq(|| PAGE));
    let more = |limit: &UseStateHandle<usize>| {
        let limit = limit.clone();
        Callback::from(move |_: MouseEvent| limit.set(*limit + PAGE))
    };
    let (rows_shown, files_shown) = (
        pager::shown(*rows_limit, props.rows.len()),
        pager::shown(*files_limit, props.files.len()),
    );
    html! {
        <section class="inputs">
            <h2>{ "Inputs" }</h2>
            <div class="table-scroll" tabindex="0" role="region" aria-label="Inputs">
            <table id="files" class="files paths stack">
                <thead><tr><th scope="col">{ "File" }</th><th scope="col" class="num">{ "Size" }</th><th scope="col">{ "SHA-256" }</th></tr></thead>
                <tbody>
                    { for props.rows[..rows_shown].iter().map(|row| html! {
                        <tr>
                            <td class="path" data-label="File">{ path_text(&row.path) }</td>
                            <td class="num" data-label="Size">{ row.size.map(human_bytes).unwrap_or_default() }</td>
                            { match &row.outcome {
                                Outcome::Pending => html! { <td class="muted" data-label="SHA-256">{ "…" }</td> },
                                Outcome::Hashed(h) => html! { <td class="hash" data-label="SHA-256"><code title={h.clone()}>{ h }</code></td> },
                                Outcome::Failed(m) => html! { <td class="error" data-label="SHA-256">{ format!("unreadable: {m}") }</td> },
                                Outcome::Cancelled => html! { <td class="muted" data-label="SHA-256">{ "cancelled" }</td> },
                            }}
                        </tr>
                    }) }
                </tbody>
            </table>
            </div>
            { pager::more("files", "files", rows_shown, props.rows.len(), more(&rows_limit)) }
            if !props.files.is_empty() {
                <h3>{ "Files read" }</h3>
                <div class="table-scroll" tabindex="0" role="region" aria-label="Files read">
                <table id="entries" class="files paths stack">
                    <thead><tr><th scope="col">{ "Path" }</th><th scope="col">{ "Recognised as" }</th>
                        <th scope="col" class="num">{ "Size" }</th><th scope="col" class="num">{ "Events" }</th>
                        <th scope="col">{ "Integrity" }</th>
                        <th scope="col" class="num"><abbr title="Identical copies of events already read from another file, dropped">{ "Duplicates dropped" }</abbr></th>
                        <th scope="col" class="num"><abbr title="Events whose record conflicts with another record of the same event ID; kept">{ "Conflicts kept" }</abbr></th>
                        <th scope="col">{ "Problems" }</th></tr></thead>
                    <tbody>
                        { for props.files[..files_shown].iter().map(|f| html! {
                            <tr>
                                <td class="path" data-label="Path">{ path_text(&f.path) }</td>
                                <td class="kind" data-label="Recognised as" title={f.kind.clone()}>{ &f.kind }</td>
                                <td class="num" data-label="Size">{ human_bytes(f.stored) }</td>
                                <td class="num" data-label="Events">{ count(f.events) }</td>
                                <td class={integrity_classes(&f.integrity)} data-label="Integrity">{ &f.integrity }</td>
                                <td class="num" data-label="Duplicates dropped">{ count(f.duplicates) }</td>
                                <td class={classes!("num", (f.conflicts > 0).then_some("conflicts"))} data-label="Conflicts kept">{ count(f.conflicts) }</td>
                                <td class="error" data-label="Problems">{ for f.problems.iter().map(|p| html! { <div>{ p }</div> }) }</td>
                            </tr>
                        }) }
                    </tbody>
                </table></div>
                { pager::more("entries", "files read", files_shown, props.files.len(), more(&files_limit)) }
            }
        </section>
    }
}
