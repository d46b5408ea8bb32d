//! What an asset is (CONTRACT Terms, Y1, I2): its type, the rule for its
//! name, the rule for the paths of its files, and which of its files are
//! installed at all.

mod name;
pub mod skip;

pub use name::{MAX_NAME_LEN, is_valid_name, valid_rel_path, validate_name};

use crate::error::Result;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// One file of an asset as recorded at a commit: where its bytes are, not
/// the bytes. An asset's bytes are read one file at a time, when staged
/// (through a [`BlobRead`]), so memory is bounded by the largest file,
/// not by the asset (E4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetFile {
    /// POSIX path relative to the asset directory.
    pub path: String,
    /// The blob's git object id; a file of dest equals this file when its
    /// git blob id is this one (`ops::drift::rel_is`).
    pub blob: gix::ObjectId,
    /// The blob's size, in bytes.
    pub size: u64,
    /// Whether git records the file as executable (mode 100755).
    pub executable: bool,
}

/// An asset's installable files at one commit, sorted by path, the
/// warnings for entries skipped as links or submodules (I2), and the wiki
/// its blobs are read from.
#[derive(Debug, Clone)]
pub struct AssetTree {
    /// Files to install, sorted by path.
    pub files: Vec<AssetFile>,
    /// One line per skipped symbolic link or submodule.
    pub warnings: Vec<String>,
    /// Where the files' bytes are read from (the wiki's object database,
    /// `wiki::Blobs`).
    pub blobs: Arc<dyn BlobSource>,
}

/// Where an asset's blobs are read from, shareable across threads; each
/// thread reads through a [`BlobRead`] of its own. The wiki implements it
/// over its object database (`wiki::Blobs`); this module only names the
/// shape, so that an [`AssetTree`] can be staged without knowing the wiki.
pub trait BlobSource: fmt::Debug + Send + Sync {
    /// A reader for the calling thread.
    fn reader(&self) -> Box<dyn BlobRead + '_>;
}

/// Reads an asset's blobs, one whole blob per call (the largest file of
/// the asset is the most it holds, E4).
pub trait BlobRead {
    /// The bytes of `file`'s blob.
    ///
    /// # Errors
    /// `io` when the blob is missing, unreadable or not `file.size` bytes.
    fn read(&self, file: &AssetFile) -> Result<Vec<u8>>;
}

impl AssetTree {
    /// Total size of the files, in bytes.
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

/// The three asset types of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AssetType {
    /// `skill`: wiki `skills/<name>/SKILL.md`, lockfile section `skills`.
    Skill,
    /// `agent`: wiki `agents/<name>/agent.md`, lockfile section `agents`.
    Agent,
    /// `command`: wiki `commands/<name>/command.md`, lockfile section `commands`.
    Command,
}

impl AssetType {
    /// All types, in lockfile section order (L1).
    pub const ALL: [AssetType; 3] = [AssetType::Skill, AssetType::Agent, AssetType::Command];

    /// The CLI spelling: `skill`, `agent`, `command`.
    pub fn as_str(self) -> &'static str {
        match self {
            AssetType::Skill => "skill",
            AssetType::Agent => "agent",
            AssetType::Command => "command",
        }
    }

    /// The lockfile section and the wiki/dest directory: `skills`,
    /// `agents`, `commands`.
    pub fn section(self) -> &'static str {
        match self {
            AssetType::Skill => "skills",
            AssetType::Agent => "agents",
            AssetType::Command => "commands",
        }
    }

    /// The asset's main file in its directory (wiki and dest), the one
    /// `edit` writes (W1): `SKILL.md`, `agent.md`, `command.md`.
    pub fn main_file(self) -> &'static str {
        match self {
            AssetType::Skill => "SKILL.md",
            AssetType::Agent => "agent.md",
            AssetType::Command => "command.md",
        }
    }

    /// The type whose section is `section`.
    pub fn from_section(section: &str) -> Option<AssetType> {
        AssetType::ALL.into_iter().find(|t| t.section() == section)
    }
}

impl fmt::Display for AssetType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AssetType {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        AssetType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown asset type {s:?}: expected skill, agent or command"))
    }
}
