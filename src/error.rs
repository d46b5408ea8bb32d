//! Classified errors (CONTRACT E1, E2, E4).
//!
//! Every failure the library returns is an [`Error`] with a [`Kind`] from the
//! contract's closed list; the CLI prints it as `error[<kind>]: <message>`
//! and maps it to an exit code with [`Kind::exit_code`].

use std::fmt;
use std::path::Path;

pub use assetpin_contract::Kind;

/// A classified failure: a [`Kind`] and a message that names the path and,
/// where there is one, the remedy.
#[derive(Debug, Clone, thiserror::Error)]
#[error("error[{kind}]: {message}")]
pub struct Error {
    /// The contract kind (E1).
    pub kind: Kind,
    /// Human message, one line, without the `error[...]` prefix.
    pub message: String,
    /// Extra machine-readable fields for `--json` (for example
    /// `mtime_ns` on a `conflict`, `paths` on `uncommitted`).
    pub details: serde_json::Map<String, serde_json::Value>,
}

impl Error {
    /// An error of `kind` with `message`.
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            details: serde_json::Map::new(),
        }
    }

    /// Adds a machine-readable detail shown in `--json` output.
    pub fn with_detail(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.details.insert(key.to_owned(), value.into());
        self
    }

    /// `io` (E1): an operation on `path` failed for a reason outside the
    /// contract's other kinds (`op` names the operation: "open", "fsync").
    pub fn io(op: &str, path: &Path, err: impl fmt::Display) -> Self {
        Error::new(Kind::Io, format!("{op} {}: {err}", path.display()))
    }

    /// `invalid-name` (Y1): `name` breaks the name rule; `rule` says it.
    pub fn invalid_name(name: &str, rule: &str) -> Self {
        Error::new(
            Kind::InvalidName,
            format!("invalid asset name {name:?}: {rule}"),
        )
    }

    /// `project-not-found` (Y3): `path` is not a usable project root.
    pub fn project_not_found(path: &Path, why: &str) -> Self {
        Error::new(
            Kind::ProjectNotFound,
            format!(
                "project root {} {why} (pass --project DIR, an existing directory)",
                path.display()
            ),
        )
    }

    /// `wiki-not-found`: `path` is not a git repository to read assets from.
    pub fn wiki_not_found(path: &Path, why: &str) -> Self {
        Error::new(
            Kind::WikiNotFound,
            format!(
                "wiki {} {why} (pass --wiki DIR or set MEMTOMEM_WIKI_PATH to a git repository \
                 holding skills/, agents/, commands/)",
                path.display()
            ),
        )
    }

    /// `asset-not-found`: the asset is not in the wiki at `commit`;
    /// `section` is its directory (`skills`).
    pub fn asset_not_found(
        ty: impl fmt::Display,
        name: &str,
        section: &str,
        wiki: &Path,
        commit: impl fmt::Display,
    ) -> Self {
        Error::new(
            Kind::AssetNotFound,
            format!(
                "{ty} {name:?} is not in wiki {} at commit {commit}: expected a directory \
                 {section}/{name}/ (commit it to the wiki first)",
                wiki.display()
            ),
        )
    }

    /// `asset-not-found` for every asset: the wiki at `wiki` has no commit.
    pub fn asset_not_found_empty_wiki(wiki: &Path) -> Self {
        Error::new(
            Kind::AssetNotFound,
            format!(
                "wiki {} has no commit yet, so no asset is in it (commit the assets first)",
                wiki.display()
            ),
        )
    }

    /// `already-installed` (I4): the entry or dest exists; the message
    /// states both sides and the remedy that fits that state. `--json`
    /// carries `lockfile_entry` and `dest` as booleans.
    pub fn already_installed(
        ty: impl fmt::Display,
        name: &str,
        entry: bool,
        dest: bool,
        dest_path: &Path,
    ) -> Self {
        let yn = |b: bool| if b { "yes" } else { "no" };
        let remedy = match (entry, dest) {
            (true, false) => format!(
                "`assetpin install --all` restores dest at the recorded pin, and \
                 `assetpin update {ty} {name} --force` restores it at the wiki HEAD"
            ),
            (false, _) => format!(
                "dest has no lockfile entry: `assetpin adopt {ty} {name}` records it when it equals \
                 the asset at the wiki HEAD; otherwise move it aside and install again"
            ),
            (true, true) => {
                format!("use `assetpin update {ty} {name}` to move it to the wiki HEAD")
            }
        };
        Error::new(
            Kind::AlreadyInstalled,
            format!(
                "{ty} {name:?} is already installed (lockfile_entry={}, dest={}) at {}; {remedy}",
                yn(entry),
                yn(dest),
                dest_path.display()
            ),
        )
        .with_detail("lockfile_entry", entry)
        .with_detail("dest", dest)
    }

    /// `not-installed` (U1, and `adopt` without a dest): `what` says what
    /// is missing ("has no entry in <lockfile>", "has no dest at <path> to
    /// adopt"); the remedy is an install.
    pub fn not_installed(ty: impl fmt::Display, name: &str, what: &str) -> Self {
        Error::new(
            Kind::NotInstalled,
            format!("{ty} {name:?} {what} (install it first: `assetpin install {ty} {name}`)"),
        )
    }

    /// `uncommitted` (I1): the wiki work tree differs from the commit in
    /// `base` (`skills/review`) at `paths`; `--json` carries `paths`.
    pub fn uncommitted(wiki: &Path, base: &str, paths: &[String]) -> Self {
        Error::new(
            Kind::Uncommitted,
            format!(
                "wiki {} has uncommitted changes in {base}/: {} (commit or discard them in the wiki first)",
                wiki.display(),
                paths.join(", ")
            ),
        )
        .with_detail("paths", paths.to_vec())
    }

    /// `dirty` (U3): dest's `files` differ from what was installed;
    /// `deleted` are those of them the user deleted (restored by
    /// `--force`). With `no_baseline` the entry's install record is
    /// unusable (no valid digests, no readable `installed_at`), which is
    /// why every file counts as changed.
    pub fn dirty(
        ty: impl fmt::Display,
        name: &str,
        dest: &Path,
        files: &[String],
        deleted: &[String],
        no_baseline: bool,
    ) -> Self {
        let modified: Vec<&str> = files
            .iter()
            .filter(|f| !deleted.contains(f))
            .map(String::as_str)
            .collect();
        let mut parts = Vec::new();
        if !modified.is_empty() {
            parts.push(format!("modified {}", modified.join(", ")));
        }
        if !deleted.is_empty() {
            parts.push(format!("deleted {}", deleted.join(", ")));
        }
        let what = if no_baseline {
            format!(
                "has an unusable install record in the lockfile (no valid digests and an \
                 installed_at that is no timestamp), so no file of {} can be shown unchanged",
                dest.display()
            )
        } else {
            format!("has local changes in {}", dest.display())
        };
        Error::new(
            Kind::Dirty,
            format!(
                "{ty} {name:?} {what}: {} (pass --force to overwrite them; each modified file is \
                 kept as <file>.bak, each deleted one is restored)",
                parts.join("; ")
            ),
        )
    }

    /// `dirty` (U3) where what was installed cannot be known: the entry
    /// has no valid digests (L9) and the wiki cannot read its pin `pin`
    /// (rewritten away, or no commit id), so no byte can be compared.
    /// `files` are dirty by the mtime rule of U2 only (changed after
    /// `installed_at`), `deleted` those of them that are gone; neither is
    /// called modified.
    pub fn dirty_unprovable(
        ty: impl fmt::Display,
        name: &str,
        dest: &Path,
        pin: &str,
        files: &[String],
        deleted: &[String],
    ) -> Self {
        let changed: Vec<&str> = files
            .iter()
            .filter(|f| !deleted.contains(f))
            .map(String::as_str)
            .collect();
        let mut parts = Vec::new();
        if !changed.is_empty() {
            parts.push(format!(
                "changed after installed_at (by mtime) {}",
                changed.join(", ")
            ));
        }
        if !deleted.is_empty() {
            parts.push(format!("deleted {}", deleted.join(", ")));
        }
        Error::new(
            Kind::Dirty,
            format!(
                "{ty} {name:?} cannot be shown unchanged in {}: the entry has no valid digests \
                 and the wiki cannot read its pin {pin:?}, so the bytes installed are unknown: {} \
                 (pass --force to overwrite them; each such file is kept as <file>.bak, each \
                 deleted one is restored)",
                dest.display(),
                parts.join("; ")
            ),
        )
    }

    /// `dirty` for `adopt`: dest differs from the asset at wiki HEAD
    /// `head`; `report` lists each class of difference ("differs", "only
    /// on disk", "only at HEAD") with its paths (empty classes are left
    /// out). `--json` carries the report as `differences`.
    pub fn dest_differs_from_head(
        ty: impl fmt::Display,
        name: &str,
        dest: &Path,
        head: &str,
        report: &[(&str, &[String])],
    ) -> Self {
        let parts: Vec<String> = report
            .iter()
            .filter(|(_, paths)| !paths.is_empty())
            .map(|(label, paths)| format!("{label}: {}", paths.join(", ")))
            .collect();
        let details: serde_json::Map<String, serde_json::Value> = report
            .iter()
            .map(|(label, paths)| ((*label).to_owned(), serde_json::json!(paths)))
            .collect();
        Error::new(
            Kind::Dirty,
            format!(
                "{ty} {name:?}: dest {} differs from the asset at wiki HEAD {} ({}); adopt records \
                 only a dest that equals HEAD file by file and writes nothing else (move dest aside \
                 and `assetpin install {ty} {name}` to take HEAD's bytes, or commit the local \
                 changes to the wiki first)",
                dest.display(),
                head.get(..12).unwrap_or(head),
                parts.join("; ")
            ),
        )
        .with_detail("differences", serde_json::Value::Object(details))
    }

    /// `stale-pin` (U5, I8): the recorded `pin` is not usable; `why` says
    /// how it relates to the wiki ("is not an ancestor of HEAD <id> of",
    /// "is unknown to"), and the remedy covers both verbs that refuse it.
    pub fn stale_pin(ty: impl fmt::Display, name: &str, pin: &str, why: &str, wiki: &Path) -> Self {
        Error::new(
            Kind::StalePin,
            format!(
                "{ty} {name:?} is pinned at {pin:?}, which {why} wiki {}; pins only move forward \
                 (fetch that commit into the wiki, or pass `assetpin update {ty} {name} --force-head` \
                 to move it to HEAD anyway)",
                wiki.display()
            ),
        )
    }

    /// `stale-pin` for an entry that records no pin at all (an empty or
    /// missing `wiki_commit`): nothing says which bytes dest came from, so
    /// `update` refuses, `--force-head` included.
    pub fn no_pin(ty: impl fmt::Display, name: &str, lockfile: &Path) -> Self {
        Error::new(
            Kind::StalePin,
            format!(
                "{ty} {name:?} has no pin recorded in {} (empty wiki_commit), so nothing tells which \
                 bytes dest came from; not even --force-head moves it. Remove the entry, then \
                 `assetpin adopt {ty} {name}` if dest equals the asset at the wiki HEAD, or move \
                 dest aside and `assetpin install {ty} {name}`",
                lockfile.display()
            ),
        )
    }

    /// `lockfile-corrupt` (L5): `path` is unusable for a writer; `why`
    /// says how. The file is never touched.
    pub fn lockfile_corrupt(path: impl fmt::Display, why: impl fmt::Display) -> Self {
        Error::new(
            Kind::LockfileCorrupt,
            format!("{path} {why}; fix or remove it by hand, it was left untouched"),
        )
    }

    /// `registry-corrupt` (R3): the registry at `path` is unusable for a
    /// writer; `why` says how. The file is never touched.
    pub fn registry_corrupt(path: impl fmt::Display, why: impl fmt::Display) -> Self {
        Error::new(
            Kind::RegistryCorrupt,
            format!(
                "{path} {why}; fix or remove it by hand (or restore it from a backup), \
                 it was left untouched"
            ),
        )
    }

    /// `lockfile-version` (L6, T2): `path` holds `version` `found`.
    pub fn lockfile_version(path: impl fmt::Display, found: impl fmt::Display) -> Self {
        Error::new(
            Kind::LockfileVersion,
            format!(
                "{path} has version {found}; this tool reads and writes version 1 only \
                 (upgrade the tool that wrote it, or restore a version-1 lockfile)"
            ),
        )
    }

    /// `unsafe-path` (Y2): `path` is a symbolic link or not what the
    /// layout needs; `what` says which ("a symbolic link or not a
    /// directory").
    pub fn unsafe_path(path: &Path, what: &str) -> Self {
        Error::new(
            Kind::UnsafePath,
            format!(
                "{} is {what}; refusing to read or write through it (remove or move it and retry)",
                path.display()
            ),
        )
    }

    /// `unsafe-path` (Y2, I2): the wiki's commit holds at `path` a tree
    /// entry no verb may write (`what` says why); the remedy is in the
    /// wiki's history, not in the project.
    pub fn unsafe_wiki_entry(path: &Path, what: &str) -> Self {
        Error::new(
            Kind::UnsafePath,
            format!(
                "{} is {what} in the wiki's commit; nothing was written (rewrite that commit \
                 in the wiki, or install from another one)",
                path.display()
            ),
        )
    }

    /// `conflict` (U7, exit 3): dest changed since it was read. With
    /// `expected` (the `--expect-mtime-ns` value) the message compares it
    /// with `current`; without, dest changed while the update itself ran
    /// and was put back as it was. `--json` carries the current `mtime_ns`
    /// (an integer, or null when unknown or no file).
    pub fn conflict(
        ty: impl fmt::Display,
        name: &str,
        current: Option<i128>,
        expected: Option<i128>,
    ) -> Self {
        let shown = current.map_or_else(|| "null".to_owned(), |n| n.to_string());
        let value = current.map_or(serde_json::Value::Null, integer);
        let message = match expected {
            Some(expected) => format!(
                "{ty} {name:?} changed since it was read: mtime_ns is {shown}, expected {expected}; \
                 nothing was written (read `assetpin status --json` again and retry)"
            ),
            None => format!(
                "{ty} {name:?} changed while this update ran (an edit, or an entry added or \
                 removed in dest); dest was put back as it was and the lockfile was not written \
                 (retry the update)"
            ),
        };
        Error::new(Kind::Conflict, message).with_detail("mtime_ns", value)
    }
}

/// `n` as a JSON integer of any size (an `mtime_ns` after 2262 does not
/// fit an `i64`; T3 and U7 print it exactly).
pub fn integer(n: i128) -> serde_json::Value {
    serde_json::Value::Number(serde_json::Number::from_string_unchecked(n.to_string()))
}

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
