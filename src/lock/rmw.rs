//! The lockfile read-modify-write under the sidecar lock (CONTRACT K1,
//! K2, L7): [`transact`] for any change of the document,
//! [`transact_upsert`] for the upsert of one entry (install, update),
//! which edits canonical bytes in place ([`lockfile::splice`]). The lock
//! is held for load, mutate and write only (K2).

use super::flock::{FlockGuard, SIDECAR_NAME};
use crate::asset::AssetType;
use crate::error::{Error, Result};
use crate::fs::{PRIVATE_MODE, ReadUpto, SafeDir, temp_prefix};
use crate::lock::lockfile::{self, Document, EntryWrite, LOCKFILE_NAME};
use serde_json::Value;
use std::cell::RefCell;
use std::fs::File;

/// Where the lockfile lives and how it is locked, read and replaced.
/// [`transact`] and [`transact_upsert`] are written once against this
/// trait; the disk store implements it with `flock` and an atomic rename,
/// and the loom models implement it in memory.
pub trait LockfileStore {
    /// The held sidecar lock.
    type Guard;
    /// Blocks until the sidecar lock is held (K1).
    fn lock(&self) -> Result<Self::Guard>;
    /// The lockfile's bytes, `None` when absent (L4).
    fn read(&self) -> Result<Option<Vec<u8>>>;
    /// Replaces the lockfile with `bytes` atomically (L7); the rename is
    /// visible at once and durable after [`LockfileStore::sync`].
    fn replace(&self, bytes: &[u8]) -> Result<()>;
    /// Makes the last [`LockfileStore::replace`] durable (the directory
    /// fsync of L7). Needs no lock; stores without durability do nothing.
    fn sync(&self) -> Result<()> {
        Ok(())
    }
    /// Lets go of the lockfile that [`LockfileStore::read`] loaded, which
    /// [`LockfileStore::replace`] may have unlinked. Called after the
    /// unlock (a transaction that fails under the lock returns without
    /// it, and the store's drop lets the file go); stores that keep
    /// nothing do nothing.
    fn release(&self) {}
    /// Removes the temporary files of [`LockfileStore::replace`] that a
    /// crashed writer left. Called with the sidecar lock held, when no
    /// live writer owns one (L7, I6).
    fn clean_temps(&self) -> Result<()>;
    /// The lockfile's path, for messages.
    fn display(&self) -> String;
}

/// The on-disk store: `lock.json` and its sidecar lock in `.memtomem/`.
///
/// [`LockfileStore::read`] keeps the lockfile it read open until
/// [`LockfileStore::release`]: when the rename of the replace unlinks that
/// file, freeing its inode and blocks (about 100 µs on ext4 with
/// `discard`, a synchronous discard included) then happens at the close,
/// after the unlock, and not inside the rename, under the lock.
#[derive(Debug)]
pub struct DiskStore<'a> {
    dir: &'a SafeDir,
    /// The document's file name in `dir` (`lock.json`).
    file: &'static str,
    /// Its sidecar lock's name in `dir` (`.lock.json.lock`).
    sidecar: &'static str,
    /// The refusal of a file larger than [`lockfile::MAX_LOCKFILE_BYTES`],
    /// given the file's path: the document's own corrupt kind.
    too_large: fn(String) -> Error,
    read_open: RefCell<Option<File>>,
}

impl<'a> DiskStore<'a> {
    /// The store of the `.memtomem` directory `dir`: `lock.json` under
    /// `.lock.json.lock`, a file past the bound refused as
    /// `lockfile-corrupt` ([`lockfile::too_large`], L5).
    pub fn new(dir: &'a SafeDir) -> DiskStore<'a> {
        DiskStore::named(dir, LOCKFILE_NAME, SIDECAR_NAME, lockfile::too_large)
    }

    /// The store of another document kept the same way, `file` under the
    /// sidecar lock `sidecar`, both in `dir` (the known-projects registry,
    /// R2). A file larger than [`lockfile::MAX_LOCKFILE_BYTES`] is refused
    /// unread with `too_large(path)`, the document's own error (the
    /// registry's is `registry-corrupt`, R3).
    pub fn named(
        dir: &'a SafeDir,
        file: &'static str,
        sidecar: &'static str,
        too_large: fn(String) -> Error,
    ) -> DiskStore<'a> {
        DiskStore {
            dir,
            file,
            sidecar,
            too_large,
            read_open: RefCell::new(None),
        }
    }
}

