//! Where cases and clause ids come from: the case set embedded in the
//! binary (`crates/conform/cases`), or a directory given with `--cases`;
//! clause ids are parsed from the embedded `docs/CONTRACT.md`.

use super::case::Case;
use include_dir::{Dir, include_dir};
use std::path::Path;

static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/cases");

/// Reads a file named on the command line or found in a case directory
/// (an adapter, a known-divergences file, a case) as UTF-8, refusing
/// anything but a regular file: a FIFO would block the run, a device
/// would never end. The open itself does not block.
///
/// # Errors
/// The file cannot be opened or read, is not regular, or is not UTF-8;
/// the message names the path.
pub fn read_input(path: &Path) -> Result<String, String> {
    use rustix::fs::{Mode, OFlags};
    use std::io::Read;
    let fd = rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut f = std::fs::File::from(fd);
    let meta = f
        .metadata()
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!(
            "{} is not a regular file (a directory, FIFO or device); give a file",
            path.display()
        ));
    }
    let mut text = String::new();
    f.read_to_string(&mut text)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(text)
}

/// Loads the embedded case set.
///
/// # Errors
/// Every case file that fails to parse, one message each.
pub fn embedded_cases() -> Result<Vec<Case>, Vec<String>> {
    let mut files = Vec::new();
    collect_embedded(&EMBEDDED, &mut files);
    parse_all(files)
}

fn collect_embedded(dir: &Dir<'static>, out: &mut Vec<(String, String)>) {
    for f in dir.files() {
        if f.path().extension().is_some_and(|e| e == "toml") {
            let text = String::from_utf8_lossy(f.contents()).into_owned();
            out.push((f.path().to_string_lossy().into_owned(), text));
        }
    }
    for d in dir.dirs() {
        collect_embedded(d, out);
    }
}

/// Loads every `*.toml` under `dir` (one directory level of groups, or
/// deeper).
///
/// # Errors
/// The directory cannot be read, or case files fail to parse.
pub fn dir_cases(dir: &Path) -> Result<Vec<Case>, Vec<String>> {
    let meta = std::fs::metadata(dir).map_err(|e| {
        vec![format!(
            "cannot read cases directory {}: {e}; pass an existing directory to --cases",
            dir.display()
        )]
    })?;
    if !meta.is_dir() {
        return Err(vec![format!(
            "--cases {} is not a directory",
            dir.display()
        )]);
    }
    let mut files = Vec::new();
    let mut errs = Vec::new();
    walk(dir, dir, &mut files, &mut errs);
    if !errs.is_empty() {
        return Err(errs);
    }
    parse_all(files)
}

fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, String)>, errs: &mut Vec<String>) {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            errs.push(format!("cannot read {}: {e}", dir.display()));
            return;
        }
    };
    for ent in rd.flatten() {
        let p = ent.path();
        // Links to directories are not followed: a link back up would
        // make the walk endless.
        let is_dir = ent.file_type().is_ok_and(|t| t.is_dir());
        if is_dir {
            walk(base, &p, out, errs);
        } else if p.extension().is_some_and(|e| e == "toml") {
            match read_input(&p) {
                Ok(t) => {
                    let rel = p.strip_prefix(base).unwrap_or(&p);
                    out.push((rel.to_string_lossy().into_owned(), t));
                }
                Err(e) => errs.push(format!("case: {e}")),
            }
        }
    }
}

/// Parses `(path, text)` pairs, the id being the path without `.toml`
/// (`top/<name>` when it has no group), sorted.
///
/// # Errors
/// Every text that fails to parse, one message each.
pub fn parse_all(mut files: Vec<(String, String)>) -> Result<Vec<Case>, Vec<String>> {
    files.sort();
    let mut cases = Vec::new();
    let mut errs = Vec::new();
    for (path, text) in files {
        let id = path.trim_end_matches(".toml").replace('\\', "/");
        let id = if id.contains('/') {
            id
        } else {
            format!("top/{id}")
        };
        match Case::parse(&id, &text) {
            Ok(c) => cases.push(c),
            Err(e) => errs.push(e),
        }
    }
    if errs.is_empty() {
        Ok(cases)
    } else {
        Err(errs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_cases_parse() {
        let cases = embedded_cases().expect("embedded cases parse");
        assert!(cases.len() >= 120, "only {} cases", cases.len());
    }
}
