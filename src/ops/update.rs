//! `update` of one asset to the wiki HEAD (CONTRACT U1-U7, K3, K4, I6).
//!
//! The plan is computed from the lockfile entry, dest and the HEAD tree;
//! every refusal is decided before the first write (I5). The plan is then
//! computed again under the per-asset lock (K3) and applied by staging the
//! whole new dest beside the old one and exchanging the two atomically
//! (I6), so dest is always the old tree or the new one.

use crate::asset::{AssetFile, AssetTree};
use crate::asset::{AssetType, validate_name};
use crate::error::{Error, Result};
use crate::fs::safedir::EntryKind;
use crate::fs::{IfExists, stage};
use crate::lock::lockfile::timestamp::now_utc_micros;
use crate::lock::lockfile::{self, EntryWrite, valid_digests, valid_manifest};
use crate::lock::update_order::{self, Ended, Pass, UpdateSteps};
use crate::lock::{self, DiskStore};
use crate::ops::Context;
use crate::ops::carry::{self, Carry};
use crate::ops::drift::{self, Drift};
use crate::ops::project::Project;
use crate::wiki::Wiki;
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
    /// K4 across projects: update to this commit instead of the HEAD
    /// resolved at the start (`update --all` resolves HEAD once for the
    /// whole batch, A2).
    pub head: Option<ObjectId>,
}

/// What happens to one file (U6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// New at HEAD.
    Add,
    /// Bytes change.
    Modify,
    /// A recorded file deleted from dest, written again (U3).
    Restore,
    /// Removed at HEAD (U4).
    Delete,
    /// Bytes unchanged.
    Keep,
}

impl Action {
    /// `add`, `modify`, `restore`, `delete` or `keep`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Add => "add",
            Action::Modify => "modify",
            Action::Restore => "restore",
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
    /// The files that stand in the update's way (U3): the dirty files
    /// (U2) whose bytes it would lose and the user's entries where HEAD
    /// puts one. The refusal names exactly these; a plan lists them
    /// whatever it decided; `--force` keeps each as a `.bak` (or removes it
    /// where HEAD removed the file).
    pub dirty_files: Vec<String>,
    /// The refusal the real run makes over [`UpdateOutcome::dirty_files`]
    /// without `--force` (U3): `Some` only in a plan (`--dry-run`), since
    /// the real run returns it as its error. The same value either way, so
    /// a preview (A2) refuses exactly what the update would.
    pub refusal: Option<Error>,
    /// Skip warnings (I2) and notes, one line each.
    pub warnings: Vec<String>,
    /// The pin moved (or, in a plan, would move) to a commit that does not
    /// descend from it: `--force-head` over a stale pin (U5).
    pub backward: bool,
}

/// Everything decided before writing.
struct Prepared {
    /// The HEAD planned against (K4).
    head: ObjectId,
    from: String,
    /// The pin is a commit the wiki has but HEAD does not descend from:
    /// only `--force-head` moves it, and then backward (U5).
    backward: bool,
    tree: Option<AssetTree>,
    plan: Vec<PlanItem>,
    /// What stands in the way (U3): see [`UpdateOutcome::dirty_files`].
    blocking: Vec<String>,
    /// The `dirty` refusal over `blocking` without `--force` (U3); only a
    /// dry run gets a plan that holds one.
    refusal: Option<Error>,
    /// Dest's entries as seen when planning (the fingerprint, see
    /// [`carry::list`]); empty when dest is absent.
    seen: Vec<carry::Entry>,
    /// How the new dest keeps what the old one holds beyond the record.
    carry: Carry,
}

impl Prepared {
    /// U1: the pin is HEAD and dest is clean: nothing to plan or write.
    fn up_to_date(head: ObjectId, from: String) -> Prepared {
        Prepared {
            head,
            from,
            backward: false,
            tree: None,
            plan: Vec::new(),
            blocking: Vec::new(),
            refusal: None,
            seen: Vec::new(),
            carry: Carry::default(),
        }
    }
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
    Err(Error::conflict(ty, name, drift.mtime_ns, Some(expect)))
}

