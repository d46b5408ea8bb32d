//! The update protocol (CONTRACT U1-U7, K3, K4, I6), written once.
//!
//! [`update`] fixes the order of the steps of one update; what a step does
//! is given by an [`UpdateSteps`] implementation. The real update
//! (`ops::update`) implements them with git, `flock` and the disk; the loom
//! models of `tests/concurrency` implement them on the in-memory file
//! system, so the ordering that is model-checked is this function.
//!
//! The order, and the clause each step serves:
//! 1. resolve the wiki HEAD once (K4);
//! 2. plan from the entry, dest and HEAD's tree, reading only: every
//!    refusal (dirty, stale pin, ...) is decided here, before any write
//!    (I5); a plan with nothing to write ends the update (U1), as does
//!    `--dry-run` (U6);
//! 3. take the per-asset lock, the first write, and plan again (K3): a
//!    concurrent update, install or edit may have changed the state while
//!    this process waited;
//! 4. remove stale staging directories, stage the whole new dest beside
//!    the old one (carrying the user's own entries), then exchange the two
//!    atomically (I6): dest is always the old tree or the new one;
//! 5. check that the old tree, now under the staging name, is what the
//!    plan saw (U7 at the swap); if anything changed it, exchange back and
//!    refuse with `conflict`, so no edit is lost;
//! 6. upsert the entry under the sidecar lock (K1, K2); when that fails,
//!    exchange back, so the entry and dest never disagree;
//! 7. remove the old tree.

use crate::error::Result;

/// How an update ended (the plan it followed is beside it, in [`Outcome`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// U1: nothing to write (pin at HEAD, dest clean).
    UpToDate,
    /// U6: `--dry-run`; nothing written.
    Planned,
    /// Dest and the entry were rewritten.
    Updated,
}

/// Whether [`update`] writes (U6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run {
    /// Lock, replan, stage, swap, record: the update itself.
    Write,
    /// `--dry-run`: plan only, write nothing (not even the tidy of U1).
    DryRun,
}

/// How [`update`] ended and the plan it followed (the second one, made
/// under the per-asset lock, when it got that far).
#[derive(Debug, Clone)]
pub struct Outcome<P> {
    /// How it ended.
    pub ended: Ended,
    /// The plan.
    pub plan: P,
}

/// Which of its two plans an update is making (K3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// Before the per-asset lock: refusals decided here write nothing (I5).
    First,
    /// Again under the per-asset lock: the state may have changed while
    /// the update waited for it.
    UnderLock,
}

/// The steps of one update of one asset, in the protocol's terms.
/// [`update`] calls each at most once, in the documented order, except
/// [`UpdateSteps::plan`], which it calls again under the per-asset lock.
pub trait UpdateSteps {
    /// A resolved wiki commit (K4).
    type Pin;
    /// Everything decided before writing: the new tree, the per-file plan,
    /// what dest looked like (its fingerprint).
    type Plan;
    /// The held per-asset lock (K3).
    type Held;
    /// A complete staged tree, not yet in place (I6).
    type Staged;

    /// Resolves the wiki HEAD to update to; called once (K4).
    ///
    /// # Errors
    /// `wiki-not-found`, `io`.
    fn resolve(&self) -> Result<Self::Pin>;

    /// Plans the update to `pin`, reading only, and decides every refusal
    /// (U2-U5, U7 against `--expect-mtime-ns`, I5). `pass` says whether
    /// the per-asset lock is held (the second call, K3).
    ///
    /// # Errors
    /// `not-installed`, `stale-pin`, `dirty`, `conflict`, `asset-not-found`,
    /// `uncommitted`, `lockfile-corrupt`, `lockfile-version`, `unsafe-path`,
    /// `io`.
    fn plan(&self, pin: &Self::Pin, pass: Pass) -> Result<Self::Plan>;

    /// Whether `plan` writes anything (false: up to date, U1).
    fn needs_write(&self, plan: &Self::Plan) -> bool;

    /// With nothing to write, removes what an update killed after its
    /// entry write left (the old tree under a staging name), under the
    /// per-asset lock it takes itself (I6).
    ///
    /// # Errors
    /// `unsafe-path`, `io`.
    fn tidy(&self) -> Result<()>;

