//! Installing what the build and the tests need, only when missing.

use std::path::PathBuf;
use std::process::Command;

use trailproof_e2e::CHROME_ARGS;

use crate::{root, run, Result};

/// trunk 0.22 needs a newer rustc than this project's; 0.21 is the last that fits.
const TRUNK_VERSION: &str = "0.21.14";
/// Debian's wasm-opt (108) cannot parse the wasm features rustc emits today.
const BINARYEN: &str = "binaryen@132";
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const FIREFOX: &str = "/usr/bin/firefox-esr";
/// geckodriver from crates.io (there is no Debian package of it in bookworm).
const GECKODRIVER_VERSION: &str = "0.37.1";

/// Environment for commands that drive headless Chromium.
pub struct Env {
    vars: Vec<(String, String)>,
}

impl Env {
    /// The same with more variables (`ensure_firefox`'s).
    pub fn with(mut self, vars: Vec<(String, String)>) -> Env {
        self.vars.extend(vars);
        self
    }

    /// Adds the variables to `cmd`.
    pub fn apply(&self, cmd: &mut Command) {
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
    }
}

fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn cargo_bin() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default();
    home.join("bin")
}

fn binaryen_bin() -> PathBuf {
    root().join("target/tools/binaryen/node_modules/.bin")
}

/// `PATH` with our tool directories first.
fn tool_path() -> String {
    let mut parts = vec![binaryen_bin(), cargo_bin()];
    if let Some(path) = std::env::var_os("PATH") {
        parts.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(parts)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn ensure_wasm_target() -> Result {
    let installed = output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

/// The wasm-bindgen version Cargo.lock pins; the CLI must match it exactly.
fn locked_wasm_bindgen() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_owned());
            }
        }
    }
    Err("wasm-bindgen is not in Cargo.lock".into())
}

fn ensure_trunk() -> Result {
    let have = output(&cargo_bin().join("trunk").to_string_lossy(), &["--version"])
        .or_else(|| output("trunk", &["--version"]));
    if have.is_some_and(|v| v.contains("0.21.")) {
        return Ok(());
    }
    run(fast_install().args(["install", "--locked", "trunk", "--version", TRUNK_VERSION]))
}

/// `cargo install` for build tools with the tool's own release profile relaxed: trunk asks for
/// fat LTO and one codegen unit, which makes its install the slowest step of a fresh machine;
/// these tools only orchestrate (the heavy work is rustc, wasm-bindgen and wasm-opt), so
/// thin-local LTO and parallel codegen cost nothing measurable when they run.
fn fast_install() -> Command {
    let mut cmd = Command::new("cargo");
    cmd.env("CARGO_PROFILE_RELEASE_LTO", "off")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false");
    cmd
}

fn ensure_wasm_bindgen() -> Result {
    let want = locked_wasm_bindgen()?;
    let bin = cargo_bin().join("wasm-bindgen");
    let have = output(&bin.to_string_lossy(), &["--version"])
        .or_else(|| output("wasm-bindgen", &["--version"]));
    if have.is_some_and(|v| v.split_whitespace().nth(1) == Some(want.as_str())) {
        return Ok(());
    }
    // wasm-bindgen-cli's own lock file does not build with this toolchain, hence no --locked.
    run(fast_install().args(["install", "wasm-bindgen-cli", "--version", &want]))
}

fn ensure_wasm_opt() -> Result {
    let bin = binaryen_bin().join("wasm-opt");
    if output(&bin.to_string_lossy(), &["--version"]).is_some_and(|v| v.contains("version 132")) {
        return Ok(());
    }
    let prefix = root().join("target/tools/binaryen");
    std::fs::create_dir_all(&prefix).map_err(|e| format!("{}: {e}", prefix.display()))?;
    if output("npm", &["--version"]).is_none() {
        return Err(
            "npm is needed to install wasm-opt (binaryen@132): install Node.js and npm".into(),
        );
    }
    run(Command::new("npm")
        .arg("install")
        .arg("--prefix")
        .arg(&prefix)
        .args(["--no-audit", "--no-fund", "--loglevel=error", BINARYEN]))
}

/// The accessibility checker the end-to-end tests inject into the page (from npm, as binaryen).
const AXE_CORE: &str = "axe-core@4";

/// Where `ensure_axe` installs axe-core's browser script.
pub fn axe_script() -> PathBuf {
    root().join("target/tools/axe/node_modules/axe-core/axe.min.js")
}

