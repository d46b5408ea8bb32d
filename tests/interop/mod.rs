//! Interop with the peer implementation, memtomem's `mm context` (see
//! docs/PEERS.md): a project written by one tool is read and updated
//! correctly by the other, and both race on one lockfile ([`races`]).
//! Every test needs the peer; without it the harness reports each as
//! ignored, naming the reason, except under CI (`$CI` set), where each
//! fails.

mod races;
mod registry;
mod web;

use assetpin_test_support::*;
use serde_json::Value;
use std::path::Path;
use std::process::Output;

#[track_caller]
fn succeeded(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({:?}): {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn sample_wiki() -> Wiki {
    let w = Wiki::new();
    w.file("skills/x/SKILL.md", "# x\n\nÜber.\n")
        .file("skills/x/docs/guide.md", "guide\n")
        .exec_file("skills/x/run.sh", "#!/bin/sh\necho x\n")
        .file("agents/a/agent.md", "# a\n")
        .file("commands/c/command.md", "# c\n")
        .skill("p")
        .skill("q");
    w.commit("assets");
    w
}

/// The line of `mm context status` output for asset `name`.
fn mm_row<'a>(status: &'a str, name: &str) -> &'a str {
    status
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(name))
        .unwrap_or_else(|| panic!("no row for {name} in:\n{status}"))
}

/// `mm context status` rows look like `  ✓  x   <pin12>  installed <date>`
/// for a clean asset, `✗ ... (1 file(s) modified locally)` for a dirty one.
fn mm_status(mm: &std::path::Path, project: &Project, wiki: &Wiki) -> String {
    let out = mm_std(mm, project, wiki)
        .args(["context", "status"])
        .output()
        .unwrap();
    succeeded(&out, "mm context status")
}

/// A project installed by `assetpin` (nested files, an executable, all
/// three types) reads as clean in `mm context status`; a file changed
/// afterwards reads as modified (so the check above is not vacuous), and
/// a touch that keeps the bytes stays clean (the peer uses our digests).
#[assetpin_test(peer)]
fn assetpin_install_reads_clean_in_mm_status(mm: &Path) {
    let wiki = sample_wiki();
    let project = Project::new();
    for (ty, name) in [("skill", "x"), ("agent", "a"), ("command", "c")] {
        assetpin(&project, &wiki)
            .args(["install", ty, name])
            .assert()
            .success();
    }
    let pin12 = &wiki.head()[..12];
    let status = mm_status(mm, &project, &wiki);
    for name in ["x", "a", "c"] {
        let row = mm_row(&status, name);
        assert!(row.trim_start().starts_with('✓'), "{row}");
        assert!(row.contains(pin12), "{row}");
        for bad in ["modified", "deleted", "dirty", "✗"] {
            assert!(!row.contains(bad), "{row}");
        }
    }
    assert!(status.contains("Summary: 3 ok."), "{status}");

    // Same bytes, newer mtime: still clean.
    let guide = project.dest("skill", "x").join("docs/guide.md");
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&guide, "guide\n").unwrap();
    let status = mm_status(mm, &project, &wiki);
    assert!(
        mm_row(&status, "x").trim_start().starts_with('✓'),
        "{status}"
    );

    // Changed bytes: the peer sees it.
    std::fs::write(&guide, "edited\n").unwrap();
    let status = mm_status(mm, &project, &wiki);
    let row = mm_row(&status, "x");
    assert!(row.contains("modified"), "{row}");
}

