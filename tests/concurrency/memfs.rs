//! An in-memory file system and wiki on `assetpin::lock::sync` primitives, and
//! the real protocols' steps on it: [`MemStore`] implements
//! `lock::LockfileStore` (driven by the real `lock::transact_upsert`) and
//! [`MemInstall`] implements `install_order::InstallSteps` (driven by the real
//! `install_order::install`). Under the feature `loom` every file-system operation and
//! every lock is a loom primitive, so loom explores the interleavings of
//! these operations; otherwise the models run once on std threads.
//!
//! Each [`Faults`] flag removes one guard, for the negative controls.
#![allow(dead_code)]

use assetpin::lock::install_order::{self, InstallSteps};
use assetpin::lock::lockfile::{self, EntryWrite};
use assetpin::lock::sync::{Mutex, MutexGuard};
use assetpin::lock::update_order::{Pass, UpdateSteps};
use assetpin::lock::{self, LockfileStore};
use assetpin::{AssetType, Error, Result};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::Path;

/// The lockfile's path in the memory file system.
pub const LOCKFILE: &str = "lock.json";
/// Prefix of the lockfile's temporary files.
pub const LOCKFILE_TMP: &str = ".lock.json.tmp-";

/// A tree of files: relative path to bytes.
pub type Tree = BTreeMap<String, Vec<u8>>;

/// Guards removed for the negative controls.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    /// K1: `transact_upsert` runs without the sidecar lock.
    pub no_sidecar_lock: bool,
    /// L7: the lockfile is rewritten in place, in two writes, instead of a
    /// temporary file renamed over it.
    pub write_in_place: bool,
    /// K3: the check after the per-asset lock is skipped.
    pub no_recheck: bool,
    /// K4: bytes are copied from the work tree and the pin is read after
    /// the copy, instead of resolving the pin once and reading at it.
    pub pin_after_copy: bool,
    /// U7 at the swap: update does not check that the old tree is what
    /// its plan saw.
    pub no_swap_check: bool,
    /// Update does not put the old dest back after its entry write failed.
    pub no_rollback: bool,
    /// I6: update rewrites dest file by file instead of exchanging a
    /// staged tree.
    pub update_in_place: bool,
    /// The scenario, not a guard: every update's entry write fails.
    pub upsert_fails: bool,
}

/// The wiki: commits (index = pin) and HEAD.
#[derive(Debug)]
struct WikiState {
    commits: Vec<Tree>,
    head: usize,
}

/// A file system (one flat map from path to bytes; a directory is a path
/// prefix), the sidecar lock, the per-asset locks and a wiki.
#[derive(Debug)]
pub struct Fs {
    files: Mutex<BTreeMap<String, Vec<u8>>>,
    sidecar: Mutex<()>,
    asset_locks: BTreeMap<String, Mutex<()>>,
    wiki: Mutex<WikiState>,
    /// The guards removed.
    pub faults: Faults,
}

/// The 40-hex pin of commit index `i`.
pub fn pin_hex(i: usize) -> String {
    format!("{i:040x}")
}

/// Index of a 40-hex pin.
pub fn pin_index(hex: &str) -> usize {
    usize::from_str_radix(hex, 16).expect("pin is hex")
}

/// A one-file tree whose bytes name `tag`.
pub fn tree(tag: &str) -> Tree {
    BTreeMap::from([("SKILL.md".to_owned(), format!("# {tag}\n").into_bytes())])
}

impl Fs {
    /// A file system holding `files`, with per-asset locks for `assets`
    /// and a wiki whose only commit (pin 0) is `first`.
    pub fn new(files: Tree, assets: &[&str], first: Tree, faults: Faults) -> Fs {
        Fs {
            files: Mutex::new(files),
            sidecar: Mutex::new(()),
            asset_locks: assets
                .iter()
                .map(|a| ((*a).to_owned(), Mutex::new(())))
                .collect(),
            wiki: Mutex::new(WikiState {
                commits: vec![first],
                head: 0,
            }),
            faults,
        }
    }

    /// The bytes of `path`.
    pub fn read(&self, path: &str) -> Option<Vec<u8>> {
        self.files.lock().unwrap().get(path).cloned()
    }

    /// Creates or overwrites `path`.
    pub fn put(&self, path: &str, bytes: &[u8]) {
        self.files
            .lock()
            .unwrap()
            .insert(path.to_owned(), bytes.to_vec());
    }

