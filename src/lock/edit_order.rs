//! The edit protocol (CONTRACT W1-W5, K3), written once.
//!
//! [`edit`] fixes the order of the steps of one guarded edit of an asset's
//! main file; what a step does is given by an [`EditSteps`] implementation
//! (`ops::edit` on disk).
//!
//! The order, and the clause each step serves:
//! 1. check, reading only: dest and its main file exist and are what they
//!    should be (W4), and the file's `mtime_ns` equals the expected one
//!    (W2). A stale edit is aborted before the first write, so it leaves
//!    no lock file behind;
//! 2. take the per-asset lock (K3), remove the temporary names a killed
//!    edit left, and check again (W3): another edit may have landed while
//!    this process waited;
//! 3. stage the new bytes under a temporary name beside the main file,
//!    with the main file's mode (W5), fsynced;
//! 4. exchange the staged file and the main file in one rename (W1: a
//!    reader sees the old bytes or the new, never a mix);
//! 5. compare the old file, now under the temporary name, with what the
//!    check saw (the guard at the swap, W5): a writer that took no lock
//!    and changed it meanwhile makes the edit exchange back and abort
//!    with `conflict`, its bytes kept;
//! 6. delete the old file.

use crate::error::Result;

/// The steps of one edit of one asset's main file. [`edit`] calls each at
/// most once, in the documented order, except [`EditSteps::check`], which
/// it calls twice.
pub trait EditSteps {
    /// What a check saw of the main file (identity, mode, `mtime_ns`).
    type Seen;
    /// The held per-asset lock (K3).
    type Held;
    /// The staged file.
    type Staged;

    /// Checks dest, the main file and its `mtime_ns`; reads only.
    ///
    /// # Errors
    /// `not-installed`, `unsafe-path`, `conflict` (W2), `io`.
    fn check(&self) -> Result<Self::Seen>;

    /// Takes the per-asset lock (K3): the first write.
    ///
    /// # Errors
    /// `unsafe-path`, `io`.
    fn lock_asset(&self) -> Result<Self::Held>;

    /// Removes the temporary names of the main file that killed edits
    /// left; with the lock held no live edit owns one.
    ///
    /// # Errors
    /// `unsafe-path`, `io`.
    fn tidy(&self, held: &Self::Held) -> Result<()>;

    /// Writes the new bytes under a temporary name, with the mode of the
    /// file `seen` (W5), and makes sure its `mtime_ns` differs from the
    /// expected one (W1).
    ///
    /// # Errors
    /// `unsafe-path`, `io`.
    fn stage(&self, held: &Self::Held, seen: &Self::Seen) -> Result<Self::Staged>;

    /// Exchanges the staged file and the main file (W1).
    ///
    /// # Errors
    /// `io` (nothing was exchanged).
    fn exchange(&self, held: &Self::Held, staged: &Self::Staged) -> Result<()>;

    /// Whether the file now under the staged name is still the one `seen`
    /// (same inode, size and `mtime_ns`): the guard at the swap (W5).
    ///
    /// # Errors
    /// `io`.
    fn unchanged_since(
        &self,
        held: &Self::Held,
        staged: &Self::Staged,
        seen: &Self::Seen,
    ) -> Result<bool>;

    /// Exchanges back after the guard at the swap failed, and returns the
    /// `conflict` to report (W2: the current `mtime_ns` echoed).
    fn put_back(&self, held: &Self::Held, staged: &Self::Staged) -> crate::error::Error;

    /// Deletes what is under the staged name: the old file after a
    /// success, the new bytes after a refusal.
    ///
    /// # Errors
    /// `io`.
    fn discard(&self, held: &Self::Held, staged: &Self::Staged) -> Result<()>;

    /// The main file's `mtime_ns` after the edit (W1).
    ///
    /// # Errors
    /// `io`.
    fn new_mtime(&self, held: &Self::Held) -> Result<i128>;
}

/// Runs one edit in the protocol's order (see the module documentation)
/// and returns the main file's new `mtime_ns`.
///
/// # Errors
/// The errors of the steps; every refusal leaves the main file's bytes and
/// `mtime_ns` as they were (W2).
pub fn edit<S: EditSteps>(steps: &S) -> Result<i128> {
    steps.check()?;
    let held = steps.lock_asset()?;
    steps.tidy(&held)?;
    // W3, K3: another edit may have landed while we waited.
    let seen = steps.check()?;
    let staged = steps.stage(&held, &seen)?;
    crate::failpoint!("edit::after-stage");
    if let Err(e) = steps.exchange(&held, &staged) {
        let _ = steps.discard(&held, &staged);
        return Err(e);
    }
    crate::failpoint!("edit::after-exchange");
    match steps.unchanged_since(&held, &staged, &seen) {
        Ok(true) => {}
        guard => {
            let conflict = steps.put_back(&held, &staged);
            let _ = steps.discard(&held, &staged);
            return Err(guard.err().unwrap_or(conflict));
        }
    }
    steps.discard(&held, &staged)?;
    steps.new_mtime(&held)
}
