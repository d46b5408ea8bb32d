//! Tree snapshots for "nothing changed" checks (CONTRACT I5, Y2): every
//! path below a root with its type, permission bits and, for regular
//! files, bytes (or, past [`READ_CAP`], size and identity: a tool under
//! test may leave a sparse file of any size, which must not fill memory). Links are never followed and only regular files are read,
//! so a FIFO or device planted in a tree cannot hang or feed a snapshot.
//! The runner and the test families share this one walk.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// One node of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A directory and its permission bits.
    Dir(u32),
    /// A regular file: permission bits and bytes.
    File(u32, Vec<u8>),
    /// A regular file larger than [`READ_CAP`], never read: permission
    /// bits, size (bytes), and inode and change time (ns), which any write
    /// to it changes.
    Large {
        /// Permission bits.
        mode: u32,
        /// Size in bytes.
        size: u64,
        /// Inode number and `st_ctime` in ns.
        id: (u64, i128),
    },
    /// A symbolic link and its target.
    Link(PathBuf),
    /// Anything else (FIFO, socket, device): its permission bits.
    Other(u32),
}

/// The largest regular file a snapshot reads (bytes): 16 MiB.
pub const READ_CAP: u64 = 16 << 20;

impl Node {
    /// Whether this is a regular file (read or not).
    pub fn is_regular(&self) -> bool {
        matches!(self, Node::File(..) | Node::Large { .. })
    }
}

/// A tree: relative path (`.` for the root itself; see [`key_of`] for
/// names that are not UTF-8) -> node.
pub type Snapshot = BTreeMap<String, Node>;

/// Snapshots `root` (empty when missing). `skip` names top-level entries
/// left out (such as `.git` in the wiki). Iterative, so the depth of the
/// tree never reaches the stack.
pub fn snapshot(root: &Path, skip: &[&str]) -> Snapshot {
    let mut out = BTreeMap::new();
    walk(root, skip, |rel, path, m| {
        out.insert(rel, node_of(path, m));
    });
    out
}

/// Who each entry below `root` is, beyond its content: inode, `mtime` and
/// `ctime` in ns (relative path -> identity), by the same walk as
/// [`snapshot`]. Equal bytes with another identity are a rewrite (a new
/// inode renamed over, or the same bytes written again): what a clause
/// that says "writes nothing" forbids.
pub type Ids = BTreeMap<String, (u64, i128, i128)>;

/// The [`Ids`] of `root`.
pub fn identities(root: &Path) -> Ids {
    use std::os::unix::fs::MetadataExt;
    let mut out = BTreeMap::new();
    walk(root, &[], |rel, _, m| {
        let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
        out.insert(
            rel,
            (
                m.ino(),
                ns(m.mtime(), m.mtime_nsec()),
                ns(m.ctime(), m.ctime_nsec()),
            ),
        );
    });
    out
}

/// The entries equal in both snapshots whose identity changed
/// (`rewritten <path> (...)`): written again with the same bytes, replaced
/// by an equal copy, or (a directory) an entry made and removed in it.
pub fn rewritten(before: &Snapshot, ids0: &Ids, after: &Snapshot, ids1: &Ids) -> Vec<String> {
    let mut d = Vec::new();
    for (k, v) in before {
        let (Some(w), Some(a), Some(b)) = (after.get(k), ids0.get(k), ids1.get(k)) else {
            continue;
        };
        if w != v || a == b {
            continue;
        }
        let mut what = Vec::new();
        if a.0 != b.0 {
            what.push("a new inode");
        }
        if a.1 != b.1 {
            what.push("a new mtime");
        }
        if a.2 != b.2 {
            what.push("a new ctime");
        }
        d.push(format!(
            "rewritten {k} (the same content, {})",
            what.join(", ")
        ));
    }
    d.truncate(20);
    d
}

/// The link count of every regular file below `root` (relative path ->
/// `st_nlink`), by the same walk as [`snapshot`]: a change says that a
/// hard link to a file was made or dropped (Y2).
pub fn link_counts(root: &Path) -> BTreeMap<String, u64> {
    use std::os::unix::fs::MetadataExt;
    let mut out = BTreeMap::new();
    walk(root, &[], |rel, _, m| {
        if m.file_type().is_file() {
            out.insert(rel, m.nlink());
        }
    });
    out
}

