//! What the disk may hold after a crash: the calls of a recording
//! ([`super::trace`]) replayed on an in-memory copy of the case's trees,
//! and the states each [`FsModel`] allows at each crash point.
//!
//! The replay keeps inodes, not paths: a directory entry names an inode,
//! a file's bytes belong to its inode, and every change is one record of
//! [`Recording::recs`] (a directory entry set or cleared, a rename, a
//! mode, a file's new bytes, an `fsync`, a process's end). A crash state
//! is the initial trees with a chosen subset of those records applied in
//! their order, which is how each model is defined:
//!
//! - [`FsModel::Process`]: the tool killed at a call (SIGKILL; the page
//!   cache survives): every record before the point.
//! - [`FsModel::Synced`]: power lost, and only what was made durable
//!   survives. A directory entry change survives when a later `fsync` of
//!   its directory (either directory of a rename) or a `sync`/`syncfs`
//!   precedes the point; a file's bytes are those of its last `fsync`
//!   (`fdatasync`) before the point, none for a file never synced. Renames
//!   that survive apply in their order. This is what POSIX and the
//!   `fsync(2)` page promise, and all that a careful tool may rely on.
//! - [`FsModel::Ext4Ordered`]: ext4 with `data=ordered` and delayed
//!   allocation (the default): directory and inode changes reach the
//!   journal in order, so what survives is a prefix of them, at least up
//!   to the last `fsync`/`sync` of anything (which commits the journal);
//!   a file's bytes are those of its last `fsync`, or those it held when
//!   a surviving rename replaced another file with it (`auto_da_alloc`),
//!   else none (delayed allocation: its size on disk is still 0). One
//!   state per prefix.
//!
//! Not modelled: writes through shared mappings (refused, see
//! [`ModelError::Mapped`]), `O_TMPFILE`, extended attributes, times, and
//! ext4's flush on close after a truncate (`auto_da_alloc`'s other case:
//! the model is stricter there than ext4).

use super::trace::{self, Call};
use crate::snapshot::{Node, Snapshot};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// An inode of the replay.
pub type Ino = usize;

/// A file-system model: which of the recorded changes a crash keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FsModel {
    /// The process killed; the page cache survives.
    Process,
    /// Power lost; only what was fsynced survives.
    Synced,
    /// Power lost on ext4 `data=ordered` with delayed allocation.
    Ext4Ordered,
}

impl FsModel {
    /// Every model, in report order.
    pub const ALL: [FsModel; 3] = [FsModel::Process, FsModel::Synced, FsModel::Ext4Ordered];

    /// The case-format spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FsModel::Process => "process",
            FsModel::Synced => "synced",
            FsModel::Ext4Ordered => "ext4-ordered",
        }
    }

    /// Parses [`FsModel::as_str`].
    pub fn parse(s: &str) -> Option<FsModel> {
        FsModel::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Dir,
    Link,
    Other,
}

/// One change, in the order the calls completed.
#[derive(Debug, Clone)]
pub enum Rec {
    /// A directory entry set (`Some`) or cleared (`None`).
    Set {
        /// The directory.
        dir: Ino,
        /// The entry's name.
        name: OsString,
        /// What it names now.
        to: Option<Ino>,
    },
    /// A rename: `ino` moves from one entry to another; with `swap`
    /// (`RENAME_EXCHANGE`) that inode takes the old place. `replaced` is
    /// what the new place named before (a replacing rename).
    Rename {
        /// Source directory and name.
        from: (Ino, OsString),
        /// Target directory and name.
        to: (Ino, OsString),
        /// The inode moved.
        ino: Ino,
        /// The inode moved the other way (exchange).
        swap: Option<Ino>,
        /// The inode the target named before (replaced, not exchanged).
        replaced: Option<Ino>,
    },
    /// A mode change.
    Mode {
        /// The inode.
        ino: Ino,
        /// Permission bits.
        mode: u32,
    },
    /// A file's bytes after a write.
    Data {
        /// The file.
        ino: Ino,
        /// Its whole content now.
        bytes: Arc<Vec<u8>>,
    },
    /// `fsync`/`fdatasync` of one inode, or `sync`/`syncfs` (`None`).
    Sync(Option<Ino>),
    /// A process ended (status, -1 for a signal).
    Exit {
        /// Its pid.
        pid: u32,
        /// Exit status.
        code: i64,
    },
}

impl Rec {
    fn is_meta(&self) -> bool {
        matches!(
            self,
            Rec::Set { .. } | Rec::Rename { .. } | Rec::Mode { .. }
        )
    }

    /// The inodes whose `fsync` makes this change durable (model synced).
    fn synced_by(&self) -> Vec<Ino> {
        match self {
            Rec::Set { dir, .. } => vec![*dir],
            Rec::Rename { from, to, .. } => vec![from.0, to.0],
            Rec::Mode { ino, .. } => vec![*ino],
            _ => Vec::new(),
        }
    }
}

/// Why a recording cannot be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The trace itself.
    #[error(transparent)]
    Trace(#[from] trace::TraceError),
    /// A shared writable mapping of a file in the trees: its writes are
    /// not system calls, so no recording sees them.
    #[error("`{0}` maps a file of the project writable and shared: its bytes cannot be recorded")]
    Mapped(String),
    /// A call this replay cannot follow (a path through a link, a rename
    /// into the trees from elsewhere, an unknown descriptor).
    #[error("cannot replay `{call}`: {why}")]
    Unsupported {
        /// The call, decoded.
        call: String,
        /// Why.
        why: String,
    },
    /// A tree holds what the replay cannot copy (a file over
    /// [`crate::snapshot::READ_CAP`]).
    #[error("cannot model {0}")]
    Tree(String),
}

#[derive(Debug, Clone)]
struct Ofd {
    ino: Option<Ino>,
    outside: Option<PathBuf>,
    offset: u64,
    append: bool,
}

type Table = HashMap<i64, Arc<std::sync::Mutex<Ofd>>>;

/// A replayed recording: the initial trees, and every change.
#[derive(Debug, Clone)]
pub struct Recording {
    roots: Vec<(PathBuf, Ino)>,
    kinds: Vec<Kind>,
    modes0: Vec<u32>,
    links: HashMap<Ino, PathBuf>,
    dirs0: HashMap<Ino, BTreeMap<OsString, Ino>>,
    data0: HashMap<Ino, Arc<Vec<u8>>>,
    /// The changes, in order.
    pub recs: Vec<Rec>,
    /// For each record, the call it came from (decoded), for reports.
    pub calls: Vec<String>,
}

