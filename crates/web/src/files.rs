//! Getting `File` handles out of drops and pickers, folders included.

use js_sys::{Array, Function, Promise};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    DataTransfer, File, FileList, FileSystemDirectoryEntry, FileSystemEntry, FileSystemFileEntry,
};

/// A file the user gave us, with the path to show for it.
#[derive(Clone, PartialEq)]
pub struct Picked {
    /// Relative path within a dropped or picked folder, or the file name.
    pub path: String,
    /// The browser's handle; contents are read only by the worker.
    pub file: File,
}

/// Files from an `<input type=file>` (with `webkitdirectory`, paths are folder-relative).
pub fn from_file_list(list: &FileList) -> Vec<Picked> {
    (0..list.length())
        .filter_map(|i| list.get(i))
        .map(|file| {
            // `webkitRelativePath` is not in web-sys's WebIDL; every current browser has it.
            let relative = js_sys::Reflect::get(&file, &JsValue::from_str("webkitRelativePath"))
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            let path = if relative.is_empty() {
                file.name()
            } else {
                relative
            };
            Picked { path, file }
        })
        .collect()
}

/// The entries of a drop. Must be called while the drop event is being dispatched: the
/// browser invalidates the items afterwards.
pub fn drop_entries(transfer: &DataTransfer) -> (Vec<FileSystemEntry>, Vec<File>) {
    let items = transfer.items();
    let mut entries = Vec::new();
    let mut files = Vec::new();
    for i in 0..items.length() {
        let Some(item) = items.get(i) else { continue };
        if item.kind() != "file" {
            continue;
        }
        // Drags from the OS carry file-system entries (folders too); synthetic ones only files.
        match item.webkit_get_as_entry() {
            Ok(Some(entry)) => entries.push(entry),
            _ => {
                if let Ok(Some(file)) = item.get_as_file() {
                    files.push(file);
                }
            }
        }
    }
    (entries, files)
}

/// Resolves dropped entries to files, walking folders recursively. Folders are listed first;
/// then every file entry is asked for its `File` at once (`Promise.all`), not one awaited
/// round trip after another: with thousands of small files the round trips were the cost.
pub async fn resolve(entries: Vec<FileSystemEntry>, files: Vec<File>) -> Vec<Picked> {
    let mut out: Vec<Picked> = files
        .into_iter()
        .map(|file| Picked {
            path: file.name(),
            file,
        })
        .collect();
    let mut file_entries: Vec<(String, FileSystemFileEntry)> = Vec::new();
    let mut stack = entries;
    while let Some(entry) = stack.pop() {
        let path = entry.full_path().trim_start_matches('/').to_owned();
        if entry.is_file() {
            file_entries.push((path, entry.unchecked_into()));
        } else if entry.is_directory() {
            let dir: FileSystemDirectoryEntry = entry.unchecked_into();
            let reader = dir.create_reader();
            // readEntries returns entries in batches until it returns an empty one.
            loop {
                let batch = callback_promise(|ok, err| {
                    // A synchronous failure leaves the promise pending forever; treat as empty.
                    if reader
                        .read_entries_with_callback_and_callback(ok, err)
                        .is_err()
                    {
                        let _ = ok.call1(&JsValue::NULL, &Array::new());
                    }
                })
                .await;
                let Ok(batch) = batch else { break };
                let batch = Array::from(&batch);
                if batch.length() == 0 {
                    break;
                }
                stack.extend(
                    batch
                        .iter()
                        .filter_map(|e| e.dyn_into::<FileSystemEntry>().ok()),
                );
            }
        }
    }
    // Each promise resolves to the File or, when the browser refuses one, to null: one
    // unreadable entry does not lose the others.
    let promises: Array = file_entries
        .iter()
        .map(|(_, entry)| {
            let promise = Promise::new(&mut |resolve, _reject| {
                let resolve_null = resolve.clone();
                let on_error = Closure::once_into_js(move || {
                    let _ = resolve_null.call1(&JsValue::NULL, &JsValue::NULL);
                });
                entry.file_with_callback_and_callback(&resolve, on_error.unchecked_ref());
            });
            JsValue::from(promise)
        })
        .collect();
    if let Ok(resolved) = JsFuture::from(Promise::all(&promises)).await {
        let resolved = Array::from(&resolved);
        for ((path, _), file) in file_entries.into_iter().zip(resolved.iter()) {
            if let Ok(file) = file.dyn_into::<File>() {
                out.push(Picked { path, file });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Turns a success/error callback API into a future.
async fn callback_promise(start: impl FnOnce(&Function, &Function)) -> Result<JsValue, JsValue> {
    let mut start = Some(start);
    let promise = Promise::new(&mut |resolve, reject| {
        if let Some(start) = start.take() {
            start(&resolve, &reject);
        }
    });
    JsFuture::from(promise).await
}