    /// Writes every file of `tree` below directory `dir`, in one step.
    pub fn put_tree(&self, dir: &str, tree: &Tree) {
        let mut files = self.files.lock().unwrap();
        for (rel, bytes) in tree {
            files.insert(format!("{dir}/{rel}"), bytes.clone());
        }
    }

    /// Renames file `from` over `to` (replacing it). False when `from` is
    /// missing.
    pub fn rename_file(&self, from: &str, to: &str) -> bool {
        let mut files = self.files.lock().unwrap();
        match files.remove(from) {
            Some(b) => {
                files.insert(to.to_owned(), b);
                true
            }
            None => false,
        }
    }

    /// Renames directory `from` to `to` when `to` does not exist
    /// (`RENAME_NOREPLACE`). False when it does.
    pub fn rename_dir_noreplace(&self, from: &str, to: &str) -> bool {
        let mut files = self.files.lock().unwrap();
        let to_prefix = format!("{to}/");
        if files.keys().any(|k| k.starts_with(&to_prefix)) {
            return false;
        }
        let from_prefix = format!("{from}/");
        let moved: Vec<String> = files
            .keys()
            .filter(|k| k.starts_with(&from_prefix))
            .cloned()
            .collect();
        for k in moved {
            let b = files.remove(&k).unwrap();
            files.insert(format!("{to_prefix}{}", &k[from_prefix.len()..]), b);
        }
        true
    }

    /// Exchanges directories `a` and `b` atomically (`RENAME_EXCHANGE`).
    pub fn exchange_dirs(&self, a: &str, b: &str) {
        let mut files = self.files.lock().unwrap();
        let (pa, pb) = (format!("{a}/"), format!("{b}/"));
        let old: Vec<(String, Vec<u8>)> = files
            .iter()
            .filter(|(k, _)| k.starts_with(&pa) || k.starts_with(&pb))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (k, _) in &old {
            files.remove(k);
        }
        for (k, v) in old {
            let moved = match k.strip_prefix(&pa) {
                Some(rel) => format!("{pb}{rel}"),
                None => format!("{pa}{}", &k[pb.len()..]),
            };
            files.insert(moved, v);
        }
    }

    /// Removes every path starting with `prefix`.
    pub fn remove_prefix(&self, prefix: &str) {
        self.files
            .lock()
            .unwrap()
            .retain(|k, _| !k.starts_with(prefix));
    }

    /// Whether directory `dir` exists (holds a file).
    pub fn dir_exists(&self, dir: &str) -> bool {
        let prefix = format!("{dir}/");
        self.files
            .lock()
            .unwrap()
            .keys()
            .any(|k| k.starts_with(&prefix))
    }

    /// The files below directory `dir`, relative to it.
    pub fn tree_at(&self, dir: &str) -> Tree {
        let prefix = format!("{dir}/");
        self.files
            .lock()
            .unwrap()
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix(&prefix)
                    .map(|rel| (rel.to_owned(), v.clone()))
            })
            .collect()
    }

    /// Every path, for leftover checks.
    pub fn paths(&self) -> Vec<String> {
        self.files.lock().unwrap().keys().cloned().collect()
    }

    /// Commits `tree` in the wiki and moves HEAD to it; returns its index.
    pub fn commit(&self, tree: Tree) -> usize {
        let mut w = self.wiki.lock().unwrap();
        w.commits.push(tree);
        w.head = w.commits.len() - 1;
        w.head
    }

    /// The tree of commit `i`.
    pub fn commit_tree(&self, i: usize) -> Tree {
        self.wiki.lock().unwrap().commits[i].clone()
    }

    fn head(&self) -> usize {
        self.wiki.lock().unwrap().head
    }

    /// Commits are linear: `i` is an ancestor of `j` (or `j` itself)
    /// exactly when `i <= j`.
    pub fn is_ancestor(i: usize, j: usize) -> bool {
        i <= j
    }
}

/// The lockfile in memory, written by one writer (`id` names its
/// temporary file).
pub struct MemStore<'a> {
    /// The file system.
    pub fs: &'a Fs,
    /// The writer's id.
    pub id: usize,
}

