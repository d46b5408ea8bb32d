//! Directory-handle file system access confined to the project root (Y2).
//!
//! Every path below the project root is reached one component at a time
//! through `openat(O_NOFOLLOW)` on an open directory handle, so a symbolic
//! link planted at `.memtomem`, a section directory, a dest or anything in
//! between is refused with `unsafe-path` at the moment it is used, not by a
//! check followed by a separate write. Modes are set with `fchmod` after
//! creation so the umask never decides them (I3). Every I/O error names the
//! path it happened on.

use crate::error::{Error, Result};
use rustix::fs::{AtFlags, FileType, Mode, OFlags, RenameFlags};
use rustix::io::Errno;
use std::fs::File;
use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

/// Mode of installed regular files (I3).
pub const FILE_MODE: u32 = 0o644;
/// Mode of installed files git records as executable (I3, ext).
pub const EXEC_MODE: u32 = 0o755;
/// Mode of every directory created (I3).
pub const DIR_MODE: u32 = 0o755;
/// Mode of the lockfile and the sidecar locks (L7, K1, I3).
pub const PRIVATE_MODE: u32 = 0o600;

/// What a directory entry is, read without following links.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (never followed).
    Symlink,
    /// Anything else (fifo, socket, device).
    Other,
}

/// Whether [`SafeDir::write_new_file`] fsyncs the file it wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// fsync the file before returning (I6, L7: it is renamed into place
    /// next).
    Fsync,
    /// Leave the bytes to the page cache.
    NoFsync,
}

/// What [`SafeDir::rename`] does when its target name exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfExists {
    /// Replace the target atomically (`rename(2)`; a non-empty directory
    /// cannot be replaced and is an error).
    Replace,
    /// Keep the target and rename nothing (`RENAME_NOREPLACE`): the rename
    /// returns `Ok(false)`.
    Keep,
}

/// What [`SafeDir::meta`] reads of an entry (links not followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// Permission bits, `st_mode & 0o7777`.
    pub mode: u32,
    /// Modification time in nanoseconds since the epoch.
    pub mtime_ns: i128,
}

/// What [`SafeDir::read_file_upto`] read of a regular file.
#[derive(Debug)]
pub enum ReadUpto {
    /// The file held at most `max` bytes: all of them, and the open file.
    Whole {
        /// The file's bytes.
        bytes: Vec<u8>,
        /// The file, still open.
        file: File,
    },
    /// The file held more than `max` bytes (at the open, or grew while
    /// read): none of its bytes, and the open file.
    TooLarge {
        /// The file, still open.
        file: File,
    },
}

/// An open directory below (or at) the project root, with the path it was
/// reached by for messages.
#[derive(Debug)]
pub struct SafeDir {
    fd: OwnedFd,
    path: PathBuf,
}

/// A directory listing: `(name, kind)` pairs sorted by name.
pub type Listing = Vec<(String, EntryKind)>;

/// A directory's whole listing: the entries a [`Listing`] holds, and the
/// names that are not UTF-8 (escaped for printing, sorted), which no
/// lockfile can record but no walk may pass over unseen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FullListing {
    /// The UTF-8 entries with their kinds, sorted by name.
    pub listing: Listing,
    /// The other names, escaped (`\xe9` for a byte outside ASCII).
    pub strays: Vec<String>,
}

/// The deepest directory nesting any walk of a dest, a staging directory
/// or an asset accepts. Walks keep their own stacks, but each level holds a
/// directory handle, so the bound keeps open handles and work bounded too.
pub const MAX_DEPTH: usize = 256;

/// `unsafe-path` for a tree nested deeper than [`MAX_DEPTH`] at `path`.
pub fn too_deep(path: &Path) -> Error {
    Error::unsafe_path(
        path,
        &format!("nested deeper than {MAX_DEPTH} directories, more than this tool walks"),
    )
}

fn io_err(op: &str, path: &Path, e: impl std::fmt::Display) -> Error {
    Error::io(op, path, e)
}

fn unsafe_path(path: &Path) -> Error {
    Error::unsafe_path(path, "a symbolic link or not a directory")
}

impl SafeDir {
    /// Opens the project root itself. A missing root or a non-directory is
    /// `project-not-found` (Y3); nothing is created.
    ///
    /// # Errors
    /// `project-not-found`, `io`.
    pub fn open_root(path: &Path) -> Result<SafeDir> {
        match rustix::fs::open(
            path,
            OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => Ok(SafeDir {
                fd,
                path: path.to_owned(),
            }),
            Err(Errno::NOENT) | Err(Errno::NOTDIR) => Err(Error::project_not_found(
                path,
                "does not exist or is not a directory",
            )),
            Err(e) => Err(io_err("open", path, e)),
        }
    }

