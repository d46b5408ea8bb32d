//! What of the old dest an update keeps, and how (CONTRACT U2-U4; the
//! sharpenings "U2, unrecorded files" and "U3, what stands in the way").
//!
//! Every entry of dest that no lockfile entry recorded (the user's own
//! files, links, FIFOs, directories) is carried into the new dest as a
//! hard link: the same inode, so bytes, mode, holes and link targets stay
//! exactly as they were and nothing is read. An unrecorded entry where the
//! wiki's HEAD puts a file (or needs a directory) stands in the way: the
//! update refuses it as `dirty`, and with `--force` keeps it as
//! `<path>.bak`, as it does for a modified recorded file (or as
//! `<path>.<n>.bak` when that name is taken: a backup never replaces
//! anything).
//!
//! [`list`] is also the update's fingerprint of dest: taken under the
//! per-asset lock and again after the exchange, it shows whether anything
//! changed dest meanwhile (U7 at the swap, not only at the start).

use crate::asset::skip::BAK_SUFFIX;
use crate::asset::{AssetFile, AssetTree};
use crate::error::Result;
use crate::fs::safedir::{EntryKind, SafeDir};
use crate::fs::walk::Item;
use std::collections::{BTreeMap, BTreeSet};

/// One entry of a tree, as `lstat` saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path relative to the tree's root.
    pub rel: String,
    /// Its kind.
    pub kind: EntryKind,
    /// Permission bits.
    pub mode: u32,
    /// Size in bytes.
    pub size: u64,
    /// Inode number: a replaced file is a change even with the same bytes.
    pub ino: u64,
    /// Modification time, ns since the epoch.
    pub mtime_ns: i128,
}

/// Every entry below `dir` (not `dir` itself), parents before children,
/// never following a link. Names that are not UTF-8 are left out (they
/// cannot be recorded, so they are never the update's business). The walk
/// keeps its own stack and refuses a tree deeper than [`MAX_DEPTH`].
///
/// # Errors
/// `unsafe-path` for a tree too deep; `io`.
pub fn list(dir: &SafeDir) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    crate::fs::walk::walk(dir, |d, prefix, item| {
        let Item::Entry(name, kind) = item else {
            return Ok(false);
        };
        let Some(st) = d.stat(name)? else {
            return Ok(false);
        };
        out.push(Entry {
            rel: format!("{prefix}{name}"),
            kind,
            mode: st.st_mode & 0o7777,
            size: st.st_size as u64,
            ino: st.st_ino,
            mtime_ns: crate::fs::safedir::mtime_ns(&st),
        });
        Ok(kind == EntryKind::Dir)
    })?;
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

/// How the new dest is completed from the old one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Carry {
    /// Directories to create in the new dest, `(path, mode)`, parents
    /// first; one the staged tree already has is left as it is.
    pub dirs: Vec<(String, u32)>,
    /// Hard links to make, `(path in the old dest, path in the new)`.
    pub links: Vec<(String, String)>,
    /// Unrecorded entries in the way of HEAD (U3), sorted.
    pub in_the_way: Vec<String>,
    /// The `.bak` paths written for local changes (U3), sorted.
    pub backups: Vec<String>,
}

