//! The project tree: its root (Terms, Y3) and the `.memtomem` layout
//! reached through [`SafeDir`] handles (Y2).

use crate::asset::AssetType;
use crate::error::{Error, Kind, Result};
use crate::fs::safedir::{EntryKind, ReadUpto, SafeDir};
use crate::lock::lockfile::LOCKFILE_NAME;
use crate::lock::{AssetLock, asset_lock_name};
use std::path::{Path, PathBuf};

/// Name of the project's asset directory.
pub const MEMTOMEM_DIR: &str = ".memtomem";

/// The project root (Terms): `flag`, else the nearest ancestor of `cwd`
/// (itself included) holding `.git` or `pyproject.toml`, else `cwd`.
pub fn locate_root(flag: Option<&Path>, cwd: &Path) -> PathBuf {
    if let Some(p) = flag {
        return if p.is_absolute() {
            p.to_owned()
        } else {
            cwd.join(p)
        };
    }
    cwd.ancestors()
        .find(|d| d.join(".git").exists() || d.join("pyproject.toml").exists())
        .unwrap_or(cwd)
        .to_owned()
}

/// An opened project root.
#[derive(Debug)]
pub struct Project {
    root: SafeDir,
}

impl Project {
    /// Opens the project root (Y3: it must exist and be a directory).
    ///
    /// # Errors
    /// `project-not-found`, `io`.
    pub fn open(root: &Path) -> Result<Project> {
        Ok(Project {
            root: SafeDir::open_root(root)?,
        })
    }

    /// The root directory.
    pub fn root(&self) -> &SafeDir {
        &self.root
    }

    /// Path of dest for `(ty, name)`: `<root>/.memtomem/<section>/<name>`.
    pub fn dest_path(&self, ty: AssetType, name: &str) -> PathBuf {
        self.root
            .path()
            .join(MEMTOMEM_DIR)
            .join(ty.section())
            .join(name)
    }

    /// Path of the lockfile.
    pub fn lockfile_path(&self) -> PathBuf {
        self.root.path().join(MEMTOMEM_DIR).join(LOCKFILE_NAME)
    }

    /// Opens `.memtomem` when it exists.
    ///
    /// # Errors
    /// `unsafe-path` when it is a link or not a directory; `io`.
    pub fn memtomem(&self) -> Result<Option<SafeDir>> {
        self.root.open_dir(MEMTOMEM_DIR)
    }

    /// Opens `.memtomem`, creating it (0755) when absent (L4).
    ///
    /// # Errors
    /// `unsafe-path`, `io`.
    pub fn ensure_memtomem(&self) -> Result<SafeDir> {
        self.root.ensure_dir_durable(MEMTOMEM_DIR)
    }

    /// Opens the section directory of `ty` when it exists.
    ///
    /// # Errors
    /// `unsafe-path`, `io`.
    pub fn section(&self, ty: AssetType) -> Result<Option<SafeDir>> {
        match self.memtomem()? {
            Some(m) => m.open_dir(ty.section()),
            None => Ok(None),
        }
    }

    /// When another process holds the per-asset lock of `(ty, name)` now,
    /// waits until it is done and returns the lock held; `None` at once
    /// when nobody does (or there is no lock file). Writes nothing
    /// ([`crate::lock::flock::wait_if_held`]; K3, I5).
    ///
    /// # Errors
    /// `unsafe-path`, `io`.
    pub fn wait_if_asset_held(
        &self,
        ty: AssetType,
        name: &str,
    ) -> Result<Option<crate::lock::flock::FlockGuard>> {
        match self.section(ty)? {
            Some(s) => {
                crate::lock::flock::wait_if_held(&s, &crate::lock::flock::asset_lock_name(name))
            }
            None => Ok(None),
        }
    }

    /// Opens the section directory of `ty`, creating it and `.memtomem`.
    ///
    /// # Errors
    /// `unsafe-path`, `io`.
    pub fn ensure_section(&self, ty: AssetType) -> Result<SafeDir> {
        self.ensure_memtomem()?.ensure_dir_durable(ty.section())
    }

