//! The git files outside the wiki that `gix` reads for it (E4, I1; the
//! suite's `n-wiki-plants` family, its `home` targets): the system, XDG
//! and user configuration with every file they include, and the excludes
//! and attributes files the configuration names (or their XDG defaults).
//! `gix` opens each with a plain `open`, which waits forever on a FIFO, so
//! each is checked first: absent, or a regular file reached as git
//! reaches it (links followed). Anything else is refused naming the path.

use super::metadata::{Found, found};
use crate::error::{Error, Result};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Environment lookup (`std::env::var_os` in the binary; a map in tests).
pub type Env<'a> = &'a mut dyn FnMut(&str) -> Option<OsString>;

/// How deep includes are followed: git's own limit.
const MAX_INCLUDE_DEPTH: usize = 10;

/// The most of a configuration file read to find its includes (bytes);
/// past it, the includes of the rest are not looked at (gix reads it all).
const CONFIG_MAX: u64 = 16 << 20;

fn refuse(p: &Path, what: &str) -> Error {
    Error::unsafe_path(
        p,
        &format!(
            "{what} that git reads for the wiki, but not a regular file (a FIFO, socket, \
             device or directory: reading it would hang or fail); nothing was read from the wiki"
        ),
    )
}

/// Checks the configuration files `gix` loads before it opens the wiki
/// whose repository configuration is `local` (`.git/config`): the
/// system one (unless `GIT_CONFIG_NOSYSTEM`), the XDG one, the user's
/// (`GIT_CONFIG_GLOBAL` stands for both), `local`, and every file they
/// include (`include.path`, `includeIf.*.path`, whatever the condition).
///
/// # Errors
/// `unsafe-path` naming the first that is not absent or a regular file.
pub fn check_config(local: &Path, env: Env<'_>) -> Result<()> {
    use gix::config::Source;
    let home = env("HOME").map(PathBuf::from);
    let mut paths: Vec<PathBuf> = [Source::System, Source::Git, Source::User]
        .into_iter()
        .filter_map(|s| s.storage_location(env))
        .collect();
    paths.push(local.to_owned());
    let mut seen = std::collections::HashSet::new();
    for p in paths {
        check_config_file(&p, home.as_deref(), 0, &mut seen)?;
    }
    Ok(())
}

/// `p` and, read as configuration, what it includes, to
/// [`MAX_INCLUDE_DEPTH`]; each path once (`seen`): a file that includes
/// itself many times would otherwise cost that many to the tenth power.
fn check_config_file(
    p: &Path,
    home: Option<&Path>,
    depth: usize,
    seen: &mut std::collections::HashSet<PathBuf>,
) -> Result<()> {
    if !seen.insert(p.to_owned()) {
        return Ok(());
    }
    match found(p) {
        None => return Ok(()),
        Some(Found::File) => {}
        Some(_) => return Err(refuse(p, "a git configuration file")),
    }
    if depth >= MAX_INCLUDE_DEPTH {
        return Ok(());
    }
    for inc in includes(p) {
        let to = resolve(&inc, p.parent(), home);
        check_config_file(&to, home, depth + 1, seen)?;
    }
    Ok(())
}

/// The include paths of the configuration file `p` (a regular file),
/// as written; none when it cannot be read or parsed (gix then says why).
fn includes(p: &Path) -> Vec<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    let Ok(f) = std::fs::File::open(p) else {
        return Vec::new();
    };
    if f.take(CONFIG_MAX).read_to_end(&mut bytes).is_err() {
        return Vec::new();
    }
    let meta = gix::config::file::Metadata::from(gix::config::Source::Api);
    let Ok(file) = gix::config::File::from_bytes_no_includes(&bytes, meta, Default::default())
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for name in ["include", "includeIf"] {
        if let Some(sections) = file.sections_by_name(name) {
            for s in sections {
                out.extend(s.values("path").iter().map(|v| v.to_string()));
            }
        }
    }
    out
}

/// An include or rules-file path as git resolves it: `~/` in the home
/// directory, a relative one against `base` (the including file's
/// directory, or the working directory).
fn resolve(path: &str, base: Option<&Path>, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix("~/"), home) {
        (Some(rest), Some(h)) => h.join(rest),
        _ => base.map_or_else(|| PathBuf::from(path), |b| b.join(path)),
    }
}

