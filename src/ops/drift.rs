//! Drift of a dest against its lockfile entry (CONTRACT U2, L9, T1, U7).
//!
//! Dest is read through [`SafeDir`] handles without following links, and
//! only at paths that pass the L9 path rule, so nothing a lockfile says can
//! make a reader look outside dest.

use crate::asset::{AssetFile, skip};
use crate::error::Result;
use crate::fs::safedir::{EntryKind, SafeDir};
use crate::fs::walk::Item;
use crate::lock::lockfile::entry::valid_rel_path;
use crate::lock::lockfile::timestamp::parse_installed_at;
use crate::lock::lockfile::{valid_digests, valid_manifest};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A regular file found in dest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestFile {
    /// Modification time, ns since the epoch.
    pub mtime_ns: i128,
    /// Permission bits (`mode & 0o7777`).
    pub mode: u32,
}

/// What dest holds, compared with its entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drift {
    /// Whether dest exists (as a directory).
    pub exists: bool,
    /// Every regular file below dest, by relative path (links are not
    /// followed and not listed).
    pub files: BTreeMap<String, DestFile>,
    /// Dirty files (U2), sorted.
    pub dirty_files: Vec<String>,
    /// The largest mtime over the files in dest, in ns (U7, T3); `None`
    /// when dest is missing or holds no file.
    pub mtime_ns: Option<i128>,
    /// The entry gives nothing to compare with: no valid digests and an
    /// `installed_at` that is no L2 timestamp, so every file counts as
    /// dirty because the install record is unusable, not because of edits.
    pub no_baseline: bool,
}

impl Drift {
    /// True when some file is dirty.
    pub fn is_dirty(&self) -> bool {
        !self.dirty_files.is_empty()
    }
}

/// Lists every regular file below `dir`, without following links. The
/// walk keeps its own stack, so the input's depth never reaches the call
/// stack, and refuses a tree nested deeper than [`MAX_DEPTH`].
///
/// # Errors
/// `unsafe-path` for a tree deeper than [`MAX_DEPTH`]; `io`.
pub fn walk(dir: &SafeDir) -> Result<BTreeMap<String, DestFile>> {
    let mut out = BTreeMap::new();
    crate::fs::walk::walk(dir, |d, prefix, item| {
        let Item::Entry(name, kind) = item else {
            return Ok(false);
        };
        if kind == EntryKind::File
            && let Some(crate::fs::Meta { mode, mtime_ns }) = d.meta(name)?
        {
            out.insert(format!("{prefix}{name}"), DestFile { mtime_ns, mode });
        }
        Ok(kind == EntryKind::Dir)
    })?;
    Ok(out)
}

/// Opens the parent of `rel` below `dir` without following a link at any
/// component; `None` when some component is absent or not a directory.
fn parent_of<'a>(dir: &SafeDir, rel: &'a str) -> Option<(SafeDir, &'a str)> {
    if !valid_rel_path(rel) {
        return None;
    }
    match rel.rsplit_once('/') {
        Some((p, l)) => Some((dir.open_dir_path(p).ok()??, l)),
        None => Some((dir.try_clone().ok()?, rel)),
    }
}

/// The regular file at `rel` below `dir`, opened at its start without
/// following a link at any component; `None` when absent or not a regular
/// file reachable that way.
fn open_rel(dir: &SafeDir, rel: &str) -> Option<std::fs::File> {
    let (parent, leaf) = parent_of(dir, rel)?;
    parent.open_file(leaf).ok()?
}

/// Whether a regular file is at `rel` below `dir`, reached without
/// following a link at any component.
pub fn rel_is_file(dir: &SafeDir, rel: &str) -> bool {
    open_rel(dir, rel).is_some()
}

