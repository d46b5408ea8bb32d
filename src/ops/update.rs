//! `update` of one asset to the wiki HEAD (CONTRACT U1-U7, K3, K4, I6).
//!
//! The plan is computed from the lockfile entry, dest and the HEAD tree;
//! every refusal is decided before the first write (I5). The plan is then
//! computed again under the per-asset lock (K3) and applied by staging the
//! whole new dest beside the old one and exchanging the two atomically
//! (I6), so dest is always the old tree or the new one.

use crate::asset::skip::BAK_SUFFIX;
use crate::asset::{AssetType, validate_name};
use crate::error::{Error, Result};
use crate::fs::drift::{self, Drift};
use crate::fs::project::Project;
use crate::fs::safedir::SafeDir;
use crate::fs::stage;
use crate::lock::lockfile::timestamp::now_utc_micros;
use crate::lock::lockfile::{self, EntryWrite, valid_digests, valid_manifest};
use crate::lock::{self, AssetLock, DiskStore};
use crate::ops::Context;
use crate::wiki::{AssetFile, AssetTree, Wiki};
use gix::ObjectId;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Flags of `update`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpdateOptions {
    /// U3: overwrite dirty files, keeping `<file>.bak` copies.
    pub force: bool,
    /// U5: move the pin even when it is not an ancestor of HEAD.
    pub force_head: bool,
    /// U6: print the plan, write nothing.
    pub dry_run: bool,
    /// U7: abort with `conflict` unless dest's `mtime_ns` equals this.
    pub expect_mtime_ns: Option<i128>,
}

/// What happens to one file (U6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// New at HEAD.
    Add,
    /// Bytes change.
    Modify,
    /// Removed at HEAD (U4).
    Delete,
    /// Bytes unchanged.
    Keep,
}

impl Action {
    /// `add`, `modify`, `delete` or `keep`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Add => "add",
            Action::Modify => "modify",
            Action::Delete => "delete",
            Action::Keep => "keep",
        }
    }
}

/// One line of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanItem {
    /// Path relative to dest.
    pub path: String,
    /// What happens to it.
    pub action: Action,
    /// Whether the file is dirty now (U2).
    pub dirty: bool,
}

/// How an update ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateStatus {
    /// U1: pin equals HEAD and dest is clean; nothing written.
    UpToDate,
    /// U6: `--dry-run`; nothing written.
    Planned,
    /// Dest and the entry were rewritten.
    Updated,
}

/// The result of an update.
#[derive(Debug, Clone)]
pub struct UpdateOutcome {
    /// Asset type.
    pub ty: AssetType,
    /// Asset name.
    pub name: String,
    /// The pin before.
    pub from: String,
    /// The pin after (HEAD), or HEAD for a plan.
    pub to: String,
    /// How it ended.
    pub status: UpdateStatus,
    /// The plan, sorted by path.
    pub plan: Vec<PlanItem>,
    /// `.bak` files written (U3), relative to dest.
    pub backups: Vec<String>,
    /// Dirty files found (U2).
    pub dirty_files: Vec<String>,
    /// Skip warnings (I2).
    pub warnings: Vec<String>,
}

/// Everything decided before writing.
struct Prepared {
    from: String,
    drift: Drift,
    /// Dirty files whose bytes are not already HEAD's: the local changes
    /// an update would lose (U3).
    blocking: Vec<String>,
    tree: Option<AssetTree>,
    old_files: BTreeSet<String>,
    plan: Vec<PlanItem>,
}

/// U7: the current `mtime_ns` of dest, compared with the expected one.
fn check_expected_mtime(
    drift: &Drift,
    expect: Option<i128>,
    ty: AssetType,
    name: &str,
) -> Result<()> {
    let Some(expect) = expect else { return Ok(()) };
    if drift.mtime_ns == Some(expect) {
        return Ok(());
    }
    Err(Error::conflict(ty, name, drift.mtime_ns, expect))
}

