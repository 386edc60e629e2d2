//! How both workers (the engine worker and its load workers) talk to whoever started them:
//! every request arrives as `[json, alongside]` (`File` handles, or a transferred buffer)
//! and every plain reply leaves as one JSON string.

use std::future::Future;

use js_sys::{Array, ArrayBuffer};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, File, MessageEvent};

/// This worker's global scope.
pub fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Posts `message` as JSON to whoever started this worker.
pub fn reply<T: Serialize>(message: &T) {
    // Serialising our own types cannot fail; a failed post means the other side is gone.
    if let Ok(json) = serde_json::to_string(message) {
        let _ = scope().post_message(&JsValue::from_str(&json));
    }
}

/// What came beside a request: the `File` handles of a list, or one transferred buffer.
pub struct Alongside(JsValue);

impl Alongside {
    /// The `File`s sent alongside (none if something else was).
    pub fn files(&self) -> Vec<File> {
        if !Array::is_array(&self.0) {
            return Vec::new();
        }
        Array::from(&self.0)
            .iter()
            .filter_map(|f| f.dyn_into().ok())
            .collect()
    }

    /// The buffer sent alongside, if one was.
    pub fn buffer(self) -> Option<ArrayBuffer> {
        self.0.dyn_into().ok()
    }
}

/// Runs `handle` on every request that arrives, with what was sent alongside it; a message
/// that is not a `T` is ignored (only our own page and engine post to a worker).
pub fn serve<T, F>(handle: fn(T, Alongside) -> F)
where
    T: DeserializeOwned + 'static,
    F: Future<Output = ()> + 'static,
{
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let parts = Array::from(&event.data());
        let request = parts
            .get(0)
            .as_string()
            .and_then(|s| serde_json::from_str::<T>(&s).ok());
        if let Some(request) = request {
            wasm_bindgen_futures::spawn_local(handle(request, Alongside(parts.get(1))));
        }
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
}
