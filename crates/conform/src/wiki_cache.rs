//! Each wiki state a run needs is built by `git` once and copied into
//! every case that starts from it.
//!
//! A state is the sequence of commits made since `git init` (each with
//! its number, which its message and date carry), so two cases whose
//! wikis got the same commits share one state and its commit ids: the
//! harness dates its commits (`GIT_*_DATE`), so a state's ids are the
//! same in every run. Only commits without variables (no `$` in a path,
//! text or link target) are cached; a case whose wiki was changed any
//! other way (its work tree edited, an action on it, a reset) builds the
//! rest of its commits itself, with git in place.
//!
//! Each state lives in a builder [`Workspace`] in the scratch directory
//! ([`crate::scratch`]). [`finish`] removes them; so does the process's
//! exit (an `atexit` handler, for a library user who never calls
//! `finish`) and an interrupted run's handler ([`crate::reaper`] tracks
//! them). Only a process killed outright leaves them.

use crate::case::Commit;
use crate::error::{HResult, io_err};
use crate::workspace::Workspace;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The commits of a state, oldest first, each with its number.
pub type History = Vec<(usize, Commit)>;

/// States of at most this many commits are cached; a case that makes
/// more makes the rest in place. Each state is a copy of the one before
/// it, so a case of thousands of commits would otherwise cost copies
/// growing with their square, all kept until the run ends.
pub const MAX_COMMITS: usize = 8;

/// One built wiki state.
#[derive(Debug)]
pub struct State {
    /// Holds the wiki at `builder.wiki`.
    builder: Workspace,
    /// `commit.<label>` variables of the history.
    labels: Vec<(String, String)>,
}

type Slot = Arc<Mutex<Option<Arc<State>>>>;

static STATES: Mutex<Option<HashMap<History, Slot>>> = Mutex::new(None);

/// Whether `c` can be cached: nothing in it is substituted per case.
pub fn cacheable(c: &Commit) -> bool {
    c.literal.is_none()
        && c.files.iter().all(|f| {
            !f.path.contains('$')
                && !f.text.as_deref().is_some_and(|t| t.contains('$'))
                && !f.symlink.as_deref().is_some_and(|t| t.contains('$'))
        })
}

/// The state after `history`, built (from the state before its last
/// commit) the first time it is asked for. Two workers asking for the
/// same state wait for one build.
///
/// # Errors
/// git or I/O failures of the build; nothing is cached then.
pub fn state(history: &History) -> HResult<Arc<State>> {
    static AT_EXIT: std::sync::Once = std::sync::Once::new();
    AT_EXIT.call_once(|| {
        // SAFETY: `atexit` is libc's, which std links; the handler is a
        // plain function that never unwinds (see `remove_at_exit`).
        unsafe {
            atexit(remove_at_exit);
        }
    });
    let slot = {
        let mut states = crate::reaper::lock(&STATES);
        states
            .get_or_insert_with(HashMap::new)
            .entry(history.clone())
            .or_default()
            .clone()
    };
    let mut built = crate::reaper::lock(&slot);
    if let Some(s) = &*built {
        return Ok(s.clone());
    }
    let s = Arc::new(build(history)?);
    *built = Some(s.clone());
    Ok(s)
}

fn build(history: &History) -> HResult<State> {
    let mut b = Workspace::new()?;
    b.case = "(wiki state)".into();
    match history.split_last() {
        None => b.init_wiki_git()?,
        Some(((n, c), before)) => {
            let prev = state(&before.to_vec())?;
            prev.copy_into(&mut b)?;
            b.commit_git(c, *n)?;
        }
    }
    let labels = b
        .vars
        .iter()
        .filter(|(k, _)| k.starts_with("commit."))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(State { builder: b, labels })
}

impl State {
    /// Replaces `ws`'s wiki with a copy of this state and sets its
    /// `commit.<label>` variables.
    ///
    /// # Errors
    /// I/O failures.
    pub fn copy_into(&self, ws: &mut Workspace) -> HResult<()> {
        crate::workspace::remove_any(&ws.wiki)?;
        copy_tree(&self.builder.wiki, &ws.wiki)
            .map_err(io_err(format!("copy a wiki into {}", ws.wiki.display())))?;
        for (k, v) in &self.labels {
            ws.vars.insert(k.clone(), v.clone());
        }
        Ok(())
    }
}

/// Removes every built state (at the end of a run; the libtest use calls
/// it after its trials). States asked for later are built again.
pub fn finish() {
    let states = crate::reaper::lock(&STATES).take();
    drop(states);
}

unsafe extern "C" {
    fn atexit(f: extern "C" fn()) -> std::ffi::c_int;
}

