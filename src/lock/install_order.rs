//! The install protocol (CONTRACT K2-K4, I4-I7), written once.
//!
//! [`install`] fixes the order of the steps of one install; what a step
//! does is given by an [`InstallSteps`] implementation. The real install
//! (`ops::install`) implements the steps with git, `flock` and the
//! disk; the loom models of `tests/concurrency` implement them on an
//! in-memory file system built on [`crate::lock::sync`], so the ordering that is
//! model-checked is this very function (see `docs/concurrency.md`).
//!
//! The order, and the clause each step serves:
//! 1. resolve the wiki commit once (K4) and read the asset's bytes at that
//!    commit (I1, I2): the pin recorded is the pin the bytes came from;
//! 2. check that neither the lockfile entry nor dest exists (I4), before
//!    any write (I5);
//! 3. take the per-asset lock, the first write, and repeat the check (K3):
//!    a concurrent install of the same asset may have won meanwhile;
//! 4. remove stale staging directories, stage the tree in a sibling of
//!    dest and rename it into place without replacing (I6);
//! 5. only then upsert the entry under the sidecar lock (I7, K1, K2),
//!    taking dest back out when that fails.

use crate::asset::AssetType;
use crate::error::Error;
use crate::error::Result;
use serde_json::Value;
use std::path::Path;

/// The steps of one install of one asset, in the protocol's terms.
/// [`install`] calls each method at most once, in the documented order,
/// except [`InstallSteps::check_absent`], which it calls twice.
pub trait InstallSteps {
    /// A resolved wiki commit (K4).
    type Pin;
    /// The asset's files as read at a pin (I1, I2).
    type Tree;
    /// The held per-asset lock and what the locked steps need (K3).
    type Held;
    /// A complete staged tree, not yet in place (I6).
    type Staged;

    /// Resolves the wiki commit to install from; called once (K4).
    ///
    /// # Errors
    /// `wiki-not-found`, `io`.
    fn resolve(&self) -> Result<Self::Pin>;

    /// Reads the asset's bytes from the tree of `pin` (never from the work
    /// tree) and checks that the work tree agrees with it (I1, I2, K4).
    ///
    /// # Errors
    /// `asset-not-found`, `uncommitted`, `io`.
    fn read(&self, pin: &Self::Pin) -> Result<Self::Tree>;

    /// Refuses with `already-installed` when the lockfile entry or dest
    /// exists (I4); reads only. Called before and again after the
    /// per-asset lock is taken (K3).
    ///
    /// # Errors
    /// `already-installed`, `lockfile-corrupt`, `lockfile-version`,
    /// `unsafe-path`, `io`.
    fn check_absent(&self) -> Result<()>;

    /// Takes the per-asset lock (K3): the first write of an install.
    ///
    /// # Errors
    /// `unsafe-path`, `io`.
    fn lock_asset(&self) -> Result<Self::Held>;

    /// Removes staging directories a crashed process left (I6). With the
    /// per-asset lock held no live process owns one.
    ///
    /// # Errors
    /// `io`.
    fn clean_stale(&self, held: &Self::Held) -> Result<()>;

    /// Writes `tree` into a fresh staging sibling of dest (I3, I6).
    ///
    /// # Errors
    /// `io`.
    fn stage(&self, held: &Self::Held, tree: &Self::Tree) -> Result<Self::Staged>;

    /// Renames the staged tree to dest without replacing it (I6). When
    /// dest exists, removes the staging directory and refuses with
    /// `already-installed` (I4).
    ///
    /// # Errors
    /// `already-installed`, `io`.
    fn place(&self, held: &Self::Held, staged: &Self::Staged) -> Result<()>;

    /// Upserts the entry for the bytes of `tree` at `pin` under the sidecar
    /// lock (I7, K1, K2, L2), with [`record_new_entry`].
    ///
    /// # Errors
    /// `already-installed`, `lockfile-corrupt`, `lockfile-version`, `io`.
    fn record(
        &self,
        held: &Self::Held,
        pin: &Self::Pin,
        tree: &Self::Tree,
        staged: Self::Staged,
    ) -> Result<()>;

    /// Takes dest back out after [`InstallSteps::record`] failed, keeping
    /// I5's promise as far as it can; best effort.
    fn unplace(&self, held: &Self::Held);
}

/// I4: refuses with `already-installed` when the lockfile entry or dest
/// exists, naming both sides and the remedy for that state.
///
/// # Errors
/// `already-installed`.
pub fn refuse_if_present(
    ty: AssetType,
    name: &str,
    entry: bool,
    dest: bool,
    dest_path: &Path,
) -> Result<()> {
    if entry || dest {
        Err(Error::already_installed(ty, name, entry, dest, dest_path))
    } else {
        Ok(())
    }
}

/// What one install did: the pin it recorded and the tree it placed.
#[derive(Debug)]
pub struct Done<P, T> {
    /// The commit recorded (K4: the one whose bytes were placed).
    pub pin: P,
    /// The tree placed in dest.
    pub tree: T,
}

/// Runs one install in the protocol's order (K2-K4, I4-I7; see the module
/// documentation) and returns the pin recorded and the tree installed.
///
/// # Errors
/// The errors of the steps; every refusal before
/// [`InstallSteps::lock_asset`] leaves the project unchanged (I5).
pub fn install<S: InstallSteps>(steps: &S) -> Result<Done<S::Pin, S::Tree>> {
    let pin = steps.resolve()?;
    let tree = steps.read(&pin)?;
    steps.check_absent()?;
    crate::failpoint!("install::before-lock");

    let held = steps.lock_asset()?;
    // K3: another process may have installed the asset while we waited.
    steps.check_absent()?;
    steps.clean_stale(&held)?;
    let staged = steps.stage(&held, &tree)?;
    crate::failpoint!("install::after-stage");
    steps.place(&held, &staged)?;
    crate::failpoint!("install::after-rename");
    if let Err(e) = steps.record(&held, &pin, &tree, staged) {
        steps.unplace(&held);
        return Err(e);
    }
    crate::failpoint!("install::after-upsert");
    drop(held);
    Ok(Done { pin, tree })
}

/// The decision an install makes under the sidecar lock (I4, I7, L2),
/// for [`crate::lock::transact_upsert`]: given the entry now stored for
/// `(ty, name)`, refuses with `already-installed` when one appeared since
/// the checks, else says to write the new entry.
///
/// # Errors
/// `already-installed`.
pub fn record_new_entry(
    existing: Option<&Value>,
    ty: AssetType,
    name: &str,
    dest_path: &Path,
) -> Result<bool> {
    // Only an object is an entry (see `lockfile::get`).
    if existing.is_some_and(Value::is_object) {
        refuse_if_present(ty, name, true, true, dest_path)?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Kind;

    /// I7, K1: the decision under the sidecar lock writes the entry only
    /// when none is stored; one stored since the checks (a writer that
    /// skipped the per-asset lock, or a hand edit) is refused, naming dest.
    #[test]
    fn record_new_entry_writes_only_when_no_entry_is_stored() {
        let dest = Path::new("/p/.claude/skills/a");
        let written = record_new_entry(None, AssetType::Skill, "a", dest);
        assert!(matches!(written, Ok(true)), "{written:?}");

        let entry = serde_json::json!({"pin": "0".repeat(40)});
        let err = record_new_entry(Some(&entry), AssetType::Skill, "a", dest).unwrap_err();
        assert_eq!(err.kind, Kind::AlreadyInstalled);
        assert!(
            err.message.contains("/p/.claude/skills/a"),
            "{}",
            err.message
        );
        assert_eq!(err.details["lockfile_entry"], true);
    }
}