/// Plans the update of `(ty, name)` to `head` from the lockfile entry,
/// dest and the HEAD tree, and makes every refusal before the first
/// write (I5): `not-installed`, `conflict` (U7), `no-pin`, `stale-pin`
/// (U5), `asset-not-found`, `uncommitted` (I1), `dirty` (U3). A pin at
/// HEAD over a clean dest plans nothing (U1).
fn prepare(
    project: &Project,
    wiki: &Wiki,
    head: ObjectId,
    ty: AssetType,
    name: &str,
    opts: &UpdateOptions,
) -> Result<Prepared> {
    let entry = recorded_entry(project, ty, name)?;
    let dest = project.dest(ty, name)?;
    let drift = drift::inspect(dest.as_ref(), &entry)?;
    check_expected_mtime(&drift, opts.expect_mtime_ns, ty, name)?;
    let from = entry
        .get("wiki_commit")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let pin = check_pin_move(project, wiki, head, &from, ty, name, opts)?;
    if pin.id == Some(head) && !drift.is_dirty() && drift.exists {
        return Ok(Prepared::up_to_date(head, from));
    }

    let tree = wiki.read_asset(head, ty, name)?;
    wiki.check_clean(head, ty, name)?;
    let record = recorded_files(&entry, wiki, &pin, ty, name, &drift, &tree);
    let old_files = record.files;
    let changed = dirty_files_in_the_way(dest.as_ref(), &drift, &tree);
    let (seen, carry) = match &dest {
        Some(d) => {
            let seen = carry::list(d)?;
            let carry = carry::plan(d, &seen, &old_files, &tree, &changed)?;
            (seen, carry)
        }
        None => (Vec::new(), Carry::default()),
    };
    let blocking = in_the_way(changed, &carry);
    // One decision for the real run and the dry run (A2, U6): the dry run
    // only carries it in its plan instead of returning it.
    let refusal = (!blocking.is_empty() && !opts.force).then(|| {
        let unprovable = record.bytes_unknown.then_some(from.as_str());
        refuse_dirty(
            project,
            ty,
            name,
            &drift,
            &old_files,
            unprovable,
            blocking.clone(),
        )
    });
    if let Some(e) = refusal.clone()
        && !opts.dry_run
    {
        return Err(e);
    }
    let plan = plan_files(dest.as_ref(), &drift, &tree, &old_files, &blocking);
    Ok(Prepared {
        head,
        from,
        backward: pin.id.is_some() && !pin.forward,
        tree: Some(tree),
        plan,
        blocking,
        refusal,
        seen,
        carry,
    })
}

/// The lockfile entry of `(ty, name)`, loaded strictly.
///
/// # Errors
/// `lockfile-corrupt`, `lockfile-version`, `not-installed` (no entry),
/// `unsafe-path`, `io`.
fn recorded_entry(
    project: &Project,
    ty: AssetType,
    name: &str,
) -> Result<serde_json::Map<String, Value>> {
    let doc = project.load_strict()?;
    match lockfile::get(&doc, ty, name).and_then(Value::as_object) {
        Some(e) => Ok(e.clone()),
        None => Err(Error::not_installed(
            ty,
            name,
            &format!("has no entry in {}", project.lockfile_path().display()),
        )),
    }
}

/// The recorded pin, as the wiki knows it.
struct PinMove {
    /// The pin, when it is a commit id the wiki has.
    id: Option<ObjectId>,
    /// HEAD descends from the pin (a forward move, U5).
    forward: bool,
}

/// U5: the pin `from` may move to `head` only forward, or with
/// `--force-head`.
///
/// # Errors
/// `no-pin` when the entry records none (nothing to check a move
/// against); `stale-pin` when HEAD does not descend from the pin (or the
/// wiki does not know it) without `--force-head`; `io`.
fn check_pin_move(
    project: &Project,
    wiki: &Wiki,
    head: ObjectId,
    from: &str,
    ty: AssetType,
    name: &str,
    opts: &UpdateOptions,
) -> Result<PinMove> {
    if from.is_empty() {
        // No pin says which bytes dest came from: neither a forward move
        // nor --force-head can be checked against anything.
        return Err(Error::no_pin(ty, name, &project.lockfile_path()));
    }
    let id = ObjectId::from_hex(from.as_bytes())
        .ok()
        .filter(|_| wiki.has_commit(from));
    let forward = match id {
        Some(p) => wiki.is_ancestor(p, head)?,
        None => false,
    };
    if !forward && !opts.force_head {
        return Err(Error::stale_pin(
            ty,
            name,
            from,
            &if id.is_some() {
                format!("is not an ancestor of HEAD {head} of")
            } else {
                "is unknown to".to_owned()
            },
            wiki.path(),
        ));
    }
    Ok(PinMove { id, forward })
}

