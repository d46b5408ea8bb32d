//! A case's private directories (project, wiki, home, outside) under one
//! temporary directory, the wiki built with `git` (the harness may shell
//! out; only the implementation under test must not), and variable
//! substitution. Snapshots are in [`crate::snapshot`], deep removal in
//! [`crate::remove`].

use super::case::{Commit, FileSpec, Root};
use crate::error::{HResult, HarnessError, io_err};
use std::collections::BTreeMap;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The directories of one case run, removed on drop.
#[derive(Debug)]
pub struct Workspace {
    _tmp: tempfile::TempDir,
    /// The project root (may not exist).
    pub project: PathBuf,
    /// The wiki (may not exist).
    pub wiki: PathBuf,
    /// `$HOME` for the implementation.
    pub home: PathBuf,
    /// A directory outside project and wiki: symlink targets (Y2).
    pub outside: PathBuf,
    /// A bare clone of the wiki, `${wiki.bare}` (made when a template
    /// names it).
    pub wiki_bare: PathBuf,
    /// Variables: `commit.<label>`, `var.<name>`, `layout.<field>`.
    pub vars: BTreeMap<String, String>,
    /// The adapter's dest template (`${name}` for the skill), read as
    /// `${dest.<name>}`; `None` without a `layout.root`.
    pub dest_tpl: Option<String>,
    /// The id of the case it serves (for the runner's notes).
    pub case: String,
    /// The commits the wiki holds when it is exactly a cached state
    /// ([`crate::wiki_cache`]); `None` once anything else changed it.
    pub wiki_history: Option<crate::wiki_cache::History>,
    /// The tool runs without capabilities ([`crate::privilege`]).
    pub without_capabilities: bool,
    /// The directory a step's `user_cwd` opened (kept open) and its
    /// `/proc/self/fd` path, which follows it wherever it is moved.
    pub user_cwd: Option<(std::fs::File, PathBuf)>,
    /// While a crash step runs ([`crate::crash`]): the directory its
    /// processes' `strace` recordings go to, and how many have started
    /// (recording `n` is `trace.<n>`).
    pub trace: Option<(PathBuf, std::sync::atomic::AtomicUsize)>,
    /// `$TMPDIR` for the tool, when the case sets one (a crash step: what
    /// a tool stages in its temporary directory is then in the recording
    /// and the replay, [`crate::crash`]).
    pub tmpdir: Option<PathBuf>,
}

impl Drop for Workspace {
    fn drop(&mut self) {
        // Removed here, at any depth; the TempDir field then finds it gone
        // (its own removal recurses, and a tool may nest deeper than a
        // stack).
        let _ = super::remove::remove_deep(self.base());
        super::reaper::untrack_dir(self.base());
    }
}

/// The commit date of commit number 0 (2026-01-01T00:00:00Z, seconds
/// since the epoch); commit `n` is dated `n` seconds later.
pub const COMMIT_EPOCH: u64 = 1_767_225_600;

fn io<T>(what: &str, p: &Path, r: std::io::Result<T>) -> HResult<T> {
    r.map_err(io_err(format!("{what} {}", p.display())))
}

/// Parses an octal mode such as `"644"`.
pub fn parse_mode(m: &str) -> HResult<u32> {
    u32::from_str_radix(m, 8).map_err(|_| HarnessError::Case(format!("bad octal mode {m:?}")))
}

impl Workspace {
    /// Creates the directories (`project` only when `project_dir`).
    ///
    /// # Errors
    /// When the temporary directory cannot be made.
    pub fn new() -> HResult<Workspace> {
        let (tmp, base) = super::reaper::tracked_dir(|| {
            let tmp = tempfile::Builder::new()
                .prefix("assetpin-conform-")
                .tempdir_in(&crate::scratch::get().dir)
                .map_err(io_err("cannot create a temporary directory"))?;
            let base = std::fs::canonicalize(tmp.path()).unwrap_or_else(|_| tmp.path().to_owned());
            Ok(super::reaper::MadeDir {
                made: (tmp, base.clone()),
                path: base,
            })
        })?;
        let ws = Workspace {
            project: base.join("project"),
            wiki: base.join("wiki"),
            home: base.join("home"),
            outside: base.join("outside"),
            wiki_bare: base.join("wiki.git"),
            _tmp: tmp,
            vars: BTreeMap::new(),
            dest_tpl: None,
            case: String::new(),
            wiki_history: None,
            without_capabilities: false,
            user_cwd: None,
            trace: None,
            tmpdir: None,
        };
        for d in [&ws.home, &ws.outside] {
            io("create", d, std::fs::create_dir_all(d))?;
        }
        Ok(ws)
    }

