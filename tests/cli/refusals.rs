//! I4, I5: every refusal happens before the first write. One test per
//! refusal kind, each proving the project (and the wiki) are unchanged to
//! the byte: paths, modes, bytes and link targets.

use super::{assert_refused, ok, refuses_unchanged, sample_wiki};
use assetpin_test_support::*;
use serde_json::Value;

/// A project where skill `other` and agent `a` are installed, so that a
/// refusal has a lockfile, lock files and dests it could disturb.
fn populated(wiki: &Wiki) -> Project {
    let project = Project::new();
    ok(&project, wiki, &["install", "skill", "other"]);
    ok(&project, wiki, &["install", "agent", "a"]);
    project
}

/// I5 invalid-name: on a fresh and on a populated project.
#[assetpin_test]
fn i5_invalid_name_changes_nothing() {
    let wiki = sample_wiki();
    refuses_unchanged(
        &Project::new(),
        &wiki,
        &["install", "skill", "../x"],
        "invalid-name",
    );
    refuses_unchanged(
        &populated(&wiki),
        &wiki,
        &["install", "skill", "a/b"],
        "invalid-name",
    );
}

/// I5 project-not-found: the parent of the missing root is unchanged (so
/// the root was not created).
#[assetpin_test]
fn i5_project_not_found_changes_nothing() {
    let wiki = sample_wiki();
    let project = Project::new();
    let missing = project.parent().join("missing/deeper");
    let before = snapshot(project.parent());
    let out = assetpin_at(&project.home(), &missing, wiki.path())
        .args(["install", "skill", "x"])
        .output()
        .unwrap();
    assert_refused(&out, "project-not-found");
    assert_same(
        &before,
        &snapshot(project.parent()),
        "parent of the project",
    );
}

/// I5 wiki-not-found: a missing wiki, and a directory that is not a git
/// repository.
#[assetpin_test]
fn i5_wiki_not_found_changes_nothing() {
    let wiki = sample_wiki();
    let project = populated(&wiki);
    for bad in [project.parent().join("no-wiki"), project.outside()] {
        let before = snapshot(project.parent());
        let out = assetpin_at(&project.home(), &project.path(), &bad)
            .args(["install", "skill", "x"])
            .output()
            .unwrap();
        let stderr = assert_refused(&out, "wiki-not-found");
        assert!(
            stderr.contains(&bad.display().to_string()),
            "names the wiki: {stderr}"
        );
        assert_same(&before, &snapshot(project.parent()), "project");
    }
}

/// I5 asset-not-found: an asset the wiki does not have at HEAD, or has
/// under another type; I1: one only in the work tree is `uncommitted`.
#[assetpin_test]
fn i5_asset_not_found_changes_nothing() {
    let wiki = sample_wiki();
    wiki.skill("draft");
    let project = populated(&wiki);
    for (ty, name) in [("skill", "nope"), ("agent", "x"), ("command", "a")] {
        refuses_unchanged(&project, &wiki, &["install", ty, name], "asset-not-found");
    }
    // In the work tree but never committed: a difference from the commit
    // (I1), so `uncommitted`, naming the directory.
    let stderr = refuses_unchanged(
        &project,
        &wiki,
        &["install", "skill", "draft"],
        "uncommitted",
    );
    assert!(stderr.contains("skills/draft/"), "{stderr}");
    refuses_unchanged(
        &Project::new(),
        &wiki,
        &["install", "skill", "nope"],
        "asset-not-found",
    );
}

/// I5 asset-not-found: a wiki without any commit.
#[assetpin_test]
fn i5_asset_not_found_in_empty_wiki_changes_nothing() {
    let wiki = Wiki::new();
    wiki.skill("x");
    refuses_unchanged(
        &Project::new(),
        &wiki,
        &["install", "skill", "x"],
        "asset-not-found",
    );
}

/// I5 already-installed, and I4 `lockfile_entry=yes, dest=yes`.
#[assetpin_test]
fn i5_i4_already_installed_both_changes_nothing() {
    let wiki = sample_wiki();
    let project = populated(&wiki);
    ok(&project, &wiki, &["install", "skill", "x"]);
    let stderr = refuses_unchanged(
        &project,
        &wiki,
        &["install", "skill", "x"],
        "already-installed",
    );
    assert!(stderr.contains("lockfile_entry=yes, dest=yes"), "{stderr}");
    assert!(stderr.contains("update"), "states the remedy: {stderr}");
}

