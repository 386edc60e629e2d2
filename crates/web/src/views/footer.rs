//! The page footer: which Trailproof this is — version, source commit and the SHA-256 of the
//! WebAssembly binaries the page runs, measured once at start (`identity`), so a reviewer can
//! compare them with a rebuild of the commit (`docs/reproducible.md`).

use std::rc::Rc;

use yew::prelude::*;

use crate::identity::{self, Identity};

/// The footer; measures the binaries once, after the first render.
#[function_component]
pub fn Footer() -> Html {
    let measured = use_state(|| None::<Rc<Identity>>);
    {
        let measured = measured.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                measured.set(Some(Rc::new(identity::measure().await)));
            });
        });
    }
    let binaries = match measured.as_deref() {
        None => html! { <p class="muted">{ "Measuring the WebAssembly binaries…" }</p> },
        Some(id) => html! {
            <>
                <ul class="binaries">
                    { for id.tool.binaries.iter().map(|b| html! {
                        <li>{ "SHA-256 of " }<code>{ &b.name }</code>{ ": " }
                            <code class="sha256" data-file={b.name.clone()}>{ &b.sha256 }</code></li>
                    }) }
                </ul>
                { for id.problems.iter().map(|p| html! { <p class="error">{ p }</p> }) }
            </>
        },
    };
    html! {
        <footer id="build" class="build" data-state={if measured.is_some() { "measured" } else { "measuring" }}>
            <p>
                { "Trailproof " }<span id="build-version">{ identity::VERSION }</span>
                { " · source commit " }<code id="build-commit">{ identity::COMMIT }</code>
            </p>
            { binaries }
            <p class="muted">{ "To check this build, rebuild the commit with `cargo xtask dist` and compare the hashes with the site's build.json (docs/reproducible.md)." }</p>
        </footer>
    }
}
