//! L9 through the lifecycle: hand-edited or merged lockfiles degrade to
//! "no manifest" / "no digests", never crash, and never make `update`
//! delete or write a path outside dest.

use assetpin_test_support::*;
use serde_json::json;

/// The hand-edited lockfile shapes (L9), applied to entry `s`.
fn shapes(pin: &str) -> Vec<(&'static str, serde_json::Value)> {
    let d = "a".repeat(64);
    vec![
        ("files is a string", json!({"files": "SKILL.md"})),
        ("files holds a number", json!({"files": [1]})),
        ("digests is a list", json!({"digests": ["x"]})),
        (
            "files with ..",
            json!({"files": ["../victim/SKILL.md", "../../outside.txt"]}),
        ),
        ("files with leading /", json!({"files": ["/etc/passwd"]})),
        (
            "files with backslash",
            json!({"files": ["..\\victim\\SKILL.md"]}),
        ),
        (
            "digest key with ..",
            json!({"digests": {"../victim/SKILL.md": d}}),
        ),
        ("digest key absolute", json!({"digests": {"/tmp/x": d}})),
        (
            "files_commit differs",
            json!({"files_commit": "b".repeat(40)}),
        ),
        (
            "digests_installed_at differs",
            json!({"digests_installed_at": "1999-01-01T00:00:00.000000Z"}),
        ),
        (
            "63-character digest",
            json!({"digests": {"SKILL.md": "a".repeat(63)}}),
        ),
        (
            "upper-case digest",
            json!({"digests": {"SKILL.md": "A".repeat(64)}}),
        ),
        (
            "installed_at not a time",
            json!({"installed_at": "yesterday"}),
        ),
        (
            "wiki_commit a number",
            json!({"wiki_commit": 7, "files_commit": pin}),
        ),
        (
            "entry keys null",
            json!({"files": null, "digests": null, "installed_at": null}),
        ),
    ]
}

#[assetpin_test]
fn l9_hand_edited_entries_degrade_and_never_reach_outside_dest() {
    for (what, patch) in shapes("0".repeat(40).as_str()) {
        let wiki = Wiki::new();
        wiki.file("skills/s/SKILL.md", "v1\n")
            .file("skills/victim/SKILL.md", "victim\n");
        wiki.commit("v1");
        let project = Project::new();
        for n in ["s", "victim"] {
            assetpin(&project, &wiki)
                .args(["install", "skill", n])
                .assert()
                .success();
        }
        std::fs::write(project.path().join("outside.txt"), "keep me\n").unwrap();
        let mut doc = project.lockfile_json();
        for (k, v) in patch.as_object().unwrap() {
            doc["skills"]["s"][k] = v.clone();
        }
        project.write_lockfile(serde_json::to_vec_pretty(&doc).unwrap());
        wiki.file("skills/s/SKILL.md", "v2\n");
        wiki.commit("v2");

        let victim_before = snapshot(project.dest("skill", "victim"));
        let status = assetpin(&project, &wiki)
            .args(["--json", "status"])
            .output()
            .unwrap();
        assert_eq!(
            status.status.code(),
            Some(0),
            "{what}: status must not fail"
        );
        assert!(
            !String::from_utf8_lossy(&status.stderr).contains("panicked"),
            "{what}"
        );

        let out = assetpin(&project, &wiki)
            .args(["update", "skill", "s", "--force", "--force-head"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
        assert!(
            out.status.code() == Some(0) || first_line(&out.stderr).starts_with("error["),
            "{what}: {stderr}"
        );
        assert_same(
            &victim_before,
            &snapshot(project.dest("skill", "victim")),
            what,
        );
        assert_eq!(
            std::fs::read(project.path().join("outside.txt")).unwrap(),
            b"keep me\n",
            "{what}"
        );
        if out.status.success() {
            assert_eq!(
                std::fs::read(project.dest("skill", "s").join("SKILL.md")).unwrap(),
                b"v2\n",
                "{what}"
            );
        }
    }
}

/// U2 with digests for only some files (a merge kept `files` whole but
/// lost a digest): a recorded file without a digest counts as dirty only
/// when it is missing from dest; present, status is `ok`.
#[assetpin_test]
fn u2_a_recorded_file_without_a_digest_is_dirty_only_when_missing() {
    let (wiki, project) = super::installed();
    let mut doc = project.lockfile_json();
    let digests = doc["skills"]["s"]["digests"].as_object_mut().unwrap();
    assert!(digests.remove("bin/run.sh").is_some());
    project.write_lockfile(serde_json::to_vec_pretty(&doc).unwrap());
    let state = || {
        let r = super::row(&project, &wiki, "s");
        (
            r["state"].as_str().unwrap().to_owned(),
            r["dirty_files"].to_string(),
        )
    };
    assert_eq!(state(), ("ok".to_owned(), "[]".to_owned()));
    std::fs::remove_file(project.dest("skill", "s").join("bin/run.sh")).unwrap();
    let (st, files) = state();
    assert_ne!(st, "ok", "{files}");
    assert_eq!(files, r#"["bin/run.sh"]"#);
}

/// U2 without digests: a file is dirty when its mtime is later than
/// `installed_at`, not when it equals it, whether the manifest counts or
/// not (then every file of dest is judged so).
#[assetpin_test]
fn u2_without_digests_only_a_later_mtime_is_dirty() {
    let (wiki, project) = super::installed();
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_767_225_600);
    // Every file of dest at `t`.
    let set = |t: std::time::SystemTime| {
        for rel in ["SKILL.md", "bin/run.sh"] {
            let f = std::fs::File::options()
                .write(true)
                .open(project.dest("skill", "s").join(rel))
                .unwrap();
            f.set_modified(t).unwrap();
        }
    };
    let state = || super::row(&project, &wiki, "s")["state"].clone();
    let mut doc = project.lockfile_json();
    let e = doc["skills"]["s"].as_object_mut().unwrap();
    e.remove("digests");
    e.insert("installed_at".into(), "2026-01-01T00:00:00.000000Z".into());
    project.write_lockfile(serde_json::to_vec_pretty(&doc).unwrap());
    set(at);
    assert_eq!(
        state(),
        "ok",
        "mtime equal to installed_at, manifest counts"
    );
    let mut doc = project.lockfile_json();
    doc["skills"]["s"]["files_commit"] = "b".repeat(40).into();
    project.write_lockfile(serde_json::to_vec_pretty(&doc).unwrap());
    assert_eq!(state(), "ok", "mtime equal to installed_at, no manifest");
    set(at + std::time::Duration::from_secs(1));
    assert_eq!(state(), "dirty", "a later mtime, no manifest");
}
