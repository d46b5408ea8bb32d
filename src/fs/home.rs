//! The user's home directory, found as the peer finds it (Python's
//! `os.path.expanduser("~")`): `$HOME` when it is set, else the passwd
//! entry of the running user. Only an absolute path is taken: a relative
//! one would put the wiki or the registry wherever the command happens to
//! run.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The home directory (an absolute path).
///
/// # Errors
/// `io` naming `$HOME` when `HOME` is empty or relative, or when it is
/// unset and the passwd database has no absolute home for this user; the
/// message says to set `HOME` (`for_what` says what it was needed for).
pub fn home_dir(for_what: &str) -> Result<PathBuf> {
    let found = match std::env::var_os("HOME") {
        Some(h) => Some(PathBuf::from(h)),
        None => nix::unistd::User::from_uid(nix::unistd::getuid())
            .ok()
            .flatten()
            .map(|u| u.dir),
    };
    match found {
        Some(h) if h.is_absolute() => Ok(h),
        other => Err(Error::io(
            for_what,
            Path::new("$HOME"),
            format!(
                "HOME is {}; set HOME to your home directory (an absolute path)",
                match other {
                    Some(h) if h.as_os_str().is_empty() => "empty".to_owned(),
                    Some(h) => format!("the relative path {:?}", h.display().to_string()),
                    None => "not set and the passwd database has no home for this user".into(),
                }
            ),
        )),
    }
}