    /// The directory holding the case's directories.
    pub fn base(&self) -> &Path {
        self.project.parent().unwrap_or(&self.project)
    }

    /// Checks that `rel` (a layout path: relative to the project, or
    /// absolute) stays inside the project or `$HOME` of this case, with no
    /// `..` component.
    ///
    /// # Errors
    /// A path that could reach outside the case's directories.
    pub fn confined(&self, what: &str, rel: &str) -> HResult<()> {
        let p = self.project.join(rel);
        let dotdot = Path::new(rel)
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir));
        if dotdot || !(p.starts_with(&self.project) || p.starts_with(&self.home)) {
            return Err(HarnessError::Adapter(format!(
                "adapter {what} = {rel:?} leads outside the case's project and $HOME; \
                 give a path relative to the project, or under ${{home}}"
            )));
        }
        Ok(())
    }

    /// `rel` (a case path, substituted) joined to `root`, refused when it
    /// is empty, has a `..` component or lands outside the case's
    /// directories (an absolute path after substitution, such as
    /// `${dest.a}`, must still be under them).
    ///
    /// # Errors
    /// Unknown variables; a path that leads outside the case.
    pub fn case_path(&self, root: &Path, rel: &str) -> HResult<PathBuf> {
        let sub = self.subst(rel, &[])?;
        let p = root.join(&sub);
        let dotdot = Path::new(&sub)
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir));
        // The user's directory is reached through /proc/self/fd; that it
        // is inside the case is checked where it resolves (resolved_inside).
        let under_user_cwd = self
            .user_cwd
            .as_ref()
            .is_some_and(|(_, u)| root == u.as_path());
        if sub.is_empty() || dotdot || !(p.starts_with(self.base()) || under_user_cwd) {
            return Err(HarnessError::Case(format!(
                "path {rel:?} ({sub:?}) leads outside the case's directories"
            )));
        }
        Ok(p)
    }

    /// Refuses `p` (a case path, already lexically inside) when it leads
    /// outside the case's directories once links are followed: the
    /// deepest existing directory on its way (with `follow_last`, `p`
    /// itself) must resolve inside [`Workspace::base`], and no link on the
    /// way may dangle (a write through it would create its target).
    ///
    /// # Errors
    /// [`HarnessError::Case`] naming the path.
    pub fn resolved_inside(&self, p: &Path, follow_last: bool) -> HResult<()> {
        let outside = |why: &str| {
            Err(HarnessError::Case(format!(
                "path {} leads outside the case's directories through a link ({why})",
                p.display()
            )))
        };
        let mut at = if follow_last { Some(p) } else { p.parent() };
        while let Some(q) = at {
            match std::fs::canonicalize(q) {
                Ok(real) if real.starts_with(self.base()) => return Ok(()),
                Ok(real) => return outside(&format!("it resolves to {}", real.display())),
                Err(_) => {
                    if std::fs::symlink_metadata(q).is_ok_and(|m| m.file_type().is_symlink()) {
                        return outside(&format!("{} is a link that leads nowhere", q.display()));
                    }
                }
            }
            at = q.parent();
        }
        Ok(())
    }

    /// The directory a [`Root`] names.
    pub fn root(&self, r: Root) -> &Path {
        match r {
            Root::Project => &self.project,
            Root::Wiki => &self.wiki,
            Root::Outside => &self.outside,
            Root::Home => &self.home,
            // Outside a step's `while_held` it names nothing (no such path).
            Root::UserCwd => self
                .user_cwd
                .as_ref()
                .map_or(Path::new("/proc/self/fd/-1"), |(_, p)| p.as_path()),
        }
    }

    /// Substitutes `${project}`, `${wiki}`, `${wiki.bare}`, `${home}`,
    /// `${outside}`, `${commit.L}`, `${var.N}` and `extra` names; `$$` is a
    /// literal `$`.
    ///
    /// # Errors
    /// An unknown variable (the case refers to something missing).
    pub fn subst(&self, s: &str, extra: &[(&str, &str)]) -> HResult<String> {
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(pos) = rest.find('$') {
            out.push_str(&rest[..pos]);
            let after = &rest[pos + 1..];
            if let Some(a) = after.strip_prefix('$') {
                out.push('$');
                rest = a;
            } else if let Some(a) = after.strip_prefix('{') {
                let end = a
                    .find('}')
                    .ok_or_else(|| HarnessError::Case(format!("unterminated ${{...}} in {s:?}")))?;
                let name = &a[..end];
                out.push_str(&self.lookup(name, extra)?);
                rest = &a[end + 1..];
            } else {
                out.push('$');
                rest = after;
            }
        }
        out.push_str(rest);
        Ok(out)
    }

    fn lookup(&self, name: &str, extra: &[(&str, &str)]) -> HResult<String> {
        if let Some((_, v)) = extra.iter().find(|(k, _)| *k == name) {
            return Ok((*v).to_owned());
        }
        let p = |p: &Path| p.display().to_string();
        match name {
            "project" => Ok(p(&self.project)),
            "wiki" => Ok(p(&self.wiki)),
            "wiki.bare" => self.bare_wiki().map(|()| p(&self.wiki_bare)),
            "home" => Ok(p(&self.home)),
            "outside" => Ok(p(&self.outside)),
            _ if name.starts_with("dest.") => {
                let skill = &name["dest.".len()..];
                let tpl = self.dest_tpl.as_deref().ok_or_else(|| {
                    HarnessError::Adapter(format!(
                        "the case refers to ${{{name}}}, but the adapter declares no layout.root"
                    ))
                })?;
                let dest = self.subst(tpl, &[("name", skill)])?;
                self.confined("layout.dest", &dest)?;
                Ok(dest)
            }
            _ => self.vars.get(name).cloned().ok_or_else(|| {
                let known: Vec<&str> = ["project", "wiki", "wiki.bare", "home", "outside"]
                    .into_iter()
                    .chain(self.vars.keys().map(String::as_str))
                    .collect();
                HarnessError::Case(format!(
                    "the case refers to ${{{name}}}, which is not defined at this point \
                     (known: {})",
                    known.join(", ")
                ))
            }),
        }
    }

    /// Writes one [`FileSpec`] under `root`.
    ///
    /// # Errors
    /// I/O failures, bad hex or mode, unknown variables.
    pub fn apply_file(&self, root: &Path, f: &FileSpec) -> HResult<()> {
        let path = self.case_path(root, &f.path)?;
        if f.delete {
            return remove_any(&path);
        }
        if let Some(parent) = path.parent() {
            io("create", parent, std::fs::create_dir_all(parent))?;
        }
        if f.dir {
            io("create", &path, std::fs::create_dir_all(&path))?;
        } else if let Some(t) = &f.symlink {
            let _ = remove_any(&path);
            io("symlink", &path, symlink(self.subst(t, &[])?, &path))?;
            return Ok(());
        } else if f.gitlink.is_some() {
            return Ok(()); // handled by the commit builder
        } else {
            let bytes = self.content(f.text.as_deref(), f.hex.as_deref())?;
            let _ = remove_any(&path);
            io("write", &path, std::fs::write(&path, bytes))?;
        }
        let mode = match (&f.mode, f.exec) {
            (Some(m), _) => Some(parse_mode(m)?),
            (None, true) => Some(0o755),
            (None, false) if !f.dir => Some(0o644),
            _ => None,
        };
        if let Some(m) = mode {
            io(
                "chmod",
                &path,
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(m)),
            )?;
        }
        Ok(())
    }

    /// Bytes from `text` (substituted) or `hex`.
    ///
    /// # Errors
    /// Bad hex or unknown variables.
    pub fn content(&self, text: Option<&str>, hex_s: Option<&str>) -> HResult<Vec<u8>> {
        match (text, hex_s) {
            (Some(t), None) => Ok(self.subst(t, &[])?.into_bytes()),
            (None, Some(h)) => {
                let clean: String = h.chars().filter(|c| !c.is_whitespace()).collect();
                hex::decode(clean).map_err(|e| HarnessError::Case(format!("bad hex {h:?}: {e}")))
            }
            (None, None) => Ok(Vec::new()),
            (Some(_), Some(_)) => Err(HarnessError::Case("give `text` or `hex`, not both".into())),
        }
    }

    /// Runs git in the wiki.
    ///
    /// # Errors
    /// git missing or failing (stderr included).
    pub fn git(&self, args: &[&str]) -> HResult<String> {
        self.git_dated(args, 0)
    }

    /// [`Workspace::git`] with author and committer dates `n` seconds
    /// after [`COMMIT_EPOCH`]: the same commits get the same ids in every
    /// run.
    fn git_dated(&self, args: &[&str], n: usize) -> HResult<String> {
        let date = format!("@{} +0000", COMMIT_EPOCH + n as u64);
        let out = Command::new("git")
            .arg("-C")
            .arg(&self.wiki)
            .args([
                "-c",
                "user.name=conform",
                "-c",
                "user.email=conform@example.invalid",
                "-c",
                "commit.gpgsign=false",
                "-c",
                "core.hooksPath=/dev/null",
                // No detached `git maintenance` after each commit: it
                // outlived the harness's git and was counted as a
                // process a tool had left running.
                "-c",
                "maintenance.auto=false",
            ])
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            // ls-tree and cat-file answers are cached by object id.
            .env("GIT_NO_REPLACE_OBJECTS", "1")
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .env("HOME", &self.home)
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(io_err("cannot run git (is it installed?)"))?;
        if !out.status.success() {
            return Err(HarnessError::Git {
                args: args.join(" "),
                stderr: Some(String::from_utf8_lossy(&out.stderr).trim().to_owned()),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// Makes `wiki_bare` a fresh bare clone of the wiki as it is now (a
    /// tool that takes a bare `.git` source), so the commits of earlier
    /// steps are all in it. Without a git wiki nothing is there (a case
    /// whose source is missing, P10, names a missing bare source too).
    ///
    /// # Errors
    /// git failing.
    pub fn bare_wiki(&self) -> HResult<()> {
        remove_any(&self.wiki_bare)?;
        if !self.wiki.join(".git").is_dir() {
            return Ok(());
        }
        let bare = self.wiki_bare.display().to_string();
        self.git(&["clone", "--bare", "--quiet", "--no-hardlinks", ".", &bare])?;
        Ok(())
    }

    /// Creates the wiki repository (empty, branch `main`), as a copy of
    /// the run's cached empty wiki.
    ///
    /// # Errors
    /// git failures.
    pub fn init_wiki(&mut self) -> HResult<()> {
        let history = Vec::new();
        crate::wiki_cache::state(&history)?.copy_into(self)?;
        self.wiki_history = Some(history);
        Ok(())
    }

    /// Creates the wiki repository with `git init` (no template: no
    /// sample hooks to copy into every case).
    ///
    /// # Errors
    /// git failures.
    pub fn init_wiki_git(&self) -> HResult<()> {
        io("create", &self.wiki, std::fs::create_dir_all(&self.wiki))?;
        self.git(&["init", "-q", "-b", "main", "--template="])?;
        Ok(())
    }

    /// The wiki was changed other than by [`Workspace::commit`]: later
    /// commits are made in it, not copied from the cache.
    pub fn wiki_touched(&mut self) {
        self.wiki_history = None;
    }

    /// Makes one wiki commit (number `n`) and records its label: a copy
    /// of the cached state when the wiki is one and the commit has no
    /// variables, else with git in place.
    ///
    /// # Errors
    /// git or I/O failures.
    pub fn commit(&mut self, c: &Commit, n: usize) -> HResult<String> {
        if let Some(h) = self.wiki_history.take()
            && crate::wiki_cache::cacheable(c)
            && h.len() < crate::wiki_cache::MAX_COMMITS
        {
            let mut next = h;
            next.push((n, c.clone()));
            crate::wiki_cache::state(&next)?.copy_into(self)?;
            self.wiki_history = Some(next);
            return self.head();
        }
        self.wiki_history = None;
        self.commit_git(c, n)
    }

    /// HEAD of the wiki, read from its files (`refs/heads/main`).
    fn head(&self) -> HResult<String> {
        let p = self.wiki.join(".git/refs/heads/main");
        let id = io("read", &p, std::fs::read_to_string(&p))?;
        Ok(id.trim().to_owned())
    }

    /// [`Workspace::commit`] with git in the wiki as it is.
    ///
    /// # Errors
    /// git or I/O failures.
    pub fn commit_git(&mut self, c: &Commit, n: usize) -> HResult<String> {
        for f in c.files.iter().filter(|f| f.gitlink.is_none()) {
            self.apply_file(&self.wiki.clone(), f)?;
        }
        self.git(&["add", "-A"])?;
        // Gitlinks go in after `add -A`, which would drop them again: they
        // have no work tree of their own.
        for f in &c.files {
            if let Some(id) = &f.gitlink {
                let path = self.subst(&f.path, &[])?;
                self.git(&[
                    "update-index",
                    "--add",
                    "--cacheinfo",
                    &format!("160000,{id},{path}"),
                ])?;
            }
        }
        self.git_dated(
            &[
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                &format!("commit {}", n + 1),
            ],
            n,
        )?;
        if let Some(lit) = &c.literal {
            self.graft_literal(lit, n)?;
        }
        let id = self.git(&["rev-parse", "HEAD"])?;
        if let Some(l) = &c.label {
            self.vars.insert(format!("commit.{l}"), id.clone());
        }
        Ok(id)
    }
}

impl Workspace {
    /// Writes `lit` as a raw tree object and commits HEAD's tree with it
    /// grafted at `lit.dir` (each parent tree rewritten by `git mktree`,
    /// which checks only the entries it is given); HEAD then names that
    /// commit. The work tree and index are left as they were.
    fn graft_literal(&mut self, lit: &super::case::Literal, n: usize) -> HResult<()> {
        let scratch = self.base().join(".literal");
        let hash = |ws: &Workspace, ty: &str, bytes: &[u8]| -> HResult<String> {
            io("write", &scratch, std::fs::write(&scratch, bytes))?;
            let s = scratch.display().to_string();
            let id = ws.git(&["hash-object", "-t", ty, "--literally", "-w", &s]);
            let _ = std::fs::remove_file(&scratch);
            id
        };
        let mut raw = Vec::new();
        for e in &lit.entries {
            if e.name.contains('\0')
                || e.mode.is_empty()
                || !e.mode.bytes().all(|b| (b'0'..=b'7').contains(&b))
            {
                return Err(HarnessError::Case(format!(
                    "literal entry {:?}: a mode is octal digits and a name holds no NUL",
                    e.name
                )));
            }
            let blob = hash(self, "blob", e.text.as_bytes())?;
            raw.extend_from_slice(e.mode.as_bytes());
            raw.push(b' ');
            raw.extend_from_slice(e.name.as_bytes());
            raw.push(0);
            raw.extend_from_slice(&hex_bytes(&blob)?);
        }
        let mut tree = hash(self, "tree", &raw)?;
        let dir = self.subst(&lit.dir, &[])?;
        let parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
        for depth in (0..parts.len()).rev() {
            let parent = parts[..depth].join("/");
            let spec = if parent.is_empty() {
                "HEAD^{tree}".to_owned()
            } else {
                format!("HEAD:{parent}")
            };
            let listing = self.git(&["ls-tree", &spec]).unwrap_or_default();
            let mut lines: Vec<String> = listing
                .lines()
                .filter(|l| l.split('\t').nth(1) != Some(parts[depth]))
                .map(str::to_owned)
                .collect();
            lines.push(format!("040000 tree {tree}\t{}", parts[depth]));
            let input = lines.join("\n") + "\n";
            io("write", &scratch, std::fs::write(&scratch, input))?;
            let out = Command::new("git")
                .arg("-C")
                .arg(&self.wiki)
                .arg("mktree")
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .stdin(io("open", &scratch, std::fs::File::open(&scratch))?)
                .output()
                .map_err(io_err("cannot run git mktree"))?;
            let _ = std::fs::remove_file(&scratch);
            if !out.status.success() {
                return Err(HarnessError::Git {
                    args: "mktree".into(),
                    stderr: Some(String::from_utf8_lossy(&out.stderr).trim().to_owned()),
                });
            }
            tree = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        }
        let msg = format!("commit {} (literal tree)", n + 1);
        let commit = self.git_dated(&["commit-tree", &tree, "-p", "HEAD", "-m", &msg], n)?;
        self.git(&["update-ref", "HEAD", commit.trim()])?;
        Ok(())
    }
}

/// The 20 bytes of a 40-hex object id.
fn hex_bytes(id: &str) -> HResult<Vec<u8>> {
    let id = id.trim();
    (0..id.len())
        .step_by(2)
        .map(|i| {
            id.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| HarnessError::Case(format!("git gave no object id: {id:?}")))
        })
        .collect()
}

/// Removes a file, link or directory tree; missing is fine.
///
/// # Errors
/// Other I/O failures.
pub fn remove_any(path: &Path) -> HResult<()> {
    match std::fs::symlink_metadata(path) {
        Err(_) => Ok(()),
        Ok(m) if m.is_dir() => io("remove", path, super::remove::remove_deep(path)),
        Ok(_) => io("remove", path, std::fs::remove_file(path)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(ws: &Workspace, text: &str) -> String {
        let f = ws.wiki.join("skills/a/SKILL.md");
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(&f, text).unwrap();
        ws.git(&["add", "-A"]).unwrap();
        ws.git(&["commit", "-q", "-m", text]).unwrap();
        ws.git(&["rev-parse", "HEAD"]).unwrap()
    }

    /// HEAD of the bare repository at `bare`, refusing a non-bare one.
    fn bare_head(bare: &str) -> String {
        let git = |args: &[&str]| {
            let out = Command::new("git")
                .args(["--git-dir", bare])
                .args(args)
                .output()
                .unwrap();
            assert!(out.status.success(), "{out:?}");
            String::from_utf8(out.stdout).unwrap().trim().to_owned()
        };
        assert_eq!(git(&["rev-parse", "--is-bare-repository"]), "true");
        git(&["rev-parse", "HEAD"])
    }

    /// `remove_deep` takes a tree 20,000 levels deep (past `PATH_MAX`) on
    /// a 256 KiB stack, a directory of mode 000, links (never followed,
    /// one pointing back up) and a FIFO (never opened), and nothing
    /// outside the tree changes.
    #[test]
    fn remove_deep_removes_any_depth_on_a_small_stack() {
        use rustix::fs::{Mode, OFlags};
        let t = tempfile::tempdir().unwrap();
        let outside = t.path().join("outside");
        std::fs::write(&outside, b"keep\n").unwrap();
        let top = t.path().join("top");
        std::fs::create_dir_all(top.join("closed/inner")).unwrap();
        symlink(&outside, top.join("link")).unwrap();
        symlink(&top, top.join("closed/inner/back")).unwrap();
        assert!(
            Command::new("mkfifo")
                .arg(top.join("fifo"))
                .status()
                .unwrap()
                .success()
        );
        // Level by level through handles: the whole path is too long.
        let mut fd = rustix::fs::open(&top, OFlags::DIRECTORY, Mode::empty()).unwrap();
        for _ in 0..20_000 {
            rustix::fs::mkdirat(&fd, "d", Mode::RWXU).unwrap();
            fd = rustix::fs::openat(&fd, "d", OFlags::DIRECTORY, Mode::empty()).unwrap();
        }
        rustix::fs::mkdirat(&fd, "leaf", Mode::RWXU).unwrap();
        drop(fd);
        std::fs::set_permissions(top.join("closed"), std::fs::Permissions::from_mode(0o000))
            .unwrap();
        let doomed = top.clone();
        std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || crate::remove::remove_deep(&doomed))
            .unwrap()
            .join()
            .unwrap()
            .unwrap();
        assert!(!top.exists());
        assert_eq!(std::fs::read(&outside).unwrap(), b"keep\n");
    }

    #[test]
    fn wiki_bare_is_a_bare_clone_of_the_wiki_as_it_is_when_named() {
        let mut ws = Workspace::new().unwrap();
        let none = ws.subst("${wiki.bare}", &[]).unwrap();
        assert!(!Path::new(&none).exists(), "no wiki yet: no source there");
        ws.init_wiki().unwrap();
        let c1 = commit(&ws, "one");
        let bare = ws.subst("${wiki.bare}", &[]).unwrap();
        assert_eq!(Path::new(&bare), ws.wiki_bare);
        assert_eq!(bare_head(&bare), c1);
        // A later commit is in the clone the next time a template names it.
        let c2 = commit(&ws, "two");
        assert_eq!(bare_head(&ws.subst("${wiki.bare}", &[]).unwrap()), c2);
    }
}
