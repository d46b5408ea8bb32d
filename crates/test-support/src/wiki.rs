//! The wiki builder: a real git repository in a temporary directory.

use super::git::{git, run_git};
use std::cell::RefCell;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use tempfile::TempDir;

fn write_file(path: &Path, bytes: &[u8], mode: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A git wiki in a temporary directory.
pub struct Wiki {
    dir: TempDir,
    gitlinks: RefCell<Vec<(String, String)>>,
}

impl Default for Wiki {
    fn default() -> Self {
        Self::new()
    }
}

impl Wiki {
    /// `git init` in a fresh temporary directory (no commit yet).
    pub fn new() -> Wiki {
        let dir = tempfile::Builder::new()
            .prefix("assetpin-wiki-")
            .tempdir()
            .unwrap();
        run_git(dir.path(), ["init", "-q"]);
        // A commit of more than 6,700 loose objects (the bounds tests')
        // starts `git gc --auto` in the background, which packs and prunes
        // them while the tool under test reads them.
        run_git(dir.path(), ["config", "gc.auto", "0"]);
        run_git(dir.path(), ["config", "maintenance.auto", "false"]);
        Wiki {
            dir,
            gitlinks: RefCell::new(Vec::new()),
        }
    }

    /// A wiki with one commit holding a one-file skill per name.
    pub fn with_skills(names: &[&str]) -> Wiki {
        let w = Wiki::new();
        for n in names {
            w.skill(n);
        }
        w.commit("skills");
        w
    }

    /// The work tree.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `bytes` at `rel` (mode 0644), creating parent directories.
    pub fn file(&self, rel: &str, bytes: impl AsRef<[u8]>) -> &Self {
        write_file(&self.path().join(rel), bytes.as_ref(), 0o644);
        self
    }

    /// Writes an executable file (mode 0755) at `rel`.
    pub fn exec_file(&self, rel: &str, bytes: impl AsRef<[u8]>) -> &Self {
        write_file(&self.path().join(rel), bytes.as_ref(), 0o755);
        self
    }

    /// A skill `skills/<name>/SKILL.md` whose text names it.
    pub fn skill(&self, name: &str) -> &Self {
        self.file(
            &format!("skills/{name}/SKILL.md"),
            format!("# {name}\n\nA skill.\n"),
        )
    }

    /// Creates a symbolic link at `rel` pointing to `target`.
    pub fn symlink(&self, rel: &str, target: &str) -> &Self {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        symlink(target, p).unwrap();
        self
    }

    /// Removes the file, link or directory tree at `rel`.
    pub fn remove(&self, rel: &str) -> &Self {
        let p = self.path().join(rel);
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(&p).unwrap(),
            Ok(_) => std::fs::remove_file(&p).unwrap(),
            Err(e) => panic!("remove {}: {e}", p.display()),
        }
        self
    }

    /// Writes the wiki's top-level `.gitignore`.
    pub fn gitignore(&self, lines: &[&str]) -> &Self {
        let mut text = lines.join("\n");
        text.push('\n');
        self.file(".gitignore", text)
    }

    /// Records a submodule (a gitlink, mode 160000) at `rel` pointing to
    /// commit `id`, without any work tree for it. It stays in every
    /// following commit.
    pub fn gitlink(&self, rel: &str, id: &str) -> &Self {
        self.gitlinks
            .borrow_mut()
            .push((rel.to_owned(), id.to_owned()));
        self
    }

    /// Stages everything (`git add -A`, plus the gitlinks) and commits.
    /// Returns the new commit's full id.
    pub fn commit(&self, msg: &str) -> String {
        run_git(self.path(), ["add", "-A"]);
        for (rel, id) in self.gitlinks.borrow().iter() {
            run_git(
                self.path(),
                [
                    "update-index",
                    "--add",
                    "--cacheinfo",
                    &format!("160000,{id},{rel}"),
                ],
            );
        }
        run_git(self.path(), ["commit", "-q", "--allow-empty", "-m", msg]);
        self.head()
    }

    /// The full id of HEAD.
    pub fn head(&self) -> String {
        run_git(self.path(), ["rev-parse", "HEAD"])
    }

    /// Runs `git args` in the wiki and returns stdout.
    pub fn git(&self, args: &[&str]) -> String {
        run_git(self.path(), args)
    }

    /// Commits, on top of HEAD, a tree at `dir` (`skills/x`) written byte
    /// by byte with `git hash-object -t tree --literally`: each entry is
    /// `(mode, name, blob bytes)` and the name may be anything git's own
    /// tools refuse (`.git/config`, `..`, empty, a duplicate). The work
    /// tree is left as it was. Returns the new commit's full id.
    pub fn commit_literal_tree(&self, dir: &str, entries: &[(&str, &[u8], &[u8])]) -> String {
        let scratch = tempfile::tempdir().unwrap();
        let mut raw = Vec::new();
        for (i, (mode, name, bytes)) in entries.iter().enumerate() {
            let f = scratch.path().join(format!("blob{i}"));
            std::fs::write(&f, bytes).unwrap();
            let oid = run_git(self.path(), ["hash-object", "-w", f.to_str().unwrap()]);
            raw.extend_from_slice(format!("{mode} ").as_bytes());
            raw.extend_from_slice(name);
            raw.push(0);
            raw.extend_from_slice(&hex::decode(oid).unwrap());
        }
        let t = scratch.path().join("tree");
        std::fs::write(&t, raw).unwrap();
        let mut tree = run_git(
            self.path(),
            [
                "hash-object",
                "-t",
                "tree",
                "--literally",
                "-w",
                t.to_str().unwrap(),
            ],
        );
        // Graft it into HEAD's tree, one parent tree at a time (`git
        // mktree` checks the entries it writes, not the trees they name).
        let parts: Vec<&str> = dir.split('/').collect();
        for depth in (0..parts.len()).rev() {
            let parent = parts[..depth].join("/");
            let spec = if parent.is_empty() {
                "HEAD^{tree}".to_owned()
            } else {
                format!("HEAD:{parent}")
            };
            let listing = git(self.path()).args(["ls-tree", &spec]).output().unwrap();
            let mut lines: Vec<String> = String::from_utf8(listing.stdout)
                .unwrap()
                .lines()
                .filter(|l| l.split('\t').nth(1) != Some(parts[depth]))
                .map(str::to_owned)
                .collect();
            lines.push(format!("040000 tree {tree}\t{}", parts[depth]));
            let input = scratch.path().join("mktree");
            std::fs::write(&input, lines.join("\n") + "\n").unwrap();
            let out = git(self.path())
                .arg("mktree")
                .stdin(std::fs::File::open(&input).unwrap())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "mktree: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            tree = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        }
        let commit = run_git(
            self.path(),
            ["commit-tree", &tree, "-p", "HEAD", "-m", "a literal tree"],
        );
        run_git(self.path(), ["update-ref", "HEAD", &commit]);
        commit
    }

    /// The bytes of `rel` at HEAD, as git stores them.
    pub fn committed(&self, rel: &str) -> Vec<u8> {
        let out = git(self.path())
            .args(["cat-file", "blob", &format!("HEAD:{rel}")])
            .output()
            .unwrap();
        assert!(out.status.success(), "no {rel} at HEAD");
        out.stdout
    }
}
