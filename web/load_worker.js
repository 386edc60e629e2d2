// Starts a load worker of the engine worker's pool (a nested dedicated worker). Like
// worker_loader.js: a classic script defining `wasm_bindgen`; messages that arrive while the
// wasm loads are held and replayed.
"use strict";
const pending = [];
self.onmessage = (event) => pending.push(event);
importScripts("./loader.js");
wasm_bindgen({ module_or_path: "./loader_bg.wasm" })
  .then(() => pending.splice(0).forEach((event) => self.onmessage(event)))
  .catch((error) => self.postMessage(JSON.stringify({ type: "fatal", message: String(error) })));
