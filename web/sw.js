// The service worker: keeps this build's own files so the page reopens without a network
// (air-gapped review rooms). `cargo xtask dist` writes the build's cache name (from the hash
// of build.json) and its exact file list into the line below; before that (a development
// server) it does nothing and every request goes to the network.
//
// Cache first, only for the listed files of this build: they never change under one name.
// A new deployment has a new sw.js (its list differs), which the browser installs beside the
// old one and switches to once no tab uses the old build, so a page never mixes the files of
// two builds; the old cache is then deleted. Nothing else is ever cached: dropped files are
// read by the page, never fetched.
"use strict";
const BUILD = null; // filled in by `cargo xtask dist`

// One cache per deployment path, so two builds hosted under different paths of one origin
// keep their own caches.
const PREFIX = "trailproof " + self.registration.scope + " ";
const CACHE = BUILD && PREFIX + BUILD.cache;

self.addEventListener("install", (event) => {
  if (!BUILD) return;
  // `cache: "reload"`: the files of this build from the server, not from the HTTP cache.
  const requests = BUILD.files.map((file) => new Request(file, { cache: "reload" }));
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(requests)));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(
        keys.filter((k) => k.startsWith(PREFIX) && k !== CACHE).map((k) => caches.delete(k)),
      ))
      // The first page of a new installation is served from the cache from now on too.
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  if (!BUILD || event.request.method !== "GET") return;
  const scope = new URL(self.registration.scope);
  const url = new URL(event.request.url);
  if (url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return;
  let file = decodeURIComponent(url.pathname.slice(scope.pathname.length));
  if (file === "" && event.request.mode === "navigate") file = "index.html";
  if (!BUILD.files.includes(file)) return;
  const key = new URL(file, scope).href;
  event.respondWith(
    caches
      .open(CACHE)
      .then((cache) => cache.match(key))
      .then((hit) => hit || fetch(event.request)),
  );
});
