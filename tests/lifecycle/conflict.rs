//! U7: the stale-mtime conflict, in the shape U7 describes (docs/CONTRACT.md).

use super::*;
use assetpin_test_support::*;

#[assetpin_test]
fn u7_stale_mtime_aborts_with_exit_3_then_the_current_value_applies() {
    let (wiki, project) = installed();
    wiki.file("skills/s/SKILL.md", "# s\nv2\n");
    let head = wiki.commit("v2");

    let old = row(&project, &wiki, "s")["mtime_ns"]
        .as_i64()
        .expect("mtime_ns is an integer");
    // From outside: bump one dest file's mtime without changing its bytes.
    set_mtime(&project.dest("skill", "s").join("SKILL.md"), 4_000_000_000);
    let current = row(&project, &wiki, "s")["mtime_ns"].as_i64().unwrap();
    assert_ne!(old, current);

    let before = snapshot(project.path());
    let old_arg = old.to_string();
    let (code, v, stderr) = json_run(
        &project,
        &wiki,
        &["update", "skill", "s", "--expect-mtime-ns", &old_arg],
    );
    assert_eq!(code, 3, "{v}");
    assert_eq!(v["status"], "aborted");
    assert_eq!(v["kind"], "conflict");
    assert_eq!(v["mtime_ns"].as_i64(), Some(current));
    assert!(stderr.starts_with("error[conflict]: "), "{stderr}");
    assert!(
        stderr.contains(&current.to_string()),
        "current mtime_ns echoed: {stderr}"
    );
    assert_same(&before, &snapshot(project.path()), "project");

    let cur_arg = current.to_string();
    let (code, v, _) = json_run(
        &project,
        &wiki,
        &["update", "skill", "s", "--expect-mtime-ns", &cur_arg],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["status"], "updated");
    assert_eq!(project.entry("skill", "s")["wiki_commit"], head.as_str());
}

#[assetpin_test]
fn u7_the_expectation_is_checked_even_when_up_to_date() {
    let (wiki, project) = installed();
    assert_refused_unchanged(
        &project,
        &wiki,
        &["update", "skill", "s", "--expect-mtime-ns", "1"],
        "conflict",
        3,
    );
}
