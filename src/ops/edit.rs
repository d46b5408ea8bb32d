//! `edit` (CONTRACT W1-W5): replaces an installed asset's main file
//! (`SKILL.md`, `agent.md`, `command.md` in dest) under an optimistic
//! guard, in the order of [`crate::lock::edit_order`].
//!
//! The edit lands only when the file's current `mtime_ns` equals the one
//! the caller read; else it is aborted with `conflict` and nothing is
//! written. The lockfile is not touched: the edited asset is then dirty
//! (U2), as any local edit.

use crate::asset::{AssetType, validate_name};
use crate::error::{Error, Kind, Result, integer};
use crate::fs::safedir::{EntryKind, mtime_ns, temp_name, temp_prefix};
use crate::fs::{Durability, SafeDir};
use crate::lock::edit_order::{self, EditSteps};
use crate::lock::lockfile;
use crate::ops::Context;
use crate::ops::project::{Held, Project};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// The largest new content `edit` takes, in bytes (64 MiB): a main file
/// is text, and a `--content-file` such as `/dev/zero` must not exhaust
/// memory.
pub const MAX_CONTENT: u64 = 64 << 20;

/// What an edit did, or what `--show` read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    /// Asset type.
    pub ty: AssetType,
    /// Asset name.
    pub name: String,
    /// The main file's path.
    pub path: PathBuf,
    /// Its `mtime_ns` now (after the edit, for a write).
    pub mtime_ns: i128,
}

/// What a check saw of the main file.
struct Seen {
    dest: SafeDir,
    dev: u64,
    ino: u64,
    size: i64,
    mtime_ns: i128,
    mode: u32,
}

/// Whether `s` is what [`temp_name`] puts after the prefix:
/// `<pid>-<n>-<hex>`. Only such names are a killed edit's; a user's own
/// `.SKILL.md.tmp-notes` is left alone.
fn is_temp_suffix(s: &str) -> bool {
    // Exactly what `temp_name` writes: `<pid>-<n>-<nanos as lowercase hex>`.
    let canonical = |d: &str| !d.is_empty() && (d == "0" || !d.starts_with('0'));
    let parts: Vec<&str> = s.split('-').collect();
    matches!(parts.as_slice(), [pid, n, hex]
        if canonical(pid) && pid.bytes().all(|b| b.is_ascii_digit()) && pid.parse::<u32>().is_ok()
            && canonical(n) && n.bytes().all(|b| b.is_ascii_digit()) && n.parse::<u64>().is_ok()
            && canonical(hex)
            && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            && u32::from_str_radix(hex, 16).is_ok_and(|ns| ns < 1_000_000_000))
}

struct DiskEdit<'a> {
    project: &'a Project,
    ty: AssetType,
    name: &'a str,
    /// `None` for `--show`: check only, no mtime comparison.
    expect: Option<i128>,
    content: &'a [u8],
}

impl DiskEdit<'_> {
    fn main_path(&self) -> PathBuf {
        self.project
            .dest_path(self.ty, self.name)
            .join(self.ty.main_file())
    }

    fn conflict(&self, current: Option<i128>) -> Error {
        let (ty, name) = (self.ty, self.name);
        let shown = current.map_or_else(|| "unknown".to_owned(), |n| n.to_string());
        let expected = self
            .expect
            .map_or_else(|| "none".to_owned(), |n| n.to_string());
        Error::new(
            Kind::Conflict,
            format!(
                "{} changed since it was read: mtime_ns is {shown}, expected {expected}; nothing \
                 was written (read it again with `assetpin edit {ty} {name} --show`, merge, and \
                 retry with the new mtime_ns)",
                self.main_path().display()
            ),
        )
        .with_detail("mtime_ns", current.map_or(serde_json::Value::Null, integer))
    }
}

/// Staged: the temporary name beside the main file.
struct Staged {
    dest: SafeDir,
    tmp: String,
}

