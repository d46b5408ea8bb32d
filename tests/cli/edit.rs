//! W1-W6: `assetpin edit` through the binary: the guarded replace, its
//! input (a file, stdin, too much), and hostile entries at every path it
//! opens, each refused with the project and what is outside it unchanged.

use super::{assert_refused, ok, refuses_unchanged, sample_wiki};
use assetpin_test_support::*;
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;

/// `mtime_ns` of `p` as the argument of `--expect-mtime-ns`.
fn mtime_arg(p: &Path) -> String {
    mtime_ns(p).to_string()
}

fn installed() -> (Project, Wiki) {
    let wiki = sample_wiki();
    let project = Project::new();
    ok(&project, &wiki, &["install", "skill", "x"]);
    (project, wiki)
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON object")
}

/// W1, W6: --show gives the value, an edit from stdin lands and reports
/// the file's new mtime_ns; the lockfile is not written and status calls
/// the asset dirty; the old value is stale from then on (exit 3).
#[assetpin_test]
fn w1_show_then_edit_from_stdin() {
    let (project, wiki) = installed();
    let file = project.dest("skill", "x").join("SKILL.md");
    let shown = json(&ok(
        &project,
        &wiki,
        &["--json", "edit", "skill", "x", "--show"],
    ));
    let m0 = shown["mtime_ns"].to_string();
    assert_eq!(m0, mtime_arg(&file));
    let lock_before = project.lockfile();
    let mut child = assetpin_std(&project, &wiki)
        .args([
            "--json",
            "edit",
            "skill",
            "x",
            "--expect-mtime-ns",
            &m0,
            "--content-file",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"# x, edited\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["status"], "ok");
    assert_eq!(v["mtime_ns"].to_string(), mtime_arg(&file));
    assert_ne!(v["mtime_ns"].to_string(), m0);
    assert_eq!(std::fs::read(&file).unwrap(), b"# x, edited\n");
    assert_eq!(mode(&file), 0o644, "the mode was not kept");
    assert_eq!(project.lockfile(), lock_before, "edit wrote the lockfile");
    let st = json(&ok(&project, &wiki, &["--json", "status"]));
    let row = st["assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "x")
        .unwrap();
    assert_eq!(row["state"], "dirty");
    let again = assetpin(&project, &wiki)
        .args([
            "edit",
            "skill",
            "x",
            "--expect-mtime-ns",
            &m0,
            "--content-file",
            "-",
        ])
        .write_stdin("# stale\n")
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(3), "a stale value was taken");
    assert_eq!(std::fs::read(&file).unwrap(), b"# x, edited\n");
}

/// W1: no dest, no main file: not-installed with the remedy; nothing made.
#[assetpin_test]
fn w1_not_installed_names_the_remedy() {
    let (project, wiki) = installed();
    let content = project.home().join("c.md");
    std::fs::write(&content, "c\n").unwrap();
    let c = content.display().to_string();
    let err = refuses_unchanged(
        &project,
        &wiki,
        &[
            "edit",
            "skill",
            "nope",
            "--expect-mtime-ns",
            "1",
            "--content-file",
            &c,
        ],
        "not-installed",
    );
    assert!(err.contains("assetpin install skill nope"), "{err}");
    std::fs::remove_file(project.dest("skill", "x").join("SKILL.md")).unwrap();
    let err = refuses_unchanged(
        &project,
        &wiki,
        &["edit", "skill", "x", "--show"],
        "not-installed",
    );
    assert!(err.contains("update skill x --force"), "{err}");
}

/// W4: a link or the wrong kind at the main file, dest, the section or
/// `.memtomem`: unsafe-path, nothing written in the project or outside
/// (whose file the link reaches), and a FIFO never blocks the edit.
#[assetpin_test]
fn w4_hostile_entries_are_refused() {
    type Plant = fn(&Project, &Path);
    let plants: &[(&str, Plant)] = &[
        ("main file -> outside", |p, out| {
            let f = p.dest("skill", "x").join("SKILL.md");
            std::fs::remove_file(&f).unwrap();
            std::os::unix::fs::symlink(out.join("SKILL.md"), &f).unwrap();
        }),
        ("main file a FIFO", |p, _| {
            let f = p.dest("skill", "x").join("SKILL.md");
            std::fs::remove_file(&f).unwrap();
            mkfifo(&f);
        }),
        ("main file a directory", |p, _| {
            let f = p.dest("skill", "x").join("SKILL.md");
            std::fs::remove_file(&f).unwrap();
            std::fs::create_dir(&f).unwrap();
        }),
        ("dest -> outside", |p, out| {
            let d = p.dest("skill", "x");
            std::fs::rename(&d, out.join("x")).unwrap();
            std::os::unix::fs::symlink(out.join("x"), &d).unwrap();
        }),
        ("section -> outside", |p, out| {
            let s = p.memtomem().join("skills");
            std::fs::rename(&s, out.join("skills")).unwrap();
            std::os::unix::fs::symlink(out.join("skills"), &s).unwrap();
        }),
        (".memtomem -> outside", |p, out| {
            let m = p.memtomem();
            std::fs::rename(&m, out.join("m")).unwrap();
            std::os::unix::fs::symlink(out.join("m"), &m).unwrap();
        }),
        ("per-asset lock -> outside", |p, out| {
            let l = p.memtomem().join("skills/.x.lock");
            let _ = std::fs::remove_file(&l);
            std::os::unix::fs::symlink(out.join("SKILL.md"), &l).unwrap();
        }),
    ];
    for (what, plant) in plants {
        let (project, wiki) = installed();
        let out_dir = project.outside();
        std::fs::create_dir_all(&out_dir).unwrap();
        std::fs::write(out_dir.join("SKILL.md"), "outside\n").unwrap();
        let m = mtime_arg(&project.dest("skill", "x").join("SKILL.md"));
        plant(&project, &out_dir);
        let content = project.home().join("c.md");
        std::fs::write(&content, "mine\n").unwrap();
        let c = content.display().to_string();
        let before = snapshot(project.parent());
        let out = assetpin(&project, &wiki)
            .args([
                "edit",
                "skill",
                "x",
                "--expect-mtime-ns",
                &m,
                "--content-file",
                &c,
            ])
            .timeout(std::time::Duration::from_secs(20))
            .output()
            .unwrap();
        let stderr = assert_refused(&out, "unsafe-path");
        assert!(!stderr.is_empty(), "{what}");
        assert_same(&before, &snapshot(project.parent()), what);
    }
}

/// W1: a main file hard-linked to a file outside the project is replaced
/// by name; the outside file keeps its bytes.
#[assetpin_test]
fn w1_hard_link_outside_is_not_written_through() {
    let (project, wiki) = installed();
    let out_dir = project.outside();
    std::fs::create_dir_all(&out_dir).unwrap();
    let f = project.dest("skill", "x").join("SKILL.md");
    std::fs::hard_link(&f, out_dir.join("linked.md")).unwrap();
    let before = std::fs::read(out_dir.join("linked.md")).unwrap();
    let content = project.home().join("c.md");
    std::fs::write(&content, "mine\n").unwrap();
    let m = mtime_arg(&f);
    ok(
        &project,
        &wiki,
        &[
            "edit",
            "skill",
            "x",
            "--expect-mtime-ns",
            &m,
            "--content-file",
            &content.display().to_string(),
        ],
    );
    assert_eq!(std::fs::read(&f).unwrap(), b"mine\n");
    assert_eq!(std::fs::read(out_dir.join("linked.md")).unwrap(), before);
}

/// Bad input content: too large (a sparse file of 64 MiB + 1), a device
/// that never ends, a FIFO nobody writes to (which must not hang), a
/// missing file: each refused with io naming the file, nothing written.
/// Bytes that are not UTF-8 are content like any other.
#[assetpin_test]
fn w1_content_input_is_bounded() {
    let (project, wiki) = installed();
    let m = mtime_arg(&project.dest("skill", "x").join("SKILL.md"));
    let big = project.home().join("big.md");
    std::fs::File::create(&big)
        .unwrap()
        .set_len((64 << 20) + 1)
        .unwrap();
    let fifo = project.home().join("fifo");
    mkfifo(&fifo);
    let missing = project.home().join("missing.md");
    for (file, says) in [
        (big.display().to_string(), "larger than"),
        ("/dev/zero".to_owned(), "not a regular file"),
        (fifo.display().to_string(), "not a regular file"),
        (missing.display().to_string(), "No such file"),
    ] {
        let before = snapshot(project.parent());
        // A time limit, so that a content file that blocks fails the test.
        let out = assetpin(&project, &wiki)
            .args([
                "edit",
                "skill",
                "x",
                "--expect-mtime-ns",
                &m,
                "--content-file",
                &file,
            ])
            .timeout(std::time::Duration::from_secs(20))
            .output()
            .unwrap();
        let err = assert_refused(&out, "io");
        assert!(err.contains(&file) && err.contains(says), "{file}: {err}");
        assert_same(&before, &snapshot(project.parent()), &file);
    }
    let bin = project.home().join("bin.md");
    std::fs::write(&bin, [0xff, 0xfe, 0]).unwrap();
    ok(
        &project,
        &wiki,
        &[
            "edit",
            "skill",
            "x",
            "--expect-mtime-ns",
            &m,
            "--content-file",
            &bin.display().to_string(),
        ],
    );
}

/// W3: what a killed edit leaves (its temporary names) is removed by the
/// next edit, under the lock; the user's other files stay, those named
/// almost like a temporary name included.
#[assetpin_test]
fn w3_leftovers_of_a_killed_edit_are_tidied() {
    let (project, wiki) = installed();
    let dest = project.dest("skill", "x");
    std::fs::write(dest.join(".SKILL.md.tmp-1-0-0"), "half\n").unwrap();
    std::fs::write(dest.join("notes.md"), "mine\n").unwrap();
    // Named like one, but not what an edit makes: the user's.
    std::fs::write(dest.join(".SKILL.md.tmp-notes"), "mine\n").unwrap();
    let m = mtime_arg(&dest.join("SKILL.md"));
    let content = project.home().join("c.md");
    std::fs::write(&content, "new\n").unwrap();
    ok(
        &project,
        &wiki,
        &[
            "edit",
            "skill",
            "x",
            "--expect-mtime-ns",
            &m,
            "--content-file",
            &content.display().to_string(),
        ],
    );
    let names = ls(&dest);
    assert!(
        !names.contains(&".SKILL.md.tmp-1-0-0".to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&".SKILL.md.tmp-notes".to_owned()),
        "{names:?}"
    );
    assert!(names.contains(&"notes.md".to_owned()), "{names:?}");
}

/// W1: a file the wiki ships under a name like an edit's temporary one is
/// recorded by the entry, so the tidy never deletes it; an unrecorded one
/// beside it (a killed edit's) still goes.
#[assetpin_test]
fn w1_the_tidy_keeps_a_recorded_file_named_like_a_temporary_one() {
    let wiki = Wiki::new();
    wiki.file("skills/t/SKILL.md", "# t\n")
        .file("skills/t/.SKILL.md.tmp-1-2-ab", "shipped by the wiki\n");
    wiki.commit("a skill with a temporary-looking file");
    let project = Project::new();
    ok(&project, &wiki, &["install", "skill", "t"]);
    let dest = project.dest("skill", "t");
    let recorded = std::fs::read_to_string(project.path().join(".memtomem/lock.json")).unwrap();
    assert!(recorded.contains(".SKILL.md.tmp-1-2-ab"), "{recorded}");
    std::fs::write(dest.join(".SKILL.md.tmp-3-4-cd"), "half\n").unwrap();
    let m = mtime_arg(&dest.join("SKILL.md"));
    let content = project.home().join("c.md");
    std::fs::write(&content, "new\n").unwrap();
    let c = content.display().to_string();
    ok(
        &project,
        &wiki,
        &[
            "edit",
            "skill",
            "t",
            "--expect-mtime-ns",
            &m,
            "--content-file",
            &c,
        ],
    );
    let names = ls(&dest);
    assert!(
        names.contains(&".SKILL.md.tmp-1-2-ab".to_owned()),
        "{names:?}"
    );
    assert!(
        !names.contains(&".SKILL.md.tmp-3-4-cd".to_owned()),
        "{names:?}"
    );
    assert_eq!(
        std::fs::read_to_string(dest.join(".SKILL.md.tmp-1-2-ab")).unwrap(),
        "shipped by the wiki\n"
    );
}

/// W1: when the entry cannot say which files are the wiki's (`files` not a
/// list of names, `digests` not an object), the tidy deletes nothing: a
/// file the wiki shipped under a temporary-looking name stays. Before, an
/// entry of the wrong shape counted as one that records nothing.
#[assetpin_test]
fn w1_the_tidy_deletes_nothing_when_the_entry_has_the_wrong_shape() {
    for (key, value) in [
        ("files", serde_json::json!("SKILL.md")),
        ("files", serde_json::json!(null)),
        ("files", serde_json::json!([1])),
        ("digests", serde_json::json!([])),
    ] {
        let wiki = Wiki::new();
        wiki.file("skills/t/SKILL.md", "# t\n")
            .file("skills/t/.SKILL.md.tmp-1-2-ab", "shipped by the wiki\n");
        wiki.commit("a skill with a temporary-looking file");
        let project = Project::new();
        ok(&project, &wiki, &["install", "skill", "t"]);
        let lock = project.path().join(".memtomem/lock.json");
        let mut doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&lock).unwrap()).unwrap();
        let entry = doc["skills"]["t"].as_object_mut().unwrap();
        entry.insert(key.into(), value.clone());
        if key == "files" {
            entry.remove("digests");
        }
        std::fs::write(&lock, serde_json::to_vec(&doc).unwrap()).unwrap();
        let dest = project.dest("skill", "t");
        let m = mtime_arg(&dest.join("SKILL.md"));
        let content = project.home().join("c.md");
        std::fs::write(&content, "new\n").unwrap();
        let c = content.display().to_string();
        let _ = assetpin(&project, &wiki)
            .args([
                "edit",
                "skill",
                "t",
                "--expect-mtime-ns",
                &m,
                "--content-file",
                &c,
            ])
            .output()
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(dest.join(".SKILL.md.tmp-1-2-ab"))
                .ok()
                .as_deref(),
            Some("shipped by the wiki\n"),
            "{key} = {value}: the wiki's file was deleted"
        );
    }
}
