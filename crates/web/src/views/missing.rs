//! After a load: what this input set lacks for a full verification, from
//! [`crate::guide::missing`], each with the command that fills the gap.

use std::rc::Rc;

use yew::prelude::*;

use super::landing::CopyCommand;
use crate::guide;
use crate::protocol::LoadSummary;

/// Properties of [`MissingView`].
#[derive(Properties, PartialEq)]
pub struct MissingProps {
    /// What the load found.
    pub summary: Rc<LoadSummary>,
}

/// "Still missing": nothing when the inputs lack nothing.
#[function_component]
pub fn MissingView(props: &MissingProps) -> Html {
    let items = {
        let summary = props.summary.clone();
        use_memo(summary, |s| guide::missing(&s.report, &s.providers))
    };
    if items.is_empty() {
        return html! {};
    }
    html! {
        <details id="missing" class="missing" open=true>
            <summary>{ format!("What is missing for a full verification ({})", items.len()) }</summary>
            <ul>
                { for items.iter().map(|m| html! {
                    <li>
                        <span>{ m.text() }</span>
                        if let Some(cmd) = m.command() {
                            <CopyCommand command={AttrValue::from(cmd)} />
                        }
                    </li>
                }) }
            </ul>
        </details>
    }
}