fn prepare(
    project: &Project,
    wiki: &Wiki,
    head: ObjectId,
    ty: AssetType,
    name: &str,
    opts: &UpdateOptions,
) -> Result<Prepared> {
    let doc = project.load_strict()?;
    let entry = match lockfile::get(&doc, ty, name).and_then(Value::as_object) {
        Some(e) => e.clone(),
        None => {
            return Err(Error::not_installed(ty, name, &project.lockfile_path()));
        }
    };
    let dest = project.dest(ty, name)?;
    let drift = drift::inspect(dest.as_ref(), &entry)?;
    check_expected_mtime(&drift, opts.expect_mtime_ns, ty, name)?;

    let from = entry
        .get("wiki_commit")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let pin = ObjectId::from_hex(from.as_bytes())
        .ok()
        .filter(|_| wiki.has_commit(&from));
    let forward = match pin {
        Some(p) => wiki.is_ancestor(p, head)?,
        None => false,
    };
    if !forward && !opts.force_head {
        return Err(Error::stale_pin(
            ty,
            name,
            &from,
            &if pin.is_some() {
                format!("is not an ancestor of HEAD {head} of")
            } else {
                "is unknown to".to_owned()
            },
            wiki.path(),
        ));
    }

    let old_files: BTreeSet<String> = match valid_manifest(&entry) {
        Some(m) => m.into_iter().collect(),
        None => valid_digests(&entry)
            .map(|d| d.into_keys().collect())
            .unwrap_or_default(),
    };
    if pin == Some(head) && !drift.is_dirty() && drift.exists {
        return Ok(Prepared {
            from,
            drift,
            blocking: Vec::new(),
            tree: None,
            old_files,
            plan: Vec::new(),
        });
    }

    let tree = wiki.read_asset(head, ty, name)?;
    wiki.check_clean(head, ty, name)?;
    // A dirty file that already is what HEAD makes it (same bytes, or gone
    // where HEAD removed it) loses nothing to the update; an update
    // interrupted after its exchange leaves dest so. Only the others stand
    // in the way.
    let blocking: Vec<String> = drift
        .dirty_files
        .iter()
        .filter(|rel| {
            let head_bytes = tree
                .files
                .iter()
                .find(|f| &f.path == *rel)
                .map(|f| &f.bytes);
            let current = dest.as_ref().and_then(|d| drift::read_rel(d, rel));
            current.as_ref() != head_bytes
        })
        .cloned()
        .collect();
    if !blocking.is_empty() && !opts.force && !opts.dry_run {
        return Err(
            Error::dirty(ty, name, &project.dest_path(ty, name), &blocking)
                .with_detail("dirty_files", blocking),
        );
    }

    let dirty: BTreeSet<&String> = drift.dirty_files.iter().collect();
    let mut plan = Vec::new();
    let new_paths: BTreeSet<&String> = tree.files.iter().map(|f| &f.path).collect();
    for f in &tree.files {
        let current = dest.as_ref().and_then(|d| drift::read_rel(d, &f.path));
        let action = match current {
            Some(b) if b == f.bytes => Action::Keep,
            _ if old_files.contains(&f.path) => Action::Modify,
            _ => Action::Add,
        };
        plan.push(PlanItem {
            path: f.path.clone(),
            action,
            dirty: dirty.contains(&f.path),
        });
    }
    for old in &old_files {
        if !new_paths.contains(old) {
            plan.push(PlanItem {
                path: old.clone(),
                action: Action::Delete,
                dirty: dirty.contains(old),
            });
        }
    }
    plan.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Prepared {
        from,
        drift,
        blocking,
        tree: Some(tree),
        old_files,
        plan,
    })
}

/// The files of the new dest: the HEAD tree, the files in dest that no
/// entry ever recorded (kept as they are), and `.bak` copies of dirty
/// files that are present (U3).
fn new_dest_files(
    dest: Option<&SafeDir>,
    prep: &Prepared,
    tree: &AssetTree,
) -> (Vec<AssetFile>, Vec<String>) {
    let mut files: BTreeMap<String, AssetFile> = tree
        .files
        .iter()
        .map(|f| (f.path.clone(), f.clone()))
        .collect();
    let mut backups = Vec::new();
    if let Some(dest) = dest {
        for (rel, meta) in &prep.drift.files {
            if prep.old_files.contains(rel) || files.contains_key(rel) {
                continue;
            }
            if let Some(bytes) = drift::read_rel(dest, rel) {
                files.insert(
                    rel.clone(),
                    AssetFile {
                        path: rel.clone(),
                        bytes,
                        executable: meta.mode & 0o100 != 0,
                    },
                );
            }
        }
        for rel in &prep.blocking {
            if let Some(bytes) = drift::read_rel(dest, rel) {
                let bak = format!("{rel}{BAK_SUFFIX}");
                files.insert(
                    bak.clone(),
                    AssetFile {
                        path: bak.clone(),
                        bytes,
                        executable: false,
                    },
                );
                backups.push(bak);
            }
        }
    }
    (files.into_values().collect(), backups)
}

