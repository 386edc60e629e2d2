//! Analysis settings, shared by the Compliance and Findings tabs: expected regions, a custom
//! retention requirement, allow-lists, and which rules run. Applying them re-runs the analysis
//! in the worker.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::draft::{on_text, use_draft};
use crate::page::Link;
use crate::protocol::{AnalysisSettings, AnalysisView, ToWorker};

/// Properties of [`SettingsForm`].
#[derive(Properties, PartialEq)]
pub struct SettingsProps {
    /// The current analysis (its settings and rule list fill the form).
    pub analysis: AnalysisView,
    /// Requests to the worker.
    pub link: Link,
}

fn list(text: &str) -> Vec<String> {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A collapsible form; submitting it re-runs the analysis. Each field is a draft, so what is
/// typed survives the page rendering again before Apply.
#[function_component]
pub fn SettingsForm(props: &SettingsProps) -> Html {
    let s = &props.analysis.settings;
    let regions = use_draft(s.expected_regions.join(", "));
    let days = use_draft(s.custom_days.map(|d| d.to_string()).unwrap_or_default());
    let actors = use_draft(s.allow_actors.join(", "));
    let ips = use_draft(s.allow_ips.join(", "));
    let disabled = use_draft(
        props
            .analysis
            .rules
            .iter()
            .filter(|(_, _, enabled)| !enabled)
            .map(|(id, _, _)| id.clone())
            .collect::<Vec<String>>(),
    );
    let toggle = |id: &str| {
        let (disabled, id) = (disabled.clone(), id.to_owned());
        Callback::from(move |e: Event| {
            let on = e
                .target_dyn_into::<HtmlInputElement>()
                .is_some_and(|i| i.checked());
            let mut next: Vec<String> = disabled.iter().filter(|d| **d != id).cloned().collect();
            if !on {
                next.push(id.clone());
            }
            disabled.set(next);
        })
    };
    let onsubmit = {
        let link = props.link.clone();
        // Disabled rules in the rule list's order, as before a draft held them.
        let rules: Vec<String> = props
            .analysis
            .rules
            .iter()
            .map(|(id, _, _)| id.clone())
            .collect();
        let (regions, days, actors, ips, disabled) = (
            regions.clone(),
            days.clone(),
            actors.clone(),
            ips.clone(),
            disabled.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let settings = AnalysisSettings {
                expected_regions: list(&regions),
                custom_days: days.trim().parse().ok(),
                allow_actors: list(&actors),
                allow_ips: list(&ips),
                disabled: rules
                    .iter()
                    .filter(|id| disabled.contains(id))
                    .cloned()
                    .collect(),
            };
            link.send(ToWorker::Analyze { seq: 0, settings });
        })
    };
    html! {
        <details class="settings">
            <summary>{ "Analysis settings: expected regions, retention, allow-lists, rules" }</summary>
            <form id="analysis-settings" {onsubmit}>
                <label>{ "Expected regions (comma-separated)" }
                    <input name="regions" type="text" value={(*regions).clone()} oninput={on_text(&regions)} placeholder="cn-hangzhou, cn-shanghai" />
                </label>
                <label>{ "Custom retention requirement (days)" }
                    <input name="days" type="number" min="1" value={(*days).clone()} oninput={on_text(&days)} />
                </label>
                <label>{ "Allow-listed actors (their events are not checked)" }
                    <input name="actors" type="text" value={(*actors).clone()} oninput={on_text(&actors)} />
                </label>
                <label>{ "Allow-listed addresses or CIDR ranges" }
                    <input name="ips" type="text" value={(*ips).clone()} oninput={on_text(&ips)} placeholder="10.0.0.0/8, 192.0.2.10" />
                </label>
                <fieldset>
                    <legend>{ "Rules" }</legend>
                    { for props.analysis.rules.iter().map(|(id, title, _)| html! {
                        <label class="rule">
                            <input type="checkbox" name={format!("rule-{id}")} checked={!disabled.contains(id)}
                                onchange={toggle(id)} />
                            { format!(" {title} ") }<code class="muted">{ id }</code>
                        </label>
                    }) }
                </fieldset>
                <button id="apply-settings" class="button" type="submit">{ "Apply" }</button>
            </form>
        </details>
    }
}
