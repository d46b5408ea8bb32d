//! The `flock(2)` locks of the protocol (CONTRACT K1, K3): the sidecar
//! `.memtomem/.lock.json.lock` and the per-asset
//! `.memtomem/<section>/.<name>.lock`.
//!
//! Both are taken through std's [`std::fs::File::lock`], on the same paths
//! the peer uses, so the two tools exclude each other. Lock files are
//! created 0600 and never renamed or removed. The kernel drops a `flock`
//! when its holder dies, so a killed process never blocks the next one.

use crate::error::{Error, Result};
use crate::fs::SafeDir;
use std::fs::File;

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
    pub fn acquire(dir: &SafeDir, name: &str) -> Result<FlockGuard> {
        let file = dir.open_lock_file(name)?;
        file.lock()
            .map_err(|e| Error::io("flock", &dir.child_path(name), e))?;
        Ok(FlockGuard { file })
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
