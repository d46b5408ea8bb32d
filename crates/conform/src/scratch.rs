//! Where a run puts its case directories (`--scratch`,
//! `ASSETPIN_CONFORM_SCRATCH`), else `$TMPDIR` when it is set, else a
//! memory file system (`/dev/shm`, when it is a writable tmpfs with at
//! least [`MIN_FREE`] bytes free), else the system's temporary directory.
//!
//! A case's checks read what the tool left in its directories; none of
//! them depends on the file system persisting it, so a tmpfs changes no
//! verdict and spares the tools' fsyncs reaching a disk (the run took
//! 40 s against the reference on this machine's disk and 24 s on tmpfs,
//! docs/performance.md). The report says which was used.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The environment variable that names the scratch directory (the same
/// as `--scratch`).
pub const ENV: &str = "ASSETPIN_CONFORM_SCRATCH";

/// The memory file system tried by default.
pub const SHM: &str = "/dev/shm";

/// The free space (bytes) `/dev/shm` needs to be chosen by default.
pub const MIN_FREE: u64 = 1 << 30;

/// Where the case directories of this process go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scratch {
    /// The directory holding them.
    pub dir: PathBuf,
    /// Whether it is a memory file system (tmpfs).
    pub tmpfs: bool,
    /// How it was chosen.
    pub why: Why,
}

/// How the scratch directory was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// `--scratch` or [`ENV`].
    Asked,
    /// `$TMPDIR`, which the user set.
    Tmpdir,
    /// `/dev/shm`, a writable tmpfs with room.
    Shm,
    /// The system's temporary directory (no usable `/dev/shm`).
    Temp,
}

impl Scratch {
    /// Where the choice came from, for messages: `--scratch`, `$TMPDIR`.
    pub fn source(&self) -> &'static str {
        match self.why {
            Why::Asked => "--scratch or $ASSETPIN_CONFORM_SCRATCH",
            Why::Tmpdir => "$TMPDIR",
            Why::Shm => "the default",
            Why::Temp => "the system's temporary directory",
        }
    }

    /// One line for the report: `case directories: /dev/shm (tmpfs; ...)`.
    pub fn note(&self) -> String {
        let fs = if self.tmpfs { "tmpfs" } else { "disk" };
        let how = match self.why {
            Why::Asked => "as asked",
            Why::Tmpdir => "$TMPDIR; --scratch DIR to choose",
            Why::Shm => "the default; --scratch DIR to choose",
            Why::Temp => "no usable /dev/shm; --scratch DIR to choose",
        };
        format!("case directories: {} ({fs}, {how})", self.dir.display())
    }
}

static CHOSEN: OnceLock<Scratch> = OnceLock::new();

/// Sets the scratch directory before the first case runs (`--scratch`).
/// Later calls, and calls after a case has run, change nothing.
pub fn set(dir: &Path) {
    let _ = CHOSEN.set(Scratch {
        dir: dir.to_owned(),
        tmpfs: is_tmpfs(dir),
        why: Why::Asked,
    });
}

/// The scratch directory: the one [`set`], else [`ENV`], else `$TMPDIR`,
/// else `/dev/shm` when usable, else `std::env::temp_dir()`.
pub fn get() -> &'static Scratch {
    CHOSEN.get_or_init(|| {
        if let Some(d) = std::env::var_os(ENV).filter(|d| !d.is_empty()) {
            let dir = PathBuf::from(d);
            return Scratch {
                tmpfs: is_tmpfs(&dir),
                dir,
                why: Why::Asked,
            };
        }
        if let Some(d) = std::env::var_os("TMPDIR").filter(|d| !d.is_empty()) {
            let dir = PathBuf::from(d);
            return Scratch {
                tmpfs: is_tmpfs(&dir),
                dir,
                why: Why::Tmpdir,
            };
        }
        let shm = Path::new(SHM);
        if usable_shm(shm, MIN_FREE) {
            return Scratch {
                dir: shm.to_owned(),
                tmpfs: true,
                why: Why::Shm,
            };
        }
        let dir = std::env::temp_dir();
        Scratch {
            tmpfs: is_tmpfs(&dir),
            dir,
            why: Why::Temp,
        }
    })
}

/// Whether `dir` can take the case directories: a directory in which
/// this process made (and removed) one. Permission bits alone would pass
/// `/proc` for root, where no directory can be made.
pub fn writable_dir(dir: &Path) -> bool {
    std::fs::metadata(dir).is_ok_and(|m| m.is_dir())
        && tempfile::Builder::new()
            .prefix(".assetpin-conform-probe-")
            .tempdir_in(dir)
            .is_ok()
}

/// Whether `dir` is on a tmpfs.
// `f_type` is an i64 here, a u32 or i32 on other targets.
#[allow(clippy::useless_conversion)]
pub fn is_tmpfs(dir: &Path) -> bool {
    // TMPFS_MAGIC, linux/magic.h.
    const TMPFS_MAGIC: i64 = 0x0102_1994;
    rustix::fs::statfs(dir).is_ok_and(|s| i64::from(s.f_type) == TMPFS_MAGIC)
}

/// `/dev/shm` when it is a tmpfs this process may write with `min_free`
/// bytes free (the test binaries put their temporary directories there).
pub fn shm(min_free: u64) -> Option<PathBuf> {
    let shm = Path::new(SHM);
    usable_shm(shm, min_free).then(|| shm.to_owned())
}

/// A tmpfs directory this process may write, with `min_free` bytes free.
fn usable_shm(dir: &Path, min_free: u64) -> bool {
    let room =
        rustix::fs::statvfs(dir).is_ok_and(|s| s.f_bavail.saturating_mul(s.f_frsize) >= min_free);
    room && is_tmpfs(dir) && rustix::fs::access(dir, rustix::fs::Access::WRITE_OK).is_ok()
}
