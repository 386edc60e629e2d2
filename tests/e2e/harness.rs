//! The end-to-end harness shared by every test file (`mod harness;`): a loopback static
//! server on the built site (`dist/`), a WebDriver (ChromeDriver, or geckodriver for Firefox
//! ESR), a headless browser session, and helpers to drop files, press keys, switch tabs, take
//! screenshots, read Chrome's logs and prove that nothing left the machine.
//!
//! The tests are `#[ignore]`d so that a plain `cargo test` on a machine without a browser
//! stays green; `cargo xtask test` (or `cargo xtask e2e`) builds `dist/`, installs Chromium,
//! ChromeDriver, Firefox ESR and geckodriver when missing, passes their paths and runs them
//! with `--ignored`. Everything binds to 127.0.0.1 and is stopped by the test.
// Each test file uses its own subset of the helpers.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
pub use serde_json::{json, Value};
use trailproof_e2e::{Server, CHROME_ARGS};

/// A host name Chromium resolves to the local server when started by
/// [`Harness::start_with_insecure_host`] (`.test` is reserved: it never names a real host).
pub const INSECURE_HOST: &str = "trailproof-intranet.test";
const INSECURE_RULE: &str = "--host-resolver-rules=MAP trailproof-intranet.test 127.0.0.1";

pub fn env_path(name: &str, default: &str) -> PathBuf {
    std::env::var_os(name)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default))
}

