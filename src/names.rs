//! Asset types and names (CONTRACT Terms, Y1).

use crate::error::{Error, Kind, Result};
use std::fmt;
use std::str::FromStr;

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

/// Longest accepted name, in characters (Y1).
pub const MAX_NAME_LEN: usize = 64;

/// True when `name` follows Y1: 1..=64 characters of `A-Z a-z 0-9 . _ -`,
/// not `.` or `..`, not starting with `-`.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name != "."
        && name != ".."
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Checks `name` against Y1.
///
/// # Errors
/// `invalid-name` naming the offending value.
pub fn validate_name(name: &str) -> Result<()> {
    if is_valid_name(name) {
        Ok(())
    } else {
        Err(Error::new(
            Kind::InvalidName,
            format!(
                "invalid asset name {name:?}: use 1 to {MAX_NAME_LEN} characters from A-Z a-z 0-9 . _ -, \
                 not '.' or '..', not starting with '-'"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn y1_examples() {
        for ok in ["a", "my-skill", "x.y_z", "A9", ".hidden", &"a".repeat(64)] {
            assert!(is_valid_name(ok), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "-x",
            "a b",
            "a/b",
            "../x",
            "é",
            &"a".repeat(65),
            "a\0",
        ] {
            assert!(!is_valid_name(bad), "{bad:?}");
        }
    }
}
