//! `remove` (CONTRACT D1-D3): takes an installed asset back out, dest and
//! entry, in the order of [`crate::lock::remove_order`].
//!
//! Local bytes are never deleted: a dest with edits, or with files the
//! tool did not install (`.bak` copies included), is refused (`dirty`)
//! unless `--force`, and then moved whole to
//! `.memtomem/removed/<section>/<name>-<UTC time>/`, which the message
//! names. A file that is written in dest after the plan (the plan lists
//! and hashes, then dest is taken out) is caught by comparing the
//! taken-out tree with the plan's fingerprint of dest: dest is put back
//! and the remove refused with `conflict`, with or without `--force`.

use crate::asset::{AssetType, validate_name};
use crate::error::{Error, Kind, Result};
use crate::fs::safedir::EntryKind;
use crate::fs::stage::{clean_stale, staging_prefix};
use crate::fs::walk::Item;
use crate::fs::{IfExists, SafeDir};
use crate::lock::lockfile::{self, valid_digests, valid_manifest};
use crate::lock::remove_order::{self, RemoveSteps};
use crate::lock::{self, DiskStore};
use crate::ops::project::{Held, Project};
use crate::ops::{Context, carry, drift};
use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;

/// The directory under `.memtomem/` that keeps forced-out dests (D2).
pub const KEPT_DIR: &str = "removed";

/// What a remove does with a dest that holds local bytes (edited files, or
/// files not installed by this tool; D1, D2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfLocalBytes {
    /// Refuse with `dirty`, the project unchanged (no `--force`).
    Refuse,
    /// Move dest whole to `.memtomem/removed/<section>/<name>-<time>/`
    /// instead of deleting it (`--force`).
    MoveAside,
}

/// What a remove did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    /// Asset type.
    pub ty: AssetType,
    /// Asset name.
    pub name: String,
    /// Dest's path (gone now).
    pub dest: PathBuf,
    /// Whether there was a dest to take out (a kill may have left the
    /// entry alone).
    pub had_dest: bool,
    /// Files of dest that held local bytes (edited, or not installed by the
    /// tool), moved with dest to `kept`.
    pub local_files: Vec<String>,
    /// Where dest was moved, when it held local bytes (`--force`).
    pub kept: Option<PathBuf>,
}

/// The decision of one plan.
struct Plan {
    had_dest: bool,
    local_files: Vec<String>,
    /// The name dest is renamed to: a staging name in the section, or,
    /// when kept, the name inside `removed/<section>/`.
    out_name: String,
    keep: bool,
    /// Dest as the plan saw it, taken before its files were hashed; the
    /// taken-out tree must match it (D2 at the take-out).
    seen: Fingerprint,
}

/// Every entry below a tree as `lstat` saw it ([`carry::list`]), plus the
/// names that are not UTF-8, which that list leaves out (escaped, with
/// their directory's path).
#[derive(Debug, Default, PartialEq, Eq)]
struct Fingerprint {
    entries: Vec<carry::Entry>,
    strays: Vec<String>,
}

impl Fingerprint {
    fn of(dir: &SafeDir) -> Result<Fingerprint> {
        let entries = carry::list(dir)?;
        let mut strays = Vec::new();
        crate::fs::walk::walk(dir, |_, prefix, item| match item {
            Item::Stray(s) => {
                strays.push(format!("{prefix}{s}"));
                Ok(false)
            }
            Item::Entry(_, kind) => Ok(kind == EntryKind::Dir),
        })?;
        strays.sort();
        Ok(Fingerprint { entries, strays })
    }
}

struct DiskRemove<'a> {
    project: &'a Project,
    ty: AssetType,
    name: &'a str,
    if_local: IfLocalBytes,
    /// Set once [`RemoveSteps::lock_asset`] holds the per-asset lock: the
    /// plan under it is final (waiting for the lock again would wait for
    /// this process).
    locked: std::cell::Cell<bool>,
}

