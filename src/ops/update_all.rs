//! `update <type> <name> --all` (CONTRACT A1-A4): one asset moved to the
//! wiki HEAD in every enrolled project of the registry that has it.
//!
//! [`classify`] resolves HEAD once (K4 across the batch) and plans each
//! project with a dry-run of the single update, at that HEAD; nothing is
//! written. [`apply`] then runs the single update in each project that
//! needs it, under that project's own locks, repeating its checks there
//! (K3), so a project edited since the preview still refuses. One
//! project's failure is recorded in its row and the next project runs.

use crate::asset::{AssetType, validate_name};
use crate::error::{Error, Kind, Result};
use crate::ops::Context;
use crate::ops::update::{UpdateOptions, UpdateOutcome, UpdateStatus, update_with};
use crate::registry;
use crate::wiki::Wiki;
use std::path::{Path, PathBuf};

/// The preview state of one project (A2), the peer's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// The pin moves to HEAD.
    Update,
    /// Pin at HEAD and dest clean: nothing to do.
    Unchanged,
    /// Dest is dirty and `--force` was not given.
    Refuse,
    /// HEAD does not descend from the pin and `--force-head` was not
    /// given (U5).
    StalePin,
    /// The project cannot be planned (its lockfile is corrupt, a path is
    /// unsafe, ...).
    Error,
}

impl State {
    /// `update`, `unchanged`, `refuse`, `stale-pin` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Update => "update",
            State::Unchanged => "unchanged",
            State::Refuse => "refuse",
            State::StalePin => "stale-pin",
            State::Error => "error",
        }
    }
}

/// One project of the batch.
#[derive(Debug, Clone)]
pub struct ProjectRow {
    /// The registered root.
    pub root: PathBuf,
    /// Its scope id (R4).
    pub scope_id: String,
    /// What the preview found.
    pub state: State,
    /// Why, for `refuse`, `stale-pin` and `error`.
    pub reason: Option<Error>,
    /// The plan (pin before, dirty files, backward move), when there is one.
    pub planned: Option<UpdateOutcome>,
    /// How [`apply`] ended for this project: `None` until it ran (or when
    /// there was nothing to run).
    pub applied: Option<std::result::Result<UpdateOutcome, Error>>,
}

impl ProjectRow {
    /// Whether its update found the entry removed after the preview read
    /// it (K3: found under the lock): as if the batch had begun after the
    /// removal, which would have left the project out (A1). Not a failure.
    pub fn gone(&self) -> bool {
        matches!(&self.applied, Some(Err(e)) if e.kind == Kind::NotInstalled)
    }

    /// Whether the project ended updated or unchanged (A3).
    pub fn ok(&self) -> bool {
        match (&self.applied, self.state) {
            (Some(r), _) => r.is_ok() || self.gone(),
            (None, s) => s == State::Unchanged,
        }
    }
}

/// A registered project left out of the batch, and why (A1).
#[derive(Debug, Clone)]
pub struct Skipped {
    /// The registered root.
    pub root: PathBuf,
    /// `paused`, `missing` or `not-installed`.
    pub why: &'static str,
}

/// The batch: the HEAD every project moves to, one row per project that
/// has the asset, the projects left out, and the registry's warnings.
#[derive(Debug, Clone)]
pub struct Batch {
    /// The wiki HEAD resolved once (K4).
    pub head: String,
    /// Projects with the asset, in registry order.
    pub rows: Vec<ProjectRow>,
    /// Registered projects left out.
    pub skipped: Vec<Skipped>,
    /// The registry's tolerant-read warnings (R3).
    pub warnings: Vec<String>,
}

/// Plans the batch (A1, A2): every enabled row of the registry of `home`
/// whose root is a directory and whose lockfile has the asset, each
/// classified by a dry-run of the single update at one HEAD. Writes
/// nothing.
///
/// # Errors
/// `invalid-name`, `wiki-not-found`; `uncommitted` or `asset-not-found`
/// when the wiki side refuses any project that would be written (the whole
/// batch stops before any write, as a single update would, A2).
pub fn classify(
    wiki_path: &Path,
    home: &Path,
    cwd: &Path,
    ty: AssetType,
    name: &str,
    opts: &UpdateOptions,
) -> Result<Batch> {
    validate_name(name)?;
    let head = Wiki::open(wiki_path)?.head()?;
    let loaded = registry::load(home, cwd);
    let plan_opts = UpdateOptions {
        dry_run: true,
        head: Some(head),
        expect_mtime_ns: None,
        ..*opts
    };
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for r in &loaded.registry.rows {
        // A hand-edited registry may name one root twice: one batch row.
        if !seen.insert(r.scope_id()) {
            continue;
        }
        let why = if !r.enabled {
            Some("paused")
        } else if r.missing() {
            Some("missing")
        } else {
            None
        };
        if let Some(why) = why {
            skipped.push(Skipped {
                root: r.root.clone(),
                why,
            });
            continue;
        }
        let ctx = Context {
            project: r.root.clone(),
            wiki: wiki_path.to_path_buf(),
        };
        let (state, reason, planned) = match update_with(&ctx, ty, name, &plan_opts, &mut |_| {}) {
            Ok(u) if u.status == UpdateStatus::UpToDate => (State::Unchanged, None, Some(u)),
            // The refusal the single update would make, decided by the
            // same code (A2, U3): its kind, message and files.
            Ok(u) if u.refusal.is_some() => (State::Refuse, u.refusal.clone(), Some(u)),
            Ok(u) => (State::Update, None, Some(u)),
            Err(e) if e.kind == Kind::NotInstalled => {
                skipped.push(Skipped {
                    root: r.root.clone(),
                    why: "not-installed",
                });
                continue;
            }
            Err(e) if matches!(e.kind, Kind::Uncommitted | Kind::AssetNotFound) => return Err(e),
            Err(e) if e.kind == Kind::StalePin => (State::StalePin, Some(e), None),
            Err(e) => (State::Error, Some(e), None),
        };
        rows.push(ProjectRow {
            root: r.root.clone(),
            scope_id: r.scope_id(),
            state,
            reason,
            planned,
            applied: None,
        });
    }
    Ok(Batch {
        head: head.to_string(),
        rows,
        skipped,
        warnings: loaded.warnings,
    })
}

/// Runs the single update in every project of `batch` in state
/// [`State::Update`] (A3), at the batch's HEAD and with `opts`' flags,
/// one after another; each result lands in its row's `applied`. `progress`
/// is called after each project. Never stops at a failure.
pub fn apply(
    batch: &mut Batch,
    wiki_path: &Path,
    ty: AssetType,
    name: &str,
    opts: &UpdateOptions,
    progress: &mut dyn FnMut(&ProjectRow),
) {
    let head = batch.head.parse().ok();
    let run_opts = UpdateOptions {
        dry_run: false,
        head,
        expect_mtime_ns: None,
        ..*opts
    };
    for row in batch.rows.iter_mut().filter(|r| r.state == State::Update) {
        let ctx = Context {
            project: row.root.clone(),
            wiki: wiki_path.to_path_buf(),
        };
        row.applied = Some(update_with(&ctx, ty, name, &run_opts, &mut |_| {}));
        progress(row);
    }
}
