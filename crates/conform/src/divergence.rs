//! Known divergences (`--known`): the cases an implementation is known
//! to fail, with the clause, what it does and why it matters.

use crate::adapter::Adapter;
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
            regex::Regex::new(&self.case).is_ok_and(|r| r.is_match(id))
        } else {
            self.case == id
        }
    }
}

/// Reads a known-divergences file.
///
/// # Errors
/// Unreadable or malformed file (the message names it).
pub fn load_divergences(path: &Path) -> Result<Vec<Divergence>, String> {
    let text = source::read_input(path).map_err(|e| format!("known-divergences file: {e}"))?;
    parse_divergences(&path.display().to_string(), &text)
}

/// Parses a known-divergences document.
///
/// # Errors
/// Malformed TOML.
pub fn parse_divergences(origin: &str, text: &str) -> Result<Vec<Divergence>, String> {
    let f: DivergenceFile = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
    for d in &f.divergence {
        if d.case.starts_with('^')
            && let Err(e) = regex::Regex::new(&d.case)
        {
            return Err(format!("{origin}: case {:?} is not a regex: {e}", d.case));
        }
    }
    Ok(f.divergence)
}

/// Splits the `--known` arguments over the adapters: `NAME=FILE` goes to
/// the adapter named NAME, a bare FILE to the only adapter.
///
/// # Errors
/// A bare FILE with several adapters, an unknown NAME, a bad file.
pub fn known_for(
    args: &[String],
    ads: &[Adapter],
) -> Result<Vec<(Vec<Divergence>, String)>, String> {
    let mut out: Vec<(Vec<Divergence>, Vec<String>)> = vec![(Vec::new(), Vec::new()); ads.len()];
    let names: Vec<&str> = ads.iter().map(|x| x.spec.name.as_str()).collect();
    for a in args {
        let (who, file) = match a.split_once('=') {
            Some((n, f)) if names.contains(&n) => (Some(n), f),
            // NAME=FILE naming no adapter (unless the whole is a file).
            Some((n, _)) if !Path::new(a).exists() => {
                return Err(format!(
                    "--known {a}: no adapter is named {n:?} (adapters: {})",
                    names.join(", ")
                ));
            }
            _ => (None, a.as_str()),
        };
        let idx = match who {
            Some(n) => names.iter().position(|x| *x == n).unwrap_or(0),
            None if ads.len() == 1 => 0,
            None => {
                return Err(format!(
                    "--known {a}: with several adapters say whose, as NAME=FILE (NAME one of {})",
                    names.join(", ")
                ));
            }
        };
        let d = load_divergences(Path::new(file))?;
        out[idx].0.extend(d);
        out[idx].1.push(file.to_owned());
    }
    Ok(out
        .into_iter()
        .map(|(d, files)| (d, files.join(" or ")))
        .collect())
}
