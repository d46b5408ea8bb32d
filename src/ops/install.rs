//! `install` of one asset (CONTRACT I1-I7, K2-K4, Y1-Y3).
//!
//! Order of work, so that every refusal comes before the first write (I5):
//! validate the name (Y1), open the project (Y3) and the wiki, resolve the
//! commit once (K4), read the asset from it (I1, I2), check the work tree
//! (I1), check the lockfile and dest (L5, L6, I4, Y2). Then take the
//! per-asset lock and repeat the state checks (K3), stage and rename dest
//! into place (I6), and only then upsert the entry under the sidecar lock
//! (I7, K1, K2). That order is written once in [`crate::lock::install_order`]; this
//! module gives its steps on disk.

use crate::asset::AssetTree;
use crate::asset::{AssetType, validate_name};
use crate::error::Result;
use crate::fs::{IfExists, stage};
use crate::lock::install_order::{self, InstallSteps};
use crate::lock::lockfile::timestamp::now_utc_micros;
use crate::lock::lockfile::{self, EntryWrite};
use crate::lock::{self, DiskStore};
use crate::ops::Context;
use crate::ops::project::Project;
use crate::wiki::Wiki;
use std::path::PathBuf;

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

/// The lockfile and dest checks of I4/L5/L6/Y2, read-only.
fn check_absent(project: &Project, ty: AssetType, name: &str) -> Result<()> {
    let doc = project.load_strict()?;
    let entry = lockfile::get(&doc, ty, name).is_some();
    let dest = project.dest_exists(ty, name)?;
    install_order::refuse_if_present(ty, name, entry, dest, &project.dest_path(ty, name))
}

/// Installs asset `(ty, name)` from the wiki HEAD into the project, in
/// the order of [`install_order::install`] (K2-K4, I4-I7).
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
    installed(&project, ty, name, install_order::install(&steps)?)
}

/// The entry a fresh install of `tree` at `commit` writes (L1, L2, L9):
/// its files, and the digests of what was staged, stamped now.
pub(super) fn fresh_entry(
    commit: &gix::ObjectId,
    tree: &AssetTree,
    staged: stage::Staged,
) -> EntryWrite {
    EntryWrite {
        wiki_commit: commit.to_string(),
        installed_at: now_utc_micros(),
        files: tree.files.iter().map(|f| f.path.clone()).collect(),
        digests: Some(staged.digests),
    }
}

pub(super) fn installed(
    project: &Project,
    ty: AssetType,
    name: &str,
    done: install_order::Done<gix::ObjectId, AssetTree>,
) -> Result<Installed> {
    let install_order::Done { pin: commit, tree } = done;
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

/// The steps of [`install_order::install`] on disk: git objects, `flock` and
/// staged renames.
pub(super) struct DiskInstall<'a> {
    pub(super) project: &'a Project,
    pub(super) wiki: &'a Wiki,
    pub(super) ty: AssetType,
    pub(super) name: &'a str,
    /// `install --all` (I8): install at this recorded pin instead of HEAD;
    /// the entry exists already and is only rewritten at the same pin.
    pub(super) restore: Option<(gix::ObjectId, &'a str)>,
}

/// The held per-asset lock and the section directory it guards.
impl InstallSteps for DiskInstall<'_> {
    type Pin = gix::ObjectId;
    type Tree = AssetTree;
    type Held = crate::ops::project::Held;
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
        self.project.precheck_writes(self.ty, self.name)?;
        if self.restore.is_none() {
            return check_absent(self.project, self.ty, self.name);
        }
        let dest = self.project.dest_exists(self.ty, self.name)?;
        let dest_path = self.project.dest_path(self.ty, self.name);
        install_order::refuse_if_present(self.ty, self.name, false, dest, &dest_path)
    }

    fn lock_asset(&self) -> Result<Self::Held> {
        self.project.lock_asset(self.ty, self.name)
    }

    fn clean_stale(&self, held: &Self::Held) -> Result<()> {
        stage::clean_stale(&held.section, self.name)
    }

    fn stage(&self, held: &Self::Held, tree: &AssetTree) -> Result<stage::Staged> {
        stage::stage(&held.section, self.name, tree)
    }

    fn place(&self, held: &Self::Held, staged: &stage::Staged) -> Result<()> {
        let section = &held.section;
        if !section.rename(&staged.name, section, self.name, IfExists::Keep)? {
            let _ = section.remove_tree(&staged.name);
            return install_order::refuse_if_present(
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
        _held: &Self::Held,
        commit: &gix::ObjectId,
        tree: &AssetTree,
        staged: stage::Staged,
    ) -> Result<()> {
        let write = fresh_entry(commit, tree, staged);
        let memtomem = self.project.ensure_memtomem()?;
        let dest_path = self.project.dest_path(self.ty, self.name);
        let store = DiskStore::new(&memtomem);
        lock::transact_upsert(&store, self.ty, self.name, &write, |existing| {
            match self.restore {
                None => install_order::record_new_entry(existing, self.ty, self.name, &dest_path),
                // Only rewrite the entry if it still pins what was restored.
                Some((_, pin)) => Ok(existing
                    .and_then(|e| e.get("wiki_commit"))
                    .and_then(|v| v.as_str())
                    == Some(pin)),
            }
        })?;
        Ok(())
    }

    fn unplace(&self, held: &Self::Held) {
        let _ = held.section.remove_tree(self.name);
    }
}