/// axe-core, installed with npm into `target/tools/axe` when missing; returns its script. The
/// tests read the file and inject it through WebDriver: the page never fetches it.
pub fn ensure_axe() -> Result<PathBuf> {
    let script = axe_script();
    if script.is_file() {
        return Ok(script);
    }
    let prefix = root().join("target/tools/axe");
    std::fs::create_dir_all(&prefix).map_err(|e| format!("{}: {e}", prefix.display()))?;
    if output("npm", &["--version"]).is_none() {
        return Err(format!(
            "npm is needed to install {AXE_CORE} for the accessibility check: install Node.js and npm"
        ));
    }
    run(Command::new("npm")
        .arg("install")
        .arg("--prefix")
        .arg(&prefix)
        .args(["--no-audit", "--no-fund", "--loglevel=error", AXE_CORE]))?;
    if script.is_file() {
        Ok(script)
    } else {
        Err(format!(
            "npm installed {AXE_CORE} but {} is missing",
            script.display()
        ))
    }
}

/// Everything `trunk build` needs; returns the `PATH` to run it with.
pub fn ensure_build_tools() -> Result<String> {
    ensure_wasm_target()?;
    ensure_trunk()?;
    ensure_wasm_bindgen()?;
    ensure_wasm_opt()?;
    Ok(tool_path())
}

/// Installs Debian packages with apt when we are root; otherwise fails with the command to
/// run. `what` says what needs them.
fn apt_install(packages: &[&str], what: &str) -> Result {
    let root_user = output("id", &["-u"]).is_some_and(|id| id.trim() == "0");
    if !root_user {
        return Err(format!(
            "{what}: run `sudo apt-get install {}`",
            packages.join(" ")
        ));
    }
    run(Command::new("apt-get").args(["update", "-q"]))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "-q", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// Where `ensure_firefox` installs geckodriver (`cargo install --root`).
fn geckodriver_bin() -> PathBuf {
    root().join("target/tools/geckodriver/bin/geckodriver")
}

/// Firefox ESR (Debian's `firefox-esr`, apt) and geckodriver (crates.io, built into
/// `target/tools/geckodriver`), each installed when missing; returns the variables the
/// `firefox` e2e target reads. geckodriver is built with the relaxed profile of the other
/// tools: it only relays WebDriver commands.
pub fn ensure_firefox() -> Result<Vec<(String, String)>> {
    if !std::path::Path::new(FIREFOX).is_file() {
        apt_install(
            &["firefox-esr"],
            &format!("Firefox ESR is needed for the browser tests (expects {FIREFOX})"),
        )?;
    }
    let bin = geckodriver_bin();
    if !output(&bin.to_string_lossy(), &["--version"])
        .is_some_and(|v| v.contains(GECKODRIVER_VERSION))
    {
        run(fast_install()
            .args(["install", "--locked", "geckodriver", "--version"])
            .arg(GECKODRIVER_VERSION)
            .arg("--root")
            .arg(root().join("target/tools/geckodriver")))?;
    }
    Ok(vec![
        ("FIREFOX".into(), FIREFOX.into()),
        ("GECKODRIVER".into(), bin.to_string_lossy().into_owned()),
    ])
}

/// Debian's Chromium and ChromeDriver, installed when missing and we are root.
pub fn ensure_browser() -> Result<Env> {
    let present = |p: &str| std::path::Path::new(p).is_file();
    if !(present(CHROMIUM) && present(CHROMEDRIVER)) {
        apt_install(
            &["chromium", "chromium-driver"],
            &format!(
                "headless Chromium is needed for the browser tests (expects {CHROMIUM} and {CHROMEDRIVER})"
            ),
        )?;
    }
    let webdriver = root().join("target/webdriver.json");
    std::fs::create_dir_all(root().join("target")).map_err(|e| e.to_string())?;
    let args = CHROME_ARGS
        .iter()
        .map(|a| format!("\"{a}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let json =
        format!("{{\"goog:chromeOptions\": {{\"binary\": \"{CHROMIUM}\", \"args\": [{args}]}}}}\n");
    std::fs::write(&webdriver, json).map_err(|e| format!("{}: {e}", webdriver.display()))?;
    Ok(Env {
        vars: vec![
            ("CHROMEDRIVER".into(), CHROMEDRIVER.into()),
            ("CHROMIUM".into(), CHROMIUM.into()),
            (
                "WASM_BINDGEN_TEST_WEBDRIVER_JSON".into(),
                webdriver.to_string_lossy().into_owned(),
            ),
            (
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER".into(),
                "wasm-bindgen-test-runner".into(),
            ),
            ("PATH".into(), tool_path()),
        ],
    })
}

/// What the wasm tests need: the browser plus wasm-bindgen-test-runner (part of the CLI).
pub fn ensure_wasm_test_tools() -> Result<Env> {
    ensure_wasm_target()?;
    ensure_wasm_bindgen()?;
    ensure_browser()
}

/// cargo-fuzz, for the bounded fuzz runs.
pub fn ensure_cargo_fuzz() -> Result {
    let bin = cargo_bin().join("cargo-fuzz");
    if output(&bin.to_string_lossy(), &["--version"]).is_some()
        || output("cargo-fuzz", &["--version"]).is_some()
    {
        return Ok(());
    }
    run(fast_install().args(["install", "--locked", "cargo-fuzz"]))
}