/// What the entry tells of the install it records.
struct Record {
    /// The files installed (see [`recorded_files`]).
    files: BTreeSet<String>,
    /// No valid digests (L9) and a pin the wiki cannot read: the bytes
    /// installed are unknown, and a file is dirty by the mtime rule of U2
    /// only (the sharpening "U5, a pin the wiki lost").
    bytes_unknown: bool,
}

/// The files the entry records: its manifest, else its digests' paths
/// (L2, L3, L9). With neither, the files of the asset at the pin when the
/// wiki can read it; else the files of dest that HEAD also has: those the
/// update would write over, each judged by the mtime rule (U2) as drift
/// judged it, while every other file of dest is left as the user's own
/// (never removed on a guess).
fn recorded_files(
    entry: &serde_json::Map<String, Value>,
    wiki: &Wiki,
    pin: &PinMove,
    ty: AssetType,
    name: &str,
    drift: &Drift,
    head: &AssetTree,
) -> Record {
    let digests = valid_digests(entry);
    let at_pin = || pin.id.and_then(|p| wiki.read_asset(p, ty, name).ok());
    let bytes_unknown = digests.is_none() && at_pin().is_none();
    let files = if let Some(m) = valid_manifest(entry) {
        m.into_iter().collect()
    } else if let Some(d) = digests {
        d.into_keys().collect()
    } else if let Some(t) = at_pin() {
        t.files.into_iter().map(|f| f.path).collect()
    } else {
        head.files
            .iter()
            .filter(|f| drift.files.contains_key(&f.path))
            .map(|f| f.path.clone())
            .collect()
    };
    Record {
        files,
        bytes_unknown,
    }
}

/// The dirty files (U2) the update would lose bytes of. A dirty file that
/// already is what HEAD makes it (same bytes, or gone where HEAD removed
/// it) loses nothing; an update interrupted after its exchange leaves
/// dest so. Only the others stand in the way.
fn dirty_files_in_the_way(
    dest: Option<&crate::fs::SafeDir>,
    drift: &Drift,
    tree: &AssetTree,
) -> Vec<String> {
    let head_files: BTreeMap<&str, &AssetFile> =
        tree.files.iter().map(|f| (f.path.as_str(), f)).collect();
    drift
        .dirty_files
        .iter()
        .filter(|rel| {
            let at_head = head_files.get(rel.as_str()).copied();
            let current = match (dest, at_head) {
                (Some(d), Some(f)) => drift::rel_is(d, rel, f),
                (Some(d), None) => drift::rel_is_file(d, rel).then_some(false),
                (None, _) => None,
            };
            !matches!((current, at_head), (None, None) | (Some(true), Some(_)))
        })
        .cloned()
        .collect()
}

/// U3: everything that stands in the update's way: the dirty files it
/// would lose bytes of (`changed`, see [`dirty_files_in_the_way`]) and the
/// user's own entries where HEAD puts a file or needs a directory (the
/// sharpening "U3, the user's files in the way"), sorted. The refusal, a
/// plan and `--force`'s backups all name this one list.
fn in_the_way(changed: Vec<String>, carry: &Carry) -> Vec<String> {
    let mut blocking = changed;
    blocking.extend(carry.in_the_way.iter().cloned());
    blocking.sort();
    blocking.dedup();
    blocking
}

/// U3: the refusal of an update over local changes without `--force`:
/// `dirty`, naming every `blocking` file and, apart, the recorded ones the
/// user deleted. `unprovable` is the pin when the bytes installed are
/// unknown (no valid digests, a pin the wiki cannot read): then no file is
/// called modified, and the refusal says why it cannot tell.
fn refuse_dirty(
    project: &Project,
    ty: AssetType,
    name: &str,
    drift: &Drift,
    old_files: &BTreeSet<String>,
    unprovable: Option<&str>,
    blocking: Vec<String>,
) -> Error {
    let deleted: Vec<String> = blocking
        .iter()
        .filter(|p| old_files.contains(*p) && !drift.files.contains_key(*p))
        .cloned()
        .collect();
    let dest = project.dest_path(ty, name);
    match unprovable {
        Some(pin) if !drift.no_baseline => {
            Error::dirty_unprovable(ty, name, &dest, pin, &blocking, &deleted)
        }
        _ => Error::dirty(ty, name, &dest, &blocking, &deleted, drift.no_baseline),
    }
    .with_detail("dirty_files", blocking)
    .with_detail("deleted_files", deleted)
}