impl<'a> LockfileStore for MemStore<'a> {
    type Guard = Option<MutexGuard<'a, ()>>;
    fn lock(&self) -> Result<Self::Guard> {
        if self.fs.faults.no_sidecar_lock {
            return Ok(None);
        }
        Ok(Some(self.fs.sidecar.lock().unwrap()))
    }
    fn read(&self) -> Result<Option<Vec<u8>>> {
        Ok(self.fs.read(LOCKFILE))
    }
    fn replace(&self, bytes: &[u8]) -> Result<()> {
        if self.fs.faults.write_in_place {
            self.fs.put(LOCKFILE, &bytes[..bytes.len() / 2]);
            self.fs.put(LOCKFILE, bytes);
            return Ok(());
        }
        let tmp = format!("{LOCKFILE_TMP}{}", self.id);
        self.fs.put(&tmp, bytes);
        if !self.fs.rename_file(&tmp, LOCKFILE) {
            return Err(Error::new(
                assetpin::Kind::Io,
                format!("{tmp} vanished before its rename"),
            ));
        }
        Ok(())
    }
    fn clean_temps(&self) -> Result<()> {
        self.fs.remove_prefix(LOCKFILE_TMP);
        Ok(())
    }
    fn display(&self) -> String {
        format!("mem:{LOCKFILE}")
    }
}

/// The entry writer `id` upserts.
pub fn entry_write(id: usize) -> EntryWrite {
    EntryWrite {
        wiki_commit: pin_hex(id),
        installed_at: "2024-01-02T03:04:05.000000Z".into(),
        files: vec!["SKILL.md".into()],
        digests: None,
    }
}

/// `bytes` (a lockfile, or none) with entry `name` of writer `id` upserted,
/// computed without any store.
pub fn with_entry(bytes: Option<&[u8]>, id: usize, name: &str) -> Vec<u8> {
    let mut doc = lockfile::parse_strict(bytes, LOCKFILE).unwrap();
    lockfile::upsert(&mut doc, AssetType::Skill, name, &entry_write(id));
    lockfile::serialize(&doc)
}

/// One upsert of a distinct entry `name` through the real
/// `transact_upsert`, the path install and update take.
pub fn upsert(fs: &Fs, id: usize, name: &str) -> Result<()> {
    let write = entry_write(id);
    lock::transact_upsert(&MemStore { fs, id }, AssetType::Skill, name, &write, |_| {
        Ok(true)
    })
    .map(|_| ())
}

/// Dest of skill `name`.
pub fn dest(name: &str) -> String {
    format!("skills/{name}")
}

/// The install steps of one process installing skill `name`.
pub struct MemInstall<'a> {
    /// The file system.
    pub fs: &'a Fs,
    /// The process's id (names its staging directory and temporary file).
    pub id: usize,
    /// The skill installed.
    pub name: &'a str,
    /// Writes done so far (staging, rename, lockfile).
    pub writes: Cell<u32>,
    locked: Cell<bool>,
    /// `install --all`: restore at this pin, the entry already there (I8).
    pub restore: Option<usize>,
}

impl<'a> MemInstall<'a> {
    /// The steps of process `id` installing skill `name`.
    pub fn new(fs: &'a Fs, id: usize, name: &'a str) -> Self {
        MemInstall {
            fs,
            id,
            name,
            writes: Cell::new(0),
            locked: Cell::new(false),
            restore: None,
        }
    }

    /// The steps of `install --all` restoring skill `name` at `pin`.
    pub fn restoring(fs: &'a Fs, id: usize, name: &'a str, pin: usize) -> Self {
        MemInstall {
            restore: Some(pin),
            ..MemInstall::new(fs, id, name)
        }
    }

    fn staging_prefix(&self) -> String {
        format!("skills/.{}~staging-", self.name)
    }

    fn wrote(&self) {
        self.writes.set(self.writes.get() + 1);
    }
}

/// A staged tree: its directory and the digests of its bytes.
pub struct MemStaged {
    dir: String,
    digests: BTreeMap<String, String>,
}

impl<'a> InstallSteps for MemInstall<'a> {
    type Pin = usize;
    type Tree = Tree;
    type Held = Option<MutexGuard<'a, ()>>;
    type Staged = MemStaged;

    fn resolve(&self) -> Result<usize> {
        Ok(self.restore.unwrap_or_else(|| self.fs.head()))
    }

    fn read(&self, pin: &usize) -> Result<Tree> {
        let w = self.fs.wiki.lock().unwrap();
        // The control copies the work tree (HEAD now), not the pin's tree.
        let at = if self.fs.faults.pin_after_copy {
            w.head
        } else {
            *pin
        };
        Ok(w.commits[at].clone())
    }

