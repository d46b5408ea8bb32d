//! Reading assets from the wiki with `gix` (CONTRACT Terms, I1, I2, K4).
//!
//! No `git` subprocess: the commit is resolved once ([`Wiki::head`], K4),
//! every byte is read from that commit's tree ([`Wiki::read_asset`], I1),
//! and the work tree is compared against the same tree
//! ([`Wiki::check_clean`], I1).

use crate::asset::skip;
use crate::asset::{AssetFile, AssetTree, AssetType, BlobRead, BlobSource};
use crate::error::{Error, Result};
use crate::fs::safedir::{EntryKind, MAX_DEPTH, ReadUpto, SafeDir, too_deep};
use crate::fs::walk::Item;
use gix::ObjectId;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

mod globals;
mod metadata;

/// Where the wiki is (Terms): `flag`, else `$MEMTOMEM_WIKI_PATH`, else
/// `.memtomem-wiki` in the home directory ([`crate::fs::home::home_dir`]:
/// `$HOME`, else the passwd entry's, as the peer finds it).
///
/// # Errors
/// `wiki-not-found` when the default is needed and no absolute home
/// directory can be found (never a path relative to where the command
/// runs); the message names the three ways to say where the wiki is.
pub fn locate(flag: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = flag {
        return Ok(p.to_owned());
    }
    if let Some(p) = std::env::var_os("MEMTOMEM_WIKI_PATH").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    match crate::fs::home::home_dir("find the default wiki under") {
        Ok(home) => Ok(home.join(".memtomem-wiki")),
        Err(e) => Err(Error::wiki_not_found(
            Path::new("$HOME/.memtomem-wiki"),
            &format!("cannot be found ({})", e.message),
        )),
    }
}

/// Why a tree entry's name is not one clean path segment, or `None` when
/// it is. Git's own tree format cannot hold these names, but a tree written
/// with `git hash-object --literally` can: `.git/config` would put a `.git`
/// directory (and its `core.fsmonitor`) into dest past the skip rules,
/// which test one name at a time (I2). Case and NTFS spellings of `.git`
/// (`.GIT`, `.git.`, `git~1`, `git~2`, `.git:x`) and HFS+ ones (`.git`
/// with code points HFS+ ignores) are a `.git` on the file systems that
/// fold them, so they are refused too; `.git` itself is skipped by I2.
fn not_one_segment(name: &str) -> Option<&'static str> {
    let folded = name.trim_end_matches([' ', '.']).to_ascii_lowercase();
    if name.is_empty() {
        Some("which is empty")
    } else if name == "." || name == ".." {
        Some("which names a directory itself")
    } else if name.contains('/') {
        Some("which holds a '/'")
    } else if name.contains('\0') {
        Some("which holds a NUL byte")
    } else if name != ".git" && (folded == ".git" || is_short_git(&folded)) {
        Some("which is `.git` on a case-folding or NTFS file system")
    } else if name != ".git" && gix::validate::path::component(name.into(), None, PROTECT).is_err()
    {
        // What git's core.protectHFS / core.protectNTFS refuse: `.git`
        // behind an NTFS stream (`.git:x`) or with code points HFS+
        // ignores (`.g\u{200c}it`, `\u{feff}.git`).
        Some("which is `.git` on an HFS+ or NTFS file system")
    } else {
        None
    }
}

/// The checks of git's `core.protectHFS` and `core.protectNTFS`, which
/// git turns on where those file systems are; a wiki's tree lands on
/// whatever file system the project is on, so both always apply.
const PROTECT: gix::validate::path::component::Options = gix::validate::path::component::Options {
    protect_windows: false,
    protect_hfs: true,
    protect_ntfs: true,
};

/// A name as a case-folding, Unicode-normalizing file system sees it
/// (APFS, HFS+, NTFS): canonically decomposed, lower-cased, composed
/// again. Two sibling names with one key are one file there, so a tree
/// holding both is refused everywhere (I2): installed on Linux, the
/// project would not survive a clone to such a file system, and its
/// lockfile would record files that cannot be there.
fn fold(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    name.nfd()
        .collect::<String>()
        .to_lowercase()
        .nfc()
        .collect()
}

