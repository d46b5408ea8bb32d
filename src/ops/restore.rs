//! `install --all` (CONTRACT I8): every lockfile entry restored at its own
//! pin through the install ordering of [`crate::lock::install_order`].
//!
//! What the run decided from the lockfile it read first (this entry, at
//! this pin) is checked again under the per-asset lock (K3): an entry that
//! another process removed, or moved to another pin, meanwhile is not
//! restored, and its row says why.

use super::install::{DiskInstall, Installed, installed};
use crate::asset::{AssetTree, AssetType, validate_name};
use crate::error::{Error, Kind, Result};
use crate::fs::stage;
use crate::lock::install_order::{self, InstallSteps};
use crate::lock::lockfile;
use crate::lock::{self, DiskStore};
use crate::ops::Context;
use crate::ops::Project;
use crate::wiki::Wiki;
use serde_json::Value;

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
    /// The entry was removed by another process after this run read the
    /// lockfile (K3: found under the per-asset lock): nothing to restore,
    /// as if the run had started after the removal.
    Gone {
        /// Asset type.
        ty: AssetType,
        /// Asset name.
        name: String,
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
                Err(e) if e.kind == Kind::NotInstalled => Restored::Gone { ty, name },
                Err(error) => Restored::Failed { ty, name, error },
            };
            rows.push(row);
        }
    }
    // A run killed mid-write may have left a lockfile temporary file; the
    // rerun that finds nothing to restore still takes it out (L7).
    if let Some(m) = project.memtomem()?
        && crate::lock::rmw::has_temps(&m)?
    {
        crate::lock::rmw::tidy(&crate::lock::DiskStore::new(&m))?;
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
    // An entry whose pin the wiki lacks is reported whether or not its dest
    // is present (I8): a present dest is left alone, but it can no longer
    // be restored, and the run says so.
    let commit = gix::ObjectId::from_hex(pin.as_bytes())
        .ok()
        .filter(|_| wiki.has_commit(pin))
        .ok_or_else(|| Error::stale_pin(ty, name, pin, "is unknown to", wiki.path()))?;
    if project.dest_exists(ty, name)? {
        return Ok(None);
    }
    let steps = DiskRestore {
        inner: DiskInstall {
            project,
            wiki,
            ty,
            name,
            restore: Some((commit, pin)),
        },
        pin,
    };
    match install_order::install(&steps) {
        Ok(done) => installed(project, ty, name, done).map(Some),
        // Another process restored it while we waited for the lock.
        Err(e) if e.kind == Kind::AlreadyInstalled => Ok(None),
        Err(e) => Err(e),
    }
}

/// The steps of one restore: [`DiskInstall`]'s, except that the checks
/// (before and again under the per-asset lock, K3) and the entry write
/// also require the entry to be there still, at the pin being restored.
struct DiskRestore<'a> {
    inner: DiskInstall<'a>,
    pin: &'a str,
}

impl DiskRestore<'_> {
    /// Refuses unless `entry` (the entry stored now) is an entry with
    /// the pin this restore read: `not-installed` when it is gone (a
    /// `remove` ran meanwhile), `conflict` when its pin moved (an update).
    fn check_entry(&self, entry: Option<&Value>) -> Result<()> {
        let (ty, name, pin) = (self.inner.ty, self.inner.name, self.pin);
        let Some(entry) = entry.filter(|e| e.is_object()) else {
            return Err(Error::new(
                Kind::NotInstalled,
                format!(
                    "{ty} {name:?} has no lockfile entry any more: another process removed it \
                     after install --all read the lockfile; nothing was restored (nothing to do)"
                ),
            ));
        };
        let now = entry
            .get("wiki_commit")
            .and_then(Value::as_str)
            .unwrap_or("");
        if now == pin {
            return Ok(());
        }
        Err(Error::new(
            Kind::Conflict,
            format!(
                "{ty} {name:?} changed while install --all ran: its entry pins {now:?} now, not \
                 {pin:?}; nothing was restored (run install --all again to restore the new pin)"
            ),
        )
        .with_detail("mtime_ns", Value::Null))
    }
}

impl InstallSteps for DiskRestore<'_> {
    type Pin = gix::ObjectId;
    type Tree = AssetTree;
    type Held = crate::ops::project::Held;
    type Staged = stage::Staged;

    fn resolve(&self) -> Result<gix::ObjectId> {
        self.inner.resolve()
    }

    fn read(&self, pin: &gix::ObjectId) -> Result<AssetTree> {
        self.inner.read(pin)
    }

    fn check_absent(&self) -> Result<()> {
        self.inner.check_absent()?;
        // K3: the entry this run read may have been removed or moved.
        let doc = self.inner.project.load_strict()?;
        self.check_entry(lockfile::get(&doc, self.inner.ty, self.inner.name))
    }

    fn lock_asset(&self) -> Result<Self::Held> {
        self.inner.lock_asset()
    }

    fn clean_stale(&self, held: &Self::Held) -> Result<()> {
        self.inner.clean_stale(held)
    }

    fn stage(&self, held: &Self::Held, tree: &AssetTree) -> Result<stage::Staged> {
        self.inner.stage(held, tree)
    }

    fn place(&self, held: &Self::Held, staged: &stage::Staged) -> Result<()> {
        self.inner.place(held, staged)
    }

    fn record(
        &self,
        _held: &Self::Held,
        commit: &gix::ObjectId,
        tree: &AssetTree,
        staged: stage::Staged,
    ) -> Result<()> {
        let write = super::install::fresh_entry(commit, tree, staged);
        let memtomem = self.inner.project.ensure_memtomem()?;
        let store = DiskStore::new(&memtomem);
        // Under the sidecar lock, the same check once more: a writer that
        // skipped the per-asset lock makes the restore take dest back out
        // (unplace) rather than leave a dest without its entry.
        lock::transact_upsert(&store, self.inner.ty, self.inner.name, &write, |existing| {
            self.check_entry(existing).map(|()| true)
        })?;
        Ok(())
    }

    fn unplace(&self, held: &Self::Held) {
        self.inner.unplace(held);
    }
}
