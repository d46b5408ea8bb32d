//! Update against a hostile or unlucky dest: the user's own entries, an
//! edit racing the swap, planted links at the lock paths. Each test failed
//! before its fix (docs/CONTRACT.md sharpenings of U2 and U3).

use super::*;
use assetpin_test_support::race::{hold_lock, wait_for};
use assetpin_test_support::*;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt, symlink};
use std::time::Duration;

/// Moves the wiki on: `SKILL.md` changes, so an update has work to do.
fn wiki_moves_on(wiki: &Wiki) {
    wiki.file("skills/s/SKILL.md", "# s\nv2\n");
    wiki.commit("v2");
}

/// U3: a file the user made in dest at a path the wiki then adds is a
/// local change: `update` refuses naming it and writes nothing; with
/// `--force` the wiki's file is installed and the user's kept as `.bak`.
#[assetpin_test]
fn u3_a_user_file_where_the_wiki_adds_one_is_a_local_change() {
    let (wiki, project) = installed();
    let dest = project.dest("skill", "s");
    std::fs::write(dest.join("notes.md"), "mine\n").unwrap();
    wiki.file("skills/s/notes.md", "the wiki's\n");
    wiki.commit("v2 adds notes.md");
    let stderr = assert_refused_unchanged(&project, &wiki, &["update", "skill", "s"], "dirty", 1);
    assert!(stderr.contains("notes.md"), "{stderr}");
    let out = assetpin(&project, &wiki)
        .args(["update", "skill", "s", "--dry-run"])
        .output()
        .unwrap();
    let plan = String::from_utf8_lossy(&out.stdout);
    assert!(
        plan.contains("add * notes.md")
            || plan.contains("add    * notes.md")
            || plan
                .lines()
                .any(|l| l.contains('*') && l.contains("notes.md")),
        "{plan}"
    );
    assetpin(&project, &wiki)
        .args(["update", "skill", "s", "--force"])
        .assert()
        .success();
    assert_eq!(
        std::fs::read(dest.join("notes.md")).unwrap(),
        b"the wiki's\n"
    );
    assert_eq!(std::fs::read(dest.join("notes.md.bak")).unwrap(), b"mine\n");
}