/// I4: an entry without dest is `already-installed`
/// (`lockfile_entry=yes, dest=no`).
#[assetpin_test]
fn i4_entry_only_is_already_installed() {
    let wiki = sample_wiki();
    let project = populated(&wiki);
    ok(&project, &wiki, &["install", "skill", "x"]);
    std::fs::remove_dir_all(project.dest("skill", "x")).unwrap();
    let stderr = refuses_unchanged(
        &project,
        &wiki,
        &["install", "skill", "x"],
        "already-installed",
    );
    assert!(stderr.contains("lockfile_entry=yes, dest=no"), "{stderr}");
    assert!(!project.dest("skill", "x").exists());
}

/// I4: a dest without entry is `already-installed`
/// (`lockfile_entry=no, dest=yes`), also on a project without lockfile.
#[assetpin_test]
fn i4_dest_only_is_already_installed() {
    let wiki = sample_wiki();
    for project in [Project::new(), populated(&wiki)] {
        let dest = project.dest("skill", "x");
        std::fs::create_dir_all(&dest).unwrap();
        std::fs::write(dest.join("SKILL.md"), "mine, hand-made\n").unwrap();
        let stderr = refuses_unchanged(
            &project,
            &wiki,
            &["install", "skill", "x"],
            "already-installed",
        );
        assert!(stderr.contains("lockfile_entry=no, dest=yes"), "{stderr}");
    }
}

/// I4 with `--json`: both sides as machine-readable fields.
#[assetpin_test]
fn i4_json_states_both_sides() {
    let wiki = sample_wiki();
    let project = Project::new();
    std::fs::create_dir_all(project.dest("skill", "x")).unwrap();
    let out = assetpin(&project, &wiki)
        .args(["--json", "install", "skill", "x"])
        .output()
        .unwrap();
    assert_refused(&out, "already-installed");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kind"], "already-installed");
    assert_eq!(v["lockfile_entry"], false, "{v}");
    assert_eq!(v["dest"], true, "{v}");
}

/// I5 uncommitted.
#[assetpin_test]
fn i5_uncommitted_changes_nothing() {
    let wiki = sample_wiki();
    wiki.file("skills/x/SKILL.md", "edited, not committed\n");
    refuses_unchanged(
        &Project::new(),
        &wiki,
        &["install", "skill", "x"],
        "uncommitted",
    );
    refuses_unchanged(
        &populated(&wiki),
        &wiki,
        &["install", "skill", "x"],
        "uncommitted",
    );
}

/// I5 lockfile-corrupt, on a project with lock files and other dests.
#[assetpin_test]
fn i5_lockfile_corrupt_changes_nothing() {
    let wiki = sample_wiki();
    let project = populated(&wiki);
    let mut bytes = project.lockfile();
    bytes.truncate(bytes.len() - 3);
    std::fs::write(project.lockfile_path(), &bytes).unwrap();
    refuses_unchanged(
        &project,
        &wiki,
        &["install", "skill", "x"],
        "lockfile-corrupt",
    );
    refuses_unchanged(
        &project,
        &wiki,
        &["install", "command", "c"],
        "lockfile-corrupt",
    );
}

/// I5 lockfile-version.
#[assetpin_test]
fn i5_lockfile_version_changes_nothing() {
    let wiki = sample_wiki();
    let project = populated(&wiki);
    let text = String::from_utf8(project.lockfile()).unwrap().replacen(
        "\"version\": 1",
        "\"version\": 2",
        1,
    );
    std::fs::write(project.lockfile_path(), &text).unwrap();
    refuses_unchanged(
        &project,
        &wiki,
        &["install", "skill", "x"],
        "lockfile-version",
    );
}

/// I5 unsafe-path: links at a section and at dest, and a `.memtomem`
/// that is a regular file.
#[assetpin_test]
fn i5_unsafe_path_changes_nothing() {
    let wiki = sample_wiki();
    let project = populated(&wiki);
    std::os::unix::fs::symlink(project.outside(), project.memtomem().join("commands")).unwrap();
    refuses_unchanged(&project, &wiki, &["install", "command", "c"], "unsafe-path");
    std::os::unix::fs::symlink("../other", project.dest("skill", "x")).unwrap();
    refuses_unchanged(&project, &wiki, &["install", "skill", "x"], "unsafe-path");

    let project = Project::new();
    std::fs::write(project.memtomem(), "a file").unwrap();
    refuses_unchanged(&project, &wiki, &["install", "skill", "x"], "unsafe-path");
}
