//! Trailproof's browser app: a Yew front end and a Web Worker that does the heavy lifting.
//!
//! The page never touches file contents. It hands `File` handles to the worker
//! ([`protocol::ToWorker`]), which reads them in `Blob` slices, runs the core library in wasm
//! and streams results back ([`protocol::FromWorker`]). Nothing is ever sent over the network:
//! the only requests the app makes are for its own files.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod compliance;
pub mod engine;
pub mod guide;
pub mod heat;
pub mod identity;
pub mod prefix;
pub mod protocol;
pub mod run;
pub mod sealed;
pub mod selected;
pub mod triage;
pub mod workpaper;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod blob;
#[cfg(target_arch = "wasm32")]
pub mod fetch;
#[cfg(target_arch = "wasm32")]
pub mod files;
#[cfg(target_arch = "wasm32")]
pub mod idb;
#[cfg(target_arch = "wasm32")]
pub mod mailbox;
#[cfg(target_arch = "wasm32")]
pub mod offline;
#[cfg(target_arch = "wasm32")]
pub mod page;
#[cfg(target_arch = "wasm32")]
pub mod pool;
#[cfg(target_arch = "wasm32")]
pub mod subtle;
#[cfg(target_arch = "wasm32")]
pub mod views;