/// A live replay (the state after every record so far).
struct Live {
    rec: Recording,
    dirs: HashMap<Ino, BTreeMap<OsString, Ino>>,
    data: HashMap<Ino, Arc<Vec<u8>>>,
    /// Each inode's mode now (the live tree's; crash states rebuild
    /// theirs).
    modes: Vec<u32>,
    tables: HashMap<u32, Arc<std::sync::Mutex<Table>>>,
    umask: u32,
    /// Each process's working directory (relative paths of `mkdir`,
    /// `rename`, ... resolve against it).
    cwds: HashMap<u32, PathBuf>,
    /// Where the traced processes started.
    cwd0: PathBuf,
    /// Bytes of file versions kept so far (bounded by [`MAX_KEPT`]).
    kept: usize,
    /// Outside files the tool opened for writing: their bytes at any
    /// moment are not known, so nothing is replayed from them.
    outside_written: std::collections::HashSet<PathBuf>,
    /// Each thread's working-directory owner (threads made with
    /// `CLONE_FS` share their creator's).
    fs_owner: HashMap<u32, u32>,
    /// Symbolic links the tool made outside the trees, and their targets
    /// (resolved against the link's directory).
    outside_links: Vec<(PathBuf, PathBuf)>,
}

/// The most bytes of file versions a replay keeps: 1 GiB.
pub const MAX_KEPT: usize = 1 << 30;

fn unsupported(c: &Call, why: impl Into<String>) -> ModelError {
    ModelError::Unsupported {
        call: c.text.chars().take(300).collect(),
        why: why.into(),
    }
}

fn os(b: &[u8]) -> PathBuf {
    PathBuf::from(OsStr::from_bytes(b))
}

