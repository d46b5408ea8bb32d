//! The `flock(2)` locks of the protocol (CONTRACT K1, K3): the sidecar
//! `.memtomem/.lock.json.lock` and the per-asset
//! `.memtomem/<section>/.<name>.lock`.
//!
//! Both are taken through std's [`std::fs::File::lock`], on the same paths
//! the peer uses, so the two tools exclude each other. Lock files are
//! created 0600 and never renamed or removed. The kernel drops a `flock`
//! when its holder dies, so a killed process never blocks the next one;
//! a stopped one (SIGSTOP, a suspended shell job) does, so a writer that
//! has waited [`NOTE_AFTER`] says on stderr what it waits for, and
//! [`set_wait_limit`] (`--lock-timeout`) bounds the wait.

use crate::error::{Error, Result};
use crate::fs::SafeDir;
use std::fs::{File, TryLockError};
use std::path::Path;
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a writer waits in silence before it says which lock it waits
/// for (1 s, as cargo and uv do).
pub const NOTE_AFTER: Duration = Duration::from_secs(1);

static WAIT_LIMIT: OnceLock<Duration> = OnceLock::new();

/// Bounds every later wait for a lock of this process to `limit`
/// (`--lock-timeout`); without it a writer waits as long as the holder
/// holds. Set once, before the first lock; a second call is ignored.
pub fn set_wait_limit(limit: Duration) {
    let _ = WAIT_LIMIT.set(limit);
}

/// Sidecar lock file name inside `.memtomem/` (K1).
pub const SIDECAR_NAME: &str = ".lock.json.lock";

/// Per-asset lock file name inside the section directory (K3).
pub fn asset_lock_name(name: &str) -> String {
    format!(".{name}.lock")
}

/// A held exclusive `flock`; released on drop.
#[derive(Debug)]
pub struct FlockGuard {
    file: File,
}

impl FlockGuard {
    /// Opens (creating 0600) `name` in `dir` and blocks until an exclusive
    /// `flock` on it is held.
    ///
    /// # Errors
    /// `unsafe-path` when the lock path is a link; `io`.
    /// After [`NOTE_AFTER`] of waiting it prints one note naming the lock
    /// on stderr; with [`set_wait_limit`] it gives up after the limit.
    ///
    /// # Errors
    /// `unsafe-path` when the lock path is a link; `io`, also when the
    /// wait limit passes (the message names the lock and the remedy).
    pub fn acquire(dir: &SafeDir, name: &str) -> Result<FlockGuard> {
        let file = dir.open_lock_file(name)?;
        let path = dir.child_path(name);
        match file.try_lock() {
            Ok(()) => return Ok(FlockGuard { file }),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => return Err(Error::io("flock", &path, e)),
        }
        match WAIT_LIMIT.get() {
            None => wait_blocking(&file, &path)?,
            Some(limit) => wait_polling(&file, &path, *limit)?,
        }
        Ok(FlockGuard { file })
    }
}

/// Waits until nobody holds the lock `name` in `dir` when somebody does
/// now, and holds it then; `None`, without waiting, when the lock file is
/// missing or free (K3). Creates and changes nothing: a verb about to
/// refuse from what it read without the lock calls it to read again once
/// a writer that was mid-way has finished, so that it never refuses from
/// a state that only existed half-way through another process's work
/// (and a refusal still writes nothing, I5).
///
/// # Errors
/// `io`, also when the wait limit passes.
pub fn wait_if_held(dir: &SafeDir, name: &str) -> Result<Option<FlockGuard>> {
    let Some(file) = dir.open_existing_lock_file(name)? else {
        return Ok(None);
    };
    let path = dir.child_path(name);
    match file.try_lock() {
        Ok(()) => return Ok(None),
        Err(TryLockError::WouldBlock) => {}
        Err(TryLockError::Error(e)) => return Err(Error::io("flock", &path, e)),
    }
    match WAIT_LIMIT.get() {
        None => wait_blocking(&file, &path)?,
        Some(limit) => wait_polling(&file, &path, *limit)?,
    }
    Ok(Some(FlockGuard { file }))
}

fn note_waiting(path: &Path) {
    eprintln!(
        "note: waiting for the lock {}: another process holds it (assetpin or memtomem's mm; \
         a stopped one holds it until it continues or ends; --lock-timeout SECONDS gives up)",
        path.display()
    );
}

/// Waits in the kernel (its queue keeps the order of waiters); a second
/// thread prints the note unless the lock came first.
fn wait_blocking(file: &File, path: &Path) -> Result<()> {
    let (done, wait) = mpsc::channel::<()>();
    let shown = path.to_owned();
    let noter = std::thread::Builder::new()
        .name("lock-note".into())
        .spawn(move || {
            if wait.recv_timeout(NOTE_AFTER) == Err(mpsc::RecvTimeoutError::Timeout) {
                note_waiting(&shown);
            }
        });
    let locked = file.lock().map_err(|e| Error::io("flock", path, e));
    drop(done);
    if let Ok(t) = noter {
        let _ = t.join();
    }
    locked
}

/// Polls until the lock is free or `limit` has passed.
fn wait_polling(file: &File, path: &Path, limit: Duration) -> Result<()> {
    let start = Instant::now();
    let mut noted = false;
    let mut pause = Duration::from_millis(1);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => return Err(Error::io("flock", path, e)),
        }
        let waited = start.elapsed();
        if waited >= limit {
            return Err(Error::io(
                "flock",
                path,
                format!(
                    "another process still holds the lock after --lock-timeout {:.3}s; nothing \
                     was written (wait for it to finish, or find it with `fuser -v {}`, and \
                     retry)",
                    limit.as_secs_f64(),
                    path.display()
                ),
            ));
        }
        if !noted && waited >= NOTE_AFTER {
            note_waiting(path);
            noted = true;
        }
        std::thread::sleep(pause.min(limit - waited));
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

impl Drop for FlockGuard {
    fn drop(&mut self) {
        // Closing the descriptor releases the lock as well; unlocking first
        // makes the release independent of other handles to the file.
        let _ = self.file.unlock();
    }
}

/// The per-asset lock of K3, held for a whole install or update.
pub type AssetLock = FlockGuard;
