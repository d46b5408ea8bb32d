//! Reading assets from the wiki with `gix` (CONTRACT Terms, I1, I2, K4).
//!
//! No `git` subprocess: the commit is resolved once ([`Wiki::head`], K4),
//! every byte is read from that commit's tree ([`Wiki::read_asset`], I1),
//! and the work tree is compared against the same tree
//! ([`Wiki::check_clean`], I1).

use crate::asset::AssetType;
use crate::asset::skip;
use crate::error::{Error, Result};
use gix::ObjectId;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One file of an asset as recorded at a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetFile {
    /// POSIX path relative to the asset directory.
    pub path: String,
    /// The blob's bytes.
    pub bytes: Vec<u8>,
    /// Whether git records the file as executable (mode 100755).
    pub executable: bool,
}

/// An asset's installable files at one commit, sorted by path, and the
/// warnings for entries skipped as links or submodules (I2).
#[derive(Debug, Clone, Default)]
pub struct AssetTree {
    /// Files to install, sorted by path.
    pub files: Vec<AssetFile>,
    /// One line per skipped symbolic link or submodule.
    pub warnings: Vec<String>,
}

impl AssetTree {
    /// Total size of the files, in bytes.
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes.len() as u64).sum()
    }
}

/// Where the wiki is (Terms): `flag`, else `$MEMTOMEM_WIKI_PATH`, else
/// `$HOME/.memtomem-wiki`.
pub fn locate(flag: Option<&Path>) -> PathBuf {
    if let Some(p) = flag {
        return p.to_owned();
    }
    if let Some(p) = std::env::var_os("MEMTOMEM_WIKI_PATH").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".memtomem-wiki")
}

/// An open wiki repository.
pub struct Wiki {
    repo: gix::Repository,
    path: PathBuf,
}

fn git_err(path: &Path, what: &str, e: impl std::fmt::Display) -> Error {
    Error::io(what, path, e)
}

/// What the tree of an asset holds at one path (before skip rules drop
/// links and submodules).
#[derive(Debug, Clone, PartialEq, Eq)]
enum TreeItem {
    Blob { id: ObjectId, executable: bool },
    Link,
    Submodule,
}

impl Wiki {
    /// Opens the wiki at `path`.
    ///
    /// # Errors
    /// `wiki-not-found` when `path` is missing or not a git repository.
    pub fn open(path: &Path) -> Result<Wiki> {
        let not_found = |why: String| Error::wiki_not_found(path, &why);
        if !path.is_dir() {
            return Err(not_found("does not exist".into()));
        }
        let repo =
            gix::open(path).map_err(|e| not_found(format!("is not a git repository ({e})")))?;
        Ok(Wiki {
            repo,
            path: path.to_owned(),
        })
    }

    /// The wiki's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Resolves HEAD to a commit id once (K4).
    ///
    /// # Errors
    /// `asset-not-found` when the wiki has no commit yet; `io`.
    pub fn head(&self) -> Result<ObjectId> {
        match self.repo.head_id() {
            Ok(id) => Ok(id.detach()),
            Err(e) => {
                let unborn = self.repo.head().map(|h| h.is_unborn()).unwrap_or(false);
                if unborn {
                    Err(Error::asset_not_found_empty_wiki(&self.path))
                } else {
                    Err(git_err(&self.path, "cannot resolve HEAD", e))
                }
            }
        }
    }

    /// Whether the wiki has commit `id`.
    pub fn has_commit(&self, id: &str) -> bool {
        ObjectId::from_hex(id.as_bytes())
            .ok()
            .and_then(|oid| self.repo.find_commit(oid).ok())
            .is_some()
    }

    /// Whether commit `ancestor` is `descendant` or one of its ancestors.
    ///
    /// # Errors
    /// `io` when either commit cannot be read.
    pub fn is_ancestor(&self, ancestor: ObjectId, descendant: ObjectId) -> Result<bool> {
        if ancestor == descendant {
            return Ok(true);
        }
        match self.repo.merge_base(ancestor, descendant) {
            Ok(Some(base)) => Ok(base.detach() == ancestor),
            Ok(None) => Ok(false),
            Err(e) => Err(git_err(&self.path, "cannot compute merge base", e)),
        }
    }