impl DiskEdit<'_> {
    /// Every path the asset's lockfile entry names (its `files` and its
    /// `digests` keys, valid or not): never a killed edit's temporary file.
    /// `None` when the lockfile cannot be read or parsed, or the entry is
    /// missing or not of the shape L2 gives it.
    fn recorded_names(&self) -> Option<BTreeSet<String>> {
        let bytes = self.project.read_lockfile().ok()?;
        let path = self.project.lockfile_path();
        let view = lockfile::parse_tolerant(bytes.as_deref(), &path.display().to_string()).ok()?;
        let mut out = BTreeSet::new();
        // An entry of any other shape (null, a list, `files` not a list of
        // names, `digests` not an object) cannot say which files are the
        // wiki's: then nothing is known to be ours.
        let entry = lockfile::get(&view.doc, self.ty, self.name)?.as_object()?;
        if let Some(files) = entry.get("files") {
            for f in files.as_array()? {
                out.insert(f.as_str()?.to_owned());
            }
        }
        if let Some(digests) = entry.get("digests") {
            out.extend(digests.as_object()?.keys().cloned());
        }
        Some(out)
    }
}

impl EditSteps for DiskEdit<'_> {
    type Seen = Seen;
    type Held = Held;
    type Staged = Staged;

    fn check(&self) -> Result<Seen> {
        let (ty, name) = (self.ty, self.name);
        self.project.precheck_writes(ty, name)?;
        let Some(dest) = self.project.dest(ty, name)? else {
            return Err(Error::new(
                Kind::NotInstalled,
                format!(
                    "{ty} {name:?} is not installed: {} does not exist (install it first: \
                     `assetpin install {ty} {name}`)",
                    self.project.dest_path(ty, name).display()
                ),
            ));
        };
        let main = ty.main_file();
        let Some(st) = dest.stat(main)? else {
            return Err(Error::new(
                Kind::NotInstalled,
                format!(
                    "{ty} {name:?} has no main file: {} does not exist (restore it with \
                     `assetpin update {ty} {name} --force`)",
                    self.main_path().display()
                ),
            ));
        };
        if rustix::fs::FileType::from_raw_mode(st.st_mode) != rustix::fs::FileType::RegularFile {
            return Err(Error::unsafe_path(
                &self.main_path(),
                "a symbolic link or not a regular file",
            ));
        }
        let seen = Seen {
            dev: st.st_dev,
            ino: st.st_ino,
            size: st.st_size,
            mtime_ns: mtime_ns(&st),
            mode: st.st_mode & 0o777,
            dest,
        };
        match self.expect {
            Some(want) if want != seen.mtime_ns => Err(self.conflict(Some(seen.mtime_ns))),
            _ => Ok(seen),
        }
    }

    fn lock_asset(&self) -> Result<Held> {
        self.project.precheck_writes(self.ty, self.name)?;
        self.project.lock_asset(self.ty, self.name)
    }

    fn tidy(&self, _held: &Held) -> Result<()> {
        let Some(dest) = self.project.dest(self.ty, self.name)? else {
            return Ok(());
        };
        // W1: a file the entry records is the wiki's, whatever its name; and
        // when the entry cannot be read, nothing is known to be ours.
        let Some(recorded) = self.recorded_names() else {
            return Ok(());
        };
        let prefix = temp_prefix(self.ty.main_file());
        for (entry, kind) in dest.entries()? {
            if kind == EntryKind::File
                && entry.strip_prefix(&prefix).is_some_and(is_temp_suffix)
                && !recorded.contains(&entry)
            {
                dest.remove_file(&entry)?;
            }
        }
        Ok(())
    }

    fn stage(&self, _held: &Held, seen: &Seen) -> Result<Staged> {
        let tmp = temp_name(self.ty.main_file());
        let dest = seen.dest.try_clone()?;
        let staged = Staged { dest, tmp };
        let written = staged
            .dest
            .write_new_file(&staged.tmp, self.content, seen.mode, Durability::Fsync)
            .and_then(|()| {
                // W1: a coarse clock may stamp the new file with the old
                // mtime, which would let a stale edit through.
                let st = staged.dest.stat(&staged.tmp)?;
                if st.as_ref().map(mtime_ns) == Some(seen.mtime_ns) {
                    staged.dest.set_mtime_ns(&staged.tmp, seen.mtime_ns + 1)?;
                }
                Ok(())
            });
        if let Err(e) = written {
            let _ = staged.dest.remove_file(&staged.tmp);
            return Err(e);
        }
        Ok(staged)
    }

    fn exchange(&self, _held: &Held, staged: &Staged) -> Result<()> {
        staged.dest.exchange(&staged.tmp, self.ty.main_file())
    }

    fn unchanged_since(&self, _held: &Held, staged: &Staged, seen: &Seen) -> Result<bool> {
        let st = staged.dest.stat(&staged.tmp)?;
        Ok(st.is_some_and(|st| {
            st.st_dev == seen.dev
                && st.st_ino == seen.ino
                && st.st_size == seen.size
                && mtime_ns(&st) == seen.mtime_ns
        }))
    }

    fn put_back(&self, _held: &Held, staged: &Staged) -> Error {
        let _ = staged.dest.exchange(&staged.tmp, self.ty.main_file());
        let _ = staged.dest.sync();
        let now = staged
            .dest
            .stat(self.ty.main_file())
            .ok()
            .flatten()
            .map(|st| mtime_ns(&st));
        self.conflict(now)
    }

    fn discard(&self, _held: &Held, staged: &Staged) -> Result<()> {
        staged.dest.remove_file(&staged.tmp)?;
        staged.dest.sync()
    }

    fn new_mtime(&self, _held: &Held) -> Result<i128> {
        let main = self.ty.main_file();
        let dest = self
            .project
            .dest(self.ty, self.name)?
            .ok_or_else(|| Error::io("stat", &self.main_path(), "vanished after the edit"))?;
        dest.stat(main)?
            .map(|st| mtime_ns(&st))
            .ok_or_else(|| Error::io("stat", &self.main_path(), "vanished after the edit"))
    }
}

