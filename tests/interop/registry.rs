//! The registry across tools (R1-R5, A1-A4): a project registered by
//! either tool is seen by the other, `update --all` by either moves
//! projects the other installed, and each tool's registry bytes are the
//! other's.

use super::succeeded;
use assetpin_test_support::*;
use std::path::Path;
use std::process::Command;

/// Two projects sharing one HOME (the registry's), each with skill `x`
/// installed by `install`, and a wiki whose HEAD then moves.
struct Two {
    wiki: Wiki,
    first: Project,
    second: std::path::PathBuf,
    c1: String,
}

impl Two {
    fn new() -> Two {
        let wiki = Wiki::new();
        wiki.file("skills/x/SKILL.md", "# x v1\n");
        let c1 = wiki.commit("v1");
        let first = Project::new();
        let second = first.outside().join("second");
        std::fs::create_dir_all(second.join(".git")).unwrap();
        Two {
            wiki,
            first,
            second,
            c1,
        }
    }

    fn home(&self) -> std::path::PathBuf {
        self.first.home()
    }

    /// `assetpin` in project `dir`, with the shared HOME.
    fn ours(&self, dir: &Path) -> Command {
        assetpin_at(&self.home(), dir, self.wiki.path())
    }

    /// `mm` in project `dir`, with the shared HOME.
    fn peers(&self, mm: &Path, dir: &Path) -> Command {
        let mut c = mm_std(mm, &self.first, &self.wiki);
        c.current_dir(dir);
        c
    }

    fn registry(&self) -> Vec<u8> {
        std::fs::read(self.home().join(".memtomem/known_projects.json")).unwrap()
    }

    fn pin(&self, dir: &Path) -> String {
        let lock = std::fs::read(dir.join(".memtomem/lock.json")).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&lock).unwrap();
        v["skills"]["x"]["wiki_commit"].as_str().unwrap().to_owned()
    }

    fn roots(&self) -> [std::path::PathBuf; 2] {
        [self.first.path(), self.second.clone()]
    }
}

fn run(c: &mut Command, what: &str) -> String {
    succeeded(&c.output().unwrap(), what)
}

/// R1, R4, A4: projects that the peer registered (and installed into) are
/// moved by our `update --all`, which reads the peer's registry and
/// leaves its bytes alone; the scope ids we print are the peer's.
#[assetpin_test(peer)]
fn peer_registry_drives_our_update_all(mm: &Path) {
    let t = Two::new();
    for root in t.roots() {
        run(
            t.peers(mm, &root)
                .args(["context", "install", "skill", "x"]),
            "mm install",
        );
        run(
            t.peers(mm, &root)
                .args(["context", "projects", "add"])
                .arg(&root),
            "mm projects add",
        );
    }
    let before = t.registry();
    t.wiki.file("skills/x/SKILL.md", "# x v2\n");
    let c2 = t.wiki.commit("v2");
    let out = run(
        t.ours(&t.first.path())
            .args(["--json", "update", "skill", "x", "--all", "--yes"]),
        "assetpin update --all",
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["projects"].as_array().unwrap().len(), 2, "{v}");
    for root in t.roots() {
        assert_eq!(t.pin(&root), c2, "{}", root.display());
    }
    assert_eq!(t.registry(), before, "a reader wrote the registry");
    let listed = run(
        t.peers(mm, &t.first.path())
            .args(["context", "projects", "list", "--json"]),
        "mm projects list",
    );
    for row in v["projects"].as_array().unwrap() {
        let id = row["scope_id"].as_str().unwrap();
        assert!(listed.contains(id), "peer does not list {id}:\n{listed}");
    }
}

/// R1, R2, A4: projects we registered (and installed into) are moved by
/// the peer's `update --all`; a pause by the peer then leaves one out of
/// ours; and after the peer's pause and resume the registry holds our
/// bytes again (its rewrite of our document is byte-identical).
#[assetpin_test(peer)]
fn our_registry_drives_peer_update_all(mm: &Path) {
    let t = Two::new();
    for root in t.roots() {
        run(
            t.ours(&root).args(["install", "skill", "x"]),
            "assetpin install",
        );
        run(
            t.ours(&root).args(["projects", "add"]).arg(&root),
            "assetpin projects add",
        );
    }
    let ours = t.registry();
    let second = t.second.display().to_string();
    run(
        t.peers(mm, &t.first.path())
            .args(["context", "projects", "pause", &second]),
        "mm projects pause",
    );
    assert_ne!(t.registry(), ours, "the pause changed nothing");
    run(
        t.peers(mm, &t.first.path())
            .args(["context", "projects", "resume", &second]),
        "mm projects resume",
    );
    assert_eq!(
        String::from_utf8_lossy(&t.registry()),
        String::from_utf8_lossy(&ours),
        "the peer's rewrite differs from our bytes"
    );
    t.wiki.file("skills/x/SKILL.md", "# x v2\n");
    let c2 = t.wiki.commit("v2");
    run(
        t.peers(mm, &t.first.path())
            .args(["context", "update", "skill", "x", "--all", "--yes"]),
        "mm update --all",
    );
    for root in t.roots() {
        assert_eq!(t.pin(&root), c2, "{}", root.display());
    }
    // Paused by the peer: our batch leaves the second project out.
    run(
        t.peers(mm, &t.first.path())
            .args(["context", "projects", "pause", &second]),
        "mm projects pause",
    );
    t.wiki.file("skills/x/SKILL.md", "# x v3\n");
    let c3 = t.wiki.commit("v3");
    run(
        t.ours(&t.first.path())
            .args(["update", "skill", "x", "--all", "--yes"]),
        "assetpin update --all",
    );
    assert_eq!(t.pin(&t.first.path()), c3);
    assert_eq!(t.pin(&t.second), c2, "a paused project was updated");
    assert_ne!(t.c1, c2);
}
