//! The peer's own scenarios of update and status, where this contract
//! was silent or this tool said less than the peer (docs/CONTRACT.md
//! sharpenings U5, U6, U1, T1).

use super::*;
use assetpin_test_support::*;

/// U5: `--force-head` over a stale pin warns on stderr that the pin moves
/// backward, and `--dry-run` marks the move.
#[assetpin_test]
fn u5_force_head_backward_warns_and_dry_run_marks_it() {
    let (wiki, project) = installed();
    let v1 = wiki.head();
    wiki.file("skills/s/SKILL.md", "# s\nv2\n");
    wiki.commit("v2");
    assetpin(&project, &wiki)
        .args(["update", "skill", "s"])
        .assert()
        .success();
    wiki.git(&["reset", "-q", "--hard", &v1]);
    let out = assetpin(&project, &wiki)
        .args(["update", "skill", "s", "--force-head", "--dry-run"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("(backward"),
        "{out:?}"
    );
    let (_, v, _) = json_run(
        &project,
        &wiki,
        &["update", "skill", "s", "--force-head", "--dry-run"],
    );
    assert_eq!(v["backward"], true, "{v}");
    let out = assetpin(&project, &wiki)
        .args(["update", "skill", "s", "--force-head"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: --force-head moves the pin of skill s backward"),
        "{stderr}"
    );
    assert_eq!(project.entry("skill", "s")["wiki_commit"], v1.as_str());
    // A pin the wiki does not know is stale, but no move from it is
    // backward: there is nothing to compare HEAD with.
    let mut doc = project.lockfile_json();
    doc["skills"]["s"]["wiki_commit"] = "0123456789abcdef0123456789abcdef01234567".into();
    project.write_lockfile(serde_json::to_vec_pretty(&doc).unwrap());
    let (code, v, stderr) = json_run(&project, &wiki, &["update", "skill", "s", "--force-head"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["backward"], false, "{v}");
    assert!(!stderr.contains("backward"), "{stderr}");
}

/// U3, U6: a recorded file the user deleted is named as deleted, and the
/// plan restores it.
#[assetpin_test]
fn u6_a_deleted_recorded_file_is_a_restore() {
    let (wiki, project) = installed();
    std::fs::remove_file(project.dest("skill", "s").join("bin/run.sh")).unwrap();
    wiki.file("skills/s/SKILL.md", "# s\nv2\n");
    wiki.commit("v2");
    let stderr = assert_refused_unchanged(&project, &wiki, &["update", "skill", "s"], "dirty", 1);
    assert!(stderr.contains("deleted bin/run.sh"), "{stderr}");
    assert!(!stderr.contains("modified bin/run.sh"), "{stderr}");
    let (_, v, _) = json_run(&project, &wiki, &["update", "skill", "s", "--dry-run"]);
    let row = v["plan"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == "bin/run.sh")
        .cloned()
        .unwrap();
    assert_eq!(row["action"], "restore", "{v}");
}

/// U2, U3: an entry without valid digests whose `installed_at` is no
/// timestamp is an unusable install record, and the refusal says so
/// instead of calling the files local edits.
#[assetpin_test]
fn u3_an_unusable_install_record_is_named() {
    let (wiki, project) = installed();
    let mut doc = project.lockfile_json();
    let e = doc["skills"]["s"].as_object_mut().unwrap();
    e.remove("digests");
    e.insert("installed_at".into(), "yesterday".into());
    project.write_lockfile(serde_json::to_vec_pretty(&doc).unwrap());
    wiki.file("skills/s/SKILL.md", "# s\nv2\n");
    wiki.commit("v2");
    let stderr = assert_refused_unchanged(&project, &wiki, &["update", "skill", "s"], "dirty", 1);
    assert!(stderr.contains("unusable install record"), "{stderr}");
    assert!(!stderr.contains("local changes"), "{stderr}");
}

/// T1: `status` on a wiki that exists but has no commit says so, rather
/// than "wiki not found".
#[assetpin_test]
fn t1_status_on_a_wiki_without_commits_says_so() {
    let (_, project) = installed();
    let empty = Wiki::new();
    let out = assetpin(&project, &empty)
        .args(["status"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("no commit yet"), "{stdout}");
    assert!(!stdout.contains("not found"), "{stdout}");
}
