//! The browser's IndexedDB, as much as workpapers need: one object store of JSON strings keyed
//! by the input-set key ([`crate::workpaper::storage_key`]). It is the browser's own storage for
//! this origin: nothing here leaves the machine.

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Event, IdbDatabase, IdbOpenDbRequest, IdbRequest, IdbTransactionMode};

const DB: &str = "trailproof";
const STORE: &str = "workpapers";

/// Waits for a request's `success` (its result) or `error`.
async fn done(request: &IdbRequest) -> Result<JsValue, JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        let ok_request = request.clone();
        let on_success = Closure::once_into_js(move |_: Event| {
            let result = ok_request.result().unwrap_or(JsValue::UNDEFINED);
            let _ = resolve.call1(&JsValue::NULL, &result);
        });
        let err_request = request.clone();
        let on_error = Closure::once_into_js(move |_: Event| {
            let error = err_request
                .error()
                .ok()
                .flatten()
                .map(JsValue::from)
                .unwrap_or_else(|| JsValue::from_str("IndexedDB request failed"));
            let _ = reject.call1(&JsValue::NULL, &error);
        });
        request.set_onsuccess(Some(on_success.unchecked_ref()));
        request.set_onerror(Some(on_error.unchecked_ref()));
    });
    JsFuture::from(promise).await
}

async fn open() -> Result<IdbDatabase, JsValue> {
    let factory = web_sys::window()
        .ok_or("no window")?
        .indexed_db()?
        .ok_or("IndexedDB is not available")?;
    let request: IdbOpenDbRequest = factory.open_with_u32(DB, 1)?;
    // First open (or a version bump): create the object store.
    let on_upgrade = Closure::once_into_js(move |e: Event| {
        let db = e
            .target()
            .and_then(|t| t.dyn_into::<IdbOpenDbRequest>().ok())
            .and_then(|r| r.result().ok())
            .and_then(|r| r.dyn_into::<IdbDatabase>().ok());
        if let Some(db) = db {
            if !db.object_store_names().contains(STORE) {
                let _ = db.create_object_store(STORE);
            }
        }
    });
    request.set_onupgradeneeded(Some(on_upgrade.unchecked_ref()));
    done(&request).await?.dyn_into::<IdbDatabase>()
}

/// The text stored under `key`, if any.
pub async fn get(key: &str) -> Result<Option<String>, JsValue> {
    let db = open().await?;
    let store = db.transaction_with_str(STORE)?.object_store(STORE)?;
    let value = done(&store.get(&JsValue::from_str(key))?).await?;
    db.close();
    Ok(value.as_string())
}

/// Stores `value` under `key`, replacing what was there.
pub async fn put(key: &str, value: &str) -> Result<(), JsValue> {
    let db = open().await?;
    let store = db
        .transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite)?
        .object_store(STORE)?;
    done(&store.put_with_key(&JsValue::from_str(value), &JsValue::from_str(key))?).await?;
    db.close();
    Ok(())
}