    /// The path this directory was reached by.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The raw directory handle.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Path of child `name`, for messages.
    pub fn child_path(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// What `name` is, without following a link; `None` when absent.
    ///
    /// # Errors
    /// `io`.
    pub fn kind_of(&self, name: &str) -> Result<Option<EntryKind>> {
        match rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some(match FileType::from_raw_mode(st.st_mode) {
                FileType::RegularFile => EntryKind::File,
                FileType::Directory => EntryKind::Dir,
                FileType::Symlink => EntryKind::Symlink,
                _ => EntryKind::Other,
            })),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(io_err("stat", &self.child_path(name), e)),
        }
    }

    /// The permission bits and mtime of `name` ([`Meta`]), without
    /// following a link; `None` when absent.
    ///
    /// # Errors
    /// `io`.
    pub fn meta(&self, name: &str) -> Result<Option<Meta>> {
        match rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some(Meta {
                mode: st.st_mode & 0o7777,
                mtime_ns: mtime_ns(&st),
            })),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(io_err("stat", &self.child_path(name), e)),
        }
    }

    /// Sets the mtime of `name` (never following a link) to `ns`
    /// nanoseconds since the epoch, and its atime to now.
    ///
    /// # Errors
    /// `io`.
    pub fn set_mtime_ns(&self, name: &str, ns: i128) -> Result<()> {
        let at = |sec: i128, nsec: i128| rustix::fs::Timespec {
            tv_sec: sec as i64,
            tv_nsec: nsec as _,
        };
        let times = rustix::fs::Timestamps {
            last_access: at(0, rustix::fs::UTIME_NOW as i128),
            last_modification: at(ns.div_euclid(1_000_000_000), ns.rem_euclid(1_000_000_000)),
        };
        rustix::fs::utimensat(&self.fd, name, &times, AtFlags::SYMLINK_NOFOLLOW)
            .map_err(|e| io_err("set the mtime of", &self.child_path(name), e))
    }

    /// Whether this handle and `other` are the same directory (device and
    /// inode), e.g. a section still at its place after waiting for a lock.
    ///
    /// # Errors
    /// `io`.
    pub fn same_dir(&self, other: &SafeDir) -> Result<bool> {
        let a = rustix::fs::fstat(&self.fd).map_err(|e| io_err("stat", &self.path, e))?;
        let b = rustix::fs::fstat(&other.fd).map_err(|e| io_err("stat", &other.path, e))?;
        Ok(a.st_dev == b.st_dev && a.st_ino == b.st_ino)
    }

    /// Opens child directory `name` without following a link.
    /// `Ok(None)` when it does not exist.
    ///
    /// # Errors
    /// `unsafe-path` when `name` is a link or not a directory; `io`.
    pub fn open_dir(&self, name: &str) -> Result<Option<SafeDir>> {
        let path = self.child_path(name);
        match rustix::fs::openat(
            &self.fd,
            name,
            OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => Ok(Some(SafeDir { fd, path })),
            Err(Errno::NOENT) => Ok(None),
            Err(Errno::LOOP) | Err(Errno::NOTDIR) => Err(unsafe_path(&path)),
            Err(e) => Err(io_err("open", &path, e)),
        }
    }

    /// Opens the relative path `rel` (components separated by `/`) one
    /// component at a time without following links. `Ok(None)` when some
    /// component is absent.
    ///
    /// # Errors
    /// `unsafe-path` when a component is a link or not a directory; `io`.
    pub fn open_dir_path(&self, rel: &str) -> Result<Option<SafeDir>> {
        let mut parts = rel.split('/').filter(|p| !p.is_empty());
        let Some(first) = parts.next() else {
            return Ok(Some(self.try_clone()?));
        };
        let Some(mut dir) = self.open_dir(first)? else {
            return Ok(None);
        };
        for part in parts {
            match dir.open_dir(part)? {
                Some(d) => dir = d,
                None => return Ok(None),
            }
        }
        Ok(Some(dir))
    }

    /// Another handle on the same directory.
    ///
    /// # Errors
    /// `io`.
    pub fn try_clone(&self) -> Result<SafeDir> {
        Ok(SafeDir {
            fd: self
                .fd
                .try_clone()
                .map_err(|e| io_err("dup", &self.path, e))?,
            path: self.path.clone(),
        })
    }

    /// [`SafeDir::ensure_dir`] for a directory that outlives the
    /// operation (`.memtomem/`, a section): when it creates it, this
    /// directory is fsynced, so that the new entry is durable before
    /// anything acknowledged is written below it (L7, I6; a power cut
    /// after a first install must not take `.memtomem/` away). A staged
    /// tree does not need it: its directories are synced once it is whole.
    ///
    /// # Errors
    /// As [`SafeDir::ensure_dir`].
    pub fn ensure_dir_durable(&self, name: &str) -> Result<SafeDir> {
        if let Some(d) = self.open_dir(name)? {
            return Ok(d);
        }
        let d = self.ensure_dir(name)?;
        self.sync()?;
        Ok(d)
    }

    /// Opens child directory `name`, creating it with mode 0755 when
    /// absent (I3).
    ///
    /// # Errors
    /// `unsafe-path` when `name` is a link or not a directory; `io`.
    pub fn ensure_dir(&self, name: &str) -> Result<SafeDir> {
        if let Some(d) = self.open_dir(name)? {
            return Ok(d);
        }
        match self.create_dir(name) {
            Ok(d) => Ok(d),
            // Another process created it meanwhile: use theirs.
            Err(_) if self.kind_of(name)? == Some(EntryKind::Dir) => self
                .open_dir(name)?
                .ok_or_else(|| io_err("open", &self.child_path(name), "vanished")),
            Err(e) => Err(e),
        }
    }

    /// The `lstat` of `name` (never following a link); `None` when absent.
    ///
    /// # Errors
    /// `io`.
    pub fn stat(&self, name: &str) -> Result<Option<rustix::fs::Stat>> {
        match rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some(st)),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(io_err("stat", &self.child_path(name), e)),
        }
    }

    /// Makes `to` in `to_dir` a hard link to `name` here: the same inode,
    /// so bytes, mode, holes and a symbolic link's target are kept without
    /// reading anything (a link is linked itself, never followed).
    /// `Ok(false)` when `to` exists.
    ///
    /// # Errors
    /// `io` (a directory cannot be linked).
    pub fn link(&self, name: &str, to_dir: &SafeDir, to: &str) -> Result<bool> {
        match rustix::fs::linkat(&self.fd, name, &to_dir.fd, to, AtFlags::empty()) {
            Ok(()) => Ok(true),
            Err(Errno::EXIST) => Ok(false),
            Err(e) => Err(io_err(
                "link",
                &self.child_path(name),
                format!("as {}: {e}", to_dir.child_path(to).display()),
            )),
        }
    }

    /// [`SafeDir::create_dir`] with permission bits `mode` instead of 0755
    /// (a user's own directory carried into a new dest keeps its mode).
    ///
    /// # Errors
    /// `io` (including when it exists).
    pub fn create_dir_mode(&self, name: &str, mode: u32) -> Result<SafeDir> {
        let d = self.create_dir(name)?;
        rustix::fs::fchmod(&d.fd, Mode::from_raw_mode(mode & 0o7777))
            .map_err(|e| io_err("chmod", d.path(), e))?;
        Ok(d)
    }

    /// Creates a new directory `name` (it must not exist) with mode 0755.
    ///
    /// # Errors
    /// `io` (including when it exists).
    pub fn create_dir(&self, name: &str) -> Result<SafeDir> {
        rustix::fs::mkdirat(&self.fd, name, Mode::from_raw_mode(DIR_MODE))
            .map_err(|e| io_err("mkdir", &self.child_path(name), e))?;
        let d = self
            .open_dir(name)?
            .ok_or_else(|| io_err("open", &self.child_path(name), "vanished"))?;
        rustix::fs::fchmod(&d.fd, Mode::from_raw_mode(DIR_MODE))
            .map_err(|e| io_err("chmod", d.path(), e))?;
        Ok(d)
    }

    /// Creates file `name` (it must not exist; a link is never followed),
    /// writes `bytes`, sets `mode` with `fchmod`, and fsyncs it when
    /// `durability` is [`Durability::Fsync`].
    ///
    /// # Errors
    /// `io`.
    pub fn write_new_file(
        &self,
        name: &str,
        bytes: &[u8],
        mode: u32,
        durability: Durability,
    ) -> Result<()> {
        let path = self.child_path(name);
        let fd = rustix::fs::openat(
            &self.fd,
            name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(mode),
        )
        .map_err(|e| io_err("create", &path, e))?;
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode))
            .map_err(|e| io_err("chmod", &path, e))?;
        let mut file = File::from(fd);
        file.write_all(bytes)
            .map_err(|e| io_err("write", &path, e))?;
        if durability == Durability::Fsync {
            file.sync_all().map_err(|e| io_err("fsync", &path, e))?;
        }
        Ok(())
    }

    /// Reads regular file `name`, without following a link, up to `max`
    /// bytes: [`ReadUpto::Whole`] with its bytes when it holds at most
    /// `max`, [`ReadUpto::TooLarge`] (no bytes) when it holds more, each
    /// with the open file (so that the caller decides when its inode may be
    /// freed, see `lock::LockfileStore::release`); `None` when absent. A
    /// file of any size (a sparse one of terabytes, one that grows while
    /// read) costs at most `max` bytes of memory.
    ///
    /// # Errors
    /// `unsafe-path` when it is a link or not a regular file; `io`.
    pub fn read_file_upto(&self, name: &str, max: u64) -> Result<Option<ReadUpto>> {
        let path = self.child_path(name);
        let Some((mut file, size)) = self.open_regular(name)? else {
            return Ok(None);
        };
        let mut buf = Vec::new();
        let whole = if size > max {
            false
        } else {
            // One byte beyond `max` tells a file that grew.
            std::io::Read::read_to_end(
                &mut std::io::Read::take(&mut file, max.saturating_add(1)),
                &mut buf,
            )
            .map_err(|e| io_err("read", &path, e))?;
            let whole = buf.len() as u64 <= max;
            buf.truncate(usize::try_from(max).unwrap_or(usize::MAX));
            whole
        };
        Ok(Some(if whole {
            ReadUpto::Whole { bytes: buf, file }
        } else {
            ReadUpto::TooLarge { file }
        }))
    }

    /// Opens the regular file `name` for reading, at its start, without
    /// reading a byte; `None` when absent.
    ///
    /// # Errors
    /// `unsafe-path` when it is a link or not a regular file; `io`.
    pub fn open_file(&self, name: &str) -> Result<Option<File>> {
        Ok(self.open_regular(name)?.map(|(file, _)| file))
    }

    /// [`SafeDir::open_file`] and the file's size in bytes at the open.
    fn open_regular(&self, name: &str) -> Result<Option<(File, u64)>> {
        let path = self.child_path(name);
        // NONBLOCK: opening a FIFO for reading would otherwise wait for a
        // writer forever; the opened handle is then checked to be a regular
        // file before a byte is read (a device would never end).
        match rustix::fs::openat(
            &self.fd,
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
            Mode::empty(),
        ) {
            Ok(fd) => {
                let st = rustix::fs::fstat(&fd).map_err(|e| io_err("stat", &path, e))?;
                if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
                    return Err(Error::unsafe_path(&path, "not a regular file"));
                }
                Ok(Some((File::from(fd), st.st_size as u64)))
            }
            Err(Errno::NOENT) => Ok(None),
            Err(Errno::LOOP) => Err(unsafe_path(&path)),
            Err(e) => Err(io_err("open", &path, e)),
        }
    }

    /// Opens lock file `name` as it is, creating nothing and changing
    /// nothing (read-only: `flock(2)` needs no write access). `None` when
    /// it is missing, not a regular file or cannot be opened (whoever
    /// takes the lock later judges that).
    ///
    /// # Errors
    /// `io` when it cannot be looked at.
    pub fn open_existing_lock_file(&self, name: &str) -> Result<Option<File>> {
        let path = self.child_path(name);
        // Looked at before it is opened: opening a planted device or FIFO
        // can have effects of its own.
        match rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::RegularFile => {}
            Ok(_) | Err(Errno::NOENT | Errno::ACCESS) => return Ok(None),
            Err(e) => return Err(io_err("stat", &path, e)),
        }
        // A swap between the look and the open is caught by the open's
        // own checks (no link followed, a regular file); a file this
        // process may not open is not waited on either.
        Ok(self.open_regular(name).ok().flatten().map(|(f, _)| f))
    }

    /// Opens (creating with mode 0600 when absent) the lock file `name`
    /// for `flock` (K1, K3). Never follows a link.
    ///
    /// # Errors
    /// `unsafe-path` when it is a link, a hard link or not a regular file;
    /// `io`.
    pub fn open_lock_file(&self, name: &str) -> Result<File> {
        let path = self.child_path(name);
        match rustix::fs::openat(
            &self.fd,
            name,
            OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
            Mode::from_raw_mode(PRIVATE_MODE),
        ) {
            Ok(fd) => {
                let st = rustix::fs::fstat(&fd).map_err(|e| io_err("stat", &path, e))?;
                if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
                    return Err(Error::unsafe_path(&path, "not a regular file"));
                }
                // A hard link shares its inode with names that may lie
                // outside the project: setting the mode would change them.
                if st.st_nlink != 1 {
                    return Err(Error::unsafe_path(
                        &path,
                        "a hard link (its other names may be outside the project)",
                    ));
                }
                if st.st_mode & 0o7777 != PRIVATE_MODE {
                    rustix::fs::fchmod(&fd, Mode::from_raw_mode(PRIVATE_MODE))
                        .map_err(|e| io_err("chmod", &path, e))?;
                }
                Ok(File::from(fd))
            }
            Err(Errno::LOOP) => Err(unsafe_path(&path)),
            Err(e) => Err(io_err("open", &path, e)),
        }
    }

    /// Renames `from` in this directory to `to` in `to_dir`; `Ok(true)`
    /// when renamed. With [`IfExists::Keep`] an existing `to` makes it fail
    /// with `EEXIST`, returned as `Ok(false)`; with [`IfExists::Replace`]
    /// `to` is replaced atomically.
    ///
    /// # Errors
    /// `io`.
    pub fn rename(
        &self,
        from: &str,
        to_dir: &SafeDir,
        to: &str,
        if_exists: IfExists,
    ) -> Result<bool> {
        let no_replace = if_exists == IfExists::Keep;
        let flags = if no_replace {
            RenameFlags::NOREPLACE
        } else {
            RenameFlags::empty()
        };
        match rustix::fs::renameat_with(&self.fd, from, &to_dir.fd, to, flags) {
            Ok(()) => Ok(true),
            Err(Errno::EXIST) | Err(Errno::NOTEMPTY) if no_replace => Ok(false),
            Err(e) => Err(io_err(
                "rename",
                &self.child_path(from),
                format!("to {}: {e}", to_dir.child_path(to).display()),
            )),
        }
    }

    /// Atomically exchanges `a` and `b` in this directory (both must exist).
    ///
    /// # Errors
    /// `io`.
    pub fn exchange(&self, a: &str, b: &str) -> Result<()> {
        rustix::fs::renameat_with(&self.fd, a, &self.fd, b, RenameFlags::EXCHANGE).map_err(|e| {
            io_err(
                "exchange",
                &self.child_path(a),
                format!("with {}: {e}", self.child_path(b).display()),
            )
        })
    }

    /// Removes file `name`; absent is fine.
    ///
    /// # Errors
    /// `io`.
    pub fn remove_file(&self, name: &str) -> Result<()> {
        match rustix::fs::unlinkat(&self.fd, name, AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => Ok(()),
            Err(e) => Err(io_err("remove", &self.child_path(name), e)),
        }
    }

    /// Removes `name` and, when it is a directory, everything below it,
    /// never following a link. Absent is fine.
    ///
    /// # Errors
    /// `io`.
    pub fn remove_tree(&self, name: &str) -> Result<()> {
        // Depth-first with an explicit stack of pending directories, kept
        // as paths relative to `self` and opened again when their turn
        // comes: each directory is listed once (its files removed, its
        // subdirectories remembered) and removed once empty, so neither
        // the call stack nor the open handles grow with the tree, and the
        // work is linear in its size.
        match self.kind_of(name)? {
            None => return Ok(()),
            Some(EntryKind::Dir) => {}
            Some(_) => return self.remove_file(name),
        }
        let Some(pending) = self.clear_files(name)? else {
            return Ok(());
        };
        let mut stack: Vec<(String, Vec<String>)> = vec![(name.to_owned(), pending)];
        loop {
            let depth = stack.len();
            let Some((rel, pending)) = stack.last_mut() else {
                break;
            };
            if let Some(child) = pending.pop() {
                let child_rel = format!("{rel}/{child}");
                if depth > MAX_DEPTH {
                    return Err(too_deep(&self.child_path(&child_rel)));
                }
                if let Some(sub) = self.clear_files(&child_rel)? {
                    stack.push((child_rel, sub));
                }
                continue;
            }
            let (rel, _) = stack.pop().expect("not empty");
            let (parent, leaf) = rel.rsplit_once('/').unwrap_or(("", rel.as_str()));
            let Some(parent) = self.open_dir_path(parent)? else {
                continue;
            };
            match rustix::fs::unlinkat(&parent.fd, leaf, AtFlags::REMOVEDIR) {
                Ok(()) | Err(Errno::NOENT) => {}
                // Something appeared in it since it was listed: list again,
                // unless the listing had nothing left to take (an entry it
                // cannot name would make this loop forever).
                Err(Errno::NOTEMPTY) => match self.clear_files(&rel)? {
                    None => {}
                    Some(sub) if !sub.is_empty() => stack.push((rel, sub)),
                    Some(_) if self.has_entries(&rel)? => {
                        return Err(io_err(
                            "remove",
                            &self.child_path(&rel),
                            "it still holds an entry this tool cannot remove (remove it by hand)",
                        ));
                    }
                    Some(sub) => stack.push((rel, sub)),
                },
                Err(e) => return Err(io_err("remove", &parent.child_path(leaf), e)),
            }
        }
        Ok(())
    }

    /// Removes every entry of directory `rel` (below `self`) that is not a
    /// directory and returns the names of its subdirectories; `None` when
    /// `rel` is gone.
    ///
    /// A name that is not UTF-8 is removed too when it is not a directory
    /// (by its bytes); a directory so named is an `io` error naming its
    /// parent, never skipped (the caller would find the parent never
    /// empties).
    fn clear_files(&self, rel: &str) -> Result<Option<Vec<String>>> {
        let Some(dir) = self.open_dir_path(rel)? else {
            return Ok(None);
        };
        let mut subdirs = Vec::new();
        for (child, kind) in dir.entries()? {
            if kind == EntryKind::Dir {
                subdirs.push(child);
            } else {
                dir.remove_file(&child)?;
            }
        }
        for raw in dir.raw_stray_names()? {
            let st = rustix::fs::statat(&dir.fd, raw.as_c_str(), AtFlags::SYMLINK_NOFOLLOW);
            match st {
                Err(Errno::NOENT) => {}
                Err(e) => return Err(io_err("stat", &dir.path, e)),
                Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => {
                    return Err(io_err(
                        "remove",
                        &dir.path,
                        format!(
                            "it holds a directory named {} (not UTF-8) that this tool does \
                             not descend into (remove it by hand)",
                            raw.as_bytes().escape_ascii()
                        ),
                    ));
                }
                Ok(_) => match rustix::fs::unlinkat(&dir.fd, raw.as_c_str(), AtFlags::empty()) {
                    Ok(()) | Err(Errno::NOENT) => {}
                    Err(e) => return Err(io_err("remove", &dir.path, e)),
                },
            }
        }
        Ok(Some(subdirs))
    }

    /// The names in this directory that are not UTF-8, as their bytes.
    fn raw_stray_names(&self) -> Result<Vec<std::ffi::CString>> {
        let dup = self.try_clone()?;
        let listing =
            rustix::fs::Dir::read_from(&dup.fd).map_err(|e| io_err("read dir", &self.path, e))?;
        let mut out = Vec::new();
        for ent in listing {
            let ent = ent.map_err(|e| io_err("read dir", &self.path, e))?;
            if ent.file_name().to_str().is_err() {
                out.push(ent.file_name().to_owned());
            }
        }
        Ok(out)
    }

    /// Whether directory `rel` (below `self`) holds any entry at all.
    fn has_entries(&self, rel: &str) -> Result<bool> {
        let Some(dir) = self.open_dir_path(rel)? else {
            return Ok(false);
        };
        let listed = dir.entries_and_strays()?;
        Ok(!listed.listing.is_empty() || !listed.strays.is_empty())
    }

    /// The entries of this directory (without `.` and `..`), sorted by
    /// name, with their kinds. Names that are not UTF-8 are left out (see
    /// [`SafeDir::entries_and_strays`] for a caller that must see them).
    ///
    /// # Errors
    /// `io`.
    pub fn entries(&self) -> Result<Listing> {
        Ok(self.entries_and_strays()?.listing)
    }

    /// [`SafeDir::entries`], plus the names that are not UTF-8, each
    /// escaped for printing (`\xe9` for a byte outside ASCII), sorted.
    ///
    /// # Errors
    /// `io`.
    pub fn entries_and_strays(&self) -> Result<FullListing> {
        let dup = self.try_clone()?;
        let dir =
            rustix::fs::Dir::read_from(&dup.fd).map_err(|e| io_err("read dir", &self.path, e))?;
        let mut out = Vec::new();
        let mut strays = Vec::new();
        for ent in dir {
            let ent = ent.map_err(|e| io_err("read dir", &self.path, e))?;
            let Ok(name) = ent.file_name().to_str() else {
                strays.push(ent.file_name().to_bytes().escape_ascii().to_string());
                continue;
            };
            if name == "." || name == ".." {
                continue;
            }
            let name = name.to_owned();
            // d_type can be unknown on some file systems: fall back to lstat.
            let kind = match ent.file_type() {
                FileType::RegularFile => EntryKind::File,
                FileType::Directory => EntryKind::Dir,
                FileType::Symlink => EntryKind::Symlink,
                FileType::Unknown => self.kind_of(&name)?.unwrap_or(EntryKind::Other),
                _ => EntryKind::Other,
            };
            out.push((name, kind));
        }
        out.sort();
        strays.sort();
        Ok(FullListing {
            listing: out,
            strays,
        })
    }

    /// fsyncs this directory, making renames and creations in it durable.
    ///
    /// # Errors
    /// `io`.
    pub fn sync(&self) -> Result<()> {
        rustix::fs::fsync(&self.fd).map_err(|e| io_err("fsync", &self.path, e))
    }

    /// Atomic replace (L7): writes `bytes` to a fresh temporary file in
    /// this directory, fsyncs it, sets `mode`, renames it over `name`, then
    /// fsyncs this directory. A reader sees the old or the new bytes, never
    /// a mix. The temporary file is removed when any step fails; one a
    /// crash leaves starts with [`temp_prefix`]`(name)`.
    ///
    /// # Errors
    /// `io`.
    pub fn atomic_write(&self, name: &str, bytes: &[u8], mode: u32) -> Result<()> {
        self.atomic_replace(name, bytes, mode)?;
        self.sync()
    }

    /// [`SafeDir::atomic_write`] without its last step, the directory
    /// fsync: the new bytes are visible at once but the rename is not yet
    /// durable until the caller calls [`SafeDir::sync`]. Its one user is
    /// the lockfile upsert (whence the failpoints' names), which fsyncs
    /// after releasing its sidecar lock (L7, K2).
    ///
    /// # Errors
    /// `io`.
    pub fn atomic_replace(&self, name: &str, bytes: &[u8], mode: u32) -> Result<()> {
        let tmp = temp_name(name);
        let res = self
            .write_new_file(&tmp, bytes, mode, Durability::Fsync)
            .and_then(|()| {
                crate::failpoint!("upsert::after-tmp-write");
                self.rename(&tmp, self, name, IfExists::Replace).map(|_| ())
            });
        if res.is_err() {
            let _ = self.remove_file(&tmp);
        }
        res?;
        crate::failpoint!("upsert::after-rename");
        Ok(())
    }
}

