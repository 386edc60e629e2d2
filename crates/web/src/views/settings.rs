//! Analysis settings, shared by the Compliance and Findings tabs: expected regions, a custom
//! retention requirement, allow-lists, and which rules run. Applying them re-runs the analysis
//! in the worker.

use wasm_bindgen::JsCast;
use web_sys::{HtmlFormElement, HtmlInputElement};
use yew::prelude::*;

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

fn field(form: &HtmlFormElement, name: &str) -> Option<HtmlInputElement> {
    form.query_selector(&format!("[name={name}]"))
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into().ok())
}

/// A collapsible form; submitting it re-runs the analysis.
#[function_component]
pub fn SettingsForm(props: &SettingsProps) -> Html {
    let s = &props.analysis.settings;
    let onsubmit = {
        let link = props.link.clone();
        let rules: Vec<String> = props
            .analysis
            .rules
            .iter()
            .map(|(id, _, _)| id.clone())
            .collect();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(form) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlFormElement>().ok())
            else {
                return;
            };
            let text = |name: &str| field(&form, name).map(|i| i.value()).unwrap_or_default();
            let settings = AnalysisSettings {
                expected_regions: list(&text("regions")),
                custom_days: text("days").trim().parse().ok(),
                allow_actors: list(&text("actors")),
                allow_ips: list(&text("ips")),
                disabled: rules
                    .iter()
                    .filter(|id| !field(&form, &format!("rule-{id}")).is_some_and(|i| i.checked()))
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
                    <input name="regions" type="text" value={s.expected_regions.join(", ")} placeholder="cn-hangzhou, cn-shanghai" />
                </label>
                <label>{ "Custom retention requirement (days)" }
                    <input name="days" type="number" min="1" value={s.custom_days.map(|d| d.to_string()).unwrap_or_default()} />
                </label>
                <label>{ "Allow-listed actors (their events are not checked)" }
                    <input name="actors" type="text" value={s.allow_actors.join(", ")} />
                </label>
                <label>{ "Allow-listed addresses or CIDR ranges" }
                    <input name="ips" type="text" value={s.allow_ips.join(", ")} placeholder="10.0.0.0/8, 192.0.2.10" />
                </label>
                <fieldset>
                    <legend>{ "Rules" }</legend>
                    { for props.analysis.rules.iter().map(|(id, title, enabled)| html! {
                        <label class="rule">
                            <input type="checkbox" name={format!("rule-{id}")} checked={*enabled} />
                            { format!(" {title} ") }<code class="muted">{ id }</code>
                        </label>
                    }) }
                </fieldset>
                <button id="apply-settings" class="button" type="submit">{ "Apply" }</button>
            </form>
        </details>
    }
}
