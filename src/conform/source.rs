//! Where cases and clause ids come from: the case set embedded in the
//! binary (`tests/fixtures/cases`), or a directory given with `--cases`;
//! clause ids are parsed from the embedded `docs/CONTRACT.md`.

use super::case::Case;
use include_dir::{Dir, include_dir};
use std::path::Path;

static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/tests/fixtures/cases");

/// The contract text this binary was built with.
pub const CONTRACT: &str = include_str!("../../docs/CONTRACT.md");

/// Clause ids of the contract, in document order: every bullet that
/// starts with `- <Letter><digits> ` under a section heading.
pub fn contract_clauses() -> Vec<String> {
    clauses_of(CONTRACT)
}

/// Clause ids found in a contract text.
pub fn clauses_of(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("- ") else {
            continue;
        };
        let id: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
        let mut chars = id.chars();
        let ok = matches!(chars.next(), Some(c) if c.is_ascii_uppercase())
            && id.len() >= 2
            && chars.all(|c| c.is_ascii_digit());
        if ok && !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// The clause's whole text in the contract: its bullet with the indented
/// lines that continue it, joined by single spaces; empty for an unknown id.
pub fn clause_text(id: &str) -> String {
    let head = format!("- {id} ");
    let mut lines = CONTRACT.lines();
    let Some(first) = lines.by_ref().find_map(|l| l.strip_prefix(&head)) else {
        return String::new();
    };
    let mut out = first.trim().to_owned();
    for l in lines.take_while(|l| l.starts_with("  ") && !l.trim().is_empty()) {
        out.push(' ');
        out.push_str(l.trim());
    }
    out
}

/// The clause's title for a table cell: [`clause_text`] cut at a word
/// boundary to at most 60 characters, `...` marking the cut.
pub fn clause_title(id: &str) -> String {
    const MAX: usize = 60;
    let text = clause_text(id);
    if text.chars().count() <= MAX {
        return text;
    }
    let cut: String = text.chars().take(MAX - 3).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > MAX / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}...", cut.trim_end_matches([' ', ',', ':', ';']))
}

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
    fn contract_has_every_group() {
        let c = contract_clauses();
        for id in [
            "Y1", "Y3", "L1", "L10", "K7", "I8", "U7", "D3", "T3", "R5", "A5", "W6", "E4",
        ] {
            assert!(c.contains(&id.to_owned()), "{id} missing from {c:?}");
        }
        // Y L K I U T D R A W E P.
        assert_eq!(c.len(), 3 + 10 + 7 + 8 + 7 + 3 + 3 + 5 + 5 + 6 + 4 + 10);
    }

    #[test]
    fn clause_text_is_the_whole_bullet_and_the_title_cuts_at_a_word() {
        let t = clause_text("P9");
        assert!(t.starts_with("A reinstall of a changed skill"), "{t}");
        assert!(t.ends_with("(generalizes I6, U4)."), "{t}");
        assert!(!t.contains("  "), "{t}");
        let title = clause_title("P9");
        assert!(title.len() <= 60 && title.ends_with("..."), "{title}");
        assert!(t.starts_with(title.trim_end_matches("...")), "{title}");
        // A short clause is whole; an unknown id is empty.
        assert_eq!(clause_title("P3"), clause_text("P3"));
        assert_eq!(clause_text("Z9"), "");
    }

    #[test]
    fn embedded_cases_parse() {
        let cases = embedded_cases().expect("embedded cases parse");
        assert!(cases.len() >= 120, "only {} cases", cases.len());
    }
}
