//! Tree snapshots for "nothing changed" checks, on the library's one walk
//! ([`assetpin_conform::snapshot`]), and small file inspections.

use std::collections::BTreeMap;
use std::fmt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

pub use assetpin_conform::snapshot::Node;

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

/// The mtime of `path` in nanoseconds (`stat(2)`, a link not followed):
/// the value `edit --expect-mtime-ns` takes (W1).
pub fn mtime_ns(path: &Path) -> i128 {
    let m =
        std::fs::symlink_metadata(path).unwrap_or_else(|e| panic!("stat {}: {e}", path.display()));
    assetpin_conform::exec::mtime_ns(&m)
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

/// A directory tree: relative path (`.` for the root) to [`Node`], read
/// without following links. Compare two with `assert_eq!`; the Debug
/// output is one line per path so a failing comparison reads as a diff.
#[derive(Clone, PartialEq, Eq)]
pub struct Snapshot(pub BTreeMap<String, Node>);

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Snapshot {{")?;
        for (p, n) in &self.0 {
            match n {
                Node::File(m, b) => writeln!(
                    f,
                    "  {p}: file {m:04o} {} bytes sha256:{} {:?}",
                    b.len(),
                    &sha256(b)[..12],
                    String::from_utf8_lossy(&b[..b.len().min(80)])
                )?,
                other => writeln!(f, "  {p}: {other:?}")?,
            }
        }
        write!(f, "}}")
    }
}

impl Snapshot {
    /// The paths, in order.
    pub fn paths(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }

    /// One line per path that differs (`removed p`, `created p`,
    /// `changed p (what)`).
    pub fn diff(&self, after: &Snapshot) -> String {
        assetpin_conform::snapshot::diff(&self.0, &after.0).join("\n")
    }
}

/// Snapshot of `dir` (which may be missing: an empty snapshot).
pub fn snapshot(dir: impl AsRef<Path>) -> Snapshot {
    Snapshot(assetpin_conform::snapshot::snapshot(dir.as_ref(), &[]))
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

/// Makes a FIFO at `path` (a reader that opens it without care waits
/// forever).
pub fn mkfifo(path: &Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(made.success(), "mkfifo {}", path.display());
}
