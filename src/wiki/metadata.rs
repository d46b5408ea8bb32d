//! The wiki's git metadata, checked before `gix` opens it (E4, I5; the
//! suite's `n-wiki-plants` family). `gix` reads `HEAD`, `config`, the
//! index, the refs and the info files with a plain `open`, which waits
//! forever on a FIFO and reads whatever a device gives, so each of them
//! must be what git makes there: a regular file (or a directory), reached
//! through links as git reaches it. Anything else is refused before the
//! first read, naming the path.

use crate::error::{Error, Result};
use crate::fs::safedir::{EntryKind, SafeDir};
use crate::fs::walk::Item;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Files of a git directory that `gix` may open.
const FILES: &[&str] = &[
    "HEAD",
    "config",
    "index",
    "packed-refs",
    "commondir",
    "shallow",
    "info/exclude",
    "info/attributes",
    "info/grafts",
    "objects/info/alternates",
];

/// Directories of a git directory that `gix` may list.
const DIRS: &[&str] = &["refs", "refs/heads", "objects", "objects/info", "info"];

/// The most a `.git` file or `HEAD` may hold (bytes): more is no git
/// pointer, and is not read.
const POINTER_MAX: u64 = 4096;

/// What is at a path, links followed; `None` when nothing is (or it
/// cannot be reached: `gix` then says why).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Found {
    File,
    Dir,
    Other,
}

pub(super) fn found(p: &Path) -> Option<Found> {
    let ft = std::fs::metadata(p).ok()?.file_type();
    Some(if ft.is_file() {
        Found::File
    } else if ft.is_dir() {
        Found::Dir
    } else {
        Found::Other
    })
}

fn refuse(p: &Path, want: &str) -> Error {
    Error::unsafe_path(
        p,
        &format!(
            "in the wiki's git metadata but not {want} (a FIFO, socket, device or the wrong kind: \
             reading it would hang or fail); nothing was read from the wiki"
        ),
    )
}

/// At most [`POINTER_MAX`] bytes of the regular file `p`, as text.
fn read_pointer(p: &Path) -> Option<String> {
    let mut s = String::new();
    std::fs::File::open(p)
        .ok()?
        .take(POINTER_MAX)
        .read_to_string(&mut s)
        .ok()?;
    Some(s)
}

/// The git directory of the wiki at `wiki`: `.git` when it is a
/// directory, the one a `.git` file (`gitdir: <path>`) names, else the
/// wiki itself (a bare repository).
///
/// # Errors
/// `unsafe-path` when `.git` is neither a regular file nor a directory.
pub(super) fn git_dir(wiki: &Path) -> Result<PathBuf> {
    let dotgit = wiki.join(".git");
    match found(&dotgit) {
        None => Ok(wiki.to_owned()),
        Some(Found::Dir) => Ok(dotgit),
        Some(Found::File) => {
            let text = read_pointer(&dotgit).unwrap_or_default();
            match text.trim_end().strip_prefix("gitdir: ") {
                Some(to) => Ok(wiki.join(to)),
                // Not a pointer: gix refuses it as no repository.
                None => Ok(dotgit),
            }
        }
        Some(Found::Other) => Err(refuse(&dotgit, "a directory or a `gitdir:` file")),
    }
}

/// Checks every path of the wiki's git metadata that `gix` may open:
/// each is absent or of the kind git makes there, and so is the branch
/// `HEAD` names.
///
/// # Errors
/// `unsafe-path` naming the first path that is not.
pub fn check(wiki: &Path) -> Result<()> {
    let dir = git_dir(wiki)?;
    if found(&dir) != Some(Found::Dir) {
        // Nothing to check: gix says it is no repository.
        return Ok(());
    }
    for f in FILES {
        let p = dir.join(f);
        if found(&p).is_some_and(|k| k != Found::File) {
            return Err(refuse(&p, "a regular file"));
        }
    }
    for d in DIRS {
        let p = dir.join(d);
        if found(&p).is_some_and(|k| k != Found::Dir) {
            return Err(refuse(&p, "a directory"));
        }
    }
    let head = read_pointer(&dir.join("HEAD")).unwrap_or_default();
    if let Some(r) = head.trim_end().strip_prefix("ref: ")
        && r.starts_with("refs/")
        && !r.split('/').any(|c| c.is_empty() || c == "." || c == "..")
    {
        let p = dir.join(r);
        if found(&p).is_some_and(|k| k != Found::File) {
            return Err(refuse(&p, "a regular file"));
        }
    }
    Ok(())
}

/// The rule files git reads from the work tree, at every level.
const RULE_FILES: &[&str] = &[".gitattributes", ".gitignore"];