/// Calls `visit(rel, path, metadata)` for `root` and everything below it,
/// never following a link.
/// Visits every path below `root` (itself included) with its metadata,
/// links not followed; iterative, as [`snapshot`].
pub fn for_each_path(root: &Path, mut visit: impl FnMut(&Path, &std::fs::Metadata)) {
    walk(root, &[], |_, p, m| visit(p, m));
}

fn walk(root: &Path, skip: &[&str], mut visit: impl FnMut(String, &Path, &std::fs::Metadata)) {
    let Ok(m) = std::fs::symlink_metadata(root) else {
        return;
    };
    let mut todo = vec![(root.to_owned(), ".".to_owned(), m)];
    while let Some((path, rel, m)) = todo.pop() {
        if m.file_type().is_dir()
            && let Ok(rd) = std::fs::read_dir(&path)
        {
            for e in rd.flatten() {
                let name = key_of(&e.file_name());
                if rel == "." && skip.contains(&name.as_str()) {
                    continue;
                }
                let child = if rel == "." {
                    name
                } else {
                    format!("{rel}/{name}")
                };
                if let Ok(cm) = std::fs::symlink_metadata(e.path()) {
                    todo.push((e.path(), child, cm));
                }
            }
        }
        visit(rel, &path, &m);
    }
}

/// A file name as a snapshot key: the name itself when it is UTF-8;
/// otherwise a NUL (which no file name holds, so no UTF-8 name can equal
/// the key) and the name with `\` doubled and each byte that is not
/// UTF-8 as `\xNN`. One key per name: a lossy spelling would let two
/// names that differ only there share a key, and a change to one hide.
/// The name a [`key_of`] spelling stands for (the inverse: a key that is
/// not `\0`-prefixed is the name itself).
pub(crate) fn name_of(key: &str) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStringExt;
    let Some(rest) = key.strip_prefix('\0') else {
        return key.into();
    };
    let b = rest.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else if b[i] == b'\\'
            && b.get(i + 1) == Some(&b'x')
            && let Some(v) = rest
                .get(i + 2..i + 4)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    std::ffi::OsString::from_vec(out)
}

/// A snapshot key (components spelled by [`key_of`]) as a path below a
/// root.
pub(crate) fn path_of(root: &Path, key: &str) -> PathBuf {
    if key == "." {
        return root.to_path_buf();
    }
    key.split('/')
        .fold(root.to_path_buf(), |p, c| p.join(name_of(c)))
}

