//! What a person is typing into a form field whose saved value lives elsewhere.
//!
//! Yew re-applies a bound `value` (and `checked`) on every render of the component whenever it
//! differs from the DOM (yew 0.23, `Value::apply_diff`). A field bound to the *saved* value
//! therefore loses what was typed the moment anything renders it again before Save — a query
//! reply, the analysis finishing, the flag of the same event toggled. A draft keeps the typed
//! value in the component and the field is bound to it; the draft follows the saved value only
//! when that value itself changes (saved, imported, applied elsewhere).

use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

/// A field's draft: starts as `saved` and is reset to it whenever `saved` changes.
#[hook]
pub fn use_draft<T>(saved: T) -> UseStateHandle<T>
where
    T: Clone + PartialEq + 'static,
{
    let draft = use_state_eq(|| saved.clone());
    {
        let draft = draft.clone();
        use_effect_with(saved, move |saved| draft.set(saved.clone()));
    }
    draft
}

/// Keeps a text draft in step with its `<input>` or `<textarea>`.
pub fn on_text(draft: &UseStateHandle<String>) -> Callback<InputEvent> {
    let draft = draft.clone();
    Callback::from(move |e: InputEvent| {
        if let Some(i) = e.target_dyn_into::<HtmlInputElement>() {
            draft.set(i.value());
        } else if let Some(t) = e.target_dyn_into::<HtmlTextAreaElement>() {
            draft.set(t.value());
        }
    })
}
