//! Test support shared by the integration-test crates: real git wikis and
//! projects in temporary directories, a builder for the `assetpin`
//! command, file-tree snapshots, and access to the peer (`mm`).
//!
//! Include with `#[path = "../support/mod.rs"] mod support;`.
#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fmt;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use tempfile::TempDir;

/// A `git` command with a fixed identity and no user or system config, so
/// the machine's git setup cannot change what a test sees.
pub fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_DATE", "2024-01-02T03:04:05Z")
        .env("GIT_COMMITTER_DATE", "2024-01-02T03:04:05Z")
        .args([
            "-c",
            "user.name=assetpin tests",
            "-c",
            "user.email=tests@assetpin.invalid",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "protocol.file.allow=always",
        ])
        .stdin(Stdio::null());
    c
}

/// Runs `git args` in `dir`, panicking with its stderr when it fails, and
/// returns its stdout without the trailing newline.
pub fn run_git<I, S>(dir: &Path, args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut c = git(dir);
    c.args(args);
    let out = c.output().expect("cannot run git");
    assert!(
        out.status.success(),
        "{c:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("git output is UTF-8")
        .trim_end()
        .to_owned()
}

fn write_file(path: &Path, bytes: &[u8], mode: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A git wiki in a temporary directory.
pub struct Wiki {
    dir: TempDir,
    gitlinks: RefCell<Vec<(String, String)>>,
}

impl Default for Wiki {
    fn default() -> Self {
        Self::new()
    }
}

impl Wiki {
    /// `git init` in a fresh temporary directory (no commit yet).
    pub fn new() -> Wiki {
        let dir = tempfile::Builder::new()
            .prefix("assetpin-wiki-")
            .tempdir()
            .unwrap();
        run_git(dir.path(), ["init", "-q"]);
        Wiki {
            dir,
            gitlinks: RefCell::new(Vec::new()),
        }
    }

    /// A wiki with one commit holding a one-file skill per name.
    pub fn with_skills(names: &[&str]) -> Wiki {
        let w = Wiki::new();
        for n in names {
            w.skill(n);
        }
        w.commit("skills");
        w
    }

    /// The work tree.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `bytes` at `rel` (mode 0644), creating parent directories.
    pub fn file(&self, rel: &str, bytes: impl AsRef<[u8]>) -> &Self {
        write_file(&self.path().join(rel), bytes.as_ref(), 0o644);
        self
    }

    /// Writes an executable file (mode 0755) at `rel`.
    pub fn exec_file(&self, rel: &str, bytes: impl AsRef<[u8]>) -> &Self {
        write_file(&self.path().join(rel), bytes.as_ref(), 0o755);
        self
    }

    /// A skill `skills/<name>/SKILL.md` whose text names it.
    pub fn skill(&self, name: &str) -> &Self {
        self.file(
            &format!("skills/{name}/SKILL.md"),
            format!("# {name}\n\nA skill.\n"),
        )
    }

    /// Creates a symbolic link at `rel` pointing to `target`.
    pub fn symlink(&self, rel: &str, target: &str) -> &Self {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        symlink(target, p).unwrap();
        self
    }

    /// Removes the file, link or directory tree at `rel`.
    pub fn remove(&self, rel: &str) -> &Self {
        let p = self.path().join(rel);
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(&p).unwrap(),
            Ok(_) => std::fs::remove_file(&p).unwrap(),
            Err(e) => panic!("remove {}: {e}", p.display()),
        }
        self
    }

    /// Writes the wiki's top-level `.gitignore`.
    pub fn gitignore(&self, lines: &[&str]) -> &Self {
        let mut text = lines.join("\n");
        text.push('\n');
        self.file(".gitignore", text)
    }

    /// Records a submodule (a gitlink, mode 160000) at `rel` pointing to
    /// commit `id`, without any work tree for it. It stays in every
    /// following commit.
    pub fn gitlink(&self, rel: &str, id: &str) -> &Self {
        self.gitlinks
            .borrow_mut()
            .push((rel.to_owned(), id.to_owned()));
        self
    }

    /// Stages everything (`git add -A`, plus the gitlinks) and commits.
    /// Returns the new commit's full id.
    pub fn commit(&self, msg: &str) -> String {
        run_git(self.path(), ["add", "-A"]);
        for (rel, id) in self.gitlinks.borrow().iter() {
            run_git(
                self.path(),
                [
                    "update-index",
                    "--add",
                    "--cacheinfo",
                    &format!("160000,{id},{rel}"),
                ],
            );
        }
        run_git(self.path(), ["commit", "-q", "--allow-empty", "-m", msg]);
        self.head()
    }

    /// The full id of HEAD.
    pub fn head(&self) -> String {
        run_git(self.path(), ["rev-parse", "HEAD"])
    }

    /// Runs `git args` in the wiki and returns stdout.
    pub fn git(&self, args: &[&str]) -> String {
        run_git(self.path(), args)
    }

    /// The bytes of `rel` at HEAD, as git stores them.
    pub fn committed(&self, rel: &str) -> Vec<u8> {
        let out = git(self.path())
            .args(["cat-file", "blob", &format!("HEAD:{rel}")])
            .output()
            .unwrap();
        assert!(out.status.success(), "no {rel} at HEAD");
        out.stdout
    }
}

/// A project: a temporary directory holding `project/` (with a `.git`
/// directory), `home/` (the `HOME` the tools run with) and `outside/` (a
/// directory outside the project, as a target for planted links).
pub struct Project {
    root: TempDir,
}

impl Default for Project {
    fn default() -> Self {
        Self::new()
    }
}

/// The lockfile section of a CLI type: `skill` -> `skills`.
pub fn section(ty: &str) -> &'static str {
    match ty {
        "skill" | "skills" => "skills",
        "agent" | "agents" => "agents",
        "command" | "commands" => "commands",
        other => panic!("unknown asset type {other}"),
    }
}