pub(crate) fn key_of(name: &std::ffi::OsStr) -> String {
    use std::os::unix::ffi::OsStrExt;
    if let Some(s) = name.to_str() {
        return s.to_owned();
    }
    let mut out = String::from("\0");
    for chunk in name.as_bytes().utf8_chunks() {
        out.push_str(&chunk.valid().replace('\\', "\\\\"));
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

fn node_of(p: &Path, m: &std::fs::Metadata) -> Node {
    let mode = m.permissions().mode() & 0o7777;
    let ft = m.file_type();
    if ft.is_symlink() {
        Node::Link(std::fs::read_link(p).unwrap_or_default())
    } else if ft.is_dir() {
        Node::Dir(mode)
    } else if ft.is_file() && m.len() > READ_CAP {
        use std::os::unix::fs::MetadataExt;
        Node::Large {
            mode,
            size: m.len(),
            id: (
                m.ino(),
                i128::from(m.ctime()) * 1_000_000_000 + i128::from(m.ctime_nsec()),
            ),
        }
    } else if ft.is_file() {
        Node::File(mode, read_regular(p))
    } else {
        Node::Other(mode)
    }
}

/// The bytes of the regular file at `p` (empty when it cannot be read):
/// [`read_left`]'s, or nothing.
fn read_regular(p: &Path) -> Vec<u8> {
    read_left(p).unwrap_or_default()
}

/// Why [`read_left`] returned no bytes.
#[derive(Debug, thiserror::Error)]
pub enum LeftReadError {
    /// Nothing is at the path.
    #[error("missing")]
    Missing,
    /// Something other than a regular file is there (never opened
    /// through a link, never waited on).
    #[error("not a regular file ({0})")]
    NotRegular(&'static str),
    /// A regular file larger than [`READ_CAP`].
    #[error("{0} bytes, more than the harness reads ({READ_CAP} bytes)")]
    TooLarge(u64),
    /// It could not be opened or read.
    #[error("cannot read: {0}")]
    Io(std::io::Error),
}

/// What a file type is, in words.
pub fn kind_of(ft: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_symlink() {
        "a symbolic link"
    } else if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_file() {
        "a regular file"
    } else {
        "an unknown file type"
    }
}

/// The bytes of a file a tool under test left at `p`: the one way the
/// harness reads one. Only a regular file is read: the path is opened
/// without following a link and without waiting on a FIFO (one put there
/// after a look at the path included), checked again once open, and read
/// no further than [`READ_CAP`].
///
/// # Errors
/// Nothing there, not a regular file, too large, or unreadable.
pub fn read_left(p: &Path) -> Result<Vec<u8>, LeftReadError> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let meta = std::fs::symlink_metadata(p).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => LeftReadError::Missing,
        _ => LeftReadError::Io(e),
    })?;
    if !meta.file_type().is_file() {
        return Err(LeftReadError::NotRegular(kind_of(meta.file_type())));
    }
    let f = std::fs::File::options()
        .read(true)
        .custom_flags((rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK).bits() as i32)
        .open(p)
        .map_err(|e| {
            if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
                LeftReadError::NotRegular("a symbolic link")
            } else {
                LeftReadError::Io(e)
            }
        })?;
    let meta = f.metadata().map_err(LeftReadError::Io)?;
    if !meta.is_file() {
        return Err(LeftReadError::NotRegular(kind_of(meta.file_type())));
    }
    if meta.len() > READ_CAP {
        return Err(LeftReadError::TooLarge(meta.len()));
    }
    let mut buf = Vec::new();
    f.take(READ_CAP + 1)
        .read_to_end(&mut buf)
        .map_err(LeftReadError::Io)?;
    if buf.len() as u64 > READ_CAP {
        return Err(LeftReadError::TooLarge(buf.len() as u64));
    }
    Ok(buf)
}

/// Differences between two snapshots, one line each (at most 20):
/// `removed p`, `created p`, `changed p (what)`.
pub fn diff(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    let mut d = Vec::new();
    for (k, v) in before {
        match after.get(k) {
            None => d.push(format!("removed {k}")),
            Some(w) if w != v => d.push(format!("changed {k} ({})", describe_change(v, w))),
            _ => {}
        }
    }
    for k in after.keys() {
        if !before.contains_key(k) {
            d.push(format!("created {k}"));
        }
    }
    d.truncate(20);
    d
}