pub fn workspace() -> PathBuf {
    canonical(&Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
}

/// WebDriver rejects file paths with `..` in them.
pub fn canonical(path: &Path) -> PathBuf {
    path.canonicalize()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn fixtures() -> PathBuf {
    canonical(&env_path(
        "TRAILPROOF_FIXTURES",
        &workspace().join("testdata/fixtures").to_string_lossy(),
    ))
}

/// The built site under test: `TRAILPROOF_DIST`, else `dist/` in the workspace.
pub fn dist() -> PathBuf {
    env_path(
        "TRAILPROOF_DIST",
        &workspace().join("dist").to_string_lossy(),
    )
}

pub fn artifacts() -> PathBuf {
    let dir = workspace().join("target/e2e");
    std::fs::create_dir_all(&dir).expect("create target/e2e");
    canonical(&dir)
}

/// The browsers the tests drive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Browser {
    /// Headless Chromium through ChromeDriver (every target).
    Chromium,
    /// Headless Firefox ESR through geckodriver (the `firefox` target).
    Firefox,
}

/// A static server on the built site, a WebDriver and a browser session; all stopped on drop.
pub struct Harness {
    pub server: Server,
    pub browser: Browser,
    driver: Child,
    client: Option<Client>,
    profile: PathBuf,
    /// Firefox only: the proxy every request to a host other than the local server goes to.
    trap: Option<Trap>,
}

impl Harness {
    pub async fn start() -> Harness {
        Harness::start_at("/").await
    }

    /// The site served under the URL path `prefix`, as a host serving it from a folder.
    pub async fn start_at(prefix: &str) -> Harness {
        Harness::launch(Browser::Chromium, prefix).await
    }

    /// The site at `/` in headless Firefox ESR.
    pub async fn start_firefox() -> Harness {
        Harness::launch(Browser::Firefox, "/").await
    }

    /// The site at `/` in headless Chromium, which also resolves [`INSECURE_HOST`] to the local
    /// server: a page opened there ([`Harness::open_insecure`]) is not a secure context (plain
    /// `http:` from a host other than `localhost`), as on a team's intranet server.
    pub async fn start_with_insecure_host() -> Harness {
        Harness::launch_with(Browser::Chromium, "/", &[INSECURE_RULE]).await
    }

    async fn launch(browser: Browser, prefix: &str) -> Harness {
        Harness::launch_with(browser, prefix, &[]).await
    }

    async fn launch_with(browser: Browser, prefix: &str, chromium_args: &[&str]) -> Harness {
        let dist = dist();
        assert!(
            dist.join("index.html").is_file(),
            "no built site at {}: run `cargo xtask dist`",
            dist.display()
        );
        let server = Server::start_at(&dist, "127.0.0.1:0".parse().unwrap(), prefix)
            .expect("start static server");

        // Starting the browser is the one step a loaded machine sometimes fails on its own
        // (Chromium's "Chrome instance exited" before any page is opened, seen once in CI):
        // it is tried three times, each with a fresh driver and profile. Nothing a test checks
        // is ever retried.
        let mut failures = Vec::new();
        let (driver, client, profile, trap) = loop {
            match Harness::session(browser, chromium_args).await {
                Ok(session) => break session,
                Err(e) => {
                    eprintln!("harness: the {browser:?} session did not start: {e}");
                    failures.push(e);
                    assert!(failures.len() < 3, "start a browser session: {failures:?}");
                }
            }
        };
        let h = Harness {
            server,
            browser,
            driver,
            client: Some(client),
            profile,
            trap,
        };
        if browser == Browser::Firefox {
            // Chromium gets its size from a flag; Firefox's `-width` is not for headless.
            h.client()
                .set_window_size(1280, 900)
                .await
                .expect("window size");
        }
        if let Some(trap) = &h.trap {
            // The proof that the trap sees what would leave: a page on an outside host is
            // requested through it (and refused), before the site is opened.
            let _ = h.client().goto("http://outside.invalid/probe").await;
            let _ = h.client().goto("about:blank").await;
            let seen = trap.take();
            assert!(
                seen.iter().any(|r| r.contains("outside.invalid/probe")),
                "the Firefox proxy trap did not see a request to an outside host: {seen:?}"
            );
        }
        h
    }

    /// A WebDriver on a free port and a browser session through it, with a fresh profile:
    /// the driver, the session, the profile's directory and (Firefox) the proxy trap; the
    /// driver and its browser are stopped again when the session cannot be made.
    #[allow(clippy::type_complexity)]
    async fn session(
        browser: Browser,
        chromium_args: &[&str],
    ) -> Result<(Child, Client, PathBuf, Option<Trap>), String> {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let profile =
            std::env::temp_dir().join(format!("trailproof-e2e-{}-{port}", std::process::id()));
        let mut driver = match browser {
            Browser::Chromium => {
                let mut cmd = Command::new(env_path("CHROMEDRIVER", "/usr/bin/chromedriver"));
                cmd.arg(format!("--port={port}"))
                    .arg("--allowed-ips=127.0.0.1");
                cmd
            }
            Browser::Firefox => {
                std::fs::create_dir_all(&profile).expect("profile root");
                let mut cmd = Command::new(env_path(
                    "GECKODRIVER",
                    &workspace()
                        .join("target/tools/geckodriver/bin/geckodriver")
                        .to_string_lossy(),
                ));
                cmd.arg(format!("--port={port}"))
                    .args(["--host", "127.0.0.1", "--profile-root"])
                    .arg(&profile)
                    // Inherited by Firefox: release builds ignore `services.settings.server`
                    // (see `firefox_prefs`) unless this is set.
                    .env("MOZ_REMOTE_SETTINGS_DEVTOOLS", "1");
                cmd
            }
        };
        // geckodriver's output carries Firefox's console and errors (ChromeDriver's log is
        // read through WebDriver instead): kept in target/e2e/ for when a test fails.
        let log = match browser {
            Browser::Chromium => Stdio::null(),
            Browser::Firefox => std::fs::File::create(artifacts().join("geckodriver.log"))
                .map(Stdio::from)
                .unwrap_or_else(|_| Stdio::null()),
        };
        let mut driver = driver
            .stdout(log)
            .stderr(Stdio::null())
            // Its own process group, which the browser it starts joins: a test that panics
            // before `close` still takes the whole browser down on drop.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("start the {browser:?} WebDriver: {e}"));
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the {browser:?} WebDriver did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        let mut caps = serde_json::Map::new();
        let mut trap = None;
        match browser {
            Browser::Chromium => {
                let mut args: Vec<String> = CHROME_ARGS.iter().map(|s| s.to_string()).collect();
                args.push("--window-size=1280,900".into());
                args.push(format!("--user-data-dir={}", profile.display()));
                args.extend(chromium_args.iter().map(|a| a.to_string()));
                caps.insert(
                    "goog:chromeOptions".into(),
                    json!({ "binary": env_path("CHROMIUM", "/usr/bin/chromium"), "args": args }),
                );
                // The performance log carries every network request the browser makes,
                // workers included.
                caps.insert(
                    "goog:loggingPrefs".into(),
                    json!({ "performance": "ALL", "browser": "ALL" }),
                );
            }
            Browser::Firefox => {
                let t = Trap::start();
                caps.insert(
                    "moz:firefoxOptions".into(),
                    json!({
                        "binary": env_path("FIREFOX", "/usr/bin/firefox-esr"),
                        "args": ["-headless"],
                        "prefs": firefox_prefs(t.port),
                    }),
                );
                trap = Some(t);
            }
        }
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await;
        match client {
            Ok(client) => Ok((driver, client, profile, trap)),
            Err(e) => {
                // The browser the driver started, if any, may still be running.
                stop_driver(&mut driver, &profile, true);
                Err(e.to_string())
            }
        }
    }

    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("session open")
    }

    pub async fn open(&self) {
        self.open_url(&self.server.base()).await;
    }

    /// Opens the site at [`INSECURE_HOST`] (see [`Harness::start_with_insecure_host`]).
    pub async fn open_insecure(&self) {
        let base = self.server.base();
        let url = base.replacen("127.0.0.1", INSECURE_HOST, 1);
        assert_ne!(url, base, "the server's address: {base}");
        self.open_url(&url).await;
    }

    async fn open_url(&self, url: &str) {
        self.client().goto(url).await.expect("load the site");
        self.wait_for(
            "the app to render",
            "return !!document.querySelector('#dropzone')",
        )
        .await;
    }

    /// Polls a JS predicate until it returns true.
    pub async fn wait_for(&self, what: &str, predicate: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let v = self
                .client()
                .execute(predicate, vec![])
                .await
                .expect("run script");
            if v.as_bool() == Some(true) {
                return;
            }
            if Instant::now() > deadline {
                let console = self
                    .client()
                    .issue_cmd(GetLog("browser"))
                    .await
                    .unwrap_or_default();
                let page = self.js("return document.body.innerText;").await;
                panic!("timed out waiting for {what}\nconsole: {console:#}\npage: {page}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// This harness's browser processes (the one started with its profile and its
    /// descendants), with whether each is a renderer.
    pub fn browser_processes(&self) -> Vec<(u32, bool)> {
        browser_processes(&self.profile.to_string_lossy())
    }

    /// The largest high-water mark (`VmHWM`) of this browser's renderers, in bytes: a page's
    /// renderer holds its dedicated workers, so this is the most memory the page and all its
    /// workers held at once (0 where `/proc` cannot tell).
    pub fn renderer_high_water(&self) -> u64 {
        self.browser_processes()
            .iter()
            .filter(|(_, renderer)| *renderer)
            .map(|&(pid, _)| status_bytes(pid, "VmHWM:"))
            .max()
            .unwrap_or(0)
    }

    pub async fn js(&self, script: &str) -> Value {
        self.client()
            .execute(script, vec![])
            .await
            .expect("run script")
    }

    /// Picks `path` with the page's picker `input` (`#pick-files`, or `#pick-folder` for a
    /// folder: the page then gets every file in it with its relative path).
    pub async fn pick(&self, input: &str, path: &Path) {
        self.client()
            .find(Locator::Css(input))
            .await
            .unwrap_or_else(|e| panic!("{input}: {e}"))
            .send_keys(&path.to_string_lossy())
            .await
            .unwrap_or_else(|e| panic!("pick {} with {input}: {e}", path.display()));
    }

    /// Gives files to the page the way a drop does: a `drop` event whose `DataTransfer` holds
    /// them. WebDriver can only hand files to an `<input type=file>`, so the test puts them in
    /// a scratch input first and moves them into the event.
    pub async fn drop_files(&self, files: &[PathBuf]) {
        self.js(
            "const i = document.createElement('input'); i.type = 'file'; i.multiple = true; \
             i.id = 'e2e-source'; i.hidden = true; document.body.append(i); return true;",
        )
        .await;
        let list = files
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("\n");
        self.client()
            .find(Locator::Css("#e2e-source"))
            .await
            .unwrap()
            .send_keys(&list)
            .await
            .expect("attach files");
        let dropped = self
            .js(
                "const src = document.querySelector('#e2e-source'); const dt = new DataTransfer(); \
                 for (const f of src.files) dt.items.add(f); src.remove(); \
                 const zone = document.querySelector('#dropzone'); \
                 zone.dispatchEvent(new DragEvent('dragover', {dataTransfer: dt, bubbles: true, cancelable: true})); \
                 zone.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true})); \
                 return dt.files.length;",
            )
            .await;
        assert_eq!(dropped.as_u64(), Some(files.len() as u64));
    }

    /// Clicks "Open sample" and waits until the summary of its load is on the page (the
    /// analysis may still be running).
    pub async fn open_sample(&self) {
        self.click("#open-sample").await;
        self.wait_for(
            "the sample to load",
            "return !!document.querySelector('#summary');",
        )
        .await;
    }

    /// Clicks the element `css` selects; panics naming it when it is missing or refuses.
    pub async fn click(&self, css: &str) {
        self.client()
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// The strings of the array `script` returns (an element text per row, say).
    pub async fn strings(&self, script: &str) -> Vec<String> {
        let v = self.js(script).await;
        v.as_array()
            .unwrap_or_else(|| panic!("not an array: {v} from {script}"))
            .iter()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect()
    }

    /// Opens a tab by its id (`verification`, `timeline`, `inputs`, ...).
    pub async fn tab(&self, id: &str) {
        let el = self
            .client()
            .find(Locator::Css(&format!("#tab-{id}")))
            .await
            .expect("tab button");
        el.click().await.expect("click tab");
        self.wait_for(&format!("tab {id} to open"), &format!("return document.querySelector('#tab-{id}').getAttribute('aria-selected') === 'true';")).await;
    }

    /// From now on, keeps every `Blob` the page turns into an object URL (downloads), so
    /// tests can read what a user would have saved.
    pub async fn capture_downloads(&self) {
        self.js(
            "window.__blobs = []; const orig = URL.createObjectURL; \
             URL.createObjectURL = function (b) { window.__blobs.push(b); return orig.call(URL, b); }; \
             return true;",
        )
        .await;
    }

    /// The text of the `n`th captured download, once it exists.
    pub async fn download_text(&self, n: usize) -> String {
        self.wait_for(
            "the download",
            &format!("return window.__blobs.length > {n};"),
        )
        .await;
        self.js(&format!(
            "window.__blobs[{n}].text().then(t => window.__text{n} = t); return true;"
        ))
        .await;
        self.wait_for(
            "the download's text",
            &format!("return typeof window.__text{n} === 'string';"),
        )
        .await;
        self.js(&format!("return window.__text{n};"))
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn screenshot(&self, name: &str) {
        let png = self.client().screenshot().await.expect("screenshot");
        std::fs::write(artifacts().join(format!("{name}.png")), png).expect("save screenshot");
    }

    /// Every URL the browser requested (page and workers), from Chrome's performance log.
    pub async fn requested_urls(&self) -> Vec<String> {
        let log = self
            .client()
            .issue_cmd(GetLog("performance"))
            .await
            .expect("read performance log");
        let mut urls = Vec::new();
        for entry in log.as_array().into_iter().flatten() {
            let Some(message) = entry["message"].as_str() else {
                continue;
            };
            let Ok(message) = serde_json::from_str::<Value>(message) else {
                continue;
            };
            let method = message["message"]["method"].as_str().unwrap_or("");
            if method == "Network.requestWillBeSent" {
                if let Some(url) = message["message"]["params"]["request"]["url"].as_str() {
                    urls.push(url.to_owned());
                }
            }
        }
        urls
    }

    /// Asserts that nothing was requested from anywhere but the local server.
    ///
    /// Chromium: from its performance log (every request, workers included). Firefox has no
    /// such log through geckodriver, so every request for another host is routed to a local
    /// proxy that records it and answers nothing (`Trap`; the loopback server stays direct),
    /// checked to work when the session starts; the page's resource timing and the server's
    /// request list are checked for both.
    pub async fn assert_no_outside_requests(&self) {
        let origin = self.server.origin();
        if let Some(trap) = &self.trap {
            let outside = trap.take();
            assert!(
                outside.is_empty(),
                "requests left the local server (through the proxy trap): {outside:?}"
            );
        } else {
            self.assert_no_outside_requests_in_log(&origin).await;
        }
        // Cross-check with the page's own resource timing entries.
        let entries = self
            .js("return performance.getEntriesByType('resource').map(e => e.name);")
            .await;
        for name in entries
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            assert!(
                name.starts_with(&origin) || name.starts_with("blob:"),
                "resource from elsewhere: {name}"
            );
        }
        // And with what the server saw: the worker and its wasm came from us.
        let served = self.server.requests();
        assert!(
            served.iter().any(|p| p.ends_with("worker_bg.wasm")),
            "worker wasm not served: {served:?}"
        );
    }

    /// Chromium's side of [`Harness::assert_no_outside_requests`]: the performance log.
    async fn assert_no_outside_requests_in_log(&self, origin: &str) {
        let urls = self.requested_urls().await;
        // The log must have seen the app's own loads, or the check below proves nothing.
        assert!(
            urls.iter().any(|u| u.ends_with(".wasm")),
            "performance log saw no wasm load: {urls:?}"
        );
        // Only network schemes can carry data away; `chrome://` entries are the browser's own
        // start page, loaded from its binary before the test navigates.
        let network = |u: &&String| {
            ["http:", "https:", "ws:", "wss:", "ftp:"]
                .iter()
                .any(|s| u.starts_with(s))
        };
        let outside: Vec<_> = urls
            .iter()
            .filter(network)
            .filter(|u| !u.starts_with(&format!("{origin}/")))
            .collect();
        assert!(
            outside.is_empty(),
            "requests left the local server: {outside:?}"
        );
    }

    /// Presses keys (WebDriver key codes for special keys, see `fantoccini::key::Key`) on
    /// whatever has focus, as a user would.
    pub async fn press(&self, keys: &str) {
        let mut actions = KeyActions::new("keyboard".into());
        for c in keys.chars() {
            actions = actions
                .then(KeyAction::Down { value: c })
                .then(KeyAction::Up { value: c });
        }
        self.client()
            .perform_actions(actions)
            .await
            .expect("press keys");
    }

    /// Runs a Chrome DevTools Protocol command through ChromeDriver.
    pub async fn cdp(&self, cmd: &'static str, params: Value) -> Value {
        self.client()
            .issue_cmd(Cdp(cmd, params))
            .await
            .unwrap_or_else(|e| panic!("{cmd}: {e}"))
    }

    /// Emulates `prefers-color-scheme: dark` (or light).
    pub async fn color_scheme(&self, scheme: &str) {
        self.cdp(
            "Emulation.setEmulatedMedia",
            json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] }),
        )
        .await;
    }

    /// The last `trailproof timings:` line the page logged since the console was last read
    /// (the worker's phase timings and memory), if any.
    pub async fn worker_timings(&self) -> String {
        let log = self.console().await;
        log.as_array()
            .into_iter()
            .flatten()
            .rev()
            .filter_map(|e| e["message"].as_str())
            .find_map(|m| m.find("trailproof timings:").map(|i| m[i..].to_owned()))
            .map(|m| m.replace("\\\"", "\"").trim_end_matches('"').to_owned())
            .unwrap_or_else(|| "(the worker reported no timings)".into())
    }

    /// The browser console so far.
    pub async fn console(&self) -> Value {
        self.client()
            .issue_cmd(GetLog("browser"))
            .await
            .unwrap_or_default()
    }

    pub async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        // A session not closed (the test failed) leaves its browser running.
        stop_driver(&mut self.driver, &self.profile, self.client.is_some());
    }
}