impl Project {
    /// A fresh project with an empty `.git` directory and no `.memtomem`.
    pub fn new() -> Project {
        let root = tempfile::Builder::new()
            .prefix("assetpin-project-")
            .tempdir()
            .unwrap();
        for d in ["project/.git", "home", "outside"] {
            std::fs::create_dir_all(root.path().join(d)).unwrap();
        }
        Project { root }
    }

    /// The project root.
    pub fn path(&self) -> PathBuf {
        self.root.path().join("project")
    }

    /// The temporary directory holding the project, its HOME and `outside/`.
    pub fn parent(&self) -> &Path {
        self.root.path()
    }

    /// The `HOME` the tools run with.
    pub fn home(&self) -> PathBuf {
        self.root.path().join("home")
    }

    /// A directory outside the project.
    pub fn outside(&self) -> PathBuf {
        self.root.path().join("outside")
    }

    /// `<project>/.memtomem`.
    pub fn memtomem(&self) -> PathBuf {
        self.path().join(".memtomem")
    }

    /// `<project>/.memtomem/lock.json`.
    pub fn lockfile_path(&self) -> PathBuf {
        self.memtomem().join("lock.json")
    }

    /// The lockfile's bytes (panics when it does not exist).
    pub fn lockfile(&self) -> Vec<u8> {
        std::fs::read(self.lockfile_path())
            .unwrap_or_else(|e| panic!("read {}: {e}", self.lockfile_path().display()))
    }

    /// Writes the lockfile's bytes (creating `.memtomem`).
    pub fn write_lockfile(&self, bytes: impl AsRef<[u8]>) {
        std::fs::create_dir_all(self.memtomem()).unwrap();
        std::fs::write(self.lockfile_path(), bytes).unwrap();
    }

    /// The lockfile parsed (key order kept).
    pub fn lockfile_json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.lockfile()).expect("lockfile is JSON")
    }

    /// The lockfile entry of `(ty, name)` (panics when absent).
    pub fn entry(&self, ty: &str, name: &str) -> serde_json::Value {
        self.lockfile_json()[section(ty)][name].clone()
    }

    /// Dest of `(ty, name)`: `<project>/.memtomem/<section>/<name>`.
    pub fn dest(&self, ty: &str, name: &str) -> PathBuf {
        self.memtomem().join(section(ty)).join(name)
    }
}

/// The `assetpin` binary built for this test run.
pub fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("assetpin")
}