/// Checks the rule files (`.gitattributes`, `.gitignore`) `gix` reads
/// from the work tree for paths of the asset at `rel` (`skills/a`): at
/// the root, in each directory down to the asset, and anywhere in the
/// asset's directory `asset` (when it exists). Each is absent or a
/// regular file; git itself never follows a link there.
///
/// # Errors
/// `unsafe-path` naming the first that is not; `io`.
pub fn check_rule_files(workdir: &Path, rel: &str, asset: Option<&SafeDir>) -> Result<()> {
    let mut dir = workdir.to_owned();
    let mut levels = vec![dir.clone()];
    for c in rel
        .split('/')
        .take(rel.split('/').count().saturating_sub(1))
    {
        dir.push(c);
        levels.push(dir.clone());
    }
    for d in &levels {
        for f in RULE_FILES {
            let p = d.join(f);
            if std::fs::symlink_metadata(&p).is_ok_and(|m| !m.file_type().is_file()) {
                return Err(refuse_rule(&p));
            }
        }
    }
    let Some(asset) = asset else {
        return Ok(());
    };
    crate::fs::walk::walk(asset, |d, _, item| {
        let Item::Entry(name, kind) = item else {
            return Ok(false);
        };
        if RULE_FILES.contains(&name) && kind != EntryKind::File {
            return Err(refuse_rule(&d.child_path(name)));
        }
        Ok(kind == EntryKind::Dir)
    })
}

fn refuse_rule(p: &Path) -> Error {
    Error::unsafe_path(
        p,
        "a git rule file of the wiki's work tree but not a regular file (git reads it and \
         would hang or fail on a FIFO, socket or device, and never follows a link there); \
         nothing was read from the wiki",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Kind;

    fn repo() -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        let g = t.path().join(".git");
        for d in ["refs/heads", "objects/info", "info"] {
            std::fs::create_dir_all(g.join(d)).unwrap();
        }
        std::fs::write(g.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        std::fs::write(g.join("config"), "[core]\n").unwrap();
        std::fs::write(g.join("refs/heads/main"), "0".repeat(40)).unwrap();
        t
    }

    fn fifo(p: &Path) {
        let _ = std::fs::remove_file(p);
        rustix::fs::mknodat(
            rustix::fs::CWD,
            p,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o644),
            0,
        )
        .unwrap();
    }

    /// Git's own layout passes, with links to regular files as git
    /// follows them (a dotfile manager's `config`).
    #[test]
    fn a_plain_repository_and_linked_files_pass() {
        let t = repo();
        check(t.path()).unwrap();
        let g = t.path().join(".git");
        std::fs::rename(g.join("config"), t.path().join("cfg")).unwrap();
        std::os::unix::fs::symlink(t.path().join("cfg"), g.join("config")).unwrap();
        check(t.path()).unwrap();
    }

    /// A FIFO at each metadata file (and at the branch HEAD names, and a
    /// link to one) is refused naming it; the same paths as regular files
    /// pass, so the refusal is the FIFO's.
    #[test]
    fn a_fifo_anywhere_in_the_metadata_is_refused_naming_it() {
        for f in FILES.iter().copied().chain(["refs/heads/main"]) {
            let t = repo();
            let p = t.path().join(".git").join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "ref: refs/heads/main\n").unwrap();
            check(t.path()).unwrap_or_else(|e| panic!("{f} as a file: {}", e.message));
            fifo(&p);
            let e = check(t.path()).expect_err(f);
            assert_eq!(e.kind, Kind::UnsafePath, "{f}");
            assert!(
                e.message.contains(&p.display().to_string()),
                "{f}: {}",
                e.message
            );
        }
        let t = repo();
        let g = t.path().join(".git");
        fifo(&t.path().join("pipe"));
        std::fs::remove_file(g.join("config")).unwrap();
        std::os::unix::fs::symlink(t.path().join("pipe"), g.join("config")).unwrap();
        assert_eq!(check(t.path()).unwrap_err().kind, Kind::UnsafePath);
    }

    /// A rule file that is a FIFO or a link, at the root, on the way to
    /// the asset or inside it, is refused naming it; regular ones pass.
    #[test]
    fn rule_files_must_be_regular_at_every_level() {
        for at in [
            ".gitignore",
            "skills/.gitattributes",
            "skills/a/docs/.gitignore",
        ] {
            let t = tempfile::tempdir().unwrap();
            let asset = t.path().join("skills/a/docs");
            std::fs::create_dir_all(&asset).unwrap();
            let p = t.path().join(at);
            std::fs::write(&p, "*.log\n").unwrap();
            let open = || SafeDir::open_root(&t.path().join("skills/a")).unwrap();
            check_rule_files(t.path(), "skills/a", Some(&open())).unwrap();
            fifo(&p);
            let e = check_rule_files(t.path(), "skills/a", Some(&open())).expect_err(at);
            assert_eq!(e.kind, Kind::UnsafePath, "{at}");
            assert!(e.message.contains(at), "{at}: {}", e.message);
            std::fs::remove_file(&p).unwrap();
            std::os::unix::fs::symlink("/etc/hostname", &p).unwrap();
            assert!(
                check_rule_files(t.path(), "skills/a", Some(&open())).is_err(),
                "{at}"
            );
        }
    }

    /// A file where git keeps a directory, and a FIFO for `.git`, are
    /// refused too.
    #[test]
    fn the_wrong_kind_for_a_directory_or_for_dot_git_is_refused() {
        let t = repo();
        let g = t.path().join(".git");
        std::fs::remove_dir_all(g.join("refs")).unwrap();
        std::fs::write(g.join("refs"), "x").unwrap();
        assert_eq!(check(t.path()).unwrap_err().kind, Kind::UnsafePath);
        let t = repo();
        std::fs::remove_dir_all(t.path().join(".git")).unwrap();
        fifo(&t.path().join(".git"));
        assert_eq!(check(t.path()).unwrap_err().kind, Kind::UnsafePath);
    }
}