impl LockfileStore for DiskStore<'_> {
    type Guard = FlockGuard;
    fn lock(&self) -> Result<FlockGuard> {
        FlockGuard::acquire(self.dir, self.sidecar)
    }
    fn read(&self) -> Result<Option<Vec<u8>>> {
        let read = self
            .dir
            .read_file_upto(self.file, lockfile::MAX_LOCKFILE_BYTES)?;
        match read {
            Some(ReadUpto::TooLarge { .. }) => Err((self.too_large)(self.display())),
            Some(ReadUpto::Whole { bytes, file }) => {
                *self.read_open.borrow_mut() = Some(file);
                Ok(Some(bytes))
            }
            None => Ok(None),
        }
    }
    fn release(&self) {
        self.read_open.borrow_mut().take();
    }
    fn replace(&self, bytes: &[u8]) -> Result<()> {
        self.dir.atomic_replace(self.file, bytes, PRIVATE_MODE)
    }
    fn sync(&self) -> Result<()> {
        self.dir.sync()
    }
    fn clean_temps(&self) -> Result<()> {
        let prefix = temp_prefix(self.file);
        // Only regular files: a writer's temporary file is one; anything
        // else under such a name is not ours to remove (I5).
        for (entry, kind) in self.dir.entries()? {
            if entry.starts_with(&prefix) && kind == crate::fs::EntryKind::File {
                self.dir.remove_file(&entry)?;
            }
        }
        Ok(())
    }
    fn display(&self) -> String {
        self.dir.child_path(self.file).display().to_string()
    }
}

/// One read-modify-write of the lockfile (K1, K2, L5-L7): takes the
/// sidecar lock, removes temporary files a crashed writer left, loads
/// strictly, applies `mutate`, writes atomically when the bytes changed,
/// and releases the lock. `mutate` returning an error leaves the file
/// untouched.
///
/// # Errors
/// `lockfile-corrupt`, `lockfile-version`, the errors of `mutate`, `io`.
pub fn transact<S: LockfileStore, T>(
    store: &S,
    mutate: impl FnOnce(&mut Document) -> Result<T>,
) -> Result<T> {
    read_modify_write(store, |before| {
        let mut doc = lockfile::parse_strict(before, &store.display())?;
        let out = mutate(&mut doc)?;
        Ok(Computed::write(lockfile::serialize(&doc), out))
    })
}

/// Removes the temporary files a crashed writer left (L7), under the
/// sidecar lock, writing nothing: for verbs that found nothing to write but
/// should not leave a crash's debris behind (`install --all`).
///
/// # Errors
/// `lockfile-corrupt`, `lockfile-version`, `io`.
pub fn tidy<S: LockfileStore>(store: &S) -> Result<()> {
    read_modify_write(store, |_| Ok(Computed::keep(())))
}

/// Whether `dir` holds a lockfile temporary file (a regular file under
/// the temporary prefix): the debris [`tidy`] removes. Reads only.
///
/// # Errors
/// `io`.
pub fn has_temps(dir: &SafeDir) -> Result<bool> {
    let prefix = temp_prefix(LOCKFILE_NAME);
    Ok(dir
        .entries()?
        .iter()
        .any(|(e, k)| e.starts_with(&prefix) && *k == crate::fs::EntryKind::File))
}

/// The upsert of one entry as one read-modify-write (K1, K2, L2, L3,
/// L5-L8, L10): under the sidecar lock, `decide` sees the entry now stored
/// for `(ty, name)` (`None` when there is none, of any JSON type
/// otherwise) and returns whether to write `write` into it. Returns what `decide` returned.
///
/// The bytes written equal those of [`transact`] with
/// [`lockfile::upsert`]; when the lockfile is already in the canonical
/// layout (L8) they are produced by editing it in place
/// ([`lockfile::splice`]) rather than by parsing and re-serializing the
/// whole document, which keeps the time under the lock short.
///
/// # Errors
/// `lockfile-corrupt`, `lockfile-version`, the errors of `decide`, `io`.
pub fn transact_upsert<S: LockfileStore>(
    store: &S,
    ty: AssetType,
    name: &str,
    write: &EntryWrite,
    decide: impl FnOnce(Option<&Value>) -> Result<bool>,
) -> Result<bool> {
    read_modify_write(store, |before| {
        if let Some(located) = before.and_then(|b| lockfile::splice::locate(b, ty, name)) {
            if !decide(located.existing())? {
                return Ok(Computed::keep(false));
            }
            return Ok(Computed::write(located.upsert(write), true));
        }
        let mut doc = lockfile::parse_strict(before, &store.display())?;
        if !decide(lockfile::get(&doc, ty, name))? {
            return Ok(Computed::keep(false));
        }
        lockfile::upsert(&mut doc, ty, name, write);
        Ok(Computed::write(lockfile::serialize(&doc), true))
    })
}

