//! I1-I4, I6, I7: what an install reads and what it writes.

use super::{assert_refused, ok, refuses_unchanged, sample_wiki};
use assetpin_test_support::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The `files` list of the lockfile entry of `(ty, name)`.
fn files(project: &Project, ty: &str, name: &str) -> Vec<String> {
    project.entry(ty, name)["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_owned())
        .collect()
}

/// The files under dest, relative path -> bytes.
fn dest_files(project: &Project, ty: &str, name: &str) -> BTreeMap<String, Vec<u8>> {
    files_of(&snapshot(project.dest(ty, name)))
        .into_iter()
        .map(|(p, (_, b))| (p, b))
        .collect()
}

/// I1: a file modified in the work tree is `uncommitted`, naming it.
#[assetpin_test]
fn i1_modified_file_is_uncommitted() {
    let wiki = sample_wiki();
    wiki.file("skills/x/docs/guide.md", "changed\n");
    let stderr = refuses_unchanged(
        &Project::new(),
        &wiki,
        &["install", "skill", "x"],
        "uncommitted",
    );
    assert!(stderr.contains("skills/x/docs/guide.md"), "{stderr}");
    assert!(
        !stderr.contains("SKILL.md"),
        "only the changed path: {stderr}"
    );
}

/// I1: a changed executable bit counts as modified.
#[assetpin_test]
fn i1_mode_change_is_uncommitted() {
    let wiki = sample_wiki();
    wiki.file("skills/x/run.sh", "#!/bin/sh\necho x\n");
    let stderr = refuses_unchanged(
        &Project::new(),
        &wiki,
        &["install", "skill", "x"],
        "uncommitted",
    );
    assert!(stderr.contains("skills/x/run.sh"), "{stderr}");
}

/// I1: a file deleted from the work tree is `uncommitted`, naming it.
#[assetpin_test]
fn i1_deleted_file_is_uncommitted() {
    let wiki = sample_wiki();
    wiki.remove("skills/x/docs/deep/more.txt");
    let stderr = refuses_unchanged(
        &Project::new(),
        &wiki,
        &["install", "skill", "x"],
        "uncommitted",
    );
    assert!(stderr.contains("skills/x/docs/deep/more.txt"), "{stderr}");
}

/// I1: untracked files that git does not ignore are `uncommitted`, at any
/// depth (also inside an untracked directory); `--json` lists them.
#[assetpin_test]
fn i1_untracked_not_ignored_file_is_uncommitted() {
    let wiki = sample_wiki();
    wiki.file("skills/x/new.md", "new\n")
        .file("skills/x/newdir/inner.md", "new too\n");
    let project = Project::new();
    let stderr = refuses_unchanged(&project, &wiki, &["install", "skill", "x"], "uncommitted");
    assert!(stderr.contains("skills/x/new.md"), "{stderr}");
    assert!(stderr.contains("skills/x/newdir/inner.md"), "{stderr}");
    let out = assetpin(&project, &wiki)
        .args(["--json", "install", "skill", "x"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kind"], "uncommitted");
    assert_eq!(
        v["paths"],
        json!(["skills/x/new.md", "skills/x/newdir/inner.md"]),
        "{v}"
    );
}

/// I1: ignored untracked files (file and directory patterns) do not count
/// and are not installed; changes in other assets do not count either.
#[assetpin_test]
fn i1_ignored_files_and_other_assets_do_not_count() {
    let wiki = sample_wiki();
    wiki.gitignore(&["*.log", "build/"]);
    wiki.commit("ignore rules");
    wiki.file("skills/x/debug.log", "noise\n")
        .file("skills/x/build/out.txt", "artifact\n")
        .file("skills/other/SKILL.md", "other is being edited\n")
        .file("skills/other/untracked.md", "x\n");
    let project = Project::new();
    ok(&project, &wiki, &["install", "skill", "x"]);
    assert_eq!(
        files(&project, "skill", "x"),
        ["SKILL.md", "docs/deep/more.txt", "docs/guide.md", "run.sh"]
    );
    assert!(!project.dest("skill", "x").join("debug.log").exists());
    assert!(!project.dest("skill", "x").join("build").exists());
}

/// I1, K4: bytes come from the commit's objects, not from a work tree: a
/// bare clone (no work tree at all) installs the committed bytes.
#[assetpin_test]
fn i1_bytes_come_from_the_commit() {
    let wiki = sample_wiki();
    let bare = tempfile::tempdir().unwrap();
    run_git(
        bare.path(),
        [
            "clone",
            "-q",
            "--bare",
            &wiki.path().display().to_string(),
            "w.git",
        ],
    );
    let project = Project::new();
    let out = assetpin_at(&project.home(), &project.path(), &bare.path().join("w.git"))
        .args(["install", "skill", "x"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = dest_files(&project, "skill", "x");
    let expected: BTreeMap<String, Vec<u8>> =
        ["SKILL.md", "docs/deep/more.txt", "docs/guide.md", "run.sh"]
            .into_iter()
            .map(|f| (f.to_owned(), wiki.committed(&format!("skills/x/{f}"))))
            .collect();
    assert_eq!(got, expected);
}

/// I1: with ignored files present in the work tree, the installed bytes
/// are still the committed ones (a file that is tracked but matches an
/// ignore pattern is compared, and clean).
#[assetpin_test]
fn i1_tracked_file_matching_ignore_rule_is_installed() {
    let wiki = Wiki::new();
    wiki.file("skills/x/SKILL.md", "x\n")
        .file("skills/x/keep.log", "tracked log\n");
    wiki.commit("with a log");
    wiki.gitignore(&["*.log"]);
    wiki.commit("ignore logs");
    let project = Project::new();
    ok(&project, &wiki, &["install", "skill", "x"]);
    assert_eq!(files(&project, "skill", "x"), ["SKILL.md", "keep.log"]);

    // Modified tracked-but-ignored file: still uncommitted.
    let wiki2 = Wiki::new();
    wiki2
        .file("skills/x/SKILL.md", "x\n")
        .file("skills/x/keep.log", "tracked log\n");
    wiki2.gitignore(&["*.log"]);
    wiki2.git(&["add", "-f", "skills/x/keep.log"]);
    wiki2.commit("with an ignored, tracked log");
    wiki2.file("skills/x/keep.log", "changed\n");
    let stderr = refuses_unchanged(
        &Project::new(),
        &wiki2,
        &["install", "skill", "x"],
        "uncommitted",
    );
    assert!(stderr.contains("skills/x/keep.log"), "{stderr}");
}

/// A wiki asset full of things I2 skips.
fn skip_wiki() -> Wiki {
    let wiki = Wiki::new();
    wiki.file("skills/x/SKILL.md", "x\n")
        .file("skills/x/.DS_Store", "mac\n")
        .file("skills/x/__pycache__/x.pyc", "pyc\n")
        .file("skills/x/notes.bak", "old\n")
        .file("skills/x/sub/keep.md", "keep\n")
        .file("skills/x/sub/.DS_Store", "mac\n")
        .file("skills/x/sub/deep/__pycache__/y.pyc", "pyc\n")
        .file("skills/x/sub/deep/__pycache__/nested/z.txt", "pyc\n")
        .file("skills/x/sub/old.bak", "old\n")
        .file(
            "skills/x/dir.bak/inside.md",
            "a directory named .bak is kept\n",
        )
        .symlink("skills/x/link.md", "SKILL.md")
        .symlink("skills/x/sub/escape", "../../../..")
        .gitlink(
            "skills/x/vendor",
            "1234567890abcdef1234567890abcdef12345678",
        );
    wiki.commit("skippable");
    wiki
}

/// I2: skipped names, `.bak` files, links and submodules appear in
/// neither dest nor `files`; links and submodules are named on stderr.
#[assetpin_test]
fn i2_skipped_entries_are_not_installed() {
    let wiki = skip_wiki();
    assert!(
        wiki.git(&["ls-tree", "-r", "HEAD"])
            .contains("160000 commit 1234567890abcdef"),
        "the fixture holds a submodule"
    );
    let project = Project::new();
    let out = ok(&project, &wiki, &["install", "skill", "x"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for named in ["skills/x/link.md", "skills/x/sub/escape", "skills/x/vendor"] {
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with("warning") && l.contains(named)),
            "a warning names {named}: {stderr}"
        );
    }
    for quiet in [".DS_Store", "__pycache__", "notes.bak"] {
        assert!(!stderr.contains(quiet), "no warning for {quiet}: {stderr}");
    }
    let expected = ["SKILL.md", "dir.bak/inside.md", "sub/keep.md"];
    assert_eq!(files(&project, "skill", "x"), expected);
    assert_eq!(
        dest_files(&project, "skill", "x")
            .keys()
            .collect::<Vec<_>>(),
        expected
    );
    let paths = snapshot(project.dest("skill", "x"));
    assert_eq!(
        paths.paths(),
        [
            ".",
            "SKILL.md",
            "dir.bak",
            "dir.bak/inside.md",
            "sub",
            "sub/keep.md"
        ],
        "no skipped directory was created"
    );
    let digests = project.entry("skill", "x")["digests"].clone();
    assert_eq!(digests.as_object().unwrap().len(), 3);
}

/// I2 with `--json`: the warnings are in the result object too.
#[assetpin_test]
fn i2_json_result_carries_warnings() {
    let wiki = skip_wiki();
    let project = Project::new();
    let out = ok(&project, &wiki, &["--json", "install", "skill", "x"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let warnings = v["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 3, "{v}");
}

/// I2 / I1: a submodule that is checked out in the wiki work tree is not
/// "uncommitted": its files belong to the submodule, not to the wiki.
#[assetpin_test]
fn i2_checked_out_submodule_is_skipped_not_uncommitted() {
    let lib = Wiki::new();
    lib.file("lib.md", "library\n");
    lib.commit("lib");
    let wiki = Wiki::new();
    wiki.file("skills/x/SKILL.md", "x\n");
    run_git(
        wiki.path(),
        [
            "submodule",
            "add",
            "-q",
            &lib.path().display().to_string(),
            "skills/x/vendor",
        ],
    );
    wiki.commit("with a submodule");
    let project = Project::new();
    let out = ok(&project, &wiki, &["install", "skill", "x"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("skills/x/vendor"));
    assert_eq!(files(&project, "skill", "x"), ["SKILL.md"]);
}

/// Installs skill x under `umask mask` and checks I3 modes.
fn check_modes(mask: &str) {
    let wiki = sample_wiki();
    let project = Project::new();
    assetpin_umask(&project, &wiki, mask)
        .args(["install", "skill", "x"])
        .assert()
        .success();
    let snap = snapshot(project.memtomem());
    let expected: BTreeMap<&str, Node> = [
        (".", Node::Dir(0o755)),
        ("skills", Node::Dir(0o755)),
        ("skills/x", Node::Dir(0o755)),
        ("skills/x/docs", Node::Dir(0o755)),
        ("skills/x/docs/deep", Node::Dir(0o755)),
    ]
    .into_iter()
    .collect();
    for (p, n) in expected {
        assert_eq!(snap.0.get(p), Some(&n), "umask {mask}: {p}");
    }
    for (f, m) in [
        ("skills/x/SKILL.md", 0o644),
        ("skills/x/docs/guide.md", 0o644),
        ("skills/x/docs/deep/more.txt", 0o644),
        ("skills/x/run.sh", 0o755),
        ("lock.json", 0o600),
        (".lock.json.lock", 0o600),
        ("skills/.x.lock", 0o600),
    ] {
        match snap.0.get(f) {
            Some(Node::File(got, _)) => assert_eq!(*got, m, "umask {mask}: {f} is {got:o}"),
            other => panic!("umask {mask}: {f}: {other:?}"),
        }
    }
}

/// I3: modes under umask 077.
#[assetpin_test]
fn i3_modes_under_umask_077() {
    check_modes("077");
}

/// I3: modes under umask 000.
#[assetpin_test]
fn i3_modes_under_umask_000() {
    check_modes("000");
}

/// I6: no staging directory is left after an install.
#[assetpin_test]
fn i6_no_staging_dir_left() {
    let wiki = sample_wiki();
    let project = Project::new();
    ok(&project, &wiki, &["install", "skill", "x"]);
    ok(&project, &wiki, &["install", "skill", "other"]);
    assert_eq!(
        ls(&project.memtomem().join("skills")),
        [".other.lock", ".x.lock", "other", "x"]
    );
}

/// I6: a stale staging directory (left by a crash) never shows in
/// `status` and is removed by the next install of its asset.
#[assetpin_test]
fn i6_stale_staging_dir_is_ignored_and_cleaned() {
    let wiki = sample_wiki();
    let project = Project::new();
    ok(&project, &wiki, &["install", "skill", "other"]);
    let stale = project.memtomem().join("skills/.x~staging-123-0-abc");
    std::fs::create_dir_all(stale.join("docs")).unwrap();
    std::fs::write(stale.join("docs/half.md"), "half-written").unwrap();

    for args in [&["status"][..], &["--json", "status"]] {
        let out = ok(&project, &wiki, args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!stdout.contains("staging"), "{stdout}");
    }
    let out = ok(&project, &wiki, &["--json", "status"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["assets"].as_array().unwrap().len(), 1, "{v}");

    ok(&project, &wiki, &["install", "skill", "x"]);
    assert!(!stale.exists(), "stale staging dir removed");
    assert_eq!(
        ls(&project.memtomem().join("skills")),
        [".other.lock", ".x.lock", "other", "x"]
    );
}

/// I6, K3: cleaning stale staging directories of `x` never touches those
/// of another asset whose name starts with `x.staging-` (nor its lock).
#[assetpin_test]
fn i6_staging_cleanup_is_confined_to_its_asset() {
    let wiki = Wiki::with_skills(&["x", "x.staging-1"]);
    let project = Project::new();
    ok(&project, &wiki, &["install", "skill", "x.staging-1"]);
    let other_lock = project.memtomem().join("skills/.x.staging-1.lock");
    assert!(other_lock.is_file());
    ok(&project, &wiki, &["install", "skill", "x"]);
    assert!(
        other_lock.is_file(),
        "the lock file of asset x.staging-1 was removed"
    );
}

/// I7 (ordering seen from outside): after a successful install the entry
/// describes exactly what dest holds.
#[assetpin_test]
fn i7_entry_matches_dest() {
    let wiki = sample_wiki();
    let project = Project::new();
    ok(&project, &wiki, &["install", "skill", "x"]);
    let e = project.entry("skill", "x");
    let got = dest_files(&project, "skill", "x");
    let digests: BTreeMap<String, String> = e["digests"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let actual: BTreeMap<String, String> =
        got.iter().map(|(k, b)| (k.clone(), sha256(b))).collect();
    assert_eq!(digests, actual);
}

/// A refusal on the second install leaves the first one intact (I4 + I5
/// seen from the dest side): dest bytes equal the committed tree.
#[assetpin_test]
fn i4_refused_reinstall_keeps_first_install() {
    let wiki = sample_wiki();
    let project = Project::new();
    ok(&project, &wiki, &["install", "skill", "x"]);
    wiki.file("skills/x/SKILL.md", "v2\n");
    wiki.commit("v2");
    let out = assetpin(&project, &wiki)
        .args(["install", "skill", "x"])
        .output()
        .unwrap();
    assert_refused(&out, "already-installed");
    assert_eq!(
        std::fs::read(project.dest("skill", "x").join("SKILL.md")).unwrap(),
        "# x\n\nÜber-skill.\n".as_bytes()
    );
}

/// The tests of this module, run by the harness of `tests/tests.rs`.
/// I1: the asset's directory in the work tree replaced by a link to a
/// copy of the same files is a difference (`uncommitted`, naming the
/// asset), never a place to read from, and not an error of the install.
#[assetpin_test]
fn i1_asset_dir_replaced_by_a_link_is_uncommitted() {
    let wiki = sample_wiki();
    let copy = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("cp")
        .arg("-a")
        .arg(wiki.path().join("skills/x"))
        .arg(copy.path().join("x"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    wiki.remove("skills/x");
    wiki.symlink("skills/x", copy.path().join("x").to_str().unwrap());
    let stderr = refuses_unchanged(
        &Project::new(),
        &wiki,
        &["install", "skill", "x"],
        "uncommitted",
    );
    assert!(stderr.contains("skills/x"), "{stderr}");
}

/// I1: committed files under a directory that `.gitignore` names are
/// compared like any other: unchanged, the install goes ahead; changed,
/// it is `uncommitted`.
#[assetpin_test]
fn i1_tracked_files_under_an_ignored_directory_are_compared() {
    let wiki = Wiki::new();
    wiki.skill("x").file("skills/x/build/out.txt", "built\n");
    wiki.commit("x with build/");
    wiki.gitignore(&["build/"]);
    wiki.commit("ignore build/");
    let project = Project::new();
    ok(&project, &wiki, &["install", "skill", "x"]);
    assert_eq!(
        std::fs::read(project.dest("skill", "x").join("build/out.txt")).unwrap(),
        b"built\n"
    );
    let other = Project::new();
    wiki.file("skills/x/build/out.txt", "edited\n");
    let stderr = refuses_unchanged(&other, &wiki, &["install", "skill", "x"], "uncommitted");
    assert!(stderr.contains("skills/x/build/out.txt"), "{stderr}");
}