/// `assetpin --project <project> --wiki <wiki>` as a std command, with the
/// project's HOME and without `MEMTOMEM_WIKI_PATH`.
pub fn assetpin_std(project: &Project, wiki: &Wiki) -> Command {
    assetpin_at(&project.home(), &project.path(), wiki.path())
}

/// `assetpin --project <project> --wiki <wiki>` with `home` as HOME.
pub fn assetpin_at(home: &Path, project: &Path, wiki: &Path) -> Command {
    let mut c = Command::new(bin());
    c.env("HOME", home)
        .env_remove("MEMTOMEM_WIKI_PATH")
        .stdin(Stdio::null())
        .arg("--project")
        .arg(project)
        .arg("--wiki")
        .arg(wiki);
    c
}

/// `assetpin --project <project> --wiki <wiki>` for assertions.
pub fn assetpin(project: &Project, wiki: &Wiki) -> assert_cmd::Command {
    assert_cmd::Command::from_std(assetpin_std(project, wiki))
}

/// `assetpin` run by `sh` after `umask <mask>`.
pub fn assetpin_umask(project: &Project, wiki: &Wiki, mask: &str) -> assert_cmd::Command {
    let mut c = Command::new("sh");
    c.env("HOME", project.home())
        .env_remove("MEMTOMEM_WIKI_PATH")
        .stdin(Stdio::null())
        .arg("-c")
        .arg(format!("umask {mask}; exec \"$0\" \"$@\""))
        .arg(bin())
        .arg("--project")
        .arg(project.path())
        .arg("--wiki")
        .arg(wiki.path());
    assert_cmd::Command::from_std(c)
}

/// The first line of `stderr`.
pub fn first_line(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// File mode bits (`& 0o7777`) of `path`, not following a link.
pub fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

/// The sorted names in directory `dir`.
pub fn ls(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read dir {}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// What a snapshot records for one path.
#[derive(Clone, PartialEq, Eq)]
pub enum Node {
    /// A regular file: mode and bytes.
    File(u32, Vec<u8>),
    /// A directory: mode.
    Dir(u32),
    /// A symbolic link: its target (never followed).
    Symlink(PathBuf),
    /// Anything else: mode.
    Other(u32),
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::File(m, b) => {
                let text = String::from_utf8_lossy(b);
                let shown: String = text.chars().take(80).collect();
                write!(
                    f,
                    "file {m:04o} {} bytes sha256:{} {:?}{}",
                    b.len(),
                    &sha256(b)[..12],
                    shown,
                    if text.chars().count() > 80 { "..." } else { "" }
                )
            }
            Node::Dir(m) => write!(f, "dir  {m:04o}"),
            Node::Symlink(t) => write!(f, "link -> {}", t.display()),
            Node::Other(m) => write!(f, "other {m:04o}"),
        }
    }
}

/// A directory tree: relative path (`.` for the root) to [`Node`], read
/// without following links. Compare two with `assert_eq!`; the Debug
/// output is one line per path so a failing comparison reads as a diff.
#[derive(Clone, PartialEq, Eq)]
pub struct Snapshot(pub BTreeMap<String, Node>);

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Snapshot {{")?;
        for (p, n) in &self.0 {
            writeln!(f, "  {p}: {n:?}")?;
        }
        write!(f, "}}")
    }
}

impl Snapshot {
    /// The paths, in order.
    pub fn paths(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }

    /// Lines `- path: old` / `+ path: new` for every path that differs.
    pub fn diff(&self, after: &Snapshot) -> String {
        let mut out = String::new();
        let keys: std::collections::BTreeSet<&String> =
            self.0.keys().chain(after.0.keys()).collect();
        for k in keys {
            match (self.0.get(k), after.0.get(k)) {
                (Some(a), Some(b)) if a == b => {}
                (a, b) => {
                    if let Some(a) = a {
                        out.push_str(&format!("- {k}: {a:?}\n"));
                    }
                    if let Some(b) = b {
                        out.push_str(&format!("+ {k}: {b:?}\n"));
                    }
                }
            }
        }
        out
    }
}