/// Stops a WebDriver and, when `browser_may_run`, the browser it started (its process group),
/// and removes the browser's profile directory.
fn stop_driver(driver: &mut Child, profile: &Path, browser_may_run: bool) {
    if browser_may_run {
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", driver.id())])
            .status();
    }
    let _ = driver.kill();
    let _ = driver.wait();
    let _ = std::fs::remove_dir_all(profile);
}

/// ChromeDriver's log endpoint (not part of W3C WebDriver, so fantoccini has no call for it).
#[derive(Debug)]
pub struct GetLog(pub &'static str);

impl WebDriverCompatibleCommand for GetLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": self.0 }).to_string()),
        )
    }
}

/// ChromeDriver's DevTools passthrough (`goog/cdp/execute`).
#[derive(Debug)]
pub struct Cdp(pub &'static str, pub Value);

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "cmd": self.0, "params": self.1 }).to_string()),
        )
    }
}

/// Firefox preferences for the tests: every request for a host other than loopback goes to
/// the proxy trap on `trap_port` (HTTP, HTTPS through CONNECT, WebSockets; the loopback server
/// is never proxied), and the browser's own background services are off, so what reaches the
/// trap is what a page asked for.
fn firefox_prefs(trap_port: u16) -> Value {
    json!({
        "network.proxy.type": 1,
        "network.proxy.http": "127.0.0.1",
        "network.proxy.http_port": trap_port,
        "network.proxy.ssl": "127.0.0.1",
        "network.proxy.ssl_port": trap_port,
        "network.proxy.no_proxies_on": "",
        "network.proxy.allow_hijacking_localhost": false,
        "network.proxy.socks_remote_dns": true,
        "network.dns.disablePrefetch": true,
        "network.prefetch-next": false,
        "network.http.speculative-parallel-limit": 0,
        "network.captive-portal-service.enabled": false,
        "network.connectivity-service.enabled": false,
        "app.update.enabled": false,
        "app.normandy.enabled": false,
        "browser.safebrowsing.malware.enabled": false,
        "browser.safebrowsing.phishing.enabled": false,
        "browser.safebrowsing.downloads.enabled": false,
        "browser.safebrowsing.blockedURIs.enabled": false,
        "browser.safebrowsing.provider.mozilla.updateURL": "",
        "browser.newtabpage.enabled": false,
        "browser.startup.homepage": "about:blank",
        "browser.startup.page": 0,
        "datareporting.policy.dataSubmissionEnabled": false,
        "datareporting.healthreport.uploadEnabled": false,
        "toolkit.telemetry.enabled": false,
        // Remote settings (blocklists, CRLite, messaging): a closed loopback port, refused at
        // once (an empty value means the default server).
        "services.settings.server": "http://127.0.0.1:1/v1",
        "messaging-system.rCS.enabled": false,
        // No favicon fetches for pages the test did not open (the trap's probe page).
        "browser.chrome.site_icons": false,
        "extensions.update.enabled": false,
        "extensions.getAddons.cache.enabled": false,
        "dom.push.enabled": false,
        "geo.enabled": false,
        "media.gmp-manager.url": "",
        "browser.region.network.url": "",
        "browser.topsites.contile.enabled": false,
    })
}

