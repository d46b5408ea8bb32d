//! I8: `install --all` restores at each entry's own pin.

use super::*;
use assetpin_test_support::*;

#[assetpin_test]
fn i8_restores_missing_dests_at_their_pins_not_head() {
    let wiki = Wiki::new();
    wiki.file("skills/a/SKILL.md", "a1\n")
        .file("agents/b/agent.md", "b1\n");
    let c1 = wiki.commit("v1");
    let project = Project::new();
    for (ty, n) in [("skill", "a"), ("agent", "b")] {
        assetpin(&project, &wiki)
            .args(["install", ty, n])
            .assert()
            .success();
    }
    let first = project.lockfile_json();
    wiki.file("skills/a/SKILL.md", "a2\n")
        .file("agents/b/agent.md", "b2\n");
    wiki.commit("v2");

    std::fs::remove_dir_all(project.dest("skill", "a")).unwrap();
    std::fs::remove_dir_all(project.dest("agent", "b")).unwrap();
    let (code, v, _) = json_run(&project, &wiki, &["install", "--all"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        std::fs::read(project.dest("skill", "a").join("SKILL.md")).unwrap(),
        b"a1\n"
    );
    assert_eq!(
        std::fs::read(project.dest("agent", "b").join("agent.md")).unwrap(),
        b"b1\n"
    );
    let after = project.lockfile_json();
    for (sec, n) in [("skills", "a"), ("agents", "b")] {
        assert_eq!(after[sec][n]["wiki_commit"], c1.as_str(), "pins never move");
        assert_eq!(after[sec][n]["digests"], first[sec][n]["digests"]);
        assert_eq!(after[sec][n]["files"], first[sec][n]["files"]);
    }
    assert_eq!(row(&project, &wiki, "a")["state"], "behind");
}

#[assetpin_test]
fn i8_present_dests_are_left_alone() {
    let (wiki, project) = installed();
    std::fs::write(project.dest("skill", "s").join("SKILL.md"), "edited\n").unwrap();
    let before = snapshot(project.path());
    let (code, v, _) = json_run(&project, &wiki, &["install", "--all"]);
    assert_eq!(code, 0);
    assert_eq!(v["entries"][0]["status"], "present");
    assert_same(&before, &snapshot(project.path()), "project");
}

#[assetpin_test]
fn i8_an_unknown_pin_is_reported_and_fails_the_run_but_others_restore() {
    let (wiki, project) = installed();
    let mut doc = project.lockfile_json();
    doc["skills"]["ghost"] =
        serde_json::json!({"wiki_commit": "0123456789abcdef0123456789abcdef01234567"});
    project.write_lockfile(serde_json::to_vec_pretty(&doc).unwrap());
    std::fs::remove_dir_all(project.dest("skill", "s")).unwrap();
    let (code, v, stderr) = json_run(&project, &wiki, &["install", "--all"]);
    assert_eq!(code, 1, "{v}");
    assert!(stderr.contains("ghost"), "{stderr}");
    assert!(project.dest("skill", "s").join("SKILL.md").exists());
    assert!(!project.dest("skill", "ghost").exists());
    assert_eq!(
        project.entry("skill", "ghost")["wiki_commit"],
        "0123456789abcdef0123456789abcdef01234567"
    );
}

/// L7: a rerun of `install --all` that finds every dest present still
/// takes out the lockfile temporary file a killed writer left (a regular
/// file under the temporary prefix), and nothing else under that prefix;
/// with no such file it writes nothing at all (not even the sidecar lock).
#[assetpin_test]
fn l7_install_all_with_nothing_to_restore_removes_a_killed_writers_temp() {
    let (wiki, project) = installed();
    let mm = project.path().join(".memtomem");
    std::fs::remove_file(mm.join(".lock.json.lock")).unwrap();
    std::fs::create_dir(mm.join(".lock.json.tmp-not-ours")).unwrap();
    let before = snapshot(project.path());
    let (code, v, _) = json_run(&project, &wiki, &["install", "--all"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["entries"][0]["status"], "present");
    assert_same(&before, &snapshot(project.path()), "project");

    std::fs::write(mm.join(".lock.json.tmp-killed"), "{partial").unwrap();
    let lockfile = std::fs::read(project.lockfile_path()).unwrap();
    let (code, v, _) = json_run(&project, &wiki, &["install", "--all"]);
    assert_eq!(code, 0, "{v}");
    assert!(!mm.join(".lock.json.tmp-killed").exists());
    assert!(mm.join(".lock.json.tmp-not-ours").is_dir());
    assert_eq!(std::fs::read(project.lockfile_path()).unwrap(), lockfile);
}
