//! The search box: the query language of `docs/query.md`, field-name completion in the page,
//! value completion from the worker, and syntax errors shown with a caret at their position.

use std::rc::Rc;

use web_sys::{HtmlInputElement, KeyboardEvent};
use yew::prelude::*;

use super::{next_seq, TimelineAction};
use crate::page::Link;
use crate::protocol::{QueryError, ToWorker};

/// What is being completed.
#[derive(Clone, Debug, PartialEq)]
enum Mode {
    /// Nothing.
    Off,
    /// A field name starting at byte `start`.
    Fields {
        start: usize,
        names: Vec<(&'static str, &'static str)>,
    },
    /// A value of `field` whose term starts at byte `start` (after any `-`).
    Values { start: usize, field: String },
}

/// Properties of [`SearchBox`].
#[derive(Properties, PartialEq)]
pub struct SearchProps {
    /// The input element (shared so `/` can focus it and facets can extend it).
    pub input: NodeRef,
    /// The submitted query.
    pub query: String,
    /// The rejected query text and why.
    pub error: Option<(String, QueryError)>,
    /// Value suggestions from the worker.
    pub suggestions: Rc<Vec<(String, u64)>>,
    /// Requests to the worker.
    pub link: Link,
    /// Records requests.
    pub on_action: Callback<TimelineAction>,
    /// Runs a query.
    pub on_submit: Callback<String>,
}

/// The last term of `text`: its start (after `(` and `-`) and its text.
fn last_term(text: &str) -> (usize, &str) {
    let start = text
        .rfind(|c: char| c.is_whitespace() || c == '(')
        .map_or(0, |i| {
            i + text[i..].chars().next().map_or(1, char::len_utf8)
        });
    let mut term = &text[start..];
    let mut s = start;
    while let Some(rest) = term.strip_prefix('-') {
        term = rest;
        s += 1;
    }
    (s, term)
}