impl DiskRemove<'_> {
    fn kept_dir(&self) -> Result<SafeDir> {
        self.project
            .ensure_memtomem()?
            .ensure_dir(KEPT_DIR)?
            .ensure_dir(self.ty.section())
    }

    fn kept_path(&self, out_name: &str) -> PathBuf {
        self.project
            .root()
            .path()
            .join(".memtomem")
            .join(KEPT_DIR)
            .join(self.ty.section())
            .join(out_name)
    }
}

/// A fresh name for dest taken out of place: `.<name>~staging-...`, which
/// [`clean_stale`] removes if this process dies before deleting it.
fn out_staging_name(name: &str) -> String {
    let tmp = crate::fs::safedir::temp_name(name);
    let suffix = &tmp[crate::fs::safedir::temp_prefix(name).len()..];
    format!("{}{suffix}", staging_prefix(name))
}

/// `<name>-<YYYYmmddTHHMMSSffffffZ>`: the kept copy's name, unique per
/// microsecond (under the per-asset lock, one remove at a time).
fn kept_name(name: &str) -> String {
    let now = crate::lock::lockfile::timestamp::now_utc_micros();
    let stamp: String = now.chars().filter(char::is_ascii_alphanumeric).collect();
    format!("{name}-{stamp}")
}

/// The entries of dest no install made (D2): a symbolic link, FIFO,
/// socket or device anywhere, and an empty directory no recorded path
/// lies below (an install never leaves one; a directory emptied by
/// deleting recorded files is the tool's own). `entries` come parents
/// first, as [`carry::list`] gives them.
fn users_entries(entries: &[carry::Entry], recorded: &BTreeSet<String>) -> Vec<String> {
    // Every directory that holds an entry or lies above a recorded path.
    let mut kept_dirs: HashSet<&str> = entries
        .iter()
        .filter_map(|e| e.rel.rsplit_once('/').map(|(p, _)| p))
        .collect();
    for r in recorded {
        kept_dirs.extend(r.match_indices('/').map(|(i, _)| &r[..i]));
    }
    entries
        .iter()
        .filter(|e| match e.kind {
            EntryKind::File => false,
            EntryKind::Symlink | EntryKind::Other => true,
            EntryKind::Dir => !kept_dirs.contains(e.rel.as_str()),
        })
        .map(|e| e.rel.clone())
        .collect()
}

impl DiskRemove<'_> {
    /// One reading of the entry and dest, and the decision (I5, D1, D2).
    fn plan_once(&self) -> Result<Plan> {
        let (ty, name) = (self.ty, self.name);

        self.project.precheck_writes(ty, name)?;
        let doc = self.project.load_strict()?;
        let dest = self.project.dest(ty, name)?;
        let entry = lockfile::get(&doc, ty, name).and_then(|v| v.as_object());
        let Some(entry) = entry else {
            let what = if dest.is_some() {
                "has a dest but no lockfile entry: `assetpin adopt` records it when it equals the \
                 asset at the wiki HEAD; otherwise move the directory aside by hand"
            } else {
                "has no lockfile entry and no dest; there is nothing to remove"
            };
            return Err(Error::new(
                Kind::NotInstalled,
                format!("{ty} {name:?} {what}"),
            ));
        };
        let mut local = BTreeSet::new();
        let mut seen = Fingerprint::default();
        if let Some(d) = &dest {
            // Before the hashing: a change after it shows at the take-out.
            seen = Fingerprint::of(d)?;
            let drift = drift::inspect(Some(d), entry)?;
            let recorded: BTreeSet<String> = valid_digests(entry)
                .map(|d| d.into_keys().collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter()
                .chain(valid_manifest(entry).unwrap_or_default())
                .collect();
            local.extend(drift.dirty_files.iter().cloned());
            local.extend(
                drift
                    .files
                    .keys()
                    .filter(|f| !recorded.contains(*f))
                    .cloned(),
            );
            // A recorded file the user deleted holds no bytes to keep.
            local.retain(|f| drift.files.contains_key(f));
            // A name that is not UTF-8 can never be recorded: local bytes.
            local.extend(seen.strays.iter().cloned());
            // The tool installs regular files and their parents only.
            local.extend(users_entries(&seen.entries, &recorded));
        }
        let local_files: Vec<String> = local.into_iter().collect();
        if !local_files.is_empty() && self.if_local == IfLocalBytes::Refuse {
            let dest_path = self.project.dest_path(ty, name);
            return Err(Error::new(
                Kind::Dirty,
                format!(
                    "{ty} {name:?} has local bytes in {} that remove would delete: {} (edited, \
                     or not installed by this tool); pass --force to remove it anyway: dest is \
                     then moved whole to {}/{}/{}/{name}-<time>/, not deleted",
                    dest_path.display(),
                    local_files.join(", "),
                    self.project.root().path().join(".memtomem").display(),
                    KEPT_DIR,
                    ty.section()
                ),
            )
            .with_detail("dirty_files", local_files));
        }
        let keep = !local_files.is_empty();
        Ok(Plan {
            had_dest: dest.is_some(),
            out_name: if keep {
                kept_name(name)
            } else {
                out_staging_name(name)
            },
            local_files,
            keep,
            seen,
        })
    }
}

