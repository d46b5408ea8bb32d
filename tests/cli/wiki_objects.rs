//! I2, Y2, E4: git objects no git tool writes, read by every verb that
//! reads the wiki. A tree entry whose name is not one clean path segment
//! (`.git/config`, `..`, empty, a case or NTFS spelling of `.git`) or that
//! a tree holds twice is refused as `unsafe-path` before anything is
//! written; nothing in it ever reaches dest (a `.git/config` there would
//! run its `core.fsmonitor` on the next `git status`).

use super::{ok, refuses_unchanged};
use assetpin_test_support::*;

/// A wiki whose skill `x` is clean at its first commit, then replaced by a
/// literal tree holding `SKILL.md` and `(mode, name)`.
fn planted(mode: &str, name: &[u8]) -> (Wiki, String) {
    let wiki = Wiki::new();
    wiki.skill("x");
    let good = wiki.commit("a clean x");
    let canary = "[core]\n\tfsmonitor = \"touch fsmonitor-ran\"\n";
    wiki.commit_literal_tree(
        "skills/x",
        &[
            ("100644", b"SKILL.md", b"# x, hostile\n"),
            (mode, name, canary.as_bytes()),
        ],
    );
    (wiki, good)
}

/// The names and modes that are not one clean path segment, or not one
/// entry.
const PLANTS: &[(&str, &[u8])] = &[
    ("100644", b".git/config"),
    ("100644", b"docs/../../escape"),
    ("100644", b".."),
    ("100644", b"."),
    ("100644", b""),
    ("100644", b".GIT"),
    ("100644", b".git."),
    ("100644", b"git~1"),
    ("100644", b"GIT~2"),
    ("100644", b".git:x"),
    ("100644", ".g\u{200c}it".as_bytes()),
    ("100644", "\u{feff}.git".as_bytes()),
    ("100644", b"SKILL.md"),
];

#[assetpin_test]
fn i2_install_refuses_a_tree_entry_that_is_not_one_segment() {
    for (mode, name) in PLANTS {
        let (wiki, _) = planted(mode, name);
        let project = Project::new();
        let err = refuses_unchanged(&project, &wiki, &["install", "skill", "x"], "unsafe-path");
        assert!(
            err.contains("not one clean") || err.contains("holds twice"),
            "{}: {err}",
            name.escape_ascii()
        );
        assert!(!project.parent().join("escape").exists());
    }
}

#[assetpin_test]
fn i2_update_and_its_dry_run_refuse_a_tree_entry_that_is_not_one_segment() {
    for (mode, name) in PLANTS {
        let wiki = Wiki::new();
        wiki.skill("x");
        wiki.commit("a clean x");
        let project = Project::new();
        ok(&project, &wiki, &["install", "skill", "x"]);
        let canary = b"[core]\n\tfsmonitor = \"touch fsmonitor-ran\"\n";
        wiki.commit_literal_tree(
            "skills/x",
            &[
                ("100644", b"SKILL.md", b"# x, hostile\n"),
                (mode, name, canary),
            ],
        );
        for args in [
            &["update", "skill", "x"][..],
            &["update", "skill", "x", "--dry-run"],
        ] {
            refuses_unchanged(&project, &wiki, args, "unsafe-path");
        }
    }
}

/// `install --all` restores at each entry's own pin: an entry pinned to
/// the hostile commit is reported as failed with the kind, and dest is not
/// written.
#[assetpin_test]
fn i2_install_all_refuses_a_pin_whose_tree_is_not_one_segment() {
    let (wiki, good) = planted("100644", b".git/config");
    let hostile = wiki.head();
    let project = Project::new();
    // Installed at the clean commit, then the entry is pointed at the
    // hostile one and dest removed, as a teammate's lockfile would say.
    wiki.git(&["update-ref", "HEAD", &good]);
    ok(&project, &wiki, &["install", "skill", "x"]);
    wiki.git(&["update-ref", "HEAD", &hostile]);
    let text = String::from_utf8(project.lockfile())
        .unwrap()
        .replace(&good, &hostile);
    project.write_lockfile(text);
    std::fs::remove_dir_all(project.dest("skill", "x")).unwrap();
    let out = assetpin(&project, &wiki)
        .args(["install", "--all"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("unsafe-path"), "{stderr}");
    assert!(!project.dest("skill", "x").exists());
}

/// I2: a tree entry whose mode no blob has (`0`, `177777`) is what git's
/// `canon_mode` makes of it, a gitlink: not installed, named on stderr as
/// a submodule. Before, it was installed as a regular file.
#[assetpin_test]
fn i2_an_entry_of_a_mode_no_blob_has_is_a_submodule() {
    for mode in ["0", "177777"] {
        let (wiki, _) = planted(mode, b"odd");
        // Bare: git cannot check such a tree out, so the work tree differs.
        let bare = tempfile::tempdir().unwrap();
        let bare = bare.path().join("wiki.git");
        wiki.git(&["clone", "-q", "--bare", ".", bare.to_str().unwrap()]);
        let project = Project::new();
        let out = assetpin_at(&project.home(), &project.path(), &bare)
            .args(["install", "skill", "x"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{mode}: {err}");
        assert!(err.contains("odd"), "{mode}: the entry is named: {err}");
        assert!(
            !project.dest("skill", "x").join("odd").exists(),
            "{mode}: installed as a file"
        );
    }
}
