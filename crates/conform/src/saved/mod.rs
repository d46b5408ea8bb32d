//! Saved runs: `assetpin conform --save-run FILE` writes one versioned
//! JSON document per run (every implementation, every case's outcome and
//! evidence), and `assetpin report` reads them back: [`diff`] (regressions,
//! fixes and new cases per implementation), [`badge`] (an SVG per
//! implementation and profile) and [`summary`] (the clause x
//! implementation table over several runs).
//!
//! The document (`format = "assetpin-conform-run"`, [`FORMAT_VERSION`]):
//! `{"format", "format_version", "assetpin_version", "suite": {"cases",
//! "digest"}, "implementations": [<the --format json report of each, with
//! "tool_version">]}`;
//! each case carries `id`, `profile`, `clauses`, `outcome` (`passed`,
//! `failed`, `unsupported`, `error`), `known_divergence`, `details` and
//! `failures_detail`. A reader refuses another format or a newer version.

pub mod badge;
pub mod cli;
pub mod diff;
pub mod summary;

use crate::suite::ImplRun;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The document's `format`.
pub const FORMAT: &str = "assetpin-conform-run";
/// The document's `format_version`; a reader takes this one and older.
pub const FORMAT_VERSION: u64 = 1;

/// The saved-run document of `runs`, as pretty JSON.
pub fn document(runs: &[ImplRun]) -> String {
    use sha2::{Digest, Sha256};
    let impls: Vec<serde_json::Value> = runs
        .iter()
        .map(|r| {
            let mut v: serde_json::Value =
                serde_json::from_str(&r.report().json()).unwrap_or(serde_json::Value::Null);
            if let Some(o) = v.as_object_mut() {
                o.insert("tool_version".into(), tool_version(&r.adapter).into());
            }
            v
        })
        .collect();
    // The suite as this run selected it: ids, clauses and summaries.
    let mut h = Sha256::new();
    let first = runs.first().map_or(&[][..], |r| r.results.as_slice());
    for c in first {
        h.update(format!(
            "{}\t{}\t{}\n",
            c.id,
            c.clauses.join(","),
            c.summary
        ));
    }
    let digest: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let v = serde_json::json!({
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "assetpin_version": env!("CARGO_PKG_VERSION"),
        "suite": {"cases": first.len(), "digest": format!("sha256:{}", &digest[..16])},
        "implementations": impls,
    });
    format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
}

/// The first line the adapter's program prints with its `version_args`
/// (stdout, else stderr; at most 200 characters), or `None` without
/// `version_args`, or when it fails or takes more than 10 s.
pub fn tool_version(ad: &crate::adapter::Adapter) -> Option<String> {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let args = &ad.spec.program.version_args;
    if args.is_empty() {
        return None;
    }
    let dir = tempfile::tempdir().ok()?;
    let mut child = Command::new(&ad.exe)
        .args(args)
        // Not the user's home: a tool may write its state there.
        .env("HOME", dir.path())
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < end => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    let out = child.wait_with_output().ok()?;
    if !out.status.success() {
        return None;
    }
    let first = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(|l| l.chars().take(200).collect::<String>())
    };
    first(&out.stdout).or_else(|| first(&out.stderr))
}

/// Counts over some cases of a saved run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Passed.
    pub passed: usize,
    /// Ran: passed, failed or errored (unsupported cases are not counted).
    pub ran: usize,
    /// Failed or errored and not a listed known divergence.
    pub unknown: usize,
}

/// The [`Tally`] of `cases`.
pub fn tally<'a>(cases: impl Iterator<Item = &'a CaseRec>) -> Tally {
    let mut t = Tally::default();
    for c in cases {
        match c.outcome.as_str() {
            "passed" => {
                t.passed += 1;
                t.ran += 1;
            }
            "failed" | "error" => {
                t.ran += 1;
                t.unknown += usize::from(!c.known_divergence);
            }
            _ => {}
        }
    }
    t
}

/// A saved run, as read back.
#[derive(Debug, Clone, Deserialize)]
pub struct Run {
    /// Must be [`FORMAT`].
    pub format: String,
    /// At most [`FORMAT_VERSION`].
    pub format_version: u64,
    /// The assetpin that ran it.
    #[serde(default)]
    pub assetpin_version: String,
    /// Each implementation's results.
    pub implementations: Vec<Impl>,
    /// The file it was read from (set by [`load`]).
    #[serde(skip)]
    pub path: PathBuf,
}

/// One implementation's results in a [`Run`].
#[derive(Debug, Clone, Deserialize)]
pub struct Impl {
    /// The adapter's `name`.
    pub adapter: String,
    /// Its description and program.
    #[serde(default)]
    pub program: String,
    /// What the program printed for its version (`version_args`), if
    /// the adapter says how to ask.
    #[serde(default)]
    pub tool_version: Option<String>,
    /// Its cases, in run order.
    pub cases: Vec<CaseRec>,
}