/// `git~<digits>`: an NTFS 8.3 short name that can stand for `.git`
/// (git checks `git~1` only; the short name of a second `git…` entry in a
/// directory is `git~2`).
fn is_short_git(folded: &str) -> bool {
    folded
        .strip_prefix("git~")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// An open wiki repository.
pub struct Wiki {
    repo: gix::Repository,
    path: PathBuf,
}

fn git_err(path: &Path, what: &str, e: impl std::fmt::Display) -> Error {
    Error::io(what, path, e)
}

/// Where an asset's blobs are read from: the wiki's object database,
/// shareable across threads (the [`BlobSource`] of the trees
/// [`Wiki::read_asset`] returns). Each thread reads through a
/// [`BlobReader`] of its own.
#[derive(Clone)]
pub struct Blobs {
    repo: gix::ThreadSafeRepository,
    path: PathBuf,
    /// `<section>/<name>`, for messages.
    base: String,
}

impl std::fmt::Debug for Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Blobs({}: {})", self.path.display(), self.base)
    }
}

impl Blobs {
    /// The blobs of `repo` (at `path`), for the asset at `base`
    /// (`<section>/<name>`, for messages).
    pub(crate) fn new(repo: &gix::Repository, path: &Path, base: String) -> Blobs {
        Blobs {
            repo: repo.clone().into_sync(),
            path: path.to_owned(),
            base,
        }
    }

    /// A reader for the calling thread.
    pub fn reader(&self) -> BlobReader<'_> {
        BlobReader {
            repo: self.repo.to_thread_local(),
            src: self,
        }
    }
}

impl BlobSource for Blobs {
    fn reader(&self) -> Box<dyn BlobRead + '_> {
        Box::new(Blobs::reader(self))
    }
}

/// Reads an asset's blobs, one whole blob per call (the largest file of
/// the asset is the most it holds).
pub struct BlobReader<'a> {
    repo: gix::Repository,
    src: &'a Blobs,
}

