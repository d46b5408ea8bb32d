//! Known divergences (`--known`): the cases an implementation is known
//! to fail, with the clause, what it does and why it matters.

use crate::adapter::Adapter;
use crate::case::Case;
use crate::source;
use serde::Deserialize;
use std::path::Path;

/// One known divergence of an implementation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Divergence {
    /// Case id, or, when it starts with `^`, a regex over case ids (for a
    /// family of generated cases with one cause); every case it names
    /// must fail.
    pub case: String,
    /// Clause id the divergence breaks.
    pub clause: String,
    /// What the implementation does.
    pub does: String,
    /// Why it matters.
    pub why: String,
    /// The divergence is a hang: each process of its cases is given at
    /// most this many seconds, enough to see it hang again and no more
    /// (a case that stops hanging passes, and the entry then fails).
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    /// The divergence is a race the tool loses only sometimes (a lost
    /// update between concurrent installs): a run of its cases that
    /// passes is accepted, one that fails must fail as listed.
    #[serde(default)]
    pub race: bool,
    /// `case` compiled once, when it is a regex (a gate asks thousands of
    /// times).
    #[serde(skip)]
    compiled: std::sync::OnceLock<Option<regex::Regex>>,
}

/// `case` with every step's per-process limit capped by the
/// `timeout_secs` of the first divergence in `divs` that names it; the
/// case itself when none does.
pub fn capped<'a>(case: &'a Case, divs: &[Divergence]) -> std::borrow::Cow<'a, Case> {
    let Some(t) = divs
        .iter()
        .find(|d| d.matches(&case.id))
        .and_then(|d| d.timeout_secs)
    else {
        return std::borrow::Cow::Borrowed(case);
    };
    let mut c = case.clone();
    for s in &mut c.steps {
        if let crate::case::Step::Run(r) = s {
            r.timeout_secs = Some(r.timeout_secs.map_or(t, |x| x.min(t)));
        }
    }
    std::borrow::Cow::Owned(c)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DivergenceFile {
    #[serde(default)]
    divergence: Vec<Divergence>,
}

impl Divergence {
    /// Whether this divergence names case `id` (exactly, or by its `^`
    /// regex; a regex that does not compile names nothing, and
    /// [`parse_divergences`] refuses it).
    pub fn matches(&self, id: &str) -> bool {
        if self.case.starts_with('^') {
            self.compiled
                .get_or_init(|| regex::Regex::new(&self.case).ok())
                .as_ref()
                .is_some_and(|r| r.is_match(id))
        } else {
            self.case == id
        }
    }
}

/// Reads a known-divergences file.
///
/// # Errors
/// Unreadable or malformed file (the message names it).
pub fn load_divergences(path: &Path) -> Result<Vec<Divergence>, DivergenceError> {
    let text = source::read_input(path).map_err(DivergenceError::Read)?;
    parse_divergences(&path.display().to_string(), &text)
}

/// Parses a known-divergences document.
///
/// # Errors
/// Malformed TOML, a `^` case that is not a regex.
pub fn parse_divergences(origin: &str, text: &str) -> Result<Vec<Divergence>, DivergenceError> {
    let f: DivergenceFile = toml::from_str(text).map_err(|e| DivergenceError::Parse {
        origin: origin.to_owned(),
        source: e,
    })?;
    for d in &f.divergence {
        if d.case.starts_with('^')
            && let Err(e) = regex::Regex::new(&d.case)
        {
            return Err(DivergenceError::BadRegex {
                origin: origin.to_owned(),
                case: d.case.clone(),
                source: e,
            });
        }
    }
    Ok(f.divergence)
}