    fn asset_items(
        &self,
        commit: ObjectId,
        ty: AssetType,
        name: &str,
    ) -> Result<BTreeMap<String, TreeItem>> {
        let missing = || Error::asset_not_found(ty, name, ty.section(), &self.path, commit);
        let tree = self
            .repo
            .find_commit(commit)
            .and_then(|c| c.tree())
            .map_err(|e| git_err(&self.path, "cannot read commit tree", e))?;
        let entry = tree
            .lookup_entry_by_path(format!("{}/{name}", ty.section()))
            .map_err(|e| git_err(&self.path, "cannot read tree", e))?
            .ok_or_else(missing)?;
        if !entry.mode().is_tree() {
            return Err(missing());
        }
        let mut out = BTreeMap::new();
        self.walk_tree(entry.object_id(), "", &mut out)?;
        Ok(out)
    }

    fn walk_tree(
        &self,
        tree_id: ObjectId,
        prefix: &str,
        out: &mut BTreeMap<String, TreeItem>,
    ) -> Result<()> {
        let tree = self
            .repo
            .find_tree(tree_id)
            .map_err(|e| git_err(&self.path, "cannot read tree", e))?;
        let decoded = tree
            .decode()
            .map_err(|e| git_err(&self.path, "cannot decode tree", e))?;
        for e in &decoded.entries {
            let Ok(fname) = std::str::from_utf8(e.filename) else {
                continue;
            };
            let rel = format!("{prefix}{fname}");
            let mode = e.mode;
            if skip::is_skipped(fname, mode.is_tree()) {
                continue;
            }
            if mode.is_tree() {
                self.walk_tree(e.oid.to_owned(), &format!("{rel}/"), out)?;
            } else if mode.is_link() {
                out.insert(rel, TreeItem::Link);
            } else if mode.is_commit() {
                out.insert(rel, TreeItem::Submodule);
            } else {
                out.insert(
                    rel,
                    TreeItem::Blob {
                        id: e.oid.to_owned(),
                        executable: mode.is_executable(),
                    },
                );
            }
        }
        Ok(())
    }

    /// Reads asset `(ty, name)` from `commit`'s tree (I1) applying the skip
    /// rules (I2): `.git`, `.DS_Store`, `__pycache__` and `*.bak` are
    /// dropped; links and submodules are dropped with a warning each.
    ///
    /// # Errors
    /// `asset-not-found` when `<section>/<name>` is not a directory at
    /// `commit`; `io`.
    pub fn read_asset(&self, commit: ObjectId, ty: AssetType, name: &str) -> Result<AssetTree> {
        let items = self.asset_items(commit, ty, name)?;
        let mut tree = AssetTree::default();
        let base = format!("{}/{name}", ty.section());
        for (rel, item) in items {
            match item {
                TreeItem::Blob { id, executable } => {
                    let mut blob = self.repo.find_blob(id).map_err(|e| {
                        git_err(&self.path, &format!("cannot read {base}/{rel}"), e)
                    })?;
                    tree.files.push(AssetFile {
                        path: rel,
                        bytes: blob.take_data(),
                        executable,
                    });
                }
                TreeItem::Link => tree.warnings.push(format!(
                    "skipped symbolic link {base}/{rel} (links are never followed)"
                )),
                TreeItem::Submodule => tree.warnings.push(format!(
                    "skipped submodule {base}/{rel} (submodules are not installed)"
                )),
            }
        }
        Ok(tree)
    }