    /// Reads the lockfile's bytes; `None` when absent.
    ///
    /// # Errors
    /// `lockfile-corrupt` when it is larger than
    /// [`crate::lock::lockfile::MAX_LOCKFILE_BYTES`]; `unsafe-path`, `io`.
    pub fn read_lockfile(&self) -> Result<Option<Vec<u8>>> {
        let Some(m) = self.memtomem()? else {
            return Ok(None);
        };
        match m.read_file_upto(LOCKFILE_NAME, crate::lock::lockfile::MAX_LOCKFILE_BYTES)? {
            Some(ReadUpto::TooLarge { .. }) => Err(crate::lock::lockfile::too_large(
                self.lockfile_path().display(),
            )),
            Some(ReadUpto::Whole { bytes, .. }) => Ok(Some(bytes)),
            None => Ok(None),
        }
    }

    /// Loads the lockfile strictly, as a writer must (L4-L6), without a
    /// lock: used for the refusal checks that precede the first write.
    ///
    /// # Errors
    /// `lockfile-corrupt`, `lockfile-version`, `unsafe-path`, `io`.
    pub fn load_strict(&self) -> Result<crate::lock::lockfile::Document> {
        let bytes = self.read_lockfile()?;
        crate::lock::lockfile::parse_strict(
            bytes.as_deref(),
            &self.lockfile_path().display().to_string(),
        )
    }

    /// The read-only checks of every path a write of `(ty, name)` will
    /// open, so that a planted link or special file is refused before the
    /// first write (I5, Y2): `.memtomem`, the sidecar lock, the lockfile,
    /// the section directory and the per-asset lock must each be absent or
    /// of the kind the layout needs.
    ///
    /// # Errors
    /// `unsafe-path` naming the first path that is not; `io`.
    pub fn precheck_writes(&self, ty: AssetType, name: &str) -> Result<()> {
        let Some(memtomem) = self.memtomem()? else {
            return Ok(());
        };
        let lock_name = crate::lock::asset_lock_name(name);
        let files = [crate::lock::SIDECAR_NAME, LOCKFILE_NAME];
        for f in files {
            let hard_linked =
                memtomem.stat(f)?.is_some_and(|st| st.st_nlink != 1) && f != LOCKFILE_NAME;
            if hard_linked || !matches!(memtomem.kind_of(f)?, None | Some(EntryKind::File)) {
                return Err(Error::unsafe_path(
                    &memtomem.child_path(f),
                    "a symbolic link, a hard link or not a regular file",
                ));
            }
        }
        writable_if_there(&memtomem, crate::lock::SIDECAR_NAME)?;
        if let Some(section) = memtomem.open_dir(ty.section())? {
            if !matches!(section.kind_of(&lock_name)?, None | Some(EntryKind::File))
                || section.stat(&lock_name)?.is_some_and(|st| st.st_nlink != 1)
            {
                return Err(Error::unsafe_path(
                    &section.child_path(&lock_name),
                    "a symbolic link, a hard link or not a regular file",
                ));
            }
            writable_if_there(&section, &lock_name)?;
        }
        Ok(())
    }

    /// Whether `section`, a handle opened before waiting for a lock, is
    /// still `<root>/.memtomem/<section of ty>` reached without links: a
    /// section (or `.memtomem`) renamed away meanwhile would make every
    /// later write land wherever it went (Y2, K3).
    ///
    /// # Errors
    /// `unsafe-path` when it moved; `io`.
    pub fn recheck_section(&self, ty: AssetType, section: &SafeDir) -> Result<()> {
        let here = self.section(ty)?;
        match here {
            Some(now) if now.same_dir(section)? => Ok(()),
            _ => Err(Error::unsafe_path(
                section.path(),
                "no longer the section directory inside the project (it moved while this \
                 process waited for the lock)",
            )),
        }
    }

    /// Opens dest of `(ty, name)` when it exists, checking every component
    /// from the root for links (Y2).
    ///
    /// # Errors
    /// `unsafe-path`, `io`.
    pub fn dest(&self, ty: AssetType, name: &str) -> Result<Option<SafeDir>> {
        if !self.dest_exists(ty, name)? {
            return Ok(None);
        }
        match self.section(ty)? {
            Some(s) => s.open_dir(name),
            None => Ok(None),
        }
    }

    /// Whether dest of `(ty, name)` exists, checking every component from
    /// the root for links (Y2).
    ///
    /// # Errors
    /// `unsafe-path` when `.memtomem`, the section directory or dest is a
    /// link (or not a directory); `io`.
    pub fn dest_exists(&self, ty: AssetType, name: &str) -> Result<bool> {
        let Some(section) = self.section(ty)? else {
            return Ok(false);
        };
        match section.kind_of(name)? {
            None => Ok(false),
            Some(EntryKind::Dir) => Ok(true),
            Some(_) => Err(Error::unsafe_path(
                &self.dest_path(ty, name),
                "a symbolic link or not a directory",
            )),
        }
    }
}

