//! The lifecycle through the real binary: update (U1-U7), `install --all`
//! (I8), status drift (T1-T3, K7) and hand-edited lockfiles (L9).

mod conflict;
mod handedit;
mod hostile;
mod restore;
mod scenarios;
mod status;
mod update;

use assetpin_test_support::*;
use serde_json::Value;

/// A wiki with skill `s` (two files, one executable) committed once, and a
/// project where `s` is installed from it.
pub fn installed() -> (Wiki, Project) {
    let wiki = Wiki::new();
    wiki.file("skills/s/SKILL.md", "# s\nv1\n")
        .exec_file("skills/s/bin/run.sh", "#!/bin/sh\necho v1\n");
    wiki.commit("v1");
    let project = Project::new();
    assetpin(&project, &wiki)
        .args(["install", "skill", "s"])
        .assert()
        .success();
    (wiki, project)
}

/// Runs `assetpin --json args` and returns (exit code, stdout JSON, stderr).
pub fn json_run(project: &Project, wiki: &Wiki, args: &[&str]) -> (i32, Value, String) {
    let out = assetpin_std(project, wiki)
        .arg("--json")
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("stdout is not one JSON object ({e}): {stdout}"));
    (
        out.status.code().unwrap_or(-1),
        v,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The status row of `name` from `status --json`.
pub fn row(project: &Project, wiki: &Wiki, name: &str) -> Value {
    let (code, v, _) = json_run(project, wiki, &["status"]);
    assert_eq!(code, 0, "status failed: {v}");
    v["assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no row for {name} in {v}"))
        .clone()
}

/// Asserts that a failing verb refused with `kind`, exit `code`, and left
/// the project and the wiki byte-for-byte unchanged. Returns stderr.
#[track_caller]
pub fn assert_refused_unchanged(
    project: &Project,
    wiki: &Wiki,
    args: &[&str],
    kind: &str,
    code: i32,
) -> String {
    let before = snapshot(project.path());
    let wiki_before = snapshot(wiki.path());
    let out = assetpin_std(project, wiki).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    assert!(
        first_line(&out.stderr).starts_with(&format!("error[{kind}]: ")),
        "{args:?}: first stderr line: {stderr}"
    );
    assert_same(&before, &snapshot(project.path()), "project");
    assert_same(&wiki_before, &snapshot(wiki.path()), "wiki");
    stderr.into_owned()
}

/// Sets the mtime of `path` to `secs` seconds after the epoch.
pub fn set_mtime(path: &std::path::Path, secs: u64) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .unwrap();
}