/// The mtime of `st` in nanoseconds since the epoch (T3, U7, W1: the unit
/// every `mtime_ns` the tool prints or compares is in).
pub fn mtime_ns(st: &rustix::fs::Stat) -> i128 {
    st.st_mtime as i128 * 1_000_000_000 + st.st_mtime_nsec as i128
}

/// The prefix of every [`temp_name`] of `name`: `.<name>.tmp-`.
pub fn temp_prefix(name: &str) -> String {
    format!(".{name}.tmp-")
}

/// A fresh, unique sibling name for `name`:
/// `.<name>.tmp-<pid>-<n>-<nanos hex>`. Leftovers of a crashed writer
/// carry the prefix [`temp_prefix`] so later operations recognise and
/// clean them (`lock::transact` and `lock::transact_upsert` for the
/// lockfile).
pub fn temp_name(name: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{}{}-{n}-{nanos:x}", temp_prefix(name), std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn close_on_exec(fd: BorrowedFd<'_>) -> bool {
        rustix::io::fcntl_getfd(fd)
            .unwrap()
            .contains(rustix::io::FdFlags::CLOEXEC)
    }

    /// Every handle a SafeDir hands out is close-on-exec: a library user
    /// that spawns processes (the conform runner starts hundreds) must not
    /// leak handles into the project to them.
    #[test]
    fn every_handle_is_close_on_exec() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("d/e")).unwrap();
        std::fs::write(tmp.path().join("f"), b"x").unwrap();
        let root = SafeDir::open_root(tmp.path()).unwrap();
        let handles: [(&str, OwnedFd); 8] = [
            ("try_clone", root.try_clone().unwrap().fd),
            ("open_dir", root.open_dir("d").unwrap().unwrap().fd),
            (
                "open_dir_path",
                root.open_dir_path("d/e").unwrap().unwrap().fd,
            ),
            ("create_dir", root.create_dir("new").unwrap().fd),
            ("ensure_dir", root.ensure_dir("d").unwrap().fd),
            ("open_file", root.open_file("f").unwrap().unwrap().into()),
            (
                "read_file_upto",
                match root.read_file_upto("f", 10).unwrap().unwrap() {
                    ReadUpto::Whole { file, .. } | ReadUpto::TooLarge { file } => file.into(),
                },
            ),
            (
                "open_lock_file",
                root.open_lock_file(".l.lock").unwrap().into(),
            ),
        ];
        assert!(close_on_exec(root.fd()), "open_root");
        for (what, fd) in handles {
            assert!(
                close_on_exec(fd.as_fd()),
                "{what}: handle without O_CLOEXEC"
            );
        }
    }

    /// `write_new_file` creates, never reuses: an existing file, a link to
    /// a file and a dangling link are each refused, and what they name is
    /// unchanged (the staging names are fresh, but a process racing us
    /// could plant one).
    #[test]
    fn write_new_file_never_writes_through_an_existing_name() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("target");
        std::fs::write(&target, b"outside\n").unwrap();
        std::fs::write(tmp.path().join("exists"), b"mine\n").unwrap();
        symlink(&target, tmp.path().join("link")).unwrap();
        symlink(outside.path().join("absent"), tmp.path().join("dangling")).unwrap();
        let root = SafeDir::open_root(tmp.path()).unwrap();
        for name in ["exists", "link", "dangling"] {
            assert!(
                root.write_new_file(name, b"NEW", 0o644, Durability::NoFsync)
                    .is_err(),
                "{name}"
            );
        }
        assert_eq!(std::fs::read(tmp.path().join("exists")).unwrap(), b"mine\n");
        assert_eq!(std::fs::read(&target).unwrap(), b"outside\n");
        assert!(!outside.path().join("absent").exists());
        root.write_new_file("fresh", b"NEW", 0o644, Durability::NoFsync)
            .unwrap();
        assert_eq!(std::fs::read(tmp.path().join("fresh")).unwrap(), b"NEW");
    }

    /// `read_file_upto(max)`: a file of exactly `max` bytes is whole, one
    /// byte more is not (and is not returned), an empty file is whole.
    #[test]
    fn read_file_upto_reads_exactly_up_to_max() {
        let tmp = tempfile::tempdir().unwrap();
        let root = SafeDir::open_root(tmp.path()).unwrap();
        for (len, whole) in [(0, true), (7, true), (8, true), (9, false), (100, false)] {
            let bytes = vec![b'x'; len];
            std::fs::write(tmp.path().join("f"), &bytes).unwrap();
            let read = root.read_file_upto("f", 8).unwrap().unwrap();
            let got_whole = matches!(read, ReadUpto::Whole { .. });
            assert_eq!(got_whole, whole, "{len} bytes");
            if let ReadUpto::Whole { bytes: read, .. } = read {
                assert_eq!(read, bytes, "{len} bytes");
            }
        }
        assert!(root.read_file_upto("absent", 8).unwrap().is_none());
    }

    /// A lock file found with another mode is set to 0600 (K1, I3); one
    /// already private is left alone.
    #[test]
    fn open_lock_file_makes_the_lock_private() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let root = SafeDir::open_root(tmp.path()).unwrap();
        for mode in [0o644, 0o600, 0o4600, 0o000] {
            let path = tmp.path().join(format!(".m{mode:o}.lock"));
            std::fs::write(&path, b"").unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            root.open_lock_file(&format!(".m{mode:o}.lock")).unwrap();
            let now = std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
            assert_eq!(now, PRIVATE_MODE, "a lock file of mode {mode:o}");
        }
    }

    /// `ensure_dir` racing itself: of several threads making the same
    /// directory at once, the ones whose `mkdir` loses use the winner's
    /// directory instead of failing (K5: distinct installs into a fresh
    /// project all create `.memtomem/<section>`).
    #[test]
    fn ensure_dir_losers_of_a_race_use_the_winners_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let root = SafeDir::open_root(tmp.path()).unwrap();
        let threads = 4;
        let barrier = std::sync::Barrier::new(threads);
        let mut lost = 0;
        for round in 0..300 {
            let name = format!("d{round}");
            std::thread::scope(|s| {
                let hs: Vec<_> = (0..threads)
                    .map(|_| {
                        s.spawn(|| {
                            barrier.wait();
                            root.ensure_dir(&name)
                        })
                    })
                    .collect();
                for h in hs {
                    match h.join().unwrap() {
                        Ok(d) => {
                            assert!(d.same_dir(&root.open_dir(&name).unwrap().unwrap()).unwrap())
                        }
                        Err(e) => {
                            lost += 1;
                            eprintln!("round {round}: {e}");
                        }
                    }
                }
            });
        }
        assert_eq!(lost, 0, "ensure_dir failed in a race");
    }

    /// `kind_of` names what the entry is, never what a link points to.
    #[test]
    fn kind_of_tells_links_from_files_and_the_rest() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("f"), b"x").unwrap();
        std::fs::create_dir(tmp.path().join("d")).unwrap();
        symlink("f", tmp.path().join("to-file")).unwrap();
        symlink("d", tmp.path().join("to-dir")).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            tmp.path().join("fifo"),
            FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let root = SafeDir::open_root(tmp.path()).unwrap();
        let kinds = [
            ("f", Some(EntryKind::File)),
            ("d", Some(EntryKind::Dir)),
            ("to-file", Some(EntryKind::Symlink)),
            ("to-dir", Some(EntryKind::Symlink)),
            ("fifo", Some(EntryKind::Other)),
            ("absent", None),
        ];
        for (name, want) in kinds {
            assert_eq!(root.kind_of(name).unwrap(), want, "{name}");
        }
    }

    /// `rename`: with [`IfExists::Keep`] an existing target is `Ok(false)` and
    /// both names keep their contents; with [`IfExists::Replace`] a target that cannot be
    /// replaced (a non-empty directory) is an error, never `Ok(false)`,
    /// which callers read as "someone else got there first".
    #[test]
    fn rename_no_replace_is_false_only_when_asked() {
        let tmp = tempfile::tempdir().unwrap();
        for d in ["a", "b"] {
            std::fs::create_dir(tmp.path().join(d)).unwrap();
            std::fs::write(tmp.path().join(d).join("f"), d).unwrap();
        }
        let root = SafeDir::open_root(tmp.path()).unwrap();
        assert!(!root.rename("a", &root, "b", IfExists::Keep).unwrap());
        assert!(root.rename("a", &root, "b", IfExists::Replace).is_err());
        for d in ["a", "b"] {
            assert_eq!(
                std::fs::read(tmp.path().join(d).join("f")).unwrap(),
                d.as_bytes()
            );
        }
        assert!(root.rename("a", &root, "c", IfExists::Keep).unwrap());
        assert!(tmp.path().join("c/f").is_file() && !tmp.path().join("a").exists());
    }

    /// `remove_tree` removes files whose names are not UTF-8 (it looped
    /// forever on one: the listing left it out, so the directory never
    /// emptied), and refuses a directory so named with an `io` error
    /// instead of looping; nothing outside the named tree is touched.
    #[test]
    fn remove_tree_takes_names_that_are_not_utf8() {
        use std::os::unix::ffi::OsStrExt;
        let tmp = tempfile::tempdir().unwrap();
        let root = SafeDir::open_root(tmp.path()).unwrap();
        std::fs::write(tmp.path().join("keep"), b"k").unwrap();
        let odd = std::ffi::OsStr::from_bytes(b"caf\xe9");
        std::fs::create_dir_all(tmp.path().join("t/sub")).unwrap();
        std::fs::write(tmp.path().join("t").join(odd), b"x").unwrap();
        std::fs::write(tmp.path().join("t/sub").join(odd), b"y").unwrap();
        root.remove_tree("t").unwrap();
        assert!(!tmp.path().join("t").exists());
        std::fs::create_dir_all(tmp.path().join("u").join(odd)).unwrap();
        let e = root.remove_tree("u").unwrap_err();
        assert_eq!(e.kind, crate::error::Kind::Io, "{e}");
        assert!(e.message.contains("not UTF-8"), "{e}");
        assert!(tmp.path().join("keep").is_file());
    }

    /// `remove_tree` removes a tree nested exactly [`MAX_DEPTH`] levels
    /// below its top and refuses (`unsafe-path`) one level more; either
    /// way nothing outside the named tree is touched.
    #[test]
    fn remove_tree_takes_max_depth_and_refuses_one_more() {
        let tmp = tempfile::tempdir().unwrap();
        let root = SafeDir::open_root(tmp.path()).unwrap();
        std::fs::write(tmp.path().join("keep"), b"k").unwrap();
        for (levels, ok) in [(MAX_DEPTH, true), (MAX_DEPTH + 1, false)] {
            let mut p = tmp.path().join("t");
            for _ in 0..levels {
                p.push("d");
            }
            std::fs::create_dir_all(&p).unwrap();
            std::fs::write(p.join("leaf"), b"x").unwrap();
            let r = root.remove_tree("t");
            assert_eq!(r.is_ok(), ok, "{levels} levels below the top: {r:?}");
            if ok {
                assert!(
                    !tmp.path().join("t").exists(),
                    "{levels} levels: not removed"
                );
            } else {
                assert_eq!(r.unwrap_err().kind, crate::error::Kind::UnsafePath);
                std::fs::remove_dir_all(tmp.path().join("t")).unwrap();
            }
            assert_eq!(std::fs::read(tmp.path().join("keep")).unwrap(), b"k");
        }
    }

    /// `set_mtime_ns` sets exactly the nanoseconds asked for (before the
    /// epoch too: `div_euclid`/`rem_euclid`), on a link itself and never on
    /// its target (edit's W1 guard against a coarse clock relies on it).
    #[test]
    fn set_mtime_ns_sets_exactly_that_time_and_never_follows_a_link() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("f"), b"x").unwrap();
        symlink(tmp.path().join("f"), tmp.path().join("l")).unwrap();
        let root = SafeDir::open_root(tmp.path()).unwrap();
        let target_before = mtime_ns(&root.stat("f").unwrap().unwrap());
        for ns in [1_796_299_587_249_823_639_i128, 1, -1_500_000_001] {
            root.set_mtime_ns("l", ns).unwrap();
            assert_eq!(mtime_ns(&root.stat("l").unwrap().unwrap()), ns);
            assert_eq!(mtime_ns(&root.stat("f").unwrap().unwrap()), target_before);
        }
        root.set_mtime_ns("f", 42).unwrap();
        assert_eq!(mtime_ns(&root.stat("f").unwrap().unwrap()), 42);
    }

    /// The readers never follow a link, even to a regular file (the walks
    /// see a link's kind first; this holds when a file is swapped for a
    /// link after it was listed): `unsafe-path`, the target unread.
    #[test]
    fn readers_refuse_a_link_to_a_regular_file() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), b"outside\n").unwrap();
        symlink(outside.path().join("secret"), tmp.path().join("l")).unwrap();
        let root = SafeDir::open_root(tmp.path()).unwrap();
        let kind = |r: Result<()>| r.err().map(|e| e.kind);
        assert_eq!(
            kind(root.open_file("l").map(drop)),
            Some(crate::error::Kind::UnsafePath)
        );
        assert_eq!(
            kind(root.read_file_upto("l", 100).map(drop)),
            Some(crate::error::Kind::UnsafePath)
        );
        assert!(root.open_lock_file("l").is_err());
        assert_eq!(
            std::fs::read(outside.path().join("secret")).unwrap(),
            b"outside\n"
        );
    }

    /// `entries` tells a link from a file, a directory and the rest by the
    /// listing's own types (d_type), never following the link.
    #[test]
    fn entries_tell_each_kind() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("f"), b"x").unwrap();
        std::fs::create_dir(tmp.path().join("d")).unwrap();
        symlink("d", tmp.path().join("l")).unwrap();
        let out = std::process::Command::new("mkfifo")
            .arg(tmp.path().join("p"))
            .status()
            .unwrap();
        assert!(out.success());
        let root = SafeDir::open_root(tmp.path()).unwrap();
        let got = root.entries().unwrap();
        let want = [
            ("d", EntryKind::Dir),
            ("f", EntryKind::File),
            ("l", EntryKind::Symlink),
            ("p", EntryKind::Other),
        ];
        let want: Vec<(String, EntryKind)> =
            want.iter().map(|(n, k)| ((*n).to_owned(), *k)).collect();
        assert_eq!(got, want);
    }

    /// `atomic_write` replaces the file whole with the mode given and
    /// leaves no temporary name behind.
    #[test]
    fn atomic_write_replaces_whole_and_leaves_no_temporary() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("f"), b"old bytes, longer\n").unwrap();
        let root = SafeDir::open_root(tmp.path()).unwrap();
        root.atomic_write("f", b"new\n", 0o600).unwrap();
        assert_eq!(std::fs::read(tmp.path().join("f")).unwrap(), b"new\n");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(tmp.path().join("f"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let names: Vec<String> = root
            .entries()
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["f"]);
    }
}