/// U2 sharpening: the user's own entries in dest are kept exactly as they
/// are by an update: the same inodes (so bytes, holes and modes), links
/// with their targets, directories with their modes, FIFOs as FIFOs.
#[assetpin_test]
fn u2_the_users_own_entries_survive_an_update_exactly() {
    let (wiki, project) = installed();
    let dest = project.dest("skill", "s");
    let secret = dest.join("secret.txt");
    std::fs::write(&secret, "s3cret\n").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let sparse = dest.join("big.img");
    std::fs::File::create(&sparse)
        .unwrap()
        .set_len(1 << 34)
        .unwrap();
    symlink(project.outside().join("t"), dest.join("link")).unwrap();
    std::fs::create_dir(dest.join("mine")).unwrap();
    std::fs::set_permissions(dest.join("mine"), std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::write(dest.join("mine/deep.txt"), "deep\n").unwrap();
    std::fs::create_dir(dest.join("empty")).unwrap();
    let fifo = dest.join("pipe");
    mkfifo(&fifo);
    let ino = |p: &std::path::Path| std::fs::symlink_metadata(p).unwrap().ino();
    let before = [ino(&secret), ino(&sparse), ino(&dest.join("mine/deep.txt"))];
    wiki_moves_on(&wiki);
    assetpin(&project, &wiki)
        .args(["update", "skill", "s"])
        .timeout(Duration::from_secs(60))
        .assert()
        .success();
    assert_eq!(std::fs::read(dest.join("SKILL.md")).unwrap(), b"# s\nv2\n");
    let after = [ino(&secret), ino(&sparse), ino(&dest.join("mine/deep.txt"))];
    assert_eq!(before, after, "the same inodes");
    assert_eq!(mode(&secret), 0o600);
    assert_eq!(std::fs::metadata(&sparse).unwrap().len(), 1 << 34);
    assert_eq!(
        std::fs::read_link(dest.join("link")).unwrap(),
        project.outside().join("t")
    );
    assert_eq!(mode(&dest.join("mine")), 0o700);
    assert!(dest.join("empty").is_dir());
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

/// Y2, I5: a sidecar lock planted as a link makes `update` refuse before
/// anything is written: dest, lockfile and the link's target as they were.
#[assetpin_test]
fn y2_a_linked_sidecar_refuses_update_before_the_swap() {
    let (wiki, project) = installed();
    wiki_moves_on(&wiki);
    let sidecar = project.memtomem().join(".lock.json.lock");
    std::fs::remove_file(&sidecar).unwrap();
    std::fs::write(project.outside().join("target"), "outside\n").unwrap();
    symlink(project.outside().join("target"), &sidecar).unwrap();
    let stderr = assert_refused_unchanged(
        &project,
        &wiki,
        &["update", "skill", "s", "--force"],
        "unsafe-path",
        1,
    );
    assert!(stderr.contains(".lock.json.lock"), "{stderr}");
    assert_eq!(
        std::fs::read(project.dest("skill", "s").join("SKILL.md")).unwrap(),
        b"# s\nv1\n"
    );
    // And an install of a new asset writes no section and no lock file.
    wiki.file("agents/g/agent.md", "# g\n");
    wiki.commit("agent g");
    assert_refused_unchanged(
        &project,
        &wiki,
        &["install", "agent", "g"],
        "unsafe-path",
        1,
    );
    assert!(!project.memtomem().join("agents").exists());
}

/// A failure after the swap is rolled back: when the entry cannot be
/// written (the lockfile turned corrupt while the update waited for the
/// sidecar lock), the old dest is put back, bytes and inodes.
#[assetpin_test]
fn u3_a_failed_entry_write_puts_the_old_dest_back() {
    let (wiki, project) = installed();
    wiki_moves_on(&wiki);
    let dest = project.dest("skill", "s");
    let ino = std::fs::metadata(dest.join("SKILL.md")).unwrap().ino();
    let guard = hold_lock(&project.memtomem().join(".lock.json.lock"));
    let child = assetpin_std(&project, &wiki)
        .args(["update", "skill", "s"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    assert!(
        wait_for(20, || std::fs::read(dest.join("SKILL.md"))
            .is_ok_and(|b| b == b"# s\nv2\n")),
        "the update never swapped"
    );
    std::fs::write(project.lockfile_path(), "[corrupt]").unwrap();
    drop(guard);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(std::fs::read(dest.join("SKILL.md")).unwrap(), b"# s\nv1\n");
    assert_eq!(std::fs::metadata(dest.join("SKILL.md")).unwrap().ino(), ino);
    let leftovers: Vec<String> = ls(&project.memtomem().join("skills"))
        .into_iter()
        .filter(|n| n.contains("staging"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Y2, K3: a section directory moved out of the project while an install
/// waits for the per-asset lock is not written through: the install
/// refuses once it holds the lock, and the moved directory gets nothing.
#[assetpin_test]
fn y2_a_section_moved_away_during_the_lock_wait_gets_nothing() {
    section_moved_during_the_lock_wait(false);
}

/// Y2, K3: the same with a new, empty section made at the old place while
/// the install waits: the section is compared by identity (device and
/// inode), not by name, so neither directory gets anything.
#[assetpin_test]
fn y2_a_section_replaced_during_the_lock_wait_gets_nothing() {
    section_moved_during_the_lock_wait(true);
}

fn section_moved_during_the_lock_wait(replace: bool) {
    let (wiki, project) = installed();
    wiki.skill("late");
    wiki.commit("late");
    let section = project.memtomem().join("skills");
    let guard = hold_lock(&section.join(".late.lock"));
    let child = assetpin_std(&project, &wiki)
        .args(["install", "skill", "late"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let away = project.outside().join("moved-skills");
    std::fs::rename(&section, &away).unwrap();
    if replace {
        std::fs::create_dir(&section).unwrap();
    }
    drop(guard);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error[unsafe-path]: "), "{stderr}");
    assert!(!away.join("late").exists(), "wrote outside the project");
    if replace {
        assert!(
            ls(&section).is_empty(),
            "wrote into the new section: {:?}",
            ls(&section)
        );
    }
    assert!(
        project.lockfile_json()["skills"].get("late").is_none(),
        "recorded an entry whose dest is outside"
    );
}

/// U3: a backup never replaces anything: when `<file>.bak` is taken (the
/// user's own `.bak`, or a `.bak/` directory the wiki ships), `--force`
/// keeps the overwritten bytes under the next free `<file>.<n>.bak`, and
/// says which.
#[assetpin_test]
fn u3_a_backup_never_replaces_an_existing_bak() {
    let (wiki, project) = installed();
    let dest = project.dest("skill", "s");
    std::fs::write(dest.join("SKILL.md"), "MY EDIT\n").unwrap();
    std::fs::write(dest.join("SKILL.md.bak"), "my own backup\n").unwrap();
    wiki.file("skills/s/SKILL.md", "# s\nv2\n")
        .file("skills/s/notes.md.bak/readme", "the wiki's\n");
    wiki.commit("v2");
    std::fs::write(dest.join("notes.md"), "mine\n").unwrap();
    wiki.file("skills/s/notes.md", "the wiki's notes\n");
    wiki.commit("v3 adds notes.md");
    let out = assetpin(&project, &wiki)
        .args(["update", "skill", "s", "--force"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        std::fs::read(dest.join("SKILL.md.bak")).unwrap(),
        b"my own backup\n"
    );
    assert_eq!(
        std::fs::read(dest.join("SKILL.md.1.bak")).unwrap(),
        b"MY EDIT\n"
    );
    assert!(
        stdout.contains("kept previous bytes as SKILL.md.1.bak"),
        "{stdout}"
    );
    let notes_bak: Vec<String> = ls(&dest)
        .into_iter()
        .filter(|n| n.starts_with("notes.md.") && n.ends_with(".bak"))
        .collect();
    let kept: Vec<Vec<u8>> = notes_bak
        .iter()
        .filter_map(|n| std::fs::read(dest.join(n)).ok())
        .collect();
    assert!(kept.contains(&b"mine\n".to_vec()), "{notes_bak:?}");
}

/// Y2: a lock file hard-linked to a file outside the project is refused
/// before anything is written; the outside file keeps its mode.
#[assetpin_test]
fn y2_a_hard_linked_lock_file_is_refused() {
    let (wiki, project) = installed();
    let outside = project.outside().join("file");
    std::fs::write(&outside, "mine\n").unwrap();
    std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o644)).unwrap();
    let sidecar = project.memtomem().join(".lock.json.lock");
    std::fs::remove_file(&sidecar).unwrap();
    std::fs::hard_link(&outside, &sidecar).unwrap();
    wiki.skill("other");
    wiki.commit("other");
    assert_refused_unchanged(
        &project,
        &wiki,
        &["install", "skill", "other"],
        "unsafe-path",
        1,
    );
    std::fs::remove_file(&sidecar).unwrap();
    let asset_lock = project.memtomem().join("skills/.other.lock");
    std::fs::hard_link(&outside, &asset_lock).unwrap();
    assert_refused_unchanged(
        &project,
        &wiki,
        &["install", "skill", "other"],
        "unsafe-path",
        1,
    );
    assert_eq!(mode(&outside), 0o644);
}

/// L3, I4: a value under an asset's name that is not an object records
/// nothing, so it is no entry: install names adopt for the dest it finds,
/// and adopt writes the entry over the value; nothing else changes.
#[assetpin_test]
fn l3_a_value_that_is_no_object_is_no_entry() {
    for bad in ["null", "5", "[]", "\"x\""] {
        let (wiki, project) = installed();
        project.write_lockfile(format!(
            "{{\"version\": 1, \"skills\": {{\"s\": {bad}, \"other\": {bad}}}}}"
        ));
        let stderr = assert_refused_unchanged(
            &project,
            &wiki,
            &["install", "skill", "s"],
            "already-installed",
            1,
        );
        assert!(
            stderr.contains("lockfile_entry=no, dest=yes"),
            "{bad}: {stderr}"
        );
        assert!(
            stderr.contains("`assetpin adopt skill s`"),
            "{bad}: {stderr}"
        );
        assetpin(&project, &wiki)
            .args(["adopt", "skill", "s"])
            .assert()
            .success();
        let doc = project.lockfile_json();
        assert!(doc["skills"]["s"].is_object(), "{bad}: {doc}");
        assert_eq!(
            doc["skills"]["other"],
            serde_json::from_str::<Value>(bad).unwrap(),
            "L3"
        );
        let out = assetpin(&project, &wiki)
            .args(["status", "--json"])
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["assets"][0]["state"], "ok", "{bad}: {v}");
    }
}

/// E1, E4: a result that cannot be written to stdout is a failure that
/// says so on stderr.
#[assetpin_test]
fn e1_an_unwritable_stdout_is_reported() {
    let (wiki, project) = installed();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = assetpin_std(&project, &wiki)
        .args(["status"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with("error[io]: "),
        "{out:?}"
    );
}

/// T2: a section reached only through a link is not read by `status`,
/// which still exits 0 and shows its entries as missing.
#[assetpin_test]
fn t2_status_with_a_linked_section_exits_0() {
    let (wiki, project) = installed();
    let section = project.memtomem().join("skills");
    let away = project.outside().join("skills");
    std::fs::rename(&section, &away).unwrap();
    symlink(&away, &section).unwrap();
    let (code, v, _) = json_run(&project, &wiki, &["status"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["assets"][0]["state"], "missing", "{v}");
}
