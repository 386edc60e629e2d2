//! Offline use: registers the service worker (`web/sw.js`), which keeps this build's own
//! files so the page reopens without a network. The script URL is relative, so its scope is
//! the folder the site is served from, whatever sub-path that is.

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{RegistrationOptions, ServiceWorkerUpdateViaCache};

/// Registers the service worker where the browser offers one. Only secure contexts (https,
/// localhost) have service workers; elsewhere the page simply works online only.
pub fn register() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let navigator = window.navigator();
    if !js_sys::Reflect::has(&navigator, &JsValue::from_str("serviceWorker")).unwrap_or(false) {
        return;
    }
    let options = RegistrationOptions::new();
    // The browser asks the server for sw.js itself on every update check, never its HTTP
    // cache, so a new deployment is noticed at the next visit.
    options.set_update_via_cache(ServiceWorkerUpdateViaCache::None);
    let promise = navigator
        .service_worker()
        .register_with_options("./sw.js", &options);
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(e) = JsFuture::from(promise).await {
            web_sys::console::warn_2(
                &JsValue::from_str("Trailproof: offline use is unavailable:"),
                &e,
            );
        }
    });
}