/// Lexically normalised (`.` and `..` folded).
fn normal(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

impl Recording {
    /// The initial trees: `roots` (absolute paths) as their snapshots.
    ///
    /// # Errors
    /// [`ModelError::Tree`] for a node the replay cannot copy.
    pub fn new(roots: &[(PathBuf, &Snapshot)]) -> Result<Recording, ModelError> {
        let mut r = Recording {
            roots: Vec::new(),
            kinds: Vec::new(),
            modes0: Vec::new(),
            links: HashMap::new(),
            dirs0: HashMap::new(),
            data0: HashMap::new(),
            recs: Vec::new(),
            calls: Vec::new(),
        };
        for (path, snap) in roots {
            let root = r.inode(Kind::Dir, 0o755);
            r.dirs0.insert(root, BTreeMap::new());
            let mut at: HashMap<String, Ino> = HashMap::from([(".".to_owned(), root)]);
            for (key, node) in snap.iter() {
                let (kind, mode) = match node {
                    Node::Dir(m) => (Kind::Dir, *m),
                    Node::File(m, _) => (Kind::File, *m),
                    Node::Link(_) => (Kind::Link, 0o777),
                    Node::Other(m) => (Kind::Other, *m),
                    Node::Large { .. } => {
                        return Err(ModelError::Tree(format!("the large file {key}")));
                    }
                };
                let ino = if key == "." {
                    r.modes0[root] = mode;
                    root
                } else {
                    let ino = r.inode(kind, mode);
                    let (parent, name) = key.rsplit_once('/').unwrap_or((".", key));
                    let Some(&p) = at.get(parent) else {
                        return Err(ModelError::Tree(format!("{key} without its parent")));
                    };
                    r.dirs0
                        .entry(p)
                        .or_default()
                        .insert(crate::snapshot::name_of(name), ino);
                    ino
                };
                match node {
                    Node::Dir(_) => {
                        r.dirs0.entry(ino).or_default();
                    }
                    Node::File(_, b) => {
                        r.data0.insert(ino, Arc::new(b.clone()));
                    }
                    Node::Link(t) => {
                        r.links.insert(ino, t.clone());
                    }
                    _ => {}
                }
                at.insert(key.clone(), ino);
            }
            r.roots.push((path.clone(), root));
        }
        Ok(r)
    }

    fn inode(&mut self, kind: Kind, mode: u32) -> Ino {
        self.kinds.push(kind);
        self.modes0.push(mode);
        self.kinds.len() - 1
    }

    /// Replays `calls` (completed calls, in order) on the initial trees.
    /// `umask` applies to what they create; `cwd` is where the processes
    /// started.
    ///
    /// # Errors
    /// [`ModelError`] for a call the replay cannot follow.
    pub fn replay(self, calls: &[Call], umask: u32, cwd: &Path) -> Result<Recording, ModelError> {
        let mut live = Live {
            dirs: self.dirs0.clone(),
            data: self.data0.clone(),
            modes: self.modes0.clone(),
            rec: self,
            tables: HashMap::new(),
            umask,
            cwds: HashMap::new(),
            cwd0: cwd.to_path_buf(),
            kept: 0,
            outside_written: Default::default(),
            fs_owner: HashMap::new(),
            outside_links: Vec::new(),
        };
        for c in calls {
            live.call(c)?;
        }
        Ok(live.rec)
    }

    /// The crash points: before record `k`, for every `k`, and after the
    /// last.
    pub fn points(&self) -> std::ops::RangeInclusive<usize> {
        0..=self.recs.len()
    }

    /// Whether point `k` falls between two writes of one file that follow
    /// each other: such points are not separate crash states (the states
    /// before the first write and after the last are), so a tool writing
    /// a file a byte at a time costs two states, not one per byte.
    pub fn inside_a_write_run(&self, k: usize) -> bool {
        // Three writes of one file in a row, each extending the one before
        // (a truncation, a hole punched, a rewrite in place is not an
        // extension, so the state just after it stays a crash point).
        let at = |i: usize| match self.recs.get(i) {
            Some(Rec::Data { ino, bytes }) => Some((*ino, bytes)),
            _ => None,
        };
        let (Some(i), Some(j)) = (k.checked_sub(1), k.checked_sub(2)) else {
            return false;
        };
        match (at(j), at(i), at(k)) {
            (Some((a, x)), Some((b, y)), Some((c, z))) => {
                a == b && b == c && !x.is_empty() && y.starts_with(x) && z.starts_with(y)
            }
            _ => false,
        }
    }

    /// The pids that ended with status 0 before point `k`.
    pub fn acked(&self, k: usize) -> BTreeSet<u32> {
        self.recs[..k]
            .iter()
            .filter_map(|r| match r {
                Rec::Exit { pid, code: 0 } => Some(*pid),
                _ => None,
            })
            .collect()
    }

    /// Every state `model` allows at point `k`, as (the records kept up
    /// to, the trees by root); [`FsModel::Ext4Ordered`] gives one per
    /// journal prefix, the others one.
    pub fn states(&self, model: FsModel, k: usize) -> Vec<(usize, Vec<Snapshot>)> {
        self.cuts(model, k)
            .into_iter()
            .map(|cut| (cut, self.state(model, k, cut)))
            .collect()
    }

    /// The journal prefixes `model` allows at point `k` (records kept up
    /// to): `[k]` but for [`FsModel::Ext4Ordered`], one per directory or
    /// inode change after the last `fsync`/`sync`.
    pub fn cuts(&self, model: FsModel, k: usize) -> Vec<usize> {
        let recs = &self.recs[..k];
        match model {
            FsModel::Process | FsModel::Synced => vec![k],
            FsModel::Ext4Ordered => {
                let barrier = recs
                    .iter()
                    .rposition(|r| matches!(r, Rec::Sync(_)))
                    .map_or(0, |s| s + 1);
                // Only cuts that end at a directory or inode change (or
                // the barrier) give new states.
                (barrier..=k)
                    .filter(|&cut| cut == barrier || recs[cut - 1].is_meta())
                    .collect()
            }
        }
    }

    /// The one state of `model` at point `k` with the records up to `cut`
    /// kept (a cut of [`Recording::cuts`]), built alone: a caller holds
    /// one state at a time.
    pub fn state(&self, model: FsModel, k: usize, cut: usize) -> Vec<Snapshot> {
        let recs = &self.recs[..k];
        let last_sync = |ino: Option<Ino>| {
            recs.iter().rposition(|r| match r {
                Rec::Sync(None) => true,
                Rec::Sync(Some(i)) => Some(*i) == ino,
                _ => false,
            })
        };
        match model {
            FsModel::Process => self.build(recs, |_| true, |_, v| v.len()),
            FsModel::Synced => {
                let keep = |i: usize| {
                    let by = recs[i].synced_by();
                    recs[i + 1..].iter().any(|r| match r {
                        Rec::Sync(None) => true,
                        Rec::Sync(Some(s)) => by.contains(s),
                        _ => false,
                    })
                };
                let data = |ino: Ino, v: &[usize]| {
                    let s = last_sync(Some(ino)).map_or(0, |s| s + 1);
                    v.iter().take_while(|&&i| i < s).count()
                };
                self.build(recs, keep, data)
            }
            FsModel::Ext4Ordered => {
                let keep = |i: usize| i < cut;
                let data = |ino: Ino, v: &[usize]| {
                    let mut s = last_sync(Some(ino)).map_or(0, |s| s + 1);
                    for (i, r) in recs[..cut].iter().enumerate() {
                        if let Rec::Rename {
                            ino: moved,
                            replaced: Some(_),
                            ..
                        } = r
                            && *moved == ino
                        {
                            s = s.max(i);
                        }
                    }
                    v.iter().take_while(|&&i| i < s).count()
                };
                self.build(recs, keep, data)
            }
        }
    }

    /// The trees with the meta records `keep` accepts applied in order,
    /// each file holding version `data(ino, versions)` of its bytes (0:
    /// its initial bytes; `n`: after its `n`-th write among `recs`).
    fn build(
        &self,
        recs: &[Rec],
        keep: impl Fn(usize) -> bool,
        data: impl Fn(Ino, &[usize]) -> usize,
    ) -> Vec<Snapshot> {
        let mut dirs = self.dirs0.clone();
        let mut modes = self.modes0.clone();
        let mut versions: HashMap<Ino, Vec<usize>> = HashMap::new();
        for (i, r) in recs.iter().enumerate() {
            if let Rec::Data { ino, .. } = r {
                versions.entry(*ino).or_default().push(i);
            }
            if !r.is_meta() || !keep(i) {
                continue;
            }
            apply(&mut dirs, &mut modes, r);
        }
        let bytes = |ino: Ino| -> Vec<u8> {
            let v = versions.get(&ino).map_or(&[][..], Vec::as_slice);
            match data(ino, v) {
                0 => self
                    .data0
                    .get(&ino)
                    .map_or_else(Vec::new, |b| (**b).clone()),
                n => match &recs[v[n - 1]] {
                    Rec::Data { bytes, .. } => (**bytes).clone(),
                    _ => Vec::new(),
                },
            }
        };
        let mut out = Vec::new();
        for (_, root) in &self.roots {
            let mut snap = Snapshot::new();
            let mut seen = BTreeSet::new();
            let mut todo = vec![(".".to_owned(), *root)];
            while let Some((key, ino)) = todo.pop() {
                if !seen.insert(ino) && self.kinds[ino] == Kind::Dir {
                    continue;
                }
                let node = match self.kinds[ino] {
                    Kind::Dir => {
                        for (n, c) in dirs.get(&ino).into_iter().flatten() {
                            // The snapshot's spelling, so that a name that
                            // is not UTF-8 compares with the real tree.
                            let n = crate::snapshot::key_of(n);
                            let k = if key == "." { n } else { format!("{key}/{n}") };
                            todo.push((k, *c));
                        }
                        Node::Dir(modes[ino])
                    }
                    Kind::File => Node::File(modes[ino], bytes(ino)),
                    Kind::Link => Node::Link(self.links.get(&ino).cloned().unwrap_or_default()),
                    Kind::Other => Node::Other(modes[ino]),
                };
                snap.insert(key, node);
            }
            out.push(snap);
        }
        out
    }

    /// A short account of what `model` lost at point `k` compared with
    /// the process state there: the changes not kept, the first few.
    pub fn lost(&self, model: FsModel, k: usize, cut: usize) -> Vec<String> {
        let recs = &self.recs[..k];
        // Renames first, then bytes, then the rest: what a tool usually
        // relies on, before the lock files and staging names it made.
        let rank = |r: &Rec| match r {
            Rec::Rename { .. } => 0,
            Rec::Data { .. } => 1,
            _ => 2,
        };
        let mut out: Vec<(u8, String)> = Vec::new();
        for (i, r) in recs.iter().enumerate() {
            let kept = match model {
                FsModel::Process => true,
                FsModel::Ext4Ordered => !r.is_meta() || i < cut,
                FsModel::Synced => {
                    let by = r.synced_by();
                    !r.is_meta()
                        || recs[i + 1..].iter().any(|s| match s {
                            Rec::Sync(None) => true,
                            Rec::Sync(Some(x)) => by.contains(x),
                            _ => false,
                        })
                }
            };
            if !kept {
                let what = match (model, r) {
                    (FsModel::Ext4Ordered, _) => {
                        "the journal had not committed it (no fsync after it)"
                    }
                    (_, Rec::Mode { .. }) => "no fsync of the file follows it",
                    _ => "no fsync of its directory follows it",
                };
                out.push((
                    rank(r),
                    format!("`{}` is not durable: {what}", self.calls[i]),
                ));
            } else if let Rec::Data { ino, .. } = r {
                let synced_after = recs[i + 1..].iter().any(|s| {
                    matches!(s, Rec::Sync(None)) || matches!(s, Rec::Sync(Some(x)) if x == ino)
                });
                let is_last = !recs[i + 1..]
                    .iter()
                    .any(|s| matches!(s, Rec::Data { ino: j, .. } if j == ino));
                if model != FsModel::Process && !synced_after && is_last {
                    out.push((
                        1,
                        format!(
                            "the bytes of `{}` are not durable: the file is not fsynced after it",
                            self.calls[i]
                        ),
                    ));
                }
            }
        }
        out.sort_by_key(|(r, _)| *r);
        out.into_iter().map(|(_, l)| l).collect()
    }
}

impl Live {
    fn root_of(&self, p: &Path) -> Option<(Ino, PathBuf)> {
        let p = normal(p);
        self.rec
            .roots
            .iter()
            .find_map(|(r, ino)| p.strip_prefix(r).ok().map(|rel| (*ino, rel.to_path_buf())))
    }

    /// The inode at `p`, following no link; `Err` when a component on the
    /// way is a link (the replay does not follow them).
    fn lookup(&self, c: &Call, p: &Path) -> Result<Option<Ino>, ModelError> {
        let Some((mut at, rel)) = self.root_of(p) else {
            return Ok(None);
        };
        for comp in rel.components() {
            if self.rec.kinds[at] == Kind::Link {
                return Err(unsupported(c, "a path through a symbolic link"));
            }
            match self.dirs.get(&at).and_then(|d| d.get(comp.as_os_str())) {
                Some(i) => at = *i,
                None => return Ok(None),
            }
        }
        Ok(Some(at))
    }

    /// Refuses a path outside the trees that reaches into them anyway: one
    /// through `/proc` (`/proc/self/cwd/...`) or through a link outside
    /// (resolved as it is now).
    fn no_alias(&self, c: &Call, p: &Path) -> Result<(), ModelError> {
        if p.starts_with("/proc") {
            return Err(unsupported(c, "a path through /proc"));
        }
        let through_link = p.parent().is_some_and(|d| {
            std::fs::canonicalize(d).is_ok_and(|real| self.root_of(&real).is_some())
                || self
                    .outside_links
                    .iter()
                    .any(|(l, t)| d.starts_with(l) && self.root_of(t).is_some())
        });
        if through_link {
            return Err(unsupported(
                c,
                "a path that reaches the trees through a link outside them",
            ));
        }
        Ok(())
    }

    /// The directory and name of `p` inside the trees, `None` outside.
    fn parent(&self, c: &Call, p: &Path) -> Result<Option<(Ino, OsString)>, ModelError> {
        let p = normal(p);
        if self.root_of(&p).is_none() {
            self.no_alias(c, &p)?;
            return Ok(None);
        }
        let (Some(dir), Some(name)) = (p.parent(), p.file_name()) else {
            return Ok(None);
        };
        match self.lookup(c, dir)? {
            Some(d) if self.rec.kinds[d] == Kind::Dir => Ok(Some((d, name.to_owned()))),
            _ => Err(unsupported(c, "its directory is not in the replay")),
        }
    }

    fn push(&mut self, c: &Call, r: Rec) {
        if let Rec::Data { ino, bytes } = &r {
            self.data.insert(*ino, bytes.clone());
        }
        apply(&mut self.dirs, &mut self.modes, &r);
        self.rec.recs.push(r);
        self.rec.calls.push(c.text.chars().take(300).collect());
    }

    /// Sets (or clears) the entry `name` of `dir`: one record.
    fn set(&mut self, c: &Call, dir: Ino, name: OsString, to: Option<Ino>) {
        self.push(c, Rec::Set { dir, name, to });
    }

    fn table(&mut self, pid: u32) -> Arc<std::sync::Mutex<Table>> {
        self.tables.entry(pid).or_default().clone()
    }

    /// The open file behind descriptor `arg` of `c`'s process; one the
    /// process did not open here (inherited before the trace saw it) is
    /// taken from its path annotation.
    fn ofd(
        &mut self,
        c: &Call,
        arg: &str,
    ) -> Result<Option<Arc<std::sync::Mutex<Ofd>>>, ModelError> {
        let Some((n, path)) = trace::fd(arg) else {
            return Err(unsupported(c, "a descriptor argument without its path"));
        };
        let t = self.table(c.pid);
        if let Some(o) = t.lock().map_err(|_| unsupported(c, "poisoned"))?.get(&n) {
            return Ok(Some(o.clone()));
        }
        let Some(path) = path else {
            return Ok(None);
        };
        let p = os(&path);
        let ino = self.lookup(c, &p)?;
        let o = Arc::new(std::sync::Mutex::new(Ofd {
            ino,
            outside: ino.is_none().then_some(p),
            offset: 0,
            append: false,
        }));
        t.lock()
            .map_err(|_| unsupported(c, "poisoned"))?
            .insert(n, o.clone());
        Ok(Some(o))
    }

    fn write_at(&mut self, c: &Call, ino: Ino, off: u64, buf: &[u8]) -> Result<(), ModelError> {
        let mut b = self.data.get(&ino).map_or_else(Vec::new, |d| (**d).clone());
        self.budget(c, b.len().max(off as usize).saturating_add(buf.len()))?;
        let off = off as usize;
        if b.len() < off {
            b.resize(off, 0);
        }
        let end = off + buf.len();
        if b.len() < end {
            b.resize(end, 0);
        }
        b[off..end].copy_from_slice(buf);
        self.push(
            c,
            Rec::Data {
                ino,
                bytes: Arc::new(b),
            },
        );
        Ok(())
    }

    /// Bytes `[off, off+len)` of an open file (in the trees or outside;
    /// an outside one as it is now, which is right only when nothing
    /// traced wrote it).
    fn read_at(&self, c: &Call, o: &Ofd, off: u64, len: usize) -> Result<Vec<u8>, ModelError> {
        let all: Vec<u8> = match (o.ino, &o.outside) {
            (Some(i), _) => self.data.get(&i).map_or_else(Vec::new, |d| (**d).clone()),
            (None, Some(p)) if self.outside_written.contains(p) => {
                return Err(unsupported(
                    c,
                    "a copy from a file the tool itself wrote outside the trees (its bytes then are not known)",
                ));
            }
            (None, Some(p)) => std::fs::read(p).map_err(|e| {
                unsupported(c, format!("a copy from an outside file that is gone: {e}"))
            })?,
            _ => Vec::new(),
        };
        let s = (off as usize).min(all.len());
        Ok(all[s..(s + len).min(all.len())].to_vec())
    }

    fn arg(c: &Call, i: usize) -> Result<&str, ModelError> {
        c.args
            .get(i)
            .map(String::as_str)
            .ok_or_else(|| unsupported(c, format!("argument {i} missing")))
    }

    fn path_arg(&self, c: &Call, dirfd: Option<usize>, i: usize) -> Result<PathBuf, ModelError> {
        let (b, _) = trace::string(Live::arg(c, i)?)
            .ok_or_else(|| unsupported(c, format!("argument {i} is not a string")))?;
        match dirfd {
            Some(d) => trace::resolve(Some(Live::arg(c, d)?), &b)
                .ok_or_else(|| unsupported(c, "a relative path without a directory")),
            None => Ok(self.cwd(c.pid).join(os(&b))),
        }
    }

    fn cwd(&self, pid: u32) -> &Path {
        let owner = self.fs_owner.get(&pid).copied().unwrap_or(pid);
        self.cwds.get(&owner).unwrap_or(&self.cwd0)
    }

    fn set_cwd(&mut self, pid: u32, p: PathBuf) {
        let owner = self.fs_owner.get(&pid).copied().unwrap_or(pid);
        self.cwds.insert(owner, p);
    }

    /// Each change of a file keeps its whole bytes after it (a state may
    /// end at any change): a tool writing a large file in small pieces,
    /// or truncating one to a terabyte, would fill memory, so the replay
    /// has a budget of [`MAX_KEPT`] bytes.
    fn budget(&mut self, c: &Call, bytes: usize) -> Result<(), ModelError> {
        self.kept = self.kept.saturating_add(bytes);
        if self.kept > MAX_KEPT {
            return Err(unsupported(
                c,
                format!("the replay would keep more than {MAX_KEPT} bytes of file versions"),
            ));
        }
        Ok(())
    }

    /// A new inode holding the bytes and mode an outside file has now.
    fn outside_file(&mut self, c: &Call, from: &Path) -> Result<Ino, ModelError> {
        use std::os::unix::fs::PermissionsExt;
        if self.outside_written.contains(from) {
            return Err(unsupported(
                c,
                "a hard link to a file the tool itself wrote outside the trees (its bytes then are not known)",
            ));
        }
        let m = std::fs::symlink_metadata(from)
            .map_err(|e| unsupported(c, format!("a hard link to an outside file: {e}")))?;
        if !m.is_file() {
            return Err(unsupported(
                c,
                "a hard link to an outside entry that is not a file",
            ));
        }
        let bytes = std::fs::read(from)
            .map_err(|e| unsupported(c, format!("a hard link to an outside file: {e}")))?;
        let i = self.rec.inode(Kind::File, m.permissions().mode() & 0o7777);
        self.modes.push(self.rec.modes0[i]);
        let b = Arc::new(bytes);
        self.rec.data0.insert(i, b.clone());
        self.data.insert(i, b);
        Ok(i)
    }

    fn new_inode(&mut self, kind: Kind, mode: u32) -> Ino {
        let i = self.rec.inode(kind, mode & !self.umask & 0o7777);
        self.modes.push(self.rec.modes0[i]);
        if kind == Kind::Dir {
            self.dirs.insert(i, BTreeMap::new());
        }
        i
    }

    fn call(&mut self, c: &Call) -> Result<(), ModelError> {
        if c.name == "+++exit" {
            self.push(
                c,
                Rec::Exit {
                    pid: c.pid,
                    code: c.ret,
                },
            );
            return Ok(());
        }
        if c.ret < 0 {
            return Ok(());
        }
        match c.name.as_str() {
            "open" | "openat" | "openat2" | "creat" => self.open(c),
            "write" | "writev" | "pwrite64" | "pwritev" | "pwritev2" => {
                let Some(o) = self.ofd(c, Live::arg(c, 0)?)? else {
                    return Ok(());
                };
                let (buf, _) = if c.name.ends_with('v') || c.name == "pwritev2" {
                    trace::iovecs(Live::arg(c, 1)?)
                } else {
                    trace::string(Live::arg(c, 1)?)
                }
                .ok_or_else(|| unsupported(c, "the bytes written"))?;
                let buf = &buf[..(c.ret as usize).min(buf.len())];
                let mut g = o.lock().map_err(|_| unsupported(c, "poisoned"))?;
                let Some(ino) = g.ino else {
                    return Ok(());
                };
                let off = if c.name.starts_with('p') {
                    trace::number(Live::arg(c, 3)?).unwrap_or(0) as u64
                } else if g.append {
                    self.data.get(&ino).map_or(0, |d| d.len() as u64)
                } else {
                    g.offset
                };
                if !c.name.starts_with('p') {
                    g.offset = off + buf.len() as u64;
                }
                drop(g);
                self.write_at(c, ino, off, buf)?;
                Ok(())
            }
            "sendfile" | "copy_file_range" => {
                let (out_i, in_i, in_off_i, out_off_i) = if c.name == "sendfile" {
                    (0, 1, Some(2), None)
                } else {
                    (2, 0, Some(1), Some(3))
                };
                let (Some(out), Some(inp)) = (
                    self.ofd(c, Live::arg(c, out_i)?)?,
                    self.ofd(c, Live::arg(c, in_i)?)?,
                ) else {
                    return Ok(());
                };
                let n = c.ret as usize;
                let explicit = |i: Option<usize>| -> Result<Option<u64>, ModelError> {
                    Ok(match i {
                        Some(i) if Live::arg(c, i)? != "NULL" => {
                            trace::number(Live::arg(c, i)?).map(|v| v as u64)
                        }
                        _ => None,
                    })
                };
                let in_off = explicit(in_off_i)?;
                let out_off = explicit(out_off_i)?;
                let src = {
                    let mut g = inp.lock().map_err(|_| unsupported(c, "poisoned"))?;
                    let off = in_off.unwrap_or(g.offset);
                    if in_off.is_none() {
                        g.offset += n as u64;
                    }
                    let o = g.clone();
                    drop(g);
                    self.read_at(c, &o, off, n)?
                };
                let mut g = out.lock().map_err(|_| unsupported(c, "poisoned"))?;
                let Some(ino) = g.ino else {
                    return Ok(());
                };
                let off = out_off.unwrap_or(g.offset);
                if out_off.is_none() {
                    g.offset += n as u64;
                }
                drop(g);
                self.write_at(c, ino, off, &src)?;
                Ok(())
            }
            "ftruncate" | "truncate" => {
                let ino = if c.name == "ftruncate" {
                    self.ofd(c, Live::arg(c, 0)?)?
                        .and_then(|o| o.lock().ok()?.ino)
                } else {
                    self.lookup(c, &self.path_arg(c, None, 0)?)?
                };
                let Some(ino) = ino else { return Ok(()) };
                let len = trace::number(Live::arg(c, 1)?).unwrap_or(0).max(0) as usize;
                self.budget(c, len)?;
                let mut b = self.data.get(&ino).map_or_else(Vec::new, |d| (**d).clone());
                b.resize(len, 0);
                self.push(
                    c,
                    Rec::Data {
                        ino,
                        bytes: Arc::new(b),
                    },
                );
                Ok(())
            }
            "lseek" => {
                if let Some(o) = self.ofd(c, Live::arg(c, 0)?)? {
                    o.lock().map_err(|_| unsupported(c, "poisoned"))?.offset = c.ret as u64;
                }
                Ok(())
            }
            "close" => {
                if let Some((n, _)) = trace::fd(Live::arg(c, 0)?) {
                    let t = self.table(c.pid);
                    t.lock().map_err(|_| unsupported(c, "poisoned"))?.remove(&n);
                }
                Ok(())
            }
            "dup" | "dup2" | "dup3" | "fcntl" => {
                if c.name == "fcntl" && Live::arg(c, 1)? == "F_SETFL" {
                    if let Some(o) = self.ofd(c, Live::arg(c, 0)?)? {
                        o.lock().map_err(|_| unsupported(c, "poisoned"))?.append =
                            Live::arg(c, 2)?.contains("O_APPEND");
                    }
                    return Ok(());
                }
                if c.name == "fcntl" && !Live::arg(c, 1)?.starts_with("F_DUPFD") {
                    return Ok(());
                }
                if let Some(o) = self.ofd(c, Live::arg(c, 0)?)? {
                    let t = self.table(c.pid);
                    t.lock()
                        .map_err(|_| unsupported(c, "poisoned"))?
                        .insert(c.ret, o);
                }
                Ok(())
            }
            "clone" | "clone3" | "fork" | "vfork" => {
                let child = c.ret as u32;
                let parent = self.table(c.pid);
                let t = if c.args.iter().any(|a| a.contains("CLONE_FILES")) {
                    parent
                } else {
                    let copy = parent
                        .lock()
                        .map_err(|_| unsupported(c, "poisoned"))?
                        .clone();
                    Arc::new(std::sync::Mutex::new(copy))
                };
                self.tables.insert(child, t);
                if c.args.iter().any(|a| a.contains("CLONE_FS")) {
                    let owner = self.fs_owner.get(&c.pid).copied().unwrap_or(c.pid);
                    self.fs_owner.insert(child, owner);
                } else {
                    let cwd = self.cwd(c.pid).to_path_buf();
                    self.cwds.insert(child, cwd);
                }
                Ok(())
            }
            "chdir" => {
                let p = normal(&self.path_arg(c, None, 0)?);
                self.set_cwd(c.pid, p);
                Ok(())
            }
            "fchdir" => {
                if let Some((_, Some(p))) = trace::fd(Live::arg(c, 0)?) {
                    self.set_cwd(c.pid, os(&p));
                }
                Ok(())
            }
            "rename" | "renameat" | "renameat2" => {
                let (from, to) = if c.name == "rename" {
                    (self.path_arg(c, None, 0)?, self.path_arg(c, None, 1)?)
                } else {
                    (self.path_arg(c, Some(0), 1)?, self.path_arg(c, Some(2), 3)?)
                };
                let exchange = c.args.get(4).is_some_and(|f| f.contains("RENAME_EXCHANGE"));
                let (f, t) = (self.parent(c, &from)?, self.parent(c, &to)?);
                let (f, t) = match (f, t) {
                    (None, None) => return Ok(()),
                    (Some(f), Some(t)) => (f, t),
                    _ => return Err(unsupported(c, "a rename into or out of the project")),
                };
                let Some(ino) = self.dirs.get(&f.0).and_then(|d| d.get(&f.1)).copied() else {
                    return Err(unsupported(c, "its source is not in the replay"));
                };
                let old = self.dirs.get(&t.0).and_then(|d| d.get(&t.1)).copied();
                if old == Some(ino) {
                    return Ok(()); // two names of one inode: nothing moves
                }
                let (swap, replaced) = if exchange { (old, None) } else { (None, old) };
                self.push(
                    c,
                    Rec::Rename {
                        from: f,
                        to: t,
                        ino,
                        swap,
                        replaced,
                    },
                );
                Ok(())
            }
            "link" | "linkat" => {
                let (from, to) = if c.name == "link" {
                    (self.path_arg(c, None, 0)?, self.path_arg(c, None, 1)?)
                } else {
                    (self.path_arg(c, Some(0), 1)?, self.path_arg(c, Some(2), 3)?)
                };
                let Some((dir, name)) = self.parent(c, &to)? else {
                    return Ok(());
                };
                let ino = match self.lookup(c, &from)? {
                    Some(i) => i,
                    // A link to a file outside the trees (git's local
                    // clone links the wiki's objects): nothing writes it
                    // there, so it is a file with the bytes it has now.
                    None => self.outside_file(c, &from)?,
                };
                self.set(c, dir, name, Some(ino));
                Ok(())
            }
            "symlink" | "symlinkat" => {
                let (target, _) = trace::string(Live::arg(c, 0)?)
                    .ok_or_else(|| unsupported(c, "the link's target"))?;
                let path = if c.name == "symlink" {
                    self.path_arg(c, None, 1)?
                } else {
                    self.path_arg(c, Some(1), 2)?
                };
                let Some((dir, name)) = self.parent(c, &path)? else {
                    let base = path.parent().unwrap_or(Path::new("/")).to_path_buf();
                    self.outside_links
                        .push((normal(&path), normal(&base.join(os(&target)))));
                    return Ok(());
                };
                let ino = self.new_inode(Kind::Link, 0o777);
                self.rec.modes0[ino] = 0o777;
                self.modes[ino] = 0o777;
                self.rec.links.insert(ino, os(&target));
                self.set(c, dir, name, Some(ino));
                Ok(())
            }
            "unlink" | "unlinkat" | "rmdir" => {
                let path = if c.name == "unlinkat" {
                    self.path_arg(c, Some(0), 1)?
                } else {
                    self.path_arg(c, None, 0)?
                };
                let Some((dir, name)) = self.parent(c, &path)? else {
                    return Ok(());
                };
                self.set(c, dir, name, None);
                Ok(())
            }
            // A directory, or a FIFO, socket or device node (an entry of
            // its own kind).
            "mkdir" | "mkdirat" | "mknod" | "mknodat" => {
                let (path, mode) = if c.name.ends_with("at") {
                    (self.path_arg(c, Some(0), 1)?, Live::arg(c, 2)?)
                } else {
                    (self.path_arg(c, None, 0)?, Live::arg(c, 1)?)
                };
                let Some((dir, name)) = self.parent(c, &path)? else {
                    return Ok(());
                };
                let (kind, bits) = if c.name.starts_with("mkdir") {
                    (Kind::Dir, trace::number(mode).unwrap_or(0o777))
                } else {
                    (
                        Kind::Other,
                        mode.split('|').find_map(trace::number).unwrap_or(0o644),
                    )
                };
                let ino = self.new_inode(kind, bits as u32);
                self.set(c, dir, name, Some(ino));
                Ok(())
            }
            "fsync" | "fdatasync" => {
                let ino = self
                    .ofd(c, Live::arg(c, 0)?)?
                    .and_then(|o| o.lock().ok()?.ino);
                if let Some(ino) = ino {
                    self.push(c, Rec::Sync(Some(ino)));
                }
                Ok(())
            }
            "sync" => {
                self.push(c, Rec::Sync(None));
                Ok(())
            }
            "syncfs" => {
                // Only a file system the trees are on: a syncfs of /proc
                // or another mount makes nothing here durable.
                let inside = trace::fd(Live::arg(c, 0)?)
                    .and_then(|(_, p)| p)
                    .is_some_and(|p| self.root_of(&os(&p)).is_some());
                if inside {
                    self.push(c, Rec::Sync(None));
                }
                Ok(())
            }
            "close_range" => {
                let (lo, hi) = (
                    trace::number(Live::arg(c, 0)?).unwrap_or(0),
                    trace::number(Live::arg(c, 1)?).unwrap_or(i64::MAX),
                );
                let t = self.table(c.pid);
                t.lock()
                    .map_err(|_| unsupported(c, "poisoned"))?
                    .retain(|fd, _| *fd < lo || *fd > hi);
                Ok(())
            }
            "fallocate" => {
                let Some(o) = self.ofd(c, Live::arg(c, 0)?)? else {
                    return Ok(());
                };
                let Some(ino) = o.lock().map_err(|_| unsupported(c, "poisoned"))?.ino else {
                    return Ok(());
                };
                let flags = Live::arg(c, 1)?;
                let off = trace::number(Live::arg(c, 2)?).unwrap_or(0).max(0) as usize;
                let len = trace::number(Live::arg(c, 3)?).unwrap_or(0).max(0) as usize;
                self.budget(c, off.saturating_add(len))?;
                let mut b = self.data.get(&ino).map_or_else(Vec::new, |d| (**d).clone());
                let end = off.saturating_add(len);
                if flags.contains("PUNCH_HOLE") || flags.contains("ZERO_RANGE") {
                    let stop = end.min(b.len());
                    if off < stop {
                        b[off..stop].fill(0);
                    }
                    if flags.contains("ZERO_RANGE") && !flags.contains("KEEP_SIZE") && b.len() < end
                    {
                        b.resize(end, 0);
                    }
                } else if !flags.contains("KEEP_SIZE") && b.len() < end {
                    b.resize(end, 0);
                }
                self.push(
                    c,
                    Rec::Data {
                        ino,
                        bytes: Arc::new(b),
                    },
                );
                Ok(())
            }
            "fchmod" | "chmod" | "fchmodat" => {
                let (ino, mode) = match c.name.as_str() {
                    "fchmod" => (
                        self.ofd(c, Live::arg(c, 0)?)?
                            .and_then(|o| o.lock().ok()?.ino),
                        Live::arg(c, 1)?,
                    ),
                    "chmod" => (
                        self.lookup(c, &self.path_arg(c, None, 0)?)?,
                        Live::arg(c, 1)?,
                    ),
                    _ => (
                        self.lookup(c, &self.path_arg(c, Some(0), 1)?)?,
                        Live::arg(c, 2)?,
                    ),
                };
                if let Some(ino) = ino {
                    let mode = trace::number(mode).unwrap_or(0) as u32 & 0o7777;
                    self.push(c, Rec::Mode { ino, mode });
                }
                Ok(())
            }
            "mmap" => {
                let shared_write = c.args.iter().any(|a| a.contains("PROT_WRITE"))
                    && c.args.iter().any(|a| a.contains("MAP_SHARED"));
                if shared_write
                    && let Some(a) = c.args.get(4)
                    && let Some(o) = self.ofd(c, a)?
                    && o.lock()
                        .map_err(|_| unsupported(c, "poisoned"))?
                        .ino
                        .is_some()
                {
                    return Err(ModelError::Mapped(c.text.chars().take(300).collect()));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn open(&mut self, c: &Call) -> Result<(), ModelError> {
        let flags = match c.name.as_str() {
            "creat" => "O_WRONLY|O_CREAT|O_TRUNC",
            "open" => Live::arg(c, 1)?,
            _ => Live::arg(c, 2)?,
        };
        if flags.contains("O_TMPFILE") {
            // An unnamed file in the trees (linked in later) is not
            // followed; one elsewhere is none of their business.
            let dir = match c.name.as_str() {
                "open" => self.path_arg(c, None, 0)?,
                _ => self.path_arg(c, Some(0), 1)?,
            };
            if self.root_of(&dir).is_some() {
                return Err(unsupported(c, "O_TMPFILE in the trees"));
            }
            return Ok(());
        }
        let mode = match c.name.as_str() {
            "creat" => c.args.get(1).and_then(|m| trace::number(m)),
            "open" => c.args.get(2).and_then(|m| trace::number(m)),
            // openat2's `{flags=..., mode=0644, resolve=...}`.
            "openat2" => flags
                .split(['{', '}', ','])
                .find_map(|f| f.trim().strip_prefix("mode=").and_then(trace::number)),
            _ => c.args.get(3).and_then(|m| trace::number(m)),
        }
        .unwrap_or(0o666) as u32;
        let path = match &c.ret_path {
            Some(p) => os(p),
            None => return Ok(()),
        };
        let mut ino = self.lookup(c, &path)?;
        if ino.is_none()
            && flags.contains("O_CREAT")
            && let Some((dir, name)) = self.parent(c, &path)?
        {
            let i = self.new_inode(Kind::File, mode);
            self.set(c, dir, name, Some(i));
            ino = Some(i);
        }
        if let Some(i) = ino
            && flags.contains("O_TRUNC")
            && self.rec.kinds[i] == Kind::File
            && self.data.get(&i).is_some_and(|d| !d.is_empty())
        {
            self.push(
                c,
                Rec::Data {
                    ino: i,
                    bytes: Arc::new(Vec::new()),
                },
            );
        }
        if ino.is_none()
            && ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC"]
                .iter()
                .any(|f| flags.contains(f))
        {
            self.outside_written.insert(path.clone());
        }
        let o = Ofd {
            ino,
            outside: ino.is_none().then_some(path),
            offset: 0,
            append: flags.contains("O_APPEND"),
        };
        let t = self.table(c.pid);
        t.lock()
            .map_err(|_| unsupported(c, "poisoned"))?
            .insert(c.ret, Arc::new(std::sync::Mutex::new(o)));
        Ok(())
    }
}

/// Applies a directory or mode change to `dirs` and `modes` (data and
/// the rest are not theirs): the one place both the live replay and each
/// crash state change a tree. A rename takes the source entry only while
/// it still names the inode moved (a subset of changes may have replaced
/// it).
fn apply(dirs: &mut HashMap<Ino, BTreeMap<OsString, Ino>>, modes: &mut [u32], r: &Rec) {
    match r {
        Rec::Set { dir, name, to } => {
            let d = dirs.entry(*dir).or_default();
            match to {
                Some(t) => d.insert(name.clone(), *t),
                None => d.remove(name),
            };
        }
        Rec::Rename {
            from,
            to,
            ino,
            swap,
            ..
        } => {
            let f = dirs.entry(from.0).or_default();
            if f.get(&from.1) == Some(ino) {
                f.remove(&from.1);
            }
            if let Some(s) = swap {
                f.insert(from.1.clone(), *s);
            }
            dirs.entry(to.0).or_default().insert(to.1.clone(), *ino);
        }
        Rec::Mode { ino, mode } => modes[*ino] = *mode,
        _ => {}
    }
}

/// The harness's umask (what the tool inherits), from `/proc/self/status`.
pub fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0o022)
}

/// Merges the calls of several traces (one per process started) by
/// start time, each trace's own order kept.
pub fn merge(traces: Vec<Vec<Call>>) -> Vec<Call> {
    let mut its: Vec<_> = traces
        .into_iter()
        .map(|t| t.into_iter().peekable())
        .collect();
    let mut out = Vec::new();
    loop {
        let next = its
            .iter_mut()
            .enumerate()
            .filter_map(|(i, it)| it.peek().map(|c| (c.t_us, i)))
            .min();
        match next {
            Some((_, i)) => out.extend(its[i].next()),
            None => return out,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> String {
        s.bytes().map(|b| format!("\\x{b:02x}")).collect()
    }

    /// A trace of: mkdir p/d; create p/d/t; write "x"; fsync it; rename
    /// to p/d/f; fsync p/d; and, when `sync_root`, fsync p.
    fn install_trace(sync_root: bool) -> Vec<Call> {
        let (p, d, t, f) = (hex("/p"), hex("/p/d"), hex("/p/d/t"), hex("/p/d/f"));
        let mut s = format!(
            "1 1.000001 mkdir(\"{d}\", 0777) = 0\n\
             1 1.000002 openat(AT_FDCWD<{p}>, \"{t}\", O_WRONLY|O_CREAT|O_EXCL, 0644) = 3<{t}>\n\
             1 1.000003 write(3<{t}>, \"{x}\", 1) = 1\n\
             1 1.000004 fsync(3<{t}>) = 0\n\
             1 1.000005 rename(\"{t}\", \"{f}\") = 0\n\
             1 1.000006 openat(AT_FDCWD<{p}>, \"{d}\", O_RDONLY|O_DIRECTORY) = 4<{d}>\n\
             1 1.000007 fsync(4<{d}>) = 0\n",
            x = hex("x")
        );
        if sync_root {
            s.push_str(&format!(
                "1 1.000008 openat(AT_FDCWD<{p}>, \"{p}\", O_RDONLY|O_DIRECTORY) = 5<{p}>\n\
                 1 1.000009 fsync(5<{p}>) = 0\n"
            ));
        }
        s.push_str("1 1.000010 +++ exited with 0 +++\n");
        trace::parse(&s).unwrap()
    }

    fn recording(sync_root: bool) -> Recording {
        let mut root = Snapshot::new();
        root.insert(".".into(), Node::Dir(0o755));
        Recording::new(&[(PathBuf::from("/p"), &root)])
            .unwrap()
            .replay(&install_trace(sync_root), 0o022, Path::new("/p"))
            .unwrap()
    }

    fn keys(t: &Snapshot) -> Vec<&str> {
        t.keys().map(String::as_str).collect()
    }

    fn replay(t: &str) -> Result<Recording, ModelError> {
        let mut root = Snapshot::new();
        root.insert(".".into(), Node::Dir(0o755));
        root.insert("m".into(), Node::File(0o644, b"old".to_vec()));
        Recording::new(&[(PathBuf::from("/p"), &root)])?.replay(
            &trace::parse(t)?,
            0o022,
            Path::new("/p"),
        )
    }

    #[test]
    fn appends_in_a_row_are_one_crash_point_a_truncation_is_its_own() {
        let (m, x) = (hex("/p/m"), |s: &str| hex(s));
        let t = format!(
            "1 1.1 openat(AT_FDCWD<{p}>, \"{m}\", O_WRONLY|O_TRUNC) = 3<{m}>\n\
             1 1.2 write(3<{m}>, \"{a}\", 1) = 1\n\
             1 1.3 write(3<{m}>, \"{b}\", 1) = 1\n\
             1 1.4 write(3<{m}>, \"{c}\", 1) = 1\n",
            p = hex("/p"),
            a = x("a"),
            b = x("b"),
            c = x("c")
        );
        let r = replay(&t).unwrap();
        // Records: truncate, a, ab, abc. The point after the truncation
        // (an empty file) and after the first write stay; the one between
        // two extensions of a non-empty file goes.
        assert_eq!(r.recs.len(), 4);
        let skipped: Vec<usize> = r.points().filter(|&k| r.inside_a_write_run(k)).collect();
        assert_eq!(skipped, [3]);
        let after_trunc = &r.state(FsModel::Process, 1, 1)[0];
        assert_eq!(after_trunc["m"], Node::File(0o644, Vec::new()));
    }

    #[test]
    fn a_terabyte_truncate_is_refused_not_allocated() {
        let m = hex("/p/m");
        let t = format!(
            "1 1.1 openat(AT_FDCWD<{p}>, \"{m}\", O_WRONLY) = 3<{m}>\n\
             1 1.2 ftruncate(3<{m}>, 1099511627776) = 0\n",
            p = hex("/p")
        );
        let e = replay(&t).unwrap_err().to_string();
        assert!(e.contains("more than"), "{e}");
    }

    #[test]
    fn the_process_model_keeps_everything_before_the_point() {
        let r = recording(false);
        let end = &r.states(FsModel::Process, r.recs.len())[0].1[0];
        assert_eq!(keys(end), [".", "d", "d/f"]);
        assert_eq!(end["d/f"], Node::File(0o644, b"x".to_vec()));
        // Before the rename: the temporary name, bytes written.
        let k = r
            .recs
            .iter()
            .position(|x| matches!(x, Rec::Rename { .. }))
            .unwrap();
        assert_eq!(
            keys(&r.states(FsModel::Process, k)[0].1[0]),
            [".", "d", "d/t"]
        );
    }

    #[test]
    fn synced_loses_a_directory_whose_parent_was_never_fsynced() {
        // The negative control of the next test: only the fsync of /p
        // differs.
        let r = recording(false);
        let end = &r.states(FsModel::Synced, r.recs.len())[0].1[0];
        assert_eq!(keys(end), ["."]);
        assert!(r.lost(FsModel::Synced, r.recs.len(), 0)[0].contains("mkdir"));
    }

    #[test]
    fn synced_keeps_what_each_directory_fsync_made_durable() {
        let r = recording(true);
        let end = &r.states(FsModel::Synced, r.recs.len())[0].1[0];
        assert_eq!(keys(end), [".", "d", "d/f"]);
        assert_eq!(end["d/f"], Node::File(0o644, b"x".to_vec()));
    }

    #[test]
    fn ext4_gives_every_journal_prefix_after_the_last_fsync() {
        let r = recording(false);
        // At the end the last fsync (of d) committed everything: one state.
        let s = r.states(FsModel::Ext4Ordered, r.recs.len());
        assert_eq!(s.len(), 1);
        assert_eq!(keys(&s[0].1[0]), [".", "d", "d/f"]);
        // Before the file's fsync: d and t may or may not be there, and
        // t's bytes are not (delayed allocation).
        let k = r
            .recs
            .iter()
            .position(|x| matches!(x, Rec::Sync(_)))
            .unwrap();
        let s = r.states(FsModel::Ext4Ordered, k);
        let all: Vec<Vec<&str>> = s.iter().map(|(_, t)| keys(&t[0])).collect();
        assert!(all.contains(&vec!["."]), "{all:?}");
        assert!(all.contains(&vec![".", "d", "d/t"]), "{all:?}");
        let last = &s.last().unwrap().1[0];
        assert_eq!(last["d/t"], Node::File(0o644, Vec::new()));
    }
}