impl BlobRead for BlobReader<'_> {
    /// The bytes of `file`'s blob.
    ///
    /// # Errors
    /// `io` when the blob is missing, unreadable or not `file.size` bytes.
    fn read(&self, file: &AssetFile) -> Result<Vec<u8>> {
        let what = || format!("cannot read {}/{}", self.src.base, file.path);
        let mut blob = self
            .repo
            .find_blob(file.blob)
            .map_err(|e| git_err(&self.src.path, &what(), e))?;
        let data = blob.take_data();
        if data.len() as u64 != file.size {
            return Err(git_err(&self.src.path, &what(), "the blob changed size"));
        }
        Ok(data)
    }
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
        metadata::check(path)?;
        let env = &mut |k: &str| std::env::var_os(k);
        globals::check_config(&metadata::git_dir(path)?.join("config"), env)?;
        let repo =
            gix::open(path).map_err(|e| not_found(format!("is not a git repository ({e})")))?;
        globals::check_rule_files(&repo, env)?;
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
        // An asset that is in the work tree but not in HEAD (never
        // committed, or removed from HEAD but still on disk) is a work tree
        // that differs from the commit (I1), not an unknown asset.
        let missing = || {
            let base = format!("{}/{name}", ty.section());
            // Only against HEAD: at an older pin (install --all) the work
            // tree says nothing about what that commit held.
            let at_head = self.head().ok() == Some(commit);
            let on_disk = at_head
                && self
                    .repo
                    .workdir()
                    .is_some_and(|w| matches!(self.asset_workdir(w, ty, name), Ok(Some(_))));
            if on_disk {
                Error::uncommitted(
                    &self.path,
                    &base,
                    &[format!(
                        "{base}/ (in the work tree, not in commit {commit})"
                    )],
                )
            } else {
                Error::asset_not_found(ty, name, ty.section(), &self.path, commit)
            }
        };
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
        let base = format!("{}/{name}", ty.section());
        // An explicit stack: a wiki built with `git fast-import` can nest
        // trees as deep as it likes, and the call stack must not follow.
        let mut todo = vec![(entry.object_id(), String::new(), 0usize)];
        while let Some((id, prefix, depth)) = todo.pop() {
            self.walk_tree(id, &prefix, depth, &base, &mut todo, &mut out)?;
        }
        Ok(out)
    }

    fn walk_tree(
        &self,
        tree_id: ObjectId,
        prefix: &str,
        depth: usize,
        base: &str,
        todo: &mut Vec<(ObjectId, String, usize)>,
        out: &mut BTreeMap<String, TreeItem>,
    ) -> Result<()> {
        let tree = self
            .repo
            .find_tree(tree_id)
            .map_err(|e| git_err(&self.path, "cannot read tree", e))?;
        let decoded = tree
            .decode()
            .map_err(|e| git_err(&self.path, "cannot decode tree", e))?;
        // Duplicates can only be siblings (each tree has its own prefix):
        // a set per tree keeps a wide tree linear.
        let mut seen = std::collections::HashSet::with_capacity(decoded.entries.len());
        let mut folded: std::collections::HashMap<String, &str> = std::collections::HashMap::new();
        for e in &decoded.entries {
            let Ok(fname) = std::str::from_utf8(e.filename) else {
                // Never dropped silently (I1): the lockfile's `files` and
                // `digests` are JSON strings and cannot record it.
                let shown = e.filename.escape_ascii().to_string();
                return Err(Error::unsafe_path(
                    &self.path.join(format!("{base}/{prefix}{shown}")),
                    "a committed file name that is not UTF-8, which the lockfile cannot record \
                     (rename it in the wiki)",
                ));
            };
            if let Some(why) = not_one_segment(fname) {
                let shown = e.filename.escape_ascii().to_string();
                return Err(Error::unsafe_wiki_entry(
                    &self.path.join(format!("{base}/{prefix}{shown}")),
                    &format!(
                        "a tree entry named {shown:?}, {why}: not one clean path segment, it \
                         would reach the file system as something else"
                    ),
                ));
            }
            let rel = format!("{prefix}{fname}");
            if !seen.insert(e.filename) {
                return Err(Error::unsafe_wiki_entry(
                    &self.path.join(format!("{base}/{rel}")),
                    "a name one tree holds twice (which one is meant is not defined)",
                ));
            }
            let mode = e.mode;
            let entry = if mode.is_tree() {
                skip::Entry::Dir
            } else {
                skip::Entry::NotDir
            };
            if skip::is_skipped(fname, entry) {
                continue;
            }
            if (mode.is_tree() || mode.is_blob())
                && let Some(other) = folded.insert(fold(fname), fname)
            {
                return Err(Error::unsafe_wiki_entry(
                    &self.path.join(format!("{base}/{rel}")),
                    &format!(
                        "a name the same as its sibling {other:?} on a case-folding or \
                         Unicode-normalizing file system (macOS, Windows), where one would be \
                         written over the other"
                    ),
                ));
            }
            if mode.is_tree() {
                if depth + 1 > MAX_DEPTH {
                    return Err(too_deep(&self.path.join(format!("{base}/{rel}"))));
                }
                todo.push((e.oid.to_owned(), format!("{rel}/"), depth + 1));
            } else if mode.is_link() {
                out.insert(rel, TreeItem::Link);
            } else if mode.is_blob() {
                out.insert(
                    rel,
                    TreeItem::Blob {
                        id: e.oid.to_owned(),
                        executable: mode.is_executable(),
                    },
                );
            } else {
                // A gitlink (160000), or a mode no blob has (0, 177777):
                // git's canon_mode takes any such entry for a gitlink.
                out.insert(rel, TreeItem::Submodule);
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
        let base = format!("{}/{name}", ty.section());
        let mut files = Vec::new();
        let mut warnings = Vec::new();
        for (rel, item) in items {
            match item {
                TreeItem::Blob { id, executable } => {
                    // Read whole once and dropped: an unreadable blob is
                    // refused here, before anything is locked or created;
                    // the bytes are read again when staged, one at a time.
                    let size = self
                        .repo
                        .find_blob(id)
                        .map_err(|e| git_err(&self.path, &format!("cannot read {base}/{rel}"), e))?
                        .data
                        .len() as u64;
                    files.push(AssetFile {
                        path: rel,
                        blob: id,
                        size,
                        executable,
                    });
                }
                TreeItem::Link => warnings.push(format!(
                    "skipped symbolic link {base}/{rel} (links are never followed)"
                )),
                TreeItem::Submodule => warnings.push(format!(
                    "skipped submodule {base}/{rel} (submodules are not installed)"
                )),
            }
        }
        Ok(AssetTree {
            files,
            warnings,
            blobs: std::sync::Arc::new(Blobs::new(&self.repo, &self.path, base)),
        })
    }

    /// The asset's directory in the work tree, reached without following a
    /// link at the section or the asset directory; `None` when absent.
    ///
    /// # Errors
    /// `unsafe-path` when either is a link or not a directory; `io`.
    fn asset_workdir(&self, workdir: &Path, ty: AssetType, name: &str) -> Result<Option<SafeDir>> {
        let root = SafeDir::open_root(workdir)
            .map_err(|e| Error::io("open work tree", workdir, e.message))?;
        match root.open_dir(ty.section())? {
            Some(section) => section.open_dir(name),
            None => Ok(None),
        }
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
        let base = format!("{}/{name}", ty.section());
        let dirty = self.dirty_paths(commit, ty, name)?;
        if dirty.is_empty() {
            return Ok(());
        }
        // A commit landed since `commit` was resolved (K4: the bytes still
        // come from `commit`): a work tree that matches the new HEAD holds
        // nothing uncommitted, it only moved on.
        if let Ok(now) = self.head()
            && now != commit
            && self.dirty_paths(now, ty, name)?.is_empty()
        {
            return Ok(());
        }
        Err(Error::uncommitted(&self.path, &base, &dirty))
    }

    /// The paths of the asset directory where the work tree differs from
    /// `commit` (see [`Wiki::check_clean`]), sorted; empty when clean.
    ///
    /// # Errors
    /// `io`, and the rule-file checks' errors.
    fn dirty_paths(&self, commit: ObjectId, ty: AssetType, name: &str) -> Result<Vec<String>> {
        let Some(workdir) = self.repo.workdir().map(Path::to_owned) else {
            return Ok(Vec::new());
        };
        let items = self.asset_items(commit, ty, name)?;
        let base = format!("{}/{name}", ty.section());
        // Before gix reads any of them for the attributes and excludes.
        let top = self.asset_workdir(&workdir, ty, name).ok().flatten();
        metadata::check_rule_files(&workdir, &base, top.as_ref())?;
        let index = self
            .repo
            .index_or_empty()
            .map_err(|e| git_err(&self.path, "cannot read index", e))?;
        let excludes = self
            .repo
            .excludes(&index, None, Default::default())
            .map_err(|e| git_err(&self.path, "cannot read ignore rules", e))?;
        let mut check = CleanCheck {
            wiki: self,
            items: &items,
            base: &base,
            excludes,
            to_git_id: self.git_id_of_work_tree_bytes(commit)?,
            dirty: Vec::new(),
            seen: BTreeSet::new(),
        };
        // The work tree is read through no-follow directory handles: the
        // asset directory, or any directory in it, replaced by a link (to
        // `/dev`, say) is a difference, never a place to read from.
        match self.asset_workdir(&workdir, ty, name) {
            Ok(Some(top)) => {
                crate::fs::walk::walk(&top, |dir, dir_rel, item| check.visit(dir, dir_rel, item))?
            }
            Ok(None) => {}
            Err(e) if e.kind == crate::error::Kind::UnsafePath => check.dirty.push(base.clone()),
            Err(e) => return Err(e),
        }
        let mut dirty = check.finish();
        dirty.sort();
        Ok(dirty)
    }

    /// The git blob id work-tree bytes at a path of the wiki would have,
    /// compared as git does: through the wiki's clean filters at `commit`
    /// (`core.autocrlf`, `eol`/`text` attributes, `ident`,
    /// `working-tree-encoding`) before hashing. Never through an external
    /// driver: a wiki is untrusted input, and its config must not make this
    /// tool run a program (`None` where only a driver could say).
    ///
    /// # Errors
    /// `io` when the attributes cannot be read (now or per path), a filter
    /// fails or the bytes cannot be hashed.
    fn git_id_of_work_tree_bytes(
        &self,
        commit: ObjectId,
    ) -> Result<impl FnMut(&str, &[u8]) -> Result<Option<ObjectId>> + '_> {
        let (pipeline, _index) = self
            .repo
            .filter_pipeline(Some(commit))
            .map_err(|e| git_err(&self.path, "cannot read attributes", e))?;
        let (mut filter, mut attrs) = pipeline.into_parts();
        filter.options_mut().drivers.clear();
        Ok(
            move |repo_rel: &str, bytes: &[u8]| -> Result<Option<ObjectId>> {
                let rela = Path::new(repo_rel);
                let platform = attrs
                    .at_path(rela, None, &self.repo.objects)
                    .map_err(|e| git_err(&self.path, "cannot read attributes", e))?;
                let out = filter
                    .convert_to_git(
                        bytes,
                        rela,
                        &mut |_, found| {
                            platform.matching_attributes(found);
                        },
                        &mut |_| Ok(None),
                    )
                    .map_err(|e| git_err(&self.path, &format!("cannot filter {repo_rel}"), e))?;
                let hash = |data: &[u8]| {
                    gix::objs::compute_hash(self.repo.object_hash(), gix::object::Kind::Blob, data)
                        .map_err(|e| git_err(&self.path, "cannot hash", e))
                };
                use gix::filter::plumbing::pipeline::convert::ToGitOutcome;
                match out {
                    ToGitOutcome::Unchanged(_) => hash(bytes).map(Some),
                    ToGitOutcome::Buffer(b) => hash(b).map(Some),
                    // Only an external driver streams; there is none.
                    ToGitOutcome::Process(_) => Ok(None),
                }
            },
        )
    }
}

