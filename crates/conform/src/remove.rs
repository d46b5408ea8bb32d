//! Deep removal of a directory tree that a tool under test may have left
//! arbitrarily deep ([`remove_deep`]); used by the case workspaces when
//! they are dropped and by the reaper at the end of a run.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Removes directory `path` and everything below it, at any depth, never
/// following a link, with two handles open and no recursion: each
/// directory met below the top is first moved up into the top under a
/// fresh name, so no directory handled is ever deeper than one level. A
/// tool under test may leave a tree 100,000 levels deep, on which std's
/// recursive `remove_dir_all` overflows the stack and a path-based walk
/// passes `PATH_MAX`. Directories without permission bits are opened up
/// first (a tool may leave mode 000 ones; not needed as root).
///
/// # Errors
/// I/O errors of the removal.
pub fn remove_deep(path: &Path) -> std::io::Result<()> {
    use rustix::fs::{AtFlags, Mode, OFlags, RenameFlags};
    let dir_flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let top = rustix::fs::open(path, dir_flags, Mode::empty())?;
    let mut todo: Vec<std::ffi::OsString> = Vec::new();
    let mut fresh = 0u64;
    // The top's own subdirectories are already one level down.
    let mut current: Option<std::ffi::OsString> = None;
    loop {
        let dir = match &current {
            None => rustix::fs::openat(&top, ".", dir_flags, Mode::empty())?,
            Some(name) => {
                match rustix::fs::openat(&top, name.as_os_str(), dir_flags, Mode::empty()) {
                    Err(rustix::io::Errno::ACCESS) => {
                        rustix::fs::chmodat(&top, name.as_os_str(), Mode::RWXU, AtFlags::empty())?;
                        rustix::fs::openat(&top, name.as_os_str(), dir_flags, Mode::empty())?
                    }
                    r => r?,
                }
            }
        };
        for ent in rustix::fs::Dir::read_from(&dir)? {
            let ent = ent?;
            let name = std::ffi::OsStr::from_bytes(ent.file_name().to_bytes()).to_owned();
            if name == "." || name == ".." {
                continue;
            }
            let is_dir = match ent.file_type() {
                rustix::fs::FileType::Unknown => {
                    rustix::fs::statat(&dir, &name, AtFlags::SYMLINK_NOFOLLOW)
                        .is_ok_and(|st| rustix::fs::FileType::from_raw_mode(st.st_mode).is_dir())
                }
                t => t.is_dir(),
            };
            if !is_dir {
                rustix::fs::unlinkat(&dir, &name, AtFlags::empty())?;
            } else if current.is_none() {
                todo.push(name);
            } else {
                // Up into the top under a name nothing there has.
                loop {
                    fresh += 1;
                    let up = std::ffi::OsString::from(format!(".rm-{fresh}"));
                    match rustix::fs::renameat_with(&dir, &name, &top, &up, RenameFlags::NOREPLACE)
                    {
                        Ok(()) => {
                            todo.push(up);
                            break;
                        }
                        Err(rustix::io::Errno::EXIST) => continue,
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        }
        drop(dir);
        if let Some(name) = current.take() {
            rustix::fs::unlinkat(&top, name.as_os_str(), AtFlags::REMOVEDIR)?;
        }
        match todo.pop() {
            Some(next) => current = Some(next),
            None => break,
        }
    }
    drop(top);
    std::fs::remove_dir(path)
}