/// The plan (U6): what happens to each file of HEAD and of the record,
/// sorted by path; a file is marked dirty when the drift or `blocking`
/// names it.
fn plan_files(
    dest: Option<&crate::fs::SafeDir>,
    drift: &Drift,
    tree: &AssetTree,
    old_files: &BTreeSet<String>,
    blocking: &[String],
) -> Vec<PlanItem> {
    let dirty: BTreeSet<&String> = drift.dirty_files.iter().chain(blocking).collect();
    let mut plan = Vec::new();
    let new_paths: BTreeSet<&String> = tree.files.iter().map(|f| &f.path).collect();
    for f in &tree.files {
        let current = dest.and_then(|d| drift::rel_is(d, &f.path, f));
        let action = match current {
            Some(true) => Action::Keep,
            None if old_files.contains(&f.path) && !drift.files.contains_key(&f.path) => {
                Action::Restore
            }
            _ if old_files.contains(&f.path) => Action::Modify,
            _ => Action::Add,
        };
        plan.push(PlanItem {
            path: f.path.clone(),
            action,
            dirty: dirty.contains(&f.path),
        });
    }
    for old in old_files {
        if !new_paths.contains(old) {
            plan.push(PlanItem {
                path: old.clone(),
                action: Action::Delete,
                dirty: dirty.contains(old),
            });
        }
    }
    plan.sort_by(|a, b| a.path.cmp(&b.path));
    plan
}

/// I6: an update killed after its entry write, before removing the old
/// tree, leaves that tree under a staging name; the rerun finds the pin at
/// HEAD and writes nothing else, but takes the debris out (under the
/// per-asset lock, which proves no live process owns it).
fn clean_leftovers(project: &Project, ty: AssetType, name: &str) -> Result<()> {
    let Some(section) = project.section(ty)? else {
        return Ok(());
    };
    let stale = section
        .entries()?
        .iter()
        .any(|(e, _)| stage::is_staging_of(e, name));
    if stale {
        project.precheck_writes(ty, name)?;
        let held = project.lock_asset(ty, name)?;
        stage::clean_stale(&held.section, name)?;
    }
    Ok(())
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
    update_with(ctx, ty, name, opts, &mut |_| {})
}

/// The update steps on disk, in the order of [`update_order::update`].
struct DiskUpdate<'a> {
    project: &'a Project,
    wiki: &'a Wiki,
    ty: AssetType,
    name: &'a str,
    opts: &'a UpdateOptions,
    warn: std::cell::RefCell<&'a mut dyn FnMut(&str)>,
}

/// The staged new dest, and whether an old dest was there to exchange.
struct Staged {
    staged: stage::Staged,
    had_dest: bool,
}

impl DiskUpdate<'_> {
    /// Under the sidecar lock, just before the entry is written: what was
    /// added to the old dest (now under the staging name) since the check
    /// at the swap, a user's file written from a shell standing in it
    /// while this process waited for the lock, is carried into the new
    /// dest as the plan carried the user's other entries (U2, U3); it
    /// would otherwise be deleted with the old tree. A recorded entry
    /// changed or removed meanwhile refuses with `conflict` (U7), and the
    /// protocol puts the old dest back.
    ///
    /// # Errors
    /// `conflict`, `unsafe-path`, `io`.
    fn carry_late(
        &self,
        held: &crate::ops::project::Held,
        plan: &Prepared,
        s: &Staged,
    ) -> Result<()> {
        if !s.had_dest {
            return Ok(());
        }
        let Some(old) = held.section.open_dir(&s.staged.name)? else {
            return Ok(());
        };
        let after = carry::list(&old)?;
        if after == plan.seen {
            return Ok(());
        }
        let before: std::collections::BTreeMap<&str, &carry::Entry> =
            plan.seen.iter().map(|e| (e.rel.as_str(), e)).collect();
        let now: BTreeSet<&str> = after.iter().map(|e| e.rel.as_str()).collect();
        let changed = after.iter().any(|e| {
            before
                .get(e.rel.as_str())
                .is_some_and(|b| !same_entry(b, e))
        }) || plan.seen.iter().any(|e| !now.contains(e.rel.as_str()));
        if changed {
            return Err(Error::conflict(self.ty, self.name, None, None));
        }
        let mut late = carry::Carry::default();
        for e in after
            .iter()
            .filter(|e| !before.contains_key(e.rel.as_str()))
        {
            if e.kind == EntryKind::Dir {
                late.dirs.push((e.rel.clone(), e.mode));
            } else {
                late.links.push((e.rel.clone(), e.rel.clone()));
            }
        }
        let new = held
            .section
            .open_dir(self.name)?
            .ok_or_else(|| Error::io("open", &held.section.child_path(self.name), "vanished"))?;
        carry::apply(&old, &new, &late)
    }
}