/// One comparison of an asset directory's work tree with its tree at a
/// commit (I1, [`Wiki::check_clean`]): the walk visits each entry, and
/// the paths found different collect in `dirty`.
struct CleanCheck<'a, H> {
    wiki: &'a Wiki,
    /// The asset's tree at the commit, by path relative to the asset.
    items: &'a BTreeMap<String, TreeItem>,
    /// `<section>/<name>`: the asset directory, relative to the wiki.
    base: &'a str,
    /// The wiki's ignore rules.
    excludes: gix::AttributeStack<'a>,
    /// [`Wiki::git_id_of_work_tree_bytes`].
    to_git_id: H,
    /// Paths relative to the wiki that differ from the commit.
    dirty: Vec<String>,
    /// Paths of the tree found in the work tree.
    seen: BTreeSet<String>,
}

impl<H: FnMut(&str, &[u8]) -> Result<Option<ObjectId>>> CleanCheck<'_, H> {
    /// The walk's visitor: compares one entry of the work tree; descends
    /// into a directory that is neither skipped, a submodule nor ignored.
    fn visit(&mut self, dir: &SafeDir, dir_rel: &str, item: Item<'_>) -> Result<bool> {
        let (fname, kind) = match item {
            Item::Entry(n, k) => (n, k),
            // A name the lockfile cannot record is never dropped silently.
            Item::Stray(n) => {
                self.dirty.push(format!("{}/{dir_rel}{n}", self.base));
                return Ok(false);
            }
        };
        let is_dir = kind == EntryKind::Dir;
        let entry = if is_dir {
            skip::Entry::Dir
        } else {
            skip::Entry::NotDir
        };
        if skip::is_skipped(fname, entry) {
            return Ok(false);
        }
        let rel = format!("{dir_rel}{fname}");
        if is_dir {
            return Ok(self.descend_into(rel));
        }
        let repo_rel = format!("{}/{rel}", self.base);
        match self.items.get(&rel) {
            Some(TreeItem::Blob { id, executable }) => {
                self.seen.insert(rel);
                if !self.file_equals_blob(dir, fname, kind, &repo_rel, *id, *executable)? {
                    self.dirty.push(repo_rel);
                }
            }
            Some(_) => {
                // Links and submodules are skipped by I2: not compared.
                self.seen.insert(rel);
            }
            None => {
                if !self.is_ignored(&repo_rel, gix::index::entry::Mode::FILE) {
                    self.dirty.push(repo_rel);
                }
            }
        }
        Ok(false)
    }

    /// Whether the walk descends into work-tree directory `rel`: not a
    /// checked-out submodule (its files belong to it, not to the wiki; I2
    /// skips submodules), and not ignored unless the tree tracks a file
    /// below it.
    fn descend_into(&mut self, rel: String) -> bool {
        if matches!(self.items.get(&rel), Some(TreeItem::Submodule)) {
            self.seen.insert(rel);
            return false;
        }
        let tracked_below = self
            .items
            .range(format!("{rel}/")..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&format!("{rel}/")));
        let repo_rel = format!("{}/{rel}", self.base);
        tracked_below || !self.is_ignored(&repo_rel, gix::index::entry::Mode::DIR)
    }

    /// Whether the wiki's ignore rules exclude `repo_rel`.
    fn is_ignored(&mut self, repo_rel: &str, mode: gix::index::entry::Mode) -> bool {
        self.excludes
            .at_path(repo_rel, Some(mode))
            .map(|p| p.is_excluded())
            .unwrap_or(false)
    }

    /// Whether work-tree entry `fname` of `dir` equals blob `id` with its
    /// executable bit. Only a regular file can: a link, a FIFO or a device
    /// differs and is never opened or read; a file too large to be the
    /// blob after the clean filters differs unread.
    ///
    /// # Errors
    /// `io` (an `unsafe-path` entry is a difference, not an error).
    fn file_equals_blob(
        &mut self,
        dir: &SafeDir,
        fname: &str,
        kind: EntryKind,
        repo_rel: &str,
        id: ObjectId,
        executable: bool,
    ) -> Result<bool> {
        if kind != EntryKind::File {
            return Ok(false);
        }
        // The clean filters can shrink a file (CRLF to LF, an expanded
        // `$Id$`, UTF-16 to UTF-8), never by more than this: a larger file
        // differs, unread.
        let size = self
            .wiki
            .repo
            .find_header(id)
            .map(|h| h.size())
            .unwrap_or(0);
        let max = size.saturating_mul(16).saturating_add(4096);
        let bytes = match dir.read_file_upto(fname, max) {
            Ok(Some(ReadUpto::Whole { bytes, .. })) => bytes,
            Ok(Some(ReadUpto::TooLarge { .. })) | Ok(None) => return Ok(false),
            Err(e) if e.kind == crate::error::Kind::UnsafePath => return Ok(false),
            Err(e) => return Err(e),
        };
        let disk_id = (self.to_git_id)(repo_rel, &bytes)?;
        // Git's rule for a work tree file: the owner's x bit (S_IXUSR).
        let disk_exec = dir.meta(fname)?.is_some_and(|m| m.mode & 0o100 != 0);
        Ok(disk_id == Some(id) && disk_exec == executable)
    }

    /// The paths found different, with every blob of the tree the work
    /// tree does not hold (deleted).
    fn finish(mut self) -> Vec<String> {
        for (rel, item) in self.items {
            if matches!(item, TreeItem::Blob { .. }) && !self.seen.contains(rel) {
                self.dirty.push(format!("{}/{rel}", self.base));
            }
        }
        self.dirty
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
    }

    /// A wiki whose skill `a` holds a file `levels` directories below
    /// its top.
    fn nested_wiki(levels: usize) -> (tempfile::TempDir, ObjectId) {
        let tmp = tempfile::tempdir().unwrap();
        let mut p = tmp.path().join("skills/a");
        for _ in 0..levels {
            p.push("d");
        }
        std::fs::create_dir_all(&p).unwrap();
        std::fs::write(p.join("f"), b"deep\n").unwrap();
        std::fs::write(tmp.path().join("skills/a/SKILL.md"), b"a\n").unwrap();
        git(tmp.path(), &["init", "-q"]);
        git(tmp.path(), &["add", "-A"]);
        git(tmp.path(), &["commit", "-qm", "deep"]);
        let head = Wiki::open(tmp.path()).unwrap().head().unwrap();
        (tmp, head)
    }

    /// An asset tree nested [`MAX_DEPTH`] directories below the asset's
    /// top is read whole; one level more is refused (`unsafe-path`), as
    /// every other walk of the install path refuses it.
    #[test]
    fn read_asset_takes_max_depth_and_refuses_one_more() {
        let (ok, head) = nested_wiki(MAX_DEPTH);
        let tree = Wiki::open(ok.path())
            .unwrap()
            .read_asset(head, AssetType::Skill, "a")
            .unwrap();
        assert_eq!(tree.files.len(), 2);
        assert_eq!(
            tree.files.iter().map(|f| f.path.matches('/').count()).max(),
            Some(MAX_DEPTH)
        );
        let (deep, head) = nested_wiki(MAX_DEPTH + 1);
        let e = Wiki::open(deep.path())
            .unwrap()
            .read_asset(head, AssetType::Skill, "a")
            .expect_err("one level more is refused");
        assert_eq!(e.kind, crate::error::Kind::UnsafePath, "{e:?}");
    }
}
