//! `install` of one asset (CONTRACT I1-I7, K2-K4, Y1-Y3).
//!
//! Order of work, so that every refusal comes before the first write (I5):
//! validate the name (Y1), open the project (Y3) and the wiki, resolve the
//! commit once (K4), read the asset from it (I1, I2), check the work tree
//! (I1), check the lockfile and dest (L5, L6, I4, Y2). Then take the
//! per-asset lock and repeat the state checks (K3), stage and rename dest
//! into place (I6), and only then upsert the entry under the sidecar lock
//! (I7, K1, K2). That order is written once in [`crate::protocol`]; this
//! module gives its steps on disk.

use crate::digest::now_utc_micros;
use crate::error::{Error, Kind, Result};
use crate::lock::{self, AssetLock, DiskStore};
use crate::lockfile::{self, EntryWrite};
use crate::names::{AssetType, validate_name};
use crate::project::Project;
use crate::protocol::{self, InstallSteps};
use crate::safefs::SafeDir;
use crate::stage;
use crate::wiki::{AssetTree, Wiki};
use std::path::{Path, PathBuf};

/// Where an operation runs: the project root and the wiki location,
/// already resolved from flags and the environment (Terms).
#[derive(Debug, Clone)]
pub struct Context {
    /// The project root.
    pub project: PathBuf,
    /// The wiki location.
    pub wiki: PathBuf,
}

/// What an install wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// Asset type.
    pub ty: AssetType,
    /// Asset name.
    pub name: String,
    /// The pin recorded (40 lowercase hex).
    pub pin: String,
    /// Dest's path.
    pub dest: PathBuf,
    /// Files written, sorted POSIX relative paths.
    pub files: Vec<String>,
    /// Bytes written in total.
    pub bytes: u64,
    /// Skip warnings (links, submodules), one line each (I2).
    pub warnings: Vec<String>,
}

/// I4: refuses when a lockfile entry or dest exists, naming both sides.
///
/// # Errors
/// `already-installed`.
pub fn refuse_if_present(
    ty: AssetType,
    name: &str,
    entry: bool,
    dest: bool,
    dest_path: &Path,
) -> Result<()> {
    if !entry && !dest {
        return Ok(());
    }
    let yn = |b: bool| if b { "yes" } else { "no" };
    Err(Error::new(
        Kind::AlreadyInstalled,
        format!(
            "{ty} {name:?} is already installed (lockfile_entry={}, dest={}) at {}; \
             use `assetpin update {ty} {name}` to move it to the wiki HEAD, or remove both the dest \
             directory and the lockfile entry to install afresh",
            yn(entry),
            yn(dest),
            dest_path.display()
        ),
    )
    .with_detail("lockfile_entry", entry)
    .with_detail("dest", dest))
}

/// The lockfile and dest checks of I4/L5/L6/Y2, read-only.
fn check_absent(project: &Project, ty: AssetType, name: &str) -> Result<()> {
    let doc = project.load_strict()?;
    let entry = lockfile::get(&doc, ty, name).is_some();
    let dest = project.dest_exists(ty, name)?;
    refuse_if_present(ty, name, entry, dest, &project.dest_path(ty, name))
}

/// Installs asset `(ty, name)` from the wiki HEAD into the project, in
/// the order of [`protocol::install`] (K2-K4, I4-I7).
///
/// # Errors
/// `invalid-name`, `project-not-found`, `wiki-not-found`,
/// `asset-not-found`, `uncommitted`, `lockfile-corrupt`,
/// `lockfile-version`, `already-installed`, `unsafe-path`, `io`. Every
/// refusal leaves the project byte-for-byte unchanged (I5).
pub fn install(ctx: &Context, ty: AssetType, name: &str) -> Result<Installed> {
    validate_name(name)?;
    let project = Project::open(&ctx.project)?;
    let wiki = Wiki::open(&ctx.wiki)?;
    let steps = DiskInstall {
        project: &project,
        wiki: &wiki,
        ty,
        name,
        restore: None,
    };
    installed(&project, ty, name, protocol::install(&steps)?)
}

fn installed(
    project: &Project,
    ty: AssetType,
    name: &str,
    (commit, tree): (gix::ObjectId, AssetTree),
) -> Result<Installed> {
    Ok(Installed {
        ty,
        name: name.to_owned(),
        pin: commit.to_string(),
        dest: project.dest_path(ty, name),
        bytes: tree.total_bytes(),
        files: tree.files.iter().map(|f| f.path.clone()).collect(),
        warnings: tree.warnings,
    })
}

/// The steps of [`protocol::install`] on disk: git objects, `flock` and
/// staged renames.
struct DiskInstall<'a> {
    project: &'a Project,
    wiki: &'a Wiki,
    ty: AssetType,
    name: &'a str,
    /// `install --all` (I8): install at this recorded pin instead of HEAD;
    /// the entry exists already and is only rewritten at the same pin.
    restore: Option<(gix::ObjectId, &'a str)>,
}

/// The held per-asset lock and the section directory it guards.
struct Held {
    section: SafeDir,
    _lock: AssetLock,
}

