//! Where cases and clause ids come from: the case set embedded in the
//! binary (`crates/conform/cases`), or a directory given with `--cases`;
//! clause ids are parsed from the embedded `docs/CONTRACT.md`.

use super::case::{Case, CaseParseError, Invalid};
use include_dir::{Dir, include_dir};
use std::fmt;
use std::path::{Path, PathBuf};

static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/cases");

/// Reads a file named on the command line or found in a case directory
/// (an adapter, a known-divergences file, a case) as UTF-8, refusing
/// anything but a regular file: a FIFO would block the run, a device
/// would never end. The open itself does not block.
///
/// # Errors
/// The file cannot be opened or read, is not regular, or is not UTF-8;
/// the message names the path.
pub fn read_input(path: &Path) -> Result<String, ReadError> {
    use rustix::fs::{Mode, OFlags};
    use std::io::Read;
    let cannot = |e: std::io::Error| ReadError::Cannot {
        path: path.to_owned(),
        source: e,
    };
    let fd = rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| cannot(e.into()))?;
    let mut f = std::fs::File::from(fd);
    let meta = f.metadata().map_err(cannot)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular {
            path: path.to_owned(),
        });
    }
    let mut text = String::new();
    f.read_to_string(&mut text).map_err(cannot)?;
    Ok(text)
}

/// Why a file named on the command line or found in a case directory
/// could not be read ([`read_input`]).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Opening or reading failed (missing, no permission, not UTF-8).
    #[error("cannot read {}: {source}", path.display())]
    Cannot {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A directory, FIFO or device.
    #[error("{} is not a regular file (a directory, FIFO or device); give a file", path.display())]
    NotRegular {
        /// The path.
        path: PathBuf,
    },
}

/// One problem of a case set: a case directory or file that cannot be
/// read, a case that does not parse, or one that does not validate.
#[derive(Debug, thiserror::Error)]
pub enum CaseProblem {
    /// `--cases DIR` cannot be read.
    #[error(
        "cannot read cases directory {}: {source}; pass an existing directory to --cases",
        dir.display()
    )]
    NoCasesDir {
        /// The directory given.
        dir: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// `--cases PATH` is not a directory.
    #[error("--cases {} is not a directory", dir.display())]
    NotADir {
        /// The path given.
        dir: PathBuf,
    },
    /// A directory under `--cases` cannot be listed.
    #[error("cannot read {}: {source}", dir.display())]
    SubDir {
        /// The directory.
        dir: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A case file cannot be read.
    #[error("case: {0}")]
    Read(#[from] ReadError),
    /// A case does not parse.
    #[error(transparent)]
    Parse(#[from] CaseParseError),
    /// A case parses but does not validate ([`Case::validate`]).
    #[error(transparent)]
    Invalid(#[from] Invalid),
}

/// Every problem of a case set (nothing runs while there is one).
#[derive(Debug)]
pub struct CaseSetError {
    /// The problems, in the order found.
    pub problems: Vec<CaseProblem>,
}

impl CaseSetError {
    fn one(p: impl Into<CaseProblem>) -> CaseSetError {
        CaseSetError {
            problems: vec![p.into()],
        }
    }
}

/// The problems, a line each.
impl fmt::Display for CaseSetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CaseSetError {}

/// Loads the embedded case set.
///
/// # Errors
/// Every case file that fails to parse, one problem each.
pub fn embedded_cases() -> Result<Vec<Case>, CaseSetError> {
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
pub fn dir_cases(dir: &Path) -> Result<Vec<Case>, CaseSetError> {
    let meta = std::fs::metadata(dir).map_err(|e| {
        CaseSetError::one(CaseProblem::NoCasesDir {
            dir: dir.to_owned(),
            source: e,
        })
    })?;
    if !meta.is_dir() {
        return Err(CaseSetError::one(CaseProblem::NotADir {
            dir: dir.to_owned(),
        }));
    }
    let mut files = Vec::new();
    let mut problems = Vec::new();
    walk(dir, dir, &mut files, &mut problems);
    if !problems.is_empty() {
        return Err(CaseSetError { problems });
    }
    parse_all(files)
}

fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, String)>, errs: &mut Vec<CaseProblem>) {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            errs.push(CaseProblem::SubDir {
                dir: dir.to_owned(),
                source: e,
            });
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
                Err(e) => errs.push(CaseProblem::Read(e)),
            }
        }
    }
}

/// `s` as a TOML basic string (a JSON string is one): how the generated
/// families write names and texts into case files.
pub fn quoted(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// Asserts that a generated family has `n` cases, each valid against the
/// contract's clause ids (the families' own table tests).
#[cfg(test)]
pub(crate) fn assert_valid_family(cases: &[Case], n: usize) {
    let clauses = assetpin_contract::contract_clauses();
    assert_eq!(cases.len(), n);
    let mut ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "ids are unique");
    for c in cases {
        let errs = c.validate(&clauses);
        assert!(errs.is_empty(), "{}: {errs:?}", c.id);
    }
}

/// Asserts that every case of a generated family has a step `judged`
/// accepts (the family's verdict), naming the first that has none.
#[cfg(test)]
pub(crate) fn assert_each_judged(cases: &[Case], judged: impl Fn(&crate::case::Run) -> bool) {
    for c in cases {
        assert!(
            c.steps.iter().filter_map(|s| s.as_run()).any(&judged),
            "{}: no judged step",
            c.id
        );
    }
}

/// Parses `(path, text)` pairs, the id being the path without `.toml`
/// (`top/<name>` when it has no group), sorted.
///
/// # Errors
/// Every text that fails to parse, one problem each.
pub fn parse_all(mut files: Vec<(String, String)>) -> Result<Vec<Case>, CaseSetError> {
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
            Err(e) => errs.push(CaseProblem::Parse(e)),
        }
    }
    if errs.is_empty() {
        Ok(cases)
    } else {
        Err(CaseSetError { problems: errs })
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
