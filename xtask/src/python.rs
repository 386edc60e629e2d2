//! A private Python environment for the checks that drive other engines (DuckDB / pyarrow for
//! the Parquet output, Dask for the chain-sharded verification job).
//!
//! Packages come from PyPI into `target/tools/py` (a venv), installed only when an import
//! fails, so a warm machine pays nothing and the user's own Python is never touched.

use std::path::PathBuf;
use std::process::Command;

use crate::{root, run, Result};

fn venv_dir() -> PathBuf {
    root().join("target/tools/py")
}

/// The venv's interpreter, created on first use.
fn interpreter() -> Result<PathBuf> {
    let python = venv_dir().join("bin/python");
    if !python.exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(venv_dir()))?;
    }
    Ok(python)
}

/// Returns a Python interpreter that can import every module of `packages`
/// (`(import name, PyPI requirement)`), installing the missing ones from PyPI.
pub fn with_packages(packages: &[(&str, &str)]) -> Result<PathBuf> {
    let python = interpreter()?;
    let missing: Vec<&str> = packages
        .iter()
        .filter(|(module, _)| {
            !Command::new(&python)
                .args(["-c", &format!("import {module}")])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .map(|(_, requirement)| *requirement)
        .collect();
    if !missing.is_empty() {
        run(Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(&missing))?;
    }
    Ok(python)
}