/// A value as the language wants it: bare when safe, quoted otherwise.
fn value_text(value: &str) -> String {
    let bare = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@/:".contains(c))
        && !matches!(value, "AND" | "OR" | "NOT");
    if bare {
        value.to_owned()
    } else {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

fn field_info(name: &str) -> Option<&'static trailproof_events::query::FieldInfo> {
    let n = name.to_ascii_lowercase();
    trailproof_events::query::field_names()
        .iter()
        .find(|f| f.name == n || f.aliases.contains(&n.as_str()))
}

/// The search box.
#[function_component]
pub fn SearchBox(props: &SearchProps) -> Html {
    let mode = use_state(|| Mode::Off);
    let active = use_state(|| None::<usize>);
    // The input is uncontrolled (a `value` prop would overwrite typing on every render); the
    // submitted query is written into it when it changes.
    {
        let input = props.input.clone();
        use_effect_with(props.query.clone(), move |query| {
            if let Some(el) = input.cast::<HtmlInputElement>() {
                if el.value() != *query {
                    el.set_value(query);
                }
            }
        });
    }

    // Decides what to complete from the text before the end.
    let update = {
        let (mode, active, link, on_action) = (
            mode.clone(),
            active.clone(),
            props.link.clone(),
            props.on_action.clone(),
        );
        Rc::new(move |text: &str| {
            active.set(None);
            let (start, term) = last_term(text);
            let next = if term.is_empty() || term.starts_with('"') {
                Mode::Off
            } else if let Some((field, value)) = term.split_once(':') {
                match field_info(field) {
                    Some(info) if !matches!(info.name, "time" | "event_id") => {
                        let seq = next_seq();
                        link.send(ToWorker::Suggest {
                            seq,
                            field: info.name.to_owned(),
                            prefix: value.trim_start_matches('"').to_owned(),
                        });
                        on_action.emit(TimelineAction::Suggesting { seq });
                        Mode::Values {
                            start,
                            field: field.to_owned(),
                        }
                    }
                    _ => Mode::Off,
                }
            } else {
                let lower = term.to_ascii_lowercase();
                let names: Vec<(&'static str, &'static str)> =
                    trailproof_events::query::complete_field(term)
                        .into_iter()
                        .filter(|n| *n != lower)
                        .take(8)
                        .map(|n| (n, field_info(n).map_or("", |f| f.description)))
                        .collect();
                if names.is_empty() {
                    Mode::Off
                } else {
                    Mode::Fields { start, names }
                }
            };
            mode.set(next);
        })
    };

    // The options on screen: (label, detail, replacement for the term).
    let options: Vec<(String, String, String)> = match &*mode {
        Mode::Off => Vec::new(),
        Mode::Fields { names, .. } => names
            .iter()
            .map(|(n, d)| (format!("{n}:"), (*d).to_owned(), format!("{n}:")))
            .collect(),
        Mode::Values { field, .. } => props
            .suggestions
            .iter()
            .map(|(v, n)| {
                (
                    v.clone(),
                    format!("{n} events"),
                    format!("{field}:{} ", value_text(v)),
                )
            })
            .collect(),
    };
    let start = match &*mode {
        Mode::Off => 0,
        Mode::Fields { start, .. } | Mode::Values { start, .. } => *start,
    };

    let accept = {
        let (input, update, mode) = (props.input.clone(), update.clone(), mode.clone());
        let options = options.clone();
        Rc::new(move |i: usize| {
            let (Some(el), Some((_, _, replacement))) =
                (input.cast::<HtmlInputElement>(), options.get(i))
            else {
                return;
            };
            let text = el.value();
            let head = text.get(..start).unwrap_or(&text);
            let next = format!("{head}{replacement}");
            el.set_value(&next);
            let _ = el.focus();
            if replacement.ends_with(':') {
                update(&next);
            } else {
                mode.set(Mode::Off);
            }
        })
    };

    let oninput = {
        let update = update.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(el) = e.target_dyn_into::<HtmlInputElement>() {
                update(&el.value());
            }
        })
    };
    let onkeydown = {
        let (active, mode, accept, n) =
            (active.clone(), mode.clone(), accept.clone(), options.len());
        Callback::from(move |e: KeyboardEvent| {
            let key = e.key();
            match key.as_str() {
                "ArrowDown" | "ArrowUp" if n > 0 => {
                    e.prevent_default();
                    let down = key == "ArrowDown";
                    active.set(Some(match *active {
                        None if down => 0,
                        None => n - 1,
                        Some(i) if down => (i + 1) % n,
                        Some(i) => (i + n - 1) % n,
                    }));
                }
                "Tab" if n > 0 && !e.shift_key() => {
                    e.prevent_default();
                    accept(active.unwrap_or(0));
                }
                "Enter" if n > 0 && active.is_some() => {
                    e.prevent_default();
                    accept(active.unwrap_or(0));
                }
                "Escape" if n > 0 => {
                    e.prevent_default();
                    mode.set(Mode::Off);
                }
                _ => {}
            }
        })
    };
    let onblur = {
        let mode = mode.clone();
        Callback::from(move |_: FocusEvent| mode.set(Mode::Off))
    };
    let onsubmit = {
        let (input, on_submit, mode) = (props.input.clone(), props.on_submit.clone(), mode.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            mode.set(Mode::Off);
            let text = input
                .cast::<HtmlInputElement>()
                .map(|i| i.value())
                .unwrap_or_default();
            on_submit.emit(text.trim().to_owned());
        })
    };

    let open = !options.is_empty();
    let active_id = active
        .filter(|&i| i < options.len())
        .map(|i| format!("suggestion-{i}"));
    html! {
        <>
            <form class="search" onsubmit={onsubmit} role="search" aria-label="Search events">
                <div class="combo">
                    <input ref={props.input.clone()} id="query" type="search" spellcheck="false" autocomplete="off"
                        role="combobox" aria-label="Search events (press / to focus)" aria-autocomplete="list"
                        aria-expanded={open.to_string()} aria-controls="query-suggestions"
                        aria-activedescendant={active_id} aria-invalid={props.error.is_some().to_string()}
                        aria-describedby={props.error.as_ref().map(|_| "query-error")}
                        placeholder="actor:alice action:Delete* -rw:read ip:10.0.0.0/8 time>=2024-05-01"
                        oninput={oninput} onkeydown={onkeydown} onblur={onblur} />
                    if open {
                        <ul id="query-suggestions" class="suggestions" role="listbox" aria-label="Suggestions">
                            { for options.iter().enumerate().map(|(i, (label, detail, _))| {
                                let accept = accept.clone();
                                let onmousedown = Callback::from(move |e: MouseEvent| {
                                    e.prevent_default();
                                    accept(i);
                                });
                                html! {
                                    <li id={format!("suggestion-{i}")} role="option" aria-selected={(*active == Some(i)).to_string()}
                                        class={classes!((*active == Some(i)).then_some("active"))} onmousedown={onmousedown}>
                                        <span class="sugg-label">{ label }</span>
                                        <span class="sugg-detail">{ detail }</span>
                                    </li>
                                }
                            }) }
                        </ul>
                    }
                </div>
                <button class="button" type="submit">{ "Search" }</button>
            </form>
            if let Some((text, e)) = &props.error {
                <QueryCaret text={text.clone()} error={e.clone()} />
            }
        </>
    }
}

/// Properties of [`QueryCaret`].
#[derive(Properties, PartialEq)]
struct CaretProps {
    text: String,
    error: QueryError,
}

/// The rejected query with a caret under the problem.
#[function_component]
fn QueryCaret(props: &CaretProps) -> Html {
    let text = &props.text;
    // The position is a byte offset; the caret goes under that character.
    let mut at = props.error.position.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let column = text[..at].chars().count();
    let caret = format!("{}^", " ".repeat(column));
    html! {
        <div id="query-error" class="query-error" role="alert">
            <pre class="caret-line" aria-hidden="true">{ text }{ "\n" }<span class="caret">{ caret }</span></pre>
            <p class="error">{ format!("Syntax error at character {}: {}", column + 1, props.error.message) }</p>
        </div>
    }
}
