//! End-to-end tests of the built site (`dist/`) in headless Chromium through WebDriver.
//!
//! Run by `cargo xtask test` (or `cargo xtask e2e`), which builds `dist/`, installs Chromium
//! and ChromeDriver when missing and passes their paths. The tests are `#[ignore]`d so that a
//! plain `cargo test` on a machine without a browser stays green; the xtask runs them with
//! `--ignored`. Everything binds to 127.0.0.1 and is stopped by the test.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use trailproof_e2e::Server;

/// Chromium flags for a machine with no outside network (see xtask's `CHROME_ARGS`).
const CHROME_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
];

fn env_path(name: &str, default: &str) -> PathBuf {
    std::env::var_os(name)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default))
}

fn workspace() -> PathBuf {
    canonical(&Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
}

/// WebDriver rejects file paths with `..` in them.
fn canonical(path: &Path) -> PathBuf {
    path.canonicalize()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixtures() -> PathBuf {
    canonical(&env_path(
        "TRAILPROOF_FIXTURES",
        &workspace().join("../shared/fixtures").to_string_lossy(),
    ))
}

fn artifacts() -> PathBuf {
    let dir = workspace().join("target/e2e");
    std::fs::create_dir_all(&dir).expect("create target/e2e");
    canonical(&dir)
}

/// A static server on the built site, a ChromeDriver and a browser session; all stopped on drop.
struct Harness {
    server: Server,
    driver: Child,
    client: Option<Client>,
    profile: PathBuf,
}

impl Harness {
    async fn start() -> Harness {
        let dist = env_path(
            "TRAILPROOF_DIST",
            &workspace().join("dist").to_string_lossy(),
        );
        assert!(
            dist.join("index.html").is_file(),
            "no built site at {}: run `cargo xtask dist`",
            dist.display()
        );
        let server =
            Server::start(&dist, "127.0.0.1:0".parse().unwrap()).expect("start static server");

        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(env_path("CHROMEDRIVER", "/usr/bin/chromedriver"))
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        let profile =
            std::env::temp_dir().join(format!("trailproof-e2e-{}-{port}", std::process::id()));
        let mut args: Vec<String> = CHROME_ARGS.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": env_path("CHROMIUM", "/usr/bin/chromium"), "args": args }),
        );
        // The performance log carries every network request the browser makes, workers included.
        caps.insert(
            "goog:loggingPrefs".into(),
            json!({ "performance": "ALL", "browser": "ALL" }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("start a browser session");
        Harness {
            server,
            driver,
            client: Some(client),
            profile,
        }
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("session open")
    }

    async fn open(&self) {
        self.client()
            .goto(&format!("{}/", self.server.origin()))
            .await
            .expect("load the site");
        self.wait_for(
            "the app to render",
            "return !!document.querySelector('#dropzone')",
        )
        .await;
    }

    /// Polls a JS predicate until it returns true.
    async fn wait_for(&self, what: &str, predicate: &str) {
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

    async fn js(&self, script: &str) -> Value {
        self.client()
            .execute(script, vec![])
            .await
            .expect("run script")
    }

    /// Gives files to the page the way a drop does: a `drop` event whose `DataTransfer` holds
    /// them. WebDriver can only hand files to an `<input type=file>`, so the test puts them in
    /// a scratch input first and moves them into the event.
    async fn drop_files(&self, files: &[PathBuf]) {
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

    /// Opens a tab by its id (`verification`, `timeline`, `inputs`, ...).
    async fn tab(&self, id: &str) {
        let el = self
            .client()
            .find(Locator::Css(&format!("#tab-{id}")))
            .await
            .expect("tab button");
        el.click().await.expect("click tab");
        self.wait_for(&format!("tab {id} to open"), &format!("return document.querySelector('#tab-{id}').getAttribute('aria-selected') === 'true';")).await;
    }

    async fn screenshot(&self, name: &str) {
        let png = self.client().screenshot().await.expect("screenshot");
        std::fs::write(artifacts().join(format!("{name}.png")), png).expect("save screenshot");
    }

    /// Every URL the browser requested (page and workers), from Chrome's performance log.
    async fn requested_urls(&self) -> Vec<String> {
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
    async fn assert_no_outside_requests(&self) {
        let origin = self.server.origin();
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

    async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// ChromeDriver's log endpoint (not part of W3C WebDriver, so fantoccini has no call for it).
#[derive(Debug)]
struct GetLog(&'static str);

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

#[tokio::test]
#[ignore = "needs the built site and Chromium: run through `cargo xtask test`"]
async fn dropped_files_are_hashed_in_the_worker_and_nothing_leaves_the_browser() {
    let h = Harness::start().await;
    h.open().await;

    // The page carries the strict policy, with no 'unsafe-inline' for scripts.
    let csp = h.js("return document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]').content;").await;
    let csp = csp.as_str().unwrap_or_default().to_owned();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("TRAILPROOF_CSP"),
        "{csp}"
    );

    let dir = fixtures();
    let files = [
        dir.join("111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz"),
        dir.join("cts_trace_example_evs_deleteVolume_otcdocs.json"),
    ];
    h.drop_files(&files).await;
    h.wait_for(
        "loading to finish",
        "return !!document.querySelector('#summary');",
    )
    .await;
    h.screenshot("verification").await;
    h.tab("inputs").await;
    h.wait_for(
        "both hashes",
        "return document.querySelectorAll('#files td.hash code').length === 2",
    )
    .await;
    let text = h
        .js("return document.querySelector('#files').innerText;")
        .await;
    let text = text.as_str().unwrap_or_default();
    // SHA-256 of the stored bytes, computed independently (sha256sum).
    assert!(
        text.contains("f5dc17a773ace6e3da8ee6107be8249fa5b61660f6968a8645895589ec2c475c"),
        "{text}"
    );
    assert!(
        text.contains("a40f13177f60ae69b1b64479da080eb6f6bb794896cfca227fb19cfdc5feba56"),
        "{text}"
    );
    assert!(
        text.contains("cts_trace_example_evs_deleteVolume_otcdocs.json"),
        "{text}"
    );
    h.screenshot("hash").await;

    h.assert_no_outside_requests().await;
    h.close().await;
}

#[tokio::test]
#[ignore = "needs the built site and Chromium: run through `cargo xtask test`"]
async fn picker_hashes_too_progress_advances_main_thread_stays_free_and_cancel_stops() {
    let h = Harness::start().await;
    h.open().await;

    // The file picker path, with a known vector.
    let small = artifacts().join("abc.txt");
    std::fs::write(&small, b"abc").unwrap();
    h.client()
        .find(Locator::Css("#pick-files"))
        .await
        .unwrap()
        .send_keys(&small.to_string_lossy())
        .await
        .unwrap();
    h.wait_for(
        "loading to finish",
        "return !!document.querySelector('#summary');",
    )
    .await;
    h.tab("inputs").await;
    h.wait_for(
        "the picked file's hash",
        "return document.querySelectorAll('#files td.hash code').length === 1",
    )
    .await;
    let text = h
        .js("return document.querySelector('#files').innerText;")
        .await;
    assert!(text
        .as_str()
        .unwrap_or_default()
        .contains("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));

    // A large sparse file: the worker needs seconds, so progress and cancel can be observed.
    let big = artifacts().join("big.bin");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    // Probe the main thread: a 10 ms timer must keep firing while the worker hashes.
    h.js("window.__gaps = []; let last = performance.now(); window.__probe = setInterval(() => { \
          const now = performance.now(); window.__gaps.push(now - last); last = now; }, 10); return true;")
        .await;
    h.client()
        .find(Locator::Css("#pick-files"))
        .await
        .unwrap()
        .send_keys(&big.to_string_lossy())
        .await
        .unwrap();
    h.wait_for(
        "progress to advance",
        "const p = document.querySelector('#progress'); return !!p && p.value > 1;",
    )
    .await;
    let first = h
        .js("return document.querySelector('#progress').value;")
        .await
        .as_f64()
        .unwrap_or(0.0);
    h.wait_for(
        "progress to advance further",
        &format!("return document.querySelector('#progress').value > {first};"),
    )
    .await;
    h.screenshot("progress").await;
    h.client()
        .find(Locator::Css("#cancel"))
        .await
        .expect("cancel button while running")
        .click()
        .await
        .unwrap();
    h.tab("inputs").await;
    h.wait_for(
        "the cancelled row",
        "return document.querySelector('#files').innerText.includes('cancelled');",
    )
    .await;
    let max_gap = h
        .js("clearInterval(window.__probe); return Math.max(...window.__gaps);")
        .await
        .as_f64()
        .unwrap();
    assert!(
        max_gap < 250.0,
        "main thread blocked for {max_gap} ms while the worker hashed"
    );
    // No result arrives for the cancelled job.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let hashes = h
        .js("return document.querySelectorAll('#files td.hash code').length;")
        .await;
    assert_eq!(hashes.as_u64(), Some(0));
    let _ = std::fs::remove_file(&big);
    h.close().await;
}
