//! `git` run with a fixed identity and no user or system config, so the
//! machine's git setup cannot change what a test sees.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};

/// A `git` command with a fixed identity and no user or system config, so
/// the machine's git setup cannot change what a test sees.
pub fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_DATE", "2024-01-02T03:04:05Z")
        .env("GIT_COMMITTER_DATE", "2024-01-02T03:04:05Z")
        .args([
            "-c",
            "user.name=assetpin tests",
            "-c",
            "user.email=tests@assetpin.invalid",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "protocol.file.allow=always",
        ])
        .stdin(Stdio::null());
    c
}

/// Runs `git args` in `dir`, panicking with its stderr when it fails, and
/// returns its stdout without the trailing newline.
pub fn run_git<I, S>(dir: &Path, args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut c = git(dir);
    c.args(args);
    let out = c.output().expect("cannot run git");
    assert!(
        out.status.success(),
        "{c:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("git output is UTF-8")
        .trim_end()
        .to_owned()
}