impl InstallSteps for DiskInstall<'_> {
    type Pin = gix::ObjectId;
    type Tree = AssetTree;
    type Held = Held;
    type Staged = stage::Staged;

    fn resolve(&self) -> Result<gix::ObjectId> {
        match self.restore {
            Some((pin, _)) => Ok(pin),
            None => self.wiki.head(),
        }
    }

    fn read(&self, commit: &gix::ObjectId) -> Result<AssetTree> {
        let tree = self.wiki.read_asset(*commit, self.ty, self.name)?;
        // The work tree speaks for HEAD only; a restore reads an older pin.
        if self.restore.is_none() {
            self.wiki.check_clean(*commit, self.ty, self.name)?;
        }
        Ok(tree)
    }

    fn check_absent(&self) -> Result<()> {
        if self.restore.is_none() {
            return check_absent(self.project, self.ty, self.name);
        }
        let dest = self.project.dest_exists(self.ty, self.name)?;
        let dest_path = self.project.dest_path(self.ty, self.name);
        refuse_if_present(self.ty, self.name, false, dest, &dest_path)
    }

    fn lock_asset(&self) -> Result<Held> {
        // First write: the section directory and the per-asset lock (K3).
        let section = self.project.ensure_section(self.ty)?;
        let lock = AssetLock::acquire(&section, &lock::asset_lock_name(self.name))?;
        Ok(Held {
            section,
            _lock: lock,
        })
    }

    fn clean_stale(&self, held: &Held) -> Result<()> {
        stage::clean_stale(&held.section, self.name)
    }

    fn stage(&self, held: &Held, tree: &AssetTree) -> Result<stage::Staged> {
        stage::stage(&held.section, self.name, &tree.files)
    }

    fn place(&self, held: &Held, staged: &stage::Staged) -> Result<()> {
        let section = &held.section;
        if !section.rename(&staged.name, section, self.name, true)? {
            let _ = section.remove_tree(&staged.name);
            return refuse_if_present(
                self.ty,
                self.name,
                false,
                true,
                &self.project.dest_path(self.ty, self.name),
            );
        }
        section.sync()
    }

    fn record(
        &self,
        _held: &Held,
        commit: &gix::ObjectId,
        tree: &AssetTree,
        staged: stage::Staged,
    ) -> Result<()> {
        let write = EntryWrite {
            wiki_commit: commit.to_string(),
            installed_at: now_utc_micros(),
            files: tree.files.iter().map(|f| f.path.clone()).collect(),
            digests: Some(staged.digests),
        };
        let memtomem = self.project.ensure_memtomem()?;
        let dest_path = self.project.dest_path(self.ty, self.name);
        let store = DiskStore::new(&memtomem);
        lock::transact_upsert(&store, self.ty, self.name, &write, |existing| {
            match self.restore {
                None => protocol::record_new_entry(existing, self.ty, self.name, &dest_path),
                // Only rewrite the entry if it still pins what was restored.
                Some((_, pin)) => Ok(existing
                    .and_then(|e| e.get("wiki_commit"))
                    .and_then(|v| v.as_str())
                    == Some(pin)),
            }
        })?;
        Ok(())
    }

    fn unplace(&self, held: &Held) {
        let _ = held.section.remove_tree(self.name);
    }
}

/// How one entry fared in `install --all` (I8).
#[derive(Debug, Clone)]
pub enum Restored {
    /// Dest was missing and was materialized from the pin.
    Restored(Installed),
    /// Dest was present and left alone.
    Present {
        /// Asset type.
        ty: AssetType,
        /// Asset name.
        name: String,
        /// The recorded pin.
        pin: String,
    },
    /// The entry could not be restored (unknown pin, invalid name, ...).
    Failed {
        /// Asset type.
        ty: AssetType,
        /// Asset name as found in the lockfile.
        name: String,
        /// Why.
        error: Error,
    },
}

/// `install --all` (I8): restores every entry of the lockfile at its own
/// pin, never HEAD. A missing dest is materialized from the pin and its
/// entry rewritten with the same pin (new `installed_at`, digests of the
/// bytes written); a present dest is left alone; an entry whose pin the
/// wiki does not have is reported as failed. Pins never move.
///
/// # Errors
/// `project-not-found`, `wiki-not-found`, `lockfile-corrupt`,
/// `lockfile-version`, `unsafe-path`, `io`; per-entry failures are rows.
pub fn install_all(ctx: &Context) -> Result<Vec<Restored>> {
    let project = Project::open(&ctx.project)?;
    let doc = project.load_strict()?;
    let wiki = Wiki::open(&ctx.wiki)?;
    let mut rows = Vec::new();
    for ty in AssetType::ALL {
        let names: Vec<(String, String)> = lockfile::entries(&doc, ty)
            .map(|(n, e)| {
                let pin = e.get("wiki_commit").and_then(|v| v.as_str()).unwrap_or("");
                (n.to_owned(), pin.to_owned())
            })
            .collect();
        for (name, pin) in names {
            let row = match restore_one(&project, &wiki, ty, &name, &pin) {
                Ok(Some(i)) => Restored::Restored(i),
                Ok(None) => Restored::Present { ty, name, pin },
                Err(error) => Restored::Failed { ty, name, error },
            };
            rows.push(row);
        }
    }
    Ok(rows)
}

fn restore_one(
    project: &Project,
    wiki: &Wiki,
    ty: AssetType,
    name: &str,
    pin: &str,
) -> Result<Option<Installed>> {
    validate_name(name)?;
    if project.dest_exists(ty, name)? {
        return Ok(None);
    }
    let commit = gix::ObjectId::from_hex(pin.as_bytes())
        .ok()
        .filter(|_| wiki.has_commit(pin))
        .ok_or_else(|| {
            Error::new(
                Kind::StalePin,
                format!(
                    "{ty} {name:?} is pinned at {pin:?}, which wiki {} does not have \
                     (fetch that commit into the wiki, or `assetpin update {ty} {name} --force-head`)",
                    wiki.path().display()
                ),
            )
        })?;
    let steps = DiskInstall {
        project,
        wiki,
        ty,
        name,
        restore: Some((commit, pin)),
    };
    match protocol::install(&steps) {
        Ok(done) => installed(project, ty, name, done).map(Some),
        // Another process restored it while we waited for the lock.
        Err(e) if e.kind == Kind::AlreadyInstalled => Ok(None),
        Err(e) => Err(e),
    }
}