/// `edit TYPE NAME --expect-mtime-ns N --content-file F` (W1-W5):
/// replaces the main file of dest with `content` when its `mtime_ns` is
/// still `expect`, and returns the new `mtime_ns` (different from
/// `expect`).
///
/// # Errors
/// `invalid-name`, `project-not-found`, `not-installed` (no dest or no
/// main file), `conflict` (W2: the file changed; nothing written),
/// `unsafe-path` (W4), `io`.
pub fn edit(
    ctx: &Context,
    ty: AssetType,
    name: &str,
    expect: i128,
    content: &[u8],
) -> Result<Edited> {
    validate_name(name)?;
    let project = Project::open(&ctx.project)?;
    let steps = DiskEdit {
        project: &project,
        ty,
        name,
        expect: Some(expect),
        content,
    };
    let mtime_ns = edit_order::edit(&steps)?;
    Ok(Edited {
        ty,
        name: name.to_owned(),
        path: steps.main_path(),
        mtime_ns,
    })
}

/// `edit TYPE NAME --show`: the main file's path and current `mtime_ns`,
/// the value to pass as `--expect-mtime-ns`. Reads only.
///
/// # Errors
/// `invalid-name`, `project-not-found`, `not-installed`, `unsafe-path`,
/// `io`.
pub fn show(ctx: &Context, ty: AssetType, name: &str) -> Result<Edited> {
    validate_name(name)?;
    let project = Project::open(&ctx.project)?;
    let steps = DiskEdit {
        project: &project,
        ty,
        name,
        expect: None,
        content: &[],
    };
    let seen = steps.check()?;
    Ok(Edited {
        ty,
        name: name.to_owned(),
        path: steps.main_path(),
        mtime_ns: seen.mtime_ns,
    })
}