/// Snapshot of `dir` (which may be missing: an empty snapshot).
pub fn snapshot(dir: impl AsRef<Path>) -> Snapshot {
    fn walk(root: &Path, rel: &str, out: &mut BTreeMap<String, Node>) {
        let path = if rel == "." {
            root.to_owned()
        } else {
            root.join(rel)
        };
        let Ok(md) = std::fs::symlink_metadata(&path) else {
            return;
        };
        let m = md.permissions().mode() & 0o7777;
        let ft = md.file_type();
        if ft.is_symlink() {
            out.insert(
                rel.to_owned(),
                Node::Symlink(std::fs::read_link(&path).unwrap()),
            );
        } else if ft.is_file() {
            let bytes = std::fs::read(&path)
                .unwrap_or_else(|e| panic!("snapshot: read {}: {e}", path.display()));
            out.insert(rel.to_owned(), Node::File(m, bytes));
        } else if ft.is_dir() {
            out.insert(rel.to_owned(), Node::Dir(m));
            let mut names: Vec<String> = std::fs::read_dir(&path)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            for n in names {
                let child = if rel == "." { n } else { format!("{rel}/{n}") };
                walk(root, &child, out);
            }
        } else {
            out.insert(rel.to_owned(), Node::Other(m));
        }
    }
    let mut out = BTreeMap::new();
    walk(dir.as_ref(), ".", &mut out);
    Snapshot(out)
}

/// Asserts two snapshots are equal, printing only the paths that differ.
#[track_caller]
pub fn assert_same(before: &Snapshot, after: &Snapshot, what: &str) {
    assert!(before == after, "{what} changed:\n{}", before.diff(after));
}

/// The files of a snapshot (relative path -> (mode, bytes)), for
/// comparing dest with a committed tree.
pub fn files_of(s: &Snapshot) -> BTreeMap<String, (u32, Vec<u8>)> {
    s.0.iter()
        .filter_map(|(p, n)| match n {
            Node::File(m, b) => Some((p.clone(), (*m, b.clone()))),
            _ => None,
        })
        .collect()
}

/// The peer's `mm` executable when it is installed and runs:
/// `$ASSETPIN_MM`, else `<repo>/target/peers/memtomem/bin/mm`.
pub fn peer() -> Option<PathBuf> {
    static PEER: OnceLock<Option<PathBuf>> = OnceLock::new();
    PEER.get_or_init(|| {
        let path = std::env::var_os("ASSETPIN_MM")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                Path::new(env!("CARGO_MANIFEST_DIR")).join("target/peers/memtomem/bin/mm")
            });
        let ok = Command::new(&path)
            .args(["context", "--help"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        ok.then_some(path)
    })
    .clone()
}

/// The message printed when a peer test is skipped.
pub const PEER_SKIP: &str = "skipped: peer not installed; run scripts/install-peer.sh";

/// The peer for a test that needs it. Without it: under CI (`$CI` set)
/// the test fails, so peer tests can never be skipped silently there;
/// elsewhere it prints [`PEER_SKIP`] and returns `None` (return early).
#[track_caller]
pub fn require_peer() -> Option<PathBuf> {
    match peer() {
        Some(p) => Some(p),
        None if std::env::var_os("CI").is_some() => panic!(
            "the peer (memtomem `mm`) is required when CI is set but was not found \
             (set ASSETPIN_MM or run scripts/install-peer.sh)"
        ),
        None => {
            eprintln!("{PEER_SKIP}");
            None
        }
    }
}

/// `mm args...` run in the project with the wiki in `MEMTOMEM_WIKI_PATH`
/// and the project's HOME (the peer has no `--project` flag).
pub fn mm_std(mm: &Path, project: &Project, wiki: &Wiki) -> Command {
    let mut c = Command::new(mm);
    c.current_dir(project.path())
        .env("HOME", project.home())
        .env("MEMTOMEM_WIKI_PATH", wiki.path())
        .env("NO_COLOR", "1")
        .env("TERM", "dumb")
        .env("COLUMNS", "200")
        .stdin(Stdio::null());
    c
}

/// [`mm_std`] for assertions.
pub fn mm(mm: &Path, project: &Project, wiki: &Wiki) -> assert_cmd::Command {
    assert_cmd::Command::from_std(mm_std(mm, project, wiki))
}