/// Checks the excludes and attributes files `gix` reads for the wiki
/// `repo` when it compares the work tree: `core.excludesFile` and
/// `core.attributesFile` as the configuration resolves them, else
/// `git/ignore` and `git/attributes` under `$XDG_CONFIG_HOME` (or
/// `$HOME/.config`).
///
/// # Errors
/// `unsafe-path` naming the first that is not absent or a regular file.
pub fn check_rule_files(repo: &gix::Repository, env: Env<'_>) -> Result<()> {
    let config = repo.config_snapshot();
    let xdg = env("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".config")));
    let cwd = std::env::current_dir().ok();
    for (key, default, what) in [
        ("core.excludesFile", "ignore", "an excludes file"),
        ("core.attributesFile", "attributes", "an attributes file"),
    ] {
        // A value gix cannot interpolate is gix's to report.
        let p = match config.trusted_path(key) {
            Ok(Some(p)) => Some(cwd.as_ref().map_or_else(|| p.clone(), |c| c.join(&p))),
            Ok(None) => xdg.as_ref().map(|x| x.join("git").join(default)),
            Err(_) => None,
        };
        if let Some(p) = p
            && found(&p).is_some_and(|k| k != Found::File)
        {
            return Err(refuse(&p, what));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(vars: &[(&str, &Path)]) -> impl FnMut(&str) -> Option<OsString> + use<> {
        let m: HashMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.as_os_str().to_owned()))
            .collect();
        move |k| m.get(k).cloned()
    }

    fn fifo(p: &Path) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            p,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o644),
            0,
        )
        .unwrap();
    }

    fn env_home(home: &Path) -> impl FnMut(&str) -> Option<OsString> + use<> {
        env_of(&[("HOME", home), ("GIT_CONFIG_NOSYSTEM", Path::new("1"))])
    }

    #[test]
    fn regular_or_absent_config_files_pass() {
        let t = tempfile::tempdir().unwrap();
        let local = t.path().join("config");
        std::fs::write(&local, "[core]\n").unwrap();
        std::fs::write(t.path().join(".gitconfig"), "[user]\nname = x\n").unwrap();
        check_config(&local, &mut env_home(t.path())).unwrap();
    }

    #[test]
    fn a_fifo_at_each_config_path_is_refused() {
        for rel in [".gitconfig", ".config/git/config"] {
            let t = tempfile::tempdir().unwrap();
            let local = t.path().join("config");
            fifo(&t.path().join(rel));
            let e = check_config(&local, &mut env_home(t.path())).unwrap_err();
            assert!(e.to_string().contains(rel), "{rel}: {e}");
        }
    }

    #[test]
    fn includes_are_followed_from_home_relative_and_nested() {
        let t = tempfile::tempdir().unwrap();
        let local = t.path().join("repo/config");
        std::fs::create_dir_all(t.path().join("repo")).unwrap();
        // local -> ~/one (includeIf) -> two (relative to one's directory).
        std::fs::write(&local, "[includeIf \"gitdir:/nowhere/\"]\n\tpath = ~/one\n").unwrap();
        std::fs::write(t.path().join("one"), "[include]\n\tpath = sub/two\n").unwrap();
        fifo(&t.path().join("sub/two"));
        let e = check_config(&local, &mut env_home(t.path())).unwrap_err();
        assert!(e.to_string().contains("sub/two"), "{e}");
        // Negative control: the same chain ending in a regular file passes.
        std::fs::remove_file(t.path().join("sub/two")).unwrap();
        std::fs::write(t.path().join("sub/two"), "").unwrap();
        check_config(&local, &mut env_home(t.path())).unwrap();
    }

    #[test]
    fn an_include_loop_ends() {
        let t = tempfile::tempdir().unwrap();
        let local = t.path().join("config");
        std::fs::write(&local, "[include]\n\tpath = config\n").unwrap();
        check_config(&local, &mut env_home(t.path())).unwrap();
        // Wide as well as looping: 30 includes of itself is 30^10 paths
        // when each is followed again (found hanging by hand).
        std::fs::write(&local, "[include]\n\tpath = config\n".repeat(30)).unwrap();
        check_config(&local, &mut env_home(t.path())).unwrap();
    }

    #[test]
    fn rule_files_named_by_config_or_xdg_are_checked() {
        let t = tempfile::tempdir().unwrap();
        let wiki = t.path().join("wiki");
        gix::init(&wiki).unwrap();
        let home = t.path().join("home");
        let xdg_ignore = home.join(".config/git/ignore");
        fifo(&xdg_ignore);
        let repo = gix::open(&wiki).unwrap();
        let e = check_rule_files(&repo, &mut env_home(&home)).unwrap_err();
        assert!(e.to_string().contains(".config/git/ignore"), "{e}");
        std::fs::remove_file(&xdg_ignore).unwrap();
        check_rule_files(&repo, &mut env_home(&home)).unwrap();
        // core.attributesFile in the wiki's own configuration.
        let named = t.path().join("attrs");
        fifo(&named);
        let cfg = wiki.join(".git/config");
        let mut text = std::fs::read_to_string(&cfg).unwrap();
        text.push_str(&format!("[core]\n\tattributesFile = {}\n", named.display()));
        std::fs::write(&cfg, text).unwrap();
        let repo = gix::open(&wiki).unwrap();
        let e = check_rule_files(&repo, &mut env_home(&home)).unwrap_err();
        assert!(e.to_string().contains("attrs"), "{e}");
    }
}