/// Why `--known` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DivergenceError {
    /// The file cannot be read.
    #[error("known-divergences file: {0}")]
    Read(#[source] source::ReadError),
    /// The file is not a known-divergences document.
    #[error("{origin}: {source}")]
    Parse {
        /// The file.
        origin: String,
        /// The parse error.
        #[source]
        source: toml::de::Error,
    },
    /// A `^` case is not a regex.
    #[error("{origin}: case {case:?} is not a regex: {source}")]
    BadRegex {
        /// The file.
        origin: String,
        /// The `case` as written.
        case: String,
        /// Why it does not compile.
        #[source]
        source: regex::Error,
    },
    /// `NAME=FILE` whose NAME is no adapter's (and which is no file).
    #[error("--known {arg}: no adapter is named {name:?} (adapters: {})", .adapters.join(", "))]
    UnknownAdapter {
        /// The argument.
        arg: String,
        /// The NAME it gives.
        name: String,
        /// The adapters' names.
        adapters: Vec<String>,
    },
    /// A bare FILE with several adapters.
    #[error(
        "--known {arg}: with several adapters say whose, as NAME=FILE (NAME one of {})",
        .adapters.join(", ")
    )]
    Whose {
        /// The argument.
        arg: String,
        /// The adapters' names.
        adapters: Vec<String>,
    },
}

/// One adapter's known divergences and the files they came from.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// The divergences, in file order.
    pub divergences: Vec<Divergence>,
    /// The `--known` files given for this adapter.
    pub files: Vec<String>,
}

impl Known {
    /// The files as a report names them (`a.toml or b.toml`).
    pub fn files_text(&self) -> String {
        self.files.join(" or ")
    }
}

/// Splits the `--known` arguments over the adapters: `NAME=FILE` goes to
/// the adapter named NAME, a bare FILE to the only adapter. One
/// [`Known`] per adapter, in adapter order.
///
/// # Errors
/// A bare FILE with several adapters, an unknown NAME, a bad file.
pub fn known_for(args: &[String], ads: &[Adapter]) -> Result<Vec<Known>, DivergenceError> {
    let mut out: Vec<Known> = vec![Known::default(); ads.len()];
    let names: Vec<&str> = ads.iter().map(|x| x.spec.name.as_str()).collect();
    let adapters = || names.iter().map(|n| (*n).to_owned()).collect();
    for a in args {
        let (who, file) = match a.split_once('=') {
            Some((n, f)) if names.contains(&n) => (Some(n), f),
            // NAME=FILE naming no adapter (unless the whole is a file).
            Some((n, _)) if !Path::new(a).exists() => {
                return Err(DivergenceError::UnknownAdapter {
                    arg: a.clone(),
                    name: n.to_owned(),
                    adapters: adapters(),
                });
            }
            _ => (None, a.as_str()),
        };
        let idx = match who {
            Some(n) => names.iter().position(|x| *x == n).unwrap_or(0),
            None if ads.len() == 1 => 0,
            None => {
                return Err(DivergenceError::Whose {
                    arg: a.clone(),
                    adapters: adapters(),
                });
            }
        };
        let d = load_divergences(Path::new(file))?;
        out[idx].divergences.extend(d);
        out[idx].files.push(file.to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A divergence with `timeout_secs` caps every run step of the cases
    /// it names, below a step's own limit too; other cases are untouched.
    #[test]
    fn a_known_hang_gets_the_short_limit() {
        let text = "summary = \"s\"\nclauses = [\"E4\"]\n\
                    [[step]]\nverb = \"status\"\ntimeout_secs = 10\n\
                    [[step]]\nverb = \"status\"\n";
        let case = Case::parse("e-x/hang", text).unwrap();
        let divs = parse_divergences(
            "t",
            "[[divergence]]\ncase = \"e-x/hang\"\nclause = \"E4\"\ndoes = \"d\"\nwhy = \"w\"\ntimeout_secs = 2\n",
        )
        .unwrap();
        let limits = |c: &Case| -> Vec<Option<u64>> {
            c.steps
                .iter()
                .filter_map(|s| s.as_run())
                .map(|r| r.timeout_secs)
                .collect()
        };
        assert_eq!(limits(&capped(&case, &divs)), vec![Some(2), Some(2)]);
        let other = Case::parse("e-x/other", text).unwrap();
        assert!(matches!(
            capped(&other, &divs),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(limits(&capped(&other, &divs)), vec![Some(10), None]);
    }
}