/// At exit: removes the states' directories, taking no lock another
/// thread may hold (a worker may still be in a case as `exit` runs): a
/// state it holds is left, and so are the registries' records (the
/// process is ending).
extern "C" fn remove_at_exit() {
    let _ = std::panic::catch_unwind(|| {
        let Ok(mut states) = STATES.try_lock() else {
            return;
        };
        for slot in states.take().into_iter().flat_map(HashMap::into_values) {
            let Ok(mut built) = slot.try_lock() else {
                continue;
            };
            if let Some(s) = built.take() {
                let _ = crate::remove::remove_deep(s.builder.base());
                // Its drop would take the reaper's lock.
                std::mem::forget(s);
            }
        }
    });
}

/// Copies the tree at `from` to the new path `to`: directories, regular
/// files (bytes and mode) and symbolic links (as links). Anything else
/// is refused: a built wiki holds nothing else. A work list, not
/// recursion: a case's wiki may be thousands of directories deep.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    // (source, destination, the source's mode once its entries are in).
    let mut todo = vec![(from.to_owned(), to.to_owned(), None)];
    while let Some((src, dst, done)) = todo.pop() {
        if let Some(mode) = done {
            // After the entries: a directory of mode 555 takes none.
            std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(mode))?;
            continue;
        }
        let meta = std::fs::symlink_metadata(&src)?;
        let ft = meta.file_type();
        if ft.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src)?, &dst)?;
        } else if ft.is_file() {
            std::fs::copy(&src, &dst)?;
        } else if ft.is_dir() {
            std::fs::create_dir(&dst)?;
            todo.push((src.clone(), dst.clone(), Some(meta.permissions().mode())));
            for e in std::fs::read_dir(&src)? {
                let e = e?;
                todo.push((e.path(), dst.join(e.file_name()), None));
            }
        } else {
            return Err(std::io::Error::other(format!(
                "{}: not a file, directory or link",
                src.display()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::FileSpec;
    use crate::snapshot::snapshot;

    fn file(path: &str, text: &str) -> FileSpec {
        FileSpec {
            path: path.into(),
            text: Some(text.into()),
            ..FileSpec::default()
        }
    }

    /// Two commits touching files, an executable, a link, a directory
    /// and a deletion.
    fn commits() -> Vec<Commit> {
        let mut exec = file("skills/a/run.sh", "#!/bin/sh\n");
        exec.exec = true;
        let link = FileSpec {
            path: "skills/a/link".into(),
            symlink: Some("SKILL.md".into()),
            ..FileSpec::default()
        };
        let gone = FileSpec {
            path: "skills/b/SKILL.md".into(),
            delete: true,
            ..FileSpec::default()
        };
        vec![
            Commit {
                label: Some("c1".into()),
                literal: None,
                files: vec![
                    file("skills/a/SKILL.md", "# a\n"),
                    exec,
                    link,
                    file("skills/b/SKILL.md", "# b\n"),
                ],
            },
            Commit {
                label: Some("c2".into()),
                literal: None,
                files: vec![file("skills/a/SKILL.md", "# a v2\n"), gone],
            },
        ]
    }

    /// What tells two wikis apart: HEAD, the labels, the committed tree
    /// and the work tree.
    fn view(ws: &Workspace) -> (String, Vec<(String, String)>, String, String) {
        let labels = ws
            .vars
            .iter()
            .filter(|(k, _)| k.starts_with("commit."))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let tree = ws.git(&["ls-tree", "-r", "HEAD"]).unwrap();
        let work = format!("{:?}", snapshot(&ws.wiki, &[".git"]));
        (ws.git(&["rev-parse", "HEAD"]).unwrap(), labels, tree, work)
    }

    /// The stand-in against the real thing: a wiki copied from the cache
    /// is the wiki git makes in place, commit ids and all, clean and
    /// sound; a second case gets the same state without a build.
    #[test]
    fn a_cached_wiki_is_the_wiki_git_makes_in_place() {
        let mut real = Workspace::new().unwrap();
        real.init_wiki_git().unwrap();
        for (n, c) in commits().iter().enumerate() {
            real.commit_git(c, n).unwrap();
        }
        let mut copies = Vec::new();
        for _ in 0..2 {
            let mut ws = Workspace::new().unwrap();
            ws.init_wiki().unwrap();
            for (n, c) in commits().iter().enumerate() {
                ws.commit(c, n).unwrap();
            }
            assert_eq!(ws.wiki_history.as_ref().map(Vec::len), Some(2));
            assert_eq!(ws.git(&["status", "--porcelain"]).unwrap(), "");
            ws.git(&["fsck", "--strict", "--no-dangling"]).unwrap();
            assert_eq!(view(&ws), view(&real));
            copies.push(ws);
        }
        let history: History = commits().into_iter().enumerate().collect();
        let one = state(&history).unwrap();
        assert!(Arc::ptr_eq(&one, &state(&history).unwrap()), "built once");
        // Negative control: the comparison sees a changed work tree.
        std::fs::write(copies[0].wiki.join("skills/a/SKILL.md"), "# other\n").unwrap();
        assert_ne!(view(&copies[0]), view(&real));
    }

    /// A wiki changed other than by its commits makes its later commits
    /// in place, so the change is committed; without the mark the cached
    /// state would replace it (the negative control).
    #[test]
    fn a_touched_wiki_commits_in_place() {
        let [c1, c2] = <[Commit; 2]>::try_from(commits()).unwrap();
        for touched in [true, false] {
            let mut ws = Workspace::new().unwrap();
            ws.init_wiki().unwrap();
            ws.commit(&c1, 0).unwrap();
            std::fs::write(ws.wiki.join("skills/extra.md"), "x\n").unwrap();
            if touched {
                ws.wiki_touched();
            }
            ws.commit(&c2, 1).unwrap();
            let tree = ws.git(&["ls-tree", "-r", "--name-only", "HEAD"]).unwrap();
            assert_eq!(tree.contains("skills/extra.md"), touched, "{tree}");
            assert_eq!(ws.wiki_history.is_none(), touched);
        }
    }

    /// Run by the test below in a process of its own: builds a state in
    /// the scratch directory and exits without [`finish`].
    #[test]
    #[ignore = "a helper: run by a_state_is_removed_when_its_process_exits"]
    fn helper_builds_a_state_and_exits() {
        let s = state(&commits().into_iter().take(1).enumerate().collect()).unwrap();
        let scratch = std::env::var_os(crate::scratch::ENV).unwrap();
        assert!(
            s.builder.base().starts_with(&scratch),
            "{:?}",
            s.builder.base()
        );
        assert!(s.builder.wiki.join(".git").is_dir());
    }

    /// A process that built states and ends without [`finish`] (a
    /// library user's) leaves none of them: the exit handler removes
    /// them. The helper checks they were there while it ran.
    #[test]
    fn a_state_is_removed_when_its_process_exits() {
        let scratch = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "wiki_cache::tests::helper_builds_a_state_and_exits",
                "--ignored",
            ])
            .env(crate::scratch::ENV, scratch.path())
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && said.contains("1 passed"), "{said}");
        let left: Vec<_> = std::fs::read_dir(scratch.path()).unwrap().collect();
        assert!(left.is_empty(), "left: {left:?}");
    }

    /// Past [`MAX_COMMITS`] a case's commits are made in place: the
    /// cache keeps no state longer than that, and the wiki is the same.
    #[test]
    fn a_long_history_is_not_cached_past_its_limit() {
        let mut ws = Workspace::new().unwrap();
        ws.init_wiki().unwrap();
        let mut real = Workspace::new().unwrap();
        real.init_wiki_git().unwrap();
        for n in 0..MAX_COMMITS + 2 {
            let c = Commit {
                label: Some(format!("c{n}")),
                literal: None,
                files: vec![file("skills/a/SKILL.md", &format!("# a {n}\n"))],
            };
            ws.commit(&c, n).unwrap();
            real.commit_git(&c, n).unwrap();
            let cached = ws.wiki_history.as_ref().map(Vec::len);
            assert_eq!(cached, (n < MAX_COMMITS).then_some(n + 1), "commit {n}");
        }
        assert_eq!(view(&ws), view(&real));
    }

    /// A wiki thousands of directories deep is copied without recursion
    /// (it overflowed a worker's stack): the copy is the wiki git made.
    #[test]
    fn a_deep_wiki_is_copied() {
        let deep = vec!["d"; 2000].join("/");
        let c = Commit {
            label: None,
            literal: None,
            files: vec![
                file("skills/a/SKILL.md", "# a\n"),
                file(&format!("skills/a/{deep}/f.md"), "x\n"),
            ],
        };
        let (c0, c1) = (c.clone(), c);
        let ws = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || {
                let mut ws = Workspace::new().unwrap();
                ws.init_wiki().unwrap();
                ws.commit(&c0, 0).unwrap();
                ws
            })
            .unwrap()
            .join()
            .unwrap();
        let mut real = Workspace::new().unwrap();
        real.init_wiki_git().unwrap();
        real.commit_git(&c1, 0).unwrap();
        assert!(ws.wiki_history.is_some());
        assert_eq!(
            ws.git(&["rev-parse", "HEAD"]).unwrap(),
            real.git(&["rev-parse", "HEAD"]).unwrap()
        );
        assert!(ws.wiki.join(format!("skills/a/{deep}/f.md")).is_file());
    }

    /// A commit with a variable is made in place (its bytes differ from
    /// case to case), and so is every later one.
    #[test]
    fn a_commit_with_a_variable_is_not_cached() {
        let with_var = Commit {
            label: None,
            literal: None,
            files: vec![file("skills/a/where.md", "${home}\n")],
        };
        assert!(!cacheable(&with_var));
        assert!(cacheable(&commits()[0]));
        let mut ws = Workspace::new().unwrap();
        ws.init_wiki().unwrap();
        ws.commit(&with_var, 0).unwrap();
        assert!(ws.wiki_history.is_none());
        let text = std::fs::read_to_string(ws.wiki.join("skills/a/where.md")).unwrap();
        assert_eq!(text, format!("{}\n", ws.home.display()));
        ws.commit(&commits()[0], 1).unwrap();
        assert!(ws.wiki_history.is_none());
    }
}
