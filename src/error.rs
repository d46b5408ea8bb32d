//! Classified errors (CONTRACT E1, E2, E4).
//!
//! Every failure the library returns is an [`Error`] with a [`Kind`] from the
//! contract's closed list; the CLI prints it as `error[<kind>]: <message>`
//! and maps it to an exit code with [`Kind::exit_code`].

use std::fmt;
use std::path::Path;

/// The error kinds of CONTRACT E1, in the contract's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Y1: the asset name breaks the name rule.
    InvalidName,
    /// Y3: the project root does not exist or is not a directory.
    ProjectNotFound,
    /// The wiki directory is missing or is not a git repository.
    WikiNotFound,
    /// The asset directory is not in the wiki at the resolved commit.
    AssetNotFound,
    /// I4: a lockfile entry or a dest already exists.
    AlreadyInstalled,
    /// U1: update of an asset that has no lockfile entry.
    NotInstalled,
    /// I1: the wiki work tree differs from the commit inside the asset.
    Uncommitted,
    /// U3: dest files differ from what was installed.
    Dirty,
    /// U5: the recorded pin is not an ancestor of the wiki HEAD.
    StalePin,
    /// L5: the lockfile exists but is not a JSON object.
    LockfileCorrupt,
    /// L6: the lockfile `version` is not 1.
    LockfileVersion,
    /// Y2: a path component is a symbolic link or leaves the project.
    UnsafePath,
    /// U7: optimistic-concurrency check failed (exit 3).
    Conflict,
    /// Any other I/O or git failure.
    Io,
}

impl Kind {
    /// Every kind, in the contract's order.
    pub const ALL: [Kind; 14] = [
        Kind::InvalidName,
        Kind::ProjectNotFound,
        Kind::WikiNotFound,
        Kind::AssetNotFound,
        Kind::AlreadyInstalled,
        Kind::NotInstalled,
        Kind::Uncommitted,
        Kind::Dirty,
        Kind::StalePin,
        Kind::LockfileCorrupt,
        Kind::LockfileVersion,
        Kind::UnsafePath,
        Kind::Conflict,
        Kind::Io,
    ];

    /// The kind's name as printed in `error[<kind>]` (E1).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::InvalidName => "invalid-name",
            Kind::ProjectNotFound => "project-not-found",
            Kind::WikiNotFound => "wiki-not-found",
            Kind::AssetNotFound => "asset-not-found",
            Kind::AlreadyInstalled => "already-installed",
            Kind::NotInstalled => "not-installed",
            Kind::Uncommitted => "uncommitted",
            Kind::Dirty => "dirty",
            Kind::StalePin => "stale-pin",
            Kind::LockfileCorrupt => "lockfile-corrupt",
            Kind::LockfileVersion => "lockfile-version",
            Kind::UnsafePath => "unsafe-path",
            Kind::Conflict => "conflict",
            Kind::Io => "io",
        }
    }

    /// Parses a kind name as printed by [`Kind::as_str`].
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Process exit code for a failure of this kind (E2): 3 for
    /// `conflict`, 1 for everything else.
    pub fn exit_code(self) -> i32 {
        match self {
            Kind::Conflict => 3,
            _ => 1,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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

    /// An `io` error that names the path and the operation.
    pub fn io(op: &str, path: &Path, err: impl fmt::Display) -> Self {
        Error::new(Kind::Io, format!("{op} {}: {err}", path.display()))
    }
}

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