/// The per-asset lock of one asset, held, and the section directory it
/// guards (K3), from [`Project::lock_asset`].
pub struct Held {
    /// The section directory, confined to the project.
    pub section: SafeDir,
    _lock: AssetLock,
}

impl Project {
    /// The first write of a verb that writes dest: creates the section
    /// directory when missing, takes the per-asset lock of `(ty, name)`
    /// (waiting for it), then checks the section is still
    /// `<project>/.memtomem/<section>` (confinement is state too, K3, Y2:
    /// it may have been moved while this process waited).
    ///
    /// # Errors
    /// `unsafe-path`, `io`.
    pub fn lock_asset(&self, ty: AssetType, name: &str) -> Result<Held> {
        let section = self.ensure_section(ty)?;
        let lock = AssetLock::acquire(&section, &asset_lock_name(name))?;
        self.recheck_section(ty, &section)?;
        Ok(Held {
            section,
            _lock: lock,
        })
    }
}

/// `io` when lock file `name` in `dir` exists but this process may not
/// open it for reading and writing (a user's `chmod 000`): found before
/// the first write, not after the per-asset lock was created (I5).
fn writable_if_there(dir: &SafeDir, name: &str) -> Result<()> {
    use rustix::fs::{Access, AtFlags};
    match rustix::fs::accessat(
        dir.fd(),
        name,
        Access::READ_OK | Access::WRITE_OK,
        AtFlags::EACCESS,
    ) {
        Ok(()) | Err(rustix::io::Errno::NOENT) => Ok(()),
        Err(e) => {
            let p = dir.child_path(name);
            Err(Error::io(
                "open",
                &p,
                format!(
                    "{e}; nothing was written (make it readable and writable: chmod u+rw {})",
                    p.display()
                ),
            ))
        }
    }
}

/// `plan`, and, when it refuses with a kind that depends on the asset's
/// state (`dirty`, `not-installed`, `conflict`; `refusal` finds the
/// refusal in what it returned) while another process holds the asset's
/// lock, `plan` again once that process is done (K3): a refusal is never
/// made from a state another writer was half-way through (an update
/// between its swap and its entry, a remove between its take-out and its
/// entry). Writes nothing (I5).
///
/// # Errors
/// The second plan's error, or the first's when nobody held the lock.
pub fn confirmed_if_held<T>(
    project: &Project,
    ty: AssetType,
    name: &str,
    plan: impl Fn() -> Result<T>,
    refusal: impl Fn(&Result<T>) -> Option<Kind>,
) -> Result<T> {
    let first = plan();
    match refusal(&first) {
        Some(Kind::Dirty | Kind::NotInstalled | Kind::Conflict) => {
            match project.wait_if_asset_held(ty, name)? {
                Some(_held) => plan(),
                None => first,
            }
        }
        _ => first,
    }
}

/// The refusal of a plan that refuses by returning an error.
pub fn refusal_of<T>(r: &Result<T>) -> Option<Kind> {
    r.as_ref().err().map(|e| e.kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The root is the flag (a relative one from `cwd`), else the nearest
    /// ancestor holding `.git` or (alone) `pyproject.toml`, else `cwd`.
    #[test]
    fn locate_root_takes_the_flag_then_git_or_pyproject_then_cwd() {
        let t = tempfile::tempdir().unwrap();
        let (git, py, bare) = (t.path().join("g"), t.path().join("p"), t.path().join("n"));
        for d in [&git, &py, &bare] {
            std::fs::create_dir_all(d.join("sub/deeper")).unwrap();
        }
        std::fs::create_dir(git.join(".git")).unwrap();
        std::fs::write(py.join("pyproject.toml"), "").unwrap();
        assert_eq!(locate_root(None, &git.join("sub/deeper")), git);
        assert_eq!(locate_root(None, &py.join("sub/deeper")), py);
        // Nothing marks a root up to `/` (a temporary directory is not in
        // a repository on any machine this runs on): `cwd` itself.
        let cwd = bare.join("sub/deeper");
        if !cwd
            .ancestors()
            .any(|d| d.join(".git").exists() || d.join("pyproject.toml").exists())
        {
            assert_eq!(locate_root(None, &cwd), cwd);
        }
        assert_eq!(locate_root(Some(Path::new("x")), &cwd), cwd.join("x"));
        assert_eq!(locate_root(Some(&py), &cwd), py);
    }
}
