//! `update` (U1-U6).

use super::*;
use assetpin_test_support::*;

#[assetpin_test]
fn u1_update_of_an_asset_without_entry_is_not_installed() {
    let (wiki, project) = installed();
    wiki.skill("other");
    wiki.commit("other");
    assert_refused_unchanged(
        &project,
        &wiki,
        &["update", "skill", "other"],
        "not-installed",
        1,
    );
}

#[assetpin_test]
fn u1_pin_at_head_and_clean_dest_writes_nothing() {
    let (wiki, project) = installed();
    let before = snapshot(project.path());
    let (code, v, _) = json_run(&project, &wiki, &["update", "skill", "s"]);
    assert_eq!(code, 0);
    assert_eq!(v["status"], "up-to-date");
    assert_same(&before, &snapshot(project.path()), "project");
}

#[assetpin_test]
fn u2_a_touch_that_keeps_the_bytes_is_clean() {
    let (wiki, project) = installed();
    set_mtime(&project.dest("skill", "s").join("SKILL.md"), 4_000_000_000);
    assert_eq!(row(&project, &wiki, "s")["state"], "ok");
    let (code, v, _) = json_run(&project, &wiki, &["update", "skill", "s"]);
    assert_eq!((code, v["status"].as_str()), (0, Some("up-to-date")));
}

#[assetpin_test]
fn u2_changed_bytes_and_deleted_files_are_dirty() {
    let (wiki, project) = installed();
    let dest = project.dest("skill", "s");
    std::fs::write(dest.join("SKILL.md"), "edited\n").unwrap();
    std::fs::remove_file(dest.join("bin/run.sh")).unwrap();
    // A file of the user's own is not recorded, so it is not dirty.
    std::fs::write(dest.join("mine.md"), "mine\n").unwrap();
    let r = row(&project, &wiki, "s");
    assert_eq!(r["state"], "dirty");
    assert_eq!(
        r["dirty_files"],
        serde_json::json!(["SKILL.md", "bin/run.sh"])
    );
}

#[assetpin_test]
fn u2_without_valid_digests_the_mtime_rule_applies() {
    let (wiki, project) = installed();
    let mut doc = project.lockfile_json();
    // Broken pairing (L9): digests no longer count.
    doc["skills"]["s"]["digests_installed_at"] = "2000-01-01T00:00:00.000000Z".into();
    project.write_lockfile(serde_json::to_vec_pretty(&doc).unwrap());
    assert_eq!(row(&project, &wiki, "s")["state"], "ok");
    // Same bytes, later mtime: dirty by the fallback rule.
    set_mtime(&project.dest("skill", "s").join("SKILL.md"), 4_000_000_000);
    let r = row(&project, &wiki, "s");
    assert_eq!(r["state"], "dirty");
    assert_eq!(r["dirty_files"], serde_json::json!(["SKILL.md"]));
    // An mtime before installed_at is clean again.
    set_mtime(&project.dest("skill", "s").join("SKILL.md"), 1_000_000_000);
    assert_eq!(row(&project, &wiki, "s")["state"], "ok");
}

