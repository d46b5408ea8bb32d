//! The project builder: a project, its `HOME` and an outside directory,
//! side by side in one temporary directory.

use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// A project: a temporary directory holding `project/` (with a `.git`
/// directory), `home/` (the `HOME` the tools run with) and `outside/` (a
/// directory outside the project, as a target for planted links).
pub struct Project {
    root: TempDir,
}

impl Default for Project {
    fn default() -> Self {
        Self::new()
    }
}

/// The lockfile section of a CLI type: `skill` -> `skills`.
pub fn section(ty: &str) -> &'static str {
    match ty {
        "skill" | "skills" => "skills",
        "agent" | "agents" => "agents",
        "command" | "commands" => "commands",
        other => panic!("unknown asset type {other}"),
    }
}

impl Project {
    /// A fresh project with an empty `.git` directory and no `.memtomem`.
    pub fn new() -> Project {
        let root = tempfile::Builder::new()
            .prefix("assetpin-project-")
            .tempdir()
            .unwrap();
        for d in ["project/.git", "home", "outside"] {
            std::fs::create_dir_all(root.path().join(d)).unwrap();
        }
        Project { root }
    }

    /// The project root.
    pub fn path(&self) -> PathBuf {
        self.root.path().join("project")
    }

    /// The temporary directory holding the project, its HOME and `outside/`.
    pub fn parent(&self) -> &Path {
        self.root.path()
    }

    /// The `HOME` the tools run with.
    pub fn home(&self) -> PathBuf {
        self.root.path().join("home")
    }

    /// A directory outside the project.
    pub fn outside(&self) -> PathBuf {
        self.root.path().join("outside")
    }

    /// `<project>/.memtomem`.
    pub fn memtomem(&self) -> PathBuf {
        self.path().join(".memtomem")
    }

    /// `<project>/.memtomem/lock.json`.
    pub fn lockfile_path(&self) -> PathBuf {
        self.memtomem().join("lock.json")
    }

    /// The lockfile's bytes (panics when it does not exist).
    pub fn lockfile(&self) -> Vec<u8> {
        std::fs::read(self.lockfile_path())
            .unwrap_or_else(|e| panic!("read {}: {e}", self.lockfile_path().display()))
    }

    /// Writes the lockfile's bytes (creating `.memtomem`).
    pub fn write_lockfile(&self, bytes: impl AsRef<[u8]>) {
        std::fs::create_dir_all(self.memtomem()).unwrap();
        std::fs::write(self.lockfile_path(), bytes).unwrap();
    }

    /// The lockfile parsed (key order kept; any nesting, as the peer's
    /// reader follows unknown keys far past serde_json's default limit).
    pub fn lockfile_json(&self) -> serde_json::Value {
        let bytes = self.lockfile();
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        de.disable_recursion_limit();
        let v = <serde_json::Value as serde::Deserialize>::deserialize(&mut de)
            .expect("lockfile is JSON");
        de.end().expect("lockfile is one JSON value");
        v
    }

    /// The lockfile entry of `(ty, name)`; `null` when absent (panics when
    /// there is no lockfile).
    pub fn entry(&self, ty: &str, name: &str) -> serde_json::Value {
        self.lockfile_json()[section(ty)][name].clone()
    }

    /// Dest of `(ty, name)`: `<project>/.memtomem/<section>/<name>`.
    pub fn dest(&self, ty: &str, name: &str) -> PathBuf {
        self.memtomem().join(section(ty)).join(name)
    }
}
