//! Turning command-line paths into the files the library reads.

use std::fs;
use std::path::{Path, PathBuf};

/// A regular file found under a command-line argument.
pub struct FoundFile {
    /// Where it is on disk.
    pub path: PathBuf,
    /// Its path relative to the argument it was found under, with `/` separators; for a file
    /// given directly, its file name.
    pub relative: String,
}

/// Expands `arg` into regular files: the file itself, or every file below a directory in
/// sorted order (so output is reproducible). Symbolic links to directories are not followed.
pub fn expand(arg: &Path) -> std::io::Result<Vec<FoundFile>> {
    let meta = fs::metadata(arg)?;
    if meta.is_file() {
        let name = arg
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        return Ok(vec![FoundFile {
            path: arg.to_path_buf(),
            relative: name,
        }]);
    }
    let mut out = Vec::new();
    walk(arg, String::new(), &mut out)?;
    Ok(out)
}

fn walk(dir: &Path, prefix: String, out: &mut Vec<FoundFile>) -> std::io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&entry.path(), relative, out)?;
        } else if kind.is_file() || (kind.is_symlink() && entry.path().is_file()) {
            out.push(FoundFile {
                path: entry.path(),
                relative,
            });
        }
    }
    Ok(())
}

/// Reads every `--keys FILE` as `(name, bytes)`, the name being the path as given (the report's
/// key source). On the first unreadable file, the message to print.
pub fn read_key_files(paths: &[std::path::PathBuf]) -> Result<Vec<(String, Vec<u8>)>, String> {
    paths
        .iter()
        .map(|path| {
            std::fs::read(path)
                .map(|bytes| (path.display().to_string(), bytes))
                .map_err(|e| format!("--keys {}: {e}", path.display()))
        })
        .collect()
}