    fn check_absent(&self) -> Result<()> {
        if self.fs.faults.no_recheck && self.locked.get() {
            return Ok(());
        }
        let bytes = self.fs.read(LOCKFILE);
        let doc = lockfile::parse_strict(bytes.as_deref(), LOCKFILE)?;
        // A restore expects the entry (I8).
        let entry =
            self.restore.is_none() && lockfile::get(&doc, AssetType::Skill, self.name).is_some();
        let dest_exists = self.fs.dir_exists(&dest(self.name));
        assetpin::lock::install_order::refuse_if_present(
            AssetType::Skill,
            self.name,
            entry,
            dest_exists,
            Path::new(&dest(self.name)),
        )
    }

    fn lock_asset(&self) -> Result<Self::Held> {
        let guard = self.fs.asset_locks[self.name].lock().unwrap();
        self.locked.set(true);
        Ok(Some(guard))
    }

    fn clean_stale(&self, _held: &Self::Held) -> Result<()> {
        self.fs.remove_prefix(&self.staging_prefix());
        Ok(())
    }

    fn stage(&self, _held: &Self::Held, tree: &Tree) -> Result<MemStaged> {
        self.wrote();
        let dir = format!("{}{}", self.staging_prefix(), self.id);
        self.fs.put_tree(&dir, tree);
        let digests = tree
            .iter()
            .map(|(k, v)| (k.clone(), assetpin::fs::digest::sha256_hex(v)))
            .collect();
        Ok(MemStaged { dir, digests })
    }

    fn place(&self, _held: &Self::Held, staged: &MemStaged) -> Result<()> {
        self.wrote();
        if !self.fs.rename_dir_noreplace(&staged.dir, &dest(self.name)) {
            self.fs.remove_prefix(&format!("{}/", staged.dir));
            return assetpin::lock::install_order::refuse_if_present(
                AssetType::Skill,
                self.name,
                false,
                true,
                Path::new(&dest(self.name)),
            );
        }
        Ok(())
    }

    fn record(
        &self,
        _held: &Self::Held,
        pin: &usize,
        tree: &Tree,
        staged: MemStaged,
    ) -> Result<()> {
        self.wrote();
        // The control reads the pin only now, after the copy.
        let pin = if self.fs.faults.pin_after_copy {
            self.fs.head()
        } else {
            *pin
        };
        let write = EntryWrite {
            wiki_commit: pin_hex(pin),
            installed_at: "2024-01-02T03:04:05.000000Z".into(),
            files: tree.keys().cloned().collect(),
            digests: Some(staged.digests),
        };
        let dest_path = dest(self.name);
        let store = MemStore {
            fs: self.fs,
            id: self.id,
        };
        let restored = self.restore.map(pin_hex);
        lock::transact_upsert(&store, AssetType::Skill, self.name, &write, |existing| {
            match &restored {
                None => install_order::record_new_entry(
                    existing,
                    AssetType::Skill,
                    self.name,
                    Path::new(&dest_path),
                ),
                // As on disk: only rewrite an entry that still pins it.
                Some(pin) => Ok(existing
                    .and_then(|e| e.get("wiki_commit"))
                    .and_then(|v| v.as_str())
                    == Some(pin.as_str())),
            }
        })?;
        Ok(())
    }

    fn unplace(&self, _held: &Self::Held) {
        self.fs.remove_prefix(&format!("{}/", dest(self.name)));
    }
}

/// The update steps of one process updating skill `name` (on the same
/// [`Fs`] as the installs), driven by the real `update_order::update`.
pub struct MemUpdate<'a> {
    /// The file system.
    pub fs: &'a Fs,
    /// The process's id (names its staging directory and temporary file).
    pub id: usize,
    /// The skill updated.
    pub name: &'a str,
    /// The HEAD this process resolves (as if read at a different time),
    /// or the wiki's HEAD.
    pub head: Option<usize>,
    first_plan: std::cell::RefCell<Option<MemPlan>>,
    record_failed: Cell<bool>,
}

/// An update's plan: the pin it moves from and to, the new tree, and dest
/// as it was seen (the fingerprint).
#[derive(Debug, Clone)]
pub struct MemPlan {
    /// The pin before.
    pub from: usize,
    /// The pin after.
    pub to: usize,
    tree: Tree,
    seen: Tree,
}

