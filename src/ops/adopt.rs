//! `adopt` (CONTRACT I4, the sharpening "I4, adopt"): record an existing
//! dest that has no lockfile entry, when it equals the asset at the wiki
//! HEAD file by file. No dest byte is written or moved; the only write is
//! the entry, under the per-asset and sidecar locks. The verb for the
//! state an install killed between its rename and its entry write leaves,
//! and for a dest placed by hand; the peer's `mm context adopt`.

use crate::asset::skip::path_is_skipped;
use crate::asset::{AssetFile, AssetTree, AssetType, validate_name};
use crate::error::{Error, Result};
use crate::lock::lockfile::{self, EntryWrite};
use crate::lock::{self, AssetLock, DiskStore, install_order};
use crate::ops::drift;
use crate::ops::{Context, Project};
use crate::wiki::Wiki;
use gix::ObjectId;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What an adopt recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adopted {
    /// Asset type.
    pub ty: AssetType,
    /// Asset name.
    pub name: String,
    /// The pin recorded: the wiki HEAD (40 lowercase hex).
    pub pin: String,
    /// Dest's path.
    pub dest: PathBuf,
    /// Files verified byte-identical and recorded, sorted.
    pub files: Vec<String>,
}

/// The entry `(ty, name)` would get: HEAD's files and their digests,
/// after proving dest holds exactly them (the I2 skip rules applied to
/// both sides). Reads only.
fn verify(
    project: &Project,
    wiki: &Wiki,
    head: ObjectId,
    ty: AssetType,
    name: &str,
) -> Result<EntryWrite> {
    let doc = project.load_strict()?;
    let dest_path = project.dest_path(ty, name);
    let dest = project.dest(ty, name)?;
    if lockfile::get(&doc, ty, name).is_some() {
        return Err(Error::already_installed(
            ty,
            name,
            true,
            dest.is_some(),
            &dest_path,
        ));
    }
    let Some(dest) = dest else {
        return Err(Error::not_installed(
            ty,
            name,
            &format!("has no dest at {} to adopt", dest_path.display()),
        ));
    };
    let tree: AssetTree = wiki.read_asset(head, ty, name)?;
    wiki.check_clean(head, ty, name)?;
    let expected: BTreeMap<&str, &AssetFile> =
        tree.files.iter().map(|f| (f.path.as_str(), f)).collect();
    // One walk serves the comparison and `installed_at`.
    let walked = drift::walk(&dest)?;
    let newest = walked.values().map(|f| f.mtime_ns).max().unwrap_or(0);
    let on_disk: Vec<String> = walked
        .keys()
        .filter(|rel| !path_is_skipped(rel))
        .cloned()
        .collect();
    let mut differs = Vec::new();
    let mut only_on_disk = Vec::new();
    for rel in &on_disk {
        match expected.get(rel.as_str()) {
            None => only_on_disk.push(rel.clone()),
            Some(want) => {
                // I3: a fresh install gives an executable file 0755 and any
                // other 0644, so the executable bit is part of equal.
                // As git reads a work tree: the owner's x bit alone (S_IXUSR).
                let exec_on_disk = walked.get(rel).is_some_and(|f| f.mode & 0o100 != 0);
                if exec_on_disk != want.executable || drift::rel_is(&dest, rel, want) != Some(true)
                {
                    differs.push(rel.clone());
                }
            }
        }
    }
    let only_at_head: Vec<String> = expected
        .keys()
        .filter(|rel| !on_disk.iter().any(|d| d == *rel))
        .map(|rel| (*rel).to_owned())
        .collect();
    if !(differs.is_empty() && only_on_disk.is_empty() && only_at_head.is_empty()) {
        return Err(Error::dest_differs_from_head(
            ty,
            name,
            &dest_path,
            &head.to_string(),
            &[
                ("differs", &differs),
                ("only on disk", &only_on_disk),
                ("only at HEAD", &only_at_head),
            ],
        ));
    }
    Ok(EntryWrite {
        wiki_commit: head.to_string(),
        installed_at: crate::lock::lockfile::timestamp::format_ns_ceil_micros(newest),
        files: tree.files.iter().map(|f| f.path.clone()).collect(),
        digests: Some(crate::fs::digest::tree_digests(&tree)?),
    })
}

/// Adopts dest of `(ty, name)`: verifies it equals the asset at the wiki
/// HEAD file by file, then records the entry a fresh install would write
/// (pin HEAD, `files`, digests; `installed_at` no earlier than the newest
/// file of dest). Checks run before and again under the per-asset lock
/// (K3); nothing in dest is written.
///
/// # Errors
/// `invalid-name`, `project-not-found`, `wiki-not-found`,
/// `asset-not-found`, `uncommitted`, `already-installed` (an entry
/// exists), `not-installed` (no dest), `dirty` (dest differs from HEAD,
/// with a per-file report), `lockfile-corrupt`, `lockfile-version`,
/// `unsafe-path`, `io`.
pub fn adopt(ctx: &Context, ty: AssetType, name: &str) -> Result<Adopted> {
    validate_name(name)?;
    let project = Project::open(&ctx.project)?;
    let wiki = Wiki::open(&ctx.wiki)?;
    let head = wiki.head()?;
    project.precheck_writes(ty, name)?;
    verify(&project, &wiki, head, ty, name)?;
    let section = project.ensure_section(ty)?;
    let _asset_lock = AssetLock::acquire(&section, &lock::asset_lock_name(name))?;
    project.recheck_section(ty, &section)?;
    let write = verify(&project, &wiki, head, ty, name)?;
    let dest_path = project.dest_path(ty, name);
    let memtomem = project.ensure_memtomem()?;
    lock::transact_upsert(&DiskStore::new(&memtomem), ty, name, &write, |existing| {
        install_order::record_new_entry(existing, ty, name, &dest_path)
    })?;
    Ok(Adopted {
        ty,
        name: name.to_owned(),
        pin: write.wiki_commit,
        dest: dest_path,
        files: write.files,
    })
}