/// One case's result in an [`Impl`].
#[derive(Debug, Clone, Deserialize)]
pub struct CaseRec {
    /// `<group>/<name>`.
    pub id: String,
    /// `core`, `ext` or `portable` (absent in documents that predate it).
    #[serde(default)]
    pub profile: Option<String>,
    /// The clause ids it checks.
    #[serde(default)]
    pub clauses: Vec<String>,
    /// `passed`, `failed`, `unsupported` or `error`.
    pub outcome: String,
    /// A failure the run's known-divergences file lists.
    #[serde(default)]
    pub known_divergence: bool,
    /// The report's lines for it (why it failed or was skipped).
    #[serde(default)]
    pub details: Vec<String>,
}

/// Why a file is no saved run.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// It cannot be read.
    #[error("{}: cannot read it ({source}); pass a file `assetpin conform --save-run FILE` wrote", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The read's error.
        source: std::io::Error,
    },
    /// It is not a run document, or one of a newer format.
    #[error("{}: not a saved run ({why}); pass a file `assetpin conform --save-run FILE` wrote", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
}

/// The most of a run file read (bytes): a run of every case against ten
/// implementations is a few MiB.
const MAX_BYTES: u64 = 256 << 20;

/// Reads the saved run at `path`.
///
/// # Errors
/// [`LoadError::Read`] (missing, unreadable, a directory, a FIFO with no
/// writer is not waited on, larger than 256 MiB); [`LoadError::Format`]
/// (not JSON, another `format`, a newer `format_version`).
pub fn load(path: &Path) -> Result<Run, LoadError> {
    use std::io::Read;
    let read = |source| LoadError::Read {
        path: path.to_owned(),
        source,
    };
    let bad = |why: String| LoadError::Format {
        path: path.to_owned(),
        why,
    };
    let meta = std::fs::metadata(path).map_err(read)?;
    if !meta.is_file() {
        return Err(read(std::io::Error::other("not a regular file")));
    }
    if meta.len() > MAX_BYTES {
        return Err(bad("larger than 256 MiB".into()));
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .map_err(read)?
        .take(MAX_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(read)?;
    if text.len() as u64 > MAX_BYTES {
        return Err(bad("larger than 256 MiB".into()));
    }
    let head: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
    match head.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT) => {}
        Some(other) => return Err(bad(format!("its format is {other:?}, not {FORMAT:?}"))),
        None => {
            return Err(bad(format!(
                "no \"format\": {FORMAT:?} (a --format json report is not a saved run)"
            )));
        }
    }
    let mut run: Run = serde_json::from_value(head).map_err(|e| bad(e.to_string()))?;
    if run.format_version > FORMAT_VERSION {
        return Err(bad(format!(
            "format_version {} is newer than this assetpin reads ({FORMAT_VERSION}); use a newer assetpin",
            run.format_version
        )));
    }
    run.path = path.to_owned();
    Ok(run)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A run document with one implementation `name` and cases
    /// (id, profile, outcome).
    pub(crate) fn doc(name: &str, cases: &[(&str, &str, &str)]) -> String {
        let cs: Vec<serde_json::Value> = cases
            .iter()
            .map(|(id, p, o)| {
                serde_json::json!({"id": id, "profile": p, "clauses": [id.split('/').next_back().unwrap_or("").split('-').next().unwrap_or("")], "outcome": o, "known_divergence": false, "details": []})
            })
            .collect();
        serde_json::json!({"format": FORMAT, "format_version": 1, "assetpin_version": "0",
            "implementations": [{"adapter": name, "program": "p", "cases": cs}]})
        .to_string()
    }

    pub(crate) fn write(dir: &Path, file: &str, text: &str) -> PathBuf {
        let p = dir.join(file);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn a_run_reads_back() {
        let t = tempfile::tempdir().unwrap();
        let p = write(
            t.path(),
            "r.json",
            &doc("x", &[("i/I1-a", "core", "passed")]),
        );
        let r = load(&p).unwrap();
        assert_eq!(r.implementations[0].cases[0].outcome, "passed");
    }

    #[test]
    fn what_is_no_run_is_refused_naming_the_file() {
        let t = tempfile::tempdir().unwrap();
        for (text, want) in [
            ("{", "not JSON"),
            (
                "{\"summary\": {}}",
                "a --format json report is not a saved run",
            ),
            ("{\"format\": \"other\"}", "its format is"),
            (
                &doc("x", &[]).replace("\"format_version\":1", "\"format_version\":99"),
                "newer",
            ),
        ] {
            let p = write(t.path(), "r.json", text);
            let e = load(&p).unwrap_err().to_string();
            assert!(e.contains(want) && e.contains("r.json"), "{text}: {e}");
        }
        let e = load(t.path()).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
    }
}