#[assetpin_test]
fn u3_dirty_update_is_refused_naming_the_files() {
    let (wiki, project) = installed();
    wiki.file("skills/s/SKILL.md", "# s\nv2\n");
    wiki.commit("v2");
    std::fs::write(project.dest("skill", "s").join("SKILL.md"), "edited\n").unwrap();
    assert_refused_unchanged(&project, &wiki, &["update", "skill", "s"], "dirty", 1);
    let out = assetpin(&project, &wiki)
        .args(["update", "skill", "s"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("SKILL.md"));
    // A deleted recorded file is dirty too, and the JSON tells the two
    // apart: every dirty file, and those of them that are deleted.
    std::fs::remove_file(project.dest("skill", "s").join("bin/run.sh")).unwrap();
    let (code, v, _) = json_run(&project, &wiki, &["update", "skill", "s"]);
    assert_eq!((code, v["kind"].as_str()), (1, Some("dirty")), "{v}");
    assert_eq!(
        v["dirty_files"],
        serde_json::json!(["SKILL.md", "bin/run.sh"])
    );
    assert_eq!(v["deleted_files"], serde_json::json!(["bin/run.sh"]));
}

#[assetpin_test]
fn u3_force_keeps_bak_copies_and_restores_deleted_files() {
    let (wiki, project) = installed();
    wiki.file("skills/s/SKILL.md", "# s\nv2\n");
    let head = {
        wiki.commit("v2");
        wiki.head()
    };
    let dest = project.dest("skill", "s");
    std::fs::write(dest.join("SKILL.md"), "edited\n").unwrap();
    std::fs::remove_file(dest.join("bin/run.sh")).unwrap();
    let (code, v, _) = json_run(&project, &wiki, &["update", "skill", "s", "--force"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        std::fs::read(dest.join("SKILL.md.bak")).unwrap(),
        b"edited\n"
    );
    assert_eq!(std::fs::read(dest.join("SKILL.md")).unwrap(), b"# s\nv2\n");
    assert_eq!(
        std::fs::read(dest.join("bin/run.sh")).unwrap(),
        b"#!/bin/sh\necho v1\n"
    );
    assert_eq!(mode(&dest.join("bin/run.sh")), 0o755);
    let entry = project.entry("skill", "s");
    assert_eq!(entry["wiki_commit"], head.as_str());
    // The .bak is neither recorded nor dirty.
    assert_eq!(
        entry["files"],
        serde_json::json!(["SKILL.md", "bin/run.sh"])
    );
    assert_eq!(row(&project, &wiki, "s")["state"], "ok");
}

/// U3, U4 with directories: under `--force`, whatever stands where HEAD
/// puts something is kept under `.bak`, a directory whole with its
/// subdirectories and their modes (`x.bak/`), a file where HEAD puts a
/// directory (`d.bak`), a file of HEAD's size but other bytes
/// (`same.md.bak`); a file that already holds HEAD's bytes is not in the
/// way; the user's own empty directory and a file in a directory HEAD no
/// longer has stay, the directories with their modes.
#[assetpin_test]
fn u3_u4_what_stands_in_heads_way_is_kept_under_bak_with_its_directories() {
    use std::os::unix::fs::PermissionsExt;
    let (wiki, project) = installed();
    wiki.file("skills/s/x", "head x\n")
        .file("skills/s/d/new.md", "new\n")
        .file("skills/s/same.md", "AAAA\n")
        .file("skills/s/equal.md", "E\n")
        .remove("skills/s/bin/run.sh");
    wiki.commit("v2");
    let dest = project.dest("skill", "s");
    let put = |rel: &str, text: &str| {
        let p = dest.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    put("x/f.md", "uf\n");
    put("x/sub/deep.md", "ud\n");
    put("d", "user d\n");
    put("same.md", "BBBB\n");
    put("equal.md", "E\n");
    put("bin/mine.txt", "m\n");
    std::fs::create_dir(dest.join("empty")).unwrap();
    for (dir, m) in [
        ("x", 0o751),
        ("x/sub", 0o705),
        ("bin", 0o750),
        ("empty", 0o700),
    ] {
        std::fs::set_permissions(dest.join(dir), std::fs::Permissions::from_mode(m)).unwrap();
    }
    let (code, v, _) = json_run(&project, &wiki, &["update", "skill", "s", "--force"]);
    assert_eq!(code, 0, "{v}");
    let got: Vec<(String, String)> = snapshot(&dest)
        .0
        .into_iter()
        .filter(|(p, _)| p != ".")
        .map(|(p, n)| {
            let what = match n {
                Node::Dir(m) => format!("dir {m:o}"),
                Node::File(_, b) => String::from_utf8(b).unwrap(),
                other => format!("{other:?}"),
            };
            (p, what)
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("SKILL.md", "# s\nv1\n"),
        ("bin", "dir 750"),
        ("bin/mine.txt", "m\n"),
        ("d", "dir 755"),
        ("d.bak", "user d\n"),
        ("d/new.md", "new\n"),
        ("empty", "dir 700"),
        ("equal.md", "E\n"),
        ("same.md", "AAAA\n"),
        ("same.md.bak", "BBBB\n"),
        ("x", "head x\n"),
        ("x.bak", "dir 751"),
        ("x.bak/f.md", "uf\n"),
        ("x.bak/sub", "dir 705"),
        ("x.bak/sub/deep.md", "ud\n"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    assert_eq!(got, want);
}

#[assetpin_test]
fn u4_files_added_and_removed_upstream_are_reconciled() {
    let (wiki, project) = installed();
    let old_entry = project.entry("skill", "s");
    wiki.remove("skills/s/bin/run.sh");
    wiki.file("skills/s/docs/new.md", "new\n");
    let head = wiki.commit("v2");
    let dest = project.dest("skill", "s");
    std::fs::write(dest.join("mine.md"), "mine\n").unwrap();
    assetpin(&project, &wiki)
        .args(["update", "skill", "s"])
        .assert()
        .success();
    let files = files_of(&snapshot(&dest));
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(names, ["SKILL.md", "docs/new.md", "mine.md"]);
    // The directory of the removed file goes with it (nothing else was in it).
    assert!(!dest.join("bin").exists());
    let entry = project.entry("skill", "s");
    assert_eq!(entry["wiki_commit"], head.as_str());
    assert_eq!(entry["files_commit"], head.as_str());
    assert_eq!(
        entry["files"],
        serde_json::json!(["SKILL.md", "docs/new.md"])
    );
    assert_eq!(entry["digests"]["docs/new.md"], sha256(b"new\n").as_str());
    assert_eq!(entry["digests_installed_at"], entry["installed_at"]);
    assert_ne!(entry["installed_at"], old_entry["installed_at"]);
}

#[assetpin_test]
fn u5_a_pin_that_is_not_an_ancestor_of_head_is_stale() {
    let wiki = Wiki::new();
    wiki.file("skills/s/SKILL.md", "v1\n");
    let c1 = wiki.commit("v1");
    wiki.file("skills/s/SKILL.md", "v2\n");
    let c2 = wiki.commit("v2");
    let project = Project::new();
    assetpin(&project, &wiki)
        .args(["install", "skill", "s"])
        .assert()
        .success();
    assert_eq!(project.entry("skill", "s")["wiki_commit"], c2.as_str());
    // Roll the wiki back: HEAD no longer descends from the pin.
    wiki.git(&["reset", "-q", "--hard", &c1]);
    wiki.file("skills/s/SKILL.md", "v3\n");
    let c3 = wiki.commit("v3 on the old line");
    assert_eq!(row(&project, &wiki, "s")["state"], "stale-pin");
    assert_refused_unchanged(&project, &wiki, &["update", "skill", "s"], "stale-pin", 1);
    assetpin(&project, &wiki)
        .args(["update", "skill", "s", "--force-head"])
        .assert()
        .success();
    assert_eq!(project.entry("skill", "s")["wiki_commit"], c3.as_str());
    assert_eq!(
        std::fs::read(project.dest("skill", "s").join("SKILL.md")).unwrap(),
        b"v3\n"
    );
}

#[assetpin_test]
fn u5_a_pin_unknown_to_the_wiki_is_stale() {
    let (wiki, project) = installed();
    let mut doc = project.lockfile_json();
    doc["skills"]["s"]["wiki_commit"] = "0123456789abcdef0123456789abcdef01234567".into();
    project.write_lockfile(serde_json::to_vec_pretty(&doc).unwrap());
    assert_eq!(row(&project, &wiki, "s")["state"], "stale-pin");
    assert_refused_unchanged(&project, &wiki, &["update", "skill", "s"], "stale-pin", 1);
}

/// I6: an update that finds the pin at HEAD takes out the staging
/// directory a killed update left; with `--dry-run` it writes nothing,
/// that debris included.
#[assetpin_test]
fn i6_an_up_to_date_update_takes_out_debris_but_not_with_dry_run() {
    let (wiki, project) = installed();
    let debris = project.path().join(".memtomem/skills/.s~staging-1-2-ab");
    std::fs::create_dir(&debris).unwrap();
    std::fs::write(debris.join("SKILL.md"), "old\n").unwrap();
    let before = snapshot(project.path());
    let (code, v, _) = json_run(&project, &wiki, &["update", "skill", "s", "--dry-run"]);
    assert_eq!((code, v["status"].as_str()), (0, Some("up-to-date")));
    assert_same(&before, &snapshot(project.path()), "project");
    let (code, v, _) = json_run(&project, &wiki, &["update", "skill", "s"]);
    assert_eq!((code, v["status"].as_str()), (0, Some("up-to-date")));
    assert!(!debris.exists(), "the killed update's tree is left");
}

/// An update that finds the pin at HEAD says so, and notes an edit in
/// the wiki's work tree that only a commit would bring in.
#[assetpin_test]
fn u1_an_up_to_date_update_notes_uncommitted_wiki_edits() {
    let (wiki, project) = installed();
    wiki.file("skills/s/SKILL.md", "# s\nnot committed\n");
    let (code, v, _) = json_run(&project, &wiki, &["update", "skill", "s"]);
    assert_eq!((code, v["status"].as_str()), (0, Some("up-to-date")), "{v}");
    let notes = v["warnings"].to_string();
    assert!(
        notes.contains("only committed changes can be installed"),
        "{v}"
    );
    // Committed, it is an update with no such note.
    wiki.commit("v2");
    let (code, v, _) = json_run(&project, &wiki, &["update", "skill", "s"]);
    assert_eq!((code, v["status"].as_str()), (0, Some("updated")), "{v}");
    assert!(!v["warnings"].to_string().contains("committed"), "{v}");
}

#[assetpin_test]
fn u6_dry_run_prints_the_plan_and_writes_nothing() {
    let (wiki, project) = installed();
    wiki.file("skills/s/SKILL.md", "# s\nv2\n")
        .file("skills/s/added.md", "a\n")
        .remove("skills/s/bin/run.sh");
    wiki.commit("v2");
    let before = snapshot(project.path());
    let (code, v, _) = json_run(&project, &wiki, &["update", "skill", "s", "--dry-run"]);
    assert_eq!(code, 0);
    assert_eq!(v["status"], "planned");
    let plan: Vec<(String, String)> = v["plan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["path"].as_str().unwrap().into(),
                p["action"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("SKILL.md", "modify"),
        ("added.md", "add"),
        ("bin/run.sh", "delete"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(plan, want);
    assert_same(&before, &snapshot(project.path()), "project");
    // The human plan says the same, with dirty marks.
    std::fs::write(project.dest("skill", "s").join("SKILL.md"), "edited\n").unwrap();
    let before = snapshot(project.path());
    assetpin(&project, &wiki)
        .args(["update", "skill", "s", "--dry-run"])
        .assert()
        .success()
        .stdout(predicates::str::contains("modify  * SKILL.md"))
        .stdout(predicates::str::contains("keep").not());
    assert_same(&before, &snapshot(project.path()), "project");
}

use predicates::prelude::PredicateBooleanExt;

#[assetpin_test]
fn u3_a_dirty_file_that_already_holds_heads_bytes_is_not_in_the_way() {
    let (wiki, project) = installed();
    wiki.file("skills/s/SKILL.md", "# s\nv2\n")
        .remove("skills/s/bin/run.sh");
    let head = wiki.commit("v2");
    let dest = project.dest("skill", "s");
    // The user made by hand exactly the change the wiki made.
    std::fs::write(dest.join("SKILL.md"), "# s\nv2\n").unwrap();
    std::fs::remove_file(dest.join("bin/run.sh")).unwrap();
    assert_eq!(row(&project, &wiki, "s")["state"], "dirty");
    let (code, v, _) = json_run(&project, &wiki, &["update", "skill", "s"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["backups"], serde_json::json!([]));
    assert_eq!(project.entry("skill", "s")["wiki_commit"], head.as_str());
    assert!(!dest.join("SKILL.md.bak").exists());
    // A change the wiki did not make still blocks.
    wiki.file("skills/s/SKILL.md", "# s\nv3\n");
    wiki.commit("v3");
    std::fs::write(dest.join("SKILL.md"), "mine\n").unwrap();
    assert_refused_unchanged(&project, &wiki, &["update", "skill", "s"], "dirty", 1);
}

/// What the real run does: `Ok(())` when it would write, `Err((kind,
/// files named))` when it would refuse.
type Verdict = Result<(), (String, Value)>;

/// A2, U3, U6: what `update --dry-run` says the real run does. A plan
/// names in `dirty_files` the files the real run refuses over and, without
/// `--force`, says that the real run refuses (the refusal is `dirty`).
fn dry_run_verdict(project: &Project, wiki: &Wiki, extra: &[&str]) -> Verdict {
    let mut args = vec!["update", "skill", "s", "--dry-run"];
    args.extend_from_slice(extra);
    let before = snapshot(project.path());
    let (code, v, err) = json_run(project, wiki, &args);
    assert_eq!(code, 0, "a dry run exits 0: {v} {err}");
    let human = assetpin_std(project, wiki).args(&args).output().unwrap();
    assert_same(&before, &snapshot(project.path()), "after a dry run");
    let says_refuse =
        String::from_utf8_lossy(&human.stdout).contains("the real run refuses without --force");
    let named = v["dirty_files"].clone();
    assert_eq!(
        says_refuse,
        named.as_array().is_some_and(|a| !a.is_empty()) && !extra.contains(&"--force"),
        "{v}"
    );
    if says_refuse {
        Err(("dirty".to_owned(), named))
    } else {
        Ok(())
    }
}

/// The real run's verdict, and the project unchanged when it refuses.
fn real_run_verdict(project: &Project, wiki: &Wiki) -> Verdict {
    let before = snapshot(project.path());
    let (code, v, err) = json_run(project, wiki, &["update", "skill", "s"]);
    if code == 0 {
        return Ok(());
    }
    assert_same(&before, &snapshot(project.path()), "after a refusal");
    assert!(v["kind"].is_string(), "{v} {err}");
    Err((
        v["kind"].as_str().unwrap().to_owned(),
        v["dirty_files"].clone(),
    ))
}

/// A2, U3, U6: the dry run and the real run agree on refuse or proceed,
/// the kind and the files named, and that is `want`.
fn assert_dry_run_agrees(project: &Project, wiki: &Wiki, want: Verdict) {
    let dry = dry_run_verdict(project, wiki, &[]);
    let real = real_run_verdict(project, wiki);
    assert_eq!(dry, real, "the dry run and the real run disagree");
    assert_eq!(real, want);
}

#[assetpin_test]
fn u6_dry_run_refuses_like_the_real_run_a_file_where_head_adds_one() {
    let (wiki, project) = installed();
    wiki.file("skills/s/new.md", "head\n");
    wiki.commit("v2");
    std::fs::write(project.dest("skill", "s").join("new.md"), "mine\n").unwrap();
    assert_dry_run_agrees(
        &project,
        &wiki,
        Err(("dirty".into(), serde_json::json!(["new.md"]))),
    );
}

#[assetpin_test]
fn u6_dry_run_refuses_like_the_real_run_a_link_where_head_adds_a_directory() {
    let (wiki, project) = installed();
    wiki.file("skills/s/docs/a.md", "a\n");
    wiki.commit("v2");
    let dest = project.dest("skill", "s");
    std::os::unix::fs::symlink("bin", dest.join("docs")).unwrap();
    assert_dry_run_agrees(
        &project,
        &wiki,
        Err(("dirty".into(), serde_json::json!(["docs"]))),
    );
}

#[assetpin_test]
fn u6_dry_run_refuses_like_the_real_run_a_directory_where_head_adds_a_file() {
    let (wiki, project) = installed();
    wiki.file("skills/s/notes", "head\n");
    wiki.commit("v2");
    let dest = project.dest("skill", "s");
    std::fs::create_dir(dest.join("notes")).unwrap();
    std::fs::write(dest.join("notes/mine.md"), "mine\n").unwrap();
    assert_dry_run_agrees(
        &project,
        &wiki,
        Err(("dirty".into(), serde_json::json!(["notes"]))),
    );
}

/// The case the other way round: a dirty file that already holds HEAD's
/// bytes does not stop the real run, so the dry run must not say it would.
#[assetpin_test]
fn u6_dry_run_proceeds_like_the_real_run_over_a_dirty_file_already_at_head() {
    let (wiki, project) = installed();
    wiki.file("skills/s/SKILL.md", "# s\nv2\n");
    wiki.commit("v2");
    std::fs::write(project.dest("skill", "s").join("SKILL.md"), "# s\nv2\n").unwrap();
    assert_dry_run_agrees(&project, &wiki, Ok(()));
}

/// A user's file in the way and a modified recorded file: both named, in
/// both runs, and `--force` plans no refusal.
#[assetpin_test]
fn u6_dry_run_names_every_file_in_the_way_like_the_real_run() {
    let (wiki, project) = installed();
    wiki.file("skills/s/SKILL.md", "# s\nv2\n")
        .file("skills/s/new.md", "head\n");
    wiki.commit("v2");
    let dest = project.dest("skill", "s");
    std::fs::write(dest.join("SKILL.md"), "edited\n").unwrap();
    std::fs::write(dest.join("new.md"), "mine\n").unwrap();
    let dry = dry_run_verdict(&project, &wiki, &["--force"]);
    assert!(dry.is_ok(), "{dry:?}");
    assert_dry_run_agrees(
        &project,
        &wiki,
        Err(("dirty".into(), serde_json::json!(["SKILL.md", "new.md"]))),
    );
}

/// How a pin is lost (U5): a history rewritten past it (amended, its
/// commit pruned), or a pin that is no commit id at all.
#[derive(Clone, Copy, Debug)]
enum LostPin {
    Rewritten,
    Unknown,
    Malformed,
}

/// `installed()` whose pin the wiki no longer has, then a HEAD that
/// changes SKILL.md; with `digests`, the entry keeps valid digests (L9),
/// else it has none (the mtime rule of U2 applies).
fn lost_pin(how: LostPin, digests: bool) -> (Wiki, Project, String) {
    let (wiki, project) = installed();
    let pin = project.entry("skill", "s")["wiki_commit"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut doc = project.lockfile_json();
    match how {
        LostPin::Rewritten => {
            wiki.file("skills/s/SKILL.md", "# s\nrewritten\n");
            wiki.git(&["add", "-A"]);
            wiki.git(&["commit", "-q", "--amend", "-m", "v1, rewritten"]);
            wiki.git(&["reflog", "expire", "--expire=now", "--all"]);
            wiki.git(&["gc", "-q", "--prune=now"]);
            let gone = std::process::Command::new("git")
                .args(["cat-file", "-e", &pin])
                .current_dir(wiki.path())
                .status()
                .unwrap();
            assert!(!gone.success(), "the pin {pin} is still in the wiki");
        }
        LostPin::Unknown | LostPin::Malformed => {
            doc["skills"]["s"]["wiki_commit"] = match how {
                LostPin::Unknown => "0123456789abcdef0123456789abcdef01234567".into(),
                _ => "not-a-commit".into(),
            };
            wiki.file("skills/s/SKILL.md", "# s\nv2\n");
            wiki.commit("v2");
        }
    }
    if !digests {
        let e = doc["skills"]["s"].as_object_mut().unwrap();
        e.remove("digests");
        e.remove("digests_installed_at");
    }
    project.write_lockfile(serde_json::to_vec_pretty(&doc).unwrap());
    let head = wiki.head();
    (wiki, project, head)
}

/// U5, U2: `--force-head` from a lost pin over a dest nobody changed
/// moves to HEAD: nothing is dirty, so nothing is in the way.
fn force_head_moves_a_clean_dest(how: LostPin, digests: bool) {
    let (wiki, project, head) = lost_pin(how, digests);
    assert_eq!(row(&project, &wiki, "s")["state"], "stale-pin", "{how:?}");
    for args in [
        &["update", "skill", "s", "--force-head", "--dry-run"][..],
        &["update", "skill", "s", "--force-head"][..],
    ] {
        let (code, v, err) = json_run(&project, &wiki, args);
        assert_eq!(code, 0, "{how:?} digests={digests} {args:?}: {v} {err}");
        assert_eq!(v["dirty_files"], serde_json::json!([]), "{how:?}: {v}");
    }
    assert_eq!(project.entry("skill", "s")["wiki_commit"], head.as_str());
    let dest = project.dest("skill", "s");
    let want = std::process::Command::new("git")
        .args(["show", "HEAD:skills/s/SKILL.md"])
        .current_dir(wiki.path())
        .output()
        .unwrap()
        .stdout;
    assert_eq!(std::fs::read(dest.join("SKILL.md")).unwrap(), want);
    assert!(!dest.join("SKILL.md.bak").exists(), "{how:?}");
}

/// U5, U3: the same with SKILL.md edited: `dirty`, naming it as modified,
/// and nothing written.
fn force_head_refuses_a_modified_file(how: LostPin) {
    let (wiki, project, _) = lost_pin(how, true);
    std::fs::write(project.dest("skill", "s").join("SKILL.md"), "edited\n").unwrap();
    let before = snapshot(project.path());
    let (code, v, err) = json_run(&project, &wiki, &["update", "skill", "s", "--force-head"]);
    assert_eq!(
        (code, v["kind"].as_str()),
        (1, Some("dirty")),
        "{how:?}: {v}"
    );
    assert_eq!(v["dirty_files"], serde_json::json!(["SKILL.md"]), "{v}");
    assert!(err.contains("modified SKILL.md"), "{how:?}: {err}");
    assert_same(&before, &snapshot(project.path()), "after the refusal");
}

#[assetpin_test]
fn u5_force_head_from_a_rewritten_away_pin_moves_a_clean_dest_to_head() {
    force_head_moves_a_clean_dest(LostPin::Rewritten, true);
}

#[assetpin_test]
fn u5_force_head_from_a_malformed_pin_moves_a_clean_dest_to_head() {
    force_head_moves_a_clean_dest(LostPin::Malformed, true);
}

#[assetpin_test]
fn u5_force_head_from_a_lost_pin_without_digests_moves_a_clean_dest_to_head() {
    force_head_moves_a_clean_dest(LostPin::Rewritten, false);
    force_head_moves_a_clean_dest(LostPin::Unknown, false);
    force_head_moves_a_clean_dest(LostPin::Malformed, false);
}

#[assetpin_test]
fn u5_force_head_from_a_pin_the_wiki_never_had_moves_a_clean_dest_to_head() {
    force_head_moves_a_clean_dest(LostPin::Unknown, true);
}

#[assetpin_test]
fn u5_force_head_from_a_pin_the_wiki_never_had_refuses_a_modified_file() {
    force_head_refuses_a_modified_file(LostPin::Unknown);
}

/// U5, U2: without digests and with a pin the wiki lost, what was
/// installed cannot be known: a file changed after `installed_at` makes
/// `dirty`, which says so and never calls the file modified.
#[assetpin_test]
fn u5_force_head_from_a_lost_pin_without_digests_says_bytes_are_unknown() {
    for how in [LostPin::Rewritten, LostPin::Unknown, LostPin::Malformed] {
        let (wiki, project, _) = lost_pin(how, false);
        set_mtime(&project.dest("skill", "s").join("SKILL.md"), 4_000_000_000);
        let before = snapshot(project.path());
        let (code, v, err) = json_run(&project, &wiki, &["update", "skill", "s", "--force-head"]);
        assert_eq!(
            (code, v["kind"].as_str()),
            (1, Some("dirty")),
            "{how:?}: {v}"
        );
        assert_eq!(v["dirty_files"], serde_json::json!(["SKILL.md"]), "{v}");
        assert!(!err.contains("modified"), "{how:?}: {err}");
        assert!(err.contains("cannot be shown unchanged"), "{how:?}: {err}");
        assert_same(&before, &snapshot(project.path()), "after the refusal");
    }
}

#[assetpin_test]
fn u5_force_head_from_a_rewritten_away_pin_refuses_a_modified_file() {
    force_head_refuses_a_modified_file(LostPin::Rewritten);
}

#[assetpin_test]
fn u5_force_head_from_a_malformed_pin_refuses_a_modified_file() {
    force_head_refuses_a_modified_file(LostPin::Malformed);
}