    /// Takes the per-asset lock (K3): the first write of an update.
    ///
    /// # Errors
    /// `unsafe-path`, `io`.
    fn lock_asset(&self) -> Result<Self::Held>;

    /// Called once the plan under the lock is final and before the first
    /// write to dest: the place for warnings the user must see first (a
    /// backward `--force-head`, U5).
    fn before_write(&self, plan: &Self::Plan);

    /// Removes stale staging directories and stages the new dest (the
    /// plan's tree, plus the user's own entries carried from the old
    /// dest) beside it (I3, I6, U2, U3).
    ///
    /// # Errors
    /// `io`.
    fn stage(&self, held: &Self::Held, plan: &Self::Plan) -> Result<Self::Staged>;

    /// Puts the staged tree in place atomically: an exchange with the old
    /// dest (which then sits under the staging name), or a rename without
    /// replacing when there was no dest (I6). A dest that appeared
    /// meanwhile is `conflict`, with the staged tree removed.
    ///
    /// # Errors
    /// `conflict`, `io`.
    fn swap(&self, held: &Self::Held, staged: &Self::Staged) -> Result<()>;

    /// U7 at the swap: refuses with `conflict` unless the old tree (now
    /// under the staging name) is what `plan` saw.
    ///
    /// # Errors
    /// `conflict`, `io`.
    fn check_unchanged(
        &self,
        held: &Self::Held,
        plan: &Self::Plan,
        staged: &Self::Staged,
    ) -> Result<()>;

    /// Undoes [`UpdateSteps::swap`]: the old dest back in place, the new
    /// tree removed.
    ///
    /// # Errors
    /// `io` (then dest may be the new tree; the entry still records the
    /// old pin, which the next `update` or `status` reports).
    fn unswap(&self, held: &Self::Held, staged: &Self::Staged) -> Result<()>;

    /// Upserts the entry for `pin` and the staged bytes under the sidecar
    /// lock (K1, K2, L2).
    ///
    /// # Errors
    /// `lockfile-corrupt`, `lockfile-version`, `io`.
    fn record(
        &self,
        held: &Self::Held,
        pin: &Self::Pin,
        plan: &Self::Plan,
        staged: &Self::Staged,
    ) -> Result<()>;

    /// Removes the old tree, which sits under the staging name (I6).
    ///
    /// # Errors
    /// `io`.
    fn discard_old(&self, held: &Self::Held, staged: Self::Staged) -> Result<()>;
}

/// Runs one update in the protocol's order (see the module documentation),
/// or with [`Run::DryRun`] only its plan, and returns how it ended and the
/// plan it followed ([`Outcome`]).
///
/// # Errors
/// The errors of the steps. Every refusal before
/// [`UpdateSteps::lock_asset`] leaves the project unchanged (I5); one
/// after it leaves dest and the entry as they were.
pub fn update<S: UpdateSteps>(steps: &S, run: Run) -> Result<Outcome<S::Plan>> {
    let end = |ended, plan| Ok(Outcome { ended, plan });
    let pin = steps.resolve()?;
    let plan = steps.plan(&pin, Pass::First)?;
    if !steps.needs_write(&plan) {
        if run == Run::Write {
            steps.tidy()?;
        }
        return end(Ended::UpToDate, plan);
    }
    if run == Run::DryRun {
        return end(Ended::Planned, plan);
    }

    let held = steps.lock_asset()?;
    // K3: another process may have changed the state while we waited.
    let plan = steps.plan(&pin, Pass::UnderLock)?;
    if !steps.needs_write(&plan) {
        return end(Ended::UpToDate, plan);
    }
    steps.before_write(&plan);
    let staged = steps.stage(&held, &plan)?;
    crate::failpoint!("update::after-stage");
    steps.swap(&held, &staged)?;
    if let Err(e) = steps.check_unchanged(&held, &plan, &staged) {
        steps.unswap(&held, &staged)?;
        return Err(e);
    }
    crate::failpoint!("update::after-exchange");
    if let Err(e) = steps.record(&held, &pin, &plan, &staged) {
        // The entry still records the old pin: the old dest goes back.
        steps.unswap(&held, &staged)?;
        return Err(e);
    }
    crate::failpoint!("update::after-upsert");
    steps.discard_old(&held, staged)?;
    crate::failpoint!("update::after-cleanup");
    drop(held);
    end(Ended::Updated, plan)
}