fn describe_change(a: &Node, b: &Node) -> String {
    match (a, b) {
        (Node::File(m1, b1), Node::File(m2, b2)) => {
            let mut s = Vec::new();
            if m1 != m2 {
                s.push(format!("mode {m1:o} -> {m2:o}"));
            }
            if b1 != b2 {
                s.push(format!("{} -> {} bytes", b1.len(), b2.len()));
            }
            s.join(", ")
        }
        (
            Node::Large {
                mode: m1, size: s1, ..
            },
            Node::Large {
                mode: m2, size: s2, ..
            },
        ) => {
            let mut s = vec![format!("rewritten, {s1} -> {s2} bytes")];
            if m1 != m2 {
                s.push(format!("mode {m1:o} -> {m2:o}"));
            }
            s.join(", ")
        }
        (Node::Dir(m1), Node::Dir(m2)) | (Node::Other(m1), Node::Other(m2)) => {
            format!("mode {m1:o} -> {m2:o}")
        }
        (Node::Link(t1), Node::Link(t2)) => {
            format!("target {} -> {}", t1.display(), t2.display())
        }
        _ => "type changed".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file replaced by an equal copy (new inode) or written again with
    /// its own bytes is `rewritten`; the bytes-only diff sees nothing (the
    /// negative control); an untouched tree is reported as nothing.
    #[test]
    fn the_same_bytes_written_again_are_a_rewrite() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("a"), b"same\n").unwrap();
        std::fs::write(root.join("b"), b"same\n").unwrap();
        std::fs::write(root.join("c"), b"kept\n").unwrap();
        let (s0, i0) = (snapshot(root, &[]), identities(root));
        assert_eq!(
            rewritten(&s0, &i0, &snapshot(root, &[]), &identities(root)),
            Vec::<String>::new()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(root.join("a.tmp"), b"same\n").unwrap();
        std::fs::rename(root.join("a.tmp"), root.join("a")).unwrap();
        std::fs::write(root.join("b"), b"same\n").unwrap();
        let (s1, i1) = (snapshot(root, &[]), identities(root));
        assert!(diff(&s0, &s1).is_empty(), "the bytes did not change");
        let r = rewritten(&s0, &i0, &s1, &i1);
        assert!(
            r.iter()
                .any(|l| l.starts_with("rewritten a (") && l.contains("a new inode")),
            "{r:?}"
        );
        assert!(r.iter().any(|l| l.starts_with("rewritten b (")), "{r:?}");
        assert!(!r.iter().any(|l| l.starts_with("rewritten c ")), "{r:?}");
    }

    #[test]
    fn records_every_kind_without_reading_a_fifo() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        std::fs::create_dir(r.join("d")).unwrap();
        std::fs::write(r.join("d/f"), b"x").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", r.join("l")).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            r.join("p"),
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let s = snapshot(r, &[]);
        assert!(matches!(s["."], Node::Dir(_)));
        assert!(matches!(s["d"], Node::Dir(_)));
        assert!(matches!(&s["d/f"], Node::File(_, b) if b == b"x"));
        assert_eq!(s["l"], Node::Link("/etc/passwd".into()));
        assert_eq!(s["p"], Node::Other(0o600));
        let mut after = s.clone();
        after.remove("d/f");
        assert_eq!(diff(&s, &after), vec!["removed d/f".to_owned()]);
    }

    /// Names that are not UTF-8 and differ only in such bytes (or in a
    /// `\xNN` spelled out) are distinct keys, so a change to one shows.
    #[test]
    fn names_that_are_not_utf8_keep_their_own_keys() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let t = tempfile::tempdir().unwrap();
        let names: [&[u8]; 4] = [b"a\xff", b"a\xfe", b"a\\xff\xfe", b"a\xff\xfe"];
        for (i, n) in names.iter().enumerate() {
            std::fs::write(t.path().join(OsStr::from_bytes(n)), [i as u8]).unwrap();
        }
        std::fs::write(t.path().join("a\u{fffd}"), b"u").unwrap();
        let s = snapshot(t.path(), &[]);
        assert_eq!(s.len(), 1 + names.len() + 1, "{:?}", s.keys());
        assert!(s.contains_key("\0a\\xff"), "{:?}", s.keys());
        std::fs::write(t.path().join(OsStr::from_bytes(names[1])), b"changed").unwrap();
        assert_eq!(
            diff(&s, &snapshot(t.path(), &[])),
            vec!["changed \0a\\xfe (1 -> 7 bytes)".to_owned()]
        );
    }

    /// A file up to [`READ_CAP`] is read; one byte more is not (a sparse
    /// file of any size costs nothing), yet a write to it still shows.
    #[test]
    fn a_file_past_the_cap_is_known_by_size_and_identity_not_read() {
        let t = tempfile::tempdir().unwrap();
        let (at_cap, past) = (t.path().join("at-cap"), t.path().join("past"));
        std::fs::File::create(&at_cap)
            .unwrap()
            .set_len(READ_CAP)
            .unwrap();
        std::fs::File::create(&past)
            .unwrap()
            .set_len(64 << 30)
            .unwrap();
        let s = snapshot(t.path(), &[]);
        assert!(matches!(&s["at-cap"], Node::File(_, b) if b.len() as u64 == READ_CAP));
        assert!(matches!(s["past"], Node::Large { size, .. } if size == 64 << 30));
        assert!(s["past"].is_regular());
        std::thread::sleep(std::time::Duration::from_millis(20));
        {
            use std::os::unix::fs::FileExt;
            let f = std::fs::File::options().write(true).open(&past).unwrap();
            f.write_all_at(b"x", 1 << 30).unwrap();
        }
        let after = snapshot(t.path(), &[]);
        assert_eq!(
            diff(&s, &after),
            vec!["changed past (rewritten, 68719476736 -> 68719476736 bytes)".to_owned()]
        );
    }
}
