//! The remove protocol (CONTRACT D1-D3, K1-K3), written once.
//!
//! [`remove`] fixes the order of the steps of one remove; what a step does
//! is given by a [`RemoveSteps`] implementation (`ops::remove` on disk).
//!
//! The order, and the clause each step serves:
//! 1. plan: read the entry and dest and decide, before any write (I5):
//!    `not-installed` without an entry, `dirty` when dest has local edits
//!    and `--force` was not given (D2);
//! 2. take the per-asset lock, remove what crashed removes left, and plan
//!    again (K3): the state may have changed while this process waited;
//! 3. take dest out of place in one rename: to a staging name of the
//!    asset (clean), or, forced over local edits, to the kept copy the
//!    user is told about (D2). A kill here leaves the entry without dest,
//!    which the next `remove` finishes (or `install --all` restores);
//! 4. compare the taken-out tree with what the plan saw (D2 at the
//!    take-out): a file written, edited or removed in dest since the plan
//!    was never judged, so dest is put back and the remove refused
//!    (`conflict`); nothing is deleted and the entry stays;
//! 5. delete the entry under the sidecar lock (K1, K2), comparing the
//!    taken-out tree with the plan once more under that lock (a write
//!    while this process waited for it), putting dest back when either
//!    fails;
//! 6. delete the taken-out tree (the clean case), after a last comparison:
//!    a tree changed since is kept aside, never deleted. A kill before it
//!    leaves a staging directory, which the next operation on the asset
//!    removes.

use crate::error::Result;

/// The steps of one remove of one asset. [`remove`] calls each at most
/// once, in the documented order, except [`RemoveSteps::plan`], which it
/// calls twice.
pub trait RemoveSteps {
    /// What the plan decided (entry, dest, dirty files, kept copy).
    type Plan;
    /// The held per-asset lock (K3).
    type Held;

    /// Reads the entry and dest and decides; reads only (I5, D1, D2).
    ///
    /// # Errors
    /// `not-installed`, `dirty`, `lockfile-corrupt`, `lockfile-version`,
    /// `unsafe-path`, `io`.
    fn plan(&self) -> Result<Self::Plan>;

    /// Takes the per-asset lock (K3): the first write.
    ///
    /// # Errors
    /// `unsafe-path`, `io`.
    fn lock_asset(&self) -> Result<Self::Held>;

    /// Removes the staging directories of the asset that crashed
    /// processes left; with the lock held no live process owns one.
    ///
    /// # Errors
    /// `io`.
    fn tidy(&self, held: &Self::Held) -> Result<()>;

    /// Moves dest out of place in one rename (D3); nothing when the plan
    /// found no dest.
    ///
    /// # Errors
    /// `unsafe-path`, `io`.
    fn take_out(&self, held: &Self::Held, plan: &Self::Plan) -> Result<()>;

    /// Refuses with `conflict` when the tree taken out differs from what
    /// the plan saw (every entry's name, kind, mode, size, inode and
    /// mtime, names that are not UTF-8 included): something changed dest
    /// between the plan and the take-out (D2). Nothing when the plan found
    /// no dest.
    ///
    /// # Errors
    /// `conflict`, `unsafe-path`, `io`.
    fn check_unchanged(&self, held: &Self::Held, plan: &Self::Plan) -> Result<()>;

    /// Deletes the entry under the sidecar lock (K1, K2), after the
    /// comparison of [`RemoveSteps::check_unchanged`] repeated under it.
    ///
    /// # Errors
    /// `conflict`, `lockfile-corrupt`, `lockfile-version`, `io`.
    fn unrecord(&self, held: &Self::Held, plan: &Self::Plan) -> Result<()>;

    /// Puts dest back after [`RemoveSteps::check_unchanged`] or
    /// [`RemoveSteps::unrecord`] failed; best effort, and never deletes:
    /// a tree that cannot go back is kept, not left to be tidied away.
    fn put_back(&self, held: &Self::Held, plan: &Self::Plan);

    /// Deletes the taken-out tree when it is not the kept copy; one that
    /// changed since the plan is moved to the kept copies instead.
    ///
    /// # Errors
    /// `conflict` (kept, not deleted), `io`.
    fn discard(&self, held: &Self::Held, plan: &Self::Plan) -> Result<()>;
}

/// Runs one remove in the protocol's order (see the module documentation)
/// and returns the plan carried out.
///
/// # Errors
/// The errors of the steps; every refusal before
/// [`RemoveSteps::take_out`] leaves the project as it was (I5).
pub fn remove<S: RemoveSteps>(steps: &S) -> Result<S::Plan> {
    steps.plan()?;
    let held = steps.lock_asset()?;
    steps.tidy(&held)?;
    // K3: another process may have changed the asset while we waited.
    let plan = steps.plan()?;
    crate::failpoint!("remove::after-plan");
    steps.take_out(&held, &plan)?;
    // D2: what the plan judged is what is taken out, or nothing is deleted.
    if let Err(e) = steps.check_unchanged(&held, &plan) {
        steps.put_back(&held, &plan);
        return Err(e);
    }
    crate::failpoint!("remove::after-take-out");
    if let Err(e) = steps.unrecord(&held, &plan) {
        steps.put_back(&held, &plan);
        return Err(e);
    }
    crate::failpoint!("remove::after-unrecord");
    steps.discard(&held, &plan)?;
    Ok(plan)
}