/// Whether `a` and `b` are the same entry: a directory whose contents
/// grew (its size and mtime) is still the same directory.
fn same_entry(a: &carry::Entry, b: &carry::Entry) -> bool {
    if a.kind == EntryKind::Dir && b.kind == EntryKind::Dir {
        (a.mode, a.ino) == (b.mode, b.ino)
    } else {
        a == b
    }
}

impl UpdateSteps for DiskUpdate<'_> {
    type Pin = ObjectId;
    type Plan = Prepared;
    type Held = crate::ops::project::Held;
    type Staged = Staged;

    fn resolve(&self) -> Result<ObjectId> {
        match self.opts.head {
            Some(h) => Ok(h),
            None => self.wiki.head(),
        }
    }

    fn plan(&self, head: &ObjectId, pass: Pass) -> Result<Prepared> {
        let once = || {
            prepare(
                self.project,
                self.wiki,
                *head,
                self.ty,
                self.name,
                self.opts,
            )
        };
        match pass {
            Pass::First => {
                // A dry run's refusal is in its plan, not an error.
                crate::ops::project::confirmed_if_held(
                    self.project,
                    self.ty,
                    self.name,
                    once,
                    |r| match r {
                        Ok(p) => p.refusal.as_ref().map(|e| e.kind),
                        Err(e) => Some(e.kind),
                    },
                )
            }
            Pass::UnderLock => once(),
        }
    }

    fn needs_write(&self, plan: &Prepared) -> bool {
        plan.tree.is_some()
    }

    fn tidy(&self) -> Result<()> {
        clean_leftovers(self.project, self.ty, self.name)
    }

    fn lock_asset(&self) -> Result<Self::Held> {
        self.project.precheck_writes(self.ty, self.name)?;
        self.project.lock_asset(self.ty, self.name)
    }

    fn before_write(&self, plan: &Prepared) {
        if plan.backward {
            (self.warn.borrow_mut())(&format!(
                "--force-head moves the pin of {} {} backward, from {} to {}, which does \
                 not descend from it",
                self.ty, self.name, plan.from, plan.head
            ));
        }
    }

    fn stage(&self, held: &Self::Held, plan: &Prepared) -> Result<Staged> {
        let section = &held.section;
        let tree = plan
            .tree
            .as_ref()
            .ok_or_else(|| Error::io("stage", &section.child_path(self.name), "nothing planned"))?;
        stage::clean_stale(section, self.name)?;
        let dest = self.project.dest(self.ty, self.name)?;
        let staged = stage::stage(section, self.name, tree)?;
        if let Some(old) = &dest {
            let new = section
                .open_dir(&staged.name)?
                .ok_or_else(|| Error::io("open", &section.child_path(&staged.name), "vanished"))?;
            if let Err(e) = carry::apply(old, &new, &plan.carry) {
                let _ = section.remove_tree(&staged.name);
                return Err(e);
            }
        }
        Ok(Staged {
            staged,
            had_dest: dest.is_some(),
        })
    }

    fn swap(&self, held: &Self::Held, s: &Staged) -> Result<()> {
        let section = &held.section;
        if s.had_dest {
            section.exchange(&s.staged.name, self.name)?;
        } else if !section.rename(&s.staged.name, section, self.name, IfExists::Keep)? {
            let _ = section.remove_tree(&s.staged.name);
            return Err(Error::conflict(self.ty, self.name, None, None));
        }
        section.sync()
    }

    fn check_unchanged(&self, held: &Self::Held, plan: &Prepared, s: &Staged) -> Result<()> {
        if !s.had_dest {
            return Ok(());
        }
        // What now sits under the staging name is the old dest; anything
        // that changed it since the plan (an edit, a new file) is put back.
        let after = match held.section.open_dir(&s.staged.name)? {
            Some(old) => carry::list(&old)?,
            None => Vec::new(),
        };
        if after == plan.seen {
            Ok(())
        } else {
            Err(Error::conflict(self.ty, self.name, None, None))
        }
    }

    fn unswap(&self, held: &Self::Held, s: &Staged) -> Result<()> {
        let section = &held.section;
        if s.had_dest {
            section.exchange(&s.staged.name, self.name)?;
        } else {
            section.rename(self.name, section, &s.staged.name, IfExists::Keep)?;
        }
        section.sync()?;
        section.remove_tree(&s.staged.name)
    }

    fn record(
        &self,
        held: &Self::Held,
        head: &ObjectId,
        plan: &Prepared,
        s: &Staged,
    ) -> Result<()> {
        let tree = plan
            .tree
            .as_ref()
            .ok_or_else(|| Error::io("record", &self.project.lockfile_path(), "nothing planned"))?;
        let new_paths: BTreeSet<&String> = tree.files.iter().map(|f| &f.path).collect();
        let write = EntryWrite {
            wiki_commit: head.to_string(),
            installed_at: now_utc_micros(),
            files: tree.files.iter().map(|f| f.path.clone()).collect(),
            digests: Some(
                s.staged
                    .digests
                    .iter()
                    .filter(|(k, _)| new_paths.contains(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
        };
        self.project.ensure_memtomem().and_then(|m| {
            lock::transact_upsert(&DiskStore::new(&m), self.ty, self.name, &write, |_| {
                self.carry_late(held, plan, s)?;
                Ok(true)
            })
        })?;
        Ok(())
    }

    fn discard_old(&self, held: &Self::Held, s: Staged) -> Result<()> {
        // After the exchange the old tree sits under the staging name.
        held.section.remove_tree(&s.staged.name)
    }
}

/// [`update`], calling `warn` with each warning that must reach the user
/// before anything is written: a pin that `--force-head` moves backward
/// (U5).
///
/// # Errors
/// As [`update`].
pub fn update_with(
    ctx: &Context,
    ty: AssetType,
    name: &str,
    opts: &UpdateOptions,
    warn: &mut dyn FnMut(&str),
) -> Result<UpdateOutcome> {
    validate_name(name)?;
    let project = Project::open(&ctx.project)?;
    let wiki = Wiki::open(&ctx.wiki)?;
    let steps = DiskUpdate {
        project: &project,
        wiki: &wiki,
        ty,
        name,
        opts,
        warn: std::cell::RefCell::new(warn),
    };
    let run = if opts.dry_run {
        update_order::Run::DryRun
    } else {
        update_order::Run::Write
    };
    let update_order::Outcome { ended, plan: prep } = update_order::update(&steps, run)?;
    if ended == Ended::Planned && prep.refusal.is_none() {
        // The real run's next step is the per-asset lock, which refuses a
        // planted lock path (U6: the dry run says what it would do).
        project.precheck_writes(ty, name)?;
    }
    let status = match ended {
        Ended::UpToDate => UpdateStatus::UpToDate,
        Ended::Planned => UpdateStatus::Planned,
        Ended::Updated => UpdateStatus::Updated,
    };
    let mut done = UpdateOutcome {
        ty,
        name: name.to_owned(),
        from: prep.from.clone(),
        to: prep.head.to_string(),
        status,
        plan: prep.plan.clone(),
        backups: if ended == Ended::Updated {
            prep.carry.backups.clone()
        } else {
            Vec::new()
        },
        dirty_files: prep.blocking.clone(),
        refusal: if ended == Ended::Planned {
            prep.refusal.clone()
        } else {
            None
        },
        warnings: prep
            .tree
            .as_ref()
            .map(|t| t.warnings.clone())
            .unwrap_or_default(),
        backward: prep.backward,
    };
    if ended == Ended::UpToDate {
        // Up to date with HEAD, but the wiki's work tree may hold edits
        // the user expects to see: say they must be committed first.
        if let Err(e) = wiki.check_clean(prep.head, ty, name)
            && e.kind == crate::error::Kind::Uncommitted
        {
            done.warnings.push(format!(
                "note: {}; only committed changes can be installed",
                e.message
            ));
        }
    }
    Ok(done)
}