/// A local HTTP proxy that records the request line of everything sent to it and answers
/// 502: with Firefox pointed at it, any request for another host ends here instead of
/// leaving the machine, and the test can list them.
pub struct Trap {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl Trap {
    fn start() -> Trap {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy trap");
        let port = listener.local_addr().expect("trap address").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (log, halt) = (seen.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if halt.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
                let mut line = String::new();
                // A connection that sends no request line (a speculative connect) carried
                // nothing away; only request lines are recorded.
                if BufReader::new(&conn).read_line(&mut line).is_ok() && !line.trim().is_empty() {
                    log.lock().unwrap().push(line.trim().to_owned());
                }
                let _ = conn.write_all(
                    b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        });
        Trap { port, seen, stop }
    }

    /// The request lines seen since the last call.
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

impl Drop for Trap {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees the flag.
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` of `secs` since the epoch (civil from days, Howard Hinnant's
/// algorithm), for generated events, without a date library.
pub fn utc_seconds(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The first generated event's time ([`cloudtrail_event`]): 2024-05-01T00:00:00Z.
pub const BASE_S: i64 = 1_714_521_600;

/// Generated event `i` as CloudTrail records it (for benches and tests that need volume): one a second, 200 actors, each calling from a few
/// addresses of its own (as people and services do: a first-seen address is rare), 250
/// actions, an S3 object key unique per event.
pub fn cloudtrail_event(i: u64) -> String {
    format!(
        "{{\"eventVersion\":\"1.08\",\"userIdentity\":{{\"type\":\"IAMUser\",\"principalId\":\"AIDA{:012}\",\
         \"arn\":\"arn:aws:iam::111122223333:user/user-{}\",\"accountId\":\"111122223333\",\"userName\":\"user-{}\"}},\
         \"eventTime\":\"{}\",\"eventSource\":\"s{}.amazonaws.com\",\"eventName\":\"Op{}\",\"awsRegion\":\"us-east-1\",\
         \"sourceIPAddress\":\"10.{}.{}.{}\",\"userAgent\":\"aws-cli/2.15.{} Python/3.11\",\
         \"requestParameters\":{{\"bucketName\":\"bucket-{}\",\"key\":\"data/{:08x}.parquet\"}},\"responseElements\":null,\
         \"requestID\":\"{:016X}\",\"eventID\":\"{:08x}-{:04x}-4000-8000-{:012x}\",\"readOnly\":{},\"eventType\":\"AwsApiCall\",\
         \"managementEvent\":true,\"recipientAccountId\":\"111122223333\"{}}}",
        i % 200,
        i % 200,
        i % 200,
        utc_seconds(BASE_S + i as i64),
        i % 12,
        i % 250,
        i % 200 / 100,
        i % 200 % 100,
        i / 200 % 4,
        i % 40,
        i % 97,
        i.wrapping_mul(2_654_435_761) as u32,
        i.wrapping_mul(0x9e37_79b9_7f4a_7c15),
        i as u32,
        (i >> 32) as u16,
        i.wrapping_mul(0x5851_f42d) & 0xffff_ffff_ffff,
        i.is_multiple_of(3),
        if i.is_multiple_of(20) {
            ",\"errorCode\":\"AccessDenied\",\"errorMessage\":\"Access Denied\""
        } else {
            ""
        }
    )
}

/// Generated events `range` ([`cloudtrail_event`]) as one CloudTrail log's JSON.
pub fn cloudtrail_records(range: std::ops::Range<u64>) -> String {
    let mut json = String::from("{\"Records\":[");
    for i in range {
        if !json.ends_with('[') {
            json.push(',');
        }
        json.push_str(&cloudtrail_event(i));
    }
    json.push_str("]}");
    json
}

/// `name: value kB` of `/proc/<pid>/status`, in bytes.
pub fn status_bytes(pid: u32, name: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// The browser's processes: the one started with this harness's profile and its descendants,
/// with whether each is a renderer.
fn browser_processes(profile_marker: &str) -> Vec<(u32, bool)> {
    let mut parent = Vec::new();
    let mut roots = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let ppid = stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0);
        if cmdline.contains(profile_marker) && !cmdline.contains("--type=") {
            roots.push(pid);
        }
        parent.push((pid, ppid, cmdline.contains("--type=renderer")));
    }
    let mut out: Vec<(u32, bool)> = Vec::new();
    let mut frontier = roots;
    while let Some(p) = frontier.pop() {
        for &(pid, ppid, renderer) in &parent {
            if ppid == p && !out.iter().any(|(o, _)| *o == pid) {
                out.push((pid, renderer));
                frontier.push(pid);
            }
        }
        if !out.iter().any(|(o, _)| *o == p) {
            out.push((p, false));
        }
    }
    out
}
