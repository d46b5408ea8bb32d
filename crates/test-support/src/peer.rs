//! The peer, memtomem's `mm`: where it is, and `mm` run against a
//! [`Project`] and a [`Wiki`]. Whether a test that needs it runs, is
//! ignored or fails is the harness's call (`tests/tests.rs`).

use super::{Project, Wiki};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The peer's `mm` executable when it is installed and runs:
/// `$ASSETPIN_MM`, else `<repo>/target/peers/memtomem/bin/mm`.
pub fn peer() -> Option<PathBuf> {
    static PEER: OnceLock<Option<PathBuf>> = OnceLock::new();
    PEER.get_or_init(|| {
        let path = std::env::var_os("ASSETPIN_MM")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| crate::repo_root().join("target/peers/memtomem/bin/mm"));
        let ok = Command::new(&path)
            .args(["context", "--help"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        ok.then_some(path)
    })
    .clone()
}

/// The peer's web venv (`scripts/install-peer-web.sh`) when its launcher
/// `bin/mm-web` runs: `$ASSETPIN_PEER_WEB_DIR`, else
/// `<repo>/target/peers/memtomem-web`.
pub fn peer_web() -> Option<PathBuf> {
    static WEB: OnceLock<Option<PathBuf>> = OnceLock::new();
    WEB.get_or_init(|| {
        let dir = std::env::var_os("ASSETPIN_PEER_WEB_DIR")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| crate::repo_root().join("target/peers/memtomem-web"));
        let ok = Command::new(dir.join("bin/mm-web"))
            .args(["mm", "context", "--help"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        ok.then_some(dir)
    })
    .clone()
}

/// Why the web interop tests are ignored.
pub const PEER_WEB_MISSING: &str = "the peer's web API is not installed: run \
    scripts/install-peer-web.sh (needs Python >= 3.12), or set ASSETPIN_PEER_WEB_DIR";

/// `mm args...` run in the project with the wiki in `MEMTOMEM_WIKI_PATH`
/// and the project's HOME (the peer has no `--project` flag).
pub fn mm_std(mm: &Path, project: &Project, wiki: &Wiki) -> Command {
    let mut c = Command::new(mm);
    c.current_dir(project.path())
        .env("HOME", project.home())
        .env("MEMTOMEM_WIKI_PATH", wiki.path())
        .env("NO_COLOR", "1")
        .env("TERM", "dumb")
        .env("COLUMNS", "200")
        .stdin(Stdio::null());
    c
}

/// Why a test that needs the peer cannot run.
pub const PEER_MISSING: &str = "the peer (memtomem `mm`) was not found: set ASSETPIN_MM, \
     or run scripts/install-peer.sh (it installs into target/peers/memtomem)";

/// A headless-capable chromium: `$ASSETPIN_CHROMIUM`, else `chromium` on
/// PATH, when `--version` runs.
pub fn chromium() -> Option<PathBuf> {
    static C: OnceLock<Option<PathBuf>> = OnceLock::new();
    C.get_or_init(|| {
        let path = std::env::var_os("ASSETPIN_CHROMIUM")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::split_paths(&std::env::var_os("PATH")?)
                    .map(|d| d.join("chromium"))
                    .find(|p| p.is_file())
            })?;
        let ok = Command::new(&path)
            .arg("--version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(path)
    })
    .clone()
}

/// Why the browser test is ignored.
pub const CHROMIUM_MISSING: &str = "no chromium: `apt-get install chromium` (as .ci/run does), \
    or set ASSETPIN_CHROMIUM to a chromium binary";
