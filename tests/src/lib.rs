//! A minimal static file server for the built site, bound to loopback only.
//!
//! It serves `dist/` the way a static host would — correct MIME types (browsers only stream-
//! compile wasm served as `application/wasm`) and the security headers from `dist/_headers` —
//! and records every request path, so tests can see what the page asked for. Used by the
//! end-to-end tests and by `cargo xtask serve`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Flags for headless Chromium on a machine without outside network, used by the e2e tests
/// and by `cargo xtask` for the wasm tests: no background connections (they would be refused
/// and slow every start), no sandbox when running as root, no GPU.
pub const CHROME_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
];

/// A running server; stops when dropped.
pub struct Server {
    addr: SocketAddr,
    prefix: String,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<String>>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves `root` on `addr` (use port 0 for any free port). Only loopback addresses are
    /// accepted: this server is for local testing and previewing, never for exposure.
    pub fn start(root: &Path, addr: SocketAddr) -> std::io::Result<Server> {
        Server::start_at(root, addr, "/")
    }

    /// Serves `root` under the URL path `prefix` (`/tools/trailproof/`), the way a site is
    /// hosted in a folder of a larger one; everything outside the prefix is not found.
    pub fn start_at(root: &Path, addr: SocketAddr, prefix: &str) -> std::io::Result<Server> {
        let prefix = format!("/{}/", prefix.trim_matches('/')).replace("//", "/");
        if !addr.ip().is_loopback() {
            return Err(std::io::Error::other(
                "refusing to bind a non-loopback address",
            ));
        }
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let headers = security_headers(&root.join("_headers"));
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let (root, stop, requests) = (root.to_path_buf(), stop.clone(), requests.clone());
            let prefix = prefix.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let (root, headers, requests, prefix) = (
                                root.clone(),
                                headers.clone(),
                                requests.clone(),
                                prefix.clone(),
                            );
                            std::thread::spawn(move || {
                                let _ = handle(stream, &root, &prefix, &headers, &requests);
                            });
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(5))
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        Ok(Server {
            addr,
            prefix,
            stop,
            requests,
            thread: Some(thread),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` — the origin the site is served from.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The site's URL: the origin and the prefix it is served under (ends with `/`).
    pub fn base(&self) -> String {
        format!("{}{}", self.origin(), self.prefix)
    }

    /// Stops serving: the port is closed, so the browser sees the server gone (as in a
    /// review room without a network).
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Paths requested so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Blocks until the process is interrupted (for `cargo xtask serve`).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Reads the `/*` block of a Netlify-style `_headers` file.
fn security_headers(path: &Path) -> Vec<(String, String)> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter(|l| l.starts_with("  ") && !l.trim_start().starts_with('#'))
        .filter_map(|l| l.trim().split_once(": "))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn mime(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("webmanifest") => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

fn handle(
    stream: TcpStream,
    root: &Path,
    prefix: &str,
    headers: &[(String, String)],
    requests: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Drain the request headers; bodies are never expected.
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        line.clear();
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let path = target.split(['?', '#']).next().unwrap_or("/").to_owned();
    if let Ok(mut r) = requests.lock() {
        r.push(path.clone());
    }
    let mut out = stream;
    let file = path
        .strip_prefix(prefix)
        .and_then(|rest| resolve(root, rest));
    let (status, body, kind) = match (method, file.as_deref().map(std::fs::read)) {
        ("GET" | "HEAD", Some(Ok(body))) => (
            "200 OK",
            body,
            mime(file.as_deref().unwrap_or(Path::new(""))),
        ),
        ("GET" | "HEAD", _) => ("404 Not Found", b"not found".to_vec(), "text/plain"),
        _ => ("405 Method Not Allowed", Vec::new(), "text/plain"),
    };
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    if method != "HEAD" {
        out.write_all(&body)?;
    }
    out.flush()
}

/// Maps a URL path to a file under `root`, refusing anything that would leave it.
fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url_path)?;
    let mut path = root.to_path_buf();
    for part in Path::new(decoded.trim_start_matches('/')).components() {
        match part {
            Component::Normal(p) => path.push(p),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if path.is_dir() {
        path.push("index.html");
    }
    path.is_file().then_some(path)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_leave_the_root() {
        let root = std::env::temp_dir();
        assert_eq!(resolve(&root, "/../etc/passwd"), None);
        assert_eq!(resolve(&root, "/%2e%2e/etc/passwd"), None);
    }

    #[test]
    fn a_prefix_serves_only_below_it_and_stop_closes_the_port() {
        use std::io::Read;
        let dir = std::env::temp_dir().join(format!("trailproof-serve-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("index.html"), "hi").unwrap();
        let mut server =
            Server::start_at(&dir, "127.0.0.1:0".parse().unwrap(), "tools/trailproof").unwrap();
        assert_eq!(
            server.base(),
            format!("{}/tools/trailproof/", server.origin())
        );
        let addr = server.addr();
        let get = |path: &str| {
            let mut s = TcpStream::connect(addr).unwrap();
            write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).unwrap();
            out
        };
        assert!(get("/tools/trailproof/").starts_with("HTTP/1.1 200"));
        assert!(get("/tools/trailproof/index.html").ends_with("hi"));
        assert!(get("/index.html").starts_with("HTTP/1.1 404"));
        assert!(get("/tools/index.html").starts_with("HTTP/1.1 404"));
        server.stop();
        assert!(TcpStream::connect(addr).is_err(), "still listening");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn refuses_non_loopback() {
        assert!(Server::start(Path::new("."), "0.0.0.0:0".parse().unwrap()).is_err());
    }
}
