//! The `assetpin` command under test, run against a [`Project`] and a
//! [`Wiki`], and what its output looks like.

use super::{Project, Wiki};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The `assetpin` binary built for this test run.
pub fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("assetpin")
}

/// `assetpin --project <project> --wiki <wiki>` as a std command, with the
/// project's HOME and without `MEMTOMEM_WIKI_PATH`.
pub fn assetpin_std(project: &Project, wiki: &Wiki) -> Command {
    assetpin_at(&project.home(), &project.path(), wiki.path())
}

/// `assetpin --project <project> --wiki <wiki>` with `home` as HOME.
pub fn assetpin_at(home: &Path, project: &Path, wiki: &Path) -> Command {
    let mut c = Command::new(bin());
    c.env("HOME", home)
        .env_remove("MEMTOMEM_WIKI_PATH")
        .stdin(Stdio::null())
        .arg("--project")
        .arg(project)
        .arg("--wiki")
        .arg(wiki);
    c
}

/// `assetpin --project <project> --wiki <wiki>` for assertions.
pub fn assetpin(project: &Project, wiki: &Wiki) -> assert_cmd::Command {
    assert_cmd::Command::from_std(assetpin_std(project, wiki))
}

/// `assetpin` run by `sh` after the shell command `setup` (`umask 077`,
/// `ulimit -f 1024`), which sets what the process inherits.
pub fn assetpin_after_sh(project: &Project, wiki: &Wiki, setup: &str) -> Command {
    let mut c = Command::new("sh");
    c.env("HOME", project.home())
        .env_remove("MEMTOMEM_WIKI_PATH")
        .stdin(Stdio::null())
        .arg("-c")
        .arg(format!("{setup}; exec \"$0\" \"$@\""))
        .arg(bin())
        .arg("--project")
        .arg(project.path())
        .arg("--wiki")
        .arg(wiki.path());
    c
}

/// `assetpin` run by `sh` after `umask <mask>`.
pub fn assetpin_umask(project: &Project, wiki: &Wiki, mask: &str) -> assert_cmd::Command {
    assert_cmd::Command::from_std(assetpin_after_sh(project, wiki, &format!("umask {mask}")))
}

/// The first line of `stderr`.
pub fn first_line(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}