    /// I1: refuses when the work tree differs from `commit` inside the
    /// asset directory: files modified (bytes or executable bit), deleted,
    /// or untracked and not ignored. Entries the skip rules drop (I2) are
    /// not compared, since they are never installed. A bare wiki has no
    /// work tree and is always clean.
    ///
    /// # Errors
    /// `uncommitted` naming the paths; `io`.
    pub fn check_clean(&self, commit: ObjectId, ty: AssetType, name: &str) -> Result<()> {
        let Some(workdir) = self.repo.workdir().map(Path::to_owned) else {
            return Ok(());
        };
        let items = self.asset_items(commit, ty, name)?;
        let base = format!("{}/{name}", ty.section());
        let mut dirty: Vec<String> = Vec::new();
        let index = self
            .repo
            .index_or_empty()
            .map_err(|e| git_err(&self.path, "cannot read index", e))?;
        let mut excludes = self
            .repo
            .excludes(&index, None, Default::default())
            .map_err(|e| git_err(&self.path, "cannot read ignore rules", e))?;
        let mut seen = std::collections::BTreeSet::new();
        let mut stack = vec![String::new()];
        while let Some(dir_rel) = stack.pop() {
            let abs = workdir.join(&base).join(&dir_rel);
            let rd = match std::fs::read_dir(&abs) {
                Ok(rd) => rd,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io("read dir", &abs, e)),
            };
            for ent in rd {
                let ent = ent.map_err(|e| Error::io("read dir", &abs, e))?;
                let Ok(fname) = ent.file_name().into_string() else {
                    continue;
                };
                let ft = ent
                    .file_type()
                    .map_err(|e| Error::io("stat", &ent.path(), e))?;
                if skip::is_skipped(&fname, ft.is_dir()) {
                    continue;
                }
                let rel = format!("{dir_rel}{fname}");
                let repo_rel = format!("{base}/{rel}");
                if ft.is_dir() {
                    // A checked-out submodule's files belong to it, not to
                    // the wiki; I2 skips submodules, so they are not compared.
                    if matches!(items.get(&rel), Some(TreeItem::Submodule)) {
                        seen.insert(rel);
                        continue;
                    }
                    let tracked_below = items
                        .range(format!("{rel}/")..)
                        .next()
                        .is_some_and(|(k, _)| k.starts_with(&format!("{rel}/")));
                    let ignored = !tracked_below
                        && excludes
                            .at_path(&repo_rel, Some(gix::index::entry::Mode::DIR))
                            .map(|p| p.is_excluded())
                            .unwrap_or(false);
                    if !ignored {
                        stack.push(format!("{rel}/"));
                    }
                    continue;
                }
                match items.get(&rel) {
                    Some(TreeItem::Blob { id, executable }) => {
                        seen.insert(rel.clone());
                        if ft.is_symlink() {
                            dirty.push(repo_rel);
                            continue;
                        }
                        let bytes = std::fs::read(ent.path())
                            .map_err(|e| Error::io("read", &ent.path(), e))?;
                        let disk_id = gix::objs::compute_hash(
                            self.repo.object_hash(),
                            gix::object::Kind::Blob,
                            &bytes,
                        )
                        .map_err(|e| git_err(&self.path, "cannot hash", e))?;
                        let disk_exec = {
                            use std::os::unix::fs::PermissionsExt;
                            ent.metadata()
                                .map(|m| m.permissions().mode() & 0o111 != 0)
                                .unwrap_or(false)
                        };
                        if disk_id != *id || disk_exec != *executable {
                            dirty.push(repo_rel);
                        }
                    }
                    Some(_) => {
                        // Links and submodules are skipped by I2: not compared.
                        seen.insert(rel);
                    }
                    None => {
                        let ignored = excludes
                            .at_path(&repo_rel, Some(gix::index::entry::Mode::FILE))
                            .map(|p| p.is_excluded())
                            .unwrap_or(false);
                        if !ignored {
                            dirty.push(repo_rel);
                        }
                    }
                }
            }
        }
        for (rel, item) in &items {
            if matches!(item, TreeItem::Blob { .. }) && !seen.contains(rel) {
                dirty.push(format!("{base}/{rel}"));
            }
        }
        if dirty.is_empty() {
            return Ok(());
        }
        dirty.sort();
        Err(Error::uncommitted(&self.path, &base, &dirty))
    }
}