impl<'a> MemUpdate<'a> {
    /// The steps of process `id` updating skill `name`.
    pub fn new(fs: &'a Fs, id: usize, name: &'a str, head: Option<usize>) -> Self {
        MemUpdate {
            fs,
            id,
            name,
            head,
            first_plan: std::cell::RefCell::new(None),
            record_failed: Cell::new(false),
        }
    }

    fn staging(&self) -> String {
        format!("skills/.{}~staging-u{}", self.name, self.id)
    }
}

fn refused(kind: assetpin::Kind, what: &str) -> Error {
    Error::new(kind, what.to_owned())
}

impl<'a> UpdateSteps for MemUpdate<'a> {
    type Pin = usize;
    type Plan = MemPlan;
    type Held = MutexGuard<'a, ()>;
    type Staged = String;

    fn resolve(&self) -> Result<usize> {
        Ok(self.head.unwrap_or_else(|| self.fs.head()))
    }

    fn plan(&self, pin: &usize, pass: Pass) -> Result<MemPlan> {
        if pass == Pass::UnderLock
            && self.fs.faults.no_recheck
            && let Some(p) = self.first_plan.borrow().clone()
        {
            return Ok(p);
        }
        let doc = doc_of(self.fs);
        let from = lockfile::get(&doc, AssetType::Skill, self.name)
            .and_then(|e| e.get("wiki_commit"))
            .and_then(|v| v.as_str())
            .map(pin_index)
            .ok_or_else(|| refused(assetpin::Kind::NotInstalled, "no entry"))?;
        if !Fs::is_ancestor(from, *pin) {
            return Err(refused(
                assetpin::Kind::StalePin,
                "HEAD does not descend from the pin",
            ));
        }
        let seen = self.fs.tree_at(&dest(self.name));
        if seen != self.fs.commit_tree(from) {
            return Err(refused(assetpin::Kind::Dirty, "dest differs from its pin"));
        }
        let plan = MemPlan {
            from,
            to: *pin,
            tree: self.fs.commit_tree(*pin),
            seen,
        };
        if pass == Pass::First {
            *self.first_plan.borrow_mut() = Some(plan.clone());
        }
        Ok(plan)
    }

    fn needs_write(&self, plan: &MemPlan) -> bool {
        plan.from != plan.to
    }

    fn tidy(&self) -> Result<()> {
        Ok(())
    }

    fn lock_asset(&self) -> Result<Self::Held> {
        Ok(self.fs.asset_locks[self.name].lock().unwrap())
    }

    fn before_write(&self, _plan: &MemPlan) {}

    fn stage(&self, _held: &Self::Held, plan: &MemPlan) -> Result<String> {
        let dir = self.staging();
        if !self.fs.faults.update_in_place {
            self.fs.put_tree(&dir, &plan.tree);
        }
        Ok(dir)
    }

    fn swap(&self, _held: &Self::Held, staged: &String) -> Result<()> {
        if self.fs.faults.update_in_place {
            // The control: the old files go one by one, the new come one
            // by one, each a separate step a reader can see between.
            let d = dest(self.name);
            for rel in self.fs.tree_at(&d).keys() {
                self.fs.remove_prefix(&format!("{d}/{rel}"));
            }
            let tree = self
                .first_plan
                .borrow()
                .clone()
                .map(|p| p.tree)
                .unwrap_or_default();
            for (rel, bytes) in &tree {
                self.fs.put(&format!("{d}/{rel}"), bytes);
            }
            return Ok(());
        }
        self.fs.exchange_dirs(staged, &dest(self.name));
        Ok(())
    }

    fn check_unchanged(&self, _held: &Self::Held, plan: &MemPlan, staged: &String) -> Result<()> {
        if self.fs.faults.no_swap_check || self.fs.faults.update_in_place {
            return Ok(());
        }
        if self.fs.tree_at(staged) == plan.seen {
            Ok(())
        } else {
            Err(refused(
                assetpin::Kind::Conflict,
                "dest changed while the update ran",
            ))
        }
    }

    fn unswap(&self, _held: &Self::Held, staged: &String) -> Result<()> {
        if self.record_failed.get() && self.fs.faults.no_rollback {
            return Ok(());
        }
        self.fs.exchange_dirs(staged, &dest(self.name));
        self.fs.remove_prefix(&format!("{staged}/"));
        Ok(())
    }

