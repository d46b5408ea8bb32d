//! `status`: a read-only report of every lockfile entry and untracked
//! dest (CONTRACT K7, T1-T3). Takes no lock and never writes.

use crate::asset::AssetType;
use crate::error::{Error, Kind, Result};
use crate::fs::safedir::EntryKind;
use crate::lock::lockfile::{self, VERSION};
use crate::ops::Context;
use crate::ops::drift;
use crate::ops::project::Project;
use crate::wiki::Wiki;
use gix::ObjectId;
use serde_json::{Value, json};

/// The states of T1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Pin equals the wiki HEAD and dest is clean.
    Ok,
    /// Pin is a strict ancestor of HEAD.
    Behind,
    /// Some dest file is dirty (U2).
    Dirty,
    /// Dest is gone.
    Missing,
    /// Pin is not an ancestor of HEAD, or unknown to the wiki.
    StalePin,
    /// A dest directory without an entry.
    Untracked,
    /// The wiki is absent, so ok/behind/stale-pin cannot be told.
    Unknown,
}

impl State {
    /// The state's name as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ok => "ok",
            State::Behind => "behind",
            State::Dirty => "dirty",
            State::Missing => "missing",
            State::StalePin => "stale-pin",
            State::Untracked => "untracked",
            State::Unknown => "unknown",
        }
    }
}

/// One row of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Asset type.
    pub ty: AssetType,
    /// Asset name.
    pub name: String,
    /// The recorded pin (`wiki_commit` as found); `None` for untracked.
    pub pin: Option<String>,
    /// The state (T1).
    pub state: State,
    /// Dirty files, sorted (U2).
    pub dirty_files: Vec<String>,
    /// Largest mtime over the files in dest, ns since the epoch (U7).
    pub mtime_ns: Option<i128>,
}

/// The whole report (T3).
#[derive(Debug, Clone)]
pub struct Report {
    /// The wiki HEAD, when the wiki is there.
    pub wiki_head: Option<String>,
    /// Why there is no HEAD, when there is none: the wiki's own error
    /// message ("... has no commit yet ...", "... does not exist ...").
    pub wiki_problem: Option<String>,
    /// The `version` value found in the lockfile (1 when absent).
    pub lockfile_version: Value,
    /// One row per entry, then one per untracked dest, per section.
    pub rows: Vec<Row>,
}

impl Report {
    /// The T3 JSON object.
    pub fn to_json(&self) -> Value {
        let assets: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                json!({
                    "type": r.ty.as_str(),
                    "name": r.name,
                    "pin": r.pin,
                    "state": r.state.as_str(),
                    "dirty_files": r.dirty_files,
                    "mtime_ns": r.mtime_ns.map(crate::error::integer),
                })
            })
            .collect();
        json!({
            "wiki_head": self.wiki_head,
            "lockfile_version": self.lockfile_version,
            "assets": assets,
        })
    }
}

fn wiki_state(wiki: Option<&(Wiki, ObjectId)>, pin: Option<&str>) -> State {
    let Some((wiki, head)) = wiki else {
        return State::Unknown;
    };
    let Some(pin) = pin.filter(|p| wiki.has_commit(p)) else {
        return State::StalePin;
    };
    let Ok(pin) = ObjectId::from_hex(pin.as_bytes()) else {
        return State::StalePin;
    };
    if pin == *head {
        return State::Ok;
    }
    match wiki.is_ancestor(pin, *head) {
        Ok(true) => State::Behind,
        _ => State::StalePin,
    }
}

/// Reads the project state without taking a lock (K7). A missing or
/// unusable wiki makes the states that need it `unknown` (T1).
///
/// # Errors
/// `project-not-found`, `lockfile-corrupt` (T2), `lockfile-version` (T2,
/// with the version found in the `lockfile_version` detail), `unsafe-path`,
/// `io`.
pub fn status(ctx: &Context) -> Result<Report> {
    let project = Project::open(&ctx.project)?;
    let bytes = project.read_lockfile()?;
    let view = lockfile::parse_tolerant(
        bytes.as_deref(),
        &project.lockfile_path().display().to_string(),
    )?;
    if view.version != VERSION {
        return Err(
            Error::lockfile_version(project.lockfile_path().display(), &view.version)
                .with_detail("lockfile_version", view.version.clone()),
        );
    }
    let (wiki, wiki_problem) = match Wiki::open(&ctx.wiki).and_then(|w| {
        let head = w.head()?;
        Ok((w, head))
    }) {
        Ok(found) => (Some(found), None),
        Err(e) => (None, Some(e.message)),
    };
    let mut rows = Vec::new();
    for ty in AssetType::ALL {
        // T2: status exits 0 whatever dest looks like. A section reached
        // only through a link (Y2) is not read: its entries show as missing.
        let section = match project.section(ty) {
            Err(e) if e.kind == Kind::UnsafePath => None,
            other => other?,
        };
        let mut seen = std::collections::BTreeSet::new();
        for (name, entry) in lockfile::entries(&view.doc, ty) {
            seen.insert(name.to_owned());
            let dest = match (&section, crate::asset::is_valid_name(name)) {
                (Some(s), true) => s.open_dir(name).ok().flatten(),
                _ => None,
            };
            // A dest this tool will not walk (nested deeper than its walks
            // go) cannot be shown unchanged: dirty, and status still ends 0.
            let (drift, unwalkable) = match drift::inspect(dest.as_ref(), entry) {
                Ok(d) => (d, false),
                Err(e) if e.kind == Kind::UnsafePath => (
                    drift::Drift {
                        exists: true,
                        ..drift::Drift::default()
                    },
                    true,
                ),
                Err(e) => return Err(e),
            };
            let pin = entry.get("wiki_commit").and_then(Value::as_str);
            let state = if !drift.exists {
                State::Missing
            } else if unwalkable || drift.is_dirty() {
                State::Dirty
            } else {
                wiki_state(wiki.as_ref(), pin)
            };
            // A missing dest is reported as missing, not as a list of files.
            let dirty_files = if state == State::Missing {
                Vec::new()
            } else {
                drift.dirty_files
            };
            rows.push(Row {
                ty,
                name: name.to_owned(),
                pin: pin.map(str::to_owned),
                state,
                dirty_files,
                mtime_ns: drift.mtime_ns,
            });
        }
        if let Some(s) = &section {
            for (name, kind) in s.entries()? {
                if kind != EntryKind::Dir || name.starts_with('.') || seen.contains(&name) {
                    continue;
                }
                let mtime_ns = match s.open_dir(&name) {
                    Ok(Some(d)) => drift::walk(&d)
                        .ok()
                        .and_then(|files| files.values().map(|f| f.mtime_ns).max()),
                    _ => None,
                };
                rows.push(Row {
                    ty,
                    name,
                    pin: None,
                    state: State::Untracked,
                    dirty_files: Vec::new(),
                    mtime_ns,
                });
            }
        }
    }
    Ok(Report {
        wiki_head: wiki.map(|(_, h)| h.to_string()),
        wiki_problem,
        lockfile_version: view.version,
        rows,
    })
}