/// What a read-modify-write's `compute` decided: the new bytes of the
/// store (`None`: write nothing) and what to return to the caller.
#[derive(Debug)]
pub struct Computed<T> {
    /// The document's new bytes; nothing is written when `None` or equal
    /// to the bytes read.
    pub bytes: Option<Vec<u8>>,
    /// Returned by [`read_modify_write`].
    pub out: T,
}

impl<T> Computed<T> {
    /// Write `bytes` (when they differ from what was read), return `out`.
    pub fn write(bytes: Vec<u8>, out: T) -> Self {
        Computed {
            bytes: Some(bytes),
            out,
        }
    }

    /// Write nothing, return `out`.
    pub fn keep(out: T) -> Self {
        Computed { bytes: None, out }
    }
}

/// The protocol both transactions share (and the registry's writes,
/// `registry`, R2): lock, clean crash leftovers,
/// read, compute the new bytes (`None`: no change), replace when they
/// differ, unlock, release the file read, then make the replace durable.
///
/// The directory fsync comes after the unlock (K2 keeps the lock to load,
/// mutate, write): the rename is already visible to the next writer, and
/// no caller returns before its own fsync, which also makes every earlier
/// rename in the directory durable. Holding the lock over it would make
/// each waiting writer pay for it once more. The release of the replaced
/// file comes after the unlock for the same reason (see [`DiskStore`]).
pub fn read_modify_write<S: LockfileStore, T>(
    store: &S,
    compute: impl FnOnce(Option<&[u8]>) -> Result<Computed<T>>,
) -> Result<T> {
    let (out, wrote) = {
        let _guard = store.lock()?;
        crate::failpoint!("upsert::after-lock");
        store.clean_temps()?;
        let before = store.read()?;
        let Computed { bytes: after, out } = compute(before.as_deref())?;
        let mut wrote = false;
        if let Some(after) = after
            && before.as_deref() != Some(after.as_slice())
        {
            store.replace(&after)?;
            crate::failpoint!("upsert::after-replace");
            wrote = true;
        }
        (out, wrote)
    };
    store.release();
    if wrote {
        store.sync()?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::lockfile::timestamp::now_utc_micros;

    /// Descriptors of this process open on `path`, deleted or not (a
    /// deleted file's link reads `<path> (deleted)`).
    fn fds_on(path: &std::path::Path) -> Vec<String> {
        let path = path.display().to_string();
        std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
            .map(|l| l.display().to_string())
            .filter(|l| l.starts_with(&path))
            .collect()
    }

    /// The lockfile that an upsert read (and its rename unlinked) is let
    /// go by the time the transaction returns, while the store lives on:
    /// its inode is freed after the unlock, not held for the store's
    /// lifetime nor freed under the lock.
    #[test]
    fn k2_the_replaced_lockfile_is_released_after_the_unlock() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = SafeDir::open_root(tmp.path()).unwrap();
        let lockfile = dir.child_path(LOCKFILE_NAME);
        let store = DiskStore::new(&dir);
        let write = EntryWrite {
            wiki_commit: "a".repeat(40),
            installed_at: now_utc_micros(),
            files: vec![],
            digests: None,
        };
        // The first upsert creates the lockfile, the second replaces it.
        for name in ["one", "two"] {
            transact_upsert(&store, AssetType::Skill, name, &write, |_| Ok(true)).unwrap();
        }
        assert_eq!(fds_on(&lockfile), Vec::<String>::new());
        // The check sees a kept file: a bare read keeps it until release.
        assert!(store.read().unwrap().is_some());
        assert_eq!(fds_on(&lockfile).len(), 1);
        store.release();
        assert_eq!(fds_on(&lockfile), Vec::<String>::new());
    }

    /// A file past [`lockfile::MAX_LOCKFILE_BYTES`] is refused unread, as
    /// what the store holds: a lockfile as `lockfile-corrupt` (the
    /// registry as `registry-corrupt`: `registry::tests`).
    #[test]
    fn l5_a_file_too_large_is_refused_as_its_own_kind() {
        use crate::error::Kind;
        let tmp = tempfile::tempdir().unwrap();
        let dir = SafeDir::open_root(tmp.path()).unwrap();
        std::fs::File::create(tmp.path().join(LOCKFILE_NAME))
            .unwrap()
            .set_len(lockfile::MAX_LOCKFILE_BYTES + 1)
            .unwrap();
        let e = DiskStore::new(&dir).read().expect_err("too large");
        assert_eq!(e.kind, Kind::LockfileCorrupt, "{LOCKFILE_NAME}: {e:?}");
    }
}
