// Starts the worker. Trunk builds it as a classic (no-modules) script that defines the global
// `wasm_bindgen`; instantiating the wasm runs the worker's `main`, which installs the real
// message handler. Messages that arrive while the wasm loads are held and replayed, since a
// worker's queue is not paused for us.
"use strict";
const pending = [];
self.onmessage = (event) => pending.push(event);
importScripts("./worker.js");
wasm_bindgen({ module_or_path: "./worker_bg.wasm" })
  .then(() => pending.splice(0).forEach((event) => self.onmessage(event)))
  .catch((error) => self.postMessage(JSON.stringify({ type: "fatal", message: String(error) })));
