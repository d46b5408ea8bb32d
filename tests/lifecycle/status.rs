//! T1-T3 and K7: status states, exit codes, JSON shape; no writes.

use super::*;
use assetpin_test_support::*;

#[assetpin_test]
fn t1_every_state() {
    let wiki = Wiki::new();
    for n in ["ok", "behind", "dirty", "missing", "stale"] {
        wiki.skill(n);
    }
    wiki.commit("v1");
    let project = Project::new();
    for n in ["ok", "behind", "dirty", "missing", "stale"] {
        assetpin(&project, &wiki)
            .args(["install", "skill", n])
            .assert()
            .success();
    }
    std::fs::write(project.dest("skill", "dirty").join("SKILL.md"), "x").unwrap();
    std::fs::remove_dir_all(project.dest("skill", "missing")).unwrap();
    std::fs::create_dir_all(project.dest("skill", "hand")).unwrap();
    std::fs::write(project.dest("skill", "hand").join("SKILL.md"), "h").unwrap();
    let mut doc = project.lockfile_json();
    doc["skills"]["stale"]["wiki_commit"] = "0123456789abcdef0123456789abcdef01234567".into();
    project.write_lockfile(serde_json::to_vec_pretty(&doc).unwrap());
    // Move HEAD on, then re-pin "ok" there.
    wiki.file("unrelated.md", "u");
    wiki.commit("v2");
    let mut doc = project.lockfile_json();
    doc["skills"]["ok"]["wiki_commit"] = wiki.head().into();
    doc["skills"]["ok"]["files_commit"] = wiki.head().into();
    project.write_lockfile(serde_json::to_vec_pretty(&doc).unwrap());

    for (n, state) in [
        ("ok", "ok"),
        ("behind", "behind"),
        ("dirty", "dirty"),
        ("missing", "missing"),
        ("stale", "stale-pin"),
        ("hand", "untracked"),
    ] {
        assert_eq!(row(&project, &wiki, n)["state"], state, "{n}");
    }
    assert!(row(&project, &wiki, "hand")["pin"].is_null());
    // T3: an untracked dest's row carries its newest file's mtime_ns too.
    let hand = project.dest("skill", "hand").join("SKILL.md");
    let want = mtime_ns(&hand);
    assert_eq!(
        row(&project, &wiki, "hand")["mtime_ns"]
            .as_i64()
            .map(i128::from),
        Some(want)
    );
}

#[assetpin_test]
fn t1_without_a_wiki_states_that_need_it_are_unknown() {
    let (wiki, project) = installed();
    std::fs::write(project.dest("skill", "s").join("SKILL.md"), "x").unwrap();
    let missing_wiki = project.parent().join("no-wiki");
    let out = assetpin_at(&project.home(), &project.path(), &missing_wiki)
        .args(["--json", "status"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["wiki_head"].is_null());
    assert_eq!(v["assets"][0]["state"], "dirty", "dirty needs no wiki");
    std::fs::write(project.dest("skill", "s").join("SKILL.md"), "# s\nv1\n").unwrap();
    let out = assetpin_at(&project.home(), &project.path(), &missing_wiki)
        .args(["--json", "status"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["assets"][0]["state"], "unknown");
    drop(wiki);
}

#[assetpin_test]
fn t2_drift_exits_0_corrupt_and_unsupported_version_exit_1() {
    let (wiki, project) = installed();
    std::fs::remove_dir_all(project.dest("skill", "s")).unwrap();
    assetpin(&project, &wiki).arg("status").assert().code(0);
    project.write_lockfile(r#"{"version": 2, "skills": {}}"#);
    let (code, v, stderr) = json_run(&project, &wiki, &["status"]);
    assert_eq!(code, 1);
    assert_eq!(v["kind"], "lockfile-version");
    assert_eq!(v["lockfile_version"], 2);
    assert!(stderr.starts_with("error[lockfile-version]: "), "{stderr}");
    project.write_lockfile("{not json");
    let (code, v, _) = json_run(&project, &wiki, &["status"]);
    assert_eq!((code, v["kind"].as_str()), (1, Some("lockfile-corrupt")));
}

#[assetpin_test]
fn t3_json_shape() {
    let (wiki, project) = installed();
    let (code, v, _) = json_run(&project, &wiki, &["status"]);
    assert_eq!(code, 0);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["wiki_head", "lockfile_version", "assets"]);
    assert_eq!(v["wiki_head"], wiki.head().as_str());
    assert_eq!(v["lockfile_version"], 1);
    let a = &v["assets"][0];
    let keys: Vec<&str> = a.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["type", "name", "pin", "state", "dirty_files", "mtime_ns"]
    );
    assert_eq!(a["type"], "skill");
    assert_eq!(a["pin"], wiki.head().as_str());
    assert!(a["mtime_ns"].as_i64().unwrap() > 1_600_000_000_000_000_000);
}

#[assetpin_test]
fn k7_status_takes_no_lock_and_writes_nothing() {
    // On a fresh project it creates nothing at all.
    let wiki = Wiki::with_skills(&["s"]);
    let project = Project::new();
    let before = snapshot(project.path());
    assetpin(&project, &wiki).arg("status").assert().success();
    assert_same(&before, &snapshot(project.path()), "fresh project");
    // On an installed, drifted one it changes nothing either.
    assetpin(&project, &wiki)
        .args(["install", "skill", "s"])
        .assert()
        .success();
    std::fs::write(project.dest("skill", "s").join("SKILL.md"), "x").unwrap();
    let before = snapshot(project.path());
    assetpin(&project, &wiki).arg("status").assert().success();
    assetpin(&project, &wiki)
        .args(["--json", "status"])
        .assert()
        .success();
    assert_same(&before, &snapshot(project.path()), "installed project");
}
