//! Races between a verb and what changes after it decided (CONTRACT D2 at
//! the take-out, K3 for `install --all`; issue 31, items 2 and 3). The
//! windows are held open by failpoint sleeps (`--features failpoints`):
//! `remove::after-plan` (the locked plan made, dest not yet taken out) and
//! `install::before-lock` (an install's or restore's checks made, the
//! per-asset lock not yet taken).
#![cfg_attr(not(feature = "failpoints"), allow(dead_code, unused_imports))]

use assetpin_test_support::race::{wait_for, wait_limited};
use assetpin_test_support::*;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// A wiki with skill `x` and a project where it is installed.
fn installed_x() -> (Wiki, Project) {
    let wiki = Wiki::with_skills(&["x"]);
    let project = Project::new();
    assetpin(&project, &wiki)
        .args(["install", "skill", "x"])
        .assert()
        .success();
    (wiki, project)
}

fn cmd(project: &Project, wiki: &Wiki, args: &[&str]) -> Command {
    let mut c = assetpin_std(project, wiki);
    c.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

#[cfg(feature = "failpoints")]
fn spawn_with(project: &Project, wiki: &Wiki, args: &[&str], failpoints: &str) -> Child {
    let mut c = cmd(project, wiki, args);
    c.env("FAILPOINTS", failpoints);
    c.spawn().expect("spawn assetpin")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Whether another process holds the flock on `lock` (K3's per-asset lock).
#[cfg(feature = "failpoints")]
fn held_elsewhere(lock: &Path) -> bool {
    let Ok(f) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(lock)
    else {
        return false;
    };
    matches!(f.try_lock(), Err(std::fs::TryLockError::WouldBlock))
}

/// Panics, with its output, when `child` already ended.
#[cfg(feature = "failpoints")]
fn assert_still_held(child: &mut Child) {
    if child.try_wait().unwrap().is_some() {
        let out = wait_limited(
            std::mem::replace(child, Command::new("true").spawn().unwrap()),
            Duration::from_secs(1),
            "ended",
        );
        panic!(
            "not held at its failpoint: {:?}\n{}{}",
            out.status,
            stdout(&out),
            stderr(&out)
        );
    }
}

/// `.x~staging-*` names left in the skills section.
fn staging_left(project: &Project) -> Vec<String> {
    ls(&project.memtomem().join("skills"))
        .into_iter()
        .filter(|n| n.starts_with(".x~staging-"))
        .collect()
}

fn kept_copies(project: &Project) -> Vec<PathBuf> {
    let dir = project.memtomem().join("removed").join("skills");
    std::fs::read_dir(&dir)
        .map(|r| r.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default()
}

/// Runs `remove skill x [extra]` held at `remove::after-plan`, and while it
/// is held (its per-asset lock taken, its plan made) runs `write` on dest;
/// returns the remove's output.
#[cfg(feature = "failpoints")]
fn remove_racing(
    project: &Project,
    wiki: &Wiki,
    extra: &[&str],
    write: impl FnOnce(&Path),
) -> Output {
    let dest = project.dest("skill", "x");
    let lock = project.memtomem().join("skills").join(".x.lock");
    let mut args = vec!["remove", "skill", "x"];
    args.extend_from_slice(extra);
    let child = spawn_with(project, wiki, &args, "remove::after-plan=sleep(3000)");
    assert!(
        wait_for(30, || held_elsewhere(&lock)),
        "remove never took the per-asset lock"
    );
    // The locked plan takes milliseconds; the failpoint holds for 3 s.
    std::thread::sleep(Duration::from_millis(500));
    write(&dest);
    wait_limited(child, Duration::from_secs(60), "held remove")
}

/// The remove refused with `conflict` and left everything in place: dest
/// (with `file` holding `bytes`), the entry, and no staging or kept copy.
fn assert_refused_and_kept(project: &Project, out: &Output, file: &Path, bytes: &[u8]) {
    let err = stderr(out);
    let dest = project.dest("skill", "x");
    assert_eq!(out.status.code(), Some(3), "{err}{}", stdout(out));
    assert!(err.starts_with("error[conflict]: "), "{err}");
    assert!(
        err.contains(&dest.display().to_string()),
        "the message names dest: {err}"
    );
    assert!(err.contains("retry"), "the message names the remedy: {err}");
    assert_eq!(
        std::fs::read(file).ok().as_deref(),
        Some(bytes),
        "D2: the file written during the remove is still in dest"
    );
    assert!(dest.join("SKILL.md").is_file(), "dest was put back whole");
    assert!(
        project.entry("skill", "x").is_object(),
        "the entry was not removed"
    );
    assert_eq!(
        staging_left(project),
        Vec::<String>::new(),
        "no staging left"
    );
    assert_eq!(
        kept_copies(project),
        Vec::<PathBuf>::new(),
        "nothing kept aside"
    );
}

/// D2 at the take-out: a file an editor creates in dest after `remove`
/// planned (listed dest, hashed the recorded files) is not deleted with
/// the taken-out tree: remove puts dest back and fails with `conflict`.
#[cfg(feature = "failpoints")]
#[test]
fn d2_a_file_created_after_the_plan_is_not_deleted_by_remove() {
    let (wiki, project) = installed_x();
    let out = remove_racing(&project, &wiki, &[], |dest| {
        std::fs::write(dest.join("notes.md"), b"mine\n").unwrap();
    });
    assert_refused_and_kept(
        &project,
        &out,
        &project.dest("skill", "x").join("notes.md"),
        b"mine\n",
    );
}

/// D2 under the sidecar lock: remove takes dest out, then waits for the
/// lockfile's lock; a file written meanwhile into the taken-out tree (a
/// shell whose working directory is dest) is not deleted: dest is put
/// back and the remove refused with `conflict`. No failpoint: the test
/// holds the sidecar lock itself, as another writer would.
#[test]
fn d2_a_file_written_while_remove_waits_for_the_sidecar_lock_is_not_deleted() {
    let (wiki, project) = installed_x();
    let sidecar = project.memtomem().join(".lock.json.lock");
    let held = assetpin_test_support::race::hold_lock(&sidecar);
    let child = cmd(&project, &wiki, &["remove", "skill", "x"])
        .spawn()
        .expect("spawn assetpin");
    assert!(
        wait_for(30, || staging_left(&project).len() == 1),
        "remove never took dest out"
    );
    let out_dir = project
        .memtomem()
        .join("skills")
        .join(&staging_left(&project)[0]);
    std::fs::write(out_dir.join("notes.md"), b"mine\n").unwrap();
    drop(held);
    let out = wait_limited(child, Duration::from_secs(60), "remove");
    assert_refused_and_kept(
        &project,
        &out,
        &project.dest("skill", "x").join("notes.md"),
        b"mine\n",
    );
}

/// D2 at the take-out, `--force`: forcing moves local bytes aside, but a
/// file created after the plan was never seen by it; it is not deleted
/// either (the remove conflicts, as without `--force`).
#[cfg(feature = "failpoints")]
#[test]
fn d2_forced_remove_does_not_delete_a_file_created_after_the_plan() {
    let (wiki, project) = installed_x();
    let out = remove_racing(&project, &wiki, &["--force"], |dest| {
        std::fs::write(dest.join("notes.md"), b"mine\n").unwrap();
    });
    assert_refused_and_kept(
        &project,
        &out,
        &project.dest("skill", "x").join("notes.md"),
        b"mine\n",
    );
}

/// D2 at the take-out: an edit of a recorded file after the plan (same
/// size, so only the inode or mtime tells) is not deleted either.
#[cfg(feature = "failpoints")]
#[test]
fn d2_an_edit_after_the_plan_is_not_deleted_by_remove() {
    let (wiki, project) = installed_x();
    let skill = project.dest("skill", "x").join("SKILL.md");
    let mut edited = std::fs::read(&skill).unwrap();
    edited[0] ^= 0x20;
    let bytes = edited.clone();
    let out = remove_racing(&project, &wiki, &[], |_| {
        std::fs::write(&skill, &edited).unwrap();
    });
    assert_refused_and_kept(&project, &out, &skill, &bytes);
}

/// D2 at the take-out: a file whose name is not UTF-8, created after the
/// plan, is seen too (names the lockfile cannot record are still bytes).
#[cfg(feature = "failpoints")]
#[test]
fn d2_a_non_utf8_name_created_after_the_plan_is_not_deleted_by_remove() {
    let (wiki, project) = installed_x();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.md");
    let path = project.dest("skill", "x").join(name);
    let out = remove_racing(&project, &wiki, &[], |dest| {
        std::fs::write(dest.join(name), b"mine\n").unwrap();
    });
    assert_refused_and_kept(&project, &out, &path, b"mine\n");
}

/// D2: a file in dest whose name is not UTF-8 holds local bytes like any
/// file the entry does not record: `remove` refuses `dirty` naming it
/// (escaped), and `--force` moves it aside with dest instead of deleting
/// it.
#[test]
fn d2_a_non_utf8_name_in_dest_is_local_bytes() {
    let (wiki, project) = installed_x();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.md");
    let path = project.dest("skill", "x").join(name);
    std::fs::write(&path, b"mine\n").unwrap();
    // Bounded: a tree holding such a name once made the delete loop.
    let child = cmd(&project, &wiki, &["remove", "skill", "x"])
        .spawn()
        .unwrap();
    let out = wait_limited(child, Duration::from_secs(30), "remove");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}{}", stdout(&out));
    assert!(err.starts_with("error[dirty]: "), "{err}");
    assert!(err.contains("caf\\xe9.md"), "names the file: {err}");
    assert_eq!(std::fs::read(&path).unwrap(), b"mine\n");
    assert!(project.entry("skill", "x").is_object());

    let out = cmd(&project, &wiki, &["remove", "skill", "x", "--force"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let kept = kept_copies(&project);
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(std::fs::read(kept[0].join(name)).unwrap(), b"mine\n");
    assert!(!project.dest("skill", "x").exists());
    assert!(project.entry("skill", "x").is_null());
}

/// K3 for `install --all`: an entry that `remove` deletes after the
/// restore's checks (here while it is held at `install::before-lock`) is
/// re-read under the per-asset lock; the restore skips it with a
/// `gone` row, exit 0, and places no dest without an entry.
#[cfg(feature = "failpoints")]
#[test]
fn k3_install_all_skips_an_entry_removed_while_it_waited() {
    let (wiki, project) = installed_x();
    let dest = project.dest("skill", "x");
    std::fs::remove_dir_all(&dest).unwrap();
    let mut child = spawn_with(
        &project,
        &wiki,
        &["install", "--all"],
        "install::before-lock=sleep(4000)",
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert_still_held(&mut child);
    // The entry without dest: remove finishes it (D3), deleting the entry.
    let rm = cmd(&project, &wiki, &["remove", "skill", "x"])
        .output()
        .unwrap();
    assert!(rm.status.success(), "{}", stderr(&rm));
    assert!(project.entry("skill", "x").is_null());

    let out = wait_limited(child, Duration::from_secs(60), "held install --all");
    let (o, e) = (stdout(&out), stderr(&out));
    assert!(
        !dest.exists(),
        "K3: no dest is placed for an entry removed meanwhile\n{o}{e}"
    );
    assert!(project.entry("skill", "x").is_null(), "{o}{e}");
    assert!(!o.contains("restored  skill x"), "{o}{e}");
    // As a restore run after the removal: nothing to restore, not a
    // failure (k-interleave/install-all@asset-lock:remove-same).
    assert!(
        o.contains("gone      skill x (its entry was removed meanwhile)"),
        "a row says why: {o}{e}"
    );
    assert_eq!(out.status.code(), Some(0), "{o}{e}");
    assert_eq!(staging_left(&project), Vec::<String>::new());
}

/// K3 for `install --all`: an entry whose pin moved after the restore's
/// checks (an update, here a write under the per-asset lock) is not
/// restored at the old pin: the row says the entry changed.
#[cfg(feature = "failpoints")]
#[test]
fn k3_install_all_skips_an_entry_whose_pin_moved_while_it_waited() {
    let (wiki, project) = installed_x();
    wiki.file("skills/x/SKILL.md", "# x v2\n");
    let c2 = wiki.commit("v2");
    let dest = project.dest("skill", "x");
    std::fs::remove_dir_all(&dest).unwrap();
    let lock = project.memtomem().join("skills").join(".x.lock");
    let mut child = spawn_with(
        &project,
        &wiki,
        &["install", "--all"],
        "install::before-lock=sleep(4000)",
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert_still_held(&mut child);
    {
        let _held = race::hold_lock(&lock);
        let mut doc = project.lockfile_json();
        doc["skills"]["x"]["wiki_commit"] = serde_json::json!(c2);
        project.write_lockfile(serde_json::to_vec_pretty(&doc).unwrap());
    }
    let out = wait_limited(child, Duration::from_secs(60), "held install --all");
    let (o, e) = (stdout(&out), stderr(&out));
    assert!(!dest.exists(), "not restored at the old pin\n{o}{e}");
    assert_eq!(
        project.entry("skill", "x")["wiki_commit"],
        serde_json::json!(c2)
    );
    assert!(o.contains("skill x: conflict"), "{o}{e}");
    assert_eq!(out.status.code(), Some(1), "{o}{e}");
}