/// An asset installed by `mm` shows in `assetpin status` with its pin, and
/// `assetpin install` of it is refused (`already-installed`, both sides)
/// without changing a byte.
#[assetpin_test(peer)]
fn mm_install_shows_in_status_and_is_refused(mm: &Path) {
    let wiki = sample_wiki();
    let project = Project::new();
    let out = mm_std(mm, &project, &wiki)
        .args(["context", "install", "skill", "x"])
        .output()
        .unwrap();
    succeeded(&out, "mm context install");

    let out = assetpin(&project, &wiki)
        .args(["--json", "status"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_str(&succeeded(&out, "assetpin status")).unwrap();
    let assets = v["assets"].as_array().unwrap();
    assert_eq!(assets.len(), 1, "{v}");
    assert_eq!(assets[0]["type"], "skill");
    assert_eq!(assets[0]["name"], "x");
    assert_eq!(assets[0]["pin"], wiki.head().as_str());
    assert_eq!(assets[0]["state"], "ok", "{v}");

    let out = assetpin(&project, &wiki).arg("status").output().unwrap();
    let human = succeeded(&out, "assetpin status");
    assert!(
        human.contains('x') && human.contains(&wiki.head()[..12]),
        "{human}"
    );

    let before = snapshot(project.parent());
    let out = assetpin(&project, &wiki)
        .args(["install", "skill", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let first = first_line(&out.stderr);
    assert!(first.starts_with("error[already-installed]: "), "{first}");
    assert!(first.contains("lockfile_entry=yes, dest=yes"), "{first}");
    assert_same(&before, &snapshot(project.parent()), "project");
}

/// `mm` refuses to install over an asset `assetpin` installed, with the
/// same two-sided message, and keeps our entry.
#[assetpin_test(peer)]
fn mm_refuses_assetpin_installed_asset(mm: &Path) {
    let wiki = sample_wiki();
    let project = Project::new();
    assetpin(&project, &wiki)
        .args(["install", "skill", "x"])
        .assert()
        .success();
    let before = snapshot(project.parent());
    let out = mm_std(mm, &project, &wiki)
        .args(["context", "install", "skill", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("lockfile_entry=yes, dest=yes"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_same(&before, &snapshot(project.parent()), "project");
}

/// L8 across tools: each tool's write keeps the other's bytes. After
/// `mm` wrote the lockfile, an `assetpin` install changes only the tail
/// where the new entry goes, and the other way round.
#[assetpin_test(peer)]
fn l8_each_tool_keeps_the_others_bytes(mm: &Path) {
    let wiki = sample_wiki();
    let tail = "\n  }\n}";
    for mm_first in [true, false] {
        let project = Project::new();
        let run = |by_mm: bool, name: &str| {
            let out = if by_mm {
                mm_std(mm, &project, &wiki)
                    .args(["context", "install", "skill", name])
                    .output()
                    .unwrap()
            } else {
                assetpin_std(&project, &wiki)
                    .args(["install", "skill", name])
                    .output()
                    .unwrap()
            };
            succeeded(&out, name);
        };
        run(mm_first, "p");
        let first = String::from_utf8(project.lockfile()).unwrap();
        assert!(first.ends_with(tail), "{first}");
        run(!mm_first, "q");
        let second = String::from_utf8(project.lockfile()).unwrap();
        let kept = &first[..first.len() - tail.len()];
        assert!(
            second.starts_with(kept),
            "mm first: {mm_first}\n--- first:\n{first}\n--- second:\n{second}"
        );
        assert!(
            second[kept.len()..].starts_with(",\n    \"q\": {\n      \"wiki_commit\": "),
            "{second}"
        );
        assert_eq!(
            project.entry("skill", "p")["wiki_commit"],
            wiki.head().as_str()
        );
        assert_eq!(mode(&project.lockfile_path()), 0o600);
    }
}

/// The peer updates an asset `assetpin` installed: after a new wiki
/// commit `mm context update` moves the pin, writes and removes files,
/// and `assetpin status` reads the new pin.
#[assetpin_test(peer)]
fn mm_updates_assetpin_installed_asset(mm: &Path) {
    let wiki = sample_wiki();
    let project = Project::new();
    assetpin(&project, &wiki)
        .args(["install", "skill", "x"])
        .assert()
        .success();
    wiki.file("skills/x/SKILL.md", "# x v2\n")
        .remove("skills/x/docs")
        .file("skills/x/new.md", "new\n");
    let head = wiki.commit("v2");
    let out = mm_std(mm, &project, &wiki)
        .args(["context", "update", "skill", "x", "--yes"])
        .output()
        .unwrap();
    succeeded(&out, "mm context update");
    let dest = project.dest("skill", "x");
    assert_eq!(std::fs::read(dest.join("SKILL.md")).unwrap(), b"# x v2\n");
    assert!(dest.join("new.md").is_file());
    assert!(!dest.join("docs/guide.md").exists());

    let out = assetpin(&project, &wiki)
        .args(["--json", "status"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_str(&succeeded(&out, "assetpin status")).unwrap();
    assert_eq!(v["assets"][0]["pin"], head.as_str(), "{v}");
    let status = mm_status(mm, &project, &wiki);
    assert!(
        mm_row(&status, "x").trim_start().starts_with('✓'),
        "{status}"
    );
}

/// Y2 in a mixed project: after `mm` installed into a project, a link
/// planted at the section still makes `assetpin` refuse with
/// `unsafe-path` (the peer would follow it).
#[assetpin_test(peer)]
fn y2_assetpin_refuses_link_in_peer_project(mm: &Path) {
    let wiki = sample_wiki();
    let project = Project::new();
    let out = mm_std(mm, &project, &wiki)
        .args(["context", "install", "agent", "a"])
        .output()
        .unwrap();
    succeeded(&out, "mm context install");
    std::os::unix::fs::symlink(project.outside(), project.memtomem().join("skills")).unwrap();
    let before = snapshot(project.parent());
    let out = assetpin(&project, &wiki)
        .args(["install", "skill", "x"])
        .output()
        .unwrap();
    assert!(first_line(&out.stderr).starts_with("error[unsafe-path]: "));
    assert_same(&before, &snapshot(project.parent()), "project");
}
