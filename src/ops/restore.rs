//! `install --all` (CONTRACT I8): every lockfile entry restored at its own
//! pin through the install ordering of [`crate::lock::install_order`].

use super::install::{DiskInstall, Installed, installed};
use crate::asset::{AssetType, validate_name};
use crate::error::{Error, Kind, Result};
use crate::lock::{install_order, lockfile};
use crate::ops::Context;
use crate::ops::Project;
use crate::wiki::Wiki;

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
    let steps = DiskInstall {
        project,
        wiki,
        ty,
        name,
        restore: Some((commit, pin)),
    };
    match install_order::install(&steps) {
        Ok(done) => installed(project, ty, name, done).map(Some),
        // Another process restored it while we waited for the lock.
        Err(e) if e.kind == Kind::AlreadyInstalled => Ok(None),
        Err(e) => Err(e),
    }
}
