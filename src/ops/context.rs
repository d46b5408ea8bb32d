//! Where an operation runs (CONTRACT Terms): the project root and the wiki
//! location, resolved once from flags and the environment by the CLI.

use std::path::PathBuf;

/// Where an operation runs: the project root and the wiki location,
/// already resolved from flags and the environment (Terms).
#[derive(Debug, Clone)]
pub struct Context {
    /// The project root.
    pub project: PathBuf,
    /// The wiki location.
    pub wiki: PathBuf,
}
