//! Top values per field; click filters, alt-click (or the ⊘ button) excludes.

use yew::prelude::*;

use crate::page::{count, integrity_classes};
use crate::protocol::Facet;

/// Properties of [`FacetPanel`].
#[derive(Properties, PartialEq)]
pub struct FacetProps {
    /// The selection's facets.
    pub facets: Vec<Facet>,
    /// Called with (field, value, exclude).
    pub on_filter: Callback<(String, String, bool)>,
}

fn title(field: &str) -> &str {
    match field {
        "tag" => "Tags",
        "integrity" => "Integrity",
        "actor" => "Actor",
        "action" => "Action",
        "service" => "Service",
        "region" => "Region",
        "ip" => "Source IP",
        "outcome" => "Outcome",
        "rw" => "Read / write",
        "provider" => "Provider",
        "account" => "Account",
        other => other,
    }
}

/// The panel.
#[function_component]
pub fn FacetPanel(props: &FacetProps) -> Html {
    html! {
        <aside id="facets" class="facets" aria-label="Facets: click a value to filter, Alt-click to exclude">
            { for props.facets.iter().filter(|f| !f.values.is_empty()).map(|f| {
                let name = title(&f.field);
                html! {
                    <section class="facet" data-field={f.field.clone()}>
                        <h3>{ name }</h3>
                        <ul>
                            { for f.values.iter().map(|(value, n)| {
                                let include = {
                                    let (on_filter, field, value) = (props.on_filter.clone(), f.field.clone(), value.clone());
                                    Callback::from(move |e: MouseEvent| on_filter.emit((field.clone(), value.clone(), e.alt_key())))
                                };
                                let exclude = {
                                    let (on_filter, field, value) = (props.on_filter.clone(), f.field.clone(), value.clone());
                                    Callback::from(move |_: MouseEvent| on_filter.emit((field.clone(), value.clone(), true)))
                                };
                                html! {
                                    <li>
                                        <button class="facet-value" onclick={include}
                                            aria-label={format!("Filter {name} = {value}, {} events", count(*n))} title={value.clone()}>
                                            // The name holds the visible words in their order (value, count), with the
                                            // space between them, so speech input can say what it sees.
                                            <span class={classes!("facet-text", (f.field == "integrity").then(|| integrity_classes(value)))}>{ value }</span>
                                            { " " }<span class="facet-count">{ count(*n) }</span>
                                        </button>
                                        <button class="facet-exclude" onclick={exclude} title="Exclude"
                                            aria-label={format!("Exclude {name} = {value}")}>{ "⊘" }</button>
                                    </li>
                                }
                            }) }
                        </ul>
                    </section>
                }
            }) }
        </aside>
    }
}