/// Updates asset `(ty, name)` to the wiki HEAD.
///
/// # Errors
/// `invalid-name`, `project-not-found`, `wiki-not-found`,
/// `lockfile-corrupt`, `lockfile-version`, `not-installed`, `unsafe-path`,
/// `conflict` (U7, exit 3), `stale-pin` (U5), `asset-not-found`,
/// `uncommitted`, `dirty` (U3), `io`. Every refusal leaves the project
/// byte-for-byte unchanged.
pub fn update(
    ctx: &Context,
    ty: AssetType,
    name: &str,
    opts: &UpdateOptions,
) -> Result<UpdateOutcome> {
    validate_name(name)?;
    let project = Project::open(&ctx.project)?;
    let wiki = Wiki::open(&ctx.wiki)?;
    let head = wiki.head()?;
    let prep = prepare(&project, &wiki, head, ty, name, opts)?;
    let outcome = |prep: &Prepared, status, backups: Vec<String>| UpdateOutcome {
        ty,
        name: name.to_owned(),
        from: prep.from.clone(),
        to: head.to_string(),
        status,
        plan: prep.plan.clone(),
        backups,
        dirty_files: prep.drift.dirty_files.clone(),
        warnings: prep
            .tree
            .as_ref()
            .map(|t| t.warnings.clone())
            .unwrap_or_default(),
    };
    if prep.tree.is_none() {
        return Ok(outcome(&prep, UpdateStatus::UpToDate, Vec::new()));
    }
    if opts.dry_run {
        return Ok(outcome(&prep, UpdateStatus::Planned, Vec::new()));
    }

    let section = project.ensure_section(ty)?;
    let _asset_lock = AssetLock::acquire(&section, &lock::asset_lock_name(name))?;
    // K3: another process may have changed the state while we waited.
    let prep = prepare(&project, &wiki, head, ty, name, opts)?;
    let Some(tree) = &prep.tree else {
        return Ok(outcome(&prep, UpdateStatus::UpToDate, Vec::new()));
    };
    stage::clean_stale(&section, name)?;
    let dest = project.dest(ty, name)?;
    let (files, backups) = new_dest_files(dest.as_ref(), &prep, tree);
    let staged = stage::stage(&section, name, &files)?;
    crate::failpoint!("update::after-stage");
    if dest.is_some() {
        section.exchange(&staged.name, name)?;
    } else if !section.rename(&staged.name, &section, name, true)? {
        let _ = section.remove_tree(&staged.name);
        return Err(Error::conflict(
            ty,
            name,
            None,
            "no dest (it appeared while updating)",
        ));
    }
    section.sync()?;
    crate::failpoint!("update::after-exchange");
    // The old tree now sits under the staging name.
    section.remove_tree(&staged.name)?;
    crate::failpoint!("update::after-cleanup");

    let new_paths: BTreeSet<&String> = tree.files.iter().map(|f| &f.path).collect();
    let write = EntryWrite {
        wiki_commit: head.to_string(),
        installed_at: now_utc_micros(),
        files: tree.files.iter().map(|f| f.path.clone()).collect(),
        digests: Some(
            staged
                .digests
                .into_iter()
                .filter(|(k, _)| new_paths.contains(k))
                .collect(),
        ),
    };
    let memtomem = project.ensure_memtomem()?;
    lock::transact_upsert(&DiskStore::new(&memtomem), ty, name, &write, |_| Ok(true))?;
    crate::failpoint!("update::after-upsert");
    Ok(outcome(&prep, UpdateStatus::Updated, backups))
}