/// Whether the regular file at relative path `rel` below `dir` holds
/// exactly the bytes of `want`'s blob: its size is the blob's and its git
/// blob id is the blob's id. Read without following a link at any
/// component, streamed (memory stays constant in its size), never beyond
/// the blob's size; `None` when absent or not a regular file reachable
/// that way.
pub fn rel_is(dir: &SafeDir, rel: &str, want: &AssetFile) -> Option<bool> {
    use std::io::Read;
    let mut file = open_rel(dir, rel)?;
    if file.metadata().ok()?.len() != want.size {
        return Some(false);
    }
    let interrupt = std::sync::atomic::AtomicBool::new(false);
    let id = gix::objs::compute_stream_hash(
        want.blob.kind(),
        gix::object::Kind::Blob,
        &mut (&mut file).take(want.size),
        want.size,
        &mut gix::progress::Discard,
        &interrupt,
    )
    .ok()?;
    // One byte more than the blob: the file grew while it was read.
    let grew = file.read(&mut [0u8; 1]).ok()? != 0;
    Some(id == want.blob && !grew)
}

/// The SHA-256 (64 lowercase hex) of the regular file at `rel` below
/// `dir`, streamed in 64 KiB pieces (memory stays constant in its size);
/// `None` when absent or not a regular file reachable without links.
pub fn hash_rel(dir: &SafeDir, rel: &str) -> Option<String> {
    use sha2::Digest;
    use std::io::Read;
    let mut file = open_rel(dir, rel)?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 64 << 10];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => h.update(&buf[..n]),
            Err(_) => return None,
        }
    }
    Some(hex::encode(h.finalize()))
}

/// Compares dest (`None` when absent) with `entry` (U2):
/// * with valid digests (L9), a file is dirty when its bytes differ from
///   its digest or it is missing; a touch that keeps the bytes is clean;
/// * without, a file is dirty when its mtime is later than `installed_at`
///   (the files of a valid manifest, else every file of dest but those
///   the skip rules drop); a recorded file that is missing is dirty; an
///   unreadable `installed_at` makes every file dirty.
///
/// `.bak` files never count as dirty.
///
/// # Errors
/// `io`.
pub fn inspect(dest: Option<&SafeDir>, entry: &Map<String, Value>) -> Result<Drift> {
    let Some(dest) = dest else {
        // Every recorded file is missing.
        let mut dirty: Vec<String> = match valid_digests(entry) {
            Some(d) => d.into_keys().collect(),
            None => valid_manifest(entry).unwrap_or_default(),
        };
        dirty.sort();
        dirty.dedup();
        return Ok(Drift {
            exists: false,
            dirty_files: dirty,
            ..Drift::default()
        });
    };
    let files = walk(dest)?;
    let mtime_ns = files.values().map(|f| f.mtime_ns).max();
    let mut dirty = Vec::new();
    let mut no_baseline = false;
    if let Some(digests) = valid_digests(entry) {
        for (rel, want) in &digests {
            if skip::path_is_skipped(rel) {
                continue;
            }
            match files
                .contains_key(rel)
                .then(|| hash_rel(dest, rel))
                .flatten()
            {
                Some(h) if h == *want => {}
                _ => dirty.push(rel.clone()),
            }
        }
        // A recorded file without a digest still has to be there.
        for rel in valid_manifest(entry).unwrap_or_default() {
            if !digests.contains_key(&rel)
                && !files.contains_key(&rel)
                && !skip::path_is_skipped(&rel)
            {
                dirty.push(rel);
            }
        }
    } else {
        let since = entry
            .get("installed_at")
            .and_then(Value::as_str)
            .and_then(parse_installed_at);
        no_baseline = since.is_none();
        let newer = |rel: &str| match (files.get(rel), since) {
            (Some(f), Some(t)) => f.mtime_ns > t,
            _ => true,
        };
        match valid_manifest(entry) {
            Some(manifest) => {
                for rel in manifest {
                    if !skip::path_is_skipped(&rel) && newer(&rel) {
                        dirty.push(rel);
                    }
                }
            }
            None => {
                for rel in files.keys() {
                    if !skip::path_is_skipped(rel) && newer(rel) {
                        dirty.push(rel.clone());
                    }
                }
            }
        }
    }
    dirty.sort();
    dirty.dedup();
    Ok(Drift {
        exists: true,
        files,
        dirty_files: dirty,
        mtime_ns,
        no_baseline,
    })
}