/// Plans the carry from `old` (listed as `entries`) into a new dest that
/// holds `head`'s files. `recorded` is the old entry's file list;
/// `changed` the recorded files whose local bytes the update would lose
/// (kept as `.bak`).
///
/// # Errors
/// `io` (reading a user's file that sits where HEAD adds one, to see
/// whether it already holds HEAD's bytes).
pub fn plan(
    old: &SafeDir,
    entries: &[Entry],
    recorded: &BTreeSet<String>,
    head: &AssetTree,
    changed: &[String],
) -> Result<Carry> {
    let head_files: BTreeMap<&str, &AssetFile> =
        head.files.iter().map(|f| (f.path.as_str(), f)).collect();
    let head_dirs: BTreeSet<String> = head.files.iter().flat_map(|f| ancestors(&f.path)).collect();
    let changed: BTreeSet<&str> = changed.iter().map(String::as_str).collect();
    let has_recorded_below = |dir: &str| {
        let prefix = format!("{dir}/");
        recorded
            .range(prefix.clone()..)
            .next()
            .is_some_and(|p| p.starts_with(&prefix))
    };
    // Every name a `.bak` must not take: whatever the old dest holds (the
    // user's own `x.bak` is theirs) and whatever the new dest will hold.
    let mut taken: BTreeSet<String> = entries.iter().map(|e| e.rel.clone()).collect();
    taken.extend(head_files.keys().map(|p| (*p).to_owned()));
    taken.extend(head_dirs.iter().cloned());
    let mut carry = Carry::default();
    let mut backups = Vec::new();
    let mut user = Vec::new();
    // A directory in the way is carried whole under `<dir>.bak/`.
    let mut moved: Vec<(String, String)> = Vec::new();
    for e in entries {
        if let Some((from, to)) = moved
            .iter()
            .find(|(from, _)| e.rel.starts_with(&format!("{from}/")))
        {
            let dst = format!("{to}{}", &e.rel[from.len()..]);
            if e.kind == EntryKind::Dir {
                carry.dirs.push((dst, e.mode));
            } else {
                backups.push((e.rel.clone(), dst));
            }
            continue;
        }
        let mut bak_name = || free_bak(&e.rel, &mut taken);
        if e.kind == EntryKind::Dir {
            if head_files.contains_key(e.rel.as_str()) {
                let bak = bak_name();
                carry.in_the_way.push(e.rel.clone());
                carry.dirs.push((bak.clone(), e.mode));
                carry.backups.push(bak.clone());
                moved.push((e.rel.clone(), bak));
            } else if !head_dirs.contains(&e.rel) && !has_recorded_below(&e.rel) {
                // The user's own directory: kept, with its mode, even empty.
                carry.dirs.push((e.rel.clone(), e.mode));
            }
            continue;
        }
        if recorded.contains(&e.rel) {
            if changed.contains(e.rel.as_str()) {
                let bak = bak_name();
                backups.push((e.rel.clone(), bak.clone()));
                carry.backups.push(bak);
            }
        } else if let Some(file) = head_files.get(e.rel.as_str()) {
            let same = e.kind == EntryKind::File
                && e.size == file.size
                && crate::ops::drift::rel_is(old, &e.rel, file) == Some(true);
            if !same {
                let bak = bak_name();
                carry.in_the_way.push(e.rel.clone());
                backups.push((e.rel.clone(), bak.clone()));
                carry.backups.push(bak);
            }
        } else if head_dirs.contains(&e.rel) {
            let bak = bak_name();
            carry.in_the_way.push(e.rel.clone());
            backups.push((e.rel.clone(), bak.clone()));
            carry.backups.push(bak);
        } else {
            user.push((e.rel.clone(), e.rel.clone()));
        }
    }
    // Every `.bak` name is free (see [`free_bak`]), so no link below can
    // meet an existing name; the order only keeps the report readable.
    carry.links = backups.into_iter().chain(user).collect();
    // Every directory a link lands in exists: the staged tree's, a carried
    // one, or else one made with the mode of the old directory it mirrors.
    let modes: BTreeMap<&str, u32> = entries
        .iter()
        .filter(|e| e.kind == EntryKind::Dir)
        .map(|e| (e.rel.as_str(), e.mode))
        .collect();
    let mut wanted: BTreeMap<String, u32> = carry.dirs.iter().cloned().collect();
    for (src, dst) in &carry.links {
        let src_dirs = ancestors(src);
        for (i, d) in ancestors(dst).into_iter().enumerate() {
            if head_dirs.contains(&d) || wanted.contains_key(&d) {
                continue;
            }
            let mode = src_dirs
                .get(i)
                .and_then(|s| modes.get(s.as_str()))
                .copied()
                .unwrap_or(crate::fs::DIR_MODE);
            wanted.insert(d, mode);
        }
    }
    carry.dirs = wanted.into_iter().collect();
    carry.in_the_way.sort();
    carry.backups.sort();
    carry.backups.dedup();
    Ok(carry)
}

/// Completes the new dest `new` from `old` as `carry` says.
///
/// # Errors
/// `unsafe-path`, `io`.
pub fn apply(old: &SafeDir, new: &SafeDir, carry: &Carry) -> Result<()> {
    // The staged tree was fsynced before: every directory an entry is
    // added to here is fsynced again, or a power cut after the exchange
    // could lose a `.bak` (the user's bytes) from the new dest.
    let mut touched = BTreeSet::new();
    for (rel, mode) in &carry.dirs {
        if new.open_dir_path(rel)?.is_some() {
            continue;
        }
        let (parent, leaf) = split(rel);
        touched.insert(parent.to_owned());
        let parent = open_or_root(new, parent)?;
        parent.create_dir_mode(leaf, *mode)?;
    }
    for (src, dst) in &carry.links {
        let (sp, sl) = split(src);
        let (dp, dl) = split(dst);
        let from = open_or_root(old, sp)?;
        let to = open_or_root(new, dp)?;
        // Every target name was chosen free of both trees: one that exists
        // now appeared during the update, and is not overwritten.
        if !from.link(sl, &to, dl)? {
            return Err(crate::error::Error::conflict("dest entry", dst, None, None));
        }
        touched.insert(dp.to_owned());
    }
    for d in &touched {
        open_or_root(new, d)?.sync()?;
    }
    Ok(())
}

/// The first free name for a backup of `rel`: `<rel>.bak`, else
/// `<rel>.1.bak`, `<rel>.2.bak`, ... (still `.bak`, so never installed and
/// never dirty). A name the old dest or the new dest already uses (a
/// wiki's `x.bak/` directory, the user's own `x.bak`) is never taken, so a
/// backup can never overwrite, or be dropped for, another entry. The name
/// chosen is marked taken.
fn free_bak(rel: &str, taken: &mut BTreeSet<String>) -> String {
    let mut name = format!("{rel}{BAK_SUFFIX}");
    let mut n = 0u64;
    while taken.contains(&name) || taken.iter().any(|t| t.starts_with(&format!("{name}/"))) {
        n += 1;
        name = format!("{rel}.{n}{BAK_SUFFIX}");
    }
    taken.insert(name.clone());
    name
}

fn open_or_root(root: &SafeDir, rel: &str) -> Result<SafeDir> {
    if rel.is_empty() {
        return root.try_clone();
    }
    root.open_dir_path(rel)?
        .ok_or_else(|| crate::error::Error::io("open", &root.child_path(rel), "missing"))
}

fn split(rel: &str) -> (&str, &str) {
    rel.rsplit_once('/').unwrap_or(("", rel))
}

/// The directories above `rel`, outermost first: `a/b/c` -> `a`, `a/b`.
fn ancestors(rel: &str) -> Vec<String> {
    let segs: Vec<&str> = rel.split('/').collect();
    (1..segs.len()).map(|i| segs[..i].join("/")).collect()
}