impl RemoveSteps for DiskRemove<'_> {
    type Plan = Plan;
    type Held = Held;

    fn plan(&self) -> Result<Plan> {
        if self.locked.get() {
            return self.plan_once();
        }
        crate::ops::project::confirmed_if_held(
            self.project,
            self.ty,
            self.name,
            || self.plan_once(),
            crate::ops::project::refusal_of,
        )
    }

    fn lock_asset(&self) -> Result<Held> {
        self.project.precheck_writes(self.ty, self.name)?;
        let held = self.project.lock_asset(self.ty, self.name)?;
        self.locked.set(true);
        Ok(held)
    }

    fn tidy(&self, held: &Held) -> Result<()> {
        clean_stale(&held.section, self.name)
    }

    fn take_out(&self, held: &Held, plan: &Plan) -> Result<()> {
        if !plan.had_dest {
            return Ok(());
        }
        let section = &held.section;
        let placed = if plan.keep {
            let kept = self.kept_dir()?;
            section.rename(self.name, &kept, &plan.out_name, IfExists::Keep)?
        } else {
            section.rename(self.name, section, &plan.out_name, IfExists::Keep)?
        };
        if !placed {
            return Err(Error::io(
                "move dest to",
                &self.kept_path(&plan.out_name),
                "the name is taken; retry",
            ));
        }
        section.sync()
    }

    fn check_unchanged(&self, held: &Held, plan: &Plan) -> Result<()> {
        if !plan.had_dest {
            return Ok(());
        }
        let out = if plan.keep {
            self.kept_dir()?.open_dir(&plan.out_name)?
        } else {
            held.section.open_dir(&plan.out_name)?
        };
        let after = match &out {
            Some(d) => Fingerprint::of(d)?,
            None => Fingerprint::default(),
        };
        if after == plan.seen {
            return Ok(());
        }
        let (ty, name) = (self.ty, self.name);
        let newest = after.entries.iter().map(|e| e.mtime_ns).max();
        Err(Error::new(
            Kind::Conflict,
            format!(
                "{ty} {name:?} changed while this remove ran (a file written, edited or removed \
                 in {} after it was checked); dest was put back as it was, nothing was deleted \
                 and the lockfile entry was kept (retry the remove: it checks dest again)",
                self.project.dest_path(ty, name).display()
            ),
        )
        .with_detail(
            "mtime_ns",
            newest.map_or(serde_json::Value::Null, crate::error::integer),
        ))
    }

    fn unrecord(&self, held: &Held, plan: &Plan) -> Result<()> {
        let memtomem = self.project.ensure_memtomem()?;
        lock::transact(&DiskStore::new(&memtomem), |doc| {
            // D2 again after the wait for the sidecar lock: a shell whose
            // working directory is dest writes into the taken-out tree.
            self.check_unchanged(held, plan)?;
            lockfile::remove(doc, self.ty, self.name);
            Ok(())
        })
    }

    fn put_back(&self, held: &Held, plan: &Plan) {
        if !plan.had_dest {
            return;
        }
        let section = &held.section;
        let back = if plan.keep {
            self.kept_dir()
                .and_then(|k| k.rename(&plan.out_name, section, self.name, IfExists::Keep))
        } else {
            section.rename(&plan.out_name, section, self.name, IfExists::Keep)
        };
        // A staging name is tidied away by the next operation on the asset
        // (I6): a tree that cannot go back (its name taken meanwhile) is
        // kept aside instead, never deleted (D2).
        if !plan.keep && !matches!(back, Ok(true)) {
            let _ = self.kept_dir().and_then(|k| {
                section.rename(&plan.out_name, &k, &kept_name(self.name), IfExists::Keep)
            });
        }
        let _ = section.sync();
    }

    fn discard(&self, held: &Held, plan: &Plan) -> Result<()> {
        if plan.had_dest && !plan.keep {
            // The last look before deleting (D2): what was written since
            // the entry went is kept aside, never deleted.
            if let Err(changed) = self.check_unchanged(held, plan) {
                let kept = kept_name(self.name);
                self.kept_dir().and_then(|k| {
                    held.section
                        .rename(&plan.out_name, &k, &kept, IfExists::Keep)
                })?;
                return Err(Error::new(
                    changed.kind,
                    format!(
                        "the lockfile entry of {} {:?} was removed, but dest changed as it was \
                         being deleted; nothing was deleted: it is kept at {} (look at it, then \
                         delete it)",
                        self.ty,
                        self.name,
                        self.kept_path(&kept).display()
                    ),
                ));
            }
            held.section.remove_tree(&plan.out_name)?;
        }
        held.section.sync()
    }
}