    fn record(
        &self,
        _held: &Self::Held,
        pin: &usize,
        plan: &MemPlan,
        _staged: &String,
    ) -> Result<()> {
        if self.fs.faults.upsert_fails {
            self.record_failed.set(true);
            return Err(refused(assetpin::Kind::Io, "the entry write failed"));
        }
        let write = EntryWrite {
            wiki_commit: pin_hex(*pin),
            installed_at: "2024-01-02T03:04:05.000000Z".into(),
            files: plan.tree.keys().cloned().collect(),
            digests: Some(
                plan.tree
                    .iter()
                    .map(|(k, v)| (k.clone(), assetpin::fs::digest::sha256_hex(v)))
                    .collect(),
            ),
        };
        let store = MemStore {
            fs: self.fs,
            id: 100 + self.id,
        };
        lock::transact_upsert(&store, AssetType::Skill, self.name, &write, |_| Ok(true))?;
        Ok(())
    }

    fn discard_old(&self, _held: &Self::Held, staged: String) -> Result<()> {
        self.fs.remove_prefix(&format!("{staged}/"));
        Ok(())
    }
}

/// A project where skill `name` is installed at pin `pin` (dest equals
/// the tree of that commit, the entry records it with digests).
pub fn install_at(fs: &Fs, name: &str, pin: usize) {
    let tree = fs.commit_tree(pin);
    fs.put_tree(&dest(name), &tree);
    let write = EntryWrite {
        wiki_commit: pin_hex(pin),
        installed_at: "2024-01-02T03:04:05.000000Z".into(),
        files: tree.keys().cloned().collect(),
        digests: Some(
            tree.iter()
                .map(|(k, v)| (k.clone(), assetpin::fs::digest::sha256_hex(v)))
                .collect(),
        ),
    };
    let bytes = fs.read(LOCKFILE);
    let mut doc = lockfile::parse_strict(bytes.as_deref(), LOCKFILE).unwrap();
    lockfile::upsert(&mut doc, AssetType::Skill, name, &write);
    fs.put(LOCKFILE, &lockfile::serialize(&doc));
}

/// The parsed lockfile of `fs` (empty when absent).
pub fn doc_of(fs: &Fs) -> lockfile::Document {
    let bytes = fs.read(LOCKFILE);
    lockfile::parse_strict(bytes.as_deref(), LOCKFILE).expect("lockfile parses")
}

/// Checks K4/K6/L2 for skill `name`: its entry exists, dest equals the
/// tree of the recorded pin, and the digests match dest's bytes.
pub fn assert_pinned_tree(fs: &Fs, name: &str) {
    let doc = doc_of(fs);
    let entry = lockfile::get(&doc, AssetType::Skill, name)
        .and_then(|e| e.as_object())
        .unwrap_or_else(|| panic!("no entry for {name}"));
    let pin = pin_index(entry["wiki_commit"].as_str().unwrap());
    let installed = fs.tree_at(&dest(name));
    assert_eq!(
        installed,
        fs.commit_tree(pin),
        "K4: dest of {name} differs from the tree at its recorded pin {pin}"
    );
    let digests = lockfile::valid_digests(entry).expect("L2: digests");
    let actual: BTreeMap<String, String> = installed
        .iter()
        .map(|(k, v)| (k.clone(), assetpin::fs::digest::sha256_hex(v)))
        .collect();
    assert_eq!(digests, actual, "K6: digests match dest");
}

/// Asserts nothing but the lockfile, the dests and the per-asset state is
/// left: no staging directory and no lockfile temporary file (I6, L7).
pub fn assert_no_leftovers(fs: &Fs) {
    for p in fs.paths() {
        assert!(
            !p.contains("~staging-") && !p.starts_with(LOCKFILE_TMP),
            "leftover {p}"
        );
    }
}

/// A negative control: runs model `f`, whose guard was removed, and
/// passes only when loom finds the violation (the model panics in some
/// interleaving). Fails when loom explores every interleaving within its
/// bounds and finds nothing.
#[cfg(feature = "loom")]
#[track_caller]
pub fn assert_loom_finds(guard: &str, f: impl Fn() + Sync + Send + 'static) {
    let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        assetpin::lock::sync::model(f)
    }))
    .is_err();
    assert!(
        found,
        "negative control ({guard}): loom found no violation with the guard removed"
    );
    eprintln!("negative control ({guard}): loom found the violation, as it must");
}
