//! What the reference and the conformance harness both need of
//! `docs/CONTRACT.md`, and nothing else: the error kinds of E1 in the
//! contract's spelling, with their exit codes (E2), and the contract text
//! with its clause ids.
//!
//! `assetpin` (the reference) and `assetpin-conform` (the harness) depend
//! on this crate and not on each other: the harness is a black-box suite
//! and must never reach into the implementation it checks.

use std::fmt;

/// The contract text this crate was built with (`docs/CONTRACT.md`).
pub const CONTRACT: &str = include_str!("../../../docs/CONTRACT.md");

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
    /// R3: the project registry exists but a writer cannot use it.
    RegistryCorrupt,
    /// R5: a project selector names no registry row.
    NotRegistered,
    /// A1: `update --all` would write but was not confirmed (no `--yes`
    /// and no terminal to ask on).
    Unconfirmed,
    /// Any other I/O or git failure.
    Io,
}

impl Kind {
    /// Every kind, in the contract's order.
    pub const ALL: [Kind; 17] = [
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
        Kind::RegistryCorrupt,
        Kind::NotRegistered,
        Kind::Unconfirmed,
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
            Kind::RegistryCorrupt => "registry-corrupt",
            Kind::NotRegistered => "not-registered",
            Kind::Unconfirmed => "unconfirmed",
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

/// Clause ids of the contract, in document order: every bullet that
/// starts with `- <Letter><digits> ` under a section heading.
pub fn contract_clauses() -> Vec<String> {
    clauses_of(CONTRACT)
}

/// Clause ids found in a contract text.
pub fn clauses_of(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("- ") else {
            continue;
        };
        let id: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
        let mut chars = id.chars();
        let ok = matches!(chars.next(), Some(c) if c.is_ascii_uppercase())
            && id.len() >= 2
            && chars.all(|c| c.is_ascii_digit());
        if ok && !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// The clause's whole text in the contract: its bullet with the indented
/// lines that continue it, joined by single spaces; empty for an unknown id.
pub fn clause_text(id: &str) -> String {
    let head = format!("- {id} ");
    let mut lines = CONTRACT.lines();
    let Some(first) = lines.by_ref().find_map(|l| l.strip_prefix(&head)) else {
        return String::new();
    };
    let mut out = first.trim().to_owned();
    for l in lines.take_while(|l| l.starts_with("  ") && !l.trim().is_empty()) {
        out.push(' ');
        out.push_str(l.trim());
    }
    out
}

/// The clause's title for a table cell: [`clause_text`] cut at a word
/// boundary to at most 60 characters, `...` marking the cut.
pub fn clause_title(id: &str) -> String {
    const MAX: usize = 60;
    let text = clause_text(id);
    if text.chars().count() <= MAX {
        return text;
    }
    let cut: String = text.chars().take(MAX - 3).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > MAX / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}...", cut.trim_end_matches([' ', ',', ':', ';']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_has_every_group() {
        let c = contract_clauses();
        for id in [
            "Y1", "Y3", "L1", "L10", "K7", "I8", "U7", "D3", "T3", "R5", "A5", "W6", "E4",
        ] {
            assert!(c.contains(&id.to_owned()), "{id} missing from {c:?}");
        }
        // Y L K I U T D R A W E P.
        assert_eq!(c.len(), 3 + 10 + 7 + 8 + 7 + 3 + 3 + 5 + 5 + 6 + 4 + 13);
    }

    #[test]
    fn clause_text_is_the_whole_bullet_and_the_title_cuts_at_a_word() {
        let t = clause_text("P9");
        assert!(t.starts_with("A reinstall of a changed skill"), "{t}");
        assert!(t.ends_with("(generalizes I6, U4)."), "{t}");
        assert!(!t.contains("  "), "{t}");
        let title = clause_title("P9");
        assert!(title.len() <= 60 && title.ends_with("..."), "{title}");
        assert!(t.starts_with(title.trim_end_matches("...")), "{title}");
        // A short clause is whole; an unknown id is empty.
        assert_eq!(clause_title("P3"), clause_text("P3"));
        assert_eq!(clause_text("Z9"), "");
    }
}