/// `remove TYPE NAME [--force]` (D1-D3): deletes dest and the lockfile
/// entry; a dest holding local bytes is refused ([`IfLocalBytes::Refuse`])
/// or, with `--force` ([`IfLocalBytes::MoveAside`]), moved to
/// `.memtomem/removed/<section>/` instead of deleted.
///
/// # Errors
/// `invalid-name`, `project-not-found`, `not-installed` (no entry),
/// `dirty` (local bytes without `--force`), `lockfile-corrupt`,
/// `lockfile-version`, `unsafe-path`, `io`. Every refusal leaves the
/// project byte-for-byte unchanged.
pub fn remove(ctx: &Context, ty: AssetType, name: &str, if_local: IfLocalBytes) -> Result<Removed> {
    validate_name(name)?;
    let project = Project::open(&ctx.project)?;
    let steps = DiskRemove {
        project: &project,
        ty,
        name,
        if_local,
        locked: std::cell::Cell::new(false),
    };
    let plan = remove_order::remove(&steps)?;
    Ok(Removed {
        ty,
        name: name.to_owned(),
        dest: project.dest_path(ty, name),
        had_dest: plan.had_dest,
        kept: plan.keep.then(|| steps.kept_path(&plan.out_name)),
        local_files: plan.local_files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(rel: &str, kind: EntryKind) -> carry::Entry {
        carry::Entry {
            rel: rel.into(),
            kind,
            mode: 0o755,
            size: 0,
            ino: 0,
            mtime_ns: 0,
        }
    }

    /// A link, FIFO or empty directory of the user's is local (D2); a
    /// directory the user emptied of recorded files, or one holding an
    /// entry, is the install's own, so remove is not refused over it.
    #[test]
    fn only_entries_no_install_makes_are_the_users() {
        let recorded: BTreeSet<String> = ["SKILL.md", "docs/g.md", "deep/er/x.md"]
            .map(String::from)
            .into();
        let entries = [
            entry("SKILL.md", EntryKind::File),
            entry("docs", EntryKind::Dir),
            entry("deep", EntryKind::Dir),
            entry("deep/er", EntryKind::Dir),
            entry("mine", EntryKind::Dir),
            entry("full", EntryKind::Dir),
            entry("full/notes.md", EntryKind::File),
            entry("link", EntryKind::Symlink),
            entry("pipe", EntryKind::Other),
        ];
        assert_eq!(
            users_entries(&entries, &recorded),
            ["mine", "link", "pipe"].map(String::from)
        );
    }
}
